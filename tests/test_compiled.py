"""The compiled phrase matcher (setup.py) runs only when it is current, and finds exactly what
its source finds."""

from __future__ import annotations

import csv
import importlib.util
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType

import pullcheck.phrase_matcher
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pullcheck.compiled import STALE_AFTER, out_of_date, prefer_current_source
from pullcheck.phrase_matcher import _ascii_parts
from pullcheck.phrase_syntax import TOKEN_SPLIT_ASCII
from pullcheck.phrases import normalise
from pullcheck.rulebook import builtin_pack

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"
SUFFIX = EXTENSION_SUFFIXES[0]


def built(folder: Path, *, source_age: float, runtime: bool = True) -> Path:
    """A module `phrase_matcher` in `folder` with a compiled copy (`source_age` seconds older
    than the source, negative: newer) and, with `runtime`, the copy's runtime library."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "phrase_matcher.py"
    source.write_text("WHERE = 'source'\n")
    binary = folder / f"phrase_matcher{SUFFIX}"
    binary.write_bytes(b"")
    if runtime:
        (folder / f"phrase_matcher__mypyc{SUFFIX}").write_bytes(b"")
    now = source.stat().st_mtime
    os.utime(binary, (now - source_age, now - source_age))
    return folder


def test_a_compiled_copy_built_after_its_source_runs(tmp_path: Path) -> None:
    assert out_of_date(built(tmp_path, source_age=-60), "phrase_matcher") is None


def test_a_source_edited_after_the_build_runs_instead(tmp_path: Path) -> None:
    why = out_of_date(built(tmp_path, source_age=120), "phrase_matcher")
    assert why == f"phrase_matcher.py changed after phrase_matcher{SUFFIX} was built"


def test_files_written_together_by_an_install_count_as_current(tmp_path: Path) -> None:
    # pip writes a wheel's files one after the other: the source may come a moment later.
    assert out_of_date(built(tmp_path, source_age=STALE_AFTER / 2), "phrase_matcher") is None


def test_a_compiled_copy_without_its_runtime_gives_way(tmp_path: Path) -> None:
    why = out_of_date(built(tmp_path, source_age=-60, runtime=False), "phrase_matcher")
    assert why is not None
    assert "without its runtime" in why


def test_a_module_without_a_compiled_copy_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "phrase_matcher.py").write_text("")
    assert out_of_date(tmp_path, "phrase_matcher") is None


def test_the_source_of_an_out_of_date_copy_is_what_gets_imported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = built(tmp_path / "stalepkg", source_age=120)
    try:
        assert prefer_current_source("stalepkg", folder) == ["phrase_matcher"]
        assert sys.modules["stalepkg.phrase_matcher"].WHERE == "source"
    finally:
        sys.modules.pop("stalepkg.phrase_matcher", None)
    assert "running the source" in caplog.text


@pytest.mark.skipif(
    not os.environ.get("PULLCHECK_EXPECT_COMPILED"),
    reason="set by tests/run-all.sh, whose install compiles the matcher",
)
def test_the_install_under_test_runs_the_compiled_matcher() -> None:
    assert pullcheck.phrase_matcher.COMPILED, pullcheck.phrase_matcher.__file__


def source_matcher() -> ModuleType:
    """pullcheck/phrase_matcher.py itself, loaded beside whatever `import` found."""
    source = Path(pullcheck.__file__).parent / "phrase_matcher.py"
    spec = importlib.util.spec_from_file_location("phrase_matcher_source", source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def corpus_texts(limit_per_file: int = 1500) -> list[str]:
    texts: list[str] = []
    for path in sorted(CORPORA.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as file:
            for row, _ in zip(csv.DictReader(file), range(limit_per_file), strict=False):
                texts += [row["text"], row.get("parent") or ""]
    return texts


@pytest.mark.skipif(not pullcheck.phrase_matcher.COMPILED, reason="the matcher runs as source")
def test_the_compiled_matcher_finds_what_its_source_finds() -> None:
    compiled = builtin_pack().phrasebook.index
    source = source_matcher().PhraseIndex()
    source.phrases = list(compiled.phrases)
    source.patterns = list(compiled.patterns)
    texts = corpus_texts()
    assert len(texts) > 5000
    for text in map(normalise, texts):
        for first_only in (True, False):
            assert compiled.find(text, first_only) == source.find(text, first_only), text


@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.sampled_from(["", " ", "a", "'"]))
def test_the_compiled_cut_of_ascii_text_is_the_regex_cut(text: str) -> None:
    # Compiled, tokenise cuts ASCII text with `_ascii_parts`; the source keeps the regex.
    lowered = text.lower()
    assert _ascii_parts(lowered) == TOKEN_SPLIT_ASCII.split(lowered)
