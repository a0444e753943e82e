"""Live checks count in "your numbers": a draft once, however many pauses it was checked at, and
a warning once per draft that showed one (`LiveDrafts`, `ProxyTally`)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from pullcheck.models import Draft, Kind, Verdict
from pullcheck.proxy.live_drafts import IDLE_S, MAX_DRAFTS, SENT_GRACE_S, LiveDrafts, News
from pullcheck.proxy.tally import ProxyTally
from x_samples import PITCH_TEXT

PAGE, OTHER_PAGE = "token-a", "token-b"
X = "https://x.com"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def typing(text: str, pauses: int = 12) -> list[str]:
    """The text as the banner sees it at each pause while it is typed."""
    return [text[: len(text) * n // pauses] for n in range(1, pauses + 1)]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def drafts(clock: Clock) -> LiveDrafts:
    return LiveDrafts(clock)


def test_a_dozen_pauses_in_one_draft_are_one_draft_and_one_warning(drafts: LiveDrafts) -> None:
    news = [drafts.checked(PAGE, X, text, ["PP201"], warned=True) for text in typing(PITCH_TEXT)]
    assert [n.new_draft for n in news] == [True] + [False] * 11
    assert [n.first_warning for n in news] == [True] + [False] * 11
    assert [n.new_rules for n in news] == [("PP201",)] + [()] * 11


def test_a_warning_that_appears_midway_is_counted_when_it_first_shows(drafts: LiveDrafts) -> None:
    texts = typing(PITCH_TEXT, 4)
    news = [
        drafts.checked(PAGE, X, text, rules, warned)
        for text, rules, warned in zip(
            texts, [[], [], ["PP202"], ["PP202", "PP201"]], [False, False, True, True], strict=True
        )
    ]
    assert [n.first_warning for n in news] == [False, False, True, False]
    assert [n.new_rules for n in news] == [(), (), ("PP202",), ("PP201",)]


def test_text_that_starts_over_is_a_new_draft(drafts: LiveDrafts) -> None:
    drafts.checked(PAGE, X, "Lovely weather for a run today", [], False)
    news = drafts.checked(PAGE, X, "Check out my new portfolio", [], False)
    assert news.new_draft


def test_an_edit_at_the_start_of_a_draft_keeps_it_the_same_draft(drafts: LiveDrafts) -> None:
    drafts.checked(PAGE, X, PITCH_TEXT, ["PP201"], True)
    assert not drafts.checked(PAGE, X, "Hello there. " + PITCH_TEXT[4:], ["PP201"], True).new_draft


def test_the_same_words_on_another_page_are_another_draft(drafts: LiveDrafts) -> None:
    drafts.checked(PAGE, X, PITCH_TEXT, [], False)
    assert drafts.checked(OTHER_PAGE, X, PITCH_TEXT, [], False).new_draft


def test_a_draft_checked_live_then_sent_is_counted_once(drafts: LiveDrafts) -> None:
    for text in typing(PITCH_TEXT):
        drafts.checked(PAGE, X, text, ["PP201"], True)
    assert drafts.sent(X, PITCH_TEXT, ["PP201", "PP203"], True) == News(False, ("PP203",), False)


def test_a_send_no_live_check_saw_is_a_draft_of_its_own(drafts: LiveDrafts) -> None:
    assert drafts.sent(X, PITCH_TEXT, ["PP201"], True) == News(True, ("PP201",), True)
    assert drafts.sent(X, PITCH_TEXT, ["PP201"], True).new_draft  # sent again: counted again


def test_a_send_from_another_origin_does_not_end_this_pages_draft(drafts: LiveDrafts) -> None:
    drafts.checked(PAGE, X, PITCH_TEXT, [], False)
    assert drafts.sent("https://evil.example", PITCH_TEXT, [], False).new_draft
    assert not drafts.sent(X, PITCH_TEXT, [], False).new_draft


def test_a_check_just_after_the_send_adds_nothing(drafts: LiveDrafts, clock: Clock) -> None:
    drafts.checked(PAGE, X, PITCH_TEXT, ["PP201"], True)
    drafts.sent(X, PITCH_TEXT, ["PP201"], True)
    clock.now += 1
    assert drafts.checked(PAGE, X, PITCH_TEXT, ["PP201"], True) == News(False, (), False)


def test_writing_on_after_a_send_is_a_new_draft(drafts: LiveDrafts, clock: Clock) -> None:
    # Held, then Edit: the text stays in the box and the next send is another attempt.
    drafts.checked(PAGE, X, PITCH_TEXT, ["PP201"], True)
    drafts.sent(X, PITCH_TEXT, ["PP201"], True)
    clock.now += SENT_GRACE_S + 1
    assert drafts.checked(PAGE, X, PITCH_TEXT + " Cheers", ["PP201"], True).new_draft


def test_a_draft_left_idle_for_long_is_over(drafts: LiveDrafts, clock: Clock) -> None:
    drafts.checked(PAGE, X, PITCH_TEXT[:40], [], False)
    clock.now += IDLE_S + 1
    assert drafts.checked(PAGE, X, PITCH_TEXT, [], False).new_draft


def test_remembered_drafts_are_bounded(drafts: LiveDrafts) -> None:
    for n in range(MAX_DRAFTS + 50):
        drafts.checked(f"page{n}", X, PITCH_TEXT, [], False)
    assert len(drafts) == MAX_DRAFTS


def test_only_a_sample_of_a_huge_draft_is_kept(drafts: LiveDrafts) -> None:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        huge = "word " * 20_000  # 100,000 characters, made while traced and dropped below
        drafts.checked(PAGE, X, huge, [], False)
        del huge
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 16_000  # two 256-character ends and the bookkeeping, never the text
    # The sample still recognises the same draft growing.
    assert not drafts.checked(PAGE, X, "word " * 20_000 + "more", [], False).new_draft


def verdict_of(text: str, kind: Kind = "reply") -> Verdict:
    from pullcheck.config import Config
    from pullcheck.engine_factory import build_engine

    return build_engine(Config()).judge(Draft(platform="x", kind=kind, text=text))


def test_the_tally_counts_one_draft_and_one_warning_for_a_dozen_live_warnings(
    tmp_path: Path,
) -> None:
    tally = ProxyTally.in_data_dir(tmp_path)
    verdicts = [(text, verdict_of(text)) for text in typing(PITCH_TEXT)]
    warned = sum(v.reaches("warning") for _, v in verdicts)
    assert warned >= 6  # the point of the test: many live warnings
    for text, verdict in verdicts:
        tally.checked_live(PAGE, X, "x", text, verdict)
    tally.judged("x", verdicts[-1][1], X, PITCH_TEXT)
    summary = tally.stats.summary(days=1)
    tally.close()
    assert (summary.totals["draft_checked"], summary.totals["warning_shown"]) == (1, 1)
    fired = {f.code for _, v in verdicts for f in v.findings}
    assert dict(summary.rules) == dict.fromkeys(fired, 1)


def test_the_tally_still_counts_sends_it_never_saw_typed(tmp_path: Path) -> None:
    tally = ProxyTally.in_data_dir(tmp_path)
    pitch, calm = verdict_of(PITCH_TEXT), verdict_of("Lovely weather for a run today", "post")
    tally.judged("x", pitch, X, PITCH_TEXT)
    tally.judged("x", calm, X, "Lovely weather for a run today")
    summary = tally.stats.summary(days=1)
    tally.close()
    assert (summary.totals["draft_checked"], summary.totals["warning_shown"]) == (2, 1)
