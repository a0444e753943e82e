#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine (Debian's chromium and
# certutil included; never `playwright install`) and runs the whole suite. Python packages go
# into the checkout's virtual environment, .venv (made by scripts/make-venv when missing): the
# system Python refuses `pip install` (PEP 668).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
if ! command -v chromium >/dev/null 2>&1 || ! command -v certutil >/dev/null 2>&1; then
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium libnss3-tools
fi

bash scripts/make-venv .venv
# As if activated: tests start `mitmdump` and `pullcheck` from PATH.
export VIRTUAL_ENV="$PWD/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"
# The install compiles the phrase matcher (setup.py); the suite then checks it runs compiled,
# unless PULLCHECK_PURE_PYTHON=1 asked for the plain-Python install.
python -m pip install -q --disable-pip-version-check -e '.[test]'
if [ -z "${PULLCHECK_PURE_PYTHON:-}" ]; then export PULLCHECK_EXPECT_COMPILED=1; fi
python -m ruff check addon tests benchmarks tools setup.py
python -m ruff format --check addon tests benchmarks tools setup.py
# Types: addon/ and tests/ ([tool.mypy] in pyproject.toml names them and the checks).
python -m mypy
# The layer order (pyproject.toml [tool.importlinter], drawn in docs/architecture.md).
lint-imports --no-cache

# Packaging: build the sdist and wheel into a temporary folder, `twine check` them and check
# what the wheel ships (rule pack, py.typed; no development files).
bash tests/check-build.sh python

# The client libraries the client tests drive (atproto, Mastodon.py, praw, tweepy) pin versions
# that clash with mitmproxy's: they get their own virtual environment, .client-venv/ (the tests
# also build it on demand when it is missing).
bash scripts/make-venv .client-venv
.client-venv/bin/python -m pip install -q --disable-pip-version-check -r tests/clients/requirements.txt

python -m pytest "$@"
