"""Reload the config when its files change; a bad edit keeps the last good config and engine.

The proxy calls `poll()` periodically (say every second, from its event loop or a thread). A poll
costs one `stat` per watched file; only when a stamp (mtime, size) moved are the files read and
hashed, and only when the bytes really changed is the config loaded again, so a `touch` or an
editor's save-without-change does nothing. A failing edit is reported once through `on_error`
(not on every poll) and the previous config and engine stay in service until a good edit lands.

Watched: the config file, every file it includes, the "Not push" allowlist, and the YAML files in
its extra rule folders.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pullcheck.config import Config, ConfigError, load_config
from pullcheck.config_layers import not_a_regular_file
from pullcheck.config_summary import reload_summary
from pullcheck.engine_factory import build_engine
from pullcheck.history import InMemorySentHistory, SentHistory

log = logging.getLogger(__name__)

Stamp = tuple[tuple[str, int, int] | tuple[str, None, None], ...]


class ConfigWatcher:
    """Holds the current good config and its engine; `poll()` swaps both on a good edit.

    `on_change(config, engine)` runs after a good edit is applied; `on_error(error)` runs once
    per bad edit (a ConfigError naming file, line and key). Both run on the polling thread,
    outside the watcher's lock. The first load happens in the constructor and raises
    ConfigError when the file is invalid: there is no last good config yet to fall back on.
    """

    def __init__(
        self,
        path: Path | str,
        on_change: Callable[[Config, Any], None] | None = None,
        on_error: Callable[[ConfigError], None] | None = None,
        history: SentHistory | None = None,
        missing_ok: bool = True,
        data_folder: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self._data_folder = data_folder
        self._on_change = on_change
        self._on_error = on_error
        self._history: SentHistory = history if history is not None else InMemorySentHistory()
        self._missing_ok = missing_ok
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()
        config = load_config(self.path, missing_ok=missing_ok, data_folder=data_folder)
        self._config = config
        self._engine = _ready_engine(config, self._history)
        self._error: ConfigError | None = None
        self._watched = _watched_files(config)
        self._stamp = _stamp(self._watched)
        self._digest = _digest(self._watched)

    @property
    def current(self) -> Config:
        with self._lock:
            return self._config

    @property
    def engine(self) -> Any:
        with self._lock:
            return self._engine

    @property
    def error(self) -> ConfigError | None:
        """The error of the edit now on disk, if it was rejected; None when it is in service."""
        with self._lock:
            return self._error

    def poll(self) -> bool:
        """Look for changes; returns True when a new config and engine were swapped in."""
        # A poll already running in another thread will see the same change.
        if not self._poll_lock.acquire(blocking=False):
            return False
        try:
            return self._poll()
        finally:
            self._poll_lock.release()

    def _poll(self) -> bool:
        stamp = _stamp(self._watched)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        digest = _digest(self._watched)
        if digest == self._digest:
            return False
        self._digest = digest
        try:
            config = load_config(
                self.path, missing_ok=self._missing_ok, data_folder=self._data_folder
            )
            engine = _ready_engine(config, self._history)
        except ConfigError as error:
            self._reject(error)
            return False
        except Exception as error:
            self._reject(ConfigError([(self.path, None, None, f"reload failed: {error!r}", None)]))
            return False
        with self._lock:
            previous = self._config
            self._config = config
            self._engine = engine
            self._error = None
        self._watched = _watched_files(config)
        self._stamp = _stamp(self._watched)
        self._digest = _digest(self._watched)
        # One line per reload, saying what changed, so a good edit is never silent.
        log.info("pullcheck: %s", _summary(previous, config))
        if self._on_change is not None:
            self._on_change(config, engine)
        return True

    def _reject(self, error: ConfigError) -> None:
        with self._lock:
            self._error = error
        # Watch the file the error is in too, so fixing an included file is noticed.
        if error.file is not None and Path(error.file) not in self._watched:
            self._watched = [*self._watched, Path(error.file)]
            self._stamp = _stamp(self._watched)
            self._digest = _digest(self._watched)
        log.warning("pullcheck: config not reloaded, keeping the last good one:\n%s", error)
        if self._on_error is not None:
            self._on_error(error)


def _summary(previous: Config, config: Config) -> str:
    try:
        return reload_summary(previous, config)
    except Exception:
        log.exception("pullcheck: could not describe the config change")
        return "config reloaded"


def _watched_files(config: Config) -> list[Path]:
    files = list(config.sources)
    for folder in config.rule_folders:
        files.extend(sorted(folder.rglob("*.yaml")))
        files.append(folder)  # a file added or removed changes the folder's mtime
    return list(dict.fromkeys(files))


def _stamp(files: list[Path]) -> Stamp:
    stamps: list[Any] = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            stamps.append((str(file), None, None))
            continue
        stamps.append((str(file), stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


def _digest(files: list[Path]) -> str:
    hasher = hashlib.sha256()
    for file in files:
        hasher.update(str(file).encode() + b"\0")
        if file.is_dir():
            hasher.update("\0".join(sorted(p.name for p in file.iterdir())).encode())
            continue
        if not_a_regular_file(file):
            # Never opened: reading a FIFO or a device would block this thread (the loader
            # reports the file as the error it is).
            hasher.update(b"\0not a regular file\0")
            continue
        try:
            hasher.update(file.read_bytes())
        except OSError:
            hasher.update(b"\0missing\0")
    return hasher.hexdigest()


def _ready_engine(config: Config, history: SentHistory) -> Any:
    """The config's engine with every regex compiled (on this thread, before it is swapped in),
    so no draft the proxy judges waits for a compile."""
    engine = build_engine(config, history)
    try:
        engine.pack.phrasebook.compile_all()
    except Exception:
        log.exception("pullcheck: compiling the phrase regexes ahead failed; they compile on use")
    return engine
