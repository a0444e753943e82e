"""The user's configuration: one YAML file (plus the files it includes) over built-in defaults.

`load_config` reads the layers (`pullcheck.config_layers`), validates them against the schema
(`pullcheck.config_schema`), reports every mistake at once with its file, line and key
(`pullcheck.config_errors`), and checks rule codes and parameters against the rule pack it loads
(built-in rules + `rule_folders`, through `pullcheck.pack_cache`), keeping that pack on the
Config so `pullcheck.engine_factory.build_engine` does not load it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pullcheck.config_errors import (
    ConfigError,
    Problem,
    ProblemRow,
    closest,
    located_rows,
    reading_order,
    reading_problems,
    validation_problems,
)
from pullcheck.config_layers import read_layers, with_notpush
from pullcheck.config_schema import SITE_NAMES, Config, RuleOverride
from pullcheck.located_yaml import LocatedData
from pullcheck.pack_cache import load_pack, pack_rules
from pullcheck.places import default_config_path
from pullcheck.rulebook import RulePack

__all__ = ["Config", "ConfigError", "load_config"]


def load_config(
    path: Path | str | None = None,
    *,
    missing_ok: bool | None = None,
    data_folder: Path | None = None,
) -> Config:
    """Read, layer and validate a config file. Raises ConfigError naming file, line and key.

    `path=None` reads default_config_path(), and a missing default file gives the defaults.
    An explicit path must exist unless `missing_ok=True`. `data_folder`: where the "Not push"
    list lives unless the config names a file (default: `data_dir()`).
    """
    if path is None:
        path = default_config_path()
        missing_ok = True if missing_ok is None else missing_ok
    path = Path(path).expanduser()
    if not path.exists():
        if missing_ok:
            defaults = Config()
            defaults._pack = load_pack([], LocatedData(data={}), path)
            defaults._data_folder = data_folder
            return with_notpush(defaults, [path])
        raise ConfigError([(path, None, None, "no such config file", None)])

    located, sources = read_layers(path, seen=())
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(
            [(path, 1, None, "a config file is a mapping of 'key: value' lines", None)]
        )
    # Every problem in the file is reported at once: the type errors pydantic finds, then the
    # names it cannot know (sites, rule codes, rule parameters) checked on what was written, so
    # a second mistake does not surface only after the first is fixed.
    problems: list[Problem] = []
    config: Config | None = None
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        problems += validation_problems(error)
    sites = config.sites if config is not None else data.get("sites")
    problems += _check_sites(sites if isinstance(sites, dict) else {})
    rows: list[ProblemRow] = []
    folders = _rule_folders(config, data)
    pack = None
    if folders is not None:
        try:
            pack = load_pack(folders, located, path)
        except ConfigError as error:
            rows += error.problems
    if pack is not None:
        overrides = config.rules if config is not None else data.get("rules")
        rule_problems, renamed = _check_rules(
            overrides if isinstance(overrides, dict) else {}, pack
        )
        problems += rule_problems
        if config is not None:
            # Codes given by slug are stored under their code: the engine sees one name a rule.
            config.rules = renamed
    problems = _without_noise_inside_unknown_names(problems)
    rows += reading_problems(located)
    if problems or rows:
        raise ConfigError(
            sorted([*rows, *located_rows(problems, located, path)], key=reading_order)
        )
    assert config is not None  # no problems: pydantic accepted the file
    config._pack = pack
    config._data_folder = data_folder
    return with_notpush(config, sources)


def _rule_folders(config: Config | None, data: dict[str, Any]) -> list[Path] | None:
    """The extra rule folders, from the valid config or, when pydantic refused something
    else, from the file's own `rule_folders` (None when that key itself is invalid)."""
    if config is not None:
        return config.rule_folders
    try:
        return Config.model_validate({"rule_folders": data.get("rule_folders", [])}).rule_folders
    except ValidationError:
        return None


def _without_noise_inside_unknown_names(problems: list[Problem]) -> list[Problem]:
    """`sites.mastadon: {hosts: 3}`: the unknown site name is the problem; what its settings
    would have been wrong about is noise until the name is fixed."""
    unknown = [problem.path for problem in problems if problem.unknown_name]
    return [
        problem
        for problem in problems
        if problem.unknown_name
        or not any(
            len(problem.path) >= len(path) and problem.path[: len(path)] == path for path in unknown
        )
    ]


def _check_sites(sites: dict[str, Any]) -> Iterable[Problem]:
    for name in sites:
        if name not in SITE_NAMES:
            yield Problem(
                ("sites", name),
                f"unknown site '{name}' (sites: {', '.join(SITE_NAMES)})",
                closest(name, SITE_NAMES),
                unknown_name=True,
            )


def _check_rules(
    overrides: dict[str, Any], pack: RulePack
) -> tuple[list[Problem], dict[str, RuleOverride]]:
    """Unknown rule codes and parameters, and the overrides by code (a rule may be named by
    its slug). `overrides` holds RuleOverrides, or what the file wrote when pydantic refused
    something; an entry pydantic refused is left to its report."""
    rules = pack_rules(pack)
    by_name = {rule.name: code for code, rule in rules.items()}
    problems: list[Problem] = []
    renamed: dict[str, RuleOverride] = {}
    for key, value in overrides.items():
        code = key.upper() if key.upper() in rules else by_name.get(key)
        gone = pack.retired_rule(key) if code is None else None
        if gone is not None:
            override = value if isinstance(value, RuleOverride) else _valid_override(value)
            # Switching a removed rule off asks for what already is; anything else cannot be.
            if override is None or override.enabled is not False:
                problems.append(
                    Problem(("rules", key), f"{gone.explanation()}; it cannot be turned on")
                )
            continue
        if code is None:
            hint = closest(key, [*rules, *by_name])
            problems.append(
                Problem(("rules", key), f"unknown rule code '{key}'", hint, unknown_name=True)
            )
            continue
        override = value if isinstance(value, RuleOverride) else _valid_override(value)
        if override is None:
            continue
        renamed[code] = override
        defaults: dict[str, Any] = dict(rules[code].params)
        for param, param_value in override.params.items():
            if param not in defaults:
                known = ", ".join(sorted(defaults)) or "none"
                problems.append(
                    Problem(
                        ("rules", key, "params", param),
                        f"rule {code} has no parameter '{param}' (its parameters: {known})",
                        closest(param, defaults),
                    )
                )
                continue
            problem = _param_type_problem(defaults[param], param_value)
            if problem:
                problems.append(Problem(("rules", key, "params", param), problem))
    return problems, renamed


def _valid_override(value: Any) -> RuleOverride | None:
    try:
        return RuleOverride.model_validate(value)
    except ValidationError:
        return None


def _param_type_problem(default: Any, value: Any) -> str | None:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        wanted = "true or false"
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        wanted = "a whole number"
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        wanted = "a number"
    elif isinstance(default, str):
        ok = isinstance(value, str)
        wanted = "text"
    elif isinstance(default, list):
        ok = isinstance(value, list)
        wanted = "a list"
    else:
        return None
    if ok and isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return f"must not be negative (got {value})"
    return None if ok else f"must be {wanted} (got {value!r})"
