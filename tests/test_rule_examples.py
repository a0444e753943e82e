"""Every rule's examples, each rule run ALONE (LanguageTool-style): one finding of the rule for
each `flag` example, none for each `pass` example."""

from __future__ import annotations

import pytest
from pullcheck.engine import Engine, EngineSettings
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
    engine = Engine(PACK.only(code), EngineSettings())
    codes = [finding.code for finding in engine.example_findings(example)]
    assert codes.count(code) == (1 if expected == "flag" else 0), example.text


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
