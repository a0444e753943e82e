"""`pullcheck run`'s option checks (in-process, with mitmproxy's taddons) and `pullcheck forget`.

The process-level start of `pullcheck run` is in tests/test_commands_smoke.py."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest
from mitmproxy import exceptions
from mitmproxy.test import taddons
from pullcheck.cli import main
from pullcheck.commands.run import add_configured
from pullcheck.history import SentRecord
from pullcheck.opportunities import Opportunity, OpportunityLog
from pullcheck.proxy.addon import PullcheckAddon
from pullcheck.sentlog import FILE_NAME, SqliteSentLog
from pullcheck.stats import StatsStore, read_summary


def configured(tmp_path: Path, *specs: str) -> tuple[str, float | None]:
    """Add a pullcheck add-on to a test master the way `pullcheck run` adds it, with `specs`
    (KEY=VALUE, as after --set) applied and its data in tmp_path; the mode and hold timeout it
    ends up with."""

    async def scenario() -> tuple[str, float | None]:
        addon = PullcheckAddon()
        with taddons.context() as tctx:
            try:
                add_configured(
                    tctx.master, addon, [f"pullcheck_data_dir={tmp_path / 'data'}", *specs]
                )
                assert tctx.master.addons.get("pullcheckaddon") is addon
                assert addon.state is not None
                assert addon.spec is not None
                return addon.state.mode, addon.spec.hold_timeout_s
            finally:
                addon.done()

    return asyncio.run(scenario())


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's own config and data out of every test."""
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "no-config.yaml"))
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))


def test_run_adds_the_addon_configured_by_its_flags(tmp_path: Path) -> None:
    flags = ("pullcheck_mode=hold", "pullcheck_hold_timeout=30")
    assert configured(tmp_path, *flags) == ("hold", 30.0)


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("pullcheck_hold_timeout=abc", "--set pullcheck_hold_timeout=abc"),
        ("pullcheck_mode=loud", "pullcheck_mode: 'loud'"),
        ("pullcheck_colour=blue", "--set pullcheck_colour=blue"),
    ],
)
def test_run_refuses_a_bad_setting_naming_it(tmp_path: Path, setting: str, named: str) -> None:
    # mitmdump -s skips the script silently here (mitmproxy #8013); pullcheck run stops.
    with pytest.raises(exceptions.OptionsError) as refused:
        configured(tmp_path, setting)
    assert named in str(refused.value)


def test_run_refuses_an_invalid_config_naming_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("mode: warn\nsites:\n  twitter: {enabled: true}\n")
    with pytest.raises(exceptions.OptionsError, match=f"{bad}:3"):
        configured(tmp_path, f"pullcheck_config={bad}")


def test_run_refuses_a_set_without_an_equals_sign(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--set", "pullcheck_mode"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def fill(path: Path, count: int) -> None:
    log = SqliteSentLog(path)
    for i in range(count):
        log.record(SentRecord(time.time(), "x", "dm", (f"r{i}",), ("acme.example",), i))
    log.close()


def test_forget_with_yes_wipes_the_sent_log(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path))
    fill(tmp_path / FILE_NAME, 3)
    assert main(["forget", "--yes"]) == 0
    assert "wiped 3 record(s)" in capsys.readouterr().out
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 0


def test_forget_without_a_terminal_asks_for_yes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - closed by pytest
    fill(tmp_path / FILE_NAME, 2)
    assert main(["forget"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 2


def test_forget_with_nothing_logged_is_fine(tmp_path, capsys):
    assert main(["forget", "--yes", "--data-dir", str(tmp_path / "empty")]) == 0
    assert "nothing to forget" in capsys.readouterr().out
    assert not (tmp_path / "empty").exists()


def test_a_running_log_sees_a_forget_from_another_process(tmp_path):
    running = SqliteSentLog(tmp_path / FILE_NAME)
    running.record(SentRecord(time.time(), "x", "dm", ("alice",), (), 7))
    assert running.recipients_of_similar("x", 7, 0, 0) == {"alice"}
    assert main(["forget", "--yes", "--data-dir", str(tmp_path)]) == 0
    assert running.recipients_of_similar("x", 7, 0, 0) == set()


def fill_everything(folder: Path) -> None:
    fill(folder / FILE_NAME, 2)
    stats = StatsStore.in_data_dir(folder)
    stats.count("draft_checked", "x", ["PP201"])
    stats.close()
    opportunities = OpportunityLog.in_data_dir(folder)
    opportunities.add(Opportunity("42", "x", "ann", time.time(), "widget repair", "my widget"))
    opportunities.close()
    (folder / "audit.jsonl").write_text('{"text": "a draft"}\n')
    (folder / "audit.jsonl.1").write_text('{"text": "an older draft"}\n')  # rotated out
    (folder / "notpush.yaml").write_text("- {recipient: '@dana'}\n")


def test_forget_without_all_keeps_the_numbers_and_the_rest(tmp_path, capsys):
    fill_everything(tmp_path)
    assert main(["forget", "--yes", "--data-dir", str(tmp_path)]) == 0
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 0
    assert read_summary(tmp_path).totals["draft_checked"] == 1
    assert (tmp_path / "audit.jsonl").exists()


def test_forget_all_wipes_everything_pullcheck_keeps_but_the_not_push_setting(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "no-config.yaml"))
    fill_everything(tmp_path)
    assert main(["forget", "--all", "--yes", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for label in (
        "sent log: wiped 2 record(s)",
        "your numbers: wiped",
        "pull opportunities: wiped",
        "audit log: deleted",
    ):
        assert label in out
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 0
    assert read_summary(tmp_path).totals["draft_checked"] == 0
    assert OpportunityLog.in_data_dir(tmp_path).listed() == []
    assert not (tmp_path / "audit.jsonl").exists()
    assert not (tmp_path / "audit.jsonl.1").exists()
    assert (tmp_path / "notpush.yaml").exists()


def test_forget_all_finds_the_audit_log_the_config_names(tmp_path, capsys):
    audit = tmp_path / "elsewhere" / "drafts.jsonl"
    audit.parent.mkdir()
    audit.write_text('{"text": "a draft"}\n')
    config = tmp_path / "config.yaml"
    config.write_text(f"audit_log:\n  enabled: true\n  path: {audit}\n")
    data = tmp_path / "data"
    assert main(["forget", "--all", "--yes", "--data-dir", str(data), "--config", str(config)]) == 0
    assert not audit.exists()
    assert not data.exists()


def test_forget_all_with_an_invalid_config_wipes_nothing(tmp_path, capsys):
    fill_everything(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("audit_log: {enabled: maybe}\n")
    assert (
        main(["forget", "--all", "--yes", "--data-dir", str(tmp_path), "--config", str(bad)]) == 2
    )
    assert f"{bad}:1" in capsys.readouterr().err
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 2
