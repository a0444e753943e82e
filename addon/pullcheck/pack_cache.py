"""The process-wide cache of rule packs a config was checked against.

Loading a pack compiles every phrase group and runs the examples of your own rules (about half a
second); a config edit that leaves the rule files alone reuses the pack already loaded, keyed by
the folders and the stamp of every YAML file in them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from pullcheck.config_errors import Problem, problems_error
from pullcheck.config_schema import Config
from pullcheck.example_check import load_checked_pack
from pullcheck.located_yaml import KeyPath, LocatedData
from pullcheck.rulebook import RulePack, RulePackError, builtin_rules_dir


def load_pack(rule_folders: list[Path], located: LocatedData, main: Path) -> RulePack:
    """The built-in rules plus `rule_folders`, your own rules' examples checked; a missing folder
    or a pack that does not load is a `ConfigError` placed at `rule_folders` in `main`."""
    for index, folder in enumerate(rule_folders):
        if not folder.is_dir():
            raise problems_error(
                [Problem(("rule_folders", index), f"no such folder: {folder}")], located, main
            )
    folders = [Path(builtin_rules_dir()), *rule_folders]
    key = _pack_key(folders)
    cached = _PACKS.get(key)
    if cached is not None:
        return cached
    try:
        pack = load_checked_pack(folders)
    except RulePackError as error:
        path: KeyPath = ("rule_folders",) if rule_folders else ()
        raise problems_error(
            [Problem(path, f"the rule pack does not load: {error}")], located, main
        ) from None
    with _PACKS_LOCK:
        if len(_PACKS) >= _PACK_CACHE_SIZE:
            _PACKS.pop(next(iter(_PACKS)))
        _PACKS[key] = pack
    return pack


_PACK_CACHE_SIZE = 4
_PACKS: dict[tuple[Any, ...], RulePack] = {}
_PACKS_LOCK = threading.Lock()


def _pack_key(folders: list[Path]) -> tuple[Any, ...]:
    """Identifies a pack by its folders and the stamp of every YAML file in them."""
    key: list[Any] = []
    for folder in folders:
        files = []
        for file in sorted(folder.rglob("*.yaml")):
            stat = file.stat()
            files.append((str(file), stat.st_mtime_ns, stat.st_size))
        key.append((str(folder.resolve()), tuple(files)))
    return tuple(key)


def pack_rules(pack: Any) -> dict[str, Any]:
    """The pack's rules by code, whatever container the rulebook keeps them in."""
    rules = pack.rules
    if isinstance(rules, dict):
        return dict(rules)
    return {rule.code: rule for rule in rules}


def rule_pack(config: Config) -> RulePack:
    """The pack the config was checked against (loaded now if the config was built by hand)."""
    if config._pack is None:
        config._pack = load_pack(config.rule_folders, LocatedData(data={}), Path("<config>"))
    return config._pack
