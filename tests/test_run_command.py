"""`pullcheck run` (a real proxy process) and `pullcheck forget`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pullcheck.cli import main
from pullcheck.history import SentRecord
from pullcheck.opportunities import Opportunity, OpportunityLog
from pullcheck.sentlog import FILE_NAME, SqliteSentLog
from pullcheck.stats import StatsStore, read_summary


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
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
    """A `pullcheck` child process whose output is collected by a reader thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pullcheck.cli", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
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
        process = self.process
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                return process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                return process.wait(5)
        return process.returncode


@pytest.mark.timeout(90)
def test_run_starts_the_proxy_and_says_how_to_use_it(tmp_path, env):
    child = Child(["run", "--port", "0", "--mode", "hold",
                   "--set", f"confdir={tmp_path / 'mitmproxy'}"], env)
    try:
        output = child.output_until("stop with Ctrl-C", 60)
    finally:
        code = child.stop()
    assert "pullcheck is active: mode hold" in output, output
    assert "proxy:     http://127.0.0.1:" in output
    assert f"{tmp_path / 'mitmproxy' / 'mitmproxy-ca-cert.pem'}" in output
    assert "certutil -d sql:$HOME/.pki/nssdb -A -t C -n mitmproxy" in output
    assert "x (x.com" in output and "mastodon (" in output
    assert str(tmp_path / "data" / FILE_NAME) in output
    assert (tmp_path / "data" / FILE_NAME).exists()
    assert code in (0, -signal.SIGINT)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("setting, named", [
    ("pullcheck_hold_timeout=abc", "pullcheck_hold_timeout"),
    ("pullcheck_mode=loud", "loud"),
    ("pullcheck_colour=blue", "pullcheck_colour"),
])
def test_run_refuses_a_bad_setting_instead_of_running_without_the_addon(
    tmp_path, env, setting, named
):
    # mitmdump -s skips the script silently here (mitmproxy #8013); pullcheck run stops.
    child = Child(["run", "--port", "0", "--set", setting,
                   "--set", f"confdir={tmp_path / 'mitmproxy'}"], env)
    output = child.output_until(None, 45)
    code = child.stop()
    assert code == 2, output
    assert named in output
    assert "pullcheck is active" not in output


@pytest.mark.timeout(60)
def test_run_refuses_an_invalid_config_naming_file_and_line(tmp_path, env):
    bad = tmp_path / "bad.yaml"
    bad.write_text("mode: warn\nsites:\n  twitter: {enabled: true}\n")
    child = Child(["run", "--port", "0", "--config", str(bad),
                   "--set", f"confdir={tmp_path / 'mitmproxy'}"], env)
    output = child.output_until(None, 45)
    code = child.stop()
    assert code == 2, output
    assert f"{bad}:3" in output


@pytest.mark.timeout(60)
def test_a_port_in_use_is_reported_with_the_run_commands_own_port_option(tmp_path, env):
    # mitmproxy's own advice is `--mode regular@PORT`, which `pullcheck run` does not take.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        child = Child(["run", "--port", str(port),
                       "--set", f"confdir={tmp_path / 'mitmproxy'}"], env)
        output = child.output_until(None, 45)
        code = child.stop()
    assert code == 1, output
    assert f"failed to listen on 127.0.0.1:{port}" in output
    assert f"`pullcheck run --port {port + 2}`" in output
    assert "--mode" not in output


@pytest.mark.timeout(120)
def test_run_prints_each_hold_with_how_to_decide_it_and_each_decision(tmp_path, env):
    import json
    import re
    import urllib.request

    from proxy_harness import Upstream

    site = Upstream()
    config = tmp_path / "config.yaml"
    config.write_text("mode: hold\nholds: {without_page: wait}\nsites:\n"
                      f"  x: {{hosts: ['{site.address}']}}\n")
    child = Child(["run", "--port", "0", "--config", str(config),
                   "--set", f"confdir={tmp_path / 'mitmproxy'}"], env)
    reply = json.dumps({"variables": {
        "tweet_text": "Hi! We build fast, affordable websites. See https://acme.example/pricing "
        "and DM me for 20% off this week!",
        "reply": {"in_reply_to_tweet_id": "1790000000000000200"}}}).encode()
    try:
        started = child.output_until("stop with Ctrl-C", 60)
        port = re.search(r"proxy:\s+http://127\.0\.0\.1:(\d+)", started).group(1)
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"}))
        request = urllib.request.Request(
            f"http://{site.address}/i/api/graphql/q/CreateTweet", data=reply,
            headers={"content-type": "application/json"}, method="POST")
        answered: list[int] = []
        sender = threading.Thread(
            target=lambda: answered.append(opener.open(request, timeout=60).status))
        sender.start()
        output = child.output_until("— pullcheck decide h", 30)
        hold_id = re.search(r"pullcheck decide (h\d+-[0-9a-f]+) send\|edit", output).group(1)
        decided = subprocess.run(
            [sys.executable, "-m", "pullcheck.cli", "decide", hold_id, "send"],
            env=env, capture_output=True, text=True, timeout=30)
        sender.join(30)
        output = child.output_until(f"hold {hold_id}: Send anyway", 30)
    finally:
        child.stop()
        site.close()
    assert re.search(rf"held x reply \((warning|error)\) PP201 .*pullcheck decide {hold_id} "
                     r"send\|edit", output), output
    assert decided.returncode == 0, decided.stderr
    assert f"hold {hold_id}: Send anyway: the post goes to the site once" in output
    assert answered == [200]
    assert "20% off" not in output  # the terminal shows codes, never the draft


@pytest.mark.timeout(120)
def test_ctrl_c_answers_a_held_client_with_the_sites_failure_response(tmp_path, env):
    import json
    import re
    import urllib.error
    import urllib.request

    from proxy_harness import Upstream

    site = Upstream()
    config = tmp_path / "config.yaml"
    config.write_text("mode: hold\nholds: {without_page: wait}\nsites:\n"
                      f"  x: {{hosts: ['{site.address}']}}\n")
    child = Child(["run", "--port", "0", "--config", str(config),
                   "--set", f"confdir={tmp_path / 'mitmproxy'}"], env)
    reply = json.dumps({"variables": {
        "tweet_text": "Hi! We build fast, affordable websites. See https://acme.example/pricing "
        "and DM me for 20% off this week!",
        "reply": {"in_reply_to_tweet_id": "1790000000000000200"}}}).encode()
    answers: list[tuple[int, bytes]] = []

    def post() -> None:
        request = urllib.request.Request(
            f"http://{site.address}/i/api/graphql/q/CreateTweet", data=reply,
            headers={"content-type": "application/json"}, method="POST")
        try:
            with opener.open(request, timeout=60) as answer:
                answers.append((answer.status, answer.read()))
        except urllib.error.HTTPError as refused:
            answers.append((refused.code, refused.read()))

    try:
        started = child.output_until("stop with Ctrl-C", 60)
        port = re.search(r"proxy:\s+http://127\.0\.0\.1:(\d+)", started).group(1)
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"}))
        sender = threading.Thread(target=post)
        sender.start()
        child.output_until("— pullcheck decide h", 30)
        code = child.stop()  # SIGINT, as Ctrl-C
        sender.join(30)
        output = "".join(child.lines)
    finally:
        site.close()
    assert code in (0, -signal.SIGINT), output
    (status, body), = answers
    message = json.loads(body)["errors"][0]["message"]
    # X refuses a post it will not take with 200 and `errors` (as for a duplicate), not a 5xx.
    assert status == 200 and message.startswith("Not sent: held by pullcheck: PP201")
    assert "The proxy stopped before a decision; nothing was sent." in message
    assert "stopping: 1 held post(s) not sent" in output
    assert site.received == []


def fill(path: Path, count: int) -> None:
    log = SqliteSentLog(path)
    for i in range(count):
        log.record(SentRecord(time.time(), "x", "dm", (f"r{i}",), ("acme.example",), i))
    log.close()


def test_forget_with_yes_wipes_the_sent_log(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path))
    fill(tmp_path / FILE_NAME, 3)
    assert main(["forget", "--yes"]) == 0
    assert "wiped 3 record(s)" in capsys.readouterr().out
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 0


def test_forget_without_a_terminal_asks_for_yes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - closed by pytest
    fill(tmp_path / FILE_NAME, 2)
    assert main(["forget"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 2


def test_forget_with_nothing_logged_is_fine(tmp_path, capsys):
    assert main(["forget", "--yes", "--data-dir", str(tmp_path / "empty")]) == 0
    assert "nothing to forget" in capsys.readouterr().out
    assert not (tmp_path / "empty").exists()


def test_a_running_log_sees_a_forget_from_another_process(tmp_path):
    running = SqliteSentLog(tmp_path / FILE_NAME)
    running.record(SentRecord(time.time(), "x", "dm", ("alice",), (), 7))
    assert running.recipients_of_similar("x", 7, 0, 0) == {"alice"}
    assert main(["forget", "--yes", "--data-dir", str(tmp_path)]) == 0
    assert running.recipients_of_similar("x", 7, 0, 0) == set()


def fill_everything(folder: Path) -> None:
    fill(folder / FILE_NAME, 2)
    stats = StatsStore.in_data_dir(folder)
    stats.count("draft_checked", "x", ["PP201"])
    stats.close()
    opportunities = OpportunityLog.in_data_dir(folder)
    opportunities.add(Opportunity("42", "x", "ann", time.time(), "widget repair", "my widget"))
    opportunities.close()
    (folder / "audit.jsonl").write_text('{"text": "a draft"}\n')
    (folder / "audit.jsonl.1").write_text('{"text": "an older draft"}\n')  # rotated out
    (folder / "notpush.yaml").write_text("- {recipient: '@dana'}\n")


def test_forget_without_all_keeps_the_numbers_and_the_rest(tmp_path, capsys):
    fill_everything(tmp_path)
    assert main(["forget", "--yes", "--data-dir", str(tmp_path)]) == 0
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 0
    assert read_summary(tmp_path).totals["draft_checked"] == 1
    assert (tmp_path / "audit.jsonl").exists()


def test_forget_all_wipes_everything_pullcheck_keeps_but_the_not_push_setting(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "no-config.yaml"))
    fill_everything(tmp_path)
    assert main(["forget", "--all", "--yes", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for label in ("sent log: wiped 2 record(s)", "your numbers: wiped",
                  "pull opportunities: wiped", "audit log: deleted"):
        assert label in out
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 0
    assert read_summary(tmp_path).totals["draft_checked"] == 0
    assert OpportunityLog.in_data_dir(tmp_path).listed() == []
    assert not (tmp_path / "audit.jsonl").exists()
    assert not (tmp_path / "audit.jsonl.1").exists()
    assert (tmp_path / "notpush.yaml").exists()


def test_forget_all_finds_the_audit_log_the_config_names(tmp_path, capsys):
    audit = tmp_path / "elsewhere" / "drafts.jsonl"
    audit.parent.mkdir()
    audit.write_text('{"text": "a draft"}\n')
    config = tmp_path / "config.yaml"
    config.write_text(f"audit_log:\n  enabled: true\n  path: {audit}\n")
    data = tmp_path / "data"
    assert main(["forget", "--all", "--yes", "--data-dir", str(data),
                 "--config", str(config)]) == 0
    assert not audit.exists()
    assert not data.exists()


def test_forget_all_with_an_invalid_config_wipes_nothing(tmp_path, capsys):
    fill_everything(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("audit_log: {enabled: maybe}\n")
    assert main(["forget", "--all", "--yes", "--data-dir", str(tmp_path),
                 "--config", str(bad)]) == 2
    assert f"{bad}:1" in capsys.readouterr().err
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 2
