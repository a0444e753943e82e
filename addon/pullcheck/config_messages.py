"""Pydantic's validation errors, said the way a config file's author thinks.

Pydantic describes its own types ("Input should be a valid dictionary or instance of
SiteConfig"); a person editing YAML wants to know what the key takes and what they wrote:
"takes on, off or a mapping such as {hosts: [...]} (got a list)". Messages our own validators
raise (`ValueError` in config.py) are already written for people and pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# What each settings section takes, by the name of its pydantic model.
SECTION_SHAPES: dict[str, str] = {
    "SiteConfig": "on, off or a mapping such as {hosts: [...]}",
    "RuleOverride": "on, off, shadow, info, warning, error or a mapping such as "
    "{severity: error, params: {...}}",
    "Allowlist": "a mapping such as {handles: [...], domains: [...]}",
    "ScoreThresholds": "a mapping such as {warning: 35, error: 60, add_up: 60}",
    "SentLogConfig": "a mapping such as {retention_days: 30}",
    "AuditLogConfig": "a mapping such as {enabled: true, path: audit.jsonl}",
    "Config": "a mapping of 'key: value' lines",
}
# What a key holding a mapping of names takes, by the key's own name.
MAPPING_SHAPES: dict[str, str] = {
    "sites": "a mapping of site names to settings, such as {linkedin: off}",
    "rules": "a mapping of rule codes or names to settings, such as {PP201: off}",
    "params": "a mapping of parameter names to values, such as {min_recipients: 3}",
}
LIST_SHAPE = "a list such as [first, second] (a single item may be written alone)"
MAX_SHOWN = 40


def plain_message(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) as a sentence about the key."""
    kind = error["type"]
    context = error.get("ctx") or {}
    message = str(error["msg"])
    if kind in ("value_error", "assertion_error"):
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    takes = _what_it_takes(kind, context, error.get("loc") or ())
    if takes is None:
        return message
    return f"takes {takes} (got {shown(error.get('input'))})"


def _what_it_takes(kind: str, context: dict[str, Any], loc: tuple[Any, ...]) -> str | None:
    if kind in ("model_type", "model_attributes_type"):
        return SECTION_SHAPES.get(str(context.get("class_name")), "a mapping of 'key: value'")
    if kind in ("dict_type", "mapping_type"):
        names = [part for part in loc if isinstance(part, str)]
        return MAPPING_SHAPES.get(names[-1] if names else "", "a mapping of 'key: value'")
    if kind in ("list_type", "tuple_type", "set_type"):
        return LIST_SHAPE
    if kind in ("literal_error", "enum"):
        choices = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        return _one_of(choices) if choices else None
    if kind in ("bool_type", "bool_parsing"):
        return "true or false (on/off and yes/no work too)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "a whole number"
    if kind in ("float_type", "float_parsing"):
        return "a number"
    if kind in ("string_type", "string_sub_type"):
        return "text (put quotes around it if YAML reads it as something else)"
    if kind in ("path_type", "path_parsing"):
        return "a file or folder path"
    for bound, words in (
        ("gt", "a number above"),
        ("ge", "a number of at least"),
        ("lt", "a number below"),
        ("le", "a number of at most"),
    ):
        if kind.startswith(("greater_than", "less_than")) and bound in context:
            return f"{words} {_number(context[bound])}"
    return None


def _number(value: Any) -> str:
    """0.0 -> 0: a bound pydantic keeps as a float reads as the number the user would write."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _one_of(choices: list[str]) -> str:
    if len(choices) == 1:
        return choices[0]
    return ", ".join(choices[:-1]) + f" or {choices[-1]}"


def shown(value: Any) -> str:
    """What the file holds there, briefly: `'loud'`, `-3`, `a list`, `a mapping`."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"
