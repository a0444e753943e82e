"""`pullcheck run` as a real process: what it tells the user on the terminal (a port in use, each
hold and decision) and what Ctrl-C does to a held post."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from proxy_harness import Upstream
from pullcheck_child import Child, child_env

# A pitch reply to a stranger, held in hold mode (PP201).
PITCH_REPLY = json.dumps(
    {
        "variables": {
            "tweet_text": "Hi! We build fast, affordable websites. "
            "See https://acme.example/pricing and DM me for 20% off this week!",
            "reply": {"in_reply_to_tweet_id": "1790000000000000200"},
        }
    }
).encode()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return child_env(tmp_path)


def hold_mode_run(tmp_path: Path, env: dict[str, str]) -> tuple[Upstream, Child]:
    """A fake X site and `pullcheck run` in hold mode in front of it (holds wait for a decision
    even with no page open)."""
    site = Upstream()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"mode: hold\nholds: {{without_page: wait}}\nsites:\n  x: {{hosts: ['{site.address}']}}\n"
    )
    command = ["run", "--port", "0", "--config", str(config)]
    return site, Child([*command, "--set", f"confdir={tmp_path / 'mitmproxy'}"], env)


def pitch_reply_through(
    started: str, site: Upstream
) -> tuple[urllib.request.OpenerDirector, urllib.request.Request]:
    """An opener through the proxy whose start-up output is `started`, and the pitch reply to
    post to `site` with it."""
    port = found(r"proxy:\s+http://127\.0\.0\.1:(\d+)", started)
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"})
    )
    request = urllib.request.Request(
        f"http://{site.address}/i/api/graphql/q/CreateTweet",
        data=PITCH_REPLY,
        headers={"content-type": "application/json"},
        method="POST",
    )
    return opener, request


def found(pattern: str, output: str) -> str:
    """The first group of `pattern` in the child's output, which the test expects there."""
    match = re.search(pattern, output)
    assert match is not None, f"{pattern!r} not in {output!r}"
    return match.group(1)


@pytest.mark.timeout(150)
def test_a_port_in_use_is_reported_with_the_run_commands_own_port_option(tmp_path, env):
    # mitmproxy's own advice is `--mode regular@PORT`, which `pullcheck run` does not take.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        child = Child(
            ["run", "--port", str(port), "--set", f"confdir={tmp_path / 'mitmproxy'}"], env
        )
        # Until it exits: on a loaded machine mitmproxy takes a while to shut down after the error.
        output = child.output_until(None, 120)
        code = child.stop()
    assert code == 1, output
    assert f"failed to listen on 127.0.0.1:{port}" in output
    assert f"`pullcheck run --port {port + 2}`" in output
    assert "--mode" not in output


@pytest.mark.timeout(120)
def test_run_prints_each_hold_with_how_to_decide_it_and_each_decision(tmp_path, env):
    site, child = hold_mode_run(tmp_path, env)
    try:
        started = child.output_until("stop with Ctrl-C", 60)
        opener, request = pitch_reply_through(started, site)
        answered: list[int] = []
        sender = threading.Thread(
            target=lambda: answered.append(opener.open(request, timeout=60).status)
        )
        sender.start()
        output = child.output_until("— pullcheck decide h", 30)
        hold_id = found(r"pullcheck decide (h\d+-[0-9a-f]+) send\|edit", output)
        decided = subprocess.run(
            [sys.executable, "-m", "pullcheck.cli", "decide", hold_id, "send"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        sender.join(30)
        output = child.output_until(f"hold {hold_id}: Send anyway", 30)
    finally:
        child.stop()
        site.close()
    assert re.search(
        rf"held x reply \((warning|error)\) PP201 .*pullcheck decide {hold_id} "
        r"send\|edit",
        output,
    ), output
    assert decided.returncode == 0, decided.stderr
    assert f"hold {hold_id}: Send anyway: the post goes to the site once" in output
    assert answered == [200]
    assert "20% off" not in output  # the terminal shows codes, never the draft


@pytest.mark.timeout(120)
def test_ctrl_c_answers_a_held_client_with_the_sites_failure_response(tmp_path, env):
    site, child = hold_mode_run(tmp_path, env)
    answers: list[tuple[int, bytes]] = []

    def post() -> None:
        try:
            with opener.open(request, timeout=60) as answer:
                answers.append((answer.status, answer.read()))
        except urllib.error.HTTPError as refused:
            answers.append((refused.code, refused.read()))

    try:
        started = child.output_until("stop with Ctrl-C", 60)
        opener, request = pitch_reply_through(started, site)
        sender = threading.Thread(target=post)
        sender.start()
        child.output_until("— pullcheck decide h", 30)
        code = child.stop()  # SIGINT, as Ctrl-C
        sender.join(30)
        output = "".join(child.lines)
    finally:
        site.close()
    assert code in (0, -signal.SIGINT), output
    ((status, body),) = answers
    message = json.loads(body)["errors"][0]["message"]
    # X refuses a post it will not take with 200 and `errors` (as for a duplicate), not a 5xx.
    assert status == 200
    assert message.startswith("Not sent: held by pullcheck: PP201")
    assert "The proxy stopped before a decision; nothing was sent." in message
    assert "stopping: 1 held post(s) not sent" in output
    assert site.received == []
