"""Undo the disguises that hide links and words from filters, keeping a map back to the text.

Spammers write "mysite*com", "shop dot net", "best deals com", "bit.ly\\aB3", "tinyurl . com /
xyz" or full-width letters ("ｍｙｓｉｔｅ．ｃｏｍ"). `unmask` turns such text into the plain form
(NFKC, then the separators) and keeps, for every character of the result, the position of the
character it came from, so a link or phrase found in the plain form points into the original.

Most drafts need none of it: cheap substring checks decide first, and plain text is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# (substrings one of which must occur, pattern, replacement): applied in order to the NFKC
# text, each only when one of its substrings is in the lower-cased text (a search for a pattern
# led by a look-behind tries every position, a substring search is C-fast).
DISGUISES: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # "shop dot net", "shop [dot] net", "shop(dot)net"
    (
        ("dot",),
        re.compile(r"(?<=[a-z0-9])\s*[\[(]?\s*\bdot\b\s*[\])]?\s*(?=[a-z0-9])", re.IGNORECASE),
        ".",
    ),
    # "mysite*com"
    (("*",), re.compile(r"(?<=[a-z0-9])\*(?=[a-z0-9])", re.IGNORECASE), "."),
    # "bit.ly\aB3"
    (("\\",), re.compile(r"(?<=[a-z0-9])\\(?=[a-z0-9])", re.IGNORECASE), "/"),
    # "tinyurl . com", "tinyurl .com", "tinyurl. com"
    (
        (" .", ". com", ". net", ". org"),
        re.compile(
            r"(?<=[a-z0-9])\s+\.\s*(?=[a-z0-9])|(?<=[a-z0-9])\.\s+(?=(?:com|net|org)\b)",
            re.IGNORECASE,
        ),
        ".",
    ),
    # "best deals com" at the end of a clause (not "com" as a word: Portuguese "trabalho com")
    (
        (" com$", " net$", " org$"),
        re.compile(
            r"(?<=[a-z0-9])\s+(?=(?:com|net|org)(?:\s*$|\s*[/,;!?)]|\.\s|\.$))", re.IGNORECASE
        ),
        ".",
    ),
    # "tinyurl.com / xyz"
    (
        (" /", "/ "),
        re.compile(
            r"(?<=\.(?:com|net|org))\s*/\s*(?=\w)|(?<=\.(?:ly|io|co))\s*/\s*(?=\w)", re.IGNORECASE
        ),
        "/",
    ),
)


@dataclass(frozen=True)
class Unmasked:
    """The plain text, and for each of its characters (plus one past the end) the index of
    the original character it came from."""

    text: str
    origin: list[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of text[start:end] of the plain form."""
        if end <= start:
            at = self.origin[start]
            return at, at
        return self.origin[start], self.origin[end - 1] + 1


def unmask(text: str) -> Unmasked | None:
    """The plain form of `text`, or None when there is nothing to undo (most text)."""
    needs_nfkc = not text.isascii() and not unicodedata.is_normalized("NFKC", text)
    origin: list[int] | None = None
    if needs_nfkc:
        chars: list[str] = []
        origin = []
        for index, char in enumerate(text):
            plain = unicodedata.normalize("NFKC", char) if ord(char) > 127 else char
            chars.append(plain)
            origin.extend([index] * len(plain))
        current = "".join(chars)
    else:
        current = text
    lowered = current.lower()
    if may_be_disguised(lowered):
        for hints, pattern, replacement in DISGUISES:
            if not any(_has(lowered, hint) for hint in hints) or pattern.search(current) is None:
                continue
            if origin is None:
                # The map is built only for text that changes (most text never does).
                origin = list(range(len(text)))
            current, origin = _substitute(pattern, replacement, current, origin)
            lowered = current.lower()
    if origin is None:
        return None
    origin.append(len(text))
    return Unmasked(current, origin)


# What may follow a word that ends a clause ("best deals com", "deals com/x", "deals com.").
CLAUSE_END = frozenset("/,;!?).")
AFTER_CLAUSE_END = rf"(?:\Z|[{re.escape(''.join(sorted(CLAUSE_END)))}]|\s+(?:\Z|[^\w\s]|_))"

# One whole-text check that holds wherever any disguise's hint does, so plain text (most drafts)
# is settled by a few scans in C, without a generator and a call per hint: 14.5 µs instead of
# 35 µs on a pitch-dense 3,000-character draft (benchmarks/features.py). Each regex is led by
# a literal the regex engine skips to: the rare "/" and "." where the hint is a blank beside
# one, and the word itself (not the blank before it, which is everywhere) where the hint is a
# word; a look-behind then asks for the blank. ("dot" as a regex: 1 µs less than `in`.)
SLASH_BESIDE_BLANK = re.compile(r"/(?:(?<= /)| )")  # " /", "/ "
DOT_HINTS = re.compile(r"\.(?:(?<= \.)| (?:com|net|org))")  # " .", ". com", ". net", ". org"
DOT_WORD = re.compile("dot")
# " com$", " net$", " org$"
COM_ENDING_CLAUSE, NET_ENDING_CLAUSE, ORG_ENDING_CLAUSE = (
    re.compile(f"{word}(?<= {word})" + AFTER_CLAUSE_END) for word in ("com", "net", "org")
)


def may_be_disguised(lowered: str) -> bool:
    """Whether some disguise's hint occurs in the lower-cased text (false: nothing to undo).
    Every hint of `DISGUISES` must make this true; it may be true where none occurs."""
    return (
        "*" in lowered
        or "\\" in lowered
        or SLASH_BESIDE_BLANK.search(lowered) is not None
        or DOT_HINTS.search(lowered) is not None
        or DOT_WORD.search(lowered) is not None
        or COM_ENDING_CLAUSE.search(lowered) is not None
        or NET_ENDING_CLAUSE.search(lowered) is not None
        or ORG_ENDING_CLAUSE.search(lowered) is not None
    )


def _has(lowered: str, hint: str) -> bool:
    """Whether `hint` occurs; a hint ending in `$` only where a clause ends after it (" com"
    is in every "company", and the pattern behind it is slow to try everywhere)."""
    if not hint.endswith("$"):
        return hint in lowered
    return _clause_end(hint[:-1]).search(lowered) is not None


@lru_cache(maxsize=64)
def _clause_end(word: str) -> re.Pattern[str]:
    """`word` where a clause ends after it: at the end of the text, before one of
    `CLAUSE_END`, or before blanks that run to the end or to a character that is neither a
    letter nor a digit (one regex search in C instead of a loop over every " com")."""
    return re.compile(re.escape(word) + AFTER_CLAUSE_END)


def _substitute(
    pattern: re.Pattern[str], replacement: str, text: str, origin: list[int]
) -> tuple[str, list[int]]:
    pieces: list[str] = []
    mapped: list[int] = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(text[last : match.start()])
        mapped.extend(origin[last : match.start()])
        at = origin[match.start()] if match.start() < len(origin) else origin[-1]
        pieces.append(replacement)
        mapped.extend([at] * len(replacement))
        last = match.end()
    pieces.append(text[last:])
    mapped.extend(origin[last:])
    return "".join(pieces), mapped
