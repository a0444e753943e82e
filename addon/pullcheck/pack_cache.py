"""The rule pack a config is checked against, loaded once per set of rule files.

Loading a pack reads every rule and phrase file and runs the examples of your own rules; the
rulebook's memo (`pullcheck.pack_memo`, keyed by the files' bytes, not their times) and the example
check's cache make a config edit that leaves the rule files alone get the same pack back.
"""

from __future__ import annotations

from pathlib import Path

from pullcheck.config_errors import Problem, problems_error
from pullcheck.config_schema import Config
from pullcheck.example_check import load_checked_pack
from pullcheck.located_yaml import KeyPath, LocatedData
from pullcheck.rulebook import Rule, RulePack, RulePackError, builtin_rules_dir


def load_pack(rule_folders: list[Path], located: LocatedData, main: Path) -> RulePack:
    """The built-in rules plus `rule_folders`, your own rules' examples checked; a missing folder
    or a pack that does not load is a `ConfigError` placed at `rule_folders` in `main`."""
    for index, folder in enumerate(rule_folders):
        if not folder.is_dir():
            raise problems_error(
                [Problem(("rule_folders", index), f"no such folder: {folder}")], located, main
            )
    folders = [Path(builtin_rules_dir()), *rule_folders]
    # The rulebook keeps the packs it loaded by the bytes of their files (`pullcheck.pack_memo`)
    # and the example check the packs it passed: a config edit that leaves the rule files alone
    # gets the same pack back, and a rule-file edit reloads only what it touched.
    try:
        return load_checked_pack(folders)
    except RulePackError as error:
        path: KeyPath = ("rule_folders",) if rule_folders else ()
        raise problems_error(
            [Problem(path, f"the rule pack does not load: {error}")], located, main
        ) from None


def pack_rules(pack: RulePack) -> dict[str, Rule]:
    """The pack's rules by code."""
    return {rule.code: rule for rule in pack.rules}


def rule_pack(config: Config) -> RulePack:
    """The pack the config was checked against (loaded now if the config was built by hand)."""
    if config._pack is None:
        config._pack = load_pack(config.rule_folders, LocatedData(data={}), Path("<config>"))
    return config._pack
