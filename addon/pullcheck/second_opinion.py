"""A learned second opinion: a small linear model that guesses whether a reply *reads like*
comment spam, from its character n-grams and words.

It is a statistical guess, never a reason on its own: the rule that uses it (PP207) is
information only and runs only where that is safe (replies, comments and quotes under content
that did not ask). With another weak push signal it adds up to a warning (see `pullcheck.engine`).

The model is data, shipped in the wheel as `second_opinion.json` and written by
`tools/train_second_opinion.py` from the tune halves of the corpora. The file holds its feature
spec, the weights, the threshold chosen on the tune half and the hashes of the corpora it was
trained on. Judging reads at most `max_chars` characters of a draft, so its cost is bounded
however long the draft is.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from itertools import repeat
from pathlib import Path
from typing import Any

MODEL_FILE = "second_opinion.json"
FORMAT = 1


class ModelError(ValueError):
    """The model file cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class FeatureSpec:
    """What the model reads: character n-grams of these sizes and (optionally) whole words, of
    the first `max_chars` characters, lower-cased, whitespace runs made one space."""

    char_sizes: tuple[int, ...] = (4,)
    max_chars: int = 200
    words: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "char_sizes": list(self.char_sizes),
            "max_chars": self.max_chars,
            "words": self.words,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSpec:
        sizes = tuple(int(size) for size in data["char_sizes"])
        if any(size < 1 for size in sizes) or int(data["max_chars"]) < 1:
            raise ValueError("char_sizes and max_chars must be positive")
        return cls(sizes, int(data["max_chars"]), bool(data.get("words", False)))


def prepared(text: str, spec: FeatureSpec) -> str:
    """The text as the model reads it: its start, lower-cased, spaces evened, space-padded
    (so n-grams at the edges of words are told apart from those inside)."""
    return " " + " ".join(text[: spec.max_chars].lower().split()) + " "


def char_units(text: str, spec: FeatureSpec) -> list[str]:
    """Every character n-gram the model reads (for training; judging never builds the list)."""
    ready = prepared(text, spec)
    return [
        ready[at : at + size] for size in spec.char_sizes for at in range(len(ready) - size + 1)
    ]


def gram_weights(
    char_weights: dict[str, float], sizes: tuple[int, ...]
) -> dict[int, dict[tuple[str, ...], float]]:
    """The weights of `char_weights` as the judging loop looks them up: per n-gram size, keyed by
    the n-gram's characters as a tuple (what zipping the text with its shifts yields)."""
    tables: dict[int, dict[tuple[str, ...], float]] = {size: {} for size in sizes}
    for unit, weight in char_weights.items():
        table = tables.get(len(unit))
        if table is not None:
            table[tuple(unit)] = weight
    return tables


def word_units(text: str, spec: FeatureSpec) -> list[str]:
    return prepared(text, spec).split() if spec.words else []


@dataclass
class SecondOpinion:
    """A linear model: margin = bias + (sum of the weights of the units read) / sqrt(units)."""

    spec: FeatureSpec
    bias: float
    char_weights: dict[str, float]
    word_weights: dict[str, float]
    # The margin from which the model says "reads like spam" (chosen on the tune half).
    threshold: float
    # Where the model came from: corpora (file, sha256, rows), seed, epochs; kept for the record.
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The n-gram weights keyed by the n-gram's characters as a tuple, one table per size (in
        # the spec's order), read once here: `char_weights` stays the model's record.
        self._gram_weights = gram_weights(self.char_weights, self.spec.char_sizes)
        # Per size, the text's shifts that zip() reads side by side (at most max_chars + 2
        # n-grams, as by the slices this replaced, though all are counted: lower() can
        # lengthen the text, "İ" becomes two characters).
        self._shifts = {
            size: tuple(slice(shift, self.spec.max_chars + 1 + size) for shift in range(size))
            for size in self._gram_weights
        }

    def margin(self, text: str) -> float:
        """The model's score for `text`: from `threshold` up it reads like spam."""
        ready = prepared(text, self.spec)
        total = 0.0
        count = 0
        for size, weights in self._gram_weights.items():
            positions = len(ready) - size + 1
            if positions <= 0:
                continue
            # zip() of the text and its shifts yields each n-gram, in order, as a tuple of
            # characters, without a Python-level loop or a new string per n-gram: zip reuses
            # its tuple once the lookup lets go of it, and one-character strings are shared.
            # Weighing the 200 4-grams of a dense reply this way costs 18 µs against 31 µs for
            # cutting them as strings (slicing and hashing each), and margin() 24 µs against
            # 37 (best of 300, interleaved; benchmarks/second_opinion.py --against OLD).
            # Reading ASCII 4-grams as integers (four memoryview casts to "I", interleaved) was
            # only 1.7 µs faster and needs a second path for other text. The n-grams are summed
            # in the same order as before, so the margin is the same float.
            grams = zip(*map(ready.__getitem__, self._shifts[size]), strict=False)
            total += sum(map(weights.get, grams, repeat(0.0)))
            count += positions
        if self.spec.words:
            words = ready.split()
            total += sum(map(self.word_weights.get, words, repeat(0.0)))
            count += len(words)
        return self.bias + (total / math.sqrt(count) if count else 0.0)

    def probability(self, text: str) -> float:
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.margin(text)))))

    def flags(self, text: str) -> bool:
        return self.margin(text) >= self.threshold

    # -- the file -----------------------------------------------------------------------------

    def to_json(self) -> str:
        """The model file's text: the same model always gives the same bytes. The header is
        indented for reading; the weights are one compact line each."""
        header = {
            "format": FORMAT,
            "about": "pullcheck's learned second opinion (rule PP207): a linear model on "
            "character n-grams and words; a statistical guess, written by "
            "tools/train_second_opinion.py",
            "features": self.spec.to_json(),
            "threshold": self.threshold,
            "bias": self.bias,
            "provenance": self.provenance,
            "char_weights": "@chars",
            "word_weights": "@words",
        }
        text = json.dumps(header, ensure_ascii=False, indent=1)
        for marker, weights in (("@chars", self.char_weights), ("@words", self.word_weights)):
            compact = json.dumps(
                dict(sorted(weights.items())), ensure_ascii=False, separators=(",", ":")
            )
            text = text.replace(json.dumps(marker), compact, 1)
        return text + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = MODEL_FILE) -> SecondOpinion:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            return cls(
                spec=FeatureSpec.from_json(data["features"]),
                bias=float(data["bias"]),
                char_weights={str(k): float(v) for k, v in data["char_weights"].items()},
                word_weights={str(k): float(v) for k, v in data.get("word_weights", {}).items()},
                threshold=float(data["threshold"]),
                provenance=dict(data.get("provenance", {})),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ModelError(f"{source}: not a second-opinion model: {error}") from error

    @classmethod
    def load(cls, path: Path | str) -> SecondOpinion:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ModelError(f"{path}: cannot read: {error}") from error
        return cls.from_json(text, str(path))


def builtin_model_path() -> Path:
    return Path(str(files("pullcheck"))) / MODEL_FILE


@lru_cache(maxsize=1)
def builtin_model() -> SecondOpinion:
    """The model shipped with pullcheck, read once on first use."""
    return SecondOpinion.load(builtin_model_path())
