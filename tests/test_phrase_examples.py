"""Every phrase group of the shipped pack carries examples (LanguageTool-style): the group must
find each `match` text and none of the `no_match` ones. Checked here through the public matching
API (`PhraseIndex.add_phrase`/`add_pattern` and `find`), whatever the matcher does inside; the
phrases no example exercises are listed as a warning (tools/phrase_coverage.py)."""

from __future__ import annotations

import warnings

import phrase_coverage
import pytest
from pullcheck.phrases import PhraseGroupFile, PhraseIndex, normalise
from pullcheck.rulebook import builtin_rules_dir

SPECS = phrase_coverage.group_specs(builtin_rules_dir())


def label(spec: PhraseGroupFile) -> str:
    return f"{spec.group}-{spec.language}" if spec.language else spec.group


def index_of(spec: PhraseGroupFile) -> PhraseIndex:
    index = PhraseIndex()
    for phrase in spec.phrases:
        index.add_phrase(spec.group, phrase)
    for pattern in spec.patterns:
        index.add_pattern(spec.group, pattern, built_in=True)
    return index


@pytest.mark.parametrize("spec", [spec for _, spec in SPECS], ids=label)
def test_the_group_finds_its_match_examples_and_not_its_no_match_ones(
    spec: PhraseGroupFile,
) -> None:
    assert spec.examples is not None, f"{label(spec)} has no examples"
    index = index_of(spec)
    for text in spec.examples.match:
        assert index.find(normalise(text)).get(spec.group), f"not found: {text!r}"
    for text in spec.examples.no_match:
        hits = index.find(normalise(text)).get(spec.group)
        assert not hits, f"found in {text!r}: {[hit.text for hit in hits]}"


def test_every_group_has_examples_in_both_directions() -> None:
    for _, spec in SPECS:
        assert spec.examples is not None, label(spec)
        assert len(spec.examples.match) >= 3, label(spec)
        assert len(spec.examples.no_match) >= 3, label(spec)


def test_some_example_exercises_every_group_and_the_rest_are_listed() -> None:
    report = phrase_coverage.coverage(builtin_rules_dir())
    # A group whose examples exercise none of its phrases proves nothing about them.
    assert all(group.exercised for group in report), [
        group.label for group in report if not group.exercised
    ]
    missed = [f"{group.label}: {entry}" for group in report for entry in group.missed]
    if missed:
        warnings.warn(
            phrase_coverage.summary(report)
            + ". Phrases no example exercises:\n  "
            + "\n  ".join(missed),
            stacklevel=1,
        )
