"""YAML read with the line of every key, by libyaml when it is installed and by PyYAML's own
parser otherwise: both give the same data, the same lines and the same located errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pullcheck import located_yaml
from pullcheck.located_yaml import YamlProblem, load_yaml, read_located_yaml

CONFIG = """\
mode: hold
sites:
  x:
    enabled: false
rules:
  PP201: off
allow:
  handles:
    - '@friend'
    - '@other'
"""

LOADERS = [pytest.param(yaml.SafeLoader, id="python")]
if hasattr(yaml, "CSafeLoader"):
    LOADERS.append(pytest.param(yaml.CSafeLoader, id="libyaml"))


@pytest.fixture(params=LOADERS)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    monkeypatch.setattr(located_yaml, "_Loader", request.param)
    return request.param


def test_every_key_and_list_item_has_its_line(loader: type) -> None:
    located = read_located_yaml(CONFIG, Path("c.yaml"))
    assert located.where[("sites", "x", "enabled")].line == 4
    assert located.where[("rules", "PP201")].line == 6
    assert located.where[("allow", "handles", 1)].line == 10


def test_keys_stay_as_written_and_values_are_read_as_safe_load_reads_them(loader: type) -> None:
    located = read_located_yaml(CONFIG, Path("c.yaml"))
    assert located.data == {
        "mode": "hold",
        "sites": {"x": {"enabled": False}},
        "rules": {"PP201": False},
        "allow": {"handles": ["@friend", "@other"]},
    }


def test_plain_loading_gives_what_safe_load_gives(loader: type) -> None:
    assert load_yaml(CONFIG) == yaml.safe_load(CONFIG)


def test_a_syntax_error_names_its_line(loader: type) -> None:
    with pytest.raises(YamlProblem) as problem:
        read_located_yaml("mode: hold\nsites:\n  x: [unclosed\n  y: 1\n", Path("c.yaml"))
    assert problem.value.file == Path("c.yaml")
    assert problem.value.line >= 3
    assert "YAML syntax error" in problem.value.message


def test_a_key_written_twice_is_a_problem_naming_both_lines(loader: type) -> None:
    located = read_located_yaml("mode: warn\nport: 1\nmode: hold\n", Path("c.yaml"))
    [(where, message)] = located.problems
    assert where.line == 3
    assert "lines 1 and 3" in message
    assert located.data["mode"] == "hold"


def test_a_tab_is_a_located_error_with_advice(loader: type) -> None:
    with pytest.raises(YamlProblem) as problem:
        read_located_yaml("sites:\n\tx: 1\n", Path("c.yaml"))
    assert problem.value.line == 2
    assert "spaces, not tabs" in problem.value.message


def test_plain_loading_raises_a_yaml_error_with_its_mark(loader: type) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as error:
        load_yaml("a: [1, 2\nb: 3\n")
    assert error.value.problem_mark is not None
