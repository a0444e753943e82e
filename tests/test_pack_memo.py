"""Parts of rule packs are found again by the bytes of the files they were built from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pullcheck.pack_memo import PartMemo, files_digest


class Builds:
    """A build function that counts its calls and returns the file's text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return self.path.read_text(encoding="utf-8")


@pytest.fixture
def rule(tmp_path: Path) -> Path:
    path = tmp_path / "rule.yaml"
    path.write_text("weight: 10\n", encoding="utf-8")
    return path


def test_the_same_bytes_give_the_part_built_before(rule: Path) -> None:
    memo: PartMemo[str] = PartMemo(size=2)
    build = Builds(rule)
    first = memo.get_or_build("rule", [rule], build)
    assert memo.get_or_build("rule", [rule], build) is first
    assert build.count == 1


def test_an_edited_file_builds_the_part_again(rule: Path) -> None:
    memo: PartMemo[str] = PartMemo(size=2)
    build = Builds(rule)
    memo.get_or_build("rule", [rule], build)
    rule.write_text("weight: 20\n", encoding="utf-8")
    assert memo.get_or_build("rule", [rule], build) == "weight: 20\n"
    assert build.count == 2


def test_an_edit_with_the_same_size_and_mtime_is_seen(rule: Path) -> None:
    memo: PartMemo[str] = PartMemo(size=2)
    memo.get_or_build("rule", [rule], Builds(rule))
    stat = rule.stat()
    rule.write_text("weight: 11\n", encoding="utf-8")
    os.utime(rule, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert memo.get_or_build("rule", [rule], Builds(rule)) == "weight: 11\n"


def test_a_file_that_changes_during_the_build_is_not_remembered(rule: Path) -> None:
    memo: PartMemo[str] = PartMemo(size=2)

    def build_while_edited() -> str:
        text = rule.read_text(encoding="utf-8")
        rule.write_text("weight: 30\n", encoding="utf-8")
        return text

    assert memo.get_or_build("rule", [rule], build_while_edited) == "weight: 10\n"
    assert len(memo) == 0
    rule.write_text("weight: 10\n", encoding="utf-8")
    # Back to the first bytes: built again, not the part read while the file moved.
    build = Builds(rule)
    memo.get_or_build("rule", [rule], build)
    assert build.count == 1


def test_a_failed_build_leaves_nothing_behind(rule: Path) -> None:
    memo: PartMemo[str] = PartMemo(size=2)

    def broken() -> str:
        raise ValueError("bad rule")

    with pytest.raises(ValueError, match="bad rule"):
        memo.get_or_build("rule", [rule], broken)
    assert len(memo) == 0


def test_the_least_recently_used_part_is_dropped_beyond_the_size(tmp_path: Path) -> None:
    memo: PartMemo[str] = PartMemo(size=2)
    files = []
    for index in range(3):
        path = tmp_path / f"rule{index}.yaml"
        path.write_text(f"weight: {index}\n", encoding="utf-8")
        files.append(path)
    builds = [Builds(path) for path in files]
    memo.get_or_build(0, [files[0]], builds[0])
    memo.get_or_build(1, [files[1]], builds[1])
    memo.get_or_build(0, [files[0]], builds[0])  # 0 is now the most recently used
    memo.get_or_build(2, [files[2]], builds[2])
    assert len(memo) == 2
    memo.get_or_build(0, [files[0]], builds[0])
    memo.get_or_build(1, [files[1]], builds[1])
    assert [build.count for build in builds] == [1, 2, 1]


def test_a_file_appearing_or_going_changes_the_digest(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    absent = files_digest([path])
    path.write_text("", encoding="utf-8")
    assert files_digest([path]) != absent


def test_the_digest_tells_which_file_holds_which_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("x", encoding="utf-8")
    second.write_text("xy", encoding="utf-8")
    before = files_digest([first, second])
    first.write_text("xx", encoding="utf-8")
    second.write_text("y", encoding="utf-8")
    assert files_digest([first, second]) != before
