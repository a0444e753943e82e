"""`pullcheck demo`: argument checks, and `--screenshot` end to end (demo site, real mitmproxy,
Debian's Chromium)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from chromium_marks import NEEDS_CHROMIUM
from pullcheck.cli import main


@pytest.mark.timeout(120)
@NEEDS_CHROMIUM
def test_pullcheck_demo_screenshot_saves_a_picture_of_the_banner(tmp_path):
    target = tmp_path / "shots" / "banner.png"
    assert main(["demo", "--screenshot", str(target)]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 20_000


def test_pullcheck_demo_refuses_bad_arguments(capsys):
    assert main(["demo", "--port", "70000"]) == 2
    assert main(["demo", "--screenshot", "banner.jpg"]) == 2
    assert "port number" in capsys.readouterr().err


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # exited, waiting only for its new parent to reap it


@pytest.mark.timeout(120)
def test_sigterm_stops_the_proxy_child_and_removes_the_temporary_folder(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [
        sys.executable,
        "-c",
        "import sys; from pullcheck.cli import main; sys.exit(main(['demo', '--mode', 'warn']))",
    ]
    demo = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert demo.stdout is not None
        lines = []
        for line in demo.stdout:  # the instructions are printed once the proxy is active
            lines.append(line)
            if "stop with Ctrl-C" in line:
                break
        assert any("demo site:" in line for line in lines), lines
        (folder,) = tmp_path.glob("pullcheck-demo-*")
        assert (folder / "mitmproxy" / "mitmproxy-ca.pem").exists()  # the demo CA's key
        children = _children(demo.pid)
        assert children, "mitmdump should run as a child process"
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0
        assert all(_gone(child) for child in children)
        assert list(tmp_path.glob("pullcheck-demo-*")) == []
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
