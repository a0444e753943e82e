"""Strict loading: each broken pack is a RulePackError that names the offending file."""

from __future__ import annotations

import os
import re
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


def test_an_invalid_rule_value_names_its_line_and_key(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("severity: info", "severity: loud"), encoding="utf-8")
    line = text.splitlines().index("severity: info") + 1
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == path
    assert f"line {line}, key 'severity'" in str(error.value)


def test_an_unknown_condition_key_names_its_line(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("when:\n", "when:\n  min_linkz: 1\n"),
        encoding="utf-8",
    )
    line = text.splitlines().index("when:") + 2
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert f"line {line}, key 'when.min_linkz'" in str(error.value)


def test_a_key_written_twice_in_a_rule_is_an_error_naming_both_lines(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("weight: 10\n", "weight: 10\nweight: 20\n"), encoding="utf-8")
    line = text.splitlines().index("weight: 10") + 1
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == path
    assert f"lines {line} and {line + 1}" in str(error.value)


def test_a_yaml_syntax_error_names_the_line(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    path.write_text("code: PP401\nname: [unclosed\nseverity: info\n")
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert re.search(r"line \d+: YAML syntax error", str(error.value))


# --- loading again ----------------------------------------------------------------------------


def test_the_same_files_give_the_pack_already_loaded(pack_dir: Path) -> None:
    assert load_rule_pack([pack_dir]) is load_rule_pack([pack_dir])


def test_a_rule_edit_reloads_that_rule_and_keeps_the_phrasebook_and_the_other_rules(
    pack_dir: Path,
) -> None:
    before = load_rule_pack([pack_dir])
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data.update(severity="warning"))
    after = load_rule_pack([pack_dir])
    assert after is not before
    assert after.by_code["PP401"].severity == "warning"
    assert after.phrasebook is before.phrasebook
    assert after.topics is before.topics
    assert after.get("PP201") is before.get("PP201")


def test_a_phrase_file_edit_builds_a_new_phrasebook(pack_dir: Path) -> None:
    before = load_rule_pack([pack_dir])
    path = pack_dir / "phrases" / "urgency.yaml"
    _edit(path, lambda data: data["phrases"].append("right this very minute"))
    after = load_rule_pack([pack_dir])
    assert after.phrasebook is not before.phrasebook
    assert after.phrasebook.find_all("buy it right this very minute").get("urgency")


def test_an_edit_that_keeps_the_size_and_the_mtime_is_still_seen(pack_dir: Path) -> None:
    # A coarse clock can give an edit the mtime the file had: the bytes decide.
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    load_rule_pack([pack_dir])
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("weight: 10", "weight: 11"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert load_rule_pack([pack_dir]).by_code["PP401"].weight == 11


def test_a_pack_that_failed_to_load_is_read_again_once_fixed(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("severity: info", "severity: loud"), encoding="utf-8")
    with pytest.raises(RulePackError):
        load_rule_pack([pack_dir])
    path.write_text(good, encoding="utf-8")
    assert load_rule_pack([pack_dir]).by_code["PP401"].severity == "info"
