"""One process-level smoke test per `pullcheck` command: the real entry point in a child process,
with its data, config and home kept in a temporary folder.

Each command's options and edge cases are tested in-process (tests/test_cli.py,
tests/test_run_command.py with mitmproxy's taddons, tests/test_audit_report.py, ...); these only
show that every command starts, does its job once and exits with the documented code.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from audit_archives import note, outbox
from pullcheck.commands import COMMANDS
from pullcheck.sentlog import FILE_NAME
from pullcheck_child import Child, child_env

EVAL_CSV = (
    "id,text,label,kind,parent,context\n"
    '1,"Check out my channel and subscribe!! my-vlog.example",push,reply,Cat video,\n'
    "2,Where was this filmed?,ok,reply,Cat video,\n"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return child_env(tmp_path)


def pullcheck(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pullcheck.cli", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


# Each one-shot command: the arguments (built in a temporary folder), the exit code and a line
# of what it prints.
ONE_SHOT: dict[str, tuple[Callable[[Path], list[str]], int, str]] = {
    "check": (lambda tmp: ["check", "hello"], 0, "No push found."),
    "rules": (lambda tmp: ["rules"], 0, "PP201  unsolicited-pitch-reply"),
    "explain": (lambda tmp: ["explain", "PP201"], 0, "PP201 unsolicited-pitch-reply"),
    "eval": (lambda tmp: ["eval", _write(tmp / "tiny.csv", EVAL_CSV)], 0, "2 rows"),
    "config": (
        lambda tmp: ["config", "check", _write(tmp / "mine.yaml", "mode: hold\n")],
        0,
        "mine.yaml",
    ),
    "audit": (
        lambda tmp: [
            "audit",
            _write(
                tmp / "outbox.json",
                json.dumps(
                    outbox([note(1, "<p>Our autumn menu is out</p>", "2024-05-04T10:00:00Z")])
                ),
            ),
            "--out",
            str(tmp / "report.html"),
        ],
        0,
        "report.html",
    ),
    "stats": (lambda tmp: ["stats"], 0, "drafts checked"),
    "opportunities": (lambda tmp: ["opportunities"], 0, "No opportunities"),
    "forget": (lambda tmp: ["forget", "--yes"], 0, "nothing to forget"),
}
LONG_RUNNING = ("run", "demo")
# Talk to a running proxy (tests/test_holds_proxy.py drives them against one).
TO_THE_PROXY = ("holds",)


def test_every_command_has_a_smoke_test() -> None:
    assert set(COMMANDS) == set(ONE_SHOT) | set(LONG_RUNNING) | set(TO_THE_PROXY)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("args", [["holds"], ["decide", "h1-0123456789ab", "send"]])
def test_holds_and_decide_without_a_running_proxy_say_so(args: list[str], env) -> None:
    done = pullcheck(args, env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no pullcheck proxy is running" in done.stderr


@pytest.mark.timeout(90)
@pytest.mark.parametrize("command", sorted(ONE_SHOT))
def test_command_runs_in_its_own_process(command: str, tmp_path: Path, env) -> None:
    make_args, code, shows = ONE_SHOT[command]
    done = pullcheck(make_args(tmp_path), env)
    assert done.returncode == code, done.stdout + done.stderr
    assert shows in done.stdout, done.stdout + done.stderr


@pytest.mark.timeout(90)
def test_run_starts_the_proxy_and_says_how_to_use_it(tmp_path: Path, env) -> None:
    child = Child(
        ["run", "--port", "0", "--mode", "hold", "--set", f"confdir={tmp_path / 'mitmproxy'}"], env
    )
    try:
        output = child.output_until("stop with Ctrl-C", 60)
    finally:
        code = child.stop()
    assert "pullcheck is active: mode hold" in output, output
    assert "proxy:     http://127.0.0.1:" in output
    assert f"{tmp_path / 'mitmproxy' / 'mitmproxy-ca-cert.pem'}" in output
    assert "certutil -d sql:$HOME/.pki/nssdb -A -t C -n mitmproxy" in output
    assert "x (x.com" in output
    assert "mastodon (" in output
    assert str(tmp_path / "data" / FILE_NAME) in output
    assert (tmp_path / "data" / FILE_NAME).exists()
    assert code in (0, -signal.SIGINT)


@pytest.mark.timeout(120)
def test_demo_serves_the_site_behind_a_proxy_until_stopped(tmp_path: Path, env) -> None:
    child = Child(["demo", "--mode", "warn"], env)
    try:
        output = child.output_until("chromium --user-data-dir", 90)
    finally:
        code = child.stop()
    assert "pullcheck demo: mode warn" in output, output
    assert "demo site:  http://127.0.0.1:" in output
    assert code in (0, -signal.SIGINT), output
