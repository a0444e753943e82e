"""From config to engine: the engine's settings read off a `Config`, and an `Engine` for it
(built-in rules + `rule_folders`, with the user's overrides applied)."""

from __future__ import annotations

from pullcheck.config_schema import Config
from pullcheck.engine import Engine, EngineSettings
from pullcheck.history import InMemorySentHistory, SentHistory
from pullcheck.pack_cache import rule_pack


def engine_settings(config: Config) -> EngineSettings:
    """The engine's view of the config: switched-off rules, preview rules turned on,
    severities, params, allowlists."""
    disabled = {code for code, rule in config.rules.items() if rule.enabled is False}
    # Preview rules run only when turned on by code.
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


def build_engine(config: Config, history: SentHistory | None = None) -> Engine:
    """An Engine for this config: built-in rules + `rule_folders`, with the overrides applied."""
    return Engine(
        rule_pack(config),
        engine_settings(config),
        history=history if history is not None else InMemorySentHistory(),
    )
