"""Does a post ask for help? Read with the built-in phrase groups, for callers that have no rule
pack of their own: the memory's `posts_asking` and the pull-opportunity spotter.

It sits above the rule pack (it loads the shipped phrase groups through `pullcheck.rulebook`),
so `pullcheck.features`, which the rule pack is built on, stays free of it.
"""

from __future__ import annotations

from functools import lru_cache

from pullcheck.features import Ask, ask_of
from pullcheck.phrases import Phrasebook
from pullcheck.rulebook import builtin_rules_dir, load_phrasebook


@lru_cache(maxsize=1)
def _builtin_phrasebook() -> Phrasebook:
    return load_phrasebook([builtin_rules_dir()])


def asks_for_help(text: str | None) -> Ask:
    """`ask_of` with the built-in phrase groups (for callers without a rule pack)."""
    return ask_of(text, _builtin_phrasebook())
