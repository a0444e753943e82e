"""Properties: feature extraction never raises on any Unicode, and every span is in the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pullcheck.engine import Engine
from pullcheck.features import ask_of, extract
from pullcheck.models import Draft, ReplyTarget
from pullcheck.rulebook import builtin_pack
from pullcheck.signature import link_domains, similarity_signature

PACK = builtin_pack()
ENGINE = Engine(PACK)
# Text with the characters that matter to the extractors mixed in, so links, mentions and
# phrases actually occur in generated drafts.
LIKELY = st.sampled_from(
    ["@", ".", "/", "http://", "www.", ".com", "check out my ", "!!!", "’", "$5", "subscribe "]
)
TEXT = st.lists(st.one_of(st.text(), LIKELY), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_extraction_never_raises_and_spans_lie_inside(text: str) -> None:
    found = extract(text, PACK.phrasebook)
    for start, end in found.signals.values():
        assert 0 <= start <= end <= len(text)
    for hits in found.hits.values():
        for hit in hits:
            assert 0 <= hit.start < hit.end <= len(text)
            assert text[hit.start : hit.end].casefold() == hit.text.casefold()
    for link in found.links:
        assert 0 <= link.start < link.end <= len(text)
    for mention in found.mentions:
        assert 0 <= mention.start < mention.end <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_asks_signature_and_domains_never_raise(text: str) -> None:
    assert ask_of(text, PACK.phrasebook).answer in {"yes", "no", "unknown"}
    assert 0 <= similarity_signature(text) < 2**64
    assert isinstance(link_domains(text), list)


@settings(max_examples=200, deadline=None)
@given(
    TEXT,
    st.sampled_from(["post", "reply", "quote", "dm", "comment", "connect-note"]),
    st.one_of(st.none(), TEXT),
    st.booleans(),
)
def test_judge_never_raises_and_finding_spans_lie_inside(
    text: str, kind: str, parent: str | None, readable: bool
) -> None:
    draft = Draft(
        kind=kind,  # type: ignore[arg-type]
        text=text,
        text_available=readable,
        reply_to=ReplyTarget(text=parent) if parent is not None else None,
    )
    verdict = ENGINE.judge(draft)
    assert 0 <= verdict.score <= 100
    for finding in verdict.findings:
        if finding.span is not None:
            assert 0 <= finding.span[0] <= finding.span[1] <= len(text)


# Capitals, small letters and other characters in varying shares, so that the quick counts
# and the exact one are both reached.
CASED = st.lists(
    st.sampled_from(["A", "B", "Q", "a", "z", " ", "1", "!", ",", "AB", "XYZ", "\n", "É", "é"]),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(CASED)
def test_shouting_is_most_letters_in_runs_of_capitals(text: str) -> None:
    found = extract(text, PACK.phrasebook)
    expected = found.letters >= 12 and found.capitals >= 0.7 * found.letters
    assert found.has("shouting") is expected
