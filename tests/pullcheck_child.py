"""A `pullcheck` command as a child process, for the tests that need a real process (start-up,
signals, a port really in use): its environment and its output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


def child_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a child process that stays out of the real home."""
    return {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "PULLCHECK_DATA_DIR": str(tmp_path / "data"),
        "PULLCHECK_CONFIG": str(tmp_path / "config.yaml"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
    }


class Child:
    """A long-running `pullcheck` child process whose output a reader thread collects."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pullcheck.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def output_until(self, marker: str | None, timeout: float) -> str:
        """Output up to `marker` (None: until the process ends), waiting at most `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = "".join(self.lines)
            if marker is not None and marker in text:
                return text
            if self.process.poll() is not None:
                self._reader.join(5)
                return "".join(self.lines)
            time.sleep(0.05)
        return "".join(self.lines)

    def stop(self) -> int:
        """Ctrl-C, as a user stops it; killed if it does not end within 15 s."""
        process = self.process
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                return process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                return process.wait(5)
        return process.returncode
