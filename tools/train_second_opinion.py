"""Train pullcheck's learned second opinion (rule PP207) and write its model file.

    python tools/train_second_opinion.py [--corpora ../shared/corpora] [--out FILE]

Only the *tune* half of each corpus is read (the same split as `pullcheck eval --half tune`:
`pullcheck.evaluate.half_of`), so `eval --half check` measures the model on rows it never saw.
Corpora (each optional but youtube): YouTube comments (push and ok), Reddit comments judged
against a no-advertising rule (Jigsaw; push and ok), the conversations drafts, and airline
replies to customers (all ok: what the model must leave alone). SMS is left out: the rule never
runs on DMs.

The model is a logistic regression on the features of `pullcheck.second_opinion.FeatureSpec`,
trained by plain stochastic gradient descent with a fixed seed, so the same corpora give the same
file byte for byte. The threshold is chosen on the tune half too, from out-of-fold scores (each
row scored by a model trained on the other folds): the lowest margin at which those scores keep
`PRECISION_TARGET` precision on the corpora with trustworthy labels (YouTube, conversations,
airline replies). Weights are rounded and tiny ones dropped, to keep the file small.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pullcheck.evaluate import half_of
from pullcheck.second_opinion import (
    FeatureSpec,
    SecondOpinion,
    builtin_model_path,
    char_units,
    word_units,
)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
# The corpora read, and whether their labels are trusted when the threshold is chosen (Jigsaw's
# are noisy: the same link is fine in one subreddit and removed in another).
CORPORA = {"youtube.csv": True, "conversations.csv": True, "twcs.csv": True, "jigsaw.csv": False}
SPEC = FeatureSpec(char_sizes=(4,), max_chars=200, words=True)
SEED = 20261207
EPOCHS = 6
LEARNING_RATE = 0.5
FOLDS = 5
PRECISION_TARGET = 0.97
# Candidate thresholds: margins from -2 to 4 in steps of 0.25.
THRESHOLDS = [step / 4 for step in range(-8, 17)]
# Weights are kept to this many decimals, and those smaller than MIN_WEIGHT are dropped (most
# n-grams seen once carry tiny weights): a smaller file and fewer lookups, at the same accuracy.
DECIMALS = 3
MIN_WEIGHT = 0.1


@dataclass(frozen=True)
class Example:
    corpus: str
    id: str
    features: dict[str, float]
    push: int
    trusted: bool


def features_of(text: str, spec: FeatureSpec) -> dict[str, float]:
    """Unit -> count / sqrt(units): the same sum the model computes when judging. Word units
    are prefixed so they never meet a character n-gram of the same letters."""
    units = char_units(text, spec) + ["\0" + word for word in word_units(text, spec)]
    if not units:
        return {}
    scale = 1.0 / math.sqrt(len(units))
    return {unit: count * scale for unit, count in Counter(units).items()}


def read_tune_rows(
    folder: Path, spec: FeatureSpec
) -> tuple[list[Example], list[dict[str, object]]]:
    """The tune half of every corpus found in `folder`, and a record of what was read."""
    examples: list[Example] = []
    record: list[dict[str, object]] = []
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    for name, trusted in CORPORA.items():
        path = folder / name
        if not path.is_file():
            if name == "youtube.csv":
                raise SystemExit(f"{path}: not found (the YouTube corpus is required)")
            continue
        raw = path.read_bytes()
        rows = 0
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                row_id = row.get("id") or str(line)
                if half_of(row_id) != "tune":
                    continue
                label = (row.get("label") or "").strip().lower()
                if label not in ("push", "ok"):
                    raise SystemExit(f"{path}:{line}: label must be push or ok, not {label!r}")
                examples.append(
                    Example(
                        name,
                        row_id,
                        features_of(row.get("text") or "", spec),
                        int(label == "push"),
                        trusted,
                    )
                )
                rows += 1
        record.append(
            {"file": name, "sha256": hashlib.sha256(raw).hexdigest(), "half": "tune", "rows": rows}
        )
    return examples, record


def train(examples: list[Example], seed: int, epochs: int) -> tuple[dict[str, float], float]:
    """Logistic regression by stochastic gradient descent: one shuffled pass per epoch, the
    step shrinking as 1/epoch. Deterministic for a given order of examples and seed."""
    weights: dict[str, float] = {}
    bias = 0.0
    order = list(range(len(examples)))
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(order)
        step = LEARNING_RATE / (1 + epoch)
        for index in order:
            example = examples[index]
            margin = bias
            for unit, value in example.features.items():
                margin += weights.get(unit, 0.0) * value
            probability = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, margin))))
            gradient = step * (probability - example.push)
            for unit, value in example.features.items():
                weights[unit] = weights.get(unit, 0.0) - gradient * value
            bias -= gradient
    return weights, bias


def pruned(weights: dict[str, float]) -> dict[str, float]:
    """The weights as the model file keeps them: rounded, the small ones dropped."""
    kept = {unit: round(weight, DECIMALS) for unit, weight in weights.items()}
    return {unit: weight for unit, weight in kept.items() if abs(weight) >= MIN_WEIGHT}


def margin_of(weights: dict[str, float], bias: float, features: dict[str, float]) -> float:
    return bias + sum(weights.get(unit, 0.0) * value for unit, value in features.items())


def out_of_fold_margins(examples: list[Example], seed: int, epochs: int) -> list[float]:
    """Each example's margin under a model trained without its fold."""
    folds = [index % FOLDS for index in range(len(examples))]
    random.Random(seed + 1).shuffle(folds)
    margins = [0.0] * len(examples)
    for fold in range(FOLDS):
        training = [ex for ex, f in zip(examples, folds, strict=True) if f != fold]
        weights, bias = train(training, seed, epochs)
        weights = pruned(weights)
        for index, example in enumerate(examples):
            if folds[index] == fold:
                margins[index] = margin_of(weights, bias, example.features)
    return margins


def choose_threshold(examples: list[Example], margins: list[float]) -> tuple[float, dict]:
    """The lowest candidate margin whose out-of-fold precision on trusted rows reaches
    `PRECISION_TARGET`, with the figures that chose it."""
    for threshold in THRESHOLDS:
        tp = fp = fn = 0
        for example, margin in zip(examples, margins, strict=True):
            if not example.trusted:
                continue
            flagged = margin >= threshold
            tp += flagged and example.push
            fp += flagged and not example.push
            fn += (not flagged) and example.push
        precision = tp / (tp + fp) if tp + fp else 0.0
        if precision >= PRECISION_TARGET:
            return threshold, {
                "precision_target": PRECISION_TARGET,
                "out_of_fold_precision": round(precision, 4),
                "out_of_fold_recall": round(tp / (tp + fn), 4) if tp + fn else None,
                "folds": FOLDS,
            }
    raise SystemExit(f"no threshold reaches precision {PRECISION_TARGET} out of fold")


def build_model(
    folder: Path, spec: FeatureSpec = SPEC, seed: int = SEED, epochs: int = EPOCHS
) -> SecondOpinion:
    examples, record = read_tune_rows(folder, spec)
    margins = out_of_fold_margins(examples, seed, epochs)
    threshold, choice = choose_threshold(examples, margins)
    weights, bias = train(examples, seed, epochs)
    chars: dict[str, float] = {}
    words: dict[str, float] = {}
    for unit, weight in pruned(weights).items():
        if unit.startswith("\0"):
            words[unit[1:]] = weight
        else:
            chars[unit] = weight
    return SecondOpinion(
        spec=spec,
        bias=round(bias, DECIMALS),
        char_weights=chars,
        word_weights=words,
        threshold=threshold,
        provenance={
            "corpora": record,
            "seed": seed,
            "epochs": epochs,
            "learning_rate": LEARNING_RATE,
            "threshold_choice": choice,
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpora",
        type=Path,
        default=DEFAULT_CORPORA,
        help="folder holding youtube.csv (and twcs, jigsaw, conversations)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=builtin_model_path(),
        help="model file to write (default: the one shipped in the package)",
    )
    args = parser.parse_args(argv)
    model = build_model(args.corpora)
    args.out.write_text(model.to_json(), encoding="utf-8")
    choice = model.provenance["threshold_choice"]
    print(
        f"{args.out}: {len(model.char_weights)} n-gram and {len(model.word_weights)} word "
        f"weights, threshold {model.threshold:g} (out of fold: precision "
        f"{choice['out_of_fold_precision']}, recall {choice['out_of_fold_recall']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
