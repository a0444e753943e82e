"""Phrase groups: the wording a marketer (or an asker, or a helper) uses, kept as data.

A group lives in `rules/phrases/<group>.yaml`:

    group: call-to-action
    description: asks the reader to go somewhere or do something for the writer
    phrases:
      - check out my
      - (visit|see) my (website|site|channel)
      - (please|) subscribe
    patterns:            # raw regular expressions, for forms words cannot express ($25, 50% off)
      - '\\d{1,3} ?% off'

Phrase syntax, kept tiny so marketers' wording can be written down by anyone:
- words match case-insensitively, separated by any run of spaces or punctuation;
- `(a|b c|)` is a choice of alternatives, an empty alternative makes the choice optional;
- words of four letters or more also match simple inflections (visit/visits/visited/visiting,
  reply/replies/replied), `=word` switches that off, `word*` matches any word starting so;
- an apostrophe is optional (`i'm` also matches `im`), curly quotes count as straight ones.

A match never starts or ends inside another word. Phrases are compiled once when the pack loads
and indexed by the word they start with (see `PhraseIndex`), so the hot path is one pass over the
draft's words for all groups together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# Curly quotes and look-alike apostrophes become straight ones, one character for one, so spans
# found in the translated text are spans of the original text.
QUOTE_TRANSLATION = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u02bc": "'", "\u2032": "'", "`": "'",
     "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"'}
)

# Between two words of a phrase: any run of blanks or punctuation (not letters, digits, `'`).
WORD_GAP = r"[^\w']+"
WORD_RUN = re.compile(r"\w+")
# `@handle` in a phrase stands for any @mention ("guide by @handle").
HANDLE = "@handle"
LEADING_WORD = re.compile(r"\w+")
# Short words are not inflected: "us" must not match "used", "my" must not match "mies".
INFLECT_FROM = 4
VOWELS = frozenset("aeiou")


class PhraseError(ValueError):
    """A phrase group file is malformed; the message names the phrase."""


class Hit(NamedTuple):
    """One phrase-group match: where it is and what it said."""

    group: str
    start: int
    end: int
    text: str


class PhraseGroupFile(BaseModel):
    """The YAML of one phrase group, validated at the edge."""

    model_config = ConfigDict(extra="forbid")

    group: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    description: str = ""
    phrases: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)

    @field_validator("phrases", "patterns")
    @classmethod
    def no_blank_entries(cls, values: list[str]) -> list[str]:
        for value in values:
            if not str(value).strip():
                raise ValueError("blank entry")
        return values


def _inflected(word: str) -> str:
    """A regex for `word` and its simple inflections."""
    if word == HANDLE:
        return r"@\w+"
    if word.startswith(HANDLE):
        return r"@\w+" + _literal(word[len(HANDLE):])
    if word.startswith("="):
        return _literal(word[1:])
    if word.endswith("*"):
        return _literal(word[:-1]) + r"\w*"
    if len(word) < INFLECT_FROM or not word.isalpha():
        return _literal(word)
    stem = re.escape(word)
    if word.endswith("e"):
        return re.escape(word[:-1]) + r"(?:e|es|ed|ing)"
    if word.endswith("y") and word[-2] not in VOWELS:
        return re.escape(word[:-1]) + r"(?:y|ies|ied|ying)"
    return stem + r"(?:s|es|ed|ing|'s)?"


def _inflection_keys(word: str) -> set[str]:
    """The lower-case leading \\w+ runs of every form `_inflected(word)` can match."""
    if word.startswith(HANDLE):
        return set()
    if word.startswith("="):
        forms = {word[1:]}
    elif word.endswith("*"):
        return set()  # a prefix word cannot be looked up; the phrase is scanned instead
    elif len(word) < INFLECT_FROM or not word.isalpha():
        forms = {word}
    elif word.endswith("e"):
        forms = {word[:-1] + ending for ending in ("e", "es", "ed", "ing")}
    elif word.endswith("y") and word[-2] not in VOWELS:
        forms = {word[:-1] + ending for ending in ("y", "ies", "ied", "ying")}
    else:
        forms = {word + ending for ending in ("", "s", "es", "ed", "ing")}
    keys: set[str] = set()
    for form in forms:
        for variant in (form, form.replace("'", "")):
            match = LEADING_WORD.match(variant)
            if match is None:
                return set()
            keys.add(match.group())
    return keys


def _literal(word: str) -> str:
    """A word as written, with its apostrophes optional."""
    return "'?".join(re.escape(part) for part in word.split("'"))


def _split_tokens(phrase: str) -> list[str]:
    """Words and `( ... )` choices, in order."""
    tokens: list[str] = []
    depth = 0
    current = ""
    for char in phrase.strip():
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise PhraseError(f"unbalanced ')' in phrase {phrase!r}")
        if char.isspace() and depth == 0:
            if current:
                tokens.append(current)
            current = ""
            continue
        current += char
    if depth != 0:
        raise PhraseError(f"unbalanced '(' in phrase {phrase!r}")
    if current:
        tokens.append(current)
    return tokens


def _words(text: str) -> str:
    """Regex for a run of words separated by gaps."""
    words = text.split()
    if not words:
        return ""
    return WORD_GAP.join(_inflected(word.lower()) for word in words)


def phrase_keys(phrase: str) -> set[str]:
    """Words a match of `phrase` can start with; empty when that cannot be known."""
    keys: set[str] = set()
    for token in _split_tokens(phrase):
        optional = False
        if token.startswith("(") and token.endswith(")"):
            alternatives = _split_alternatives(token[1:-1])
            optional = any(not alt.strip() for alt in alternatives)
            for alt in alternatives:
                if alt.strip():
                    found = _inflection_keys(alt.split()[0].lower())
                    if not found:
                        return set()
                    keys |= found
        else:
            found = _inflection_keys(token.lower())
            if not found:
                return set()
            keys |= found
        if not optional:
            return keys
    return set()


def phrase_regex(phrase: str) -> str:
    """Translate one phrase of the tiny syntax into a regex (without word boundaries)."""
    pieces: list[tuple[str, bool]] = []  # (regex, optional)
    for token in _split_tokens(phrase):
        if token.startswith("(") and token.endswith(")"):
            alternatives = _split_alternatives(token[1:-1])
            optional = any(not alt.strip() for alt in alternatives)
            choices = [_words(alt) for alt in alternatives if alt.strip()]
            if not choices:
                raise PhraseError(f"empty choice in phrase {phrase!r}")
            pieces.append(("(?:" + "|".join(choices) + ")", optional))
        elif "(" in token or ")" in token:
            raise PhraseError(f"a choice must stand alone between spaces in {phrase!r}")
        else:
            pieces.append((_inflected(token.lower()), False))
    if not pieces or all(optional for _, optional in pieces):
        raise PhraseError(f"phrase {phrase!r} could match nothing")
    regex = ""
    count = len(pieces)
    for index, (piece, optional) in enumerate(pieces):
        last = index == count - 1
        # An optional last piece brings its own leading gap, so the piece before it does not.
        before_optional_last = index == count - 2 and pieces[-1][1]
        if optional and last:
            regex += f"(?:{WORD_GAP}{piece})?"
        elif optional:
            regex += f"(?:{piece}{WORD_GAP})?"
        else:
            regex += piece + ("" if last or before_optional_last else WORD_GAP)
    return regex


def _split_alternatives(inner: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for char in inner:
        if char == "(":
            raise PhraseError(f"nested choices are not supported: ({inner})")
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return parts


class PhraseIndex:
    """Phrases looked up by the word they start with, so a draft is matched in one pass over
    its words instead of trying every alternative at every character (a big alternation regex
    costs ~1 ms per group on 3,000 characters; this costs a dictionary lookup per word).
    Raw patterns, and phrases whose first word is not known, are scanned as regexes."""

    def __init__(self) -> None:
        self.by_word: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        self.scanned: list[tuple[str, re.Pattern[str]]] = []

    def add_phrase(self, group: str, phrase: str) -> None:
        regex = re.compile(phrase_regex(phrase) + r"(?!\w)", re.IGNORECASE)
        keys = phrase_keys(phrase)
        if not keys:
            self.scanned.append((group, re.compile(r"(?<!\w)" + regex.pattern, re.IGNORECASE)))
            return
        for key in keys:
            self.by_word.setdefault(key, []).append((group, regex))

    def add_pattern(self, group: str, pattern: str) -> None:
        self.scanned.append((group, re.compile(pattern, re.IGNORECASE)))

    def merge(self, other: PhraseIndex) -> None:
        for key, entries in other.by_word.items():
            self.by_word.setdefault(key, []).extend(entries)
        self.scanned.extend(other.scanned)

    def sort(self) -> None:
        # One regex per (first word, group), longest wording first so "check out my channel"
        # wins over "check out": a common first word ("i", "my") then costs one match per group.
        for key, entries in self.by_word.items():
            per_group: dict[str, list[str]] = {}
            for group, regex in entries:
                for part in _alternatives_of(regex):
                    if part not in per_group.setdefault(group, []):
                        per_group[group].append(part)
            self.by_word[key] = [
                (group, _combined(parts)) for group, parts in per_group.items()
            ]

    def find(self, text: str) -> dict[str, list[Hit]]:
        found: dict[str, list[Hit]] = {}
        reach: dict[str, int] = {}  # per group: end of its last hit (hits do not overlap)
        by_word = self.by_word
        if by_word:
            for word in WORD_RUN.finditer(text):
                entries = by_word.get(word.group().lower())
                if entries is None:
                    continue
                start = word.start()
                for group, regex in entries:
                    if reach.get(group, -1) > start:
                        continue
                    match = regex.match(text, start)
                    if match is not None and match.end() > start:
                        found.setdefault(group, []).append(
                            Hit(group, start, match.end(), match.group())
                        )
                        reach[group] = match.end()
        for group, regex in self.scanned:
            for match in regex.finditer(text):
                start, end = match.start(), match.end()
                if end <= start or not _bounded(text, start, end):
                    continue
                if reach.get(group, -1) > start:
                    continue
                found.setdefault(group, []).append(Hit(group, start, end, match.group()))
                reach[group] = end
        for hits in found.values():
            hits.sort(key=lambda hit: hit.start)
        return found


COMBINED_MARK = "(?#combined)"


def _alternatives_of(regex: re.Pattern[str]) -> list[str]:
    pattern = regex.pattern
    if pattern.startswith(COMBINED_MARK):
        return pattern[len(COMBINED_MARK) :].split(COMBINED_MARK)
    return [pattern]


def _combined(parts: list[str]) -> re.Pattern[str]:
    parts = sorted(parts, key=len, reverse=True)
    regex = re.compile("|".join(f"(?:{part})" for part in parts), re.IGNORECASE)
    # Remember the parts so a later merge can recombine them.
    return _Combined(regex, COMBINED_MARK + COMBINED_MARK.join(parts))


class _Combined:
    """A compiled alternation that remembers the phrases it was built from."""

    __slots__ = ("_regex", "pattern")

    def __init__(self, regex: re.Pattern[str], pattern: str) -> None:
        self._regex = regex
        self.pattern = pattern

    def match(self, text: str, pos: int) -> re.Match[str] | None:
        return self._regex.match(text, pos)


def _bounded(text: str, start: int, end: int) -> bool:
    """A match must not start or end inside a word."""
    before = text[start - 1] if start > 0 else " "
    if text[start].isalnum() and (before.isalnum() or before == "_"):
        return False
    return not (
        end < len(text) and text[end - 1].isalnum() and (text[end].isalnum() or text[end] == "_")
    )


@dataclass(frozen=True, slots=True)
class PhraseGroup:
    """A named group of phrases, indexed by first word."""

    name: str
    description: str
    index: PhraseIndex
    size: int

    def find(self, normalised_text: str) -> list[Hit]:
        """Every non-overlapping match in text already passed through `normalise`."""
        return self.index.find(normalised_text).get(self.name, [])

    def first(self, normalised_text: str) -> Hit | None:
        hits = self.find(normalised_text)
        return hits[0] if hits else None


def normalise(text: str) -> str:
    """Straighten quotes, keeping every character at its place (spans stay valid)."""
    return text.translate(QUOTE_TRANSLATION)


def compile_group(spec: PhraseGroupFile) -> PhraseGroup:
    """Compile and index a group; a malformed phrase or pattern is a `PhraseError`."""
    index = PhraseIndex()
    for phrase in spec.phrases:
        index.add_phrase(spec.group, phrase)
    for pattern in spec.patterns:
        try:
            index.add_pattern(spec.group, pattern)
        except re.error as error:
            raise PhraseError(f"pattern {pattern!r}: {error}") from error
    size = len(spec.phrases) + len(spec.patterns)
    if not size:
        raise PhraseError(f"group {spec.group!r} has no phrases and no patterns")
    index.sort()
    return PhraseGroup(spec.group, spec.description, index, size)


class Phrasebook:
    """Every phrase group of a rule pack, by name."""

    def __init__(self, groups: dict[str, PhraseGroup] | None = None) -> None:
        self.groups: dict[str, PhraseGroup] = {}
        self.index = PhraseIndex()
        for group in (groups or {}).values():
            self.add(group)

    def __contains__(self, name: object) -> bool:
        return name in self.groups

    def __getitem__(self, name: str) -> PhraseGroup:
        return self.groups[name]

    def names(self) -> list[str]:
        return sorted(self.groups)

    def add(self, group: PhraseGroup) -> None:
        if group.name in self.groups:
            raise PhraseError(f"phrase group {group.name!r} is defined twice")
        self.groups[group.name] = group
        self.index.merge(group.index)
        self.index.sort()

    def find_all(self, normalised_text: str) -> dict[str, list[Hit]]:
        """Hits per group, only groups that matched; one pass over the words for all groups."""
        return self.index.find(normalised_text)


def load_group_file(path: Path) -> PhraseGroup:
    """Read and compile one phrase group file; errors are `PhraseError` naming the problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise PhraseError(f"YAML syntax: {error}") from error
    if not isinstance(raw, dict):
        raise PhraseError("a phrase group file must be a mapping with 'group' and 'phrases'")
    try:
        spec = PhraseGroupFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PhraseError(f"key '{where}': {first['msg']}") from error
    return compile_group(spec)
