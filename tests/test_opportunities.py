"""Pull opportunities: posts that ask for help and ask for what the user offers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from pullcheck.builtin_ask import asks_for_help
from pullcheck.cli import main
from pullcheck.opportunities import (
    FILENAME,
    OfferMatcher,
    Opportunity,
    OpportunityLog,
    spot,
    stem,
)
from pullcheck.sites.wire import SeenPost

OFFER = ["widgets in Albania", "bookkeeping for small businesses"]


def _post(text: str, post_id: str = "1") -> SeenPost:
    return SeenPost(post_id, "x", "jordan", text)


@pytest.mark.parametrize(
    ("words", "stemmed"),
    [
        (["bookkeeping", "bookkeeper", "bookkeepers"], "bookkeep"),
        (["business", "businesses"], "business"),
        (["widget", "widgets"], "widget"),
        (["bakery", "bakeries"], "bakery"),
    ],
)
def test_stemming_brings_word_forms_together(words: list[str], stemmed: str) -> None:
    assert {stem(word) for word in words} == {stemmed}


def test_asks_plus_offer_is_an_opportunity() -> None:
    found = spot(
        [_post("I'm looking for a widget seller in Albania, any tips?")],
        OfferMatcher(OFFER),
        asks_for_help,
    )
    assert [(o.post_id, o.phrase, o.author) for o in found] == [
        ("1", "widgets in Albania", "jordan")
    ]


def test_word_order_and_forms_do_not_matter() -> None:
    found = spot(
        [_post("Can anyone recommend a bookkeeper? Our business is small")],
        OfferMatcher(OFFER),
        asks_for_help,
    )
    assert [o.phrase for o in found] == ["bookkeeping for small businesses"]


def test_asking_for_something_else_is_none() -> None:
    assert (
        spot(
            [_post("Can anyone recommend a good bakery in Tirana?")],
            OfferMatcher(OFFER),
            asks_for_help,
        )
        == []
    )


def test_offer_words_without_an_ask_are_none() -> None:
    assert (
        spot(
            [_post("We ship widgets all over Albania, proud of our team")],
            OfferMatcher(OFFER),
            asks_for_help,
        )
        == []
    )


def test_half_an_offer_is_not_enough() -> None:
    # "small business" alone does not ask for bookkeeping.
    assert (
        spot(
            [_post("Small business owners, can anyone recommend a coffee machine?")],
            OfferMatcher(OFFER),
            asks_for_help,
        )
        == []
    )


def test_no_offer_configured_means_no_opportunities() -> None:
    assert (
        spot([_post("I'm looking for a widget seller in Albania")], OfferMatcher([]), asks_for_help)
        == []
    )


def test_log_keeps_no_text_on_disk_and_counts_a_post_once(tmp_path: Path) -> None:
    log = OpportunityLog.in_data_dir(tmp_path)
    text = "I'm looking for a widget seller in Albania"
    [found] = spot([_post(text, "42")], OfferMatcher(OFFER), asks_for_help)
    assert log.add(found) is True
    assert log.add(found) is False
    assert log.recent()[0].text == text  # in memory, for the banner
    [listed] = log.listed()
    assert (listed.post_id, listed.text) == ("42", "")
    log.close()
    dump = "\n".join(sqlite3.connect(tmp_path / FILENAME).iterdump())
    assert "widget seller" not in dump
    assert "widgets in Albania" in dump


def test_dismissed_ones_are_not_listed(tmp_path: Path) -> None:
    log = OpportunityLog.in_data_dir(tmp_path)
    [found] = spot(
        [_post("I'm looking for a widget seller in Albania", "42")],
        OfferMatcher(OFFER),
        asks_for_help,
    )
    log.add(found)
    assert log.dismiss("x", "42") is True
    assert log.listed() == []
    assert log.recent() == []
    assert [o.post_id for o in log.listed(include_dismissed=True)] == ["42"]
    log.close()


def test_opportunities_command_lists_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path))
    config = tmp_path / "config.yaml"
    config.write_text('offer:\n  - "widgets in Albania"\n')
    log = OpportunityLog.in_data_dir(tmp_path)
    log.add(
        spot(
            [_post("I'm looking for a widget seller in Albania", "42")],
            OfferMatcher(OFFER),
            asks_for_help,
        )[0]
    )
    log.close()
    assert main(["opportunities", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["post_id"] == "42"
    assert main(["opportunities", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "1 opportunities" in out
    assert "asks for: widgets in Albania" in out


def _opportunity(n: int, when: float) -> Opportunity:
    return Opportunity(str(n), "x", "someone", when, "widgets in Albania")


def test_a_day_keeps_at_most_max_per_day_new_opportunities(tmp_path: Path, caplog) -> None:
    log = OpportunityLog(tmp_path / FILENAME, max_per_day=5, max_rows=100)
    day = 1_780_000_000.0 - 1_780_000_000.0 % 86400
    with caplog.at_level("WARNING", logger="pullcheck"):
        added = [log.add(_opportunity(n, day + n)) for n in range(8)]
    assert added == [True] * 5 + [False] * 3
    assert len(log.listed()) == 5
    assert len([r for r in caplog.records if "most kept in a day" in r.getMessage()]) == 1
    assert log.add(_opportunity(99, day + 86400 + 1)) is True  # a new day, new room
    log.close()


def test_the_log_keeps_at_most_max_rows_dropping_the_oldest(tmp_path: Path) -> None:
    log = OpportunityLog(tmp_path / FILENAME, max_per_day=1000, max_rows=10)
    for n in range(25):
        log.add(_opportunity(n, 1_780_000_000.0 + n))
    assert len(log) == 10
    assert sorted(int(o.post_id) for o in log.listed()) == list(range(15, 25))
    log.close()
    reopened = OpportunityLog(tmp_path / FILENAME, max_per_day=1000, max_rows=10)
    assert len(reopened) == 10
    reopened.close()
