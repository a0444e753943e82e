"""Every rule's examples, each rule run ALONE (LanguageTool-style): one finding of the rule for
each `flag` example, pointing exactly at the words the example pins (its `span`), and none for
each `pass` example."""

from __future__ import annotations

import pytest
from pullcheck.example_check import example_engine
from pullcheck.rulebook import Example, builtin_rules_dir, load_rule_pack

PACK = load_rule_pack([builtin_rules_dir()], check_examples=False)
CASES = [
    pytest.param(rule.code, expected, example, id=f"{rule.code}-{expected}-{index}")
    for rule in PACK.rules
    for expected, examples in (("flag", rule.examples.flag), ("pass", rule.examples.pass_))
    for index, example in enumerate(examples)
]


@pytest.mark.parametrize(("code", "expected", "example"), CASES)
def test_rule_alone_on_its_example(code: str, expected: str, example: Example) -> None:
    found = [
        finding
        for finding in example_engine(PACK.only(code), code).example_findings(example)
        if finding.code == code
    ]
    assert len(found) == (1 if expected == "flag" else 0), example.text
    if expected == "flag":
        span = found[0].span
        pointed = "none" if span is None else example.text[span[0] : span[1]]
        assert span == example.pinned_span(), f"{example.text!r} -> {pointed!r}"


def test_every_shipped_flag_example_pins_its_span() -> None:
    unpinned = [
        f"{rule.code} flag[{index}]"
        for rule in PACK.rules
        for index, example in enumerate(rule.examples.flag)
        if example.span is None
    ]
    assert not unpinned, "write `span:` (the words the finding points at, or none)"


def test_every_shipped_rule_has_a_status_and_a_reference() -> None:
    for rule in PACK.rules:
        assert rule.status in ("stable", "preview", "deprecated"), rule.code
        assert rule.links, f"{rule.code} has no links"


def test_every_rule_has_three_examples_each_way() -> None:
    for rule in PACK.rules:
        assert len(rule.examples.flag) >= 3, rule.code
        assert len(rule.examples.pass_) >= 3, rule.code


def test_the_pack_has_the_required_rules() -> None:
    names = {rule.name for rule in PACK.rules}
    assert {
        "auto-dm-new-follower",
        "cold-dm-pitch",
        "unsolicited-pitch-reply",
        "check-out-my-link",
        "link-blast",
        "mass-mention",
        "hard-sell-wording",
        "pull-signals",
    } <= names
