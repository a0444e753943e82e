"""Every verdict on every corpus row, to show that a refactor changed none of them.

    python tools/verdict_snapshot.py > before.jsonl      # on the old commit
    python tools/verdict_snapshot.py > after.jsonl       # on the new one
    python tools/verdict_snapshot.py --compare before.jsonl after.jsonl

One JSON line per row: corpus, id, level, score and each finding's code, severity, span and
message, judged with the built-in rules and no user config (as `pullcheck eval` does with
`--config` pointing nowhere). `--compare` prints the rows that differ and exits 1 when any do.
Draft text is not written, only ids (the corpora are public, but the habit is worth keeping).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from pullcheck.config import Config
from pullcheck.engine_factory import build_engine
from pullcheck.evaluate import read_corpus, replay_sent
from pullcheck.history import InMemorySentHistory

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


def snapshot(corpora: Path) -> Iterator[dict[str, object]]:
    for path in sorted(corpora.glob("*.csv")):
        # A fresh engine per corpus: the sent history replays "sent to N" within one corpus.
        engine = build_engine(Config(), InMemorySentHistory())
        for row in read_corpus(path):
            verdict = engine.judge_fully(replay_sent(row, engine)).verdict
            yield {
                "corpus": path.stem,
                "id": row.id,
                "level": verdict.level,
                "score": verdict.score,
                "findings": [
                    [f.code, f.severity, list(f.span) if f.span else None, f.message]
                    for f in verdict.findings
                ],
            }


def compare(before: Path, after: Path) -> int:
    def rows(path: Path) -> dict[tuple[str, str], str]:
        lines = path.read_text(encoding="utf-8").splitlines()
        return {(r["corpus"], r["id"]): json.dumps(r) for r in map(json.loads, lines)}

    old, new = rows(before), rows(after)
    changed = [key for key in sorted(old.keys() | new.keys()) if old.get(key) != new.get(key)]
    for key in changed:
        print(f"{key[0]} {key[1]}\n  before: {old.get(key)}\n  after:  {new.get(key)}")
    print(f"{len(changed)} of {len(old | new)} rows differ")
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    for record in snapshot(args.corpora):
        print(json.dumps(record, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
