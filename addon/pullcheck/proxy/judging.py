"""Judging a compose request without holding up anyone else's traffic.

Any page can POST to its own host, and the Mastodon and Bluesky adapters recognise their API
paths on any host, so the body being judged may be hostile. Work per request is bounded:

- the body is read from `raw_content` with an output limit (`flowwire.bounded_body`): over
  `pullcheck_max_body` on the wire or decoded, it is not read and the flow passes untouched;
- a JSON body with more than `MAX_SEPARATORS` commas and colons is not parsed: `json.loads`
  holds the interpreter lock for its whole run, about 1.1 s for 4 MB of small keys, far beyond
  any compose request (X's CreateTweet has about a hundred);
- in a body over `SHORT_BODY`, every JSON string and form value is cut to `MAX_TEXT_CHARS`
  before the site adapter reads it (its regexes hold the interpreter lock: a mention scan took
  0.3 s on a 4 MB status); the engine sees at most `MAX_TEXT_CHARS` characters of the draft and
  of the post it answers, and at most `MAX_ITEMS` recipients, mentions and links; the verdict
  says when anything was cut;
- reading a compressed body or one over `SHORT_BODY` (inflating, parsing, the site adapter),
  and every judgement, run on a small pool of worker threads (`JudgeWorkers`), never on
  mitmproxy's event loop; the decoders release the interpreter lock, and the rest is bounded by
  the limits above. A short plain body (every real compose request) is read on the loop: a
  thread hop would cost more than reading it;
- the whole judgement has a time budget (`BUDGET_S`): when it runs out, the request goes on
  unjudged (fail open), the reason is logged once, and the page is told the draft was not fully
  judged. Nothing is ever held on a partial judgement.

What the workers run touches nothing the event loop owns (memory, verdict feed, holds): it gets
the request and returns a `Compose` or a `Judgement`; the add-on does the rest on the loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, TypeVar, TypeVarTuple
from urllib.parse import parse_qsl, urlencode

from mitmproxy import http

from pullcheck.models import Draft
from pullcheck.proxy.flowwire import wire_request
from pullcheck.sites.adapter import SiteAdapter
from pullcheck.sites.bodies import MAX_INT_DIGITS
from pullcheck.sites.wire import Compose

# The engine's budget (p99 ≤ 1 ms) is set for drafts up to 3,000 characters; X's long posts go
# to 25,000 and Reddit's to 40,000. The first 10,000 characters hold any pitch worth flagging,
# and the worst text for the default pack (digits and separators, link-like runs) costs about
# 50 ms at this length.
MAX_TEXT_CHARS = 10_000
MAX_ITEMS = 200
MAX_CONTEXT_CHARS = 1_000
MAX_SEPARATORS = 20_000
# Below this size the adapters' scans cost little whatever the body holds: not rewritten.
SHORT_BODY = 64 * 1024
# How long one compose request may wait for its judgement before it goes on unjudged.
BUDGET_S = 0.5
WORKERS = 2

T = TypeVar("T")
Args = TypeVarTuple("Args")


class NotRead(Exception):
    """A compose body pullcheck chose not to read (too large, too costly): passed through."""


class OverBudget(Exception):
    """Judging a draft took longer than its budget: the request went on unjudged."""


class BoundedDraft(NamedTuple):
    draft: Draft
    truncated: bool


def costly_structure(body: bytes) -> str | None:
    """Why a JSON body is too costly to parse, or None. Counting is a memchr-speed scan."""
    separators = body.count(b",") + body.count(b":")
    if separators > MAX_SEPARATORS:
        return f"{separators} JSON separators (more than {MAX_SEPARATORS})"
    return None


class ReadCompose(NamedTuple):
    compose: Compose | None  # None: not a draft
    truncated: bool  # some string in the body was cut to MAX_TEXT_CHARS


def read_compose(request: http.Request, adapter: SiteAdapter, max_body: int) -> ReadCompose:
    """The adapter's `Compose` for a request (None when it is not one). Raises `NotRead` for a
    body over the limits. Runs on a worker thread: reads the request, changes nothing."""
    wire = wire_request(request, max_body)
    if wire is None:
        raise NotRead(f"body over pullcheck_max_body ({max_body} bytes), on the wire or decoded")
    reason = costly_structure(wire.body)
    if reason is not None:
        raise NotRead(reason)
    truncated = False
    if len(wire.body) > SHORT_BODY:
        body, truncated = capped_strings(wire.body, wire.content_type)
        wire = dataclasses.replace(wire, body=body)
    return ReadCompose(adapter.compose(wire), truncated)


def capped_strings(body: bytes, content_type: str) -> tuple[bytes, bool]:
    """The body with every JSON string or form value cut to MAX_TEXT_CHARS (and whether any
    was), written back in the same form. The adapters scan a draft's text with regexes that
    hold the interpreter lock: Mastodon's mention scan took 0.3 s on a 4 MB status. A body
    that is neither JSON nor a form is returned as it is."""
    ctype = content_type.lower()
    head = body[:64].lstrip()
    if "json" in ctype or (head[:1] in (b"{", b"[") and "form" not in ctype):
        try:
            value = json.loads(body, parse_int=_digits_when_long)
        except (ValueError, RecursionError):
            return body, False
        cut: list[bool] = []
        try:
            shorter = _cap(value, cut)
        except RecursionError:
            return body, False
        if not cut:
            return body, False
        return json.dumps(shorter, ensure_ascii=False).encode("utf-8"), True
    if "x-www-form-urlencoded" in ctype:
        try:
            fields = parse_qsl(
                body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=10_000
            )
        except ValueError:
            return body, False
        if not any(len(v) > MAX_TEXT_CHARS or len(k) > MAX_TEXT_CHARS for k, v in fields):
            return body, False
        shorter = [(k[:MAX_TEXT_CHARS], v[:MAX_TEXT_CHARS]) for k, v in fields]
        return urlencode(shorter).encode("ascii"), True
    return body, False


def _cap(value: Any, cut: list[bool]) -> Any:
    if isinstance(value, str):
        if len(value) > MAX_TEXT_CHARS:
            cut.append(True)
            return value[:MAX_TEXT_CHARS]
        return value
    if isinstance(value, dict):
        return {_cap(key, cut): _cap(item, cut) for key, item in value.items()}
    if isinstance(value, list):
        return [_cap(item, cut) for item in value]
    return value


def _digits_when_long(digits: str) -> int | str:
    # int() is quadratic in the digits: see bodies.MAX_INT_DIGITS.
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


def bounded_draft(draft: Draft) -> BoundedDraft:
    """The draft as the engine may see it: text and lists cut to the limits."""
    update: dict[str, Any] = {}
    if len(draft.text) > MAX_TEXT_CHARS:
        update["text"] = draft.text[:MAX_TEXT_CHARS]
    parent = draft.reply_to
    if parent is not None and parent.text is not None and len(parent.text) > MAX_TEXT_CHARS:
        update["reply_to"] = parent.model_copy(update={"text": parent.text[:MAX_TEXT_CHARS]})
    for name in ("recipients", "mentions", "links"):
        items = getattr(draft, name)
        if len(items) > MAX_ITEMS:
            update[name] = items[:MAX_ITEMS]
    if len(draft.context) > MAX_CONTEXT_CHARS:
        update["context"] = draft.context[:MAX_CONTEXT_CHARS]
    if not update:
        return BoundedDraft(draft, False)
    return BoundedDraft(draft.model_copy(update=update), True)


class JudgeWorkers:
    """A small thread pool for reading compose bodies and judging drafts, with a deadline.

    A call that misses its deadline is abandoned: if it has not started it never runs; if it
    has, it finishes on its thread (bounded work) and its result is dropped."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pullcheck-judge")

    async def run(self, timeout: float, fn: Callable[[*Args], T], *args: *Args) -> T:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, functools.partial(fn, *args))
        try:
            return await asyncio.wait_for(future, max(timeout, 0.0))
        except TimeoutError:
            raise OverBudget from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
