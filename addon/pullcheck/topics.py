"""What an ask seeks and what an offer is about, and whether the two meet.

Both sides are reduced to content words after light stemming (bookkeeping, bookkeeper and
bookkeepers all become "bookkeep"), minus the lexicon's `generic` words, plus the names of the
lexicon's topics they touch (web designer ~ websites ~ Shopify). They meet when they share a
content word or a topic. The lexicon is data: `rules/lexicon/topics.yaml`, extended by the same
file in any user rule folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pullcheck.language import FUNCTION_WORDS

LEXICON_FILE = Path("lexicon") / "topics.yaml"
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# A stem this short says nothing about a topic ("go", "ok").
MIN_STEM = 3
# Whom an offer serves, not what it is: "websites for cafés", "we help dental clinics get ...".
# The words after these, up to a word that starts what is done for them, are left out.
AUDIENCE = re.compile(
    r"\b(?:for|help|helps|helping|serve|serving|work with|working with)\s+"
    r"((?:(?!(?:get|to|grow|find|with|in|on|at|who|that|and|by|from|like|sell|cut|save|"
    r"double|land|build|scale|hire|reach|win|turn|reduce|increase|launch)\b)[^\W\d_][\w'’&-]*+\s*){1,4})",
    re.IGNORECASE,
)


class TopicLexiconError(ValueError):
    """A topics file is malformed; the message names the file and the key."""


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A light English stemmer: plural, -ing, -ed and -er endings; enough for trades and
    products (other languages keep their words, which the lexicon lists as they are)."""
    word = word.casefold().replace("’", "'").removesuffix("'s")
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "zes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for ending, keep in (("ing", 4), ("ed", 4), ("er", 5)):
        if word.endswith(ending) and len(word) - len(ending) >= keep:
            word = word[: -len(ending)]
            break
    return word


def stems_of(text: str) -> list[str]:
    return [stem(word) for word in WORD.findall(text)]


@dataclass
class TopicLexicon:
    """Generic stems that never count, and topics: name -> the stem runs that mean it."""

    generic: frozenset[str] = frozenset()
    topics: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    # Single-stem terms, for one lookup per word: stem -> topic names; and the longer terms,
    # each under its first stem, so only terms whose first stem is present are checked.
    _single: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _longer: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict, repr=False)

    def add_file(self, path: Path) -> None:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise TopicLexiconError(f"{path}: cannot read: {error}") from error
        if not isinstance(raw, dict) or set(raw) - {"generic", "topics"}:
            raise TopicLexiconError(f"{path}: expected the keys 'generic' and 'topics'")
        generic = raw.get("generic") or []
        topics = raw.get("topics") or {}
        if not isinstance(generic, list) or not isinstance(topics, dict):
            raise TopicLexiconError(f"{path}: 'generic' is a list, 'topics' a mapping")
        self.generic = self.generic | {stem(str(word)) for word in generic}
        for name, terms in topics.items():
            if not isinstance(terms, list) or not terms:
                raise TopicLexiconError(f"{path}: key 'topics.{name}': a list of words")
            runs = self.topics.setdefault(str(name), [])
            for term in terms:
                run = tuple(stems_of(str(term)))
                if run and run not in runs:
                    runs.append(run)
                    if len(run) == 1:
                        self._single.setdefault(run[0], set()).add(str(name))
                    else:
                        self._longer.setdefault(run[0], []).append((str(name), run))

    def content(self, text: str) -> set[str]:
        """The stems of `text` that can carry a topic."""
        return {
            word for word in stems_of(text) if len(word) >= MIN_STEM and word not in self.generic
        }

    def topics_in(self, stems: Iterable[str]) -> set[str]:
        present = set(stems)
        found: set[str] = set()
        for word in present:
            names = self._single.get(word)
            if names:
                found |= names
            for name, run in self._longer.get(word, ()):
                if name not in found and all(part in present for part in run):
                    found.add(name)
        return found


@dataclass(frozen=True)
class Subject:
    """One side of the comparison: content stems and the topics they touch."""

    stems: frozenset[str]
    topics: frozenset[str]

    def meets(self, other: Subject) -> bool:
        return bool(self.stems & other.stems) or bool(self.topics & other.topics)


def subject_of(text: str, lexicon: TopicLexicon, extra: Iterable[str] = ()) -> Subject:
    stems = lexicon.content(text)
    for phrase in extra:
        stems |= lexicon.content(phrase)
    return Subject(frozenset(stems), frozenset(lexicon.topics_in(stems)))


def without_audience(text: str) -> str:
    """`text` without the people an offer serves ("websites for cafés" -> "websites")."""
    return AUDIENCE.sub(" ", text)


def load_lexicon(folders: Iterable[Path]) -> TopicLexicon:
    """The built-in topics extended by each folder's `lexicon/topics.yaml`, in order. The
    function words of every language the language guess knows are generic too."""
    lexicon = TopicLexicon()
    for words in FUNCTION_WORDS.values():
        lexicon.generic = lexicon.generic | {stem(word) for word in words}
    for folder in folders:
        path = Path(folder) / LEXICON_FILE
        if path.is_file():
            lexicon.add_file(path)
    return lexicon
