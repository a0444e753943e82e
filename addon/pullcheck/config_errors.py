"""Config mistakes tied to where they are written: `ConfigError` and its rows (file, line,
dotted key, message, the name most likely meant).

A problem is first found on the data (`Problem`: a key path and a message), then placed with the
locations `pullcheck.located_yaml` recorded while reading, so every error names the file, the
line and the key, and suggests the closest valid name (difflib): a config that silently ignores
a typo is worse than one that refuses it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from pullcheck.config_messages import plain_message
from pullcheck.config_schema import Config
from pullcheck.located_yaml import KeyPath, LocatedData, dotted, line_of


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
    typed = word.lower()
    # Every close match, not difflib's top few: its ties are cut in reverse string order, which
    # dropped PP201 for PP210 once PP203-PP207 existed.
    found = difflib.get_close_matches(typed, list(by_lower), n=len(by_lower), cutoff=0.6)
    if not found:
        return None
    # difflib ranks PP210 -> PP201, PP203, PP205 alike; the same letters in another order (two
    # swapped) is the likelier typo.
    swapped = [option for option in found if sorted(option) == sorted(typed)]
    return by_lower[(swapped or found)[0]]


def reading_problems(located: LocatedData) -> list[ProblemRow]:
    """Mistakes found while reading the YAML that did not stop it (a key written twice)."""
    return [(where.file, where.line, None, message, None) for where, message in located.problems]


def validation_problems(error: ValidationError) -> list[Problem]:
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


def problems_error(problems: list[Problem], located: LocatedData, main: Path) -> ConfigError:
    return ConfigError(sorted(located_rows(problems, located, main), key=reading_order))


def located_rows(problems: list[Problem], located: LocatedData, main: Path) -> list[ProblemRow]:
    rows: list[ProblemRow] = []
    for problem in problems:
        where = line_of(located.where, problem.path)
        file, line = (where.file, where.line) if where else (main, None)
        rows.append((file, line, dotted(problem.path) or None, problem.message, problem.hint))
    return rows


def reading_order(row: ProblemRow) -> tuple[str, int]:
    """In reading order, the way an editor lists them."""
    return str(row[0]), row[1] or 0
