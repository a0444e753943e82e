"""The learned second opinion (rule PP207): the shipped model, its gate, and its training script."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pullcheck.engine import Engine, EngineSettings
from pullcheck.models import Draft, ReplyTarget
from pullcheck.rulebook import builtin_pack
from pullcheck.second_opinion import (
    FeatureSpec,
    ModelError,
    SecondOpinion,
    builtin_model,
    builtin_model_path,
    prepared,
)

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"
SPAM = "Hey guys check out my new channel and our first vid, please subscribe"
FAN = "I love this song so much, it reminds me of summer 2012"
VIDEO = "PSY - GANGNAM STYLE (official music video)"


def training_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "train_second_opinion", REPO / "tools" / "train_second_opinion.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: the script defines dataclasses, which look their module up.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(builtin_pack())


def pp207(engine: Engine, draft: Draft) -> list[str]:
    return [f.code for f in engine.judge(draft).findings if f.code == "PP207"]


def comment(text: str, parent: str | None = VIDEO, **fields: Any) -> Draft:
    return Draft(
        platform="youtube", kind="comment", text=text, reply_to=ReplyTarget(text=parent), **fields
    )


# -- the shipped model ---------------------------------------------------------------------------


def test_shipped_model_loads_with_its_spec_threshold_and_training_record() -> None:
    model = builtin_model()
    assert model.spec.max_chars > 0
    assert model.char_weights
    assert model.word_weights
    corpora = {entry["file"]: entry for entry in model.provenance["corpora"]}
    assert "youtube.csv" in corpora
    assert "twcs.csv" in corpora
    assert all(entry["half"] == "tune" and len(entry["sha256"]) == 64 for entry in corpora.values())
    assert model.provenance["threshold_choice"]["out_of_fold_precision"] >= 0.97


def test_shipped_model_file_is_what_the_model_writes() -> None:
    text = builtin_model_path().read_text(encoding="utf-8")
    assert SecondOpinion.from_json(text).to_json() == text


def test_same_text_gives_the_same_margin_from_two_loads() -> None:
    again = SecondOpinion.load(builtin_model_path())
    for text in (SPAM, FAN, "", "x" * 5000):
        assert again.margin(text) == builtin_model().margin(text)


def test_comment_spam_reads_as_spam_and_a_fan_comment_does_not() -> None:
    assert builtin_model().flags(SPAM)
    assert not builtin_model().flags(FAN)


def test_only_the_first_max_chars_are_read() -> None:
    model = builtin_model()
    start = FAN + " " * (model.spec.max_chars - len(FAN))
    assert model.margin(start + SPAM) == model.margin(start)


def margin_from_string_slices(model: SecondOpinion, text: str) -> float:
    """The margin as judging first computed it: each n-gram cut from the text as a string and
    looked up in `char_weights`, at most max_chars + 2 of them per size, summed in text order."""
    ready = prepared(text, model.spec)
    total = 0.0
    count = 0
    for size in dict.fromkeys(model.spec.char_sizes):
        positions = len(ready) - size + 1
        if positions <= 0:
            continue
        weighed = min(positions, model.spec.max_chars + 2)
        total += sum(model.char_weights.get(ready[at : at + size], 0.0) for at in range(weighed))
        count += positions
    words = ready.split() if model.spec.words else []
    total += sum(model.word_weights.get(word, 0.0) for word in words)
    count += len(words)
    return model.bias + (total / math.sqrt(count) if count else 0.0)


VARIED_TEXTS = {
    "empty": "",
    "shorter than an n-gram": "a",
    "two characters": "ab",
    "only whitespace": "  \t\n ",
    "one word": "Hey",
    "spam": SPAM,
    "fan comment": FAN,
    "shouting then a fan comment": SPAM.upper() + "!!! " + FAN,
    "whitespace runs": "check   out \t my\n\n channel     and\u3000subscribe",
    "Korean": "정말 멋진 영상이네요! 제 채널도 구독해 주세요",
    "emoji and accents": "Schönes Foto 😀 ab 499 €, naïve café (강남) 🎶🎶",
    # lower() makes each "İ" two characters, so the text read grows past max_chars + 2.
    "lower-casing lengthens, then x": "İ" * 30 + "x" * 170,
    "lower-casing lengthens, then spam": "İ" * 100 + "check out my channel " * 5,
    "5,000 x": "x" * 5000,
    "long spam": (SPAM + " ") * 40,
    "long fan comment with emoji": (FAN + " 😀 ") * 40,
}


@pytest.mark.parametrize("text", VARIED_TEXTS.values(), ids=VARIED_TEXTS.keys())
def test_margin_is_the_same_float_as_cutting_the_ngrams_as_strings(text: str) -> None:
    model = builtin_model()
    assert model.margin(text) == margin_from_string_slices(model, text)


@pytest.mark.parametrize("text", VARIED_TEXTS.values(), ids=VARIED_TEXTS.keys())
def test_each_ngram_size_reads_only_its_own_weights(text: str) -> None:
    # Two sizes whose weights share a start ("ch" and "chec"), and units beyond ASCII.
    model = SecondOpinion(
        spec=FeatureSpec(char_sizes=(2, 4), max_chars=60, words=True),
        bias=-0.25,
        char_weights={"ch": 0.5, "chec": 1.25, " 정말": 0.75, "요": 0.1, " x": -0.3, "xxxx": 0.01},
        word_weights={"subscribe": 2.0, "song": -1.5},
        threshold=0.5,
    )
    assert model.margin(text) == margin_from_string_slices(model, text)


def test_a_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{"format": 1, "bias": 0}', encoding="utf-8")
    with pytest.raises(ModelError, match=r"model\.json: not a second-opinion model"):
        SecondOpinion.load(path)


# -- the gate ------------------------------------------------------------------------------------


def test_notes_spam_shape_in_a_comment_under_a_post_that_did_not_ask(engine: Engine) -> None:
    assert pp207(engine, comment(SPAM)) == ["PP207"]


def test_alone_it_is_information_and_never_a_warning(engine: Engine) -> None:
    verdict = Engine(builtin_pack().only("PP207")).judge(comment(SPAM))
    assert [f.code for f in verdict.findings] == ["PP207"]
    assert verdict.level == "info"


def test_its_message_says_it_is_a_statistical_guess(engine: Engine) -> None:
    finding = next(f for f in engine.judge(comment(SPAM)).findings if f.code == "PP207")
    assert "statistical guess" in finding.message


def test_never_runs_on_dms(engine: Engine) -> None:
    assert pp207(engine, Draft(kind="dm", text=SPAM, recipients=["sam"])) == []


def test_never_runs_on_posts(engine: Engine) -> None:
    assert pp207(engine, Draft(kind="post", text=SPAM)) == []


def test_never_runs_on_connection_notes(engine: Engine) -> None:
    assert pp207(engine, Draft(platform="linkedin", kind="connect-note", text=SPAM)) == []


def test_never_runs_on_replies_to_an_ask(engine: Engine) -> None:
    draft = comment(SPAM, parent="Can anyone recommend a vlog channel about Lisbon?")
    assert pp207(engine, draft) == []


def test_never_runs_under_a_parent_with_a_question_the_ask_wording_missed(
    engine: Engine,
) -> None:
    assert pp207(engine, comment(SPAM, parent="Is there a good vlog about Lisbon?")) == []


def test_never_runs_on_a_draft_by_the_account_the_parent_addressed(engine: Engine) -> None:
    draft = Draft(
        platform="x",
        kind="reply",
        text=SPAM,
        author="acme",
        reply_to=ReplyTarget(text="@acme the app logs me out", addressed=("acme",)),
    )
    assert pp207(engine, draft) == []


def test_turned_off_by_the_config(engine: Engine) -> None:
    off = Engine(builtin_pack(), EngineSettings(disabled={"PP207"}))
    assert pp207(off, comment(SPAM)) == []


# -- the training script -------------------------------------------------------------------------


def write_corpus(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "kind", "text", "parent", "label"])
        for index, (text, label) in enumerate(rows):
            writer.writerow([f"{path.stem}-{index}", "reply", text, VIDEO, label])


@pytest.fixture
def tiny_corpora(tmp_path: Path) -> Path:
    spam = [
        "check out my channel and subscribe {}",
        "subscribe to my channel pls {}",
        "free gift cards at my site {}",
    ]
    fans = ["love this song {}", "the drummer is great {}", "best video ever {}"]
    write_corpus(
        tmp_path / "youtube.csv",
        [(text.format(n), "push") for n in range(30) for text in spam]
        + [(text.format(n), "ok") for n in range(30) for text in fans],
    )
    write_corpus(
        tmp_path / "twcs.csv",
        [(f"please DM us your booking reference {n}", "ok") for n in range(30)],
    )
    return tmp_path


def test_training_on_the_same_corpora_writes_the_same_bytes(tiny_corpora: Path) -> None:
    script = training_script()
    first = script.build_model(tiny_corpora, epochs=2).to_json()
    second = script.build_model(tiny_corpora, epochs=2).to_json()
    assert first == second


def test_training_reads_only_the_tune_half_and_records_the_corpora(tiny_corpora: Path) -> None:
    script = training_script()
    model = script.build_model(tiny_corpora, epochs=2)
    record = {entry["file"]: entry for entry in model.provenance["corpora"]}
    youtube = (tiny_corpora / "youtube.csv").read_bytes()
    assert record["youtube.csv"]["sha256"] == hashlib.sha256(youtube).hexdigest()
    with (tiny_corpora / "youtube.csv").open(encoding="utf-8") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    from pullcheck.evaluate import half_of

    assert record["youtube.csv"]["rows"] == sum(half_of(row_id) == "tune" for row_id in ids)
    assert model.flags("check out my channel and subscribe")
    assert not model.flags("love this song")


def test_training_writes_the_file_it_is_asked_to(tiny_corpora: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    script = training_script()
    assert script.main(["--corpora", str(tiny_corpora), "--out", str(out)]) == 0
    assert SecondOpinion.load(out).to_json() == script.build_model(tiny_corpora).to_json()


def test_training_script_reproduces_the_shipped_model_byte_for_byte() -> None:
    shipped = builtin_model()
    for entry in shipped.provenance["corpora"]:
        path = CORPORA / entry["file"]
        if not path.is_file():
            pytest.skip(f"{path} is not here")
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            pytest.skip(f"{path} is not the file the shipped model was trained on")
    rebuilt = training_script().build_model(CORPORA).to_json()
    assert rebuilt == builtin_model_path().read_text(encoding="utf-8")


def test_a_pack_whose_model_cannot_load_names_the_model_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pullcheck import second_opinion
    from pullcheck.rulebook import RulePackError, builtin_rules_dir, load_rule_pack

    missing = tmp_path / "second_opinion.json"
    monkeypatch.setattr(second_opinion, "builtin_model_path", lambda: missing)
    second_opinion.builtin_model.cache_clear()
    try:
        with pytest.raises(RulePackError, match=r"PP207 asks the learned second opinion.*cannot"):
            load_rule_pack([builtin_rules_dir()], check_examples=False)
    finally:
        monkeypatch.undo()
        second_opinion.builtin_model.cache_clear()
