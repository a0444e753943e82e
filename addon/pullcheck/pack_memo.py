"""Rule packs, and their parts, loaded earlier in this process, found again by their files' bytes.

A config edit loads the config again, and an edit of one rule file loads the pack again; neither
should compile every phrase group anew (1.7 s at the start of issue 13). Each part (the whole
pack, the phrasebook, one rule) is kept under a digest of the files it was built from:

- the digest covers the bytes and names of the files, not their modification times, so an edit
  within one tick of a coarse clock cannot bring back a stale part;
- it is taken before and after the part is built, and a file that changed meanwhile leaves the
  part unremembered (the next load builds it again from what is then on disk);
- a failed build (a broken rule file) raises and leaves nothing behind;
- each memo holds a few entries and drops the least recently used, so a long session of edits
  does not grow it.

Nothing here is written to disk: a new process loads the pack from its files.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

Part = TypeVar("Part")


def files_digest(files: Iterable[Path]) -> str:
    """A digest of the names and bytes of `files` (a missing or unreadable file counts as such,
    so its appearing later changes the digest)."""
    hasher = hashlib.sha256()
    for file in files:
        hasher.update(str(file).encode("utf-8", "surrogateescape") + b"\0")
        try:
            content = file.read_bytes()
        except OSError:
            hasher.update(b"\0unreadable\0")
            continue
        hasher.update(len(content).to_bytes(8, "big"))
        hasher.update(content)
    return hasher.hexdigest()


class PartMemo(Generic[Part]):
    """Parts built from files, by a key and the digest of those files; thread-safe."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._parts: OrderedDict[tuple[Hashable, str], Part] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, files: list[Path], build: Callable[[], Part]) -> Part:
        """The part built earlier from the same key and file contents, else `build()`'s.

        `files` must be every file `build` reads: a file left out could change unseen."""
        before = files_digest(files)
        with self._lock:
            found = self._parts.get((key, before))
            if found is not None:
                self._parts.move_to_end((key, before))
                return found
        # Built outside the lock: a slow build must not hold up another thread's lookup. Two
        # threads may build the same part at once; both results are equal and the last is kept.
        part = build()
        if files_digest(files) != before:
            return part
        with self._lock:
            self._parts[(key, before)] = part
            self._parts.move_to_end((key, before))
            while len(self._parts) > self._size:
                self._parts.popitem(last=False)
        return part

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._parts)
