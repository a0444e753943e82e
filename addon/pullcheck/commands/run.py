"""`pullcheck run`: mitmproxy with the pullcheck add-on, in this process.

Starts mitmproxy's DumpMaster (no flow dump: the terminal shows pullcheck's own messages), adds
the add-on, checks it really is active (mitmproxy skips a `-s` script silently when one of its
`--set` values is malformed, mitmproxy issue #8013; in-process the same mistake raises here), and
prints what a new user needs: the proxy address, the CA certificate and how to trust it, the
watched sites, and where the config and the sent log live.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from pathlib import Path
from typing import Any

from pullcheck.commands.options import EXIT_OK, EXIT_USAGE
from pullcheck.terminal import guard_log_handlers

EXIT_FAILED = 1
CA_CERT_NAME = "mitmproxy-ca-cert.pem"
# mitmproxy's own advice when the port is taken names its `--mode regular@PORT`, which
# `pullcheck run` does not take; `PortHint` rewrites it to `--port PORT`.
MITMPROXY_PORT_ADVICE = re.compile(
    r"Try specifying a different port by using `--mode regular@(?P<port>\d+)`\."
)
PROXYSERVER_LOGGER = "mitmproxy.addons.proxyserver"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="start the proxy (mitmproxy with the pullcheck add-on)",
        description="Start mitmproxy with the pullcheck add-on on 127.0.0.1:8080. Point your "
        "browser at it and trust mitmproxy's CA certificate (printed at start).",
        epilog="example: pullcheck run --mode hold --set pullcheck_hold_timeout=60",
    )
    parser.add_argument(
        "--listen-host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; keep it on loopback)",
    )
    parser.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="pullcheck config file (default: $PULLCHECK_CONFIG or "
        "~/.config/pullcheck/config.yaml, if it exists)",
    )
    parser.add_argument(
        "--mode", choices=("off", "warn", "hold"), help="override the config's mode"
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        type=Path,
        help="where the sent log lives (default: $PULLCHECK_DATA_DIR or ~/.local/share/pullcheck)",
    )
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any mitmproxy or pullcheck option, e.g. pullcheck_max_body=1000000;"
        " repeat for several",
    )
    parser.set_defaults(func=run)


def option_specs(args: argparse.Namespace) -> list[str]:
    """The options for mitmproxy, in its `key=value` form; explicit flags before --set."""
    specs = []
    if args.config is not None:
        specs.append(f"pullcheck_config={args.config}")
    if args.mode is not None:
        specs.append(f"pullcheck_mode={args.mode}")
    if args.data_dir is not None:
        specs.append(f"pullcheck_data_dir={args.data_dir}")
    for spec in args.sets:
        if "=" not in spec:
            raise ValueError(f"--set {spec!r}: write KEY=VALUE")
        specs.append(spec)
    return specs


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        print(f"pullcheck run: --port {args.port} is not a port number", file=sys.stderr)
        return EXIT_USAGE
    try:
        specs = option_specs(args)
    except ValueError as error:
        print(f"pullcheck run: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(serve(args.listen_host, args.port, specs))
    except KeyboardInterrupt:
        return EXIT_OK


async def serve(listen_host: str, port: int, specs: list[str]) -> int:
    # Lazy for start-up speed: mitmproxy loads only when `pullcheck run` starts.
    from mitmproxy import options
    from mitmproxy.tools.dump import DumpMaster

    opts = options.Options(listen_host=listen_host, listen_port=port)
    master = DumpMaster(opts, with_termlog=True, with_dumper=False)
    # Log lines carry what websites sent (hosts, origins, error texts): no escape sequences.
    guard_log_handlers()
    port_hint = PortHint()
    logging.getLogger(PROXYSERVER_LOGGER).addFilter(port_hint)
    try:
        return await _serve(master, opts, listen_host, specs)
    finally:
        logging.getLogger(PROXYSERVER_LOGGER).removeFilter(port_hint)


async def _serve(master: Any, opts: Any, listen_host: str, specs: list[str]) -> int:
    # Lazy for start-up speed: mitmproxy and the add-on load only when `pullcheck run` starts.
    from mitmproxy import exceptions

    from pullcheck.proxy.addon import PullcheckAddon

    addon = PullcheckAddon()
    try:
        add_configured(master, addon, specs)
    except exceptions.OptionsError as error:
        print(f"pullcheck run: {error}", file=sys.stderr)
        return EXIT_USAGE
    if master.addons.get("pullcheckaddon") is not addon or addon.state is None:
        print("pullcheck run: the pullcheck add-on did not load; not starting", file=sys.stderr)
        return EXIT_FAILED
    master.addons.add(Announcement(addon, listen_host))
    show_hold_lines()
    if listen_host not in ("127.0.0.1", "::1", "localhost"):
        print(
            f"pullcheck run: warning: listening on {listen_host}, not loopback: anyone who "
            "can reach it can use this proxy",
            file=sys.stderr,
        )
    await master.run()
    return EXIT_OK


class HoldLines(logging.Handler):
    """Prints the add-on's hold lines (held, refused, decided) on the terminal, one each."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(record.getMessage(), flush=True)
        except Exception:
            self.handleError(record)


def show_hold_lines() -> None:
    """mitmproxy leaves the pullcheck loggers at WARNING, so INFO lines never show: give the
    hold logger its own INFO handler (and keep it from printing twice through the root)."""
    hold_log = logging.getLogger("pullcheck.holds")
    if not any(isinstance(h, HoldLines) for h in hold_log.handlers):
        hold_log.addHandler(HoldLines(logging.INFO))
    hold_log.setLevel(logging.INFO)
    hold_log.propagate = False


def add_configured(master: Any, addon: Any, specs: list[str]) -> None:
    """Add the pullcheck add-on to `master` and apply the `key=value` specs to its options.

    Raises mitmproxy's OptionsError, naming the `--set` at fault, for a malformed value, a value
    the add-on refuses (an invalid config names its file and line) or an option nobody declared.
    """
    from mitmproxy import exceptions, hooks

    opts = master.options
    try:
        # Deferred: the pullcheck options exist once the add-on's `load` declared them.
        opts.set(*specs, defer=True)
        master.addons.add(addon)
        # Adding an add-on does not configure it; a deferred --set does, but only when given.
        master.addons.invoke_addon_sync(addon, hooks.ConfigureHook(set(opts.keys())))
        if opts.deferred:
            unknown = ", ".join(sorted(opts.deferred))
            raise exceptions.OptionsError(f"unknown option(s): {unknown}")
    except exceptions.OptionsError as error:
        raise exceptions.OptionsError(name_the_culprit(opts, specs, error)) from None


def name_the_culprit(opts: Any, specs: list[str], error: Exception) -> str:
    """mitmproxy's parse errors ("Not an integer: abc") do not say which option: find it."""
    from mitmproxy import exceptions

    for spec in specs:
        try:
            opts.set(spec)
        except exceptions.OptionsError as culprit:
            return f"--set {spec}: {culprit}"
    return str(error)


class PortHint(logging.Filter):
    """Rewrites mitmproxy's "port in use" advice into this command's own words."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        advice = MITMPROXY_PORT_ADVICE.search(message)
        if advice is not None:
            port = advice["port"]
            record.msg = (
                message[: advice.start()]
                + f"Another program (another pullcheck?) listens there: stop it, or "
                f"choose another port, e.g. `pullcheck run --port {port}`."
                + message[advice.end() :]
            )
            record.args = None
        return True


class Announcement:
    """Prints the start-up notes once the proxy listens (the address is known only then)."""

    def __init__(self, addon: Any, listen_host: str) -> None:
        self.addon = addon
        self.listen_host = listen_host

    def running(self) -> None:
        from mitmproxy import ctx

        server = ctx.master.addons.get("proxyserver")
        addresses = [f"{host}:{port}" for host, port, *_ in server.listen_addrs()] or ["?"]
        ca = Path(ctx.options.confdir).expanduser() / CA_CERT_NAME
        print(startup_notes(self.addon, addresses, ca), flush=True)


def startup_notes(addon: Any, addresses: list[str], ca: Path) -> str:
    state = addon.state
    address = addresses[0].replace("0.0.0.0", "127.0.0.1")
    if address.startswith("::"):
        address = "[::1]" + address[address.rfind(":") :]
    sites = watched_sites(state)
    lines = [
        f"pullcheck is active: mode {state.mode}, holding at {state.hold_at}"
        if state.mode == "hold"
        else f"pullcheck is active: mode {state.mode}",
        f"  proxy:     http://{address}  (listening on {', '.join(addresses)})",
        f"  watching:  {sites or 'no sites (all switched off in the config)'}",
        f"  config:    {state.config_path}"
        + ("" if state.config_path.exists() else "  (not there: built-in defaults)"),
        f"  sent log:  {state.sent_log.path}  (time, site, kind, recipients, link domains, "
        "a similarity signature; never the text)",
        f"  CA cert:   {ca}" + ("" if ca.exists() else "  (created on first start)"),
        "  trust it once, then restart the browser:",
        "    Chromium/Chrome (Linux): certutil -d sql:$HOME/.pki/nssdb -A -t C -n mitmproxy"
        f" -i {ca}",
        "    Firefox: Settings > Privacy & Security > Certificates > View Certificates >"
        " Authorities > Import",
        f"    system (Debian/Ubuntu): sudo cp {ca} /usr/local/share/ca-certificates/mitmproxy.crt"
        " && sudo update-ca-certificates",
        f"  browse through it: chromium --proxy-server=http://{address}"
        "  (or your system's proxy settings)",
        "  decide held posts in the page's banner, or here: pullcheck holds; pullcheck decide ID"
        " send|edit"
        + (
            ""
            if state.config.holds.without_page == "wait"
            else " (with no page of the site open, a flagged post is refused at once)"
        ),
        "  stop with Ctrl-C",
    ]
    return "\n".join(lines)


def watched_sites(state: Any) -> str:
    return state.route.describe()
