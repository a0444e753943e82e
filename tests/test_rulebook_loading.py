"""Strict loading: each broken pack is a RulePackError that names the offending file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pullcheck.rulebook import RulePackError, builtin_rules_dir, load_rule_pack


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    """A private copy of the built-in pack to break."""
    target = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), target, ignore=shutil.ignore_patterns("__*"))
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_builtin_pack_loads() -> None:
    pack = load_rule_pack([builtin_rules_dir()])
    assert "PP201" in pack.codes()


def test_duplicate_code_names_the_second_file(pack_dir: Path) -> None:
    copy = pack_dir / "PP999-copy.yaml"
    shutil.copy(pack_dir / "PP201-unsolicited-pitch-reply.yaml", copy)
    _edit(copy, lambda data: data.update(name="another-name"))
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == copy
    assert "duplicate rule code PP201" in str(error.value)


def test_unknown_phrase_group_is_an_error(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data["when"].update({"any": ["urgency", "no-such-group"]}))
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == path
    assert "no-such-group" in str(error.value)


def test_unknown_condition_key_is_an_error(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data["when"].update({"min_linkz": 1}))
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == path
    assert "min_linkz" in str(error.value)


@pytest.mark.parametrize(
    "when",
    [
        {"kinds": [], "any": ["urgency"]},
        {"any": ["urgency"], "none": ["urgency"]},
        {"all": ["urgency"], "none": ["urgency"]},
        {"min_links": 3, "max_links": 1},
        {"min_links": 1, "none": ["link"]},
        {"parent_asks": []},
    ],
)
def test_rule_that_can_never_fire_is_an_error(pack_dir: Path, when: dict) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data.update(when=when))
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == path
    assert "can never fire" in str(error.value)


def test_too_few_examples_is_an_error(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data["examples"].update(flag=data["examples"]["flag"][:2]))
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == path


def test_yaml_syntax_error_names_the_file(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    path.write_text("code: PP401\nname: [unclosed\n")
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == path


def test_unknown_param_reference_is_an_error(pack_dir: Path) -> None:
    path = pack_dir / "PP302-mass-mention.yaml"
    _edit(path, lambda data: data["when"].update(min_mentions="$nope"))
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == path
    assert "$nope" in str(error.value)


def test_bad_phrase_group_names_its_file(pack_dir: Path) -> None:
    path = pack_dir / "phrases" / "urgency.yaml"
    _edit(path, lambda data: data["phrases"].append("unbalanced (choice"))
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == path


def test_extra_folder_adds_rules(pack_dir: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(pack_dir / "PP401-hard-sell-wording.yaml", extra / "PP901.yaml")
    _edit(extra / "PP901.yaml", lambda data: data.update(code="PP901", name="my-hard-sell"))
    pack = load_rule_pack([builtin_rules_dir(), extra])
    assert "PP901" in pack.codes()
    assert "PP201" in pack.codes()


def test_the_shipped_pack_passes_every_phrase_example_when_asked() -> None:
    # Loading skips the shipped pack's examples (they cannot change after release); this is the
    # check that keeps them true (rules' examples: tests/test_example_check.py).
    pack = load_rule_pack([builtin_rules_dir()], builtin_examples=True)
    assert pack.rules


def test_a_copy_of_the_pack_is_checked_like_any_rule_folder_of_yours(pack_dir: Path) -> None:
    group = pack_dir / "phrases" / "capability.yaml"
    group.write_text(
        group.read_text(encoding="utf-8").replace(
            "  no_match:\n", '  no_match:\n    - "We help bakeries grow"\n', 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(RulePackError, match=r"examples\.no_match"):
        load_rule_pack([pack_dir])
