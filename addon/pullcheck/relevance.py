"""Does the parent's ask excuse this draft? The parent's ask, read against the draft.

A parent that asks ("any tips for a 10 week old puppy?") excuses an answer, not any pitch: a
draft that pitches (its offer, capability, prices or shop links) is solicited only when what it
offers meets what was asked (`pullcheck.topics`), and when the ask was not addressed to another
account (a competitor answering someone's complaint to their bank is push). A draft written by
the account the parent addressed is that account answering its own customer: solicited
whatever it says.
"""

from __future__ import annotations

from typing import NamedTuple

from pullcheck.features import Ask, Features
from pullcheck.models import Draft
from pullcheck.topics import Subject, TopicLexicon, subject_of, without_audience

# Signals that make a draft a pitch whose subject must meet the ask's.
# Pointing at one's own work ("I made a video about exactly this") is how askers get answers,
# and a price alone is often the answer ("the fee is $75"): neither makes a pitch here.
PITCH_SIGNALS = ("offer", "capability", "commercial-terms", "prize-bait", "promo-link")
# Wording that leaves the parent's subject for the writer's own ("unrelated, but ...").
CHANGE_OF_SUBJECT = "change-of-subject"
# "Disclosure: I work at Canopy": an answer to an ask that names its own bias is an answer.
DISCLOSURE = "disclosure"
SENTENCE_ENDS = (". ", "! ", "? ", "\n", " — ", " – ", " - ", "!!", "??")
QUOTED_WORDS = 7


class Parent(NamedTuple):
    """What is known of the post a draft answers, worked out once per parent text."""

    ask: Ask
    # None when there is no parent text.
    features: Features | None
    # What it asks about; None unless it asks.
    subject: Subject | None


def local_part(handle: str) -> str:
    """`acme` for `@acme`, `acme@fosstodon.org` and `ACME`."""
    return handle.strip().lstrip("@").split("@", 1)[0].lower()


def addressed_by_parent(draft: Draft, parent_features: Features | None) -> set[str]:
    """Whom the parent addressed: the accounts it @mentions and the one it replied to."""
    if draft.reply_to is None:
        return set()
    people = {local_part(name) for name in draft.reply_to.addressed if name.strip()}
    if parent_features is not None:
        people |= {local_part(mention.handle) for mention in parent_features.mentions}
    people.discard("")
    return people


def pitch_spans(features: Features) -> list[tuple[int, int]]:
    return [features.signals[name] for name in PITCH_SIGNALS if name in features.signals]


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence (or dash-separated clause) holding text[start:end]."""
    left = max(
        (
            text.rfind(mark, 0, start) + len(mark)
            for mark in SENTENCE_ENDS
            if text.rfind(mark, 0, start) >= 0
        ),
        default=0,
    )
    right = min(
        (at for at in (text.find(mark, end) for mark in SENTENCE_ENDS) if at >= 0),
        default=len(text),
    )
    return text[left:right].strip()


def _quote(text: str) -> str:
    words = text.split()
    shown = " ".join(words[:QUOTED_WORDS])
    return f"“{shown}{'…' if len(words) > QUOTED_WORDS else ''}”"


def _describe(subject: Subject, fallback: str) -> str:
    if subject.topics:
        return " and ".join(sorted(subject.topics))
    return _quote(fallback)


def answer_for(
    draft: Draft,
    features: Features,
    parent: Parent,
    lexicon: TopicLexicon,
    me: str | None,
    offer: tuple[str, ...] = (),
) -> Ask:
    """The parent's ask as it bears on this draft: yes, no, unknown, or other (with why)."""
    parent_ask, parent_features = parent.ask, parent.features
    addressed = addressed_by_parent(draft, parent_features)
    writer = local_part(me) if me else ""
    if writer and writer in addressed:
        return Ask("yes", f"they wrote to @{writer}")
    if parent_ask.answer != "yes":
        return parent_ask
    spans = pitch_spans(features)
    if not spans:
        return parent_ask
    if writer and addressed:
        others = ", ".join(f"@{name}" for name in sorted(addressed))
        return Ask(
            "other",
            parent_ask.evidence,
            f"They wrote to {others}, not to you; this pitches your own offer.",
        )
    text = features.text
    pitch = " ".join(dict.fromkeys(sentence_around(text, start, end) for start, end in spans))
    offered = subject_of(without_audience(pitch), lexicon, offer)
    parent_text = parent_features.text if parent_features is not None else ""
    asked = parent.subject if parent.subject is not None else subject_of(parent_text, lexicon)
    switched = CHANGE_OF_SUBJECT in features.signals
    if DISCLOSURE in features.signals and not switched:
        return parent_ask
    if not switched and (offered.meets(asked) or not offered.stems):
        # (An offer that names nothing, "hire us", cannot be told off-topic.)
        return parent_ask
    asked_words = (
        sentence_around(parent_text, *_evidence_span(parent_text, parent_ask.evidence))
        or parent_text
    )
    return Ask(
        "other",
        parent_ask.evidence,
        f"They asked about {_describe(asked, asked_words)}; "
        f"this offers {_describe(offered, pitch)}.",
    )


def _evidence_span(text: str, evidence: str | None) -> tuple[int, int]:
    if evidence:
        at = text.lower().find(evidence.lower())
        if at >= 0:
            return at, at + len(evidence)
    return 0, 0
