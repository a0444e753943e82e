"""What the tests that drive Debian's Chromium share: the mark that skips them where it is not
installed, and the folder their screenshots go to."""

from __future__ import annotations

from pathlib import Path

import pytest
from pullcheck.demo.stack import CHROMIUM

NEEDS_CHROMIUM = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is not installed (tests/run-all.sh installs Debian's chromium)",
)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
