"""A slow, plain reference for phrase matching, to hold the real matcher (pullcheck.phrases) to.

Every phrase is spelled out into each run of words it can stand for (each choice taken each
way, each optional choice left in and out); each run becomes one regex, its words joined by a
gap of blanks or punctuation, that may not start right after a letter or digit nor end before
one (or an apostrophe). The regex is tried at every position of the lower-cased text; a group's
hits are then, from the left, the longest match at the earliest start that does not overlap the
hit before. Nothing is indexed, nothing is shared with the real matcher.
"""

from __future__ import annotations

import itertools
import re

GAP = r"[^\w']+"
NUMBER = r"(?<!\d[,.])\d+(?:[,.]\d+)*+"


def word_regex(word: str) -> str:
    """One word of the phrase syntax as a regex."""
    if word == "~":
        return r"[\w']+"
    if word.startswith("@handle"):
        return r"@\w+" + literal(word[len("@handle") :])
    if word.startswith("#"):
        return NUMBER + literal(word[1:])
    if word.startswith("="):
        return literal(word[1:])
    if word.endswith("*"):
        return literal(word[:-1]) + r"\w*"
    if len(word) >= 4 and word.isalpha():
        if word.endswith("e"):
            endings, stem = ["e", "es", "ed", "ing"], word[:-1]
        elif word.endswith("y") and word[-2] not in "aeiou":
            endings, stem = ["y", "ies", "ied", "ying"], word[:-1]
        else:
            endings, stem = ["", "s", "es", "ed", "ing", "'s"], word
        return "(?:" + "|".join(re.escape(stem + ending) for ending in endings) + ")"
    return literal(word)


def literal(word: str) -> str:
    """A word as written, each apostrophe optional."""
    return "'?".join(re.escape(part) for part in word.split("'"))


def spelled_out(phrase: str) -> list[list[str]]:
    """Every run of words the phrase stands for."""
    choices: list[list[list[str]]] = []
    for piece in re.findall(r"\([^()]*\)|[^\s()]+", phrase.lower()):
        if piece.startswith("("):
            choices.append([alternative.split() for alternative in piece[1:-1].split("|")])
        else:
            choices.append([[piece]])
    runs = [list(itertools.chain(*picked)) for picked in itertools.product(*choices)]
    return [run for run in runs if run]


def run_regex(words: list[str]) -> re.Pattern[str]:
    start = r"(?<!\w)" if re.match(r"[\w'~#=]", words[0]) else ""
    return re.compile(start + GAP.join(word_regex(word) for word in words) + r"(?![\w'])")


def lowered(text: str) -> str:
    """Lower case, each character for one ("İ", which lower-cases to two, stays)."""
    return "".join(char.lower() if len(char.lower()) == 1 else char for char in text)


def find(groups: dict[str, list[str]], text: str) -> dict[str, list[tuple[int, int]]]:
    """Per group (only groups that match), its hits as (start, end) in text order."""
    subject = lowered(text)
    found: dict[str, list[tuple[int, int]]] = {}
    for group, phrases in groups.items():
        regexes = [run_regex(run) for phrase in phrases for run in spelled_out(phrase)]
        matches = [
            (start, match.end())
            for start in range(len(subject) + 1)
            for regex in regexes
            for match in [regex.match(subject, start)]
            if match is not None and match.end() > start
        ]
        hits: list[tuple[int, int]] = []
        for start, end in sorted(matches, key=lambda span: (span[0], -span[1])):
            if not hits or start >= hits[-1][1]:
                hits.append((start, end))
        if hits:
            found[group] = hits
    return found
