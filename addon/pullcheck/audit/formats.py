"""Tell which export a path is, by its content rather than its name, and read it."""

from __future__ import annotations

from pathlib import Path

from pullcheck.audit.bluesky_car import looks_like_car, read_car
from pullcheck.audit.bundle import Bundle
from pullcheck.audit.items import Archive, ArchiveError
from pullcheck.audit.linkedin_export import is_linkedin_export, read_linkedin_export
from pullcheck.audit.mastodon_outbox import (
    looks_like_outbox,
    read_outbox_bundle,
    read_outbox_file,
)
from pullcheck.audit.reddit_export import is_reddit_export, read_reddit_export
from pullcheck.audit.x_archive import is_x_archive, read_x_archive

EXPECTED = (
    "an X archive (its zip, or the folder with data/tweets.js), a Mastodon export "
    "(outbox.json, or its zip or folder), a Bluesky repository export (.car), or the "
    "zip or folder of a LinkedIn or Reddit data export"
)


def open_archive(path: Path) -> Archive:
    """Read every item of the export at `path`; ArchiveError (naming the file) if we cannot."""
    if not path.exists():
        raise ArchiveError(f"{path}: no such file or folder")
    if path.is_dir():
        return _open_bundle(Bundle(path))
    try:
        with path.open("rb") as file:
            start = file.read(4096)
    except OSError as error:
        raise ArchiveError(f"{path}: cannot be read ({error})") from error
    if not start:
        raise ArchiveError(f"{path}: the file is empty")
    if start.startswith(b"PK"):
        return _open_bundle(Bundle(path))
    if looks_like_car(start) or path.suffix.lower() == ".car":
        return read_car(path)
    if looks_like_outbox(start) or path.suffix.lower() == ".json":
        return read_outbox_file(path)
    raise ArchiveError(f"{path}: not a format pullcheck can audit; expected {EXPECTED}")


def _open_bundle(bundle: Bundle) -> Archive:
    with bundle:
        if is_x_archive(bundle):
            return read_x_archive(bundle)
        if bundle.find("outbox.json"):
            return read_outbox_bundle(bundle)
        # Both write a messages.csv: told apart by its columns.
        if is_linkedin_export(bundle):
            return read_linkedin_export(bundle)
        if is_reddit_export(bundle):
            return read_reddit_export(bundle)
        cars = [name for name in bundle.names() if name.lower().endswith(".car")]
        if len(cars) == 1 and bundle.path.is_dir():
            return read_car(bundle.path / cars[0])
    raise ArchiveError(f"{bundle.path}: holds no file pullcheck can audit; expected {EXPECTED}")
