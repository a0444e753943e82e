"""Phrase groups: the wording a marketer (or an asker, or a helper) uses, kept as data.

A group lives in `rules/phrases/<group>.yaml`:

    group: call-to-action
    description: asks the reader to go somewhere or do something for the writer
    phrases:
      - check out my
      - (visit|see) my (website|site|channel)
      - (please|) subscribe
    patterns:            # raw regular expressions, for forms words cannot express
      - '[$€£] ?\\d+'

Phrase syntax, kept tiny so marketers' wording can be written down by anyone:
- words match case-insensitively, separated by any run of spaces or punctuation;
- `(a|b c|)` is a choice of alternatives, an empty alternative makes the choice optional;
- words of four letters or more also match simple inflections (visit/visits/visited/visiting,
  reply/replies/replied), `=word` switches that off, `word*` matches any word starting so;
- an apostrophe is optional (`i'm` also matches `im`), curly quotes count as straight ones;
- `~` is any one word, `#` a number (`#% off`, `#p per msg`), `@handle` any @mention.

A match never starts or ends inside another word, nor ends before an apostrophe ("you won" is
not in "you won't").

How phrases are matched (one strategy, for every phrase of every group and language). The
draft is cut once into tokens, the runs of letters, digits, `_` and `'`, lower-cased, with the
gaps of blanks and punctuation between them; a span is always a pair of offsets into the draft
itself (quotes are straightened one character for one, see `normalise`). Each phrase is parsed
once into pieces (a word, or a choice of word runs that may be optional), and each word into a
test on one whole token: a finite set of spellings (the word, its inflections, with and without
its apostrophes) or, for `~`, `#`, `@handle` and `word*`, a small regex; punctuation written in
a word ("15-min", "#%", "w/") must stand in the gap there. An index maps the spellings a
phrase's first two tokens can have to the phrases that can start so; one pass over the tokens
looks each pair up, and only there runs the phrases found: a phrase of plain words as a
deterministic automaton over tokens (one dictionary lookup per token), any other as a small
search that follows every alternative at once, without backtracking. Of a group's
matches the one that starts first wins, and of those starting together the longest. Raw
`patterns` are regular expressions (`phrase_patterns`), run over the whole text; their matches
join the phrases' by the same rule. Building the index is parsing and filling dictionaries: no
regex is compiled per phrase, so the shipped pack's index is built in milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pullcheck.linear_regex import PatternError
from pullcheck.located_yaml import YamlProblem, load_yaml, read_located_yaml
from pullcheck.phrase_matcher import Hit, PhraseIndex, leftmost_longest
from pullcheck.phrase_syntax import PhraseError

# Curly quotes and look-alike apostrophes become straight ones, one character for one, so spans
# found in the translated text are spans of the original text.
QUOTE_TRANSLATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
    }
)
assert all(code > 127 for code in QUOTE_TRANSLATION if code != ord("`")), "see normalise()"


# Validators built when a phrase file is first read (`defer_build`), not at import: a pack read
# back from disk (`pullcheck.pack_store`) reads none.
class PhraseExamples(BaseModel):
    """Text the group must find (`match`) and must not (`no_match`), checked when it loads."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    match: list[str] = Field(min_length=3)
    no_match: list[str] = Field(min_length=3)


class PhraseGroupFile(BaseModel):
    """The YAML of one phrase group, validated at the edge."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    group: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    description: str = ""
    # The language of its wording (ISO 639-1), searched only in drafts guessed to be in it;
    # None: searched in every draft. Several files may hold one group in different languages.
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    phrases: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    examples: PhraseExamples | None = None

    @field_validator("phrases", "patterns")
    @classmethod
    def no_blank_entries(cls, values: list[str]) -> list[str]:
        for value in values:
            if not str(value).strip():
                raise ValueError("blank entry")
        return values


@dataclass(frozen=True, slots=True)
class PhraseGroup:
    """A named group of phrases, with its own index (to check its examples when it loads)."""

    name: str
    description: str
    index: PhraseIndex
    size: int
    language: str | None = None

    def find(self, normalised_text: str) -> list[Hit]:
        """Every non-overlapping match in text already passed through `normalise`."""
        return self.index.find(normalised_text).get(self.name, [])

    def first(self, normalised_text: str) -> Hit | None:
        hits = self.index.find(normalised_text, first_only=True).get(self.name)
        return hits[0] if hits else None


def normalise(text: str) -> str:
    """Straighten quotes, keeping every character at its place (spans stay valid)."""
    if text.isascii() and "`" not in text:
        return text  # the backtick is the only ASCII character translated (translating costs)
    return text.translate(QUOTE_TRANSLATION)


def compile_group(
    spec: PhraseGroupFile, built_in: bool = False, check_examples: bool = True
) -> PhraseGroup:
    """Compile and index a group; a malformed phrase or pattern, or an example the group gets
    wrong (with `check_examples`), is a `PhraseError`.
    `built_in`: the group ships with pullcheck (its patterns may stay on `re`, vetted)."""
    index = PhraseIndex()
    for phrase in spec.phrases:
        index.add_phrase(spec.group, phrase)
    for number, pattern in enumerate(spec.patterns):
        try:
            index.add_pattern(spec.group, pattern, built_in)
        except (re.error, PatternError) as error:
            raise PhraseError(f"pattern {pattern!r}: {error}", key=("patterns", number)) from error
    size = len(spec.phrases) + len(spec.patterns)
    if not size:
        raise PhraseError(f"group {spec.group!r} has no phrases and no patterns")
    group = PhraseGroup(spec.group, spec.description, index, size, spec.language)
    if check_examples and spec.examples is not None:
        for text in spec.examples.match:
            if group.first(normalise(text)) is None:
                raise PhraseError(f"examples.match: {text!r} is not found by the group")
        for text in spec.examples.no_match:
            hit = group.first(normalise(text))
            if hit is not None:
                raise PhraseError(f"examples.no_match: {text!r} is found ({hit.text!r})")
    return group


class Phrasebook:
    """Every phrase group of a rule pack, by name.

    Groups without a language are searched in every text; a group's wording in another
    language (`language: es`) only in text guessed to be in it (`pullcheck.language`), through
    that language's own index, so English drafts pay nothing for it."""

    def __init__(self, groups: dict[str, PhraseGroup] | None = None) -> None:
        self.groups: dict[str, PhraseGroup] = {}
        self.index = PhraseIndex()
        # language -> (group name -> group), and one index per language.
        self.translations: dict[str, dict[str, PhraseGroup]] = {}
        self.language_index: dict[str, PhraseIndex] = {}
        for group in (groups or {}).values():
            self.add(group)

    def __contains__(self, name: object) -> bool:
        return name in self.groups or any(name in named for named in self.translations.values())

    def __getitem__(self, name: str) -> PhraseGroup:
        return self.groups[name]

    def names(self) -> list[str]:
        named = set(self.groups)
        for groups in self.translations.values():
            named |= set(groups)
        return sorted(named)

    def languages(self) -> list[str]:
        return sorted(self.translations)

    def add(self, group: PhraseGroup) -> None:
        if group.language is None:
            if group.name in self.groups:
                raise PhraseError(f"phrase group {group.name!r} is defined twice")
            self.groups[group.name] = group
            self.index.merge(group.index)
            return
        groups = self.translations.setdefault(group.language, {})
        if group.name in groups:
            raise PhraseError(f"phrase group {group.name!r} ({group.language}) is defined twice")
        groups[group.name] = group
        self.language_index.setdefault(group.language, PhraseIndex()).merge(group.index)

    def build_indexes(self) -> None:
        """Build every index as a draft's first search would (`PhraseIndex.build`), so that a
        pack stored with them built (`pullcheck.pack_store`) reads back ready to search."""
        for index in (self.index, *self.language_index.values()):
            index.build()

    def compile_all(self) -> None:
        """Build every index now, with all it otherwise works out when a draft first needs it
        (the pairs of first words, each phrase's third words), so that no draft waits for it:
        the proxy calls this when it loads a config; a one-off command does not."""
        for index in (self.index, *self.language_index.values()):
            index.prepare_all()

    def find_all(
        self, normalised_text: str, first_only: bool = False, language: str | None = None
    ) -> dict[str, list[Hit]]:
        """Hits per group, only groups that matched; one pass over the words for all groups.
        `first_only`: just each group's first hit (what signals need), much cheaper on long,
        pitch-dense text, where most candidates only repeat groups already found.
        `language`: also search that language's wording of the groups."""
        found = self.index.find(normalised_text, first_only)
        index = self.language_index.get(language) if language else None
        if index is None:
            return found
        for group, hits in index.find(normalised_text, first_only).items():
            spans = [(hit.start, hit.end) for hit in (*found.get(group, ()), *hits)]
            found[group] = [
                Hit(group, start, end, normalised_text[start:end])
                for start, end in leftmost_longest(spans, first_only)
            ]
        return found


class TranslationFile(BaseModel):
    """One language's wording of several groups: `language: es` and `groups: {offer: {...}}`,
    each group as in a group file (phrases, patterns, examples) without `group:`."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    language: str = Field(pattern=r"^[a-z]{2}$")
    description: str = ""
    groups: dict[str, dict[str, Any]] = Field(min_length=1)


def load_phrase_file(
    path: Path, built_in: bool = False, check_examples: bool = True
) -> list[PhraseGroup]:
    """The groups in a phrase file: one group (`group:`), or one language's wording of several
    (`language:` and `groups:`); errors are `PhraseError`s naming the group and key.
    `built_in`: the file ships with pullcheck (its patterns may stay on `re`, vetted)."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise PhraseError(f"YAML syntax: {error}") from error
    if not isinstance(raw, dict) or "groups" not in raw:
        return [load_group_file(path, built_in, check_examples)]
    try:
        translation = TranslationFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PhraseError(f"key '{where}': {first['msg']}") from error
    groups: list[PhraseGroup] = []
    for name, body in translation.groups.items():
        spec_data = {**(body or {}), "group": name, "language": translation.language}
        try:
            spec = PhraseGroupFile.model_validate(spec_data)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise PhraseError(f"key 'groups.{name}.{where}': {first['msg']}") from error
        try:
            groups.append(compile_group(spec, built_in, check_examples))
        except PhraseError as error:
            raise PhraseError(f"groups.{name}: {error}") from error
    return groups


def load_group_file(path: Path, built_in: bool = False, check_examples: bool = True) -> PhraseGroup:
    """Read and compile one phrase group file; errors are `PhraseError` naming the problem."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
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
    try:
        return compile_group(spec, built_in, check_examples)
    except PhraseError as error:
        if error.key is None:
            raise
        name, number = error.key
        line = _line_of(path, error.key)
        at = f"line {line}, " if line else ""
        raise PhraseError(f"{at}key '{name}[{number}]': {error}", key=error.key) from error


def _line_of(path: Path, key: tuple[str | int, ...]) -> int | None:
    """The line where `key` is written in a phrase group file (None when it cannot be told)."""
    try:
        located = read_located_yaml(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError, YamlProblem):
        return None
    where = located.where.get(key)
    return where.line if where is not None else None
