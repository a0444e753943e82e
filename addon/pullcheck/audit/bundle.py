"""An export as a set of named files: a zip, or the folder it was unpacked into.

Sites wrap their exports differently (a zip with `data/` at the top, or one folder deeper when
a user re-zips the unpacked folder), so files are found by the end of their path.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from pullcheck.audit.items import ArchiveError


class Bundle:
    """Read-only access to the files of a zip or a folder, by relative path with `/`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        if path.is_dir():
            self._names = sorted(
                p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()
            )
        else:
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, EOFError) as error:
                raise ArchiveError(f"{path}: not a readable zip file ({error})") from error
            self._names = sorted(
                info.filename for info in self._zip.infolist() if not info.is_dir()
            )

    def names(self) -> list[str]:
        return list(self._names)

    def find(self, *endings: str) -> list[str]:
        """Names that are one of `endings` or end with `/` + one of them, shortest first."""
        found = [
            name
            for name in self._names
            if any(name == end or name.endswith("/" + end) for end in endings)
        ]
        return sorted(found, key=lambda name: (name.count("/"), name))

    def read(self, name: str) -> bytes:
        where = f"{self.path}:{name}" if self._zip else str(self.path / name)
        try:
            if self._zip is not None:
                return self._zip.read(name)
            return (self.path / name).read_bytes()
        except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
            # A zip cut short often lists its files but fails when one is inflated.
            raise ArchiveError(
                f"{where}: cannot be read, the archive looks truncated or damaged ({error})"
            ) from error

    def describe(self, name: str) -> str:
        return f"{self.path}:{name}" if self._zip else str(self.path / name)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
