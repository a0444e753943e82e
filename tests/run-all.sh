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

# The client libraries the client tests drive (atproto, Mastodon.py, praw, tweepy) pin versions
# that clash with mitmproxy's: they get their own virtual environment, .client-venv/ (the tests
# also build it on demand when it is missing).
python3 -m venv .client-venv && .client-venv/bin/pip install -q -r tests/clients/requirements.txt

python3 -m pytest "$@"
