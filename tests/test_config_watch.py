"""Hot reload: a good edit is applied, a bad one is reported once and the last good one kept."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from pullcheck.config import Config, ConfigError
from pullcheck.config_watch import ConfigWatcher
from pullcheck.history import InMemorySentHistory
from pullcheck.pack_cache import pack_rules, rule_pack


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "default-config.yaml"))


_bumps = iter(range(1, 1_000_000))


def edit(path: Path, text: str) -> None:
    """Write `text` and move the mtime forward, as a save a second later would."""
    path.write_text(text, encoding="utf-8")
    later = path.stat().st_mtime_ns + next(_bumps) * 1_000_000_000
    os.utime(path, ns=(later, later))


class Recorder:
    def __init__(self) -> None:
        self.changes: list[tuple[Config, object]] = []
        self.errors: list[ConfigError] = []

    def on_change(self, config: Config, engine: object) -> None:
        self.changes.append((config, engine))

    def on_error(self, error: ConfigError) -> None:
        self.errors.append(error)


def watcher_for(path: Path, recorder: Recorder) -> ConfigWatcher:
    return ConfigWatcher(path, on_change=recorder.on_change, on_error=recorder.on_error)


def test_nothing_changed_means_no_reload(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    edit(path, "mode: warn\n")
    recorder = Recorder()
    watcher = watcher_for(path, recorder)
    assert watcher.poll() is False
    edit(path, "mode: warn\n")  # saved again, same bytes
    assert watcher.poll() is False
    assert recorder.changes == []
    assert recorder.errors == []


def test_good_edit_bad_edit_then_fixed_edit(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    edit(path, "mode: warn\n")
    recorder = Recorder()
    history = InMemorySentHistory()
    watcher = ConfigWatcher(
        path, on_change=recorder.on_change, on_error=recorder.on_error, history=history
    )
    first_engine = watcher.engine

    edit(path, "mode: hold\nhold_at: error\n")
    assert watcher.poll() is True
    assert (watcher.current.mode, watcher.current.hold_at) == ("hold", "error")
    assert watcher.engine is not first_engine
    assert recorder.changes[-1][1] is watcher.engine
    good_engine = watcher.engine

    edit(path, "mode: hold\nhold_at: sometimes\n")
    assert watcher.poll() is False
    assert watcher.current.hold_at == "error"
    assert watcher.engine is good_engine
    assert len(recorder.errors) == 1
    assert (recorder.errors[0].line, recorder.errors[0].key) == (2, "hold_at")
    assert watcher.error is recorder.errors[0]
    assert watcher.poll() is False
    assert len(recorder.errors) == 1

    edit(path, "mode: off\n")
    assert watcher.poll() is True
    assert watcher.current.mode == "off"
    assert watcher.error is None
    assert len(recorder.changes) == 2
    assert len(recorder.errors) == 1


def test_a_yaml_syntax_error_keeps_the_last_good(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    edit(path, "mode: hold\n")
    recorder = Recorder()
    watcher = watcher_for(path, recorder)
    edit(path, "mode: [warn\n")
    assert watcher.poll() is False
    assert watcher.current.mode == "hold"
    assert "YAML syntax error" in str(recorder.errors[0])


def test_rule_override_edit_reaches_the_new_engine(tmp_path: Path) -> None:
    code = sorted(pack_rules(rule_pack(Config())))[0]
    path = tmp_path / "c.yaml"
    edit(path, "mode: warn\n")
    watcher = watcher_for(path, Recorder())
    assert code not in watcher.engine.settings.disabled
    edit(path, f"rules:\n  {code}: off\n")
    assert watcher.poll() is True
    assert code in watcher.engine.settings.disabled


def test_an_edit_to_an_included_file_is_noticed(tmp_path: Path) -> None:
    included = tmp_path / "team.yaml"
    edit(included, "hold_at: info\n")
    path = tmp_path / "c.yaml"
    edit(path, "include: [team.yaml]\n")
    watcher = watcher_for(path, Recorder())
    assert watcher.current.hold_at == "info"
    edit(included, "hold_at: error\n")
    assert watcher.poll() is True
    assert watcher.current.hold_at == "error"


@pytest.mark.timeout(20)
def test_an_include_of_a_fifo_is_refused_and_the_last_good_config_stays(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    edit(path, "mode: hold\n")
    recorder = Recorder()
    watcher = watcher_for(path, recorder)
    os.mkfifo(tmp_path / "pipe.yaml")
    edit(path, "mode: warn\ninclude: [pipe.yaml]\n")
    assert watcher.poll() is False  # returns: nothing opened the FIFO
    assert watcher.current.mode == "hold"
    assert (recorder.errors[0].file, recorder.errors[0].line) == (path, 2)
    assert recorder.errors[0].key == "include[0]"
    assert "FIFO" in str(recorder.errors[0])
    edit(path, "mode: warn\n")
    assert watcher.poll() is True
    assert watcher.current.mode == "warn"


def test_a_fix_in_the_file_that_broke_is_noticed(tmp_path: Path) -> None:
    included = tmp_path / "team.yaml"
    path = tmp_path / "c.yaml"
    edit(path, "mode: warn\n")
    watcher = watcher_for(path, Recorder())
    edit(included, "hold_at: never\n")
    edit(path, "include: [team.yaml]\n")
    assert watcher.poll() is False
    assert watcher.error is not None
    assert watcher.error.file == included
    edit(included, "hold_at: info\n")
    assert watcher.poll() is True
    assert watcher.current.hold_at == "info"


def test_not_push_choices_are_picked_up(tmp_path: Path) -> None:
    notpush = tmp_path / "np.yaml"
    path = tmp_path / "c.yaml"
    edit(path, f"notpush_file: {notpush}\n")
    watcher = watcher_for(path, Recorder())
    assert watcher.engine.settings.allow_handles == set()
    edit(notpush, "- {recipient: '@carol'}\n")
    assert watcher.poll() is True
    assert watcher.engine.settings.allow_handles == {"carol"}


def test_not_push_choices_in_the_watchers_data_folder_are_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    edit(path, "mode: warn\n")
    folder = tmp_path / "proxy-data"
    watcher = ConfigWatcher(path, data_folder=folder)
    (tmp_path / "data").mkdir()
    edit(tmp_path / "data" / "notpush.yaml", "- {recipient: '@dave'}\n")  # not its folder
    assert watcher.poll() is False
    folder.mkdir()
    edit(folder / "notpush.yaml", "- {recipient: '@carol'}\n")
    assert watcher.poll() is True
    assert watcher.engine.settings.allow_handles == {"carol"}


def test_an_invalid_first_load_raises(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    edit(path, "mode: loud\n")
    with pytest.raises(ConfigError):
        watcher_for(path, Recorder())


def test_concurrent_polls_apply_an_edit_once(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    edit(path, "mode: warn\n")
    recorder = Recorder()
    watcher = watcher_for(path, recorder)
    edit(path, "mode: hold\n")
    barrier = threading.Barrier(4)

    def poll() -> None:
        barrier.wait(timeout=10)
        watcher.poll()

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    watcher.poll()  # a poll that lost the race earlier sees the change now, if not applied yet
    assert len(recorder.changes) == 1
    assert watcher.current.mode == "hold"


def test_an_edit_to_an_extra_rule_file_reloads_the_pack(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    source = (repo / "rules" / "PP201-unsolicited-pitch-reply.yaml").read_text()
    mine = source.replace("code: PP201", "code: PP901").replace(
        "name: unsolicited-pitch-reply", "name: my-pitch-reply"
    )
    rule_file = tmp_path / "my-rules" / "PP901.yaml"
    rule_file.parent.mkdir()
    edit(rule_file, mine)
    path = tmp_path / "c.yaml"
    edit(path, "rule_folders: [my-rules]\n")
    recorder = Recorder()
    watcher = watcher_for(path, recorder)
    assert watcher.engine.pack.get("PP901").severity == "warning"

    edit(rule_file, mine.replace("severity: warning", "severity: error", 1))
    assert watcher.poll() is True
    assert watcher.engine.pack.get("PP901").severity == "error"

    edit(rule_file, mine.replace("code: PP901", "code: PP9"))  # not a valid code
    assert watcher.poll() is False
    assert watcher.error is not None
    assert str(rule_file) in str(watcher.error)
    assert watcher.engine.pack.get("PP901").severity == "error"  # the last good pack stays


def test_a_config_file_created_later_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "later.yaml"
    watcher = watcher_for(path, Recorder())
    assert watcher.current.mode == "warn"
    edit(path, "mode: hold\n")
    assert watcher.poll() is True
    assert watcher.current.mode == "hold"


def test_a_failed_compile_ahead_leaves_a_working_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pullcheck.models import Draft
    from pullcheck.phrases import Phrasebook

    def broken(self: Phrasebook) -> None:
        raise RuntimeError("no compiling today")

    monkeypatch.setattr(Phrasebook, "compile_all", broken)
    watcher = ConfigWatcher(tmp_path / "absent.yaml")
    verdict = watcher.engine.judge(Draft(kind="dm", text="We offer web design, hire us"))
    assert "PP102" in {finding.code for finding in verdict.findings}


def test_a_good_reload_logs_one_line_saying_what_changed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.yaml"
    edit(path, "mode: warn\n")
    watcher = watcher_for(path, Recorder())
    edit(path, "mode: hold\nrules:\n  PP201: off\n")
    with caplog.at_level("INFO", logger="pullcheck.config_watch"):
        assert watcher.poll() is True
    lines = [r.getMessage() for r in caplog.records if "config reloaded" in r.getMessage()]
    assert lines == ["pullcheck: config reloaded: PP201 off, mode warn→hold"]
