"""Phrase matching: case, punctuation, curly quotes, inflections, never inside other words."""

from __future__ import annotations

import re
from itertools import accumulate
from pathlib import Path

import pytest
from pullcheck.phrase_matcher import Offsets, match_ends, merged_alternatives, tokenise
from pullcheck.phrase_syntax import parse_phrase
from pullcheck.phrases import (
    PhraseError,
    PhraseGroupFile,
    compile_group,
    normalise,
)


def group(*phrases: str, patterns: tuple[str, ...] = ()):
    return compile_group(
        PhraseGroupFile(group="test", phrases=list(phrases), patterns=list(patterns))
    )


def texts(found) -> list[str]:
    return [hit.text for hit in found]


def test_matches_regardless_of_case() -> None:
    assert texts(group("check out my").find("CHECK Out My site")) == ["CHECK Out My"]


def test_punctuation_between_words_is_a_gap() -> None:
    assert texts(group("sign up now").find("sign-up, now!")) == ["sign-up, now"]


def test_curly_apostrophe_matches_straight_one() -> None:
    found = group("i'm looking for").find(normalise("I\u2019m looking for a plumber"))
    assert texts(found) == ["I'm looking for"]


def test_apostrophe_is_optional() -> None:
    assert texts(group("i'm looking for").find("im looking for one")) == ["im looking for"]


@pytest.mark.parametrize("text", ["visits my site", "visited my site", "visiting my site"])
def test_simple_inflections_match(text: str) -> None:
    assert group("visit my site").find(text)


def test_y_ending_words_inflect() -> None:
    assert group("reply now").find("replied now")
    assert group("reply now").find("replies now")


def test_never_matches_inside_another_word() -> None:
    g = group("subscribe", "sign up")
    assert g.find("unsubscribe here") == []
    assert g.find("designs up") == []


def test_short_words_are_not_inflected() -> None:
    assert group("hire us").find("hire used cars") == []


def test_optional_choice() -> None:
    g = group("(please|) subscribe")
    assert texts(g.find("please subscribe")) == ["please subscribe"]
    assert texts(g.find("subscribe")) == ["subscribe"]


def test_optional_last_choice() -> None:
    g = group("thanks for the (follow|)")
    assert texts(g.find("thanks for the follow")) == ["thanks for the follow"]


def test_exact_word_marker_switches_off_inflection() -> None:
    assert group("=visit now").find("visited now") == []


def test_raw_pattern_for_prices() -> None:
    g = group("unused phrase", patterns=(r"[$€£] ?\d+",))
    assert texts(g.find("only $49 today")) == ["$49"]


def test_spans_point_into_the_text() -> None:
    text = "Well... Check out my channel!"
    for hit in group("check out my channel").find(text):
        assert text[hit.start : hit.end] == hit.text


@pytest.mark.parametrize("phrase", ["(unclosed", "closed)", "(|)", "(a|(b))", "a(b|c)"])
def test_malformed_phrase_is_an_error(phrase: str) -> None:
    with pytest.raises(PhraseError):
        group(phrase)


def test_group_without_phrases_is_an_error() -> None:
    with pytest.raises(PhraseError):
        group()


def test_number_token_matches_numbers_alone_or_glued() -> None:
    g = group("call #", "#% off", "#p per (msg|day)", "only # left")
    assert texts(g.find("please call 0871918 now")) == ["call 0871918"]
    assert texts(g.find("get 50% off")) == ["50% off"]
    assert texts(g.find("150p per msg")) == ["150p per msg"]
    assert texts(g.find("only 3 left")) == ["only 3 left"]
    assert g.find("call me") == []


def test_any_word_token() -> None:
    g = group("check out my ~ song")
    assert texts(g.find("Check out my dubstep song")) == ["Check out my dubstep song"]
    assert g.find("check out my song") == []


def test_any_word_token_beside_choices_takes_the_longest_match() -> None:
    # `~` next to a listed word: the word may also be what `~` takes ("packages packages").
    g = group("(i|we) (do|offer) ~ (~|) (packages|audits)")
    assert g.index.machine(g.index.phrases[0]) is not None  # searched by its automaton
    assert texts(g.find("We offer SEO packages")) == ["We offer SEO packages"]
    assert texts(g.find("we offer cheap SEO audits today")) == ["we offer cheap SEO audits"]
    assert texts(g.find("we offer packages packages")) == ["we offer packages packages"]
    assert g.find("we offer packages") == []
    assert g.find("we offer three cheap SEO audits") == []


def test_handle_token_matches_any_mention() -> None:
    g = group("guide by @handle", "@handle's guide")
    assert texts(g.find("a guide by @ann_b")) == ["guide by @ann_b"]
    assert texts(g.find("read @ann's guide")) == ["@ann's guide"]


def test_a_phrase_never_ends_before_an_apostrophe() -> None:
    assert group("you won").find("you won't believe it") == []


def test_text_that_changes_length_when_lowered_still_matches() -> None:
    text = "İstanbul: check out my shop"
    found = group("check out my").find(text)
    assert texts(found) == ["check out my"]
    assert text[found[0].start : found[0].end] == "check out my"


@pytest.mark.parametrize(
    "text",
    [
        "YOU CAN WIN $5 TODAY",  # ASCII: the lower-cased, case-sensitive path
        "Wın $5 and W\u0131N $5 today",  # dotless i: IGNORECASE path (it matches "i")
        "\u212aeep calm, win $5 \u2014 Caf\u00e9 d\u00e9j\u00e0",  # Kelvin sign, accents
    ],
)
def test_scanned_patterns_match_as_with_ignorecase(text: str) -> None:
    import re

    pattern = "(?:win|claim) (?:a |the )?[$€] ?\\d"
    expected = [m.group() for m in re.finditer(pattern, text, re.IGNORECASE)]
    assert expected  # the case is meaningful: something matches
    # The built-in pack's patterns stay on `re` (vetted); a user's go to RE2 (test_rule_patterns).
    built_in = compile_group(
        PhraseGroupFile(group="test", phrases=["unrelated words here"], patterns=[pattern]),
        built_in=True,
    )
    assert texts(built_in.find(text)) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        r"[$£] ?\d+",  # a plain opening: the search starts where str.find finds one
        r"&cs? ?apply",
        r"(?:win|won) \d",
        r"k\d",  # cased: IGNORECASE also takes "K" (and the Kelvin sign)
        r"[A-Z]{2}\d",  # an upper-case range matches lower case only with IGNORECASE
        r"(?:^|[^\w-])-\s?\d{1,2}\s?%",  # not run over text without "-" and "%"
        r"(?x) - \d+",  # verbose: its blanks are not characters to find
    ],
)
@pytest.mark.parametrize(
    "text",
    [
        "no money here",
        "it is £5 or $6",
        "x$7 and $ 8",
        "£",
        "99",
        "K9 T&Cs apply WON 5",
        "-20% now, or a -5 % cut",
        "a-5%",
    ],
)
def test_a_pattern_finds_what_its_regex_finds_with_ignorecase(pattern: str, text: str) -> None:
    expected = [match.group() for match in re.finditer(pattern, text, re.IGNORECASE)]
    g = compile_group(
        PhraseGroupFile(group="test", phrases=["unrelated words here"], patterns=[pattern]),
        built_in=True,
    )
    assert texts(g.find(text)) == expected


def test_first_only_search_finds_each_groups_first_hit_of_the_full_search() -> None:
    from pullcheck.rulebook import builtin_pack

    phrasebook = builtin_pack().phrasebook
    text = normalise(
        "Win $5 now! Check out my channel and subscribe. We offer web design from $499. "
        "Check out my site, subscribe, WIN $9 today. Can anyone recommend a plumber? " * 3
    )
    full = phrasebook.find_all(text)
    first = phrasebook.find_all(text, first_only=True)
    assert any(len(hits) > 1 for hits in full.values())  # the text repeats itself
    assert {group: hits[0] for group, hits in full.items()} == {
        group: hits[0] for group, hits in first.items()
    }
    assert all(len(hits) == 1 for hits in first.values())


def test_a_patterns_hit_before_an_indexed_one_is_kept_and_comes_first() -> None:
    from pullcheck.rulebook import builtin_pack

    phrasebook = builtin_pack().phrasebook
    text = "$49 only, billed per month"
    assert texts(phrasebook.find_all(text)["pricing"]) == ["$49", "per month"]
    assert texts(phrasebook.find_all(text, first_only=True)["pricing"]) == ["$49"]
    # Of two hits that overlap, the one that starts first stays ("49 per month" goes, and the
    # "per month" inside it is a hit of its own).
    assert texts(phrasebook.find_all("only $49 per month")["pricing"]) == ["$49", "per month"]
    assert texts(phrasebook.find_all("per month, only $49")["pricing"]) == ["per month", "$49"]


def test_the_config_watcher_builds_the_index_before_the_proxy_judges(tmp_path: Path) -> None:
    from pullcheck.config_watch import ConfigWatcher

    watcher = ConfigWatcher(tmp_path / "absent.yaml")
    book = watcher.engine.pack.phrasebook
    assert texts(book.find_all("Go and check out my channel")["call-to-action"]) == [
        "check out my channel"
    ]


def test_one_word_choices_merged_into_one_set_reach_the_same_ends() -> None:
    pieces = parse_phrase("(i|we) (do|offer) ~ (~|) (audits|ads|new video)")
    merged = merged_alternatives(pieces)
    assert len(merged[-1][0]) == 2  # "audits" and "ads" as one word, "new video" kept
    for text in ("we offer seo audits", "i do ads", "we do a new video", "we do nothing here"):
        cut = tokenise(text)
        assert set(match_ends(merged, cut, 0, None)) == set(match_ends(pieces, cut, 0, None))


def test_offsets_are_summed_on_demand_to_where_each_part_ends() -> None:
    parts = tokenise("  Hello, big world! " * 50).parts
    offsets = Offsets(parts)
    expected = list(accumulate(map(len, parts)))
    for part in (3, 0, 150, 7, len(parts) - 1):
        assert offsets.end_of(part) == expected[part]
