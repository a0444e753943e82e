"""The local SQLite files pullcheck keeps in its data folder (sent log, stats, opportunities).

Opened the same way everywhere: created readable by the user only (they describe who the user
writes to), autocommit with WAL so the CLI can read while the proxy writes, and no fsync per
write (losing the last second in a power cut is fine; an fsync per draft is not).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def open_private_db(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Create it private before SQLite opens it with the umask's permissions.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=2000")
    return db


def drop_freed_pages(db: sqlite3.Connection) -> None:
    """After a wipe: fold the write-ahead log into the file and rebuild it without the freed
    pages, so deleted rows do not linger on disk."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
