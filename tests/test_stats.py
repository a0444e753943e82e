"""Your own numbers: the counting store, the terminal view and the dashboard page."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pullcheck.cli import main
from pullcheck.dashboard import render_dashboard
from pullcheck.stats import FILENAME, StatsStore, read_summary

DAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StatsStore]:
    opened = StatsStore.in_data_dir(tmp_path)
    yield opened
    opened.close()


def _session(store: StatsStore) -> None:
    for _ in range(5):
        store.count("draft_checked", "x", when=DAY)
    store.count("draft_checked", "x", rules=["PP201", "PP105"], when=DAY)
    store.count("draft_checked", "mastodon", rules=["PP201"], when=DAY)
    store.count("warning_shown", "x", when=DAY)
    for event in ("hold", "hold", "hold", "edited", "edited", "sent_anyway", "timed_out"):
        store.count(event, "x", when=DAY)
    store.count("notpush", "mastodon", when=DAY)


def test_counts_add_up_per_event_platform_and_rule(store: StatsStore) -> None:
    _session(store)
    summary = store.summary(days=7, today=DAY.date())
    assert summary.totals["draft_checked"] == 7
    assert summary.by_platform["x"]["draft_checked"] == 6
    assert summary.by_platform["mastodon"]["notpush"] == 1
    assert summary.rules == {"PP201": 2, "PP105": 1}
    assert summary.by_day[DAY.date()]["hold"] == 3


def test_headline_is_the_share_of_decided_holds_that_were_revised(store: StatsStore) -> None:
    _session(store)
    summary = store.summary(days=7, today=DAY.date())
    # 2 edited, 1 sent anyway; the hold that timed out was nobody's decision.
    assert summary.revised_share == pytest.approx(2 / 3)


def test_no_decision_means_no_headline_share(store: StatsStore) -> None:
    store.count("draft_checked", "x", when=DAY)
    assert store.summary(today=DAY.date()).revised_share is None


def test_days_outside_the_window_are_left_out(store: StatsStore) -> None:
    store.count("draft_checked", "x", when=datetime(2026, 10, 1, tzinfo=UTC))
    store.count("draft_checked", "x", when=DAY)
    assert store.summary(days=7, today=DAY.date()).totals["draft_checked"] == 1
    assert store.summary(days=60, today=DAY.date()).totals["draft_checked"] == 2


def test_rule_codes_keep_their_names(store: StatsStore) -> None:
    store.count(
        "draft_checked", "x", rules=["PP201"], when=DAY, names={"PP201": "unsolicited-pitch-reply"}
    )
    summary = store.summary(days=1, today=DAY.date())
    assert summary.rule_label("PP201") == "PP201 unsolicited-pitch-reply"
    assert summary.rule_label("PP999") == "PP999"
    assert "unsolicited-pitch-reply" in render_dashboard(summary)


def test_unknown_event_is_refused(store: StatsStore) -> None:
    with pytest.raises(ValueError, match="unknown stats event 'typed'"):
        store.count("typed", "x")


def test_the_file_holds_numbers_and_names_only(store: StatsStore, tmp_path: Path) -> None:
    _session(store)
    columns = [
        row[1] for row in sqlite3.connect(tmp_path / FILENAME).execute("PRAGMA table_info(counts)")
    ]
    assert columns == ["day", "platform", "event", "rule", "count"]


def test_reading_without_a_stats_file_creates_none(tmp_path: Path) -> None:
    summary = read_summary(tmp_path, days=7, today=date(2026, 11, 20))
    assert summary.totals["draft_checked"] == 0
    assert summary.first_day == date(2026, 11, 14)
    assert not (tmp_path / FILENAME).exists()


def test_stats_command_prints_the_figures(
    store: StatsStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    today = datetime.now(UTC)
    store.count("draft_checked", "x", rules=["PP201"], when=today)
    store.count("hold", "x", when=today)
    store.count("edited", "x", when=today)
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path))
    assert main(["stats", "--days", "3", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["totals"]["edited"] == 1
    assert figures["revised_share"] == 1.0
    assert figures["rules"] == {"PP201": 1}
    assert main(["stats"]) == 0
    text = capsys.readouterr().out
    assert "Held posts revised: 100% (1 edited, 0 sent anyway)" in text
    assert re.search(r"drafts checked\s+1\n", text)


def test_stats_command_refuses_a_bad_window(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--days", "0"]) == 2
    assert "not between 1 and 3660" in capsys.readouterr().err


def test_dashboard_shows_the_figures_without_any_script(store: StatsStore) -> None:
    _session(store)
    page = render_dashboard(store.summary(days=7, today=DAY.date()))
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', page))
    assert figures["revised_share"] == "67%"
    assert figures["draft_checked"] == "7"
    assert figures["notpush"] == "1"
    assert figures["timed_out"] == "1"
    assert "<script" not in page
    assert "<style" not in page
    assert '<link rel="stylesheet" href="/dashboard.css">' in page


def test_days_older_than_the_longest_span_shown_are_dropped(tmp_path: Path) -> None:
    store = StatsStore(tmp_path / FILENAME)
    store.count("draft_checked", "x", when=datetime(2000, 1, 1, tzinfo=UTC))
    store.count("draft_checked", "x", when=datetime.now(UTC))
    store.close()
    StatsStore(tmp_path / FILENAME).close()  # opening it drops the old days from the file
    with closing(sqlite3.connect(tmp_path / FILENAME)) as db:
        days = [row[0] for row in db.execute("SELECT DISTINCT day FROM counts")]
    assert days == [datetime.now(UTC).date().isoformat()]
