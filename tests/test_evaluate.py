"""Corpus evaluation: rows to drafts, overall and per-rule metrics, misses, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pullcheck.engine import Engine, EngineSettings
from pullcheck.evaluate import CorpusError, evaluate_file, half_of, row_to_draft
from pullcheck.rulebook import builtin_pack

ENGINE = Engine(builtin_pack())
HEADER = "id,source,platform,kind,text,parent,context,label\n"


def corpus(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "tiny.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_rows_map_to_drafts() -> None:
    draft = row_to_draft(
        {
            "platform": "twitter",
            "kind": "reply",
            "text": "hi",
            "parent": "@airline where are my bags?",
            "context": "brand reply",
        }
    )
    assert draft.platform == "x"
    assert draft.kind == "reply"
    assert draft.reply_to is not None
    assert draft.reply_to.text == "@airline where are my bags?"
    assert draft.context == "brand reply"
    assert row_to_draft({"text": "x", "parent": ""}).reply_to is None


def test_overall_and_per_rule_metrics(tmp_path: Path) -> None:
    path = corpus(
        tmp_path,
        (
            "1,t,youtube,reply,Check out my channel and subscribe!,Music video,c,push\n"
            "2,t,youtube,reply,Love this song,Music video,c,ok\n"
            "3,t,youtube,reply,great tune,Music video,c,push\n"
            "4,t,youtube,reply,Subscribe to my channel pls,Music video,c,ok\n"
        ),
    )
    result = evaluate_file(path, ENGINE)
    overall = result["overall"]
    assert (overall["tp"], overall["fp"], overall["tn"], overall["fn"]) == (1, 1, 1, 1)
    assert overall["precision"] == 0.5
    assert overall["recall"] == 0.5
    assert overall["rows"] == 4
    assert result["rules"]["PP202"]["tp"] == 1
    assert result["rules"]["PP202"]["fp"] == 1
    assert result["rules"]["PP101"]["precision"] is None  # never fired: no denominator
    assert [miss["id"] for miss in result["misses"]["false_negatives"]] == ["3"]
    assert [miss["id"] for miss in result["misses"]["false_positives"]] == ["4"]


def test_all_ok_corpus_has_no_recall(tmp_path: Path) -> None:
    path = corpus(tmp_path, "1,t,twitter,reply,Sorry to hear that,@airline late again,c,ok\n")
    overall = evaluate_file(path, ENGINE)["overall"]
    assert overall["recall"] is None
    assert overall["false_positive_rate"] == 0.0


def test_fail_on_info_counts_info_verdicts(tmp_path: Path) -> None:
    path = corpus(tmp_path, "1,t,youtube,reply,https://acme.example/x,Music video,c,push\n")
    # A bare link is one info finding; the learned guess (PP207) would add a second one.
    link_only = Engine(builtin_pack(), EngineSettings(disabled={"PP207"}))
    assert evaluate_file(path, link_only)["overall"]["tp"] == 0
    assert evaluate_file(path, link_only, fail_on="info")["overall"]["tp"] == 1


def test_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="label"):
        evaluate_file(path, ENGINE)


def test_unknown_label_names_the_line(tmp_path: Path) -> None:
    path = corpus(tmp_path, "1,t,youtube,reply,hi,,c,spam\n")
    with pytest.raises(CorpusError, match=r"tiny.csv:2"):
        evaluate_file(path, ENGINE)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="cannot open"):
        evaluate_file(tmp_path / "nope.csv", ENGINE)


def test_context_facts_reach_the_draft() -> None:
    draft = row_to_draft(
        {
            "kind": "reply",
            "text": "hi",
            "parent": "my card is frozen again",
            "context": "no prior conversation; new follower; writer is @SwiftBank; "
            "parent addressed @BigBank",
        }
    )
    assert draft.prior_conversation is False
    assert draft.recipient_is_new_follower is True
    assert draft.author == "swiftbank"
    assert draft.reply_to is not None
    assert draft.reply_to.addressed == ("bigbank",)


def test_they_wrote_first_is_a_prior_conversation() -> None:
    assert (
        row_to_draft({"kind": "dm", "text": "hi", "context": "they wrote first"}).prior_conversation
        is True
    )


def test_unknown_context_words_change_nothing() -> None:
    draft = row_to_draft({"kind": "reply", "text": "hi", "context": "r/Cooking; something else"})
    assert draft.prior_conversation is None
    assert draft.author is None


def test_halves_split_rows_by_id_and_together_are_the_whole(tmp_path: Path) -> None:
    lines = "".join(f"r{n},t,youtube,reply,hello {n},Music video,c,ok\n" for n in range(40))
    path = corpus(tmp_path, lines)
    tune = evaluate_file(path, ENGINE, half="tune")["overall"]["rows"]
    check = evaluate_file(path, ENGINE, half="check")["overall"]["rows"]
    assert tune + check == 40
    assert 0 < tune < 40
    assert half_of("r1") == half_of("r1")
    assert {half_of(f"r{n}") for n in range(40)} == {
        "tune",
        "check",
    }


def test_sent_to_many_people_is_replayed_into_the_sent_history(tmp_path: Path) -> None:
    text = "Hi! Grab our spring catalogue at acme.example/spring"
    path = corpus(
        tmp_path,
        f"1,t,x,dm,{text},,sent to 6 people,push\n"
        f"2,t,x,dm,{text} today,,no prior conversation,ok\n",
    )
    result = evaluate_file(path, Engine(builtin_pack()))
    assert result["rules"]["PP301"]["tp"] == 1


def test_a_reply_to_someone_who_wrote_first_answers_its_own_customer() -> None:
    draft = row_to_draft(
        {
            "kind": "reply",
            "text": "Please dial 1-800-221-1212, we offer help",
            "parent": "@airline my bag is lost",
            "context": "brand replying to a customer who wrote to it first",
        }
    )
    assert draft.prior_conversation is True
    assert draft.author is not None
    assert draft.reply_to is not None
    assert draft.author in draft.reply_to.addressed
    assert not ENGINE.judge(draft).reaches("warning")
