"""The user's configuration: one YAML file (plus the files it includes) over built-in defaults.

Layers, last wins: the defaults written in the models below < the user's file < each file it
names under `include:` (in order, recursively) < the "Not push" allowlist the banner writes
(`notpush_file`, whose handles and domains are added to `allow`). Mappings merge key by key; a
list or a value in a later layer replaces the earlier one whole.

Every error names the file, the line and the key, and suggests the closest valid key, site name,
rule code or parameter (difflib), because a config that silently ignores a typo is worse than one
that refuses it. Relative paths in a file are relative to that file's folder.

`load_config` checks rule codes and parameters against the rule pack it loads (built-in rules +
`rule_folders`) and keeps that pack on the Config, so `build_engine` does not load it twice.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from pullcheck.config_messages import plain_message
from pullcheck.history import SentHistory
from pullcheck.located_yaml import (
    KeyPath,
    LocatedData,
    Location,
    YamlProblem,
    dotted,
    line_of,
    merge_layer,
    read_located_yaml,
)
from pullcheck.models import Severity

Mode = Literal["off", "warn", "hold"]

# The site adapters' names. Kept here (not imported from pullcheck.sites) so reading a config
# never imports the adapters; tests check the two lists agree.
SITE_NAMES: tuple[str, ...] = ("x", "mastodon", "bluesky", "linkedin", "reddit")

_SEVERITIES: tuple[str, ...] = get_args(Severity)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, value: Any) -> Any:
        # `rules:` with every entry below it commented out reads as null: the user meant "none
        # of my own", i.e. the default, not an error.
        # A list of one may be written as the item alone: `offer: widget repair`.
        if not isinstance(value, dict):
            return value
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            field = cls.model_fields.get(key) if isinstance(key, str) else None
            if (
                field is not None
                and item is None
                and field.get_default(call_default_factory=True) is not None
            ):
                continue
            if field is not None and isinstance(item, str) and _is_list(field.annotation):
                item = [item]
            cleaned[key] = item
        return cleaned


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list or any(
        get_origin(arg) is list for arg in get_args(annotation)
    )


class SiteConfig(_Strict):
    """One site: watched or not, and on which hosts (None = the adapter's own defaults)."""

    enabled: bool = True
    # Entries are `host`, `host:port` or `*.suffix` (a local test server, a Mastodon instance).
    hosts: list[str] | None = None
    # True: recognise this site's API on any host (Mastodon runs on thousands of instances).
    any_host: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `linkedin: off` (YAML reads off as false) and `x: on`.
        if isinstance(value, bool):
            return {"enabled": value}
        return value

    @field_validator("hosts")
    @classmethod
    def _plain_hosts(cls, hosts: list[str] | None) -> list[str] | None:
        if hosts is None:
            return None
        for host in hosts:
            if not host or "/" in host or " " in host:
                raise ValueError(
                    f"'{host}' is not a host: write 'example.social', 'host:port' or '*.suffix'"
                    " (no scheme, no path)"
                )
        return [host.lower() for host in hosts]


class RuleOverride(_Strict):
    """Per-rule changes. Shorthands: `PP201: off`, `PP201: on`, `PP201: error` (a severity)."""

    enabled: bool | None = None
    severity: Severity | None = None
    # Shadow: the rule is evaluated and counted but never shown or held for.
    shadow: bool | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return {"enabled": value}
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("off", "false", "no", "disabled"):
                return {"enabled": False}
            if word in ("on", "true", "yes", "enabled"):
                return {"enabled": True}
            if word in _SEVERITIES:
                return {"enabled": True, "severity": word}
            if word == "shadow":
                return {"shadow": True}
            raise ValueError(
                f"'{value}' is not a rule setting: write on, off, shadow, info, warning or error,"
                " or a mapping with enabled/severity/shadow/params"
            )
        return value


class Allowlist(_Strict):
    """People and sites you may always write to or link: findings about them are dropped."""

    handles: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)

    @field_validator("handles")
    @classmethod
    def _handles(cls, handles: list[str]) -> list[str]:
        return [handle.strip().lstrip("@").lower() for handle in handles if handle.strip()]

    @field_validator("domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        cleaned = []
        for domain in domains:
            bare = re.sub(r"^[a-z]+://", "", domain.strip().lower()).split("/")[0]
            bare = bare.removeprefix("www.")
            if not bare:
                continue
            if "." not in bare:
                raise ValueError(f"'{domain}' is not a domain name (for example acme-web.example)")
            cleaned.append(bare)
        return cleaned


class ScoreThresholds(_Strict):
    """Push scores (0..100) a verdict needs for its level; unset keeps the engine's defaults.

    A warning-severity finding makes the verdict a warning only when the score reaches
    `warning`; an error-severity one makes it an error only at `error` (else a warning). Weak
    signals that add up to `add_up` make a warning even when each alone is only info."""

    warning: int | None = Field(default=None, ge=0, le=100)
    error: int | None = Field(default=None, ge=0, le=100)
    add_up: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> ScoreThresholds:
        if self.warning is not None and self.error is not None and self.warning > self.error:
            raise ValueError(f"warning ({self.warning}) must not be above error ({self.error})")
        return self


class SentLogConfig(_Strict):
    """The sent log keeps signatures of sent messages (never their text) for link-blast checks."""

    retention_days: int = Field(default=30, ge=1, le=3650)


class AuditLogConfig(_Strict):
    """Opt-in: write each judged draft with its verdict to a local file."""

    enabled: bool = False
    path: Path | None = None
    # The file is rotated past this size (one previous file kept): at most twice this on disk.
    max_mb: float = Field(default=10, gt=0, le=10_000)


class HoldsConfig(_Strict):
    """What happens to a held post nobody can see."""

    # reject: with no pullcheck page of the site open, answer at once with the site's failure
    # response and the findings (a script or bot gets a reason, like a failing lint);
    # wait: wait for a decision (`pullcheck decide`) or the timeout.
    without_page: Literal["reject", "wait"] = "reject"


class Config(_Strict):
    mode: Mode = "warn"
    hold_at: Severity = "warning"
    hold_timeout_s: float = Field(default=120, gt=0, le=3600)
    holds: HoldsConfig = Field(default_factory=HoldsConfig)
    sites: dict[str, SiteConfig] = Field(default_factory=dict)
    rules: dict[str, RuleOverride] = Field(default_factory=dict)
    allow: Allowlist = Field(default_factory=Allowlist)
    scores: ScoreThresholds = Field(default_factory=ScoreThresholds)
    rule_folders: list[Path] = Field(default_factory=list)
    sent_log: SentLogConfig = Field(default_factory=SentLogConfig)
    audit_log: AuditLogConfig = Field(default_factory=AuditLogConfig)
    # What you sell, in your words: posts asking for it are pull opportunities.
    offer: list[str] = Field(default_factory=list)
    # Your own handle per site (`me: "@acme"` for every site): a reply to a post that addressed
    # you answers your own customer. Used when the site's requests do not say who you are.
    me: dict[str, str] = Field(default_factory=dict)
    # Other languages whose phrases are searched in drafts guessed to be in them (ISO 639-1;
    # English is always searched). None: every language the rule pack has.
    languages: list[str] | None = None
    # None: data_dir()/notpush.yaml.
    notpush_file: Path | None = None
    # More files layered over this one, in order (the last wins).
    include: list[Path] = Field(default_factory=list)

    # The files this config was read from (for the watcher) and the rule pack it was checked
    # against (so build_engine need not load it again).
    _sources: list[Path] = PrivateAttr(default_factory=list)
    _pack: Any = PrivateAttr(default=None)
    # The data folder the config was loaded for (the proxy's `pullcheck_data_dir`), else None
    # for the default one.
    _data_folder: Path | None = PrivateAttr(default=None)

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        from pullcheck.language import FUNCTION_WORDS

        for code in value:
            if code not in FUNCTION_WORDS and code != "en":
                raise ValueError(
                    f"unknown language '{code}' (languages: en, {', '.join(FUNCTION_WORDS)})"
                )
        return [code for code in value if code != "en"]

    @field_validator("me", mode="before")
    @classmethod
    def _me_everywhere(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"*": value}
        return value

    @field_validator("me")
    @classmethod
    def _me_sites(cls, value: dict[str, str]) -> dict[str, str]:
        for site, handle in value.items():
            if site != "*" and site not in SITE_NAMES:
                raise ValueError(f"unknown site '{site}' (sites: {', '.join(SITE_NAMES)})")
            if not handle.strip().lstrip("@"):
                raise ValueError(f"'{site}' needs a handle")
        return {site: handle.strip().lstrip("@").lower() for site, handle in value.items()}

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_off(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted `mode: off` as false; the user meant the word.
        return "off" if value is False else value

    @property
    def sources(self) -> list[Path]:
        return list(self._sources)

    def site(self, name: str) -> SiteConfig:
        """The settings for site `name`; a site the file does not mention has the defaults."""
        return self.sites.get(name) or SiteConfig()

    def notpush_path(self) -> Path:
        return self.notpush_file or (self._data_folder or data_dir()) / "notpush.yaml"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config, before it is tied to a file and line."""

    path: KeyPath
    message: str
    hint: str | None = None
    # The name itself is unknown (a site, a rule code): problems inside it are left out.
    unknown_name: bool = False


# file, line, key (dotted), message, hint (the likely meant name)
ProblemRow = tuple[Path | None, int | None, str | None, str, str | None]


class ConfigError(Exception):
    """An invalid config. `str()` is `FILE:LINE: key 'k': message (did you mean 'h'?)`, one line
    per problem; `.file`, `.line`, `.key` and `.hint` describe the first problem."""

    def __init__(self, problems: Sequence[ProblemRow]) -> None:
        self.problems = list(problems)
        self.file, self.line, self.key, self.message, self.hint = self.problems[0]
        super().__init__("\n".join(_format_problem(*problem) for problem in problems))


def _format_problem(
    file: Path | None, line: int | None, key: str | None, message: str, hint: str | None
) -> str:
    where = (
        f"{file}:{line}: "
        if file is not None and line is not None
        else (f"{file}: " if file is not None else "")
    )
    text = f"{where}key '{key}': {message}" if key else f"{where}{message}"
    if hint:
        text += f" (did you mean '{hint}'?)"
    return text


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a typo most likely meant, or None when nothing is close."""
    options = list(choices)
    by_lower = {option.lower(): option for option in options}
    # Every close match, not difflib's top few: its ties are cut in reverse string order, which
    # dropped PP201 for PP210 once PP203-PP207 existed.
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=len(by_lower), cutoff=0.6)
    if not found:
        return None
    # difflib ranks PP210 -> PP201, PP203, PP205 alike; a swap of two letters is the likelier typo.
    best = min(found, key=lambda option: _edit_distance(word.lower(), option))
    return by_lower[best]


def _edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) turning a into b."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)
            )
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


# --- where things live -------------------------------------------------------------------


def data_dir() -> Path:
    """$PULLCHECK_DATA_DIR, else $XDG_DATA_HOME/pullcheck, else ~/.local/share/pullcheck."""
    if os.environ.get("PULLCHECK_DATA_DIR"):
        return Path(os.environ["PULLCHECK_DATA_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base).expanduser() / "pullcheck"


def default_config_path() -> Path:
    """$PULLCHECK_CONFIG, else $XDG_CONFIG_HOME/pullcheck/config.yaml (~/.config by default)."""
    if os.environ.get("PULLCHECK_CONFIG"):
        return Path(os.environ["PULLCHECK_CONFIG"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base).expanduser() / "pullcheck" / "config.yaml"


# --- loading -------------------------------------------------------------------------------

# Keys whose values are paths, resolved against the folder of the file that writes them.
_PATH_KEYS: tuple[KeyPath, ...] = (("notpush_file",), ("audit_log", "path"))
_PATH_LIST_KEYS: tuple[KeyPath, ...] = (("rule_folders",), ("include",))


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
            config = Config()
            config._pack = _load_pack([], LocatedData(data={}), path)
            config._data_folder = data_folder
            return _with_notpush(config, [path])
        raise ConfigError([(path, None, None, "no such config file", None)])

    located, sources = _read_layers(path, seen=())
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
        problems += _validation_problems(error)
    sites = config.sites if config is not None else data.get("sites")
    problems += _check_sites(sites if isinstance(sites, dict) else {})
    rows: list[ProblemRow] = []
    folders = _rule_folders(config, data)
    pack = None
    if folders is not None:
        try:
            pack = _load_pack(folders, located, path)
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
    rows += _reading_problems(located)
    if problems or rows:
        raise ConfigError(sorted([*rows, *_rows(problems, located, path)], key=_reading_order))
    assert config is not None  # no problems: pydantic accepted the file
    config._pack = pack
    config._data_folder = data_folder
    return _with_notpush(config, sources)


def _reading_problems(located: LocatedData) -> list[ProblemRow]:
    """Mistakes found while reading the YAML that did not stop it (a key written twice)."""
    return [(where.file, where.line, None, message, None) for where, message in located.problems]


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


def _with_notpush(config: Config, sources: list[Path]) -> Config:
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


def _read_layers(path: Path, seen: tuple[Path, ...]) -> tuple[LocatedData, list[Path]]:
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
            included, included_sources = _read_layers(include, (*seen, resolved))
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


def _validation_problems(error: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if not _is_pydantic_tag(part))
        kind = item["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            valid = _fields_at(loc[:-1])
            problems.append(Problem(loc, f"unknown key '{key}'", closest(key, valid)))
            continue
        hint = None
        if kind in ("literal_error", "enum") and isinstance(item.get("input"), str):
            expected = re.findall(r"'([^']*)'", str(item.get("ctx", {}).get("expected", "")))
            hint = closest(item["input"], expected)
        problems.append(Problem(loc, plain_message(item), hint))
    return problems


def _is_pydantic_tag(part: str | int) -> bool:
    # Union and validator steps appear in pydantic locations ("function-before[...]").
    return isinstance(part, str) and ("[" in part and "]" in part and "(" in part)


def _fields_at(loc: KeyPath) -> list[str]:
    """Valid key names of the model found by following `loc` from Config."""
    current: Any = Config
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = _unwrap(field.annotation)
        elif get_origin(current) in (dict, list):
            current = _unwrap(get_args(current)[-1])
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Drop `| None` so the walk in _fields_at sees the model or container."""
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    if get_origin(annotation) not in (dict, list) and len(args) == 1:
        return args[0]
    return annotation


def _problems_error(problems: list[Problem], located: LocatedData, main: Path) -> ConfigError:
    return ConfigError(sorted(_rows(problems, located, main), key=_reading_order))


def _rows(problems: list[Problem], located: LocatedData, main: Path) -> list[ProblemRow]:
    rows: list[ProblemRow] = []
    for problem in problems:
        where = line_of(located.where, problem.path)
        file, line = (where.file, where.line) if where else (main, None)
        rows.append((file, line, dotted(problem.path) or None, problem.message, problem.hint))
    return rows


def _reading_order(row: ProblemRow) -> tuple[str, int]:
    """In reading order, the way an editor lists them."""
    return str(row[0]), row[1] or 0


def _check_sites(sites: dict[str, Any]) -> Iterable[Problem]:
    for name in sites:
        if name not in SITE_NAMES:
            yield Problem(
                ("sites", name),
                f"unknown site '{name}' (sites: {', '.join(SITE_NAMES)})",
                closest(name, SITE_NAMES),
                unknown_name=True,
            )


def _load_pack(rule_folders: list[Path], located: LocatedData, main: Path) -> Any:
    from pullcheck.rulebook import RulePackError, builtin_rules_dir, load_rule_pack

    for index, folder in enumerate(rule_folders):
        if not folder.is_dir():
            raise _problems_error(
                [Problem(("rule_folders", index), f"no such folder: {folder}")], located, main
            )
    folders = [Path(builtin_rules_dir()), *rule_folders]
    key = _pack_key(folders)
    cached = _PACKS.get(key)
    if cached is not None:
        return cached
    try:
        pack = load_rule_pack(folders)
    except RulePackError as error:
        path: KeyPath = ("rule_folders",) if rule_folders else ()
        raise _problems_error(
            [Problem(path, f"the rule pack does not load: {error}")], located, main
        ) from None
    # Loading a pack compiles every phrase group and runs every rule's examples (about half a
    # second); a config edit that leaves the rule files alone reuses the pack already loaded.
    with _PACKS_LOCK:
        if len(_PACKS) >= _PACK_CACHE_SIZE:
            _PACKS.pop(next(iter(_PACKS)))
        _PACKS[key] = pack
    return pack


_PACK_CACHE_SIZE = 4
_PACKS: dict[tuple[Any, ...], Any] = {}
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


def _check_rules(
    overrides: dict[str, Any], pack: Any
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
        defaults: dict[str, Any] = dict(getattr(rules[code], "params", None) or {})
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
        raise ConfigError(_reading_problems(located))
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


# --- from config to engine -------------------------------------------------------------------


def engine_settings(config: Config) -> Any:
    """The engine's view of the config: switched-off rules, severities, params, allowlists."""
    from pullcheck.engine import EngineSettings

    disabled = {code for code, rule in config.rules.items() if rule.enabled is False}
    enabled = {code for code, rule in config.rules.items() if rule.enabled is True}
    severities = {code: rule.severity for code, rule in config.rules.items() if rule.severity}
    params = {code: dict(rule.params) for code, rule in config.rules.items() if rule.params}
    shadow = {code for code, rule in config.rules.items() if rule.shadow}
    thresholds = {
        name: value
        for name, value in (
            ("warning_score", config.scores.warning),
            ("error_score", config.scores.error),
            ("add_up_score", config.scores.add_up),
        )
        if value is not None
    }
    return EngineSettings(
        disabled=disabled,
        enabled=enabled,
        severities=severities,
        params=params,
        allow_handles=set(config.allow.handles),
        allow_domains=set(config.allow.domains),
        shadow=shadow,
        me=dict(config.me),
        offer=tuple(config.offer),
        languages=None if config.languages is None else tuple(config.languages),
        **thresholds,
    )


def rule_pack(config: Config) -> Any:
    """The pack the config was checked against (loaded now if the config was built by hand)."""
    if config._pack is None:
        config._pack = _load_pack(config.rule_folders, LocatedData(data={}), Path("<config>"))
    return config._pack


def build_engine(config: Config, history: SentHistory | None = None) -> Any:
    """An Engine for this config: built-in rules + `rule_folders`, with the overrides applied."""
    from pullcheck.engine import Engine
    from pullcheck.history import InMemorySentHistory

    return Engine(
        rule_pack(config),
        engine_settings(config),
        history=history if history is not None else InMemorySentHistory(),
    )
