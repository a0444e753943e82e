"""A rule pack kept on disk between processes, so a one-off command does not build it again.

Building the shipped pack (reading and validating every rule and phrase file, indexing the
phrases) took about 85 ms of `pullcheck check "hello"`'s start (issue 13); reading it back from
a pickle takes about 20 ms. A stored pack must never be served stale or broken:

- an entry is found by a key that the caller derives from everything the pack was built from
  (the bytes of its files, and the source of the code whose objects it holds), so an edit of
  any of them names another entry;
- the file starts with its key, and its pickle is read only when that key matches (a pickle of
  other code is never loaded); one that does not read back (cut short, corrupt) is ignored and
  written again;
- it is written to a temporary file and renamed into place, so a reader sees a whole entry or
  none, and it is private to the user (0600, in a 0700 folder);
- a pack holds rules and phrase groups, never draft text;
- unpickling runs what the file says, so an entry is read only from a file and folder owned by
  the user and writable by no one else.

Storing is best effort: a folder that cannot be written costs the next start the build, nothing
else. Only one entry per name is kept: a new key replaces the old one.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

# The first line of an entry; bumped when the layout of an entry changes.
FORMAT = b"pullcheck-pack-store 1"


def load(folder: Path, name: str, key: str) -> Any | None:
    """The object stored under `name` with this `key`, else None (missing, another key, or a
    file that does not read back)."""
    try:
        with open(folder / f"{name}.pickle", "rb") as file:
            if not (_private(os.fstat(file.fileno())) and _private(folder.stat())):
                return None
            if file.readline(200) != _header(key):
                return None
            return pickle.load(file)
    except Exception:  # any damaged file means "not stored"
        return None


def _private(status: os.stat_result) -> bool:
    """Owned by this user and writable by no one else: unpickling runs what the file says, so a
    file another user could have written (a cache folder in a shared place) is not read."""
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def _header(key: str) -> bytes:
    return FORMAT + b" " + key.encode("ascii", "replace") + b"\n"


def save(folder: Path, name: str, key: str, value: Any) -> bool:
    """Store `value` under `name` and `key`, replacing what was there; False when the folder
    cannot be written (the caller goes on without)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir's mode applies only to a folder it makes (and is masked by the umask).
        if folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)  # mode 0600
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(_header(key))
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, folder / f"{name}.pickle")
    except Exception:  # a full disk, or an object that does not pickle: go on without
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True
