"""What every driver shares: its command line and its one JSON result line.

A driver runs one library call, e.g. `drive_bluesky.py --proxy http://127.0.0.1:8080 --ca CA.pem
--action reply --text "..." --target at://...`, and prints one line: `{"ok": true, ...}` or
`{"ok": false, "error_type": "module.Class", "error": "str(exception)"}`. It runs in the client
venv (.client-venv/), never in pullcheck's: the libraries' pins clash with mitmproxy's.

The proxy and its CA reach the library the way a user would point a script at pullcheck: the
standard environment variables, set before the library is imported.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any


def arguments(actions: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--ca", required=True, help="the proxy's CA certificate (PEM)")
    parser.add_argument("--action", required=True, choices=actions)
    parser.add_argument("--text", required=True)
    parser.add_argument("--target", help="the post or comment a reply answers")
    parser.add_argument("--recipient", help="who a direct message goes to")
    parser.add_argument("--timeout", type=float, default=30.0, help="HTTP timeout, seconds")
    args = parser.parse_args()
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        os.environ[name] = args.proxy
    for name in ("NO_PROXY", "no_proxy"):
        os.environ.pop(name, None)
    # requests (Mastodon.py, praw, tweepy) reads REQUESTS_CA_BUNDLE; httpx (atproto) SSL_CERT_FILE.
    os.environ["REQUESTS_CA_BUNDLE"] = args.ca
    os.environ["SSL_CERT_FILE"] = args.ca
    return args


def report(actions: Sequence[str], run: Callable[[argparse.Namespace], dict[str, Any]]) -> None:
    args = arguments(actions)
    try:
        result = {"ok": True, **run(args)}
    except Exception as error:
        traceback.print_exc()
        kind = type(error)
        result = {
            "ok": False,
            "error_type": f"{kind.__module__}.{kind.__qualname__}",
            "error": str(error),
        }
    print(json.dumps(result), flush=True)
    sys.exit(0)
