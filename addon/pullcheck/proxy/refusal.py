"""The answer a held request gets when it is not sent: the site's own failure response, with the
reason in place of its generic message.

Each site adapter answers a held post with the response its own client shows as "not sent"
(`Compose.failure`), carrying `HELD_MESSAGE` ("Not sent: held by pullcheck. ..."). A script or bot
that posts through the proxy reads that message like a failing build's log, so it should say why:
"Not sent: held by pullcheck: PP102 cold-dm-pitch: <message>. <what happened>". The reason
replaces the generic message where it stands (JSON-escaped in a JSON body), and goes in an
`X-Pullcheck-Reason` header too (ASCII), for bodies that do not carry the message. Nothing here
knows mitmproxy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from pullcheck.sites.adapter import HELD_MESSAGE

PREFIX = "Not sent: held by pullcheck"
REASON_HEADER = "x-pullcheck-reason"
# A reason longer than this is cut (a verdict may carry many findings).
MAX_REASON = 2000

WHY = {
    "no-page": "No pullcheck page of {origin} is open to decide it; edit the post and send again.",
    "edit": "You chose Edit; your draft is unchanged.",
    "timeout": "No decision within {timeout:g} s; your draft is unchanged.",
    "shutdown": "The proxy stopped before a decision; nothing was sent.",
    "gone": "The client disconnected; nothing was sent.",
    "duplicate": "The same request was already sent once (this copy was a retry of it).",
    "busy": "Too many posts are held already; decide those first.",
}


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


def reason(verdict: Mapping[str, Any], why: str, **details: Any) -> str:
    """`Not sent: held by pullcheck: PP201 unsolicited-pitch: ...; PP102 ...: ... <why>`."""
    findings = [
        f"{f.get('code')} {f.get('name')}: {str(f.get('message', '')).rstrip('.')}"
        for f in verdict.get("findings", [])
        if f.get("severity") != "info"
    ] or [
        f"{f.get('code')} {f.get('name')}: {str(f.get('message', '')).rstrip('.')}"
        for f in verdict.get("findings", [])
    ]
    said = "; ".join(findings)
    text = f"{PREFIX}: {said}. " if said else f"{PREFIX}. "
    text += WHY[why].format(**details) if why in WHY else why
    return text[:MAX_REASON]


def with_reason(status: int, headers: Mapping[str, str], body: bytes, text: str) -> Answer:
    """The site's failure response with `text` in place of the generic held message."""
    out_body = body
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "json" in content_type.lower():
        # Inside a JSON string: the reason escaped the way JSON escapes it.
        escaped = json.dumps(HELD_MESSAGE)[1:-1].encode()
        out_body = body.replace(escaped, json.dumps(text)[1:-1].encode())
    else:
        out_body = body.replace(HELD_MESSAGE.encode(), text.encode("utf-8"))
    out_headers = dict(headers)
    one_line = " ".join(text.split())
    out_headers[REASON_HEADER] = one_line.encode("ascii", "replace").decode("ascii")
    return Answer(status, out_headers, out_body)
