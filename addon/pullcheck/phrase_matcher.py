"""Matching every phrase of a set of groups in one pass over a draft's tokens (the strategy is
described in `pullcheck.phrases`), and the raw patterns beside them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import accumulate
from typing import Any, NamedTuple

from pullcheck.phrase_patterns import PatternEntry, Span, compile_raw_pattern, pattern_spans
from pullcheck.phrase_syntax import (
    ANY_TOKEN,
    TOKEN_SPLIT,
    TOKEN_SPLIT_ASCII,
    WORD_GAP,
    Phrase,
    Piece,
    Word,
    WordTest,
    gap_pattern,
    parse_phrase,
    phrase_heads,
    third_spellings,
)


class Hit(NamedTuple):
    """One phrase-group match: where it is and what it said."""

    group: str
    start: int
    end: int
    text: str


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


# Whether this module runs compiled (setup.py, pullcheck.compiled): a loop then runs as C.
COMPILED = not __file__.endswith(".py")
# Every ASCII character that is no token character (`[\w']`) made a blank.
ASCII_GAPS_BLANK = str.maketrans(
    {code: " " for code in range(128) if not (chr(code).isalnum() or chr(code) in "_'")}
)


def tokenise(text: str) -> Tokens:
    lowered = text.lower()
    if lowered.isascii():
        parts = _ascii_parts(lowered) if COMPILED else TOKEN_SPLIT_ASCII.split(lowered)
    else:
        if len(lowered) != len(text):
            # A few characters grow when lowered ("İ" becomes "i" and a combining dot, which is
            # no word character): they stay as they are, so every character keeps its place and
            # a word stays a word (as in the reference matcher, tests/reference_phrases.py).
            lowered = "".join(char.lower() if len(char.lower()) == 1 else char for char in text)
        parts = TOKEN_SPLIT.split(lowered)
    return Tokens(parts[1::2], parts[0::2], parts, lowered)


def _ascii_parts(lowered: str) -> list[str]:
    """`TOKEN_SPLIT_ASCII.split(lowered)` of ASCII text: with the gaps made blanks, str.split
    cuts out the tokens in C and a loop puts the gaps back between them. Compiled, 38 µs on a
    pitch-dense 3,000-character draft against 90 for the regex; as plain Python it would take
    129, so the source keeps the regex (`tests/test_compiled.py` holds the two to each other)."""
    parts: list[str] = []
    end = 0  # where the last token ended
    at = 0  # where this piece starts
    for piece in lowered.translate(ASCII_GAPS_BLANK).split(" "):
        if piece:
            parts.append(lowered[end:at])
            parts.append(piece)
            end = at + len(piece)
        at += len(piece) + 1
    parts.append(lowered[end:])
    return parts


def _take(test: WordTest, cut: Tokens, at: int, part: str | None) -> int:
    """The token after what `test` takes at token `at` (`part`: only the part of that token
    after an apostrophe, when a match starts there); -1 when it does not match."""
    subject = cut.tokens[at] if part is None else part
    if test.forms is not None:
        return at + 1 if subject in test.forms else -1
    assert test.pattern is not None
    if not test.number:
        return at + 1 if test.pattern.fullmatch(subject) else -1
    # Not the digits after a separator of a number ("1,000": "000" is no number of its own).
    if part is None and _inside_number(cut, at):
        return -1
    # The number is taken whole, its last token tested ("1,000p": "000p").
    at, subject = _number_run(cut, at, subject)
    return at + 1 if test.pattern.fullmatch(subject) else -1


def _step(word: Word, state: State, cut: Tokens, part: str | None) -> State | None:
    """`state` after `word`, or None when the word does not fit there. `part`: the part of the
    first token after an apostrophe, when the match starts there."""
    at, owed, before = state
    for atom in word:
        if atom.__class__ is str:
            if owed is None:
                before += atom
            else:
                owed += re.escape(atom)
            continue
        if at >= len(cut.tokens):
            return None
        if owed is None:
            if before and (part is not None or not cut.gaps[at].endswith(before)):
                return None
            at = _take(atom, cut, at, part)  # type: ignore[arg-type]
        else:
            if owed != WORD_GAP and not gap_pattern(owed).fullmatch(cut.gaps[at]):
                return None
            at = _take(atom, cut, at, None)  # type: ignore[arg-type]
        if at < 0:
            return None
        owed = ""
    if owed is None:
        return None  # punctuation alone cannot open a match
    return at, owed + WORD_GAP, before


def match_ends(pieces: tuple[Piece, ...], cut: Tokens, at: int, part: str | None) -> list[State]:
    """Every way a phrase (its `pieces`) can match from token `at`: its end states."""
    tokens = cut.tokens
    count = len(tokens)
    states: list[State] = [(at, None, "")]
    for alternatives, optional in pieces:
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
                        if owed != WORD_GAP and not gap_pattern(owed).fullmatch(cut.gaps[index]):
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


def merged_alternatives(pieces: tuple[Piece, ...]) -> tuple[Piece, ...]:
    """The same pieces with the alternatives that are one plain word each ("(packages|
    services|audits)") made one word of all their spellings, where the first of them stood:
    `match_ends` then tests a token once against a set instead of once per alternative. Each
    such alternative reaches the same state (the next token), so the ends are the same."""
    merged: list[Piece] = []
    for alternatives, optional in pieces:
        kept: list[tuple[Word, ...] | None] = []
        spellings: set[str] = set()
        for words in alternatives:
            if len(words) == 1 and words[0].__class__ is frozenset:
                if None not in kept:
                    kept.append(None)  # where the merged word goes
                spellings.update(words[0])
            else:
                kept.append(words)
        word: Word = frozenset(spellings)
        merged.append((tuple((word,) if words is None else words for words in kept), optional))
    return tuple(merged)


class Automaton(NamedTuple):
    """A phrase of plain words (each one token with a set of spellings, or `~`, any token; no
    punctuation) as a deterministic automaton over tokens: `moves[state]` maps a spelling to
    the next state, and a token it does not list goes to `others[state]` (None: the match
    stops); state 0 is the start. Built from the phrase's pieces by the subset construction,
    so it accepts exactly the token runs `match_ends` does, one dictionary lookup per token."""

    moves: tuple[dict[str, int], ...]
    others: tuple[int | None, ...]
    accepting: frozenset[int]


# The spellings of `~` in an automaton's edges: any token.
ANY_SPELLING: frozenset[str] = frozenset()


def _plain(word: Word) -> frozenset[str] | None:
    """A word's spellings when it is one token with a set of them (ANY_SPELLING for `~`, any
    token); None for a word with punctuation or any other test."""
    if isinstance(word, frozenset):
        return word
    # Compared by value: a pack read back from disk holds a copy of ANY_TOKEN.
    if len(word) == 1 and word[0] == ANY_TOKEN:
        return ANY_SPELLING
    return None


def automaton(pieces: tuple[Piece, ...]) -> Automaton | None:
    """The automaton of a phrase of plain words; None for any other phrase."""
    if not all(
        _plain(word) is not None
        for alternatives, _ in pieces
        for words in alternatives
        for word in words
    ):
        return None
    # A nondeterministic automaton first: edges labelled with a word's spellings (an empty
    # set for `~`: any token), and empty moves past an optional piece and from the end of
    # each alternative.
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
                edges[at].append((_plain(word), following))  # type: ignore[arg-type]
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
    others: list[int | None] = []
    closures: dict[frozenset[int], int] = {}

    def state_of(nodes: set[int]) -> int:
        key = frozenset(nodes)
        number = closures.get(key)
        if number is None:
            reached = closure(nodes)
            number = numbers.get(reached)
            if number is None:
                number = numbers[reached] = len(states)
                states.append(reached)
            closures[key] = number
        return number

    for state in states:  # grows while it is read: every state reached gets its moves
        targets: dict[str, set[int]] = {}
        # Where any token leads (`~`): also where each listed spelling leads.
        anything: set[int] = set()
        for at in state:
            for spellings, target in edges[at]:
                if not spellings:  # ANY_SPELLING
                    anything.add(target)
                for spelling in spellings:
                    targets.setdefault(spelling, set()).add(target)
        moves.append({spelling: state_of(nodes | anything) for spelling, nodes in targets.items()})
        others.append(state_of(anything) if anything else None)
    accepting = frozenset(number for state, number in numbers.items() if final in state)
    return Automaton(tuple(moves), tuple(others), accepting)


def automaton_end(machine: Automaton, tokens: list[str], at: int, part: str | None) -> int:
    """The end (a token index) of the longest match of `machine` from token `at` (`part`: the
    part of that token after an apostrophe, when the match starts there); -1 when none."""
    moves, others, accepting = machine
    state = moves[0].get(tokens[at] if part is None else part, others[0])
    if state is None:
        return -1
    end = at + 1 if state in accepting else -1
    count = len(tokens)
    at += 1
    while at < count:
        state = moves[state].get(tokens[at], others[state])
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
DIGIT = re.compile(r"\d")
SEPARATORS = frozenset(",.")


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
    can start with, and the groups' raw patterns. `build` only sorts phrases by their first
    spellings; the rest (the pairs of first and second spellings, each phrase's third
    spellings and automaton) is worked out when a draft first needs it, or all at once by
    `prepare_all`. Every cache is bounded by the index, never by the drafts."""

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
        self._merged: dict[Phrase, tuple[Piece, ...]] = {}
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
            if self.machine(phrase) is None:
                self.merged(phrase)

    def machine(self, phrase: Phrase) -> Automaton | None:
        """`automaton` of a phrase, built when it is first tried."""
        try:
            return self._machines[phrase]
        except KeyError:
            machine = self._machines[phrase] = automaton(phrase.pieces)
            return machine

    def merged(self, phrase: Phrase) -> tuple[Piece, ...]:
        """`merged_alternatives` of a phrase's pieces, worked out when it is first tried."""
        try:
            return self._merged[phrase]
        except KeyError:
            merged = self._merged[phrase] = merged_alternatives(phrase.pieces)
            return merged

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
            for kept in [leftmost_longest(group_spans, first_only)]
        }


def _phrase_spans(index: PhraseIndex, cut: Tokens, first_only: bool) -> dict[str, list[Span]]:
    """Per group, the longest match at each place where one of its phrases starts; with
    `first_only`, a group is no longer tried after the first place where it matched."""
    tokens = cut.tokens
    count = len(tokens)
    seconds_of, by_second = index.seconds, index._by_second
    numbers = seconds_of(NUMBER_KEY)
    positions = _places(index, cut)
    found: dict[str, list[Span]] = {}
    offsets = Offsets(cut.parts)
    # Spellings whose groups all have their first hit (first_only): skipped from then on.
    spent: set[str] = set()
    # With `first_only`, three words in a row (a plain first word: no number, no apostrophe)
    # where no phrase was left to try: every phrase they open was of a group already found or
    # wanted another third word. Found groups only grow, so the same three words come to
    # nothing again; pitch-dense drafts repeat their sentences, and most places were these.
    barren: set[tuple[str, str | None, str | None]] = set()
    plans: dict[tuple[str, str | None], tuple[Phrase, ...]] = {}
    for at in positions:
        token = tokens[at]
        if token in spent:
            continue
        following = tokens[at + 1] if at + 1 < count else None
        if first_only:
            words = (token, following, tokens[at + 2] if at + 2 < count else None)
            if words in barren:
                continue
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
            tried = _longest_at(index, phrases, cut, at, None, found, first_only, offsets)
            if first_only and "'" not in token:
                if found.keys() >= index.groups_tried_at(token):
                    spent.add(token)
                elif not tried and not token[0].isdecimal():
                    barren.add(words)
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


class Offsets:
    """Where each part of a cut text ends (a character offset), summed only as far as a hit
    needs: with `first_only` the last first hit often comes early in a long draft, and
    summing every part cost as much as the matching around it."""

    # Parts summed past the one asked for, so hits close together do not each sum a few.
    AHEAD = 64

    def __init__(self, parts: list[str]) -> None:
        self._parts = parts
        self._ends = [0]  # _ends[k + 1]: where parts[k] ends

    def end_of(self, part: int) -> int:
        ends = self._ends
        if part + 1 >= len(ends):
            done = len(ends) - 1
            summed = accumulate(
                map(len, self._parts[done : part + 1 + self.AHEAD]), initial=ends[-1]
            )
            next(summed)  # the initial value, already in `ends`
            ends.extend(summed)
        return ends[part + 1]


def _where(tokens: list[str], token: str) -> Iterator[int]:
    """Every index of `token` in `tokens` (list.index scans in C)."""
    at = -1
    try:
        while True:
            at = tokens.index(token, at + 1)
            yield at
    except ValueError:
        return


def _places(index: PhraseIndex, cut: Tokens) -> Iterable[int]:
    """The token positions where a phrase may start, in order: a pair of tokens some phrase
    opens with, a first word whose phrases may go on with any token, a number, a token with an
    apostrophe inside, or the token before one that follows an open first word."""
    tokens = cut.tokens
    count = len(tokens)
    by_second = index._by_second
    if not count:
        return ()
    if None in by_second:
        return range(count)  # a phrase opening with `~` may start anywhere
    distinct = set(tokens)
    index.learn(distinct)
    heads, pairs, before_number = index._head_set, index._pairs, index._before_number
    # (Whole-text checks first: most drafts have no digit, or no apostrophe, at all.)
    has_digits = DIGIT.search(cut.subject) is not None
    numbers = {token for token in distinct if token[0].isdecimal()} if has_digits else set()
    # Tokens that are places wherever they stand: first words whose phrases may go on with any
    # token, numbers (when phrases open with one), tokens with an apostrophe inside.
    anywhere = distinct.intersection(index._singles)
    if numbers and NUMBER_KEY in index._heads:
        anywhere.update(numbers)
    if "'" in cut.subject:
        anywhere.update(token for token in distinct if "'" in token)
    firsts = distinct.intersection(heads)
    firsts.update(anywhere)
    following = tokens[1:]
    following.append("")
    # A plain loop: compiled (see pullcheck.compiled) it runs as C, 20 µs sooner on a
    # pitch-dense 3,000-character draft than picking the first words out with compress().
    places: list[int] = []
    for at in range(count):
        token = tokens[at]
        if token in firsts and (
            token in anywhere
            or (token, following[at]) in pairs
            or (token in before_number and following[at] in numbers)
        ):
            places.append(at)
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


def _number_run(cut: Tokens, at: int, first: str) -> tuple[int, str]:
    """The last token (index, spelling) of the number that starts at token `at`: it runs on
    while a separator and digits follow ("1,000p" is one). `first`: that token, or its part
    where the number starts (after an apostrophe)."""
    tokens, gaps = cut.tokens, cut.gaps
    last = len(tokens) - 1
    while at < last and first.isdecimal() and gaps[at + 1] in SEPARATORS:
        if not tokens[at + 1][:1].isdecimal():
            break
        at += 1
        first = tokens[at]
    return at, first


def _after_number(cut: Tokens, at: int, first: str) -> str | None:
    """The token after the number that starts at token `at` ("1,000 per": "per"); `first`:
    that token, or its part where the number starts (after an apostrophe)."""
    at, _ = _number_run(cut, at, first)
    return cut.tokens[at + 1] if at + 1 < len(cut.tokens) else None


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
    offsets: Offsets,
) -> bool:
    """Add to `found` each group's longest match starting at token `at` (or `after[0]`
    characters into it, where `after[1]` is the rest of the token). False when no phrase was
    tried: each was of a group already found (`first_only`) or wanted another third token."""
    best: dict[str, Span] = {}
    part = after[1] if after is not None else None
    tokens = cut.tokens
    known_thirds, known_machines = index._thirds, index._machines
    third = tokens[at + 2] if at + 2 < len(tokens) else None
    tried = False
    for phrase in phrases:
        group = phrase.group
        if first_only and group in found:
            continue
        thirds = known_thirds.get(phrase, UNKNOWN)
        if thirds is UNKNOWN:
            thirds = index.thirds(phrase)
        if thirds is not None and third not in thirds:
            continue
        tried = True
        machine = known_machines.get(phrase, UNKNOWN)
        if machine is UNKNOWN:
            machine = index.machine(phrase)
        if machine is not None:
            end_at = automaton_end(machine, tokens, at, part)
            ends: list[State] = [(end_at, WORD_GAP, "")] if end_at > 0 else []
        else:
            ends = match_ends(index.merged(phrase), cut, at, part)
        for end_at, owed, before in ends:
            start = offsets.end_of(2 * at) + (after[0] if after is not None else 0) - len(before)
            end = offsets.end_of(2 * end_at - 1)
            if owed is not None and owed != WORD_GAP:  # an end state always owes a string
                # Punctuation written after the last token ("w/", "#%"): it must follow it.
                tail = gap_pattern(owed[: -len(WORD_GAP)] + r"(?![\w'])").match(cut.subject, end)
                if tail is None:
                    continue
                end = tail.end()
            known = best.get(group)
            if known is None or (start, -end) < (known[0], -known[1]):
                best[group] = (start, end)
    for group, span in best.items():
        found.setdefault(group, []).append(span)
    return tried


def leftmost_longest(spans: list[Span], first_only: bool) -> list[Span]:
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
