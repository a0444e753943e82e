"""A rule pack's examples, judged by the engine: each rule alone gives one finding of its own on
every `flag` example, pointing at the words the example pins (`span:`, or `span: none`), and
none on every `pass` example. Each rule runs as users who turned it on would, so a preview rule
is judged on its own examples too.

The rule pack (`pullcheck.rulebook`) sits below the engine and checks what it can alone (keys,
signals, params, conditions that can never hold, phrase groups and their examples). Running a
rule's examples takes the engine, so it happens here, one layer above it:

- `load_checked_pack` loads folders and checks the examples of every rule from your own folders
  (the config loads packs this way). A pack whose files hash the same as one already checked
  in this process is not run again.
- `example_failures` lists every example that misbehaves, for `pullcheck rules --check` and the
  test suite, which also run the shipped pack's examples (skipped at load: they cannot change
  after release, and running them at every start cost seconds).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pullcheck.engine import Engine, EngineSettings
from pullcheck.rulebook import (
    NO_SPAN,
    Example,
    RulePack,
    RulePackError,
    builtin_rules_dir,
    line_in_file,
    load_rule_pack,
)

# Hashes of packs whose examples passed; a few, for a user who switches between rule folders.
_CHECKED_LIMIT = 16
_checked: OrderedDict[str, None] = OrderedDict()
_checked_lock = threading.Lock()


@dataclass(frozen=True)
class ExampleFailure:
    """One example that does not behave as its rule says."""

    code: str
    source: Path | None
    message: str
    # Where in `source` the example is written, when known.
    line: int | None = None


def example_failures(pack: RulePack, codes: Iterable[str] | None = None) -> list[ExampleFailure]:
    """Every misbehaving example of the rules `codes` (default: all), each rule run alone."""
    failures: list[ExampleFailure] = []
    for code in pack.codes() if codes is None else codes:
        failures.extend(_rule_failures(pack, code))
    return failures


def first_failing_example(pack: RulePack, code: str) -> str | None:
    """Run one rule alone on its examples; describe the first that misbehaves."""
    failure = next(_rule_failures(pack, code), None)
    return failure.message if failure else None


def check_examples(pack: RulePack, builtin_examples: bool = False) -> None:
    """Raise `RulePackError` naming the rule file of the first rule whose examples misbehave;
    the shipped rules' examples run only with `builtin_examples`."""
    built_in_dir = builtin_rules_dir().resolve()
    for rule in pack.rules:
        shipped = rule.source is not None and rule.source.resolve().parent == built_in_dir
        if shipped and not builtin_examples:
            continue
        failure = next(_rule_failures(pack, rule.code), None)
        if failure:
            raise RulePackError(failure.message, rule.source, rule.code, failure.line)


def load_checked_pack(folders: list[Path], builtin_examples: bool = False) -> RulePack:
    """`load_rule_pack(folders)` whose rules (of your own folders, or all with
    `builtin_examples`) were seen to pass their examples. Raises `RulePackError`."""
    built_in_dir = builtin_rules_dir().resolve()
    if not builtin_examples and all(Path(folder).resolve() == built_in_dir for folder in folders):
        # Only shipped rules, whose examples run only with `builtin_examples`: nothing to check,
        # nor to hash (reading every file again cost a few ms of each start).
        return load_rule_pack(folders, builtin_examples=builtin_examples)
    # Hashed before the load, and again after the check: a file saved meanwhile (an editor's
    # write that set off this reload) must not mark bytes the check never saw as checked.
    before = pack_hash(folders)
    key = f"{builtin_examples}:{before}"
    pack = load_rule_pack(folders, builtin_examples=builtin_examples)
    with _checked_lock:
        if key in _checked:
            _checked.move_to_end(key)
            return pack
    check_examples(pack, builtin_examples)
    if pack_hash(folders) != before:
        return pack
    with _checked_lock:
        _checked[key] = None
        while len(_checked) > _CHECKED_LIMIT:
            _checked.popitem(last=False)
    return pack


def pack_hash(folders: list[Path]) -> str:
    """A digest of every YAML file (name and bytes) in `folders`, in order: the same digest is
    the same rules, phrase groups and lexicon, so the same examples give the same results. A file
    that cannot be read counts as such (the load that follows names it)."""
    digest = hashlib.sha256()
    for folder in folders:
        digest.update(str(Path(folder).resolve()).encode("utf-8") + b"\0")
        for path in sorted(Path(folder).rglob("*.yaml")):
            try:
                data = path.read_bytes()
            except OSError:
                digest.update(f"{path.relative_to(folder)}\0unreadable\0".encode())
                continue
            digest.update(f"{path.relative_to(folder)}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def example_engine(pack: RulePack, code: str) -> Engine:
    """An engine that runs `code` as users who turned it on would (a preview rule included)."""
    return Engine(pack, EngineSettings(enabled={code}))


def span_mismatch(example: Example, found: tuple[int, int] | None) -> str | None:
    """How the finding's span differs from the one the example pins (None: they agree)."""
    expected = example.pinned_span()
    if found == expected:
        return None

    def shown(span: tuple[int, int] | None) -> str:
        return NO_SPAN if span is None else repr(example.text[span[0] : span[1]])

    return f"the finding points at {shown(found)}, the example pins span {shown(expected)}"


def _rule_failures(pack: RulePack, code: str) -> Iterator[ExampleFailure]:
    rule = pack.by_code[code]
    solo = pack.only(code)
    for expected, examples in (("flag", rule.examples.flag), ("pass", rule.examples.pass_)):
        for index, example in enumerate(examples):
            found = [
                finding
                for finding in example_engine(solo, code).example_findings(example)
                if finding.code == code
            ]
            where = f"rule {code}: example {expected}[{index}] {example.text[:60]!r}"
            problem = None
            if expected == "flag" and len(found) != 1:
                problem = f"{where} should give one {code} finding, gave {len(found)}"
            elif expected == "flag" and example.span is not None:
                mismatch = span_mismatch(example, found[0].span)
                problem = f"{where}: {mismatch}" if mismatch else None
            elif expected == "pass" and found:
                problem = f"{where} should pass, but {code} fired"
            if problem:
                line = (
                    line_in_file(rule.source, ("examples", expected, index))
                    if rule.source
                    else None
                )
                yield ExampleFailure(code, rule.source, problem, line)
