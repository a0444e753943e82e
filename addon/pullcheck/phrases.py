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
looks each one (with the token after it) up, and only there runs the phrases found, as a small
backtracking-free search over the tokens that follows every alternative at once. Of a group's
matches the one that starts first wins, and of those starting together the longest. Raw
`patterns` are regular expressions (`phrase_patterns`), run over the whole text; their matches
join the phrases' by the same rule. Building the index is parsing and filling dictionaries: no
regex is compiled per phrase, so the shipped pack's index is built in milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pullcheck.linear_regex import PatternError
from pullcheck.phrase_patterns import PatternEntry, Span, compile_raw_pattern, pattern_spans

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

# A text is cut into tokens (runs of letters, digits, `_` and `'`) and the gaps between them;
# between two words of a phrase stands any gap (a run of blanks or punctuation).
TOKEN_SPLIT = re.compile(r"([\w']+)")
TOKEN_RUN = re.compile(r"[\w']+")
# The same for ASCII text, where testing the classes is cheaper.
TOKEN_SPLIT_ASCII = re.compile(r"([\w']+)", re.ASCII)
WORD_GAP = r"[^\w']+"
# `@handle` in a phrase stands for any @mention ("guide by @handle"); `#` for a number, alone
# or glued to what follows ("#% off", "#p per msg").
HANDLE = "@handle"
NUMBER = "#"
# `~` stands for any one word ("check out my ~ song").
ANY = "~"
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


# ---- Parsing: a phrase becomes pieces of word tests -------------------------------------------


class WordTest(NamedTuple):
    """A test on one token (lower-cased): one of a finite set of spellings, or a regex that
    must match the whole token. `number`: the token opens a number, which may run on over
    `,` or `.` between digits ("1,000.50") and end glued to what follows ("150p")."""

    forms: frozenset[str] | None
    pattern: re.Pattern[str] | None = None
    number: bool = False


# A word of a phrase: its tests, one per token it covers, and the punctuation written between
# or around them ("15-min": a test, "-", a test; "#%": a number, "%"; "@handle": "@", a test).
# A word that is one token with a set of spellings (most words) is that set itself, which the
# matcher tests inline.
Atom = WordTest | str
Word = frozenset[str] | tuple[Atom, ...]
# One piece of a phrase: its alternatives (each a run of words) and whether it may be left out.
Piece = tuple[tuple[tuple[Word, ...], ...], bool]

ANY_TOKEN = WordTest(None, re.compile(r"[\w']+"))


@dataclass(frozen=True, slots=True, eq=False)
class Phrase:
    """One phrase of one group, parsed (compared by identity: cheap as a dictionary key)."""

    group: str
    text: str
    pieces: tuple[Piece, ...]


def parse_phrase(phrase: str) -> tuple[Piece, ...]:
    """The pieces of one phrase of the tiny syntax; a malformed phrase is a `PhraseError`."""
    pieces: list[Piece] = []
    for token in _split_tokens(phrase):
        if token.startswith("(") and token.endswith(")"):
            alternatives = _split_alternatives(token[1:-1])
            optional = any(not alt.strip() for alt in alternatives)
            choices = tuple(
                tuple(_word(word) for word in alt.lower().split())
                for alt in alternatives
                if alt.strip()
            )
            if not choices:
                raise PhraseError(f"empty choice in phrase {phrase!r}")
            pieces.append((choices, optional))
        elif "(" in token or ")" in token:
            raise PhraseError(f"a choice must stand alone between spaces in {phrase!r}")
        else:
            pieces.append((((_word(token.lower()),),), False))
    if not pieces or all(optional for _, optional in pieces):
        raise PhraseError(f"phrase {phrase!r} could match nothing")
    first_words = [words[0] for words in pieces[0][0]]
    if not all(_tests_of(word) for word in first_words):
        raise PhraseError(f"phrase {phrase!r} must begin with a word, not punctuation")
    return tuple(pieces)


# A phrase of words and choices, each standing alone between spaces (most phrases: read in C).
PLAIN_PHRASE = re.compile(r"\s*(?:\([^()]*\)|[^\s()]+)(?:\s+(?:\([^()]*\)|[^\s()]+))*\s*")
PHRASE_TOKEN = re.compile(r"\([^()]*\)|[^\s()]+")


def _split_tokens(phrase: str) -> list[str]:
    """Words and `( ... )` choices, in order."""
    if PLAIN_PHRASE.fullmatch(phrase):
        return PHRASE_TOKEN.findall(phrase)
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


def _split_alternatives(inner: str) -> list[str]:
    if "(" in inner:
        raise PhraseError(f"nested choices are not supported: ({inner})")
    return inner.split("|")


def _tests_of(word: Word) -> list[WordTest]:
    """The token tests of a word, in order."""
    if isinstance(word, frozenset):
        return [WordTest(word)]
    return [atom for atom in word if isinstance(atom, WordTest)]


@lru_cache(maxsize=8192)
def _word(word: str) -> Word:
    """The tests and punctuation of one (lower-case) word of a phrase."""
    if word == ANY:
        return (ANY_TOKEN,)
    if word.startswith(HANDLE):
        glued, after = _glued(word[len(HANDLE) :])
        handle = WordTest(None, _pattern(r"\w+" + _literal(glued)))
        return ("@", handle, *_as_atoms(_atoms(after, inflect=False)))
    if word.startswith(NUMBER):
        glued, after = _glued(word[len(NUMBER) :])
        number = WordTest(None, _pattern(r"\d+" + _literal(glued)), number=True)
        return (number, *_as_atoms(_atoms(after, inflect=False)))
    if word.startswith("="):
        return _atoms(word[1:], inflect=False)
    if word.endswith("*"):
        atoms = _as_atoms(_atoms(word[:-1], inflect=False, prefix=True))
        if not atoms or isinstance(atoms[-1], str):
            raise PhraseError(f"'*' must follow a letter: {word!r}")
        return atoms
    return _atoms(word, inflect=True)


def _as_atoms(word: Word) -> tuple[Atom, ...]:
    return (WordTest(word),) if isinstance(word, frozenset) else word


def _glued(rest: str) -> tuple[str, str]:
    """What is glued to a number or handle (`p` of `#p`, `'s` of `@handle's`), and the rest."""
    glued = re.match(r"[\w']*", rest)
    assert glued is not None
    return glued.group(), rest[glued.end() :]


def _atoms(text: str, inflect: bool, prefix: bool = False) -> Word:
    """Runs of letters become token tests; what stands between them is punctuation to find."""
    if inflect and len(text) >= INFLECT_FROM and text.isalpha():
        return frozenset(_word_forms(text))
    if not prefix and TOKEN_RUN.fullmatch(text):
        return frozenset(_spellings(text))
    parts = TOKEN_SPLIT.split(text)
    atoms: list[Atom] = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            if part:
                atoms.append(part)
        elif prefix and index == len(parts) - 2:
            atoms.append(WordTest(None, _pattern(_literal(part) + r"\w*")))
        else:
            atoms.append(WordTest(frozenset(_spellings(part))))
    return tuple(atoms)


def _word_forms(word: str) -> list[str]:
    """A word of four letters or more and its simple inflections."""
    if word.endswith("e"):
        return [word[:-1] + ending for ending in ("e", "es", "ed", "ing")]
    if word.endswith("y") and word[-2] not in VOWELS:
        return [word[:-1] + ending for ending in ("y", "ies", "ied", "ying")]
    return [word + ending for ending in ("", "s", "es", "ed", "ing", "'s")]


def _spellings(run: str) -> set[str]:
    """A run as written, each of its apostrophes kept or left out (`i'm`, `im`)."""
    pieces = run.split("'")
    forms = {pieces[0]}
    for piece in pieces[1:]:
        forms = {form + "'" + piece for form in forms} | {form + piece for form in forms}
    return forms


def _literal(word: str) -> str:
    """A regex for a word as written, with its apostrophes optional."""
    return "'?".join(re.escape(part) for part in word.split("'"))


@lru_cache(maxsize=1024)
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)


@lru_cache(maxsize=1024)
def _gap_pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)


# ---- Matching a parsed phrase at one place -------------------------------------------------

# A place in a match: (next token, punctuation still owed before it as regex source, None
# before the first token; punctuation written before the first token, as "@" of "@handle").
State = tuple[int, "str | None", str]


class Tokens(NamedTuple):
    """A text cut into tokens (lower-cased) and the gaps around them: gaps[k] comes before
    tokens[k], gaps[-1] after the last token. `parts`: gaps and tokens in turn, as cut from
    `subject` (the text, lower-cased when that keeps every character at its place)."""

    tokens: list[str]
    gaps: list[str]
    parts: list[str]
    subject: str


def tokenise(text: str) -> Tokens:
    lowered = text.lower()
    if lowered.isascii():
        parts = TOKEN_SPLIT_ASCII.split(lowered)
        return Tokens(parts[1::2], parts[0::2], parts, lowered)
    if len(lowered) == len(text):
        parts = TOKEN_SPLIT.split(lowered)
        return Tokens(parts[1::2], parts[0::2], parts, lowered)
    # A few characters grow when lowered ("İ"): lower each token alone, so offsets stay.
    parts = TOKEN_SPLIT.split(text)
    return Tokens([token.lower() for token in parts[1::2]], parts[0::2], parts, text)


def _take(test: WordTest, cut: Tokens, at: int, part: str | None) -> int:
    """The token after what `test` takes at token `at` (`part`: only the part of that token
    after an apostrophe, when a match starts there); -1 when it does not match."""
    subject = cut.tokens[at] if part is None else part
    if test.forms is not None:
        return at + 1 if subject in test.forms else -1
    assert test.pattern is not None
    if not test.number:
        return at + 1 if test.pattern.fullmatch(subject) else -1
    tokens, gaps = cut.tokens, cut.gaps
    # Not the digits after a separator of a number ("1,000": "000" is no number of its own).
    if part is None and _inside_number(cut, at):
        return -1
    # The number runs on while a separator and digits follow (taken whole: "1,000p" is one).
    last = len(tokens) - 1
    while at < last and subject.isdecimal() and gaps[at + 1] in SEPARATORS:
        if not tokens[at + 1][:1].isdecimal():
            break
        at += 1
        subject = tokens[at]
    return at + 1 if test.pattern.fullmatch(subject) else -1


def _step(word: Word, state: State, cut: Tokens, part: str | None) -> State | None:
    """`state` after `word`, or None when the word does not fit there. `part`: the part of the
    first token after an apostrophe, when the match starts there."""
    at, owed, before = state
    for atom in word:
        if atom.__class__ is str:
            if owed is None:
                before += atom  # type: ignore[operator]
            else:
                owed += re.escape(atom)  # type: ignore[arg-type]
            continue
        if at >= len(cut.tokens):
            return None
        if owed is None:
            if before and (part is not None or not cut.gaps[at].endswith(before)):
                return None
            at = _take(atom, cut, at, part)  # type: ignore[arg-type]
        else:
            if owed != WORD_GAP and not _gap_pattern(owed).fullmatch(cut.gaps[at]):
                return None
            at = _take(atom, cut, at, None)  # type: ignore[arg-type]
        if at < 0:
            return None
        owed = ""
    if owed is None:
        return None  # punctuation alone cannot open a match
    return at, owed + WORD_GAP, before


def match_ends(phrase: Phrase, cut: Tokens, at: int, part: str | None) -> list[State]:
    """Every way `phrase` can match from token `at`: its end states."""
    tokens = cut.tokens
    count = len(tokens)
    states: list[State] = [(at, None, "")]
    for alternatives, optional in phrase.pieces:
        grown = list(states) if optional else []
        for state in states:
            for words in alternatives:
                reached: State | None = state
                for word in words:
                    if word.__class__ is not frozenset:
                        reached = _step(word, reached, cut, part)  # type: ignore[arg-type]
                        if reached is None:
                            break
                        continue
                    # One token with a set of spellings (most words): inline.
                    index, owed, before = reached  # type: ignore[misc]
                    if index >= count:
                        reached = None
                        break
                    if owed is None:
                        subject = tokens[index] if part is None else part
                    else:
                        if owed != WORD_GAP and not _gap_pattern(owed).fullmatch(cut.gaps[index]):
                            reached = None
                            break
                        subject = tokens[index]
                    if subject not in word:
                        reached = None
                        break
                    reached = (index + 1, WORD_GAP, before)
                if reached is not None and reached not in grown:
                    grown.append(reached)
        if not grown:
            return []
        states = grown
    return [state for state in states if state[1] is not None]


class Automaton(NamedTuple):
    """A phrase of plain words (each one token with a set of spellings, no punctuation) as a
    deterministic automaton over tokens: `moves[state]` maps a spelling to the next state;
    state 0 is the start. Built from the phrase's pieces by the subset construction, so it
    accepts exactly the token runs `match_ends` does, one dictionary lookup per token."""

    moves: tuple[dict[str, int], ...]
    accepting: frozenset[int]


def automaton(pieces: tuple[Piece, ...]) -> Automaton | None:
    """The automaton of a phrase of plain words; None for any other phrase."""
    if not all(
        word.__class__ is frozenset
        for alternatives, _ in pieces
        for words in alternatives
        for word in words
    ):
        return None
    # A nondeterministic automaton first: edges labelled with a word's spellings, and empty
    # moves past an optional piece and from the end of each alternative.
    edges: list[list[tuple[frozenset[str], int]]] = [[]]
    empty: list[list[int]] = [[]]

    def node() -> int:
        edges.append([])
        empty.append([])
        return len(edges) - 1

    current = 0
    for alternatives, optional in pieces:
        done = node()
        if optional:
            empty[current].append(done)
        for words in alternatives:
            at = current
            for word in words:
                following = node()
                edges[at].append((word, following))  # type: ignore[arg-type]
                at = following
            empty[at].append(done)
        current = done
    final = current

    def closure(nodes: Iterable[int]) -> frozenset[int]:
        reached = set(nodes)
        stack = list(reached)
        while stack:
            for target in empty[stack.pop()]:
                if target not in reached:
                    reached.add(target)
                    stack.append(target)
        return frozenset(reached)

    states = [closure([0])]
    numbers = {states[0]: 0}
    moves: list[dict[str, int]] = []
    closures: dict[frozenset[int], int] = {}
    for state in states:  # grows while it is read: every state reached gets its moves
        targets: dict[str, set[int]] = {}
        for at in state:
            for spellings, target in edges[at]:
                for spelling in spellings:
                    targets.setdefault(spelling, set()).add(target)
        move: dict[str, int] = {}
        for spelling, nodes in targets.items():
            key = frozenset(nodes)
            number = closures.get(key)
            if number is None:
                reached = closure(nodes)
                number = numbers.get(reached)
                if number is None:
                    number = numbers[reached] = len(states)
                    states.append(reached)
                closures[key] = number
            move[spelling] = number
        moves.append(move)
    accepting = frozenset(number for state, number in numbers.items() if final in state)
    return Automaton(tuple(moves), accepting)


def automaton_end(machine: Automaton, tokens: list[str], at: int, part: str | None) -> int:
    """The end (a token index) of the longest match of `machine` from token `at` (`part`: the
    part of that token after an apostrophe, when the match starts there); -1 when none."""
    moves, accepting = machine.moves, machine.accepting
    state = moves[0].get(tokens[at] if part is None else part)
    if state is None:
        return -1
    end = at + 1 if state in accepting else -1
    count = len(tokens)
    at += 1
    while at < count:
        state = moves[state].get(tokens[at])
        if state is None:
            break
        at += 1
        if state in accepting:
            end = at
    return end


# ---- The index: every phrase of every group, by the words it can start with ----------------

# Index keys besides spellings: a number, and "any token" (a phrase opening with `~`, `word*`
# or `@handle`, or one whose next token cannot be told).
NUMBER_KEY = "#"
SEPARATORS = frozenset(",.")


def _openings(pieces: tuple[Piece, ...], depth: int) -> set[tuple[WordTest, ...]]:
    """The tests of the first `depth` tokens a match can open with (shorter where a match may
    end sooner). A number counts as one token, however many it covers."""
    states: set[tuple[WordTest, ...]] = {()}
    for alternatives, optional in pieces:
        if all(len(state) >= depth for state in states):
            break
        grown = set(states) if optional else set()
        for state in states:
            if len(state) >= depth:
                grown.add(state)
                continue
            for words in alternatives:
                tests = [test for word in words for test in _tests_of(word)]
                grown.add((*state, *tests)[:depth])
        states = grown
    return {state for state in states if state}


def phrase_heads(pieces: tuple[Piece, ...]) -> set[tuple[WordTest, WordTest | None]]:
    """The tests of the first two tokens a match can open with (None for the second when the
    match may end after one token)."""
    return {(state[0], state[1] if len(state) > 1 else None) for state in _openings(pieces, 2)}


def third_spellings(pieces: tuple[Piece, ...]) -> frozenset[str] | None:
    """The spellings the third token of a match can have; None when that is open (a match
    may end sooner, a test is no set of spellings, or a number may cover several tokens)."""
    spellings: set[str] = set()
    for state in _openings(pieces, 3):
        if len(state) < 3 or any(test.forms is None for test in state):
            return None
        spellings.update(state[2].forms)  # type: ignore[arg-type]
    return frozenset(spellings)


def _by_following(
    heads: tuple[tuple[Phrase, WordTest | None], ...],
) -> dict[str | None, tuple[Phrase, ...]]:
    """Phrases by the spelling of the token that follows their first (None: any token; the
    list for a spelling also holds those)."""
    following: dict[str | None, dict[Phrase, None]] = {}
    for phrase, second in heads:
        for key in _keys(second):
            following.setdefault(key, {})[phrase] = None
    open_after = following.get(None, {})
    return {
        key: tuple({**phrases, **open_after}) if key is not None else tuple(phrases)
        for key, phrases in following.items()
    }


def _keys(test: WordTest | None) -> Iterator[str | None]:
    if test is None or (test.forms is None and not test.number):
        yield None
    elif test.number:
        yield NUMBER_KEY
    else:
        yield from test.forms  # type: ignore[misc]


class PhraseIndex:
    """Every phrase of a set of groups, looked up by the spellings of the first two tokens it
    can start with, and the groups' raw patterns."""

    def __init__(self) -> None:
        self.phrases: list[Phrase] = []
        self.patterns: list[PatternEntry] = []
        # first token -> second token (None: any) -> phrases; and for phrases whose first token
        # is open: second token (None: any) -> phrases.
        self._heads: dict[str, tuple[tuple[Phrase, WordTest | None], ...]] = {}
        self._by_first: dict[str, dict[str | None, tuple[Phrase, ...]]] = {}
        self._by_second: dict[str | None, tuple[Phrase, ...]] = {}
        self._groups_by_first: dict[str, frozenset[str]] = {}
        self._open_groups: frozenset[str] = frozenset()
        self._head_set: frozenset[str] = frozenset()
        self._longest = 0
        self._thirds: dict[Phrase, frozenset[str] | None] = {}
        self._machines: dict[Phrase, Automaton | None] = {}
        self._learned: set[str] = set()
        self._pairs: set[tuple[str, str]] = set()
        self._singles: set[str] = set()
        self._before_number: set[str] = set()
        self._built = False

    def add_phrase(self, group: str, phrase: str) -> None:
        self.phrases.append(Phrase(group, phrase, parse_phrase(phrase)))
        self._built = False

    def add_pattern(self, group: str, pattern: str, built_in: bool = False) -> None:
        """`re.error` or `PatternError` when the pattern cannot be used (see `phrase_patterns`)."""
        self.patterns.append(compile_raw_pattern(group, pattern, built_in))

    def merge(self, other: PhraseIndex) -> None:
        self.phrases.extend(other.phrases)
        self.patterns.extend(other.patterns)
        self._built = False

    def build(self) -> None:
        """Index every phrase by the spellings its first token can have. What may follow is
        sorted out per first word when a draft first holds that word (`_seconds`): most of the
        index is never needed by one command, and sorting all of it would cost more than the
        rest of the build."""
        by_first: dict[str, dict[tuple[Phrase, WordTest | None], None]] = {}
        opening_any: dict[tuple[Phrase, WordTest | None], None] = {}
        for phrase in self.phrases:
            for first_test, second_test in phrase_heads(phrase.pieces):
                head = (phrase, second_test)
                if first_test.forms is not None:
                    for form in first_test.forms:
                        by_first.setdefault(form, {})[head] = None
                elif first_test.number:
                    by_first.setdefault(NUMBER_KEY, {})[head] = None
                else:
                    opening_any[head] = None
        self._heads = {first: tuple(heads) for first, heads in by_first.items()}
        self._head_set = frozenset(self._heads)
        self._longest = max(map(len, self._head_set), default=0)
        self._by_first = {}
        self._groups_by_first = {}
        self._learned, self._pairs, self._singles, self._before_number = set(), set(), set(), set()
        self._by_second = _by_following(tuple(opening_any))
        self._open_groups = frozenset(phrase.group for phrase, _ in opening_any)
        self._built = True

    def seconds(self, first: str) -> dict[str | None, tuple[Phrase, ...]] | None:
        """For a first token: the phrases to try, by the token that follows (None: whatever
        follows; the lists for a following token include those)."""
        seconds = self._by_first.get(first)
        if seconds is None:
            heads = self._heads.get(first)
            if heads is None:
                return None
            seconds = self._by_first[first] = _by_following(heads)
        return seconds

    def prepare_all(self) -> None:
        """Build, and work out now what is otherwise worked out on first use."""
        if not self._built:
            self.build()
        self.learn(set(self._heads))
        for phrase in self.phrases:
            self.thirds(phrase)
            self.machine(phrase)

    def machine(self, phrase: Phrase) -> Automaton | None:
        """`automaton` of a phrase, built when it is first tried."""
        try:
            return self._machines[phrase]
        except KeyError:
            machine = self._machines[phrase] = automaton(phrase.pieces)
            return machine

    def thirds(self, phrase: Phrase) -> frozenset[str] | None:
        """`third_spellings` of a phrase, worked out when it is first tried."""
        try:
            return self._thirds[phrase]
        except KeyError:
            thirds = self._thirds[phrase] = third_spellings(phrase.pieces)
            return thirds

    def learn(self, spellings: set[str]) -> None:
        """Add to the pairs of first and second spellings (`_pairs`) those of the first
        spellings among `spellings` not seen before; first spellings whose phrases may go on
        with any token go to `_singles`, those that may go on with a number to
        `_before_number`. Built as drafts need it: all of it would cost more than the rest of
        the build, and it stays bounded by the index."""
        for first in spellings.intersection(self._head_set).difference(self._learned):
            seconds = self.seconds(first)
            assert seconds is not None
            self._pairs.update((first, second) for second in seconds if isinstance(second, str))
            if None in seconds:
                self._singles.add(first)
            if NUMBER_KEY in seconds:
                self._before_number.add(first)
            self._learned.add(first)

    def groups_tried_at(self, token: str) -> frozenset[str]:
        """The groups of every phrase that may be tried where `token` stands (those opening
        with its spelling, with a number if it is one, with any token)."""
        number = token[0].isdecimal()
        # Kept per spelling of the index, and once for every other number: a bounded cache.
        key = token if token in self._heads else NUMBER_KEY if number else None
        if key is None:
            return self._open_groups
        groups = self._groups_by_first.get(key)
        if groups is None:
            opened = {phrase.group for phrase, _ in self._heads.get(key, ())}
            if number:
                opened.update(phrase.group for phrase, _ in self._heads.get(NUMBER_KEY, ()))
            groups = self._groups_by_first[key] = self._open_groups | opened
        return groups

    def find(self, text: str, first_only: bool = False) -> dict[str, list[Hit]]:
        """Every group's hits in `text`, in text order, without overlaps; with `first_only`,
        each group's first hit alone (the full search's first). Of two matches of a group, the
        one that starts first wins, and at the same start the longer."""
        if not self._built:
            self.build()
        spans: dict[str, list[Span]] = (
            _phrase_spans(self, tokenise(text), first_only) if self.phrases else {}
        )
        for group, span in pattern_spans(self.patterns, text, first_only):
            spans.setdefault(group, []).append(span)
        return {
            group: [Hit(group, start, end, text[start:end]) for start, end in kept]
            for group, group_spans in spans.items()
            for kept in [_leftmost_longest(group_spans, first_only)]
        }


def _phrase_spans(index: PhraseIndex, cut: Tokens, first_only: bool) -> dict[str, list[Span]]:
    """Per group, the longest match at each place where one of its phrases starts; with
    `first_only`, a group is no longer tried after the first place where it matched."""
    tokens = cut.tokens
    count = len(tokens)
    seconds_of, by_second = index.seconds, index._by_second
    numbers = seconds_of(NUMBER_KEY)
    positions = _places(index, tokens)
    found: dict[str, list[Span]] = {}
    offsets: list[int] = []
    # Spellings whose groups all have their first hit (first_only): skipped from then on.
    spent: set[str] = set()
    plans: dict[tuple[str, str | None], tuple[Phrase, ...]] = {}
    for at in positions:
        token = tokens[at]
        if token in spent:
            continue
        following = tokens[at + 1] if at + 1 < count else None
        # The same pair of words comes back in a long draft: what to try is looked up once.
        phrases = plans.get((token, following))
        if phrases is None:
            phrases = plans[token, following] = _phrases_for(
                seconds_of(token), by_second, following
            )
        # No number starts inside another ("1,000": not at "000"); walking the rest of a long
        # run of digits from each of its parts would take quadratic time.
        if numbers is not None and token[0].isdecimal() and not _inside_number(cut, at):
            phrases += _phrases_for(numbers, {}, _after_number(cut, at, token))
        if phrases:
            _longest_at(index, phrases, cut, at, None, found, first_only, offsets)
            if first_only and "'" not in token and found.keys() >= index.groups_tried_at(token):
                spent.add(token)
        if "'" in token:
            # A match may also start after an apostrophe ("'check out my ..."): never inside
            # a word, but an apostrophe is no word.
            raw = cut.parts[2 * at + 1]
            # A part longer than every first spelling opens nothing (unless a phrase opens
            # with any token): start at the apostrophes near the end, so a token of thousands
            # of apostrophes costs no more than its length.
            skip = raw.find("'", 0 if None in by_second else max(0, len(raw) - index._longest - 1))
            while skip >= 0:
                part = raw[skip + 1 :].lower()
                if part:
                    phrases = _phrases_for(seconds_of(part), by_second, following)
                    if numbers is not None and part[0].isdecimal():
                        phrases += _phrases_for(numbers, {}, _after_number(cut, at, part))
                    if phrases:
                        _longest_at(
                            index, phrases, cut, at, (skip + 1, part), found, first_only, offsets
                        )
                skip = raw.find("'", skip + 1)
    return found


def _where(tokens: list[str], token: str) -> Iterator[int]:
    """Every index of `token` in `tokens` (list.index scans in C)."""
    at = -1
    try:
        while True:
            at = tokens.index(token, at + 1)
            yield at
    except ValueError:
        return


def _places(index: PhraseIndex, tokens: list[str]) -> Iterable[int]:
    """The token positions where a phrase may start, in order: a pair of tokens some phrase
    opens with, a first word whose phrases may go on with any token, a number, a token with an
    apostrophe inside, or the token before one that follows an open first word."""
    count = len(tokens)
    by_second = index._by_second
    if not count:
        return ()
    if None in by_second:
        return range(count)  # a phrase opening with `~` may start anywhere
    distinct = set(tokens)
    index.learn(distinct)
    heads, pairs, before_number = index._head_set, index._pairs, index._before_number
    numbers = {token for token in distinct if token[0].isdecimal()}
    # Tokens that are places wherever they stand: first words whose phrases may go on with any
    # token, numbers (when phrases open with one), tokens with an apostrophe inside.
    anywhere = distinct.intersection(index._singles)
    if numbers and NUMBER_KEY in index._heads:
        anywhere.update(numbers)
    anywhere.update(token for token in distinct if "'" in token)
    firsts = distinct.intersection(heads)
    firsts.update(anywhere)
    following = tokens[1:]
    following.append("")
    places = [
        at
        for at, pair in enumerate(zip(tokens, following, strict=True))
        if pair[0] in firsts
        and (
            pair[0] in anywhere
            or pair in pairs
            or (pair[0] in before_number and pair[1] in numbers)
        )
    ]
    if by_second:
        # Phrases opening with `@handle` or `word*`, found by the token after their first.
        before = {
            at - 1
            for second in distinct.intersection(by_second)
            for at in _where(tokens, second)
            if at
        }
        if before:
            return sorted(before.union(places))
    return places


def _after_number(cut: Tokens, at: int, first: str) -> str | None:
    """The token after the number that starts at token `at` ("1,000 per": "per"); `first`:
    that token, or its part where the number starts (after an apostrophe)."""
    tokens, gaps = cut.tokens, cut.gaps
    last = len(tokens) - 1
    while at < last and first.isdecimal() and gaps[at + 1] in SEPARATORS:
        if not tokens[at + 1][:1].isdecimal():
            break
        at += 1
        first = tokens[at]
    return tokens[at + 1] if at < last else None


def _inside_number(cut: Tokens, at: int) -> bool:
    """Whether token `at` is digits after a separator of a number ("1,000": "000")."""
    return bool(at) and cut.gaps[at] in SEPARATORS and cut.tokens[at - 1][-1:].isdecimal()


def _phrases_for(
    seconds: dict[str | None, tuple[Phrase, ...]] | None,
    by_second: dict[str | None, tuple[Phrase, ...]],
    following: str | None,
) -> tuple[Phrase, ...]:
    """The phrases to try at a token: those its spelling opens (`seconds`, by what follows)
    and those any token may open (`by_second`)."""
    phrases: tuple[Phrase, ...] = ()
    number = following is not None and following[0].isdecimal()
    for table in (seconds, by_second):
        if table:
            phrases += table.get(following) or table.get(None) or ()
            if number and NUMBER_KEY in table:
                phrases += table[NUMBER_KEY]
    return phrases


# Not yet worked out (`PhraseIndex.thirds`).
UNKNOWN: Any = object()


def _longest_at(
    index: PhraseIndex,
    phrases: Iterable[Phrase],
    cut: Tokens,
    at: int,
    after: tuple[int, str] | None,
    found: dict[str, list[Span]],
    first_only: bool,
    offsets: list[int],
) -> None:
    """Add to `found` each group's longest match starting at token `at` (or `after[0]`
    characters into it, where `after[1]` is the rest of the token)."""
    best: dict[str, Span] = {}
    part = after[1] if after is not None else None
    tokens = cut.tokens
    known_thirds, known_machines = index._thirds, index._machines
    third = tokens[at + 2] if at + 2 < len(tokens) else None
    for phrase in phrases:
        group = phrase.group
        if first_only and group in found:
            continue
        thirds = known_thirds.get(phrase, UNKNOWN)
        if thirds is UNKNOWN:
            thirds = index.thirds(phrase)
        if thirds is not None and third not in thirds:
            continue
        machine = known_machines.get(phrase, UNKNOWN)
        if machine is UNKNOWN:
            machine = index.machine(phrase)
        if machine is not None:
            end_at = automaton_end(machine, tokens, at, part)
            ends: list[State] = [(end_at, WORD_GAP, "")] if end_at > 0 else []
        else:
            ends = match_ends(phrase, cut, at, part)
        for end_at, owed, before in ends:
            if not offsets:
                offsets.extend(accumulate(map(len, cut.parts)))
            start = offsets[2 * at] + (after[0] if after is not None else 0) - len(before)
            end = offsets[2 * end_at - 1]
            if owed != WORD_GAP:
                # Punctuation written after the last token ("w/", "#%"): it must follow it.
                tail = _gap_pattern(owed[: -len(WORD_GAP)] + r"(?![\w'])").match(cut.subject, end)
                if tail is None:
                    continue
                end = tail.end()
            known = best.get(group)
            if known is None or (start, -end) < (known[0], -known[1]):
                best[group] = (start, end)
    for group, span in best.items():
        found.setdefault(group, []).append(span)


def _leftmost_longest(spans: list[Span], first_only: bool) -> list[Span]:
    """Spans in text order without overlaps: the one that starts first stays, and of two that
    start together the longer."""
    kept: list[Span] = []
    reach = -1
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if start >= reach:
            kept.append((start, end))
            reach = end
            if first_only:
                break
    return kept


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
                for start, end in _leftmost_longest(spans, first_only)
            ]
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
    from pullcheck.located_yaml import YamlProblem, read_located_yaml

    try:
        located = read_located_yaml(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError, YamlProblem):
        return None
    where = located.where.get(key)
    return where.line if where is not None else None
