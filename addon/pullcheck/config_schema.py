"""The config file's shape: every key, its type and its default, as strict pydantic models.

Each model refuses keys it does not know (`extra="forbid"`), so a typo is reported with its
line rather than ignored (`pullcheck.config_errors` ties each refusal to its file and line).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from pullcheck.language import FUNCTION_WORDS
from pullcheck.models import Severity
from pullcheck.places import data_dir

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
    # you answers your own customer. A fallback: the handle a site's own read answers name as
    # signed in on that host (memory, `Harvest.own_handle`) wins, since it is the account that
    # really writes there; `me:` counts where nothing was learned (the CLI, eval, before the
    # site's first answer about the account, a host that may not teach).
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
