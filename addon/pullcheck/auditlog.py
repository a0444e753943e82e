"""The opt-in audit log: every draft the proxy judged on the wire, with its text and verdict.

This is the one place pullcheck writes draft text to disk, and only when the user sets
`audit_log.enabled: true`. One JSON object per line, appended, in a file only the user can read
(mode 0600), so it can be grepped, tailed or loaded into a notebook. Live checks from the banner
are not logged: they fire on every pause in typing and would record half-written drafts.
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
    from pullcheck.config import Config

DEFAULT_FILE_NAME = "audit.jsonl"


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Config, data_dir: Path) -> AuditLog | None:
        """The audit log the config asks for, or None when it is off (the default)."""
        if not config.audit_log.enabled:
            return None
        return cls(config.audit_log.path or data_dir / DEFAULT_FILE_NAME)

    def write(
        self, draft: Draft, verdict: Verdict, *, origin: str = "", held: bool = False,
        when: float | None = None,
    ) -> None:
        entry = {
            "time": round(time.time() if when is None else when, 3),
            "platform": draft.platform,
            "kind": draft.kind,
            "origin": origin,
            "text": draft.text if draft.text_available else None,
            "reply_to": draft.reply_to.id if draft.reply_to else None,
            "recipients": draft.recipients,
            "level": verdict.level,
            "score": verdict.score,
            "rules": [finding.code for finding in verdict.findings],
            "held": held,
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_APPEND keeps concurrent writers' lines whole; 0600 because this file holds text.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
