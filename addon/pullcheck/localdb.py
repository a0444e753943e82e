"""The local SQLite files pullcheck keeps in its data folder (sent log, stats, opportunities).

Opened the same way everywhere: created readable by the user only (they describe who the user
writes to), in a folder only the user can enter (0700, tightened at open when it was wider),
autocommit with WAL so the CLI can read while the proxy writes, and no fsync per write (losing
the last second in a power cut is fine; an fsync per draft is not).

A bad data folder must never stop the proxy (the browser would have nothing to talk to):

- a file that is not a database, or a corrupt one, is moved aside as `NAME.corrupt-TIMESTAMP`
  (with its `-wal`/`-shm` companions), said once in a warning naming the file, and created anew;
- a folder that cannot be written (read-only, a path through a file, a full disk at open) gives an
  in-memory store instead, with a warning: pullcheck works until the proxy stops, then forgets.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Protocol

logger = logging.getLogger("pullcheck")

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
IN_MEMORY = ":memory:"
# SQLite's names for "this is not (or no longer) a database file".
_CORRUPT = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT"})
_CORRUPT_WORDS = ("file is not a database", "malformed", "corrupt")


def make_private_folder(folder: Path) -> None:
    """Create `folder` (0700), or tighten it to 0700 when it exists with a wider mode.

    Only a folder the user owns is tightened (never someone else's, such as a shared parent)."""
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    tighten(folder, PRIVATE_FOLDER)


def tighten(path: Path, mode: int) -> None:
    """Remove group and other bits from a file or folder the user owns; quiet when it cannot."""
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & ~mode:
            path.chmod(stat.S_IMODE(info.st_mode) & mode)
    except OSError:
        pass  # read-only file system, or gone: the open that follows says what matters


def is_corrupt(error: sqlite3.DatabaseError) -> bool:
    if getattr(error, "sqlite_errorname", "") in _CORRUPT:
        return True
    message = str(error).lower()
    return not isinstance(error, sqlite3.OperationalError) and any(
        word in message for word in _CORRUPT_WORDS
    )


def open_private_db(path: Path, schema: str = "") -> sqlite3.Connection:
    """The database at `path` with `schema` applied: moved aside and recreated when corrupt,
    in memory when the folder cannot be written. Never raises for a bad file or folder."""
    try:
        return _open_file(path, schema)
    except sqlite3.DatabaseError as error:
        if not is_corrupt(error):
            return _in_memory(path, schema, error)
        moved = _move_aside(path)
        logger.warning(
            "pullcheck: %s is not a readable database (%s); moved it to %s and started a new one",
            path,
            error,
            moved.name if moved else "nowhere (it could not be moved)",
        )
        if moved is None:
            return _in_memory(path, schema, error)
        try:
            return _open_file(path, schema)
        except (sqlite3.Error, OSError) as again:
            return _in_memory(path, schema, again)
    except OSError as error:
        return _in_memory(path, schema, error)


class SqliteStore(Protocol):
    """What every SQLite-backed store offers (sent log, stats, opportunities)."""

    @property
    def path(self) -> Path: ...

    @property
    def in_memory(self) -> bool: ...

    def close(self) -> None: ...


def is_in_memory(db: sqlite3.Connection) -> bool:
    row = db.execute("PRAGMA database_list").fetchone()
    return not row or not row[2]


def _open_file(path: Path, schema: str) -> sqlite3.Connection:
    make_private_folder(path.parent)
    if not path.exists():
        # Create it private before SQLite opens it with the umask's permissions.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
    else:
        tighten(path, PRIVATE_FILE)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        _prepare(db, schema)
    except BaseException:
        db.close()
        raise
    return db


def _prepare(db: sqlite3.Connection, schema: str) -> None:
    # The first statements read the header: a file that is not a database fails here.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=2000")
    if schema:
        db.executescript(schema)


def _in_memory(path: Path, schema: str, error: BaseException) -> sqlite3.Connection:
    logger.warning(
        "pullcheck: cannot keep %s on disk (%s); keeping it in memory until the proxy stops",
        path,
        error,
    )
    db = sqlite3.connect(IN_MEMORY, check_same_thread=False, isolation_level=None)
    _prepare(db, schema)
    return db


def _move_aside(path: Path) -> Path | None:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    serial = 1
    while target.exists():
        serial += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{serial}")
    try:
        path.replace(target)
    except OSError:
        return None
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        # none, or not movable: SQLite ignores a WAL without its database
        with contextlib.suppress(OSError):
            companion.replace(target.with_name(target.name + suffix))
    return target


def drop_freed_pages(db: sqlite3.Connection) -> None:
    """After a wipe: fold the write-ahead log into the file and rebuild it without the freed
    pages, so deleted rows do not linger on disk."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
