#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine (Debian's chromium and
# certutil included; never `playwright install`) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
if ! command -v chromium >/dev/null 2>&1 || ! command -v certutil >/dev/null 2>&1; then
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium libnss3-tools
fi

python3 -m pip install -q -e '.[test]'
python3 -m ruff check addon tests benchmarks
# Packaging: build the sdist and wheel into a temporary folder, `twine check` them and check
# what the wheel ships (rule pack, py.typed; no development files).
bash tests/check-build.sh python3
python3 -m pytest "$@"
