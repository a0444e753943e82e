"""YAML read together with the line of every key, so a config error can name its line.

PyYAML's `yaml.compose` keeps a mark (line, column) on every node; walking the node tree once
gives both the plain data and a map from each key path (("sites", "x", "enabled")) to the
1-based line where that key (or list item) is written. Config validation then maps a pydantic
error location to a line with `line_of`.

Mapping keys are kept as written (`on:` stays the string "on", not YAML 1.1's True) because
every key in a config file is a name. A key written twice in one mapping is an error: PyYAML would
silently keep the last one, and the user would wonder why the first edit does nothing. It does
not stop the reading (it is kept in `problems`, the last value stands), so the file's other
mistakes are reported with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]

# A config has dozens of keys. YAML aliases can make a few lines expand without bound ("billion
# laughs"); stop long before that costs real memory.
MAX_KEYS = 50_000


@dataclass(frozen=True)
class Location:
    file: Path
    line: int


@dataclass
class LocatedData:
    """Plain data read from YAML, and where each key path was written."""

    data: Any
    where: dict[KeyPath, Location] = field(default_factory=dict)
    # Mistakes that did not stop the reading (a key written twice), with where they are.
    problems: list[tuple[Location, str]] = field(default_factory=list)


class YamlProblem(Exception):
    """The text is not YAML we can read: names the line and says what to do."""

    def __init__(self, file: Path, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = file
        self.line = line
        self.message = message


def _syntax_advice(problem: str, line_text: str) -> str:
    if "\t" in line_text or "tab" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "quote a value that contains ': ' or fix the indentation of this key"
    if "could not find expected ':'" in problem:
        return "each setting is written 'key: value'"
    if "found character" in problem and "cannot start any token" in problem:
        return "quote a value that starts with a special character such as @ or `"
    return "check the indentation and quoting on this line and the one before"


# libyaml's parser keeps the same marks and is about 10 times faster than the pure-Python one
# (the whole rule pack: 13 ms against 146 ms); PyYAML without libyaml falls back to its own.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Plain data, as `yaml.safe_load` gives it (the same constructor and resolver), parsed by
    libyaml when it is installed. Raises `yaml.YAMLError` (with its marks) as safe_load does."""
    return yaml.load(text, Loader=_Loader)


def read_located_yaml(text: str, file: Path) -> LocatedData:
    """Parse `text` (the contents of `file`) into plain data plus the line of every key.

    Raises YamlProblem for a syntax error, a key written twice, or a non-scalar key.
    """
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else 1
            lines = text.splitlines()
            line_text = lines[line - 1] if 0 < line <= len(lines) else ""
            problem = error.problem or error.context or "not valid YAML"
            context = error.context_mark
            if error.problem and error.context and context and context.line + 1 != line:
                # An unclosed bracket is found lines later: say where it was opened.
                problem += f", {error.context} that starts on line {context.line + 1}"
            raise YamlProblem(
                file, line, f"YAML syntax error: {problem} ({_syntax_advice(problem, line_text)})"
            ) from None
        except yaml.YAMLError as error:
            raise YamlProblem(file, 1, f"YAML error: {error}") from None
        located = LocatedData(data=None)
        if root is None:
            return located
        constructor = yaml.constructor.SafeConstructor()
        located.data = _walk(root, (), file, located, constructor)
        return located
    finally:
        loader.dispose()


def _walk(
    node: yaml.Node,
    path: KeyPath,
    file: Path,
    located: LocatedData,
    constructor: yaml.constructor.SafeConstructor,
) -> Any:
    where = located.where
    if isinstance(node, yaml.MappingNode):
        # `<<: *anchor` merge keys: let PyYAML fold them in before we read the pairs.
        constructor.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(file, line, "a key must be a plain name, not a list or mapping")
            key = str(key_node.value)
            if key in result:
                first = where[(*path, key)].line
                located.problems.append(
                    (
                        Location(file, line),
                        (
                            f"key '{dotted((*path, key))}' is written twice "
                            f"(lines {first} and {line}); keep one"
                        ),
                    )
                )
            where[(*path, key)] = Location(file, line)
            _check_size(where, file, line)
            result[key] = _walk(value_node, (*path, key), file, located, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        for index, item in enumerate(node.value):
            where[(*path, index)] = Location(file, item.start_mark.line + 1)
            _check_size(where, file, item.start_mark.line + 1)
            items.append(_walk(item, (*path, index), file, located, constructor))
        return items
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as error:
        line = node.start_mark.line + 1
        raise YamlProblem(file, line, f"YAML error: {error.problem}") from None


def _check_size(where: dict[KeyPath, Location], file: Path, line: int) -> None:
    if len(where) > MAX_KEYS:
        raise YamlProblem(
            file, line, f"more than {MAX_KEYS} keys and items (aliases that expand without end?)"
        )


def dotted(path: KeyPath) -> str:
    """A key path as the user would write it: `rules.PP201.severity`, `allow.handles[2]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def merge_layer(base: LocatedData, layer: LocatedData) -> LocatedData:
    """Lay `layer` over `base`: mappings merge key by key, anything else is replaced whole
    (the last layer wins). Locations follow the values that survive."""
    where = dict(base.where)
    data = _merge(base.data, layer.data, (), where, layer.where)
    return LocatedData(data=data, where=where, problems=[*base.problems, *layer.problems])


def _merge(
    base: Any,
    over: Any,
    path: KeyPath,
    where: dict[KeyPath, Location],
    over_where: dict[KeyPath, Location],
) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            child = (*path, key)
            if key in merged:
                merged[key] = _merge(merged[key], value, child, where, over_where)
            else:
                _take(child, where, over_where)
                merged[key] = value
            if child in over_where:
                where[child] = over_where[child]
        return merged
    if over is None and path == ():
        return base
    _take(path, where, over_where)
    return over


def _take(
    path: KeyPath, where: dict[KeyPath, Location], over_where: dict[KeyPath, Location]
) -> None:
    """Forget the locations under `path` and adopt the new layer's ones."""
    size = len(path)
    for key in [k for k in where if len(k) > size and k[:size] == path]:
        del where[key]
    where.update(
        {
            key: location
            for key, location in over_where.items()
            if len(key) > size and key[:size] == path
        }
    )


def line_of(where: dict[KeyPath, Location], path: KeyPath) -> Location | None:
    """Where the longest known prefix of `path` was written (None when nothing matches)."""
    for size in range(len(path), 0, -1):
        found = where.get(tuple(path[:size]))
        if found is not None:
            return found
    return None
