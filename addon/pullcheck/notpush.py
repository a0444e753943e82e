"""The "Not push" file: handles and domains the user marked "Not push" in the banner.

The banner's `notpush` endpoint appends one entry per click to a YAML list (`notpush.yaml` in the
data folder, or the config's `notpush_file`) that the config reads as an allowlist. Any script on
a watched page can call that endpoint with the page's token, so the file is guarded like a store:

- bounded: at most `MAX_ENTRIES` entries (a full list refuses with `NotPushFull`, whose message
  says to edit the file); an entry already there is not written again;
- rate-limited: `RATE_PER_MINUTE` new entries per page origin a minute (the endpoint's
  `pullcheck.proxy.notpush_endpoint.rate_limit`);
- private: the file is created 0600 (and tightened to it when it was wider), a folder it creates
  0700; it names the people the user writes to;
- written off the event loop (the endpoint runs `append_notpush` in a thread), so a slow disk or a
  long file never stalls other traffic.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import yaml

from pullcheck.localdb import PRIVATE_FILE, PRIVATE_FOLDER, tighten

MAX_ENTRIES = 500
RATE_PER_MINUTE = 5
HEADER = "# 'Not push' choices from the banner: pullcheck allows these.\n"
_KEYS = ("code", "recipient", "domain")
_lock = threading.Lock()


class NotPushFull(ValueError):
    """The list holds `MAX_ENTRIES` entries already."""


def append_notpush(path: Path, entry: dict[str, str], max_entries: int = MAX_ENTRIES) -> bool:
    """Add one entry to the "Not push" file; False when the same entry is already there.

    A list file is appended to (its comments survive); a mapping file gets the entry under
    `entries:` and is rewritten through a temporary file, so a crash never leaves half a file.
    Raises `NotPushFull` at `max_entries`, ValueError for a file that is neither, OSError and
    yaml.YAMLError as they come."""
    with _lock:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
        existing: Any = None
        if path.exists():
            tighten(path, PRIVATE_FILE)
            existing = yaml.safe_load(path.read_text(encoding="utf-8"))
        if existing is not None and not isinstance(existing, dict | list):
            raise ValueError(f"{path}: not a list of 'Not push' entries")
        entries = list(
            (existing.get("entries") or []) if isinstance(existing, dict) else existing or []
        )
        if any(_same(entry, old) for old in entries):
            return False
        if len(entries) >= max_entries:
            raise NotPushFull(
                f"the 'Not push' list is full ({max_entries} entries); edit or trim {path} "
                "to add more"
            )
        if isinstance(existing, dict):
            existing["entries"] = [*entries, entry]
            temporary = path.with_suffix(path.suffix + ".tmp")
            _write_private(
                temporary,
                yaml.safe_dump(existing, sort_keys=False, allow_unicode=True),
                append=False,
            )
            temporary.replace(path)
            return True
        text = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True)
        fresh = not path.exists() or path.stat().st_size == 0
        _write_private(path, (HEADER if fresh else "") + text, append=True)
        return True


def _same(entry: dict[str, str], old: Any) -> bool:
    if not isinstance(old, dict):
        return False
    return all(str(old.get(key) or "").lower() == (entry.get(key) or "").lower() for key in _KEYS)


def _write_private(path: Path, text: str, append: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
