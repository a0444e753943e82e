"""A rule pack's examples, judged by the engine (`pullcheck.example_check`): a rule of your own
that misbehaves on its examples does not load, and an unchanged pack is checked once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pullcheck import example_check
from pullcheck.example_check import (
    example_failures,
    load_checked_pack,
    pack_hash,
)
from pullcheck.rulebook import RulePackError, builtin_rules_dir, load_rule_pack

RULE = "PP401-hard-sell-wording.yaml"


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    """A private copy of the built-in pack (checked like any rule folder of yours)."""
    target = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), target, ignore=shutil.ignore_patterns("__*"))
    return target


def _add_example(path: Path, way: str, text: str) -> None:
    data = yaml.safe_load(path.read_text())
    data["examples"][way].append({"text": text, "kind": "post"})
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_the_shipped_pack_passes_every_rule_example() -> None:
    assert example_failures(load_rule_pack([builtin_rules_dir()], check_examples=False)) == []


def test_failing_flag_example_is_an_error_naming_the_rule_file(pack_dir: Path) -> None:
    _add_example(pack_dir / RULE, "flag", "a calm and quiet sentence")
    with pytest.raises(RulePackError) as error:
        load_checked_pack([pack_dir])
    assert error.value.file == pack_dir / RULE
    assert "flag[3]" in str(error.value)


def test_failing_pass_example_is_an_error_naming_the_rule_file(pack_dir: Path) -> None:
    _add_example(pack_dir / RULE, "pass", "ACT NOW!!! LIMITED TIME")
    with pytest.raises(RulePackError) as error:
        load_checked_pack([pack_dir])
    assert error.value.file == pack_dir / RULE
    assert "pass[3]" in str(error.value)


def test_the_rule_pack_alone_does_not_run_rule_examples(pack_dir: Path) -> None:
    _add_example(pack_dir / RULE, "flag", "a calm and quiet sentence")
    assert "PP401" in load_rule_pack([pack_dir]).codes()


def test_example_failures_lists_every_misbehaving_example(pack_dir: Path) -> None:
    _add_example(pack_dir / RULE, "flag", "a calm and quiet sentence")
    _add_example(pack_dir / RULE, "pass", "ACT NOW!!! LIMITED TIME")
    failures = example_failures(load_rule_pack([pack_dir]))
    assert [(failure.code, failure.source) for failure in failures] == [
        ("PP401", pack_dir / RULE),
        ("PP401", pack_dir / RULE),
    ]
    assert "flag[3]" in failures[0].message
    assert "pass[3]" in failures[1].message


def test_an_unchanged_pack_is_checked_once(tmp_path: Path, monkeypatch) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    rule = yaml.safe_load((builtin_rules_dir() / RULE).read_text())
    rule.update(code="PP901", name="my-hard-sell")
    (extra / "PP901.yaml").write_text(yaml.safe_dump(rule, sort_keys=False))
    runs: list[int] = []
    real = example_check.check_examples

    def counting(pack, builtin_examples=False):
        runs.append(1)
        real(pack, builtin_examples)

    monkeypatch.setattr(example_check, "check_examples", counting)
    load_checked_pack([builtin_rules_dir(), extra])
    (extra / "PP901.yaml").touch()
    load_checked_pack([builtin_rules_dir(), extra])
    assert len(runs) == 1


def test_a_pack_edited_while_it_loads_is_checked_again(pack_dir: Path, monkeypatch) -> None:
    real = example_check.load_rule_pack
    loads: list[int] = []

    def load_then_edit(folders, **options):
        pack = real(folders, **options)
        loads.append(1)
        if len(loads) == 1:  # the editor's save lands after the load read the files
            _add_example(pack_dir / RULE, "flag", "a calm and quiet sentence")
        return pack

    monkeypatch.setattr(example_check, "load_rule_pack", load_then_edit)
    load_checked_pack([pack_dir])
    with pytest.raises(RulePackError, match=r"flag\[3\]"):
        load_checked_pack([pack_dir])


def test_an_edited_pack_is_checked_again(pack_dir: Path) -> None:
    load_checked_pack([pack_dir])
    _add_example(pack_dir / RULE, "flag", "a calm and quiet sentence")
    with pytest.raises(RulePackError, match=r"flag\[3\]"):
        load_checked_pack([pack_dir])


def test_the_pack_hash_follows_the_files_bytes(pack_dir: Path) -> None:
    before = pack_hash([pack_dir])
    (pack_dir / RULE).touch()
    assert pack_hash([pack_dir]) == before
    _add_example(pack_dir / RULE, "pass", "a calm and quiet sentence")
    assert pack_hash([pack_dir]) != before


def test_example_failures_name_a_mispinned_span_and_its_line(pack_dir: Path) -> None:
    path = pack_dir / RULE
    data = yaml.safe_load(path.read_text())
    # The finding points at "Limited time"; "act now" is in the text but is not where it points.
    data["examples"]["flag"][0]["span"] = "act now"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    pack = load_rule_pack([pack_dir])
    [failure] = example_failures(pack, ["PP401"])
    assert "points at 'Limited time', the example pins span 'act now'" in failure.message
    assert failure.line is not None
    assert "Limited time offer" in path.read_text().splitlines()[failure.line - 1]
