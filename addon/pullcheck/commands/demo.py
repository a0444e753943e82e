"""`pullcheck demo`: the demo site and the proxy on loopback, to see the banner without an account.

Starts the demo site (a compose page speaking X's and Mastodon's request shapes) and a real
mitmproxy with the add-on configured to watch it, prints the URL and how to point a browser at
the proxy, and runs until Ctrl-C or SIGTERM (both stop the proxy process and remove the
temporary folder). `--screenshot FILE.png` instead drives headless Chromium
through the proxy, types a push reply, saves a picture of the banner and exits.

Everything the demo writes (config, sent log, mitmproxy's CA) goes to a temporary folder that is
removed at the end: the demo never touches the user's own pullcheck config or data.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from pullcheck.commands.options import EXIT_OK, EXIT_USAGE

EXIT_FAILED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the demo site behind the proxy to try the banner",
        description="Start a local demo site (X and Mastodon request shapes) and the pullcheck "
        "proxy in front of it, on 127.0.0.1. Open the printed URL in a browser that uses the "
        "proxy, reply to a post with a sales pitch, and watch the banner.",
        epilog="example: pullcheck demo --screenshot docs/screenshots/banner.png",
    )
    parser.add_argument("--port", type=int, default=0, help="demo site port (default: a free one)")
    parser.add_argument(
        "--proxy-port", type=int, default=0, help="proxy port (default: a free one)"
    )
    parser.add_argument(
        "--mode",
        choices=("hold", "warn"),
        default="hold",
        help="warn: banner only; hold: also hold flagged posts (default)",
    )
    parser.add_argument(
        "--screenshot",
        metavar="FILE.png",
        type=Path,
        help="drive headless Chromium through the proxy, type a push reply, save "
        "a screenshot of the banner to FILE.png and exit",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for name in ("port", "proxy_port"):
        value = getattr(args, name)
        if not 0 <= value <= 65535:
            flag = "--" + name.replace("_", "-")
            print(f"pullcheck demo: {flag} {value} is not a port number", file=sys.stderr)
            return EXIT_USAGE
    if args.screenshot is not None and args.screenshot.suffix.lower() != ".png":
        print("pullcheck demo: --screenshot needs a .png file name", file=sys.stderr)
        return EXIT_USAGE

    # Lazy for start-up speed: only `pullcheck demo` needs the demo stack.
    from pullcheck.demo.stack import CHROMIUM

    if args.screenshot is not None and not Path(CHROMIUM).exists():
        print(
            f"pullcheck demo: --screenshot needs Chromium at {CHROMIUM} "
            "(Debian: apt-get install chromium)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    restore_signals = stop_like_ctrl_c()
    try:
        return _serve(args)
    except KeyboardInterrupt:
        return EXIT_OK  # stopped before anything was started
    finally:
        restore_signals()


def _serve(args: argparse.Namespace) -> int:
    # Lazy for start-up speed: only `pullcheck demo` needs the demo site and stack.
    from pullcheck.demo.site import DemoServer
    from pullcheck.demo.stack import ProxyProcess, screenshot_banner, write_config

    try:
        site = DemoServer(port=args.port).start()
    except OSError as error:
        print(
            f"pullcheck demo: cannot serve the demo site on port {args.port}: {error}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    with tempfile.TemporaryDirectory(prefix="pullcheck-demo-") as folder_name:
        folder = Path(folder_name)
        config = write_config(folder, site.port, mode=args.mode)
        proxy = ProxyProcess(folder, config, port=args.proxy_port or None, mode=args.mode)
        try:
            proxy.wait_active()
            if args.screenshot is not None:
                args.screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot_banner(proxy.port, site.url, args.screenshot)
                print(f"pullcheck demo: saved {args.screenshot}")
                return EXIT_OK
            print(instructions(site.url, proxy.port, args.mode), flush=True)
            while proxy.process.poll() is None:
                time.sleep(0.5)
            print(
                "pullcheck demo: the proxy stopped:\n" + "\n".join(list(proxy.log)[-20:]),
                file=sys.stderr,
            )
            return EXIT_FAILED
        except KeyboardInterrupt:
            return EXIT_OK
        except RuntimeError as error:
            print(f"pullcheck demo: {error}", file=sys.stderr)
            return EXIT_FAILED
        finally:
            proxy.stop()
            site.stop()


def stop_like_ctrl_c() -> Callable[[], None]:
    """SIGTERM and SIGHUP (`kill`, a closed terminal, a service manager) stop the demo the way
    Ctrl-C does: the `finally` blocks stop the mitmdump child and the temporary folder with the
    demo CA's private key is removed. A second signal during that clean-up is ignored, so it
    cannot cut it short. Returns what puts the previous handlers back."""
    previous: dict[int, object] = {}

    def interrupt(signum: int, frame: FrameType | None) -> None:
        for number in previous:
            signal.signal(number, signal.SIG_IGN)
        raise KeyboardInterrupt

    for number in (signal.SIGTERM, signal.SIGHUP):
        try:
            previous[number] = signal.signal(number, interrupt)
        except ValueError:  # not the main thread: signals are not ours to take
            break

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]

    return restore


def instructions(site_url: str, proxy_port: int, mode: str) -> str:
    proxy = f"http://127.0.0.1:{proxy_port}"
    return "\n".join(
        [
            f"pullcheck demo: mode {mode}",
            f"  demo site:  {site_url}",
            f"  proxy:      {proxy}  (watching the demo site as X and as Mastodon)",
            "  open the site through the proxy, e.g. in a fresh Chromium profile:",
            f"    chromium --user-data-dir=$(mktemp -d) --proxy-server={proxy} "
            f"'--proxy-bypass-list=<-loopback>' {site_url}",
            "  (Chromium sends 127.0.0.1 straight to the site without '<-loopback>'.)",
            "  then press Reply under Sam's post and type a pitch, e.g. 'We build websites, "
            "check out my site acme.example!'",
            "  stop with Ctrl-C (removes the demo's temporary folder and its CA)",
        ]
    )
