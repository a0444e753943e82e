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
not in "you won't"). Phrases are compiled once, on first use, and indexed by the two words they
start with (see `PhraseIndex`): one trie-shaped regex finds where any phrase can start, and only
there do the phrase regexes run, for all groups at once.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pullcheck.linear_regex import PatternError, compile_pattern, vetted_re
from pullcheck.located_yaml import YamlProblem, read_located_yaml

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

# Between two words of a phrase: any run of blanks or punctuation (not letters, digits, `'`).
WORD_GAP = r"[^\w']+"
WORD_RUN = re.compile(r"\w+")
# `@handle` in a phrase stands for any @mention ("guide by @handle"); `#` for a number, alone
# or glued to what follows ("#% off", "#p per msg").
HANDLE = "@handle"
NUMBER = "#"
# `~` stands for any one word ("check out my ~ song").
ANY = "~"
NUMBER_REGEX = r"(?<!\d[,.])\d+(?:[,.]\d+)*+"
LEADING_WORD = re.compile(r"\w+")
# Short words are not inflected: "us" must not match "used", "my" must not match "mies".
INFLECT_FROM = 4
VOWELS = frozenset("aeiou")


class PhraseError(ValueError):
    """A phrase group file is malformed; the message names the phrase. `key`: where in the
    file, as a key path (("patterns", 2)), when known."""

    def __init__(self, message: str, key: tuple[str | int, ...] | None = None) -> None:
        super().__init__(message)
        self.key = key


class Hit(NamedTuple):
    """One phrase-group match: where it is and what it said."""

    group: str
    start: int
    end: int
    text: str


class PhraseExamples(BaseModel):
    """Text the group must find (`match`) and must not (`no_match`), checked when it loads."""

    model_config = ConfigDict(extra="forbid")

    match: list[str] = Field(min_length=3)
    no_match: list[str] = Field(min_length=3)


class PhraseGroupFile(BaseModel):
    """The YAML of one phrase group, validated at the edge."""

    model_config = ConfigDict(extra="forbid")

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


def _inflected(word: str) -> str:
    """A regex for `word` and its simple inflections."""
    if word == ANY:
        return r"[\w']+"
    if word == HANDLE:
        return r"@\w+"
    if word.startswith(HANDLE):
        return r"@\w+" + _literal(word[len(HANDLE) :])
    if word.startswith(NUMBER):
        return NUMBER_REGEX + _literal(word[len(NUMBER) :])
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


def _word_forms(word: str) -> list[str] | None:
    """Every surface form `_inflected(word)` matches, lower-case; None when open-ended."""
    if word.startswith(HANDLE) or word.endswith("*"):
        return None
    if word.startswith(NUMBER):
        return [word]
    if word.startswith("="):
        return [word[1:]]
    if len(word) < INFLECT_FROM or not word.isalpha():
        return [word]
    if word.endswith("e"):
        return [word[:-1] + ending for ending in ("e", "es", "ed", "ing")]
    if word.endswith("y") and word[-2] not in VOWELS:
        return [word[:-1] + ending for ending in ("y", "ies", "ied", "ying")]
    return [word + ending for ending in ("", "s", "es", "ed", "ing", "'s")]


def _runs(form: str) -> set[tuple[str, ...]]:
    """The word runs a form splits into, with and without its (optional) apostrophes."""
    if form.startswith(NUMBER):
        return {(NUMBER, *run) for run in _runs(form[len(NUMBER) :])}
    return {tuple(WORD_RUN.findall(form)), tuple(WORD_RUN.findall(form.replace("'", "")))}


def phrase_heads(phrase: str) -> set[tuple[str, str | None]] | None:
    """The first two words a match of `phrase` can start with (None for the second when the
    match may be a single word); None when that cannot be known (the phrase is scanned)."""
    heads: set[tuple[str, ...]] = {()}
    for token in _split_tokens(phrase):
        if all(len(head) >= 2 for head in heads):
            break
        if token.startswith("(") and token.endswith(")"):
            choices = [alt.split() for alt in _split_alternatives(token[1:-1])]
        else:
            choices = [[token]]
        grown: set[tuple[str, ...]] = set()
        for head in heads:
            if len(head) >= 2:
                grown.add(head)
                continue
            for words in choices:
                extended = {head}
                for word in words:
                    if word == ANY:
                        # Any word: as a second word it leaves the second word open.
                        if any(not done for done in extended):
                            return None
                        extended = {((*done, ANY))[:2] for done in extended}
                        continue
                    forms = _word_forms(word.lower())
                    if forms is None:
                        return None
                    extended = {
                        (done + run)[:2]
                        for done in extended
                        for form in forms
                        for run in _runs(form)
                    }
                grown |= extended
        heads = grown
    pairs: set[tuple[str, str | None]] = set()
    for head in heads:
        if not head:
            return None
        second = head[1] if len(head) > 1 else None
        pairs.add((head[0], None if second == ANY else second))
    return pairs


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


# For a first word: every second word any of its phrases allows (None: any), and per group
# one regex with the second words that group allows.
# (group, regex source for lower-cased text, possible second words or None). Kept as source:
# outside numbers only the rare word-by-word path needs them, so most are never compiled.
GroupEntry = tuple[str, str, frozenset[str] | None]
IndexEntry = tuple[frozenset[str] | None, list[GroupEntry]]


class PairEntry:
    """The phrases of every group that may start with one pair of words: ONE regex of optional
    lookaheads (one per group, so a single match call reports in `Match.regs` where each
    group's phrase ends), the group names in that order, and the same names as a set (so a
    first-hits search can tell in one step that a candidate adds nothing).

    The regex is compiled on first use: a command that judges one draft needs a handful of the
    few hundred, and compiling them all took a third of a second. The proxy compiles them all
    when it loads a config (`PhraseIndex.compile_all`)."""

    __slots__ = ("_parts", "group_set", "groups", "regex")

    def __init__(self, parts: dict[str, list[str]]) -> None:
        self.groups = tuple(parts)
        self.group_set = frozenset(self.groups)
        self.regex: re.Pattern[str] | None = None
        self._parts = parts

    def compiled(self) -> re.Pattern[str]:
        if self.regex is None:
            # Longest wording first, so "check out my channel" wins over "check out".
            source = "".join(
                "(?:(?=(" + "|".join(sorted(self._parts[name], key=len, reverse=True)) + ")))?"
                for name in self.groups
            )
            self.regex = _compiled(source, 0)
        return self.regex


# A group's reach once its first hit is known, when only first hits are wanted: no later
# position is worth trying for it.
FOUND_FIRST = sys.maxsize

# Passed as the following word when the caller already knows the first two words fit.
ANY_WORD = "\x00any"

# A scanned regex: (group, case-insensitive regex on the text, case-sensitive regex for the
# lower-cased text or None, the characters every match opens with or None). IGNORECASE stops
# the regex engine from skipping ahead to a pattern's first characters: `(?:win|won|claim) ...`
# cost 0.3 ms on 3,000 characters, ten times the case-sensitive form on lower-cased text.
ScannedEntry = tuple[str, Any, Any, "str | None"]

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


class PhraseIndex:
    """Phrases looked up by the two words they start with.

    Trying a big alternation at every character costs ~1 ms per group on 3,000 characters.
    Instead one regex, laid out as a character trie of every phrase's possible first word (each
    followed by a lookahead for its possible second words), finds the few places where some
    phrase can start; there, one regex per (first word, second word) reports every group's
    match at once. Raw patterns, and phrases whose opening cannot be known (`word*` or
    `@handle` first, `~` first), are scanned over the whole text instead."""

    def __init__(self) -> None:
        # first word -> group -> (regex parts, possible second words or None for "any")
        self._parts: dict[str, dict[str, tuple[list[str], set[str] | None]]] = {}
        self.by_word: dict[str, IndexEntry] = {}
        # (first word, second word or None for "any") -> group -> regex parts: a regex per pair
        # holds only the phrases that can match there, so each try is short.
        self._pair_parts: dict[tuple[str, str | None], dict[str, list[str]]] = {}
        # Built from those: first word -> second word (or None) -> entry, for the hot loop.
        self.by_first: dict[str, dict[str | None, PairEntry]] = {}
        self.first_groups: dict[str, frozenset[str]] = {}
        self.candidates_source: str | None = None
        self.candidates_ascii: re.Pattern[str] | None = None
        self._candidates_unicode: re.Pattern[str] | None = None
        self.scanned: list[ScannedEntry] = []
        # Built on first use: a group loaded only to be merged into a phrasebook never is.
        self._dirty = True

    def add_phrase(self, group: str, phrase: str) -> None:
        # Nor may it end before an apostrophe: "you won" is not in "you won't".
        body = phrase_regex(phrase) + r"(?![\w'])"
        re.compile(body)
        heads = phrase_heads(phrase)
        if heads is None:
            # No leading look-behind (it would stop the regex engine from skipping ahead to the
            # first character); `_bounded` checks the start instead.
            self._add_scanned(group, body)
            return
        for first, second in heads:
            self._add(first, group, [body], None if second is None else {second})
            self._add_pair((first, second), group, [body])

    def _add_pair(self, pair: tuple[str, str | None], group: str, bodies: list[str]) -> None:
        self._dirty = True
        parts = self._pair_parts.setdefault(pair, {}).setdefault(group, [])
        parts.extend(body for body in bodies if body not in parts)

    def _add(self, first: str, group: str, bodies: list[str], seconds: set[str] | None) -> None:
        self._dirty = True
        parts, known = self._parts.setdefault(first, {}).setdefault(group, ([], set()))
        parts.extend(body for body in bodies if body not in parts)
        if seconds is None or known is None:
            self._parts[first][group] = (parts, None)
        else:
            known |= seconds

    def add_pattern(self, group: str, pattern: str, built_in: bool = False) -> None:
        # A raw pattern is compiled by RE2 (linear time: no pattern can stall judging); the
        # built-in pack's own stay on `re` once vetted (see `linear_regex`). PatternError says
        # why one cannot be. Phrases stay on `re`: their regexes are made by `phrase_regex`
        # from the tiny syntax above, never written by hand.
        self._dirty = True
        if built_in:
            regex = vetted_re(pattern, re.IGNORECASE)
            twin = lowered_twin(pattern)
        else:
            regex = compile_pattern(pattern, ignore_case=True)
            twin = lowered_twin(pattern, compile_pattern)
        self.scanned.append((group, regex, twin, opening_chars(pattern)))

    def _add_scanned(self, group: str, source: str) -> None:
        self._dirty = True
        self.scanned.append(
            (group, re.compile(source, re.IGNORECASE), lowered_twin(source), opening_chars(source))
        )

    def merge(self, other: PhraseIndex) -> None:
        for first, groups in other._parts.items():
            for group, (parts, seconds) in groups.items():
                self._add(first, group, parts, None if seconds is None else set(seconds))
        for pair, pair_groups in other._pair_parts.items():
            for group, parts in pair_groups.items():
                self._add_pair(pair, group, parts)
        self.scanned.extend(other.scanned)

    def build(self) -> None:
        """Index the phrases: per first word each group's alternation, longest wording first so
        "check out my channel" wins over "check out"; per (first, second word) one regex for
        all groups; and the one candidate regex that finds where phrases may start."""
        by_word: dict[str, IndexEntry] = {}
        for first, groups in self._parts.items():
            entries = [
                (
                    group,
                    # Phrases are lower-case and text is lowered once: no IGNORECASE (slower).
                    "|".join(sorted(parts, key=len, reverse=True)),
                    None if seconds is None else frozenset(seconds),
                )
                for group, (parts, seconds) in groups.items()
            ]
            union: set[str] | None = set()
            for _, _, seconds in entries:
                if seconds is None:
                    union = None
                    break
                union |= seconds  # type: ignore[operator]
            by_word[first] = (None if union is None else frozenset(union), entries)
        self.by_word = by_word
        # For the hot loop: first word -> second word -> ONE entry that also holds the phrases
        # open after the first word (second None), so each candidate costs one match.
        self.by_first = {}
        for (first, second), pair_groups in self._pair_parts.items():
            parts = pair_groups
            if second is not None and (first, None) in self._pair_parts:
                parts = {name: list(texts) for name, texts in pair_groups.items()}
                for name, texts in self._pair_parts[(first, None)].items():
                    parts.setdefault(name, []).extend(t for t in texts if t not in parts[name])
            self.by_first.setdefault(first, {})[second] = PairEntry(parts)
        # Every group a first word can lead to: a first-hits search skips the word at once when
        # they all have their hit (in long, pitch-dense text, most candidates).
        self.first_groups = {
            first: frozenset().union(*(entry.group_set for entry in seconds.values()))
            for first, seconds in self.by_first.items()
        }
        # One regex that finds, in lower-cased text, only the places where a phrase's first two
        # words occur. Written as a character trie, so the regex engine rejects most positions
        # after a character or two, in C; Python then runs only the few group regexes there.
        # The second word sits in a lookahead, so a candidate consumes only its first word and
        # the next candidate may start at the very next word.
        openings = {
            # A number may be glued to what follows it ("150p", "50%").
            first: r"(?!\w)"
            if union is None and first != NUMBER
            else ""
            if union is None
            else ("(?=\\W*" if first == NUMBER else "(?=\\W+")
            + _trie(dict.fromkeys(union, r"(?!\w)"))
            + ")"
            for first, (union, _) in by_word.items()
        }
        # Group 1 of a candidate is its first word, group 2 the word after it, so the hot loop
        # needs no second match. Every first word starts with a word character, so a candidate
        # starts the text or follows a non-word character: the search form consumes that
        # character, because a pattern led by a character class lets the regex engine skip to
        # the next one in C instead of trying a match at every position (~25% faster on prose).
        # A candidate at the very start of the text is found by matching a space put in front
        # of it, so no second form is compiled for it (compiling is the slow part of loading).
        # ASCII text gets its own copy compiled with re.ASCII: on ASCII the word classes mean
        # the same, and testing them is cheaper (the scan takes ~25% less time). The copy for
        # other text is compiled when such text first comes (or by `compile_all`).
        if openings:
            self.candidates_source = r"\W(" + _trie(openings) + r")(?:(?=\W*(\w+)))?"
            self.candidates_ascii = re.compile(self.candidates_source, re.ASCII)
        else:
            self.candidates_source = self.candidates_ascii = None
        self._candidates_unicode = None
        self._dirty = False

    def compile_all(self) -> None:
        """Compile now what is otherwise compiled on first use, so that no draft waits for it
        (the proxy calls this when it loads a config)."""
        if self._dirty:
            self.build()
        if self.candidates_source is not None:
            self._unicode_candidates()
        for seconds in self.by_first.values():
            for entry in seconds.values():
                entry.compiled()

    def _unicode_candidates(self) -> re.Pattern[str]:
        # Kept on the index, not left to `_compiled`'s cache: recompiling it costs ~0.3 s.
        if self._candidates_unicode is None:
            assert self.candidates_source is not None
            self._candidates_unicode = re.compile(self.candidates_source)
        return self._candidates_unicode

    def _candidates(self, lowered: str) -> Iterator[tuple[int, str, str | None]]:
        """(start, first word, following word) of every place a phrase may start, in order."""
        regex = self.candidates_ascii if lowered.isascii() else self._unicode_candidates()
        assert regex is not None
        position = 0
        candidate = regex.match(" " + lowered)
        if candidate is not None:
            position = candidate.end() - 1
            yield 0, candidate[1], candidate[2]
        search = regex.search
        while True:
            # One back: a number ("5,") may end on the non-word character before a candidate.
            candidate = search(lowered, position - 1 if position else 0)
            if candidate is None:
                return
            position = candidate.end()
            yield candidate.start(1), candidate[1], candidate[2]

    def _scan_words(
        self, text: str, found: dict[str, list[Hit]], reach: dict[str, int], first_only: bool
    ) -> None:
        """The slow path, word by word, for text whose length changes when lower-cased."""
        by_word = self.by_word
        # A word that starts some phrase is held until the next word is known: the second
        # word decides whether any regex needs to run at all.
        pending_start = -1
        pending: IndexEntry | None = None
        for match in WORD_RUN.finditer(text):
            word = match.group().lower()
            if pending is not None:
                if pending[0] is None or word in pending[0]:
                    self._try(
                        text, text, pending_start, pending[1], word, found, reach, first_only, True
                    )
                pending = None
            entry = by_word.get(word)
            if entry is None and word[0].isdigit():
                entry = by_word.get(NUMBER)
            if entry is not None:
                pending = entry
                pending_start = match.start()
        if pending is not None and pending[0] is None:
            self._try(text, text, pending_start, pending[1], None, found, reach, first_only, True)

    @staticmethod
    def _try(
        subject: str,
        text: str,
        start: int,
        entries: list[GroupEntry],
        following: str | None,
        found: dict[str, list[Hit]],
        reach: dict[str, int],
        first_only: bool,
        ignore_case: bool = False,
    ) -> None:
        """Run, at `start` of `subject` (the lowered text, or `text` itself when
        `ignore_case`), the regexes of the groups whose phrases may go on with `following`."""
        for group, source, seconds in entries:
            if following is not ANY_WORD and seconds is not None and following not in seconds:
                continue
            if reach.get(group, -1) > start:
                continue
            match = _compiled(source, re.IGNORECASE if ignore_case else 0).match(subject, start)
            if match is not None and match.end() > start:
                end = match.end()
                found.setdefault(group, []).append(Hit(group, start, end, text[start:end]))
                reach[group] = FOUND_FIRST if first_only else end

    def find(self, text: str, first_only: bool = False) -> dict[str, list[Hit]]:
        """Every group's non-overlapping hits in `text`, in text order; with `first_only`, each
        group's first hit alone (the same hit as the full search's first: a group stops being
        tried once it has one, and candidates whose groups all have one are skipped)."""
        if self._dirty:
            self.build()
        found: dict[str, list[Hit]] = {}
        reach: dict[str, int] = {}  # per group: end of its last hit (hits do not overlap)
        settled = found.keys()  # groups with a hit (a live view)
        by_word = self.by_word
        # Lower-case once; a few characters change length when lowered ("İ"), and then
        # each word is lowered on its own so positions stay those of `text`.
        lowered = text.lower()
        same_length = len(lowered) == len(text)
        if by_word:
            if same_length and self.candidates_source is not None:
                by_first = self.by_first
                first_groups = self.first_groups
                number = by_word[NUMBER][1] if NUMBER in by_word else None
                # First words whose groups all have their first hit: a set lookup skips them
                # (long pitch-dense text meets the same few words again and again).
                spent: set[str] = set()
                for start, word, following in self._candidates(lowered):
                    # Hot loop: kept inline, one dict per first word.
                    if word in spent:
                        continue
                    seconds = by_first.get(word)
                    if first_only and seconds is not None and settled >= first_groups[word]:
                        if not word[0].isdigit():  # a number has its own groups, below
                            spent.add(word)
                        seconds = None
                    if seconds is not None:
                        # The entry for the following word already holds the phrases open
                        # after the first word; fall back to those alone, then to numbers.
                        entry = seconds.get(following)
                        if entry is None:
                            entry = seconds.get(None)
                        keys: tuple[Any, ...] = (entry,)
                        if following and following[0].isdigit():
                            keys = (entry, seconds.get(NUMBER))
                        for entry in keys:
                            if entry is None:
                                continue
                            if first_only and settled >= entry.group_set:
                                continue
                            match = (entry.regex or entry.compiled()).match(lowered, start)
                            if match is None:
                                continue
                            spans = match.regs
                            for index, group in enumerate(entry.groups, 1):
                                end = spans[index][1]
                                if end > start and reach.get(group, -1) <= start:
                                    found.setdefault(group, []).append(
                                        Hit(group, start, end, text[start:end])
                                    )
                                    reach[group] = FOUND_FIRST if first_only else end
                    if number is not None and word[0].isdigit():
                        # A number may be glued to its next word ("150p"): no filtering.
                        self._try(lowered, text, start, number, ANY_WORD, found, reach, first_only)
            else:
                self._scan_words(text, found, reach, first_only)
        # Scanned patterns run over the whole text. Their hits join the index's in text order,
        # and of two that overlap the one that starts first stays: a pattern's "$49" before an
        # indexed "per month" is the group's first hit.
        scanned: dict[str, list[Hit]] = {}
        case_free = same_length and (text.isascii() or CASE_TWINS.search(text) is None)
        for group, regex, twin, opening in self.scanned:
            subject, pattern = (lowered, twin) if case_free and twin is not None else (text, regex)
            begin = 0
            if opening is not None:
                # No match starts before the first of its opening characters, which str.find
                # finds far faster than the regex engine tests a character class.
                begin = min((at for at in map(subject.find, opening) if at >= 0), default=-1)
                if begin < 0:
                    continue
            matches = pattern.finditer(subject, begin)
            for match in matches:
                start, end = match.span()
                if end <= start or not _bounded(text, start, end):
                    continue
                scanned.setdefault(group, []).append(Hit(group, start, end, text[start:end]))
                if first_only:
                    break  # every later match starts later still
        for group, extra in scanned.items():
            found[group] = _merged(found.get(group, []), extra, first_only)
        return found


def _merged(indexed: list[Hit], extra: list[Hit], first_only: bool) -> list[Hit]:
    """Two lists of one group's hits as one, in text order, without overlaps: the hit that
    starts first stays (at the same start, the indexed one)."""
    kept: list[Hit] = []
    reach = -1
    for hit in sorted(indexed + extra, key=lambda hit: hit.start):
        if hit.start >= reach:
            kept.append(hit)
            reach = hit.end
            if first_only:
                break
    return kept


@lru_cache(maxsize=4096)
def _compiled(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags)


def _trie(items: dict[str, str]) -> str:
    """A regex matching any of the words (each followed by its own continuation regex), laid
    out as a character trie: alternatives at each level start with distinct characters.

    A continuation shared by every word below a node is written once, after that node's
    alternatives (`visit(?:s|ed|ing|)C` rather than `visit(?:sC|edC|ingC|C)`): the same matches
    in the same order, and the candidate regex of a whole rule pack is several times shorter,
    so it compiles in a fraction of the time."""
    root: dict[str, Any] = {}
    for word, continuation in items.items():
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node.setdefault("", []).append(continuation)

    def render(node: dict[str, Any]) -> tuple[str, str]:
        """(body, continuation): the node's regex is body + continuation."""
        parts = [
            ((NUMBER_REGEX if char == NUMBER and node is root else re.escape(char)) + body, tail)
            for char in sorted(node)
            if char
            for body, tail in [render(node[char])]
        ]
        if "" in node:
            ends = node[""]
            parts.append(("", ends[0] if len(ends) == 1 else "(?:" + "|".join(ends) + ")"))
        tails = {tail for _, tail in parts}
        if len(tails) == 1:
            bodies = [body for body, _ in parts]
            return _alternation(bodies), tails.pop()
        return _alternation([body + tail for body, tail in parts]), ""

    body, tail = render(root)
    return body + tail


def _alternation(alternatives: list[str]) -> str:
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


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

    def compile_all(self) -> None:
        """Compile every regex now instead of on first use (see `PhraseIndex.compile_all`)."""
        self.index.compile_all()
        for index in self.language_index.values():
            index.compile_all()

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
            found[group] = _merged(found.get(group, []), hits, first_only)
        return found


class TranslationFile(BaseModel):
    """One language's wording of several groups: `language: es` and `groups: {offer: {...}}`,
    each group as in a group file (phrases, patterns, examples) without `group:`."""

    model_config = ConfigDict(extra="forbid")

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
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
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
