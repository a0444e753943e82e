"""The modules that run compiled, and the guard that never lets an out-of-date copy run.

`setup.py` compiles `COMPILED_MODULES` with mypyc when pullcheck is installed: the same Python
source, run as C (the phrase search ~1.6x as fast, see docs/benchmarks.md). A compiled module
sits beside its source as `NAME.<abi>.so` with its runtime `NAME__mypyc.<abi>.so`, and Python
imports it before the source. In an editable checkout that is a trap: after an edit or a `git
pull`, the compiled copy would go on running the old code until the next `pip install -e .`.
`prefer_current_source` (run by `pullcheck/__init__.py` before any module is imported) loads
the source instead whenever a compiled copy is older than its source or incomplete, and says so
in the log once. A wheel installs the source and its compiled copy together (within a second or
two of each other, whichever comes first); `STALE_AFTER` keeps that from counting as an edit.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

COMPILED_MODULES = ("phrase_matcher",)
# A source newer than its compiled copy by more than this was edited after the build.
STALE_AFTER = 10.0

log = logging.getLogger(__name__)


def compiled_copy(folder: Path, name: str) -> Path | None:
    """The compiled copy of module `name` in `folder`, if there is one."""
    for suffix in EXTENSION_SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def out_of_date(folder: Path, name: str) -> str | None:
    """Why the compiled copy of `name` in `folder` must not run (None: it may, or there is
    none)."""
    binary = compiled_copy(folder, name)
    source = folder / f"{name}.py"
    if binary is None or not source.is_file():
        return None
    if compiled_copy(folder, f"{name}__mypyc") is None:
        return f"{binary.name} is there without its runtime {name}__mypyc"
    if source.stat().st_mtime > binary.stat().st_mtime + STALE_AFTER:
        return f"{source.name} changed after {binary.name} was built"
    return None


def prefer_current_source(package: str, folder: Path) -> list[str]:
    """Load the source of every compiled module of `package` (in `folder`) whose compiled copy
    is out of date, so that importing the module finds the source; the names loaded."""
    loaded: list[str] = []
    for name in COMPILED_MODULES:
        why = out_of_date(folder, name)
        if why is None:
            continue
        _load_source(f"{package}.{name}", folder / f"{name}.py")
        log.warning(
            "pullcheck: %s; running the source, slower, until pullcheck is installed again "
            "(pip install -e .)",
            why,
        )
        loaded.append(name)
    return loaded


def _load_source(qualified: str, source: Path) -> None:
    spec = importlib.util.spec_from_file_location(qualified, source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[qualified]
        raise
