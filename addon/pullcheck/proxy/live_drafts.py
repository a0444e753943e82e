"""Which live checks belong to one draft, so "your numbers" count a draft once, not once per
keystroke pause.

The banner asks for a verdict each time the writer pauses, so a dozen checks while typing are
one draft, and a warning that stays up through them was shown once. A draft belongs to the page
it is written on (the page's token and origin); a check whose text continues the draft's last
text (most of the shorter of the two is kept at its start and end) is the same draft, and text
that starts over (the box emptied, another post begun) is a new one. A post that goes out ends
its draft: the compose request judged on the wire is matched to the open draft of the page
origin it came from, so a draft checked while typing and then sent counts once. A send no live
check saw (the banner could not run, a client outside the browser) is a draft of its own.

What each call reports is what is new about the draft: whether the draft itself is new, the rule
codes not seen in it before, and whether its verdict reached a warning for the first time.

Bounded: at most `MAX_DRAFTS` drafts are remembered (the least recently seen go first), each by
a sample of its text (`SAMPLE` characters at either end), never the whole text.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import count

MAX_DRAFTS = 256
SAMPLE = 256
# A draft untouched this long is over: a check continuing its text starts a new draft.
IDLE_S = 30 * 60
# After its send, a draft still absorbs checks this long (a check the banner scheduled just
# before the send button was pressed, while the text is still in the box).
SENT_GRACE_S = 10.0


@dataclass(frozen=True, slots=True)
class News:
    """What a check or a send adds to the counts."""

    new_draft: bool
    new_rules: tuple[str, ...]
    first_warning: bool


@dataclass(slots=True)
class _Draft:
    page: str
    origin: str
    head: str
    tail: str
    length: int
    seen_at: float
    rules: set[str] = field(default_factory=set)
    warned: bool = False
    sent_at: float | None = None

    def take(self, text: str, now: float) -> None:
        self.head, self.tail, self.length = text[:SAMPLE], text[-SAMPLE:], len(text)
        self.seen_at = now

    def kept(self, text: str) -> int | None:
        """How much of the shorter text the two share at their start and end (sampled), or
        None when `text` does not continue this draft."""
        shorter = min(self.length, len(text))
        if shorter == 0:
            return None
        kept = _common_prefix(self.head, text[:SAMPLE]) + _common_suffix(self.tail, text[-SAMPLE:])
        return kept if 2 * kept >= min(shorter, 2 * SAMPLE) else None


class LiveDrafts:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._drafts: OrderedDict[int, _Draft] = OrderedDict()
        self._ids = count()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._drafts)

    def checked(
        self, page: str, origin: str, text: str, rules: Iterable[str], warned: bool
    ) -> News:
        """A live check of `text` on `page` (the page token) at `origin`."""
        now = self._clock()
        with self._lock:
            found = self._closest(
                text, now, lambda d: d.page == page and d.origin == origin, sent_ok=True
            )
            if found is None:
                draft = _Draft(page, origin, "", "", 0, now)
                self._remember(draft)
                news = self._news(draft, rules, warned, new_draft=True)
            else:
                draft_id, draft = found
                self._drafts.move_to_end(draft_id)
                news = self._news(draft, rules, warned, new_draft=False)
            draft.take(text, now)
            return news

    def sent(self, origin: str | None, text: str, rules: Iterable[str], warned: bool) -> News:
        """A compose request from a page at `origin` was judged on the wire: it ends the open
        draft whose text it continues, or it is a draft of its own."""
        now = self._clock()
        with self._lock:
            found = None
            if origin is not None:
                found = self._closest(text, now, lambda d: d.origin == origin, sent_ok=False)
            if found is None:
                return News(True, tuple(dict.fromkeys(rules)), warned)
            _, draft = found
            news = self._news(draft, rules, warned, new_draft=False)
            draft.sent_at = now
            draft.take(text, now)
            return news

    def _closest(
        self, text: str, now: float, mine: Callable[[_Draft], bool], sent_ok: bool
    ) -> tuple[int, _Draft] | None:
        best: tuple[int, _Draft] | None = None
        best_kept = -1
        for draft_id, draft in self._drafts.items():
            if not mine(draft):
                continue
            if now - draft.seen_at > IDLE_S:
                continue
            if draft.sent_at is not None and (not sent_ok or now - draft.sent_at > SENT_GRACE_S):
                continue
            kept = draft.kept(text)
            if kept is not None and kept > best_kept:
                best, best_kept = (draft_id, draft), kept
        return best

    def _remember(self, draft: _Draft) -> None:
        self._drafts[next(self._ids)] = draft
        while len(self._drafts) > MAX_DRAFTS:
            self._drafts.popitem(last=False)

    @staticmethod
    def _news(draft: _Draft, rules: Iterable[str], warned: bool, new_draft: bool) -> News:
        if draft.sent_at is not None:
            # A check after the send, while the text is still in the box: already counted.
            return News(False, (), False)
        fresh = tuple(code for code in dict.fromkeys(rules) if code not in draft.rules)
        draft.rules.update(fresh)
        first_warning = warned and not draft.warned
        draft.warned = draft.warned or warned
        return News(new_draft, fresh, first_warning)


def _common_prefix(a: str, b: str) -> int:
    size = min(len(a), len(b))
    for index in range(size):
        if a[index] != b[index]:
            return index
    return size


def _common_suffix(a: str, b: str) -> int:
    size = min(len(a), len(b))
    for index in range(1, size + 1):
        if a[-index] != b[-index]:
            return index - 1
    return size
