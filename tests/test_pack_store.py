"""The shipped rule pack is kept on disk for the next process, and never read back stale."""

from __future__ import annotations

import io
import pickle
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pullcheck import pack_store, rulebook
from pullcheck.engine import Engine, EngineSettings
from pullcheck.models import Draft, ReplyTarget
from pullcheck.rulebook import (
    PACK_MODULES,
    RulePack,
    builtin_pack,
    builtin_rules_dir,
    load_rule_pack,
    stored_pack_key,
    stored_pack_name,
)

PITCH = "Check out my agency, we help SaaS founders cut churn. Book a call: calendly.com/x"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder, and no pack remembered in this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rulebook._PACKS.clear()
    yield tmp_path / "cache" / "pullcheck"
    rulebook._PACKS.clear()


def stored(cache: Path) -> Path:
    return cache / f"{stored_pack_name()}.pickle"


def forbid_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> RulePack:
        raise AssertionError("the pack was built, not read back")

    monkeypatch.setattr(rulebook, "_build_rule_pack", fail)


def test_loading_the_shipped_pack_stores_it_privately(cache: Path) -> None:
    builtin_pack()
    assert stat.S_IMODE(stored(cache).stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_the_next_process_reads_the_stored_pack_back(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = builtin_pack()
    rulebook._PACKS.clear()  # as in a new process
    forbid_building(monkeypatch)
    read_back = builtin_pack()
    assert read_back is not built
    assert read_back.codes() == built.codes()


def test_a_stored_pack_judges_as_the_built_one(cache: Path) -> None:
    built = builtin_pack()
    rulebook._PACKS.clear()
    read_back = builtin_pack()
    draft = Draft(kind="reply", text=PITCH, reply_to=ReplyTarget(text="Nice sunset!"))
    verdicts = [Engine(pack, EngineSettings()).judge(draft) for pack in (built, read_back)]
    assert verdicts[0].findings
    assert verdicts[1] == verdicts[0]


def test_a_corrupt_store_is_ignored_and_written_again(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builtin_pack()
    header = stored(cache).read_bytes().split(b"\n", 1)[0]
    stored(cache).write_bytes(header + b"\nnot a pickle")
    rulebook._PACKS.clear()
    assert builtin_pack().codes()
    rulebook._PACKS.clear()
    forbid_building(monkeypatch)
    assert builtin_pack().codes()


def test_a_pack_stored_under_another_key_is_not_read(cache: Path) -> None:
    assert pack_store.save(cache, "pack", "old-key", ["stale"])
    assert pack_store.load(cache, "pack", "new-key") is None
    assert pack_store.load(cache, "pack", "old-key") == ["stale"]


def test_an_edited_rule_file_changes_the_key(tmp_path: Path) -> None:
    rule = tmp_path / "rule.yaml"
    rule.write_text("code: PP001\n", encoding="utf-8")
    before = stored_pack_key([rule])
    rule.write_text("code: PP002\n", encoding="utf-8")
    assert stored_pack_key([rule]) != before


def test_the_source_of_a_compiled_module_changes_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A compiled module runs from a small loader (`phrase_matcher.<abi>.so`) whose bytes need
    # not change with the code: the source it was built from is keyed too.
    loader = tmp_path / "phrase_matcher.cpython-311-x86_64-linux-gnu.so"
    loader.write_bytes(b"loader")
    source = tmp_path / "phrase_matcher.py"
    source.write_text("VERSION = 1\n", encoding="utf-8")
    module = ModuleType("pullcheck.phrase_matcher")
    module.__file__ = str(loader)
    monkeypatch.setitem(sys.modules, "pullcheck.phrase_matcher", module)
    before = stored_pack_key([])
    source.write_text("VERSION = 2\n", encoding="utf-8")
    assert stored_pack_key([]) != before


def test_an_unwritable_cache_still_loads_the_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    rulebook._PACKS.clear()
    try:
        assert builtin_pack().codes()
    finally:
        rulebook._PACKS.clear()


def test_a_pack_with_your_own_rules_is_not_stored(cache: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    load_rule_pack([builtin_rules_dir(), mine])
    assert not stored(cache).exists()


def test_the_stored_pack_holds_objects_of_the_keyed_modules_only(cache: Path) -> None:
    """The key covers the source of `PACK_MODULES`: an object of another pullcheck module in the
    pack could change its code unseen."""
    pack = builtin_pack()
    modules: set[str] = set()

    class Recorder(pickle.Pickler):
        def reducer_override(self, obj: object) -> Any:
            modules.add((obj if isinstance(obj, type) else type(obj)).__module__)
            return NotImplemented

    Recorder(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL).dump(pack)
    ours = {name for name in modules if name.split(".")[0] == "pullcheck"}
    assert ours <= set(PACK_MODULES)


def test_a_store_others_can_write_to_is_not_read(cache: Path) -> None:
    assert pack_store.save(cache, "pack", "key", ["mine"])
    (cache / "pack.pickle").chmod(0o666)
    assert pack_store.load(cache, "pack", "key") is None


def test_no_home_folder_still_loads_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", no_home)
    rulebook._PACKS.clear()
    try:
        assert builtin_pack().codes()
    finally:
        rulebook._PACKS.clear()
