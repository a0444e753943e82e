"""A config as layers, last wins: the user's file < each file it names under `include:` (in
order, recursively) < the "Not push" allowlist the banner writes (`notpush_file`, whose handles
and domains are added to `allow`). Mappings merge key by key; a list or a value in a later layer
replaces the earlier one whole. Relative paths in a file are relative to that file's folder.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from pullcheck.config_errors import ConfigError, reading_problems
from pullcheck.config_schema import Allowlist, Config
from pullcheck.located_yaml import (
    KeyPath,
    LocatedData,
    Location,
    YamlProblem,
    merge_layer,
    read_located_yaml,
)

# Keys whose values are paths, resolved against the folder of the file that writes them.
_PATH_KEYS: tuple[KeyPath, ...] = (("notpush_file",), ("audit_log", "path"))
_PATH_LIST_KEYS: tuple[KeyPath, ...] = (("rule_folders",), ("include",))


def with_notpush(config: Config, sources: list[Path]) -> Config:
    """The last layer: handles and domains the user marked "Not push" in the banner. The file
    is watched even before it exists, so the first "Not push" click is picked up."""
    notpush = config.notpush_path()
    if notpush.exists():
        extra = read_notpush(notpush)
        config.allow = Allowlist(
            handles=_unique([*config.allow.handles, *extra.handles]),
            domains=_unique([*config.allow.domains, *extra.domains]),
        )
    config._sources = [*sources, notpush]
    return config


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def read_layers(path: Path, seen: tuple[Path, ...]) -> tuple[LocatedData, list[Path]]:
    """This file, then every file it includes over it (recursively), as one located layer."""
    resolved = path.resolve()
    refused = not_a_regular_file(path)
    if refused:
        raise ConfigError([(path, None, None, refused, None)])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError([(path, None, None, f"not UTF-8 text ({error.reason})", None)]) from None
    except OSError as error:
        raise ConfigError([(path, None, None, f"cannot read: {error.strerror}", None)]) from None
    try:
        layer = read_located_yaml(text, path)
    except YamlProblem as problem:
        raise ConfigError([(problem.file, problem.line, None, problem.message, None)]) from None
    if isinstance(layer.data, dict):
        _resolve_paths(layer, path.parent)
    located = LocatedData(data={})
    located = merge_layer(located, layer)
    sources = [path]
    includes = layer.data.get("include") if isinstance(layer.data, dict) else None
    if isinstance(includes, list):
        for index, include in enumerate(includes):
            where = layer.where.get(("include", index), Location(path, 1))
            if not isinstance(include, Path):
                continue  # pydantic reports the wrong type with its line
            if include.resolve() in (*seen, resolved):
                raise ConfigError(
                    [
                        (
                            where.file,
                            where.line,
                            f"include[{index}]",
                            f"'{include}' includes itself (a loop)",
                            None,
                        )
                    ]
                )
            if not include.exists():
                raise ConfigError(
                    [
                        (
                            where.file,
                            where.line,
                            f"include[{index}]",
                            f"no such file: {include}",
                            None,
                        )
                    ]
                )
            refused = not_a_regular_file(include)
            if refused:
                raise ConfigError([(where.file, where.line, f"include[{index}]", refused, None)])
            included, included_sources = read_layers(include, (*seen, resolved))
            if included.data is not None and not isinstance(included.data, dict):
                raise ConfigError(
                    [(include, 1, None, "a config file is a mapping of 'key: value' lines", None)]
                )
            located = merge_layer(located, included)
            sources.extend(included_sources)
    return located, sources


def not_a_regular_file(path: Path) -> str | None:
    """Why `path` must not be read as a config file, or None for a regular file (or one that is
    missing: the caller says so). Opening a FIFO blocks until something writes to it and a
    device can stream forever: either would hang the reload thread without a word."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    kind = (
        "a folder"
        if stat.S_ISDIR(mode)
        else "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    return f"'{path}' is {kind}, not a regular file; not read"


def _resolve_paths(layer: LocatedData, folder: Path) -> None:
    data = layer.data

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value:
            candidate = Path(value).expanduser()
            return candidate if candidate.is_absolute() else folder / candidate
        return value

    for key in _PATH_KEYS:
        holder = data
        for part in key[:-1]:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and key[-1] in holder:
            holder[key[-1]] = resolve(holder[key[-1]])
    for key in _PATH_LIST_KEYS:
        values = data.get(key[0])
        if isinstance(values, list):
            data[key[0]] = [resolve(value) for value in values]


# --- the "Not push" allowlist the banner writes ---------------------------------------------


class _NotPushEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str | None = None
    recipient: str | None = None
    handle: str | None = None
    domain: str | None = None
    reason: str | None = None


def read_notpush(path: Path) -> Allowlist:
    """The handles and domains the user marked "Not push" in the banner.

    Accepts `{handles: [...], domains: [...]}` or a list of entries
    `{code, recipient|handle, domain, reason}` (optionally under `entries:`).
    """
    try:
        located = read_located_yaml(path.read_text(encoding="utf-8"), path)
    except YamlProblem as problem:
        raise ConfigError([(problem.file, problem.line, None, problem.message, None)]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([(path, None, None, f"cannot read: {error}", None)]) from None
    if located.problems:
        raise ConfigError(reading_problems(located))
    data = located.data
    handles: list[str] = []
    domains: list[str] = []
    entries: Any = data
    if isinstance(data, dict):
        handles.extend(str(item) for item in data.get("handles") or [])
        domains.extend(str(item) for item in data.get("domains") or [])
        entries = data.get("entries") or []
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise ConfigError([(path, 1, None, "expected a list of 'Not push' entries", None)])
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            where = located.where.get((index,)) or located.where.get(("entries", index))
            raise ConfigError(
                [
                    (
                        path,
                        where.line if where else None,
                        f"[{index}]",
                        "each entry is a mapping with recipient or domain",
                        None,
                    )
                ]
            )
        item = _NotPushEntry.model_validate(entry)
        if item.recipient or item.handle:
            handles.append(str(item.recipient or item.handle))
        if item.domain:
            domains.append(item.domain)
    try:
        return Allowlist(handles=handles, domains=domains)
    except ValidationError as error:
        raise ConfigError([(path, None, None, error.errors()[0]["msg"], None)]) from None
