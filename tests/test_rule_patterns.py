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
@pytest.mark.parametrize("text", [
    "1" + "," * 20_000,
    "1," * 10_000,
    "1." * 10_000,
], ids=["one-then-commas", "digits-and-commas", "digits-and-dots"])
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
