"""Rule patterns cannot stall judging: what a draft or a rule pack can make the regexes cost.

A hang here is the whole proxy stalled (Python's `re` holds the interpreter lock while it
backtracks), so each test judges an adversarial draft under a `timeout` mark: before the fix
each one ran for seconds to minutes.
"""

from __future__ import annotations

import pytest
from pullcheck.engine import Engine
from pullcheck.models import Draft, ReplyTarget
from pullcheck.rulebook import builtin_pack


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(builtin_pack())


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "text",
    [
        "1" + "," * 20_000,
        "1," * 10_000,
        "1." * 10_000,
    ],
    ids=["one-then-commas", "digits-and-commas", "digits-and-dots"],
)
def test_number_phrases_are_linear_on_runs_of_digits_and_separators(engine, text):
    # `#` in a phrase ("# per month") once compiled to `\d[\d,.]*`: the candidate scan tried it
    # from every separator and backtracked over the rest, 3 to 8 s for 10,000 characters.
    for kind in ("post", "reply"):
        parent = ReplyTarget(text=text) if kind == "reply" else None
        verdict = engine.judge(Draft(platform="x", kind=kind, text=text, reply_to=parent))
        assert verdict.level in ("none", "info", "warning", "error")


def test_number_phrases_still_match_numbers_with_separators(engine):
    hits = engine.pack.phrasebook.find_all("Only 1,299.50 per month, 50% off for 3 days only")
    assert [hit.text for hit in hits["pricing"]] == ["1,299.50 per month"]
    assert "50% off" in [hit.text for hit in hits["offer"]]


def user_pack(tmp_path, pattern: str):
    """A config whose rule folder adds one phrase group with one raw pattern."""
    from pullcheck.config import load_config

    folder = tmp_path / "my-rules" / "phrases"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text(
        "group: mine\n"
        "description: a user's own wording\n"
        "patterns:\n"
        "  - 'plain words'\n"
        f"  - '{pattern}'\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text("rule_folders: [my-rules]\n")
    return load_config(config), folder / "mine.yaml"


@pytest.mark.timeout(20)
def test_a_user_pattern_that_backtracks_in_re_cannot_stall_judging(tmp_path):
    from pullcheck.engine_factory import build_engine

    config, _ = user_pack(tmp_path, "(a|aa)+b")
    engine = build_engine(config)
    # With Python's re this took 22 s at 38 characters, doubling with each one more.
    verdict = engine.judge(Draft(platform="x", kind="post", text="a" * 60 + "c"))
    assert verdict.level == "none"
    hits = engine.pack.phrasebook.find_all("say aab here")
    assert [hit.text for hit in hits["mine"]] == ["aab"]


def test_a_user_pattern_with_look_around_is_a_load_error_naming_file_line_and_key(tmp_path):
    from pullcheck.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        user_pack(tmp_path, "buy(?! nothing)")
    message = str(caught.value)
    assert "mine.yaml" in message
    assert "line 5" in message
    assert "patterns[1]" in message
    assert "look-around" in message
    assert "linear" in message


def test_a_built_in_pattern_that_could_backtrack_without_bound_is_refused():
    from pullcheck.linear_regex import PatternError, vetted_re

    for risky in ("(a|aa)+b", "(a+)+b", r"(\w+\s?)*x"):
        with pytest.raises(PatternError):
            vetted_re(risky)
    assert vetted_re(r"[$€£¥] ?\d[\d,.]*(?:k|K)?").search("only $5") is not None
