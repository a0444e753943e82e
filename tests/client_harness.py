"""Real client libraries (atproto, Mastodon.py, praw, tweepy) through a real mitmproxy with the
pullcheck add-on, to a fake site on 127.0.0.1.

The libraries pin versions that clash with mitmproxy's, so they live in their own virtual
environment, `.client-venv/` in the checkout (tests/run-all.sh builds it; `client_python()` builds
it on demand). Each library call is a subprocess: one driver script per library under
tests/clients/, which prints one JSON result line.

The libraries talk HTTPS to the sites' real host names through the proxy and trust the proxy's
CA. `FakeSiteRedirect`, added after pullcheck, sends what pullcheck let through to the fake site
and puts the real host back before the response hooks, so pullcheck only ever sees real names.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from proxy_harness import Answer, RunningProxy, Upstream

ROOT = Path(__file__).resolve().parent.parent
CLIENT_VENV = ROOT / ".client-venv"
DRIVERS = ROOT / "tests" / "clients"
REQUIREMENTS = DRIVERS / "requirements.txt"
# Written into the venv once its install finished: the hash of the requirements it holds.
INSTALLED_MARK = CLIENT_VENV / "pullcheck-requirements.sha256"
# The beginning of every failure answer pullcheck gives for a held post (sites/adapter.py).
HELD_REASON = "Not sent: held by pullcheck"
# A driver still running after this long has hung: the test fails with what it printed.
DRIVER_TIMEOUT_S = 60
# Two cores shared by many jobs: mitmproxy's first start (its CA) can take a while.
PROXY_START_TIMEOUT_S = 60
# The holds branch's setting for a held request from a client with no pullcheck page open:
# `wait` (for a decision, as these tests need) or `reject` (answer at once with the reason).
# Without that branch the config loader refuses the key and every client module fails to start
# its proxy: these two constants are the only place the key is written.
HOLDS_WAIT = "holds: {without_page: wait}\n"
HOLDS_REJECT = "holds: {without_page: reject}\n"
JSON_TYPE = {"content-type": "application/json; charset=utf-8"}


def client_python() -> Path:
    """The client venv's python; builds the venv when it is missing or its pins changed.
    A failed build fails the test with pip's output (never a skip: these tests are the point)."""
    python = CLIENT_VENV / "bin" / "python"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and INSTALLED_MARK.exists() and INSTALLED_MARK.read_text() == wanted:
        return python
    steps = [
        [sys.executable, "-m", "venv", str(CLIENT_VENV)],
        [str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.fail(
                f"could not build the client venv {CLIENT_VENV} ({' '.join(step)}):\n"
                f"{done.stdout[-2000:]}{done.stderr[-2000:]}\n"
                f"build it by hand: python3 -m venv .client-venv && "
                f".client-venv/bin/pip install -r tests/clients/requirements.txt",
                pytrace=False,
            )
    INSTALLED_MARK.write_text(wanted)
    return python


class FakeSiteRedirect:
    """A mitmproxy add-on placed after pullcheck: whatever pullcheck lets go upstream goes to the
    fake site instead (plain HTTP, the Host header kept); the real scheme, host and port come
    back before any `response` hook runs."""

    METADATA_KEY = "client_tests_real_target"

    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, flow: Any) -> None:
        if flow.response is not None:  # answered by pullcheck: nothing goes upstream
            return
        req = flow.request
        host_header = req.host_header
        flow.metadata[self.METADATA_KEY] = (req.scheme, req.host, req.port, host_header)
        req.scheme, req.host, req.port = "http", "127.0.0.1", self.port
        req.host_header = host_header

    def responseheaders(self, flow: Any) -> None:
        real = flow.metadata.pop(self.METADATA_KEY, None)
        if real is None:
            return
        scheme, host, port, host_header = real
        req = flow.request
        req.scheme, req.host, req.port = scheme, host, port
        req.host_header = host_header


@dataclass(frozen=True)
class Sent:
    method: str
    host: str
    path: str
    body: bytes


class ClientTap:
    """A mitmproxy add-on placed before pullcheck: every request as the client sent it, so a
    test can compare it byte for byte with what the fake site received."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def request(self, flow: Any) -> None:
        req = flow.request
        self.sent.append(
            Sent(req.method, req.host, req.path.split("?", 1)[0], req.raw_content or b"")
        )

    def to(self, method: str, path: str) -> list[bytes]:
        return [s.body for s in list(self.sent) if s.method == method and s.path == path]


@dataclass
class Outcome:
    """What a driver printed: `ok`, and on failure `error_type` and `error`."""

    result: dict[str, Any]
    stderr: str

    @property
    def ok(self) -> bool:
        return bool(self.result.get("ok"))

    def __getitem__(self, key: str) -> Any:
        return self.result[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.result.get(key, default)


class ClientRig:
    """One proxy (mode hold, audit log on) in front of one fake site, for one test module."""

    def __init__(
        self, folder: Path, routes: Mapping[tuple[str, str], Answer], config_extra: str = ""
    ) -> None:
        self.python = client_python()
        self.folder = folder
        self.site = Upstream(routes=dict(routes))
        self.data_dir = folder / "data"
        config = folder / "config.yaml"
        config.write_text(
            "mode: hold\n"
            "hold_at: warning\n"
            # The audit log is how these tests read the judged draft (kind, text, target).
            "audit_log: {enabled: true}\n"
            f"{config_extra}"
        )
        self.home = folder / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.tap = ClientTap()
        try:
            self.proxy = RunningProxy(
                addons_before=[self.tap],
                addons_after=[FakeSiteRedirect(self.site.port)],
                pullcheck_config=str(config),
                pullcheck_data_dir=str(self.data_dir),
                confdir=str(folder / "mitmproxy"),  # its own CA, never ~/.mitmproxy
                # The real hosts do not exist here: connect upstream only once a request
                # says where (the fake site), never at CONNECT time.
                connection_strategy="lazy",
            ).start(timeout=PROXY_START_TIMEOUT_S)
        except BaseException:
            self.site.close()
            raise
        self.ca_file = folder / "mitmproxy" / "mitmproxy-ca-cert.pem"

    def close(self) -> None:
        try:
            for hold in self.holds():
                self.addon.decide(hold.hold_id, "edit")
            self.proxy.stop()
        finally:
            self.site.close()

    @property
    def addon(self) -> Any:
        return self.proxy.addon

    # -- running a library -----------------------------------------------------------------

    def command(
        self,
        driver: str,
        action: str,
        text: str,
        *,
        target: str | None = None,
        recipient: str | None = None,
        timeout_s: float = 30,
    ) -> list[str]:
        command = [
            str(self.python),
            str(DRIVERS / driver),
            "--proxy",
            f"http://127.0.0.1:{self.proxy.port}",
            "--ca",
            str(self.ca_file),
            "--action",
            action,
            "--text",
            text,
            "--timeout",
            str(timeout_s),
        ]
        if target is not None:
            command += ["--target", target]
        if recipient is not None:
            command += ["--recipient", recipient]
        return command

    def environment(self) -> dict[str, str]:
        # Nothing inherited that could steer the client: no proxy settings, no CA bundles,
        # no praw.ini or .netrc from the real home.
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8",
        }

    def run(self, driver: str, action: str, text: str, **options: Any) -> Outcome:
        """Run one library call to its end."""
        return self.finish(self.start(driver, action, text, **options))

    def start(self, driver: str, action: str, text: str, **options: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(driver, action, text, **options),
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.home,
        )

    @staticmethod
    def finish(process: subprocess.Popen[str], timeout_s: float = DRIVER_TIMEOUT_S) -> Outcome:
        try:
            stdout, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            raise AssertionError(f"the driver did not finish in {timeout_s} s:\n{stderr}") from None
        lines = [line for line in stdout.splitlines() if line.strip()]
        try:
            result = json.loads(lines[-1])
        except (IndexError, ValueError):
            raise AssertionError(
                f"the driver printed no JSON result (exit {process.returncode}):\n"
                f"stdout: {stdout}\nstderr: {stderr}"
            ) from None
        return Outcome(result, stderr)

    # -- what pullcheck made of it ---------------------------------------------------------

    def audit_entries(self) -> list[dict[str, Any]]:
        """Every draft the proxy judged so far (the audit log, written in the background)."""
        self.addon.state.recorder.flush(10)
        log = self.data_dir / "audit.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text("utf-8").splitlines() if line]

    def judged(self, text_part: str) -> dict[str, Any]:
        """The one judged draft whose text contains `text_part`."""
        found = [e for e in self.audit_entries() if text_part in (e.get("text") or "")]
        assert len(found) == 1, f"expected one judged draft with {text_part!r}, got {found}"
        return found[0]

    def holds(self) -> list[Any]:
        state = self.addon.state
        return state.holds.pending() if state is not None else []

    def wait_for_hold(
        self, process: subprocess.Popen[str] | None = None, timeout_s: float = 20
    ) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pending = self.holds()
            if pending:
                assert len(pending) == 1, f"more than one hold: {pending}"
                return pending[0]
            if process is not None and process.poll() is not None:
                outcome = self.finish(process)
                raise AssertionError(f"the client finished without a hold: {outcome.result}")
            time.sleep(0.02)
        raise AssertionError("no hold appeared")

    def wait_until_no_hold(self, timeout_s: float = 10) -> list[Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.holds():
            time.sleep(0.05)
        return self.holds()

    def received(self, method: str, path: str) -> list[Any]:
        """What the fake site received on `path` (its query string ignored)."""
        return [
            r for r in self.site.received if r.method == method and r.path.split("?", 1)[0] == path
        ]


def json_answer(document: Any, status: int = 200) -> Answer:
    return status, dict(JSON_TYPE), json.dumps(document).encode()
