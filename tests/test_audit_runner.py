"""Judging an archive: history as of each item, processes agree with a one-by-one replay,
progress on stderr."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pullcheck.audit.items import Archive, ArchiveItem
from pullcheck.audit.progress import Progress
from pullcheck.audit.runner import engine_for_audit, run_audit
from pullcheck.config import load_config
from pullcheck.models import Kind

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
BLAST = "Hi! Grab our spring catalogue at https://acme.example/spring"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory):
    return load_config(tmp_path_factory.mktemp("cfg") / "absent.yaml", missing_ok=True)


def _dm(n: int, text: str, minutes: int) -> ArchiveItem:
    return ArchiveItem(
        platform="x",
        kind="dm",
        text=text,
        when=START + timedelta(minutes=minutes),
        item_id=f"dm{n}",
        recipients=[f"person{n}"],
        prior_conversation=False,
    )


def _archive(items: list[ArchiveItem]) -> Archive:
    archive = Archive("x", "memory", "acme", items)
    archive.sort_by_time()
    return archive


def test_link_blast_counts_only_what_was_sent_before(config) -> None:
    archive = _archive([_dm(n, BLAST, n) for n in range(8)])
    summary = run_audit(archive, engine_for_audit(config), workers=1)
    # PP301 fires once five people (this one included) got the same link message.
    assert summary.rules["PP301"].count == 4
    [example] = summary.worst()
    assert example.times == 8


def test_sends_outside_the_window_do_not_count(config) -> None:
    archive = _archive([_dm(n, BLAST, n * 60 * 25) for n in range(8)])  # one a day, 25 h apart
    summary = run_audit(archive, engine_for_audit(config), workers=1)
    assert "PP301" not in summary.rules


def _mixed(count: int) -> Archive:
    texts = [
        BLAST,
        "Congrats on the launch, looks great",
        "Check out my new portfolio https://acme.example and follow me!",
        "Thanks for following! Visit https://acme.example for 10% off",
    ]
    items = []
    for n in range(count):
        kind: Kind = ("post", "reply", "dm")[n % 3]
        items.append(
            ArchiveItem(
                platform="x",
                kind=kind,
                text=texts[n % len(texts)],
                when=START + timedelta(minutes=7 * n),
                item_id=str(n),
                reply_to_id="9" if kind == "reply" else None,
                reply_to_author=f"user{n % 11}" if kind == "reply" else None,
                recipients=[f"user{n % 13}"] if kind == "dm" else [],
            )
        )
    return _archive(items)


def test_processes_agree_with_a_one_by_one_replay(config) -> None:
    one = run_audit(_mixed(600), engine_for_audit(config), workers=1).to_dict()
    two = run_audit(_mixed(600), engine_for_audit(config), workers=2).to_dict()
    for summary in (one, two):
        summary.pop("elapsed_s")
    assert one["rules"]
    assert one["push"] > 0
    assert two == one


def test_progress_on_a_plain_stream_is_a_few_lines() -> None:
    stream = io.StringIO()
    progress = Progress(5000, "items", stream, min_total=2000)
    for _ in range(5000):
        progress.advance()
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[-1].startswith("audit: 100% 5,000/5,000 items")
    assert "\r" not in stream.getvalue()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_redraws_one_bar() -> None:
    stream = _Terminal()
    progress = Progress(3000, "items", stream, min_total=2000)
    progress.advance(3000)
    progress.close()
    assert stream.getvalue().startswith("\r[")
    assert stream.getvalue().endswith("\n")
    assert "100% 3,000/3,000 items" in stream.getvalue()


def test_short_archives_show_no_progress(tmp_path: Path) -> None:
    stream = _Terminal()
    progress = Progress(100, "items", stream)
    progress.advance(100)
    progress.close()
    assert stream.getvalue() == ""


def test_pull_findings_are_counted_apart_from_the_rules_that_fire() -> None:
    from pullcheck.audit.report import render_report
    from pullcheck.audit.summary import AuditSummary
    from pullcheck.engine import Engine
    from pullcheck.rulebook import builtin_pack

    engine = Engine(builtin_pack())
    summary = AuditSummary(platform="x", source="test", owner=None)
    items = [
        ArchiveItem("x", "reply", "Thanks for sharing, what do you think about the second one?"),
        ArchiveItem("x", "reply", "We offer web design from $499, hire us"),
    ]
    for item in items:
        verdict = engine.judge(item.to_draft())
        summary.add(item, verdict)
    assert summary.pull == 1
    assert "PP501" not in {rule.code for rule in summary.top_rules()}
    assert "PP201" in {rule.code for rule in summary.top_rules()}
    assert summary.to_dict()["pull"] == 1
    assert "Pull showed in 1 item " in render_report(summary).replace("\n", " ")
