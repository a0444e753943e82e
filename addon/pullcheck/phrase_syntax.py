"""The phrase syntax (see `pullcheck.phrases`): a phrase parsed into pieces of token tests,
and what a parsed phrase can open with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

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
    if not all(tests_of(word) for word in first_words):
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


def tests_of(word: Word) -> list[WordTest]:
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
def gap_pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)


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
                tests = [test for word in words for test in tests_of(word)]
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
