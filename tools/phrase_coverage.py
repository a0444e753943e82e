"""Which phrases of the rule pack's phrase groups some example shows at work.

    python tools/phrase_coverage.py            # the figures, then every phrase no example hits
    python tools/phrase_coverage.py --summary  # the figures only

A phrase (or raw pattern) counts as exercised when, compiled alone, it finds a match in one of
its group's own `examples.match` texts or in the text or parent of any rule example. The
matching goes through the public API (`PhraseIndex.add_phrase`/`add_pattern`, `find`), never
the matcher's internals. tests/test_phrase_examples.py prints the unexercised list as a warning.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pullcheck.phrases import PhraseGroupFile, PhraseIndex, TranslationFile, normalise
from pullcheck.rulebook import PHRASES_FOLDER, builtin_rules_dir, load_rule_pack


@dataclass
class GroupCoverage:
    """One group's wording (in one language): which entries an example exercises."""

    spec: PhraseGroupFile
    file: Path
    exercised: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return (
            f"{self.spec.group} ({self.spec.language})" if self.spec.language else self.spec.group
        )


def group_specs(folder: Path) -> list[tuple[Path, PhraseGroupFile]]:
    """Every phrase group written in `folder/phrases/*.yaml`, a translated one per language."""
    specs: list[tuple[Path, PhraseGroupFile]] = []
    for path in sorted((folder / PHRASES_FOLDER).glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(raw, dict) and "groups" in raw:
            translation = TranslationFile.model_validate(raw)
            for name, body in translation.groups.items():
                data = {**(body or {}), "group": name, "language": translation.language}
                specs.append((path, PhraseGroupFile.model_validate(data)))
        else:
            specs.append((path, PhraseGroupFile.model_validate(raw)))
    return specs


def rule_example_texts(folder: Path) -> list[str]:
    """The text and parent of every rule example in the folder."""
    pack = load_rule_pack([folder], check_examples=False)
    texts: list[str] = []
    for rule in pack.rules:
        for example in [*rule.examples.flag, *rule.examples.pass_]:
            texts.append(example.text)
            if example.parent:
                texts.append(example.parent)
    return texts


def _finds(entry: str, group: str, is_pattern: bool, texts: Iterable[str]) -> bool:
    index = PhraseIndex()
    if is_pattern:
        index.add_pattern(group, entry, built_in=True)
    else:
        index.add_phrase(group, entry)
    return any(index.find(normalise(text), first_only=True).get(group) for text in texts)


def coverage(folder: Path) -> list[GroupCoverage]:
    shared = rule_example_texts(folder)
    report: list[GroupCoverage] = []
    for path, spec in group_specs(folder):
        texts = [*(spec.examples.match if spec.examples else []), *shared]
        found = GroupCoverage(spec, path)
        for entry, is_pattern in [
            *((phrase, False) for phrase in spec.phrases),
            *((pattern, True) for pattern in spec.patterns),
        ]:
            (
                found.exercised if _finds(entry, spec.group, is_pattern, texts) else found.missed
            ).append(entry)
        report.append(found)
    return report


def summary(report: list[GroupCoverage]) -> str:
    total = sum(len(group.exercised) + len(group.missed) for group in report)
    hit = sum(len(group.exercised) for group in report)
    with_examples = sum(1 for group in report if group.spec.examples is not None)
    return (
        f"{hit} of {total} phrases and patterns exercised by an example; "
        f"{with_examples} of {len(report)} phrase groups have examples"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=builtin_rules_dir())
    parser.add_argument("--summary", action="store_true", help="the figures only")
    args = parser.parse_args(argv)
    report = coverage(args.folder)
    print(summary(report))
    if not args.summary:
        for group in report:
            for entry in group.missed:
                print(f"  {group.label}: {entry}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
