"""What a rule's status does when judging: a preview rule runs only when the config turns it on
(or shadows it), a deprecated rule runs as before."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pullcheck.config import load_config
from pullcheck.engine import Engine, EngineSettings
from pullcheck.engine_factory import build_engine
from pullcheck.models import Draft
from pullcheck.rulebook import RulePack, builtin_rules_dir, load_rule_pack

HARD_SELL = Draft(kind="post", text="Limited time offer, act now before it's gone")


def pack_with(tmp_path: Path, status: str) -> tuple[Path, RulePack]:
    """The shipped pack plus PP901, a copy of PP401 with this status."""
    folder = tmp_path / "my-rules"
    folder.mkdir()
    data = yaml.safe_load((builtin_rules_dir() / "PP401-hard-sell-wording.yaml").read_text())
    data.update(code="PP901", name="my-hard-sell", status=status)
    (folder / "PP901.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder, load_rule_pack([builtin_rules_dir(), folder], check_examples=False)


def codes(engine: Engine, draft: Draft = HARD_SELL) -> set[str]:
    judged = engine.judge_fully(draft)
    return {finding.code for finding in judged.verdict.findings + judged.shadow}


def test_a_preview_rule_does_not_run_by_default(tmp_path: Path) -> None:
    _, pack = pack_with(tmp_path, "preview")
    assert codes(Engine(pack, EngineSettings())) == {"PP401"}


def test_a_preview_rule_runs_when_turned_on(tmp_path: Path) -> None:
    _, pack = pack_with(tmp_path, "preview")
    assert codes(Engine(pack, EngineSettings(enabled={"PP901"}))) == {"PP401", "PP901"}


def test_a_shadowed_preview_rule_runs_unseen(tmp_path: Path) -> None:
    _, pack = pack_with(tmp_path, "preview")
    judged = Engine(pack, EngineSettings(shadow={"PP901"})).judge_fully(HARD_SELL)
    assert [finding.code for finding in judged.shadow] == ["PP901"]
    assert "PP901" not in {finding.code for finding in judged.verdict.findings}


def test_a_deprecated_rule_still_runs(tmp_path: Path) -> None:
    _, pack = pack_with(tmp_path, "deprecated")
    assert codes(Engine(pack, EngineSettings())) == {"PP401", "PP901"}


@pytest.mark.parametrize(("setting", "runs"), [("on", True), ("warning", True), ("off", False)])
def test_the_config_turns_a_preview_rule_on_by_code(
    tmp_path: Path, setting: str, runs: bool
) -> None:
    folder, _ = pack_with(tmp_path, "preview")
    path = tmp_path / "config.yaml"
    path.write_text(f"rule_folders: [{folder}]\nrules:\n  PP901: {setting}\n")
    engine = build_engine(load_config(path))
    assert ("PP901" in codes(engine)) is runs
