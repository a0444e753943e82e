"""The phrase matcher finds exactly what the plain reference (tests/reference_phrases.py) finds,
on drafts made of the phrases' own words with punctuation, case, numbers, handles and letters
beyond ASCII between them."""

from __future__ import annotations

import reference_phrases
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pullcheck.phrases import Phrasebook, PhraseGroupFile, compile_group, normalise

# Every kind of syntax a phrase can use: choices, optional choices (also two in a row at the
# end), inflection, `=word`, `word*`, `~`, `#` alone and glued, `@handle`, apostrophes,
# punctuation inside or standing for a word.
GROUPS = {
    "cta": [
        "check (out|) (my|our) (channel|site|new video)",
        "(please|) subscribe",
        "like and (subscribe|share)",
        "visit my ~ page",
        # `~` is any token: an automaton edge that any token not listed takes.
        "(i|we) (do|offer) ~ (~|) (audits|ads|new video)",
        "link* in bio",
        "=visit now",
        "reply now",
    ],
    "money": [
        "#% off",
        "# (a|per) month",
        "#p per (msg|day)",
        "only # left",
        "call (now|us|) #",
        "# % rabatt",
        "(with|w/) (the|) code",
    ],
    "social": [
        "guide by @handle",
        "@handle's (guide|post)",
        "i'm looking for",
        "(we've|we have|'ve got) (built|helped) #",
        "15-min (call|chat)",
        "(schön|freut mich) (,|) dass wir",
    ],
    "meaning": [
        "(would|it'd|it would) mean (a lot|the world) (to me|) (if|)",
        "you won",
        "~ channel",
    ],
}

WORDS = sorted(
    {word for phrases in GROUPS.values() for phrase in phrases for word in phrase.split()}
    - {"#", "#%", "#p", "@handle", "@handle's", "~", "=visit", "link*"}
    | {
        word.strip("()")
        for phrases in GROUPS.values()
        for phrase in phrases
        for word in " ".join(phrase.replace("(", " ").replace(")", " ").split("|")).split()
    }
    | {
        "visits",
        "visited",
        "visiting",
        "replied",
        "replies",
        "subscribed",
        "channels",
        "links",
        "linktree",
        "won't",
        "im",
        "I\u2019m",
        "we\u2019ve",
        "'ve",
        "dass",
        "İstanbul",
        "café",
        "straße",
        "\u212aeep",
        "über",
        "guide",
        "5",
        "50",
        "1,000",
        "150p",
        "3.5",
        "12",
        "@ann",
        "@bob's",
        "@",
        "'",
        "x",
        "the",
        "a",
    }
)
WORDS = [word for word in WORDS if word and word not in {"#", "#%", "#p", "~", "|"}]
GAPS = [
    " ",
    " ",
    " ",
    "  ",
    ", ",
    "-",
    "'",
    "!",
    "%",
    " % ",
    "/",
    "@",
    ".",
    ",",
    "\n",
    "\u2014",
    "\u2019",
    " (",
    ") ",
]

# What a drafter may write for the syntax's stand-ins.
STAND_INS = {
    "#": ["5", "50", "1,000", "3.5", "12"],
    "#%": ["50%", "5 %", "1,000%"],
    "#p": ["150p", "15p", "1,5p"],
    "~": ["dubstep", "new", "i'm", "5"],
    "@handle": ["@ann", "@bob_2", "@"],
    "@handle's": ["@ann's", "@anns", "@ann’s"],
    "link*": ["links", "linktree", "link"],
    "=visit": ["visit", "visited"],
}
RUNS = [
    run
    for phrases in GROUPS.values()
    for phrase in phrases
    for run in reference_phrases.spelled_out(phrase)
]

casing = st.sampled_from([str.lower, str.upper, str.title, lambda word: word])
gap = st.sampled_from(GAPS)


@st.composite
def spelled(draw: st.DrawFn) -> list[str]:
    """One run of a phrase's words, each stand-in written as a drafter might, each word
    perhaps inflected or cut."""
    words = []
    for word in draw(st.sampled_from(RUNS)):
        options = STAND_INS.get(word, [word, word + "s", word + "ed", word[:-1] or word])
        words.append(draw(casing)(draw(st.sampled_from(options))))
    return words


@st.composite
def drafts(draw: st.DrawFn) -> str:
    words: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            words.extend(draw(spelled()))
        else:
            words.extend(draw(st.lists(st.sampled_from(WORDS).map(str), max_size=3)))
    return "".join(word + draw(st.sampled_from([" ", " ", " ", " "]) | gap) for word in words)


draft = drafts()


def phrasebook() -> Phrasebook:
    return Phrasebook(
        {
            name: compile_group(PhraseGroupFile(group=name, phrases=phrases))
            for name, phrases in GROUPS.items()
        }
    )


BOOK = phrasebook()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draft)
# "İ" lower-cases to two characters, the second no word character: found by hypothesis.
@example("İstanbul channel ")
def test_the_matcher_finds_what_the_reference_finds(text: str) -> None:
    text = normalise(text)
    found = {
        group: [(hit.start, hit.end) for hit in hits] for group, hits in BOOK.find_all(text).items()
    }
    assert found == reference_phrases.find(GROUPS, text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draft)
def test_a_first_hits_search_finds_the_reference_first_hits(text: str) -> None:
    text = normalise(text)
    first = {
        group: (hits[0].start, hits[0].end)
        for group, hits in BOOK.find_all(text, first_only=True).items()
    }
    expected = {group: hits[0] for group, hits in reference_phrases.find(GROUPS, text).items()}
    assert first == expected


def test_every_hit_is_the_text_at_its_span() -> None:
    text = normalise("Well… CHECK out my Channel!! it\u2019d mean the world if you’d subscribe")
    for hits in BOOK.find_all(text).values():
        for hit in hits:
            assert text[hit.start : hit.end] == hit.text
