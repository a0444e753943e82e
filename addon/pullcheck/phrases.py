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

A match never starts or ends inside another word. Each group compiles to ONE alternation regex,
built once when the pack loads, so the hot path is a handful of `finditer` calls per draft.
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


@dataclass(frozen=True, slots=True)
class PhraseGroup:
    """A named group of phrases compiled into one regex."""

    name: str
    description: str
    regex: re.Pattern[str]
    size: int

    def find(self, normalised_text: str) -> list[Hit]:
        """Every non-overlapping match in text already passed through `normalise`."""
        return [
            Hit(self.name, match.start(), match.end(), match.group())
            for match in self.regex.finditer(normalised_text)
        ]

    def first(self, normalised_text: str) -> Hit | None:
        match = self.regex.search(normalised_text)
        if match is None:
            return None
        return Hit(self.name, match.start(), match.end(), match.group())


def normalise(text: str) -> str:
    """Straighten quotes, keeping every character at its place (spans stay valid)."""
    return text.translate(QUOTE_TRANSLATION)


def compile_group(spec: PhraseGroupFile) -> PhraseGroup:
    """Compile a group; longer alternatives first so the longest wording wins at a position."""
    alternatives = [phrase_regex(phrase) for phrase in spec.phrases]
    for pattern in spec.patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise PhraseError(f"pattern {pattern!r}: {error}") from error
        alternatives.append(f"(?:{pattern})")
    if not alternatives:
        raise PhraseError(f"group {spec.group!r} has no phrases and no patterns")
    alternatives.sort(key=len, reverse=True)
    regex = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
    return PhraseGroup(spec.group, spec.description, regex, len(alternatives))


class Phrasebook:
    """Every phrase group of a rule pack, by name."""

    def __init__(self, groups: dict[str, PhraseGroup] | None = None) -> None:
        self.groups: dict[str, PhraseGroup] = dict(groups or {})

    def __contains__(self, name: object) -> bool:
        return name in self.groups

    def __getitem__(self, name: str) -> PhraseGroup:
        return self.groups[name]

    def names(self) -> list[str]:
        return sorted(self.groups)

    def add(self, group: PhraseGroup) -> None:
        self.groups[group.name] = group

    def find_all(self, normalised_text: str) -> dict[str, list[Hit]]:
        """Hits per group, only groups that matched."""
        found: dict[str, list[Hit]] = {}
        for name, group in self.groups.items():
            hits = group.find(normalised_text)
            if hits:
                found[name] = hits
        return found


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
