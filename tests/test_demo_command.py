"""`pullcheck demo`: argument checks, and `--screenshot` end to end (demo site, real mitmproxy,
Debian's Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pullcheck.cli import main
from pullcheck.demo.stack import CHROMIUM


@pytest.mark.timeout(120)
@pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is not installed (tests/run-all.sh installs Debian's chromium)",
)
def test_pullcheck_demo_screenshot_saves_a_picture_of_the_banner(tmp_path):
    target = tmp_path / "shots" / "banner.png"
    assert main(["demo", "--screenshot", str(target)]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 20_000


def test_pullcheck_demo_refuses_bad_arguments(capsys):
    assert main(["demo", "--port", "70000"]) == 2
    assert main(["demo", "--screenshot", "banner.jpg"]) == 2
    assert "port number" in capsys.readouterr().err
