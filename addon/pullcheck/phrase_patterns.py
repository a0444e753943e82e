"""Raw patterns of phrase groups: regular expressions for what the phrase syntax cannot say
(`[$€£] ?\\d+`), run over the whole text. Built-in ones stay on `re` once vetted; a user's go
to RE2 (see `linear_regex`). Two speed-ups, both exact: a pattern whose source names no upper-
case letter runs case-sensitively on lower-cased text (IGNORECASE stops the regex engine from
skipping ahead), and one with a plain opening character starts where `str.find` finds it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from pullcheck.linear_regex import compile_pattern, vetted_re

Span = tuple[int, int]


class PatternEntry(NamedTuple):
    """A compiled raw pattern: its group, the case-insensitive regex on the text, the
    case-sensitive twin for lower-cased text (or None), the characters every match opens with
    (or None)."""

    group: str
    regex: Any
    twin: Any
    opening: str | None
    required: str = ""


def compile_raw_pattern(group: str, pattern: str, built_in: bool = False) -> PatternEntry:
    """`re.error` or `PatternError` when `pattern` cannot be used."""
    if built_in:
        regex = vetted_re(pattern, re.IGNORECASE)
        twin = lowered_twin(pattern)
    else:
        regex = compile_pattern(pattern, ignore_case=True)
        twin = lowered_twin(pattern, compile_pattern)
    return PatternEntry(group, regex, twin, opening_chars(pattern), required_chars(pattern))


# Non-ASCII characters that IGNORECASE relates to an ASCII letter (ſ ~ s, K ~ k, ı ~ i, ...):
# only text without them may take the lower-cased path, where they would not match.
CASE_TWINS = re.compile("[\u00df\u0130\u0131\u017f\u1e9e\u212a\ufb00-\ufb06]")
# Group openings that carry no flags; any other `(?` (an inline flag) keeps IGNORECASE.
PLAIN_GROUPS = re.compile(r"\(\?(?::|=|!|<=|<!|P<\w+>|P=\w+\))")


# A pattern's opening, when it is one plain character or a class of plain characters that must
# be there: `[$€£¥] ?\d`, `@\w+`. Plain: not a regex metacharacter, a backslash, a range or a
# negation.
PLAIN_OPENING = re.compile(r"\[([^\]\\^-]+)\](?![?*{])|([^.^$*+?{}\[\]\\|()])(?![?*{])")


def opening_chars(source: str) -> str | None:
    """The characters every match of `source` starts with, when its opening says so plainly and
    they have no case (so IGNORECASE matches them as written); None otherwise."""
    opening = PLAIN_OPENING.match(source)
    if opening is None or _alternates_at_top(source):
        return None
    chars = opening[1] or opening[2]
    if any(char.lower() != char.upper() for char in chars):
        return None
    return chars


def required_chars(source: str) -> str:
    """Characters every match of `source` contains, read plainly from it: those written at its
    top level (outside groups and classes, not made optional), without case (so IGNORECASE
    matches them as written). A text without one of them cannot match: `-\\s?\\d{1,2}\\s?%` is
    not run over text without a "%"."""
    if _alternates_at_top(source) or "(?" in PLAIN_GROUPS.sub("", source):
        return ""  # an alternative, or an inline flag (`(?x)` makes blanks no literals)
    required = ""
    depth = 0
    in_class = False
    index = 0
    while index < len(source):
        char = source[index]
        literal = None
        if char == "\\":
            escaped = source[index + 1 : index + 2]
            if escaped and not escaped.isalnum():
                literal = escaped
            index += 2
        else:
            if in_class:
                in_class = char != "]"
            elif char == "[":
                in_class = True
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            elif char == "{":
                index = max(index, source.find("}", index))  # a count, not literals
            elif depth == 0 and char not in ".^$*+?{}|":
                literal = char
            index += 1
        optional = source[index : index + 1] in ("?", "*", "{")
        cased = literal is not None and literal.lower() != literal.upper()
        if literal and depth == 0 and not in_class and not optional and not cased:
            required += literal if literal not in required else ""
    return required


def _alternates_at_top(source: str) -> bool:
    """Whether `source` has a `|` outside every group and class (`@x|y` opens with `y` too)."""
    depth = 0
    in_class = escaped = False
    for char in source:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def lowered_twin(source: str, compile: Callable[[str], Any] = re.compile) -> Any | None:
    """A case-sensitive regex that matches lower-cased text exactly where `source` matches the
    text with IGNORECASE; None when that cannot be promised from the source alone.

    Safe when the source names no upper-case letter (so no `\\S`, `\\W`, `[A-Z]`), no other
    cased non-ASCII letter, no code written as a number (`\\x41`, `\\101`, back-references) and
    no inline flag: then every letter it can match is compared in lower case either way."""
    if any(char.isupper() for char in source):
        return None
    if any(not char.isascii() and char.lower() != char.upper() for char in source):
        return None
    if re.search(r"\\[0-9xuUN]", source) or "(?" in PLAIN_GROUPS.sub("", source):
        return None
    return compile(source)


def pattern_spans(
    patterns: list[PatternEntry], text: str, first_only: bool
) -> Iterator[tuple[str, Span]]:
    """(group, span) of the raw patterns' matches (with `first_only`, each pattern's first)."""
    lowered: str | None = None
    case_free = text.isascii() or CASE_TWINS.search(text) is None
    for group, regex, twin, opening, required in patterns:
        if required and any(char not in text for char in required):
            continue
        if case_free and twin is not None:
            if lowered is None:
                lowered = text.lower()
            subject, pattern = lowered, twin
            if len(lowered) != len(text):
                subject, pattern = text, regex
        else:
            subject, pattern = text, regex
        begin = 0
        if opening is not None:
            # No match starts before the first of its opening characters, which str.find
            # finds far faster than the regex engine tests a character class.
            begin = min((at for at in map(subject.find, opening) if at >= 0), default=-1)
            if begin < 0:
                continue
        for match in pattern.finditer(subject, begin):
            start, end = match.span()
            if end <= start or not _bounded(text, start, end):
                continue
            yield group, (start, end)
            if first_only:
                break  # every later match starts later still


def _bounded(text: str, start: int, end: int) -> bool:
    """A pattern's match must not start or end inside a word."""
    before = text[start - 1] if start > 0 else " "
    if text[start].isalnum() and (before.isalnum() or before == "_"):
        return False
    return not (
        end < len(text) and text[end - 1].isalnum() and (text[end].isalnum() or text[end] == "_")
    )
