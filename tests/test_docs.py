"""The README's generated tables (tools/readme_sections.py): the rule table must match the pack
it documents."""

from __future__ import annotations

from pathlib import Path

import readme_sections as docs
from pullcheck.config import Config
from pullcheck.pack_cache import pack_rules, rule_pack

REPO = Path(__file__).resolve().parents[1]


def test_the_readme_rule_table_is_up_to_date_with_the_pack() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = docs.rules_table(rule_pack(Config()))
    assert docs.current_block(readme, "rules") == table, (
        "README rule table is stale: run `python tools/readme_sections.py --rules-only`"
    )


def test_the_rule_table_has_a_row_per_rule_from_the_yaml() -> None:
    rules = pack_rules(rule_pack(Config()))
    table = docs.rules_table(rule_pack(Config()))
    for code, rule in rules.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{code}` |"))
        assert f"| {rule.name} | {rule.status} | {rule.severity}" in row
        assert rule.short in row


def test_check_mode_fails_on_a_stale_table(tmp_path: Path, capsys) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n\n<!-- section:cli -->\n\n<!-- section:rules (generated) -->\n\n"
        "<!-- section:accuracy -->\n"
    )
    assert docs.main(["--readme", str(readme), "--check"]) == 1
    assert docs.main(["--readme", str(readme), "--rules-only"]) == 0
    assert docs.main(["--readme", str(readme), "--check"]) == 0
    text = readme.read_text()
    # The markers go right under the anchor, once, and a second run replaces the block in place.
    assert text.index("<!-- section:rules") < text.index("<!-- rules:start -->")
    assert text.index("<!-- rules:end -->") < text.index("<!-- section:accuracy")
    assert docs.main(["--readme", str(readme), "--rules-only"]) == 0
    assert readme.read_text() == text
    capsys.readouterr()


def test_accuracy_tables_print_null_rates_as_na() -> None:
    metrics = {
        "precision": None,
        "recall": None,
        "f1": None,
        "false_positive_rate": 0.0,
        "tp": 0,
        "fp": 0,
        "tn": 3,
        "fn": 0,
        "rows": 3,
    }
    table = docs.accuracy_tables(
        {"tiny": {"overall": metrics, "rules": {"PP101": metrics}}}, "warning"
    )
    assert "| tiny | both | 3 | n/a | n/a | n/a | 0.0000 | 1.000 | 0 | 0 | 3 | 0 |" in table
    assert "`PP101`" not in table  # a rule that never fired gets no row


def test_accuracy_tables_come_from_eval_on_each_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "tiny.csv"
    corpus.write_text(
        "id,kind,text,parent,label\n"
        "1,reply,Check out my channel and subscribe!! my-vlog.example,Cat video,push\n"
        "2,reply,Where was this filmed?,Cat video,ok\n",
        encoding="utf-8",
    )
    results = docs.run_accuracy(tmp_path, Config(), "warning")
    assert list(results) == ["tiny"]
    assert results["tiny"]["overall"]["rows"] == 2
    halves = results["tiny"]["halves"]
    assert halves["tune"]["rows"] + halves["check"]["rows"] == 2
    table = docs.accuracy_tables(results, "warning")
    assert "| tiny | both | 2 |" in table
    assert "| tiny | check |" in table


def test_the_readme_transcript_shows_the_documented_exit_codes() -> None:
    transcript = docs.cli_examples()
    codes = [
        int(line)
        for line, before in zip(transcript.splitlines()[1:], transcript.splitlines(), strict=False)
        if before == "$ echo $?"
    ]
    # a pitch in a reply, a reply to someone who asked, a cold DM pitch, an off-topic answer
    assert codes == [1, 0, 1, 1]
    assert "They asked about pets; this offers web design." in transcript
    assert "«" in transcript
    assert '"findings": [{"code": "PP102"' in transcript


def test_the_rule_table_shows_each_rules_status_and_references() -> None:
    rules = pack_rules(rule_pack(Config()))
    table = docs.rules_table(rule_pack(Config()))
    assert "| code | name | status | severity | drafts | what it flags | references |" in table
    for code, rule in rules.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{code}` |"))
        assert f"| {rule.name} | {rule.status} |" in row
        for link in rule.links:
            assert f"]({link.url})" in row


def test_the_rule_table_lists_retired_codes_when_there_are_any(tmp_path: Path) -> None:
    from pullcheck.rulebook import builtin_rules_dir, load_rule_pack

    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "retired.yaml").write_text(
        "retired:\n  - {code: PP104, name: old-pitch, reason: folded into PP201., "
        "replaced_by: PP201, removed_in: '0.2.0'}\n"
    )
    pack = load_rule_pack([builtin_rules_dir(), folder], check_examples=False)
    table = docs.rules_table(pack)
    assert "| `PP104` | old-pitch | 0.2.0 | folded into PP201. Use `PP201`. |" in table
    assert "Removed rules" not in docs.rules_table(rule_pack(Config()))  # none shipped yet
