"""`pullcheck rules`: the list with each rule's status and state, one rule's page by code, and
the JSON Schema of the pack's files for editors; preview, deprecated and retired rules as a user
of the config meets them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from pullcheck.cli import main
from pullcheck.commands.rules import file_schema
from pullcheck.rulebook import builtin_rules_dir

BUILTIN = builtin_rules_dir()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "no-config.yaml"))


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rule_folder(tmp_path: Path, **fields: object) -> Path:
    """A folder of one rule of yours: PP401's YAML as PP901, with `fields` changed."""
    folder = tmp_path / "my-rules"
    folder.mkdir(exist_ok=True)
    data = yaml.safe_load((BUILTIN / "PP401-hard-sell-wording.yaml").read_text())
    data.update(code="PP901", name="my-hard-sell", **fields)
    (folder / "PP901-my-hard-sell.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def config_file(tmp_path: Path, folder: Path, rules: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"rule_folders: [{folder}]\n" + (f"rules:\n{rules}" if rules else ""))
    return path


def rows(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, dict]:
    code, out, err = cli(capsys, "rules", "--json", "--config", str(config))
    assert code == 0, err
    return {row["code"]: row for row in json.loads(out)}


def test_the_list_has_a_status_column(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "rules")
    assert code == 0
    assert out.splitlines()[0].split() == ["CODE", "NAME", "STATUS", "SEVERITY", "STATE"]
    assert out.splitlines()[1].split()[:3] == ["PP101", "auto-dm-new-follower", "stable"]


def test_rules_code_prints_the_rule_page_with_status_and_references(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(capsys, "rules", "PP401")
    assert code == 0
    assert out.startswith("PP401 hard-sell-wording\nStatus: stable · severity: info")
    references = out.split("## References\n", 1)[1]
    assert "https://en.wikipedia.org/wiki/Fear_of_missing_out" in references


def test_rules_code_takes_a_name_and_refuses_an_unknown_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(capsys, "rules", "hard-sell-wording")
    assert (code, out.split("\n", 1)[0]) == (0, "PP401 hard-sell-wording")
    code, _, err = cli(capsys, "rules", "PP410")
    assert code == 2
    assert "unknown rule 'PP410'" in err


def test_a_preview_rule_is_off_until_the_config_turns_it_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = rule_folder(tmp_path, status="preview")
    assert rows(capsys, config_file(tmp_path, folder))["PP901"]["state"] == "off"
    assert rows(capsys, config_file(tmp_path, folder, "  PP901: on\n"))["PP901"]["state"] == "on"
    shadowed = rows(capsys, config_file(tmp_path, folder, "  PP901: shadow\n"))["PP901"]
    assert (shadowed["status"], shadowed["state"]) == ("preview", "shadow")


def test_the_state_column_is_the_state_the_engine_runs_the_rule_in(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A preview rule switched off and shadowed does not run; a rule shadowed in its own file
    # stays shadowed when the config says `shadow: false` (the engine reads only the rule's).
    preview = rule_folder(tmp_path, status="preview")
    switched_off = config_file(tmp_path, preview, "  PP901: {enabled: false, shadow: true}\n")
    assert rows(capsys, switched_off)["PP901"]["state"] == "off"
    shadowed = rule_folder(tmp_path, status="stable", shadow=True)
    unshadowed = config_file(tmp_path, shadowed, "  PP901: {shadow: false}\n")
    assert rows(capsys, unshadowed)["PP901"]["state"] == "shadow"


def test_a_preview_rule_page_says_how_to_turn_it_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = config_file(tmp_path, rule_folder(tmp_path, status="preview"))
    _, out, _ = cli(capsys, "rules", "PP901", "--config", str(config))
    assert "Status: preview" in out
    assert "off (preview: turn it on in the config)" in out
    assert "Turn it on with `rules: {PP901: on}`" in out


def test_a_deprecated_rule_page_names_its_replacement(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = rule_folder(tmp_path, status="deprecated", replaced_by="PP401")
    _, out, _ = cli(capsys, "explain", "PP901", "--config", str(config_file(tmp_path, folder)))
    assert "Deprecated: it still runs, but will be removed; PP401 does its job." in out
    assert rows(capsys, config_file(tmp_path, folder))["PP901"]["state"] == "on"


def test_schema_is_json_schema_of_a_rule_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "rules", "--schema")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert {"code", "status", "links", "examples", "when"} <= set(schema["properties"])
    assert "source" not in schema["properties"]  # set by the loader, never written


def test_every_shipped_rule_file_fits_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(file_schema("rule"))
    for path in sorted(BUILTIN.glob("PP*.yaml")):
        errors = [
            error.message for error in validator.iter_errors(yaml.safe_load(path.read_text()))
        ]
        assert not errors, f"{path.name}: {errors}"


def test_the_schema_refuses_what_the_loader_refuses() -> None:
    validator = jsonschema.Draft202012Validator(file_schema("rule"))
    data = yaml.safe_load((BUILTIN / "PP401-hard-sell-wording.yaml").read_text())
    assert validator.is_valid(data)
    for broken in ({"status": "beta"}, {"when": {"min_linkz": 1}}, {"colour": "red"}):
        assert not validator.is_valid({**data, **broken}), broken


def test_every_shipped_phrase_file_fits_the_phrase_schema() -> None:
    validator = jsonschema.Draft202012Validator(file_schema("phrases"))
    for path in sorted((BUILTIN / "phrases").glob("*.yaml")):
        assert validator.is_valid(yaml.safe_load(path.read_text())), path.name


def test_the_retired_file_fits_its_schema(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(file_schema("retired"))
    assert validator.is_valid(yaml.safe_load((BUILTIN / "retired.yaml").read_text()))
    assert not validator.is_valid({"retired": [{"code": "PP104", "name": "x"}]})  # no reason


def test_a_config_that_turns_on_a_retired_rule_names_file_line_and_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "my-rules"
    folder.mkdir()
    (folder / "retired.yaml").write_text(
        "retired:\n  - {code: PP104, name: old-pitch, reason: folded into PP201., "
        "replaced_by: PP201, removed_in: '0.2.0'}\n"
    )
    config = config_file(tmp_path, folder, "  mode_note: 1\n")
    config.write_text(f"rule_folders: [{folder}]\nrules:\n  PP401: info\n  PP104: on\n")
    code, _, err = cli(capsys, "rules", "--config", str(config))
    assert code == 2
    assert (
        "config.yaml:4: key 'rules.PP104': rule PP104 (old-pitch) was removed in 0.2.0: folded "
        "into PP201; use PP201 instead; it cannot be turned on"
    ) in err


def test_a_config_may_switch_a_retired_rule_off(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "my-rules"
    folder.mkdir()
    shutil.copy(BUILTIN / "retired.yaml", folder / "retired.yaml")
    (folder / "retired.yaml").write_text(
        "retired:\n  - {code: PP104, name: old-pitch, reason: folded into PP201.}\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text(f"rule_folders: [{folder}]\nrules:\n  old-pitch: off\n")
    code, _, err = cli(capsys, "rules", "--config", str(config))
    assert code == 0, err


def test_config_check_counts_a_preview_rule_as_off_until_turned_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = rule_folder(tmp_path, status="preview")
    code, out, _ = cli(capsys, "config", "check", str(config_file(tmp_path, folder)))
    assert code == 0
    total = len(list(BUILTIN.glob("PP*.yaml"))) + 1
    assert f"{total - 1} of {total} rules on" in out
    _, out, _ = cli(capsys, "config", "check", str(config_file(tmp_path, folder, "  PP901: on\n")))
    assert f"{total} of {total} rules on" in out


def test_a_preview_rule_with_only_a_severity_is_still_off_and_says_how_to_turn_it_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = rule_folder(tmp_path, status="preview")
    config = config_file(tmp_path, folder, "  PP901: {severity: error}\n")
    _, out, _ = cli(capsys, "rules", "PP901", "--config", str(config))
    assert "off (preview: turn it on in the config)" in out


def test_rules_code_check_runs_only_that_rules_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "rules", "hard-sell-wording", "--check")
    assert code == 0
    rule = yaml.safe_load((BUILTIN / "PP401-hard-sell-wording.yaml").read_text())
    examples = len(rule["examples"]["flag"]) + len(rule["examples"]["pass"])
    assert out.startswith(f"1 rule, {examples} rule examples")


def test_rules_check_of_an_unknown_code_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "rules", "PP999", "--check")
    assert code == 2
    assert "unknown rule 'PP999'" in err
