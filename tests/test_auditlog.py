"""The audit log is the only place draft text may reach the disk, and only when asked for."""

import asyncio
import json
import stat

from mitmproxy import http
from mitmproxy.test import taddons, tflow
from pullcheck.auditlog import MAX_TEXT, AuditLog
from pullcheck.config import Config
from pullcheck.models import Draft, Finding, ReplyTarget, Verdict
from pullcheck.proxy.addon import PullcheckAddon


def _verdict() -> Verdict:
    finding = Finding(
        code="PP201", name="unsolicited-pitch-reply", severity="warning", message="m", span=(0, 6)
    )
    return Verdict(findings=[finding], score=70, level="warning")


def test_no_audit_log_unless_the_config_turns_it_on(tmp_path):
    assert AuditLog.from_config(Config(), tmp_path) is None


def test_audit_log_defaults_to_the_data_folder(tmp_path):
    config = Config.model_validate({"audit_log": {"enabled": True}})
    log = AuditLog.from_config(config, tmp_path)
    assert log is not None
    assert log.path == tmp_path / "audit.jsonl"


def test_each_judged_draft_is_one_json_line_with_its_text_and_verdict(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    draft = Draft(
        platform="x",
        kind="reply",
        text="We build sites <b>café</b>",
        reply_to=ReplyTarget(id="17"),
        recipients=["sam"],
    )
    log.write(draft, _verdict(), origin="https://x.com", held=True, when=1.0)
    log.write(Draft(platform="x", kind="dm", text_available=False), Verdict(), when=2.0)
    first, second = [json.loads(line) for line in log.path.read_text("utf-8").splitlines()]
    assert first == {
        "time": 1.0,
        "platform": "x",
        "kind": "reply",
        "origin": "https://x.com",
        "text": "We build sites <b>café</b>",
        "reply_to": "17",
        "recipients": ["sam"],
        "level": "warning",
        "score": 70,
        "rules": ["PP201"],
        "held": True,
    }
    assert second["text"] is None
    assert second["level"] == "none"


def test_audit_log_file_is_readable_by_its_owner_only(tmp_path):
    log = AuditLog(tmp_path / "sub" / "audit.jsonl")
    log.write(Draft(text="hello"), Verdict())
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600


# -- through the add-on ------------------------------------------------------------------

PITCH_TEXT = (
    "Hi! We build fast websites for bakeries. See https://acme.example and DM me for 20% off!"
)


def _judge_one_compose(tmp_path, config_text: str):
    (tmp_path / "config.yaml").write_text(config_text)
    body = json.dumps(
        {
            "variables": {
                "tweet_text": PITCH_TEXT,
                "reply": {"in_reply_to_tweet_id": "1790000000000000200"},
            },
            "queryId": "q",
        }
    ).encode()
    flow = tflow.tflow(
        req=http.Request.make(
            "POST",
            "https://x.com/i/api/graphql/q/CreateTweet",
            body,
            http.Headers(content_type="application/json", origin="https://x.com"),
        )
    )

    async def scenario():
        addon = PullcheckAddon()
        with taddons.context(addon) as tctx:
            tctx.configure(
                addon,
                pullcheck_config=str(tmp_path / "config.yaml"),
                pullcheck_data_dir=str(tmp_path / "data"),
            )
            try:
                await addon.request(flow)
                assert addon.state is not None
                assert addon.state.recorder is not None
                assert addon.state.recorder.flush(10)
            finally:
                addon.done()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_the_proxy_writes_judged_drafts_to_the_audit_log_when_it_is_on(tmp_path, monkeypatch):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))
    _judge_one_compose(tmp_path, "audit_log: {enabled: true}\n")
    (entry,) = [
        json.loads(line)
        for line in (tmp_path / "data" / "audit.jsonl").read_text("utf-8").splitlines()
    ]
    assert entry["text"] == PITCH_TEXT
    assert entry["platform"] == "x"
    assert entry["kind"] == "reply"
    assert entry["level"] in {"warning", "error"}
    assert entry["origin"] == "https://x.com"


def test_without_the_audit_log_no_draft_text_reaches_the_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))
    _judge_one_compose(tmp_path, "mode: warn\n")
    written = [path for path in (tmp_path / "data").rglob("*") if path.is_file()]
    assert written, "the proxy keeps its sent log and counts in the data folder"
    for path in written:
        assert b"bakeries" not in path.read_bytes(), path


def test_a_huge_draft_is_logged_truncated_and_marked_so(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.write(Draft(text="x" * 2_000_000, recipients=[f"u{n}" for n in range(5000)]), Verdict())
    entry = json.loads(log.path.read_text("utf-8"))
    assert len(entry["text"]) == MAX_TEXT
    assert entry["truncated"] is True
    assert len(entry["recipients"]) == 100


def test_a_full_audit_log_is_rotated_keeping_one_previous_file(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=20_000)
    for n in range(200):
        log.write(Draft(text=f"draft {n} " + "y" * 500), Verdict())
    assert log.path.stat().st_size <= 20_000
    assert log.previous.stat().st_size <= 20_000
    assert stat.S_IMODE(log.previous.stat().st_mode) == 0o600
    last = json.loads(log.path.read_text("utf-8").splitlines()[-1])
    assert last["text"].startswith("draft 199 ")
    assert set(tmp_path.iterdir()) == {log.path, log.previous}


def test_the_size_cap_comes_from_the_config(tmp_path):
    config = Config.model_validate({"audit_log": {"enabled": True, "max_mb": 2}})
    log = AuditLog.from_config(config, tmp_path)
    assert log is not None
    assert log.max_bytes == 2_000_000
