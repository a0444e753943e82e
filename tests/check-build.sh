#!/usr/bin/env bash
# Builds the sdist and the wheel into a temporary folder, checks their metadata with
# `twine check --strict` and checks that the wheel ships what an installed pullcheck needs (the
# rule pack with its phrase and lexicon data, the banner files, the py.typed marker) and nothing
# that belongs to development (tools/, tests/).
# Usage: bash tests/check-build.sh [PYTHON]   (PYTHON defaults to .venv/bin/python, else python3)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${1:-}"
if [ -z "$PYTHON" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

"$PYTHON" -m build --sdist --wheel --outdir "$OUT" . >"$OUT/build.log" 2>&1 \
  || { cat "$OUT/build.log"; exit 1; }
# setuptools prints its configuration complaints as warnings and still builds: fail on them.
if grep -E "SetuptoolsDeprecationWarning|Package would be ignored|is deprecated" "$OUT/build.log"; then
  echo "check-build: the build warned (above); fix pyproject.toml" >&2
  exit 1
fi
"$PYTHON" -m twine check --strict "$OUT"/*.tar.gz "$OUT"/*.whl

"$PYTHON" - "$OUT"/*.whl <<'PY'
import os
import sys
import zipfile

names = set(zipfile.ZipFile(sys.argv[1]).namelist())
required = [
    "pullcheck/py.typed",
    "pullcheck/starter_config.yaml",
    "pullcheck/banner/banner.js",
    "pullcheck/rules/lexicon/links.yaml",
]
problems = [f"missing {name}" for name in required if name not in names]
if not any(name.startswith("pullcheck/rules/phrases/") for name in names):
    problems.append("missing the phrase lists (pullcheck/rules/phrases/)")
if not any(name.startswith("pullcheck/rules/PP") for name in names):
    problems.append("missing the rules (pullcheck/rules/PP*.yaml)")
if not os.environ.get("PULLCHECK_PURE_PYTHON") and not any(
    name.startswith("pullcheck/phrase_matcher.") and name.endswith((".so", ".pyd"))
    for name in names
):
    problems.append("missing the compiled phrase matcher (setup.py)")
if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
    problems.append("missing the LICENSE file")
problems += [f"ships a development file: {name}" for name in sorted(names)
             if name.split("/")[0] in ("tools", "tests", "benchmarks", "docs")
             or name == "pullcheck/docs.py"]
if problems:
    sys.exit("check-build: " + "; ".join(problems))
print(f"check-build: wheel holds {len(names)} files, rule pack and py.typed included")
PY
