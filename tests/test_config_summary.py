"""What a reload changed, in one line; a rejected edit, in one line the page may see."""

from __future__ import annotations

from pathlib import Path

import pytest
from pullcheck.config import ConfigError, load_config
from pullcheck.config_summary import MAX_ITEMS, error_line, reload_summary


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))


def config(tmp_path: Path, text: str, name: str = "config.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_switching_a_rule_off_is_named_by_its_code(tmp_path):
    before = config(tmp_path, "mode: warn\n")
    after = config(tmp_path, "mode: warn\nrules:\n  unsolicited-pitch-reply: off\n")
    assert reload_summary(before, after) == "config reloaded: PP201 off"


def test_a_severity_change_shows_before_and_after(tmp_path):
    before = config(tmp_path, "rules:\n  PP401: {severity: warning}\n")
    after = config(tmp_path, "rules:\n  PP401: {severity: error}\n")
    assert reload_summary(before, after) == "config reloaded: PP401 warning→error"


def test_mode_and_sites_are_named(tmp_path):
    before = config(tmp_path, "mode: warn\n")
    after = config(tmp_path, "mode: hold\nsites:\n  reddit: off\n")
    assert reload_summary(before, after) == "config reloaded: mode warn→hold, sites: reddit off"


def test_a_not_push_choice_counts_as_one_more_allowed(tmp_path):
    before = config(tmp_path, "allow: {handles: []}\n")
    after = config(tmp_path, "allow: {handles: [sam_runs]}\n")
    assert reload_summary(before, after) == "config reloaded: allow +1"


def test_an_edit_that_changes_no_setting_says_so(tmp_path):
    before = config(tmp_path, "mode: hold\n")
    after = config(tmp_path, "# a comment\nmode: hold\n")
    assert reload_summary(before, after) == "config reloaded: no setting changed"


def test_a_long_list_of_changes_is_cut_short(tmp_path):
    before = config(tmp_path, "mode: warn\n")
    codes = ["PP101", "PP102", "PP201", "PP202", "PP203", "PP204", "PP205", "PP301"]
    after = config(tmp_path, "rules:\n" + "".join(f"  {c}: off\n" for c in codes))
    summary = reload_summary(before, after)
    assert summary.count(" off") == MAX_ITEMS
    assert summary.endswith(f"+{len(codes) - MAX_ITEMS} more")


def test_an_error_line_names_file_line_and_key_but_not_the_folder(tmp_path):
    with pytest.raises(ConfigError) as raised:
        config(tmp_path, "mode: hold\nrules:\n  PP210: off\n")
    line = error_line(raised.value)
    assert line == (
        "config.yaml:3 key 'rules.PP210': unknown rule code 'PP210' (did you mean 'PP201'?)"
    )
    assert str(tmp_path) not in line
    assert "\n" not in line
