"""Raw regular expressions from a rule pack, compiled with RE2: matching time linear in the text.

A phrase group's `patterns:` are regexes written by whoever wrote the rule pack, the user's own
rule folders included. Python's `re` backtracks: the user pattern `(a|aa)+b` took 7.5 s on 36
characters and 22 s on 38, holding the interpreter lock, so the whole proxy stalled. RE2
(Google's engine, the `google-re2` package) never backtracks: its time is linear in the text
whatever the pattern, so no pattern can stall judging.

The price is some syntax, refused when the pack loads with the reason: look-around (`(?=`,
`(?!`, `(?<=`, `(?<!`), back-references (`\\1`), possessive quantifiers and atomic groups. Also
unlike `re`, `\\w`, `\\d`, `\\s` and `\\b` are ASCII-only (write `\\pL` or `\\p{N}` for any
letter or digit) and `\\Z` is written `\\z`.

The compiled pattern answers `finditer(text, pos)` with matches that have `span()`, which is
all the phrase scanner asks of a pattern.

The rule pack shipped with pullcheck keeps its few patterns on `re` (its case-insensitive
matching is Unicode's, which RE2's is not quite: `re` matches the dotless `ı` to `i`), but only
after `vetted_re` has checked, at load, that none can backtrack without bound: no unbounded
repeat (`*`, `+`, `{n,}`) of anything that contains an alternation or another repeat.
"""

from __future__ import annotations

import re
from typing import Any

import re2

# Written in the pattern, these are what RE2 refuses most often; say so in plain words.
_UNSUPPORTED = (
    (re.compile(r"\(\?<?[=!]"), "look-around ((?=, (?!, (?<=, (?<!)"),
    (re.compile(r"\\[1-9]|\(\?P=\w+\)"), "back-references (\\1, (?P=name))"),
    (re.compile(r"\(\?>"), "atomic groups ((?>...))"),
    (re.compile(r"(?<!\\)[*+?}]\+"), "possessive quantifiers (*+, ++, ?+)"),
)


class PatternError(ValueError):
    """A pattern that cannot be compiled safely; the message says why."""


def compile_pattern(source: str, ignore_case: bool = False) -> Any:
    """`source` compiled by RE2 (case-insensitive when asked); PatternError when it cannot be."""
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False
    try:
        return re2.compile(source, options)
    except re2.error as error:
        detail = error.args[0] if error.args else ""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise PatternError(_reason(source, str(detail))) from None


def _reason(source: str, detail: str) -> str:
    for sign, feature in _UNSUPPORTED:
        if sign.search(source):
            return (
                f"uses {feature}, which the linear-time engine (RE2) does not support; "
                "rule patterns must match in time linear in the text"
            )
    return f"not a valid RE2 pattern ({detail})"


def vetted_re(source: str, flags: int = 0) -> re.Pattern[str]:
    """`source` compiled by `re`, after checking it cannot backtrack without bound (for the
    built-in pack's patterns); PatternError when it could."""
    try:
        parsed = re._parser.parse(source, flags)  # type: ignore[attr-defined]
    except re.error as error:
        raise PatternError(f"not a valid pattern ({error})") from None
    if _nested_repeat(parsed.data if hasattr(parsed, "data") else list(parsed), inside=False):
        raise PatternError(
            "repeats (*, +, {n,}) a group that holds a choice or another repeat: "
            "backtracking could take exponential time"
        )
    return re.compile(source, flags)


_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _nested_repeat(items: Any, inside: bool) -> bool:
    """Whether an unbounded repeat holds a branch or a repeat (star height above one)."""
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            _low, high, sub = arg
            unbounded = high == re._parser.MAXREPEAT or high > 16  # type: ignore[attr-defined]
            body = sub.data if hasattr(sub, "data") else list(sub)
            if inside and (unbounded or _has_choice_or_repeat(body)):
                return True
            if _nested_repeat(body, inside or unbounded):
                return True
        elif name == "BRANCH":
            if inside:
                return True
            for branch in arg[1]:
                if _nested_repeat(branch.data, inside):
                    return True
        elif name == "SUBPATTERN":
            sub = arg[-1]
            if _nested_repeat(sub.data if hasattr(sub, "data") else list(sub), inside):
                return True
        elif name in ("ASSERT", "ASSERT_NOT"):
            sub = arg[1]
            if _nested_repeat(sub.data if hasattr(sub, "data") else list(sub), inside):
                return True
    return False


def _has_choice_or_repeat(items: Any) -> bool:
    for op, arg in items:
        name = str(op)
        if name in _REPEATS or name == "BRANCH":
            return True
        if name == "SUBPATTERN":
            sub = arg[-1]
            if _has_choice_or_repeat(sub.data if hasattr(sub, "data") else list(sub)):
                return True
    return False
