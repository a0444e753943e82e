"""What every site adapter offers, and the small pieces of reading they share.

An adapter is a plain object (one per site module) with `name`, `default_hosts`, `any_host`,
`any_host_paths` (path prefixes: the cheap first test on an unknown host), `paths` (a regex
matching every path it reads: it picks the adapter on a host shared by several sites, and confirms
an `any_host` site on an unknown host), `compose(req)`, `harvest(resp)` and
`harvest_websocket(text)`. All three readers return None for anything that is
not theirs and never raise: the callers (`SiteAdapter` wrappers in the registry) still guard them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol

from pullcheck.sites.wire import Compose, FailureResponse, Harvest, WireRequest, WireResponse

# A read response bigger than this is not walked (a timeline page is a few hundred KB).
MAX_READ_BODY = 8 * 1024 * 1024
# Bound the work on one response: a pathological document stops the walk, not the proxy.
MAX_WALK_NODES = 400_000


class SiteAdapter(Protocol):
    name: str
    default_hosts: tuple[str, ...]
    any_host: bool
    any_host_paths: tuple[str, ...]
    paths: re.Pattern[str]

    def compose(self, req: WireRequest) -> Compose | None: ...

    def harvest(self, resp: WireResponse) -> Harvest | None: ...

    def harvest_websocket(self, text: str) -> Harvest | None: ...


def read_json(body: bytes) -> Any:
    """A response body as JSON, or None. Responses are not searched for nested JSON strings."""
    if not body or len(body) > MAX_READ_BODY:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def walk_dicts(root: Any, max_nodes: int = MAX_WALK_NODES) -> Iterator[dict[str, Any]]:
    """Every dict inside a JSON document (iterative: no recursion limit; bounded work).

    Parents come before their children; siblings in no promised order. JSON decoding yields
    exact `dict`/`list` types, so `type(...) is` is enough and keeps this hot loop cheap.
    """
    stack = [root]
    pop = stack.pop
    push = stack.append
    seen = 0
    while stack and seen < max_nodes:
        node = pop()
        seen += 1
        values: Iterable[Any]
        if type(node) is dict:
            yield node
            values = node.values()
        elif type(node) is list:
            values = node
        else:
            continue
        for value in values:
            kind = type(value)
            if kind is dict or kind is list:
                push(value)


def dig(node: Any, *keys: str | int) -> Any:
    """node[k1][k2]... or None when any step is missing or of the wrong type."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(node, list) or not -len(node) <= key < len(node):
                return None
            node = node[key]
        else:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
    return node


def string(value: Any) -> str | None:
    """A non-empty string id or text; numbers (ids sent as numbers) become strings."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def epoch(value: Any) -> float | None:
    """Seconds since the epoch from an ISO 8601 string or epoch seconds/milliseconds."""
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            value = int(text)
        else:
            try:
                return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Milliseconds once the number is past the year 5138 in seconds.
        return value / 1000.0 if value > 1e11 else float(value)
    return None


def json_failure(status: int, document: Any) -> FailureResponse:
    return FailureResponse(
        status=status,
        headers={"content-type": "application/json; charset=utf-8", "cache-control": "no-store"},
        body=json.dumps(document, separators=(",", ":")).encode(),
    )


# One sentence, shown as it is by the sites' clients. Client libraries match the prefix
# "Not sent: held by pullcheck": keep it.
HELD_MESSAGE = "Not sent: held by pullcheck; edit your draft and send it again."

_COOKIE_SPLIT = re.compile(r";\s*")


def cookie(req: WireRequest, name: str) -> str | None:
    header = req.headers.get("cookie")
    if not header:
        return None
    for pair in _COOKIE_SPLIT.split(header):
        key, sep, value = pair.partition("=")
        if sep and key.strip() == name:
            return value.strip().strip('"')
    return None
