"""The config file: defaults, layering, and errors that name file, line, key and a fix."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pullcheck.config import Config, ConfigError, load_config
from pullcheck.config_schema import SITE_NAMES
from pullcheck.engine_factory import build_engine, engine_settings
from pullcheck.pack_cache import pack_rules, rule_pack
from pullcheck.places import data_dir, default_config_path

REPO = Path(__file__).resolve().parents[1]
ERROR_LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+): key '(?P<key>[^']+)': (?P<msg>.+?)"
    r"(?: \(did you mean '(?P<hint>[^']+)'\?\))?$"
)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Never read or write the real user's config or data.
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "default-config.yaml"))


@pytest.fixture(scope="module")
def rules() -> dict:
    return pack_rules(rule_pack(Config()))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


def test_missing_default_file_gives_the_defaults() -> None:
    config = load_config(None)
    assert (config.mode, config.hold_at, config.hold_timeout_s) == ("warn", "warning", 120)
    assert config.site("x").enabled
    assert config.site("x").hosts is None
    assert config.sent_log.retention_days == 30
    assert config.audit_log.enabled is False


def test_an_explicit_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    error = error_of(tmp_path / "nope.yaml")
    assert "no such config file" in str(error)
    assert "nope.yaml" in str(error)


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "c.yaml", "# nothing yet\n")).mode == "warn"


def test_wrong_type_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "mode: hold\nhold_timeout_s: soon\n")
    error = error_of(path)
    assert (error.file, error.line, error.key) == (path, 2, "hold_timeout_s")
    assert str(error).startswith(f"{path}:2: key 'hold_timeout_s': ")
    assert "number" in str(error)


def test_holds_without_page_defaults_to_reject_and_accepts_wait(tmp_path: Path) -> None:
    assert load_config(None).holds.without_page == "reject"
    path = write(tmp_path, "c.yaml", "mode: hold\nholds:\n  without_page: wait\n")
    assert load_config(path).holds.without_page == "wait"


def test_a_bad_holds_setting_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "mode: hold\nholds:\n  without_page: later\n")
    error = error_of(path)
    assert (error.file, error.line, error.key) == (path, 3, "holds.without_page")
    assert "takes reject or wait (got 'later')" in str(error)
    typo = error_of(write(tmp_path, "d.yaml", "holds:\n  withoutpage: wait\n"))
    assert (typo.line, typo.hint) == (2, "without_page")


def test_nested_wrong_type_points_at_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "sites:\n  x:\n    enabled: maybe\n")
    error = error_of(path)
    assert (error.line, error.key) == (3, "sites.x.enabled")


def test_unknown_top_level_key_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "# my config\n\nmdoe: hold\n")
    error = error_of(path)
    assert (error.line, error.key, error.hint) == (3, "mdoe", "mode")
    match = ERROR_LINE.match(str(error))
    assert match
    assert match["file"] == str(path)
    assert match["hint"] == "mode"


def test_unknown_nested_key_suggests_from_that_section(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "sites:\n  mastodon:\n    enabeld: false\n")
    error = error_of(path)
    assert (error.line, error.key, error.hint) == (3, "sites.mastodon.enabeld", "enabled")


def test_unknown_site_suggests_a_site(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "sites:\n  mastadon: {enabled: false}\n")
    error = error_of(path)
    assert (error.line, error.key, error.hint) == (2, "sites.mastadon", "mastodon")


def test_wrong_choice_suggests_the_closest_choice(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.yaml", "mode: hodl\n"))
    assert (error.line, error.key, error.hint) == (1, "mode", "hold")


def test_unknown_rule_code_suggests_the_closest_code(tmp_path: Path, rules: dict) -> None:
    code = sorted(rules)[0]
    typo = code[:-1] + ("9" if code[-1] != "9" else "8")
    typo = typo if typo not in rules else code + "0"
    path = write(tmp_path, "c.yaml", f"mode: warn\nrules:\n  {typo}: off\n")
    error = error_of(path)
    assert (error.file, error.line, error.key) == (path, 3, f"rules.{typo}")
    assert "unknown rule code" in error.message
    assert error.hint in rules


def test_unknown_rule_parameter_names_the_rule_and_suggests(tmp_path: Path, rules: dict) -> None:
    code, rule = next((c, r) for c, r in sorted(rules.items()) if r.params)
    param = sorted(rule.params)[0]
    path = write(tmp_path, "c.yaml", f"rules:\n  {code}:\n    params:\n      {param}x: 3\n")
    error = error_of(path)
    assert (error.line, error.key, error.hint) == (4, f"rules.{code}.params.{param}x", param)


def test_rule_parameter_of_the_wrong_type_is_refused(tmp_path: Path, rules: dict) -> None:
    code, param = next(
        (c, p)
        for c, r in sorted(rules.items())
        for p, v in r.params.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    )
    path = write(tmp_path, "c.yaml", f"rules:\n  {code}:\n    params:\n      {param}: lots\n")
    error = error_of(path)
    assert (error.line, error.key) == (4, f"rules.{code}.params.{param}")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "mode: warn\nallow:\n  handles: [a, b\nhold_at: info\n")
    error = error_of(path)
    assert error.file == path
    assert error.line in (3, 4)
    assert "YAML syntax error" in str(error)
    assert str(error).startswith(f"{path}:{error.line}: ")
    assert "line 3" in str(error)  # where the unclosed bracket was opened


def test_tab_indentation_gets_advice(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.yaml", "sites:\n\tx: {enabled: false}\n"))
    assert error.line == 2
    assert "spaces" in str(error)


def test_a_key_written_twice_is_an_error(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.yaml", "mode: hold\nhold_at: info\nmode: warn\n"))
    assert error.line == 3
    assert "twice" in str(error)
    assert "lines 1 and 3" in str(error)


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.yaml", "- mode\n- warn\n"))
    assert error.line == 1
    assert "mapping" in str(error)


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.yaml", "mdoe: hold\nhold_at: severe\n"))
    assert len(error.problems) == 2
    assert [line.split(": key ")[1].split("'")[1] for line in str(error).splitlines()] == [
        "mdoe",
        "hold_at",
    ]


def test_every_problem_in_one_rules_block_is_reported_at_once(tmp_path: Path) -> None:
    # An unknown code, a wrong severity and a parameter of the wrong type, side by side: the
    # type error pydantic finds must not hide the two names only the rule pack can check.
    path = write(
        tmp_path,
        "c.yaml",
        "rules:\n  PP210: off\n  PP201: {severity: severe}\n"
        "  PP301: {params: {min_recipients: lots}}\n",
    )
    error = error_of(path)
    assert [(line, key) for _, line, key, _, _ in error.problems] == [
        (2, "rules.PP210"),
        (3, "rules.PP201.severity"),
        (4, "rules.PP301.params.min_recipients"),
    ]
    assert error.problems[0][4] == "PP201"


def test_an_unknown_site_is_reported_beside_type_errors_elsewhere(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.yaml", "mode: loud\nsites:\n  mastadon: {hosts: 3}\n  linkedin: maybe\n"
    )
    error = error_of(path)
    assert [(line, key) for _, line, key, _, _ in error.problems] == [
        (1, "mode"),
        (3, "sites.mastadon"),
        (4, "sites.linkedin"),
    ]


def test_settings_under_an_unknown_site_are_not_picked_apart(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.yaml", "sites:\n  mastadon: {hosts: 3}\n"))
    assert len(error.problems) == 1
    assert error.key == "sites.mastadon"
    assert error.hint == "mastodon"


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (
            "sites:\n  x: [x.com]\n",
            "sites.x",
            "takes on, off or a mapping such as {hosts: [...]} (got a list)",
        ),
        (
            "sites:\n  linkedin: yes please\n",
            "sites.linkedin",
            "takes on, off or a mapping such as {hosts: [...]} (got 'yes please')",
        ),
        (
            "rules:\n  PP202: 7\n",
            "rules.PP202",
            "takes on, off, shadow, info, warning, error or a mapping such as "
            "{severity: error, params: {...}} (got 7)",
        ),
        ("mode: loud\n", "mode", "takes off, warn or hold (got 'loud')"),
        ("hold_timeout_s: -3\n", "hold_timeout_s", "takes a number above 0 (got -3)"),
        ("scores: {warning: 150}\n", "scores.warning", "takes a number of at most 100 (got 150)"),
        ("sent_log: 30\n", "sent_log", "takes a mapping such as {retention_days: 30} (got 30)"),
        (
            "audit_log: {enabled: maybe}\n",
            "audit_log.enabled",
            "takes true or false (on/off and yes/no work too) (got 'maybe')",
        ),
        (
            "offer: {web: design}\n",
            "offer",
            "takes a list such as [first, second] (a single item may be written alone)"
            " (got a mapping)",
        ),
        (
            "sites: [x]\n",
            "sites",
            "takes a mapping of site names to settings, such as {linkedin: off} (got a list)",
        ),
    ],
)
def test_type_errors_say_what_the_key_takes_in_plain_words(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    error = error_of(write(tmp_path, "c.yaml", text))
    assert (error.key, error.message) == (key, message)
    assert "Input should" not in str(error)


def test_a_key_written_twice_is_reported_with_the_files_other_problems(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.yaml", "mode: warn\nrules:\n  PP210: off\nmode: hold\nhold_at: severe\n"
    )
    error = error_of(path)
    assert [(line, key) for _, line, key, _, _ in error.problems] == [
        (3, "rules.PP210"),
        (4, None),
        (5, "hold_at"),
    ]
    assert "written twice (lines 1 and 4)" in error.problems[1][3]


def test_shorthands_switch_rules_and_sites(tmp_path: Path, rules: dict) -> None:
    first, second, third = sorted(rules)[:3]
    path = write(
        tmp_path,
        "c.yaml",
        f"rules:\n  {first}: off\n  {second}: error\n  {third}: shadow\nsites:\n  linkedin: off\n",
    )
    config = load_config(path)
    settings = engine_settings(config)
    assert first in settings.disabled
    assert settings.severities[second] == "error"
    assert third in settings.shadow
    assert config.site("linkedin").enabled is False
    assert config.site("x").enabled is True


def test_a_rule_may_be_named_by_its_slug(tmp_path: Path, rules: dict) -> None:
    code, rule = sorted(rules.items())[0]
    config = load_config(write(tmp_path, "c.yaml", f"rules:\n  {rule.name}: off\n"))
    assert code in engine_settings(config).disabled


def test_included_files_layer_over_the_main_file(tmp_path: Path, rules: dict) -> None:
    code = sorted(rules)[0]
    write(
        tmp_path,
        "extra/team.yaml",
        f"mode: hold\nrules:\n  {code}:\n    enabled: false\nallow:\n  domains: [b.example]\n",
    )
    main = write(
        tmp_path,
        "c.yaml",
        f"mode: warn\nhold_at: error\nrules:\n  {code}:\n    severity: info\n"
        "allow:\n  domains: [a.example]\ninclude: [extra/team.yaml]\n",
    )
    config = load_config(main)
    assert config.mode == "hold"  # the included file is the later layer
    assert config.hold_at == "error"  # untouched by the include
    assert (config.rules[code].enabled, config.rules[code].severity) == (False, "info")
    assert config.allow.domains == ["b.example"]  # a list is replaced whole
    assert config.sources[:2] == [main, tmp_path / "extra" / "team.yaml"]


def test_an_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    included = write(tmp_path, "inc.yaml", "\nhold_at: sometimes\n")
    error = error_of(write(tmp_path, "c.yaml", "include: [inc.yaml]\n"))
    assert (error.file, error.line, error.key) == (included, 2, "hold_at")


def test_an_include_loop_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", "include: [c.yaml]\n")
    error = error_of(write(tmp_path, "c.yaml", "include: [b.yaml]\n"))
    assert "loop" in str(error)


@pytest.mark.timeout(20)
def test_an_include_that_names_a_fifo_is_refused_naming_file_line_and_key(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")  # reading it would block until someone writes
    main = write(tmp_path, "c.yaml", "mode: hold\ninclude: [pipe.yaml]\n")
    error = error_of(main)
    assert (error.file, error.line, error.key) == (main, 2, "include[0]")
    assert "FIFO" in error.message
    assert "not a regular file" in error.message


@pytest.mark.timeout(20)
def test_an_include_that_names_a_folder_or_a_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.yaml").mkdir()
    main = write(tmp_path, "c.yaml", "include: [folder.yaml, /dev/zero]\n")
    assert error_of(main).key == "include[0]"
    write(tmp_path, "c.yaml", "include: [/dev/zero]\n")
    error = error_of(main)
    assert error.key == "include[0]"
    assert "a device" in error.message


def test_relative_rule_folders_are_relative_to_the_file(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "conf/c.yaml", "rule_folders: [./mine]\n"))
    assert (error.line, error.key) == (1, "rule_folders[0]")
    assert str(tmp_path / "conf" / "mine") in str(error)


def test_allowlists_reach_the_engine_settings(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            "c.yaml",
            "allow:\n  handles: ['@Friend', bob@example.social]\n"
            "  domains: ['https://www.Docs.example/page']\n",
        )
    )
    settings = build_engine(config).settings
    assert settings.allow_handles == {"friend", "bob@example.social"}
    assert settings.allow_domains == {"docs.example"}


def test_a_domain_without_a_dot_is_refused(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.yaml", "allow:\n  domains: [localhost]\n"))
    assert error.key == "allow.domains"
    assert "domain" in error.message


def test_not_push_choices_join_the_allowlist(tmp_path: Path) -> None:
    notpush = write(
        tmp_path,
        "np.yaml",
        "- {code: PP201, recipient: '@Alice', reason: she asked}\n- {domain: alice-shop.example}\n",
    )
    config = load_config(
        write(tmp_path, "c.yaml", f"allow: {{handles: [bob]}}\nnotpush_file: {notpush}\n")
    )
    assert config.allow.handles == ["bob", "alice"]
    assert config.allow.domains == ["alice-shop.example"]
    assert notpush in config.sources


def test_default_locations_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PULLCHECK_CONFIG")
    monkeypatch.delenv("PULLCHECK_DATA_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert default_config_path() == tmp_path / "cfg" / "pullcheck" / "config.yaml"
    assert data_dir() == tmp_path / "share" / "pullcheck"
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "mine.yaml"))
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "d"))
    assert (default_config_path(), data_dir()) == (tmp_path / "mine.yaml", tmp_path / "d")


def test_the_example_config_is_valid_and_uses_every_section() -> None:
    config = load_config(REPO / "examples" / "config.yaml")
    assert config.mode == "hold"
    assert config.rules
    assert config.allow.handles
    assert config.allow.domains
    assert set(config.sites) <= set(SITE_NAMES)
    assert config.offer
    assert config.holds.without_page == "reject"


def test_the_starter_config_is_valid(tmp_path: Path) -> None:
    from pullcheck.commands.config import starter_text

    assert load_config(write(tmp_path, "c.yaml", starter_text())).mode == "warn"


def test_site_names_match_the_site_adapters() -> None:
    from pullcheck.sites import ADAPTERS

    assert {adapter.name for adapter in ADAPTERS} == set(SITE_NAMES)


def test_an_allowlisted_recipient_is_not_warned_about(tmp_path: Path) -> None:
    from pullcheck.models import Draft

    draft = Draft(
        kind="dm",
        text="Thanks for following! Visit my site acme-web.example",
        recipients=["@new_fan"],
        recipient_is_new_follower=True,
    )
    assert (
        build_engine(load_config(write(tmp_path, "a.yaml", "mode: warn\n")))
        .judge(draft)
        .reaches("warning")
    )
    allowing = load_config(write(tmp_path, "b.yaml", "allow:\n  handles: ['@New_Fan']\n"))
    assert not build_engine(allowing).judge(draft).reaches("warning")


def test_an_allowlisted_domain_is_not_counted_as_a_link(tmp_path: Path) -> None:
    from pullcheck.models import Draft

    draft = Draft(
        kind="reply",
        text="Here you go: https://acme-web.example/docs",
        recipients=[],
        reply_to=None,
    )
    plain = build_engine(load_config(write(tmp_path, "a.yaml", "mode: warn\n")))
    allowing = build_engine(
        load_config(write(tmp_path, "b.yaml", "allow:\n  domains: [acme-web.example]\n"))
    )
    assert len(plain.features_of(draft).links) == 1
    assert len(allowing.features_of(draft).links) == 0


def test_an_extra_rule_folder_adds_rules_the_config_can_tune(tmp_path: Path) -> None:
    source = (REPO / "rules" / "PP201-unsolicited-pitch-reply.yaml").read_text()
    mine = source.replace("code: PP201", "code: PP901").replace(
        "name: unsolicited-pitch-reply", "name: my-pitch-reply"
    )
    write(tmp_path, "my-rules/PP901-my-pitch-reply.yaml", mine)
    config = load_config(
        write(tmp_path, "c.yaml", "rule_folders: [my-rules]\nrules:\n  PP901: info\n")
    )
    assert "PP901" in pack_rules(rule_pack(config))
    assert engine_settings(config).severities == {"PP901": "info"}


def test_a_broken_rule_in_an_extra_folder_names_the_rule_file(tmp_path: Path) -> None:
    rule = write(tmp_path, "my-rules/PP902-broken.yaml", "code: PP902\nname: broken\n")
    error = error_of(write(tmp_path, "c.yaml", "mode: warn\nrule_folders: [my-rules]\n"))
    assert (error.file, error.line, error.key) == (tmp_path / "c.yaml", 2, "rule_folders")
    assert str(rule) in error.message


def test_a_section_left_empty_means_its_defaults(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "c.yaml", "rules:\n  # PP101: off\nsites:\nallow:\n  handles:\n")
    )
    assert config.rules == {}
    assert config.sites == {}
    assert config.allow.handles == []


def test_score_thresholds_reach_the_engine(tmp_path: Path) -> None:
    from pullcheck.engine import EngineSettings

    defaults = engine_settings(load_config(write(tmp_path, "a.yaml", "mode: warn\n")))
    assert defaults.warning_score == EngineSettings().warning_score
    settings = engine_settings(
        load_config(write(tmp_path, "b.yaml", "scores:\n  warning: 20\n  error: 90\n"))
    )
    assert (settings.warning_score, settings.error_score) == (20, 90)
    error = error_of(write(tmp_path, "c.yaml", "scores:\n  warning: 70\n  error: 50\n"))
    assert error.key == "scores"
    assert "above" in error.message


def test_not_push_choices_apply_without_a_config_file(tmp_path: Path) -> None:
    write(tmp_path, "data/notpush.yaml", "- {code: PP102, recipient: dana}\n")
    config = load_config(None)
    assert config.allow.handles == ["dana"]
    assert config.sources == [tmp_path / "default-config.yaml", tmp_path / "data" / "notpush.yaml"]


def test_not_push_choices_follow_the_data_folder_the_config_is_loaded_for(
    tmp_path: Path,
) -> None:
    # The proxy's `pullcheck_data_dir` wins over $PULLCHECK_DATA_DIR, as it does for the
    # sent log: the banner writes its choices there, and the config must read them there.
    write(tmp_path, "data/notpush.yaml", "- {code: PP102, recipient: dana}\n")
    write(tmp_path, "elsewhere/notpush.yaml", "- {code: PP102, recipient: erin}\n")
    config = load_config(None, data_folder=tmp_path / "elsewhere")
    assert config.notpush_path() == tmp_path / "elsewhere" / "notpush.yaml"
    assert config.allow.handles == ["erin"]
    named = load_config(write(tmp_path, "c.yaml", "mode: warn\n"), data_folder=tmp_path / "x")
    assert named.sources[-1] == tmp_path / "x" / "notpush.yaml"


def test_a_list_of_one_may_be_written_as_its_item(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            "c.yaml",
            "offer: widget repair\nallow:\n  handles: '@bob'\n"
            "sites:\n  mastodon:\n    hosts: example.social\n",
        )
    )
    assert config.offer == ["widget repair"]
    assert config.allow.handles == ["bob"]
    assert config.site("mastodon").hosts == ["example.social"]


def test_aliases_that_expand_without_end_are_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    error = error_of(write(tmp_path, "c.yaml", "\n".join(lines) + "\n"))
    assert "keys and items" in error.message
