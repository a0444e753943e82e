"""The opt-in audit log: every draft the proxy judged on the wire, with its text and verdict.

This is the one place pullcheck writes draft text to disk, and only when the user sets
`audit_log.enabled: true`. One JSON object per line, appended, in a file only the user can read
(mode 0600), so it can be grepped, tailed or loaded into a notebook. Live checks from the banner
are not logged: they fire on every pause in typing and would record half-written drafts.

Bounded: a draft's text is kept up to `MAX_TEXT` characters (`"truncated": true` beyond), and
when the file would pass `audit_log.max_mb` (10 MB by default) it is renamed to `audit.jsonl.1`
(replacing the previous one) and a new file begins, so the log takes at most twice that.
Compose requests to hosts nobody configured reach it only a few per minute
(`pullcheck.proxy.trust.UntrustedWrites`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pullcheck.models import Draft, Verdict

if TYPE_CHECKING:
    from pullcheck.config_schema import Config

DEFAULT_FILE_NAME = "audit.jsonl"
DEFAULT_MAX_BYTES = 10 * 1000 * 1000
# Far beyond any site's post limit (X's long posts: 25,000), and a bound on one line.
MAX_TEXT = 30_000
MAX_RECIPIENTS = 100


class AuditLog:
    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max(4096, max_bytes)
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Config, data_dir: Path) -> AuditLog | None:
        """The audit log the config asks for, or None when it is off (the default)."""
        if not config.audit_log.enabled:
            return None
        return cls(
            config.audit_log.path or data_dir / DEFAULT_FILE_NAME,
            int(config.audit_log.max_mb * 1000 * 1000),
        )

    @property
    def previous(self) -> Path:
        """Where the file goes when it is full."""
        return self.path.with_name(self.path.name + ".1")

    def write(
        self,
        draft: Draft,
        verdict: Verdict,
        *,
        origin: str = "",
        held: bool = False,
        when: float | None = None,
    ) -> None:
        text = draft.text if draft.text_available else None
        truncated = text is not None and len(text) > MAX_TEXT
        entry = {
            "time": round(time.time() if when is None else when, 3),
            "platform": draft.platform,
            "kind": draft.kind,
            "origin": origin,
            "text": text[:MAX_TEXT] if truncated and text is not None else text,
            "reply_to": draft.reply_to.id if draft.reply_to else None,
            "recipients": draft.recipients[:MAX_RECIPIENTS],
            "level": verdict.level,
            "score": verdict.score,
            "rules": [finding.code for finding in verdict.findings],
            "held": held,
        }
        if truncated:
            entry["truncated"] = True
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_APPEND keeps concurrent writers' lines whole; 0600 because this file holds text.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_size + len(line) > self.max_bytes:
                    os.close(fd)
                    fd = -1
                    os.replace(self.path, self.previous)
                    fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                os.write(fd, line)
            finally:
                if fd >= 0:
                    os.close(fd)
