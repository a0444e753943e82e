"""Strict loading: each broken pack is a RulePackError that names the offending file."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from pullcheck.example_check import load_checked_pack
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
    assert error.value.line == line
    assert f"{path}:{line}: key 'severity'" in str(error.value)


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
    assert error.value.line == line
    assert f":{line}: key 'when.min_linkz'" in str(error.value)


def test_a_key_written_twice_in_a_rule_is_an_error_naming_both_lines(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("weight: 10\n", "weight: 10\nweight: 20\n"), encoding="utf-8")
    line = text.splitlines().index("weight: 10") + 1
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    assert error.value.file == path
    assert error.value.line == line + 1
    assert f"lines {line} and {line + 1}" in str(error.value)


def test_a_yaml_syntax_error_names_the_line(pack_dir: Path) -> None:
    path = pack_dir / "PP401-hard-sell-wording.yaml"
    path.write_text("code: PP401\nname: [unclosed\nseverity: info\n")
    with pytest.raises(RulePackError) as error:
        load_rule_pack([pack_dir])
    # PyYAML notices the unclosed list on the next line, and the message names both.
    assert error.value.line == 3
    assert re.search(r":3: YAML syntax error.*starts on line 2", str(error.value))


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


# --- span-pinned examples ----------------------------------------------------------------------
# Whether a span is written well is the loader's; where the finding points takes the engine
# (`load_checked_pack`, as the config loads your folders).


@pytest.fixture
def solo_dir(pack_dir: Path) -> Path:
    """The pack's phrase groups with PP401 alone: checking its examples takes a moment, not
    the whole pack's seconds."""
    for path in pack_dir.glob("PP*.yaml"):
        if not path.name.startswith(("PP401", "PP201")):
            path.unlink()
    return pack_dir


def _set_flag_example(path: Path, index: int, **fields: object) -> None:
    def change(data: dict) -> None:
        example = data["examples"]["flag"][index]
        for key, value in fields.items():
            if value is None:
                example.pop(key, None)
            else:
                example[key] = value

    _edit(path, change)


def test_a_span_that_is_not_in_the_text_is_an_error_naming_file_line_and_key(
    solo_dir: Path,
) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _set_flag_example(path, 0, span="limited tme")
    with pytest.raises(RulePackError) as error:
        load_rule_pack([solo_dir])
    assert error.value.file == path
    assert error.value.line is not None
    flag_line = path.read_text().splitlines()[error.value.line - 1]
    assert "Limited time offer" in flag_line or "span" in flag_line
    assert "key 'examples.flag.0'" in str(error.value)
    assert "'limited tme' is not in the text" in str(error.value)


def test_a_span_that_occurs_twice_needs_an_occurrence(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _set_flag_example(path, 0, text="act now, act now: limited time", span="act now")
    with pytest.raises(RulePackError, match="occurs 2 times in the text; say which"):
        load_rule_pack([solo_dir])


def test_an_occurrence_past_the_last_one_is_an_error(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _set_flag_example(path, 0, span="Limited time", occurrence=2)
    with pytest.raises(RulePackError, match=r"'occurrence: 2' but span 'Limited time' occurs 1"):
        load_rule_pack([solo_dir])


def test_an_occurrence_without_a_span_is_an_error(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _set_flag_example(path, 0, span=None, occurrence=1)
    with pytest.raises(RulePackError, match="'occurrence' needs a 'span'"):
        load_rule_pack([solo_dir])


def test_a_span_on_a_pass_example_is_an_error(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"

    def change(data: dict) -> None:
        example = data["examples"]["pass"][0]
        example["span"] = example["text"].split()[0]

    _edit(path, change)
    with pytest.raises(RulePackError, match=r"pass\[0\] pins a span"):
        load_rule_pack([solo_dir])


def test_a_finding_that_points_elsewhere_than_the_pinned_span_is_an_error(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    # The finding points at "Limited time"; "act now" is in the text but is not where it points.
    _set_flag_example(path, 0, span="act now")
    with pytest.raises(RulePackError) as error:
        load_checked_pack([solo_dir])
    assert error.value.file == path
    assert "flag[0]" in str(error.value)
    assert "points at 'Limited time', the example pins span 'act now'" in str(error.value)
    assert error.value.line is not None
    assert "Limited time offer" in path.read_text().splitlines()[error.value.line - 1]


def test_span_none_is_an_error_when_the_finding_points_at_words(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _set_flag_example(path, 0, span="none")
    with pytest.raises(RulePackError, match="points at 'Limited time', the example pins span none"):
        load_checked_pack([solo_dir])


def test_an_occurrence_pins_a_later_copy_of_the_words(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    # The finding points at the first "Limited time", so pinning the second must fail...
    _set_flag_example(
        path, 0, text="Limited time offer. Limited time, I said", span="Limited time", occurrence=2
    )
    with pytest.raises(RulePackError, match="flag\\[0\\]"):
        load_checked_pack([solo_dir])
    # ...and pinning the first passes.
    _set_flag_example(path, 0, occurrence=1)
    assert load_checked_pack([solo_dir]).get("PP401") is not None


def test_a_flag_example_may_leave_its_span_unpinned_in_your_own_rules(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _set_flag_example(path, 0, span=None)
    assert load_checked_pack([solo_dir]).get("PP401") is not None


# --- status, links and retired codes -----------------------------------------------------------


def test_an_unknown_status_is_an_error(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data.update(status="beta"))
    with pytest.raises(RulePackError) as error:
        load_rule_pack([solo_dir])
    assert error.value.file == path
    assert "key 'status'" in str(error.value)
    assert error.value.line == 3


def test_status_removed_in_a_rule_file_says_to_retire_the_code(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data.update(status="removed"))
    with pytest.raises(RulePackError, match=r"delete its file and list its code in retired\.yaml"):
        load_rule_pack([solo_dir])


def test_replaced_by_needs_status_deprecated(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data.update(replaced_by="PP201"))
    with pytest.raises(RulePackError, match="'replaced_by' is for a deprecated rule"):
        load_rule_pack([solo_dir])


def test_replaced_by_must_name_a_rule_of_the_pack(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data.update(status="deprecated", replaced_by="PP999"))
    with pytest.raises(RulePackError) as error:
        load_rule_pack([solo_dir])
    assert error.value.file == path
    assert "'replaced_by: PP999' names no rule of the pack" in str(error.value)


def test_a_deprecated_rule_with_a_replacement_loads(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data.update(status="deprecated", replaced_by="PP201"))
    rule = load_rule_pack([solo_dir], check_examples=False).get("PP401")
    assert rule is not None
    assert (rule.status, rule.replaced_by) == ("deprecated", "PP201")


def test_a_link_must_be_a_web_address(solo_dir: Path) -> None:
    path = solo_dir / "PP401-hard-sell-wording.yaml"
    _edit(path, lambda data: data.update(links=[{"title": "notes", "url": "notes.txt"}]))
    with pytest.raises(RulePackError, match=r"key 'links\.0\.url'"):
        load_rule_pack([solo_dir])


def _retire(folder: Path, *entries: dict) -> Path:
    path = folder / "retired.yaml"
    path.write_text(yaml.safe_dump({"retired": list(entries)}, sort_keys=False))
    return path


RETIRED = {
    "code": "PP104",
    "name": "old-pitch",
    "reason": "folded into PP201.",
    "replaced_by": "PP201",
}


def test_a_rule_may_not_take_a_retired_code(solo_dir: Path) -> None:
    _retire(solo_dir, RETIRED)
    path = solo_dir / "PP104-new.yaml"
    shutil.copy(solo_dir / "PP401-hard-sell-wording.yaml", path)
    _edit(path, lambda data: data.update(code="PP104", name="brand-new"))
    with pytest.raises(RulePackError) as error:
        load_rule_pack([solo_dir])
    assert error.value.file == path
    assert error.value.line == 1  # `code:` is the first line
    assert "the code of rule PP104 (brand-new) is retired" in str(error.value)
    assert "rule PP104 (old-pitch) was removed: folded into PP201; use PP201 instead" in str(
        error.value
    )


def test_a_rule_may_not_take_a_retired_name(solo_dir: Path) -> None:
    _retire(solo_dir, RETIRED)
    path = solo_dir / "PP105-new.yaml"
    shutil.copy(solo_dir / "PP401-hard-sell-wording.yaml", path)
    _edit(path, lambda data: data.update(code="PP105", name="old-pitch"))
    with pytest.raises(RulePackError, match=r"the name of rule PP105 \(old-pitch\) is retired"):
        load_rule_pack([solo_dir])


def test_a_retired_code_in_your_folder_reserves_it_against_the_shipped_pack(
    tmp_path: Path,
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    _retire(extra, {**RETIRED, "code": "PP401", "name": "hard-sell-wording"})
    with pytest.raises(RulePackError, match="the code of rule PP401"):
        load_rule_pack([builtin_rules_dir(), extra])


def test_a_code_retired_twice_is_an_error(solo_dir: Path) -> None:
    path = _retire(solo_dir, RETIRED, {**RETIRED, "name": "other"})
    with pytest.raises(RulePackError) as error:
        load_rule_pack([solo_dir])
    assert error.value.file == path
    assert "code PP104 is retired twice" in str(error.value)
    assert error.value.line is not None


def test_a_retired_entry_needs_a_reason(solo_dir: Path) -> None:
    path = _retire(solo_dir, {"code": "PP104", "name": "old-pitch"})
    with pytest.raises(RulePackError) as error:
        load_rule_pack([solo_dir])
    assert error.value.file == path
    assert "key 'retired.0.reason'" in str(error.value)
    assert error.value.line == 2


def test_a_retired_entry_replaced_by_an_unknown_rule_is_an_error(solo_dir: Path) -> None:
    _retire(solo_dir, {**RETIRED, "replaced_by": "PP998"})
    with pytest.raises(RulePackError, match="retired rule PP104: 'replaced_by: PP998'"):
        load_rule_pack([solo_dir])


def test_retired_codes_are_kept_with_the_pack(solo_dir: Path) -> None:
    _retire(solo_dir, RETIRED)
    pack = load_rule_pack([solo_dir], check_examples=False)
    assert pack.retired_rule("PP104") == pack.retired_rule("old-pitch")
    assert pack.get("PP104") is None
    assert "retired" not in pack.codes()
