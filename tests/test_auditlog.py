"""The audit log is the only place draft text may reach the disk, and only when asked for."""

import json
import stat

from pullcheck.auditlog import AuditLog
from pullcheck.config import Config
from pullcheck.models import Draft, Finding, ReplyTarget, Verdict


def _verdict() -> Verdict:
    finding = Finding(code="PP201", name="unsolicited-pitch-reply", severity="warning",
                      message="m", span=(0, 6))
    return Verdict(findings=[finding], score=70, level="warning")


def test_no_audit_log_unless_the_config_turns_it_on(tmp_path):
    assert AuditLog.from_config(Config(), tmp_path) is None


def test_audit_log_defaults_to_the_data_folder(tmp_path):
    config = Config.model_validate({"audit_log": {"enabled": True}})
    log = AuditLog.from_config(config, tmp_path)
    assert log is not None and log.path == tmp_path / "audit.jsonl"


def test_each_judged_draft_is_one_json_line_with_its_text_and_verdict(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    draft = Draft(platform="x", kind="reply", text="We build sites <b>café</b>",
                  reply_to=ReplyTarget(id="17"), recipients=["sam"])
    log.write(draft, _verdict(), origin="https://x.com", held=True, when=1.0)
    log.write(Draft(platform="x", kind="dm", text_available=False), Verdict(), when=2.0)
    first, second = [json.loads(line) for line in log.path.read_text("utf-8").splitlines()]
    assert first == {
        "time": 1.0, "platform": "x", "kind": "reply", "origin": "https://x.com",
        "text": "We build sites <b>café</b>", "reply_to": "17", "recipients": ["sam"],
        "level": "warning", "score": 70, "rules": ["PP201"], "held": True,
    }
    assert second["text"] is None and second["level"] == "none"


def test_audit_log_file_is_readable_by_its_owner_only(tmp_path):
    log = AuditLog(tmp_path / "sub" / "audit.jsonl")
    log.write(Draft(text="hello"), Verdict())
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
