"""The command line: exit codes, output shapes, explain, rules, eval and config check."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pullcheck.cli import main
from pullcheck.commands import rules as rules_command
from pullcheck.config import Config
from pullcheck.pack_cache import pack_rules, rule_pack
from pullcheck.rulebook import builtin_rules_dir, load_rule_pack

PUSH_DM = "Thanks for following! Visit my website acme-web.example and get 20% off today"
PULL_POST = "We just published our notes from the meetup, thanks to everyone who came!"


def bare_env(tmp_path: Path) -> dict[str, str]:
    """A child process's whole environment: no config, data or cache of the user's, and only
    the system's PATH (the tests that use it check what the command imports)."""
    return {
        "PULLCHECK_CONFIG": str(tmp_path / "none.yaml"),
        "PULLCHECK_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"],
    }


def python_in_bare_env(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`python -c script` in `bare_env`, its output captured."""
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=bare_env(tmp_path),
    )


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "no-config.yaml"))


@pytest.fixture(scope="module")
def rules() -> dict:
    return pack_rules(rule_pack(Config()))


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def push_dm_args(*extra: str) -> list[str]:
    return ["check", "--kind", "dm", "--new-follower", "--recipient", "@new_fan", *extra, PUSH_DM]


# --- check ---------------------------------------------------------------------------------


def test_check_exits_1_when_a_finding_reaches_warning(capsys) -> None:
    code, out, _ = cli(capsys, *push_dm_args())
    assert code == 1
    assert re.search(r"^(warning|error): PP\d+ ", out, re.M)
    assert "«" in out
    assert "»" in out
    assert "why: " in out
    assert "instead: " in out
    assert re.search(r"level: (warning|error)\s+push score: \d+/100", out)


def test_check_exits_0_for_a_pull_post(capsys) -> None:
    code, out, _ = cli(capsys, "check", "--kind", "post", PULL_POST)
    assert code == 0
    assert "level: none" in out


def test_fail_on_error_lets_a_warning_pass(capsys, tmp_path: Path, rules: dict) -> None:
    # Every rule down to warning: the same draft now fails on warning but passes on error.
    config = tmp_path / "c.yaml"
    config.write_text("rules:\n" + "".join(f"  {code}: warning\n" for code in rules))
    assert cli(capsys, *push_dm_args("--config", str(config)))[0] == 1
    code, _, _ = cli(capsys, *push_dm_args("--config", str(config), "--fail-on", "error"))
    assert code == 0


def test_check_json_shape(capsys) -> None:
    code, out, _ = cli(capsys, *push_dm_args("--json"))
    assert code == 1
    verdict = json.loads(out)
    assert set(verdict) == {"level", "score", "findings"}
    assert verdict["level"] in ("warning", "error")
    assert 0 <= verdict["score"] <= 100
    assert verdict["findings"]
    for finding in verdict["findings"]:
        assert set(finding) == {"code", "name", "severity", "message", "span", "why", "instead"}
        if finding["span"] is not None:
            start, end = finding["span"]
            assert 0 <= start < end <= len(PUSH_DM)


def test_check_reads_the_draft_from_stdin(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PUSH_DM))
    code, out, _ = cli(capsys, "check", "--kind", "dm", "--new-follower", "--json", "-")
    assert code == 1
    assert json.loads(out)["findings"]


def test_a_switched_off_rule_does_not_fire(capsys, tmp_path: Path) -> None:
    _, out, _ = cli(capsys, *push_dm_args("--json"))
    codes = {finding["code"] for finding in json.loads(out)["findings"]}
    config = tmp_path / "c.yaml"
    config.write_text("rules:\n" + "".join(f"  {code}: off\n" for code in codes))
    _code, out, _ = cli(capsys, *push_dm_args("--json", "--config", str(config)))
    assert not codes & {finding["code"] for finding in json.loads(out)["findings"]}


def test_check_exits_2_on_an_invalid_config(capsys, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("mode: warn\nhold_att: error\n")
    code, out, err = cli(capsys, "check", "--config", str(config), PULL_POST)
    assert code == 2
    assert out == ""
    assert f"{config}:2: key 'hold_att'" in err
    assert "did you mean 'hold_at'" in err


def test_check_exits_2_on_bad_usage(capsys) -> None:
    assert cli(capsys, "check", "--kind", "shout", "hello")[0] == 2
    assert cli(capsys, "check", "--fail-on", "panic", "hello")[0] == 2
    assert cli(capsys, "check", "--config", "/nonexistent/pullcheck.yaml", "hi")[0] == 2


# --- rules and explain ------------------------------------------------------------------------


def test_rules_lists_every_rule_with_its_state(capsys, tmp_path: Path, rules: dict) -> None:
    code, out, _ = cli(capsys, "rules")
    assert code == 0
    assert out.splitlines()[0].split() == ["CODE", "NAME", "STATUS", "SEVERITY", "STATE"]
    for rule_code, rule in rules.items():
        assert re.search(rf"^{rule_code}\s+{re.escape(rule.name)}\s+", out, re.M)
    first, second = sorted(rules)[:2]
    config = tmp_path / "c.yaml"
    config.write_text(f"rules:\n  {first}: off\n  {second}: error\n")
    _, out, _ = cli(capsys, "rules", "--json", "--config", str(config))
    rows = {row["code"]: row for row in json.loads(out)}
    assert rows[first]["state"] == "off"
    assert (rows[second]["severity"], rows[second]["state"]) == ("error", "on")


def test_rules_check_runs_every_shipped_example_and_exits_0(capsys) -> None:
    code, out, _ = cli(capsys, "rules", "--check")
    assert code == 0
    assert out.strip().endswith("all pass")


def test_rules_check_lists_each_failing_example_with_its_file_and_exits_1(
    capsys, tmp_path: Path
) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), folder, ignore=shutil.ignore_patterns("__*"))
    rule_file = folder / "PP401-hard-sell-wording.yaml"
    data = yaml.safe_load(rule_file.read_text())
    data["examples"]["flag"].append({"text": "a calm and quiet sentence", "kind": "post"})
    data["examples"]["pass"].append({"text": "ACT NOW!!! LIMITED TIME", "kind": "post"})
    rule_file.write_text(yaml.safe_dump(data, sort_keys=False))
    config = Config()
    # As if this folder were the shipped pack: a config refuses your own failing rules at load.
    config._pack = load_rule_pack([folder])
    assert rules_command.check(config, as_json=False) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    # file:line: what is wrong, the line being the example's own.
    written = rule_file.read_text().splitlines()
    for line, way, text in zip(
        lines,
        ("flag", "pass"),
        ("a calm and quiet sentence", "ACT NOW!!! LIMITED TIME"),
        strict=True,
    ):
        where, _, message = line.partition(": ")
        file, _, number = where.rpartition(":")
        assert file == str(rule_file)
        assert text in written[int(number) - 1]
        assert message.startswith(f"rule PP401: example {way}[3]")


def test_explain_prints_the_rule_page(capsys, rules: dict) -> None:
    code_, rule = sorted(rules.items())[0]
    code, out, _ = cli(capsys, "explain", code_.lower())
    assert code == 0
    assert out.startswith(f"{code_} {rule.name}")
    for heading in (
        "What it does",
        "Why is this bad?",
        "Example",
        "Use instead",
        "Known problems",
        "Settings",
    ):
        assert f"\n## {heading}\n" in out


def test_explain_accepts_a_slug(capsys, rules: dict) -> None:
    code_, rule = sorted(rules.items())[-1]
    code, out, _ = cli(capsys, "explain", rule.name)
    assert code == 0
    assert out.startswith(code_)


def test_explain_unknown_code_exits_2_with_a_suggestion(capsys, rules: dict) -> None:
    code_ = sorted(rules)[0]
    code, _, err = cli(capsys, "explain", code_ + "9")
    assert code == 2
    assert "unknown rule" in err
    assert "did you mean" in err


# --- eval ------------------------------------------------------------------------------------


def write_corpus(tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    import csv

    path = tmp_path / "tiny.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "source", "platform", "kind", "text", "parent", "context", "label"])
        for index, (kind, text, parent, label) in enumerate(rows):
            writer.writerow([index, "test", "youtube", kind, text, parent, "", label])
    return path


TINY = [
    ("reply", "Check out my channel and subscribe!! www.my-vlog.example", "Cute cat video", "push"),
    (
        "reply",
        "Visit my website acme-web.example for cheap followers, 50% off",
        "Cat video",
        "push",
    ),
    ("reply", "This made my day, the cat at 1:32 is hilarious", "Cute cat video", "ok"),
    ("reply", "Thanks for sharing, where was this filmed?", "Cat video", "ok"),
]


def test_eval_json_has_exactly_the_documented_shape(capsys, tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "eval", str(write_corpus(tmp_path, TINY)), "--json")
    assert code == 0
    result = json.loads(out)
    keys = {"precision", "recall", "f1", "false_positive_rate", "tp", "fp", "tn", "fn", "rows"}
    assert set(result) == {"overall", "rules"}
    assert set(result["overall"]) == keys
    overall = result["overall"]
    assert overall["rows"] == 4 == overall["tp"] + overall["fp"] + overall["tn"] + overall["fn"]
    assert overall["tp"] + overall["fn"] == 2
    for metrics in result["rules"].values():
        assert set(metrics) == keys


def test_eval_rates_without_a_denominator_are_null(capsys, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, [row for row in TINY if row[3] == "ok"])
    _, out, _ = cli(capsys, "eval", str(corpus), "--json")
    overall = json.loads(out)["overall"]
    assert overall["recall"] is None  # no push rows at all
    if overall["tp"] + overall["fp"] == 0:
        assert overall["precision"] is None


def test_eval_prints_a_table_a_confusion_matrix_and_misses(capsys, tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "eval", str(write_corpus(tmp_path, TINY)), "--show-misses", "3")
    assert code == 0
    assert re.search(r"^overall\s+", out, re.M)
    assert "confusion matrix" in out
    assert re.search(r"^label push\s+\d+\s+\d+$", out, re.M)
    assert re.search(r"^label ok\s+\d+\s+\d+$", out, re.M)
    assert "false positives" in out
    assert "false negatives" in out


def test_eval_of_a_missing_file_exits_2(capsys, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "eval", str(tmp_path / "none.csv"))
    assert code == 2
    assert "no such file" in err


# --- config ----------------------------------------------------------------------------------


def test_config_check_accepts_a_good_file(capsys, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("mode: hold\n")
    code, out, _ = cli(capsys, "config", "check", str(config))
    assert code == 0
    assert "ok" in out
    assert "mode hold" in out


def test_config_check_names_file_line_and_key(capsys, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("mode: hold\nsites:\n  x:\n    enabeld: false\n")
    code, out, err = cli(capsys, "config", "check", str(config))
    assert code == 2
    assert out == ""
    assert err.strip() == (
        f"{config}:4: key 'sites.x.enabeld': unknown key 'enabeld' (did you mean 'enabled'?)"
    )


def test_config_path_follows_the_environment(capsys, tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "config", "path")
    assert code == 0
    assert out.strip() == str(tmp_path / "no-config.yaml")
    code, out, _ = cli(capsys, "config", "path", "--data-dir")
    assert out.strip() == str(tmp_path / "data")


def test_config_init_writes_a_valid_starter_once(capsys, tmp_path: Path) -> None:
    target = tmp_path / "fresh" / "config.yaml"
    code, _out, _ = cli(capsys, "config", "init", str(target))
    assert code == 0
    assert target.exists()
    assert target.read_text().startswith("# pullcheck")
    assert cli(capsys, "config", "check", str(target))[0] == 0
    before = target.read_text()
    code, _, err = cli(capsys, "config", "init", str(target))
    assert code == 2
    assert "already exists" in err
    assert target.read_text() == before


def test_the_console_script_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pullcheck.cli", "check", "--json", PULL_POST],
        capture_output=True,
        text=True,
        timeout=60,
        env=bare_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["level"] == "none"


def test_every_rule_has_a_complete_page(capsys, rules: dict) -> None:
    for code_, rule in sorted(rules.items()):
        code, out, _ = cli(capsys, "explain", code_)
        assert code == 0, code_
        flat = " ".join(out.split())
        for example in [*rule.examples.flag, *rule.examples.pass_]:
            assert " ".join(example.text.split()) in flat, (code_, example.text)
        for name, default in rule.params.items():
            assert f"  {name} = {default}" in out, (code_, name)


def test_output_into_a_closed_pipe_ends_quietly_with_the_sigpipe_status():
    """`pullcheck rules | head -1`: no BrokenPipeError traceback, exit 141 like a shell's."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write
    try:
        writer = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pullcheck.cli import main; sys.exit(main(['rules']))",
            ],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert b"Traceback" not in writer.stderr
    assert writer.returncode == 141


def test_check_imports_only_its_own_command_and_not_the_proxy(tmp_path: Path) -> None:
    # The start-up budget (issue 13): the other commands' modules bring mitmproxy and the audit
    # readers, which `pullcheck check` does not need.
    script = (
        "import sys; from pullcheck.cli import main; main(['check', 'hello']); "
        "print(sorted(name for name in sys.modules if name.startswith('pullcheck.commands.'))); "
        "print('mitmproxy' in sys.modules)"
    )
    done = python_in_bare_env(script, tmp_path)
    assert done.returncode == 0, done.stderr
    *_, commands, proxy = done.stdout.splitlines()
    assert commands == "['pullcheck.commands.check', 'pullcheck.commands.options']"
    assert proxy == "False"


def test_help_still_lists_every_command(capsys) -> None:
    from pullcheck.commands import COMMANDS

    code, out, _ = cli(capsys, "--help")
    assert code == 0
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", out, re.MULTILINE), name


def test_a_mistyped_command_is_refused_with_the_list_of_commands(capsys) -> None:
    code, _, err = cli(capsys, "chekc", "hello")
    assert code == 2
    assert "invalid choice: 'chekc'" in err
    assert "'holds'" in err


def test_check_leaves_the_cyclic_collector_on(capsys) -> None:
    import gc

    assert gc.isenabled()
    code, _, _ = cli(capsys, "check", PULL_POST)
    assert code == 0
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("argv", "frozen"), [(["check", "hello"], True), (["config", "path"], False)]
)
def test_the_console_script_leaves_the_heap_to_the_os_only_after_print_only_commands(
    tmp_path: Path, argv: list[str], frozen: bool
) -> None:
    script = (
        "import atexit, gc, sys; from pullcheck.cli import console; "
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0, file=sys.stderr)); "
        f"sys.argv = ['pullcheck', *{argv!r}]; console()"
    )
    done = python_in_bare_env(script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert done.stderr.strip().splitlines()[-1] == f"frozen {frozen}"


def test_decide_imports_only_the_holds_command_that_registers_it(tmp_path: Path) -> None:
    script = (
        "import sys; from pullcheck.cli import main; "
        "code = main(['decide', 'h1-abc', 'send']); "
        "print(code, sorted(n for n in sys.modules if n.startswith('pullcheck.commands.')))"
    )
    done = python_in_bare_env(script, tmp_path)
    assert done.stdout.strip().splitlines()[-1] == (
        "2 ['pullcheck.commands.holds', 'pullcheck.commands.options']"
    )
    assert "no pullcheck proxy is running" in done.stderr
