"""What a config reload changed, in one short line, and a rejected edit, in one line.

The proxy prints `config reloaded: PP201 off, mode warn→hold, sites: reddit off` after each good
edit, so the user sees that the edit landed and what it did; a rejected edit is shown in the
page's banner as `config.yaml:3 key 'rules.PP210': unknown rule code 'PP210'`. Neither carries
draft text; the error names the file by its name only (the page must not learn the user's home
folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pullcheck.config import Config, ConfigError
from pullcheck.config_schema import RuleOverride
from pullcheck.pack_cache import pack_rules, rule_pack

# A reload summary names at most this many changes, then "+N more".
MAX_ITEMS = 6


def reload_summary(old: Config, new: Config) -> str:
    """`config reloaded: ...`: the changes a user would name, or that none of them changed."""
    changes = [*_rule_changes(old, new), *_setting_changes(old, new), *_site_changes(old, new)]
    if not changes:
        return "config reloaded: no setting changed"
    shown = changes[:MAX_ITEMS]
    if len(changes) > MAX_ITEMS:
        shown.append(f"+{len(changes) - MAX_ITEMS} more")
    return "config reloaded: " + ", ".join(shown)


def error_line(error: ConfigError) -> str:
    """The first problem of a rejected edit as `file:line key 'k': message (did you mean ...)`."""
    where = ""
    if error.file is not None:
        where = Path(error.file).name + (f":{error.line}" if error.line is not None else "")
    text = f"key '{error.key}': {error.message}" if error.key else error.message
    if error.hint:
        text += f" (did you mean '{error.hint}'?)"
    more = len(error.problems) - 1
    if more > 0:
        text += f" (+{more} more)"
    return f"{where} {text}" if where else text


def _rule_state(override: RuleOverride | None, default_severity: str | None) -> str:
    if override is not None and override.enabled is False:
        return "off"
    if override is not None and override.shadow:
        return "shadow"
    if override is not None and override.severity:
        return override.severity
    return default_severity or "on"


def _default_severities(config: Config) -> dict[str, str]:
    try:
        rules = pack_rules(rule_pack(config))
    except Exception:
        return {}
    return {code: str(getattr(rule, "severity", "") or "") for code, rule in rules.items()}


def _rule_changes(old: Config, new: Config) -> list[str]:
    old_defaults, new_defaults = _default_severities(old), _default_severities(new)
    changes = [f"rule {code} added" for code in sorted(set(new_defaults) - set(old_defaults))]
    changes += [f"rule {code} removed" for code in sorted(set(old_defaults) - set(new_defaults))]
    for code in sorted(set(old.rules) | set(new.rules)):
        if code not in new_defaults:
            continue
        before = _rule_state(old.rules.get(code), old_defaults.get(code))
        after = _rule_state(new.rules.get(code), new_defaults.get(code))
        if before != after:
            if after in ("off", "shadow") or before in ("off", "shadow"):
                changes.append(f"{code} {after}")
            else:
                changes.append(f"{code} {before}→{after}")
        old_params = old.rules[code].params if code in old.rules else {}
        new_params = new.rules[code].params if code in new.rules else {}
        if old_params != new_params:
            changes.append(f"{code} params")
    return changes


def _setting_changes(old: Config, new: Config) -> list[str]:
    changes = []
    for name in ("mode", "hold_at", "hold_timeout_s"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append(f"{name} {_plain(before)}→{_plain(after)}")
    if old.allow != new.allow:
        changes.append(_count_change("allow", _allowed(old), _allowed(new)))
    if old.scores != new.scores:
        changes.append("scores")
    if old.offer != new.offer:
        changes.append("offer")
    if old.audit_log.enabled != new.audit_log.enabled:
        changes.append("audit log " + ("on" if new.audit_log.enabled else "off"))
    if old.sent_log != new.sent_log:
        changes.append("sent log retention")
    return changes


def _site_changes(old: Config, new: Config) -> list[str]:
    changes = []
    for name in sorted(set(old.sites) | set(new.sites)):
        before, after = old.site(name), new.site(name)
        if before.enabled != after.enabled:
            changes.append(f"{name} {'on' if after.enabled else 'off'}")
        elif before != after:
            changes.append(f"{name} hosts")
    return ["sites: " + ", ".join(changes)] if changes else []


def _allowed(config: Config) -> set[str]:
    return {*config.allow.handles, *config.allow.domains}


def _count_change(name: str, before: set[str], after: set[str]) -> str:
    added, removed = len(after - before), len(before - after)
    parts = [f"+{added}" if added else "", f"-{removed}" if removed else ""]
    return f"{name} {' '.join(p for p in parts if p)}".strip()


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
