"""`pullcheck holds` and `pullcheck decide`: the running proxy's held posts, from a terminal.

They talk to the proxy over its control socket (`control.sock` in its data folder; see
`pullcheck.proxy.control_socket`), so a bot's or a script's held post can be decided without a
browser page. This module must not import mitmproxy: it runs in its own short-lived process.

Exit codes: 0 done; 1 the hold is unknown, already decided or gone (the message says which);
2 no proxy is running with that data folder (or bad usage).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path
from typing import Any

from pullcheck.commands.options import EXIT_OK, EXIT_USAGE
from pullcheck.places import data_dir as default_data_dir
from pullcheck.terminal import printable

EXIT_REFUSED = 1
EXIT_NO_PROXY = 2
SOCKET_NAME = "control.sock"  # pullcheck.proxy.control_socket.SOCKET_NAME (no proxy import)
TIMEOUT_S = 10.0
MAX_ANSWER = 8 * 1024 * 1024


class NoProxy(Exception):
    """Nothing answers on the control socket."""


def register(subparsers: argparse._SubParsersAction) -> None:
    data_help = (
        "the running proxy's data folder (default: $PULLCHECK_DATA_DIR or "
        "~/.local/share/pullcheck; what `pullcheck run --data-dir` was given)"
    )
    holds = subparsers.add_parser(
        "holds",
        help="list the posts the running proxy holds",
        description="List the posts the running proxy holds, waiting for a decision: id, site, "
        "kind, where the request came from, level, findings, age and the text.",
        epilog="example: pullcheck holds --json | jq '.[].hold_id'",
    )
    holds.add_argument("--data-dir", metavar="DIR", type=Path, help=data_help)
    holds.add_argument("--json", action="store_true", help="print the holds as a JSON list")
    holds.set_defaults(func=list_holds)
    decide = subparsers.add_parser(
        "decide",
        help="decide a held post: send it (once) or edit (not sent)",
        description="Decide a held post of the running proxy. send: the request goes to the "
        "site, once. edit: it is answered with the site's failure response; nothing is sent.",
        epilog="example: pullcheck decide h3-5f2a9c01d4e6 send",
    )
    decide.add_argument("hold_id", metavar="ID", help="the hold's id (from `pullcheck holds`)")
    decide.add_argument("choice", choices=("send", "edit"), help="send or edit")
    decide.add_argument("--data-dir", metavar="DIR", type=Path, help=data_help)
    decide.set_defaults(func=decide_hold)


def control_path(data_dir: Path | None) -> Path:
    if data_dir is None:
        data_dir = default_data_dir()
    return Path(data_dir).expanduser() / SOCKET_NAME


def ask(path: Path, request: dict[str, Any], timeout_s: float = TIMEOUT_S) -> dict[str, Any]:
    """One request to the proxy's control socket and its answer."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout_s)
    try:
        try:
            client.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError) as error:
            raise NoProxy(str(error)) from None
        except OSError as error:  # a path too long, permissions
            raise NoProxy(str(error)) from None
        client.sendall(json.dumps(request).encode() + b"\n")
        answer = bytearray()
        while not answer.endswith(b"\n"):
            chunk = client.recv(65536)
            if not chunk:
                break
            answer += chunk
            if len(answer) > MAX_ANSWER:
                raise ValueError("the proxy's answer is too long")
    finally:
        client.close()
    if not answer:
        raise NoProxy("the proxy closed the connection without an answer")
    result = json.loads(answer)
    if not isinstance(result, dict):
        raise ValueError("the proxy's answer is not a JSON object")
    return result


def _no_proxy(command: str, path: Path, error: Exception) -> int:
    print(
        f"pullcheck {command}: no pullcheck proxy is running with the data folder "
        f"{path.parent} ({error}); start one with `pullcheck run`, or pass the --data-dir it "
        "uses",
        file=sys.stderr,
    )
    return EXIT_NO_PROXY


def list_holds(args: argparse.Namespace) -> int:
    path = control_path(args.data_dir)
    try:
        answer = ask(path, {"cmd": "holds"})
    except NoProxy as error:
        return _no_proxy("holds", path, error)
    except (OSError, ValueError) as error:
        print(f"pullcheck holds: {error}", file=sys.stderr)
        return EXIT_REFUSED
    if not answer.get("ok"):
        print(f"pullcheck holds: {answer.get('error', 'the proxy refused')}", file=sys.stderr)
        return EXIT_REFUSED
    holds = answer.get("holds") or []
    if args.json:
        print(json.dumps(holds, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not holds:
        print("no held posts")
        return EXIT_OK
    for hold in holds:
        # Text, handles and origins come from web pages: no escape sequences reach the terminal.
        print(printable(describe(hold), keep_newlines=True))
    return EXIT_OK


def describe(hold: dict[str, Any]) -> str:
    """Several lines for one hold: what, where from, why, the text, how to decide."""
    site = hold.get("origin") or "(no page)"
    came = (
        "from its page"
        if hold.get("own")
        else f"NOT from the site's page: from {hold.get('from_origin') or 'an unknown origin'}"
    )
    lines = [
        f"{hold.get('hold_id')}  {hold.get('platform')} {hold.get('kind')} ({hold.get('level')})"
        f"  {' '.join(hold.get('codes') or []) or '-'}  held {_age(hold.get('age_s'))}",
        f"  site: {site}  {came}  client: {hold.get('client') or '?'}",
    ]
    reply = hold.get("reply_to") or {}
    if reply.get("author") or reply.get("text") or reply.get("id"):
        target = f"@{reply['author']}" if reply.get("author") else f"post {reply.get('id')}"
        said = f": {_quote(reply['text'], 100)}" if reply.get("text") else ""
        lines.append(f"  in reply to {target}{said}")
    if hold.get("recipients"):
        lines.append(f"  to: {', '.join('@' + r for r in hold['recipients'])}")
    lines.append(f"  text: {_quote(hold.get('text') or '', 400)}")
    lines.append(f"  decide: pullcheck decide {hold.get('hold_id')} send|edit")
    return "\n".join(lines)


def _quote(text: str, limit: int) -> str:
    flat = " ".join(str(text).split())
    return json.dumps(flat if len(flat) <= limit else flat[: limit - 1] + "…", ensure_ascii=False)


def _age(seconds: Any) -> str:
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return "?"
    return f"{value:.0f} s ago" if value < 120 else f"{value / 60:.0f} min ago"


def decide_hold(args: argparse.Namespace) -> int:
    path = control_path(args.data_dir)
    try:
        answer = ask(path, {"cmd": "decide", "id": args.hold_id, "choice": args.choice})
    except NoProxy as error:
        return _no_proxy("decide", path, error)
    except (OSError, ValueError) as error:
        print(f"pullcheck decide: {error}", file=sys.stderr)
        return EXIT_REFUSED
    if answer.get("ok"):
        done = (
            "released: the request goes to the site, once"
            if args.choice == "send"
            else "not sent; the draft stays in its box"
        )
        print(f"{args.hold_id}: {done}")
        return EXIT_OK
    if answer.get("status") == "invalid":
        print(f"pullcheck decide: {answer.get('error')}", file=sys.stderr)
        return EXIT_USAGE
    print(f"pullcheck decide: {args.hold_id}: {answer.get('error', 'refused')}", file=sys.stderr)
    return EXIT_REFUSED
