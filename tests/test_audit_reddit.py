"""Reading Reddit's data request export (zip or folder) into archive items, and auditing it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_archives import zip_folder
from audit_csv_exports import PITCH, REDDIT_OWNER, write_reddit_export
from pullcheck.audit.formats import open_archive
from pullcheck.audit.items import ArchiveError
from pullcheck.cli import main


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_reddit_export(tmp_path / "export_acme_webworks_20240501")


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "no-config.yaml"))
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))


def test_export_yields_posts_comments_and_sent_messages(export: Path) -> None:
    archive = open_archive(export)
    assert archive.platform == "reddit"
    assert archive.owner == f"u/{REDDIT_OWNER}"
    assert [item.kind for item in archive.items] == ["post", "post", "comment", "dm", "dm"]
    assert archive.skipped == 2  # a deleted comment, a received message


def test_post_text_is_title_and_body_and_a_link_post_keeps_its_link(export: Path) -> None:
    text_post, link_post = open_archive(export).items[:2]
    assert text_post.text.startswith("Lessons from building 50 bakery websites\n\nKeep the menu")
    assert text_post.links == []  # its url is its own page
    assert link_post.text == "Our new portfolio"
    assert link_post.links == ["https://acme-webworks.example/work"]


def test_comment_answers_its_parent(export: Path) -> None:
    comment = open_archive(export).items[2]
    assert comment.reply_to_id == "t3_1zzz"
    assert comment.to_draft().kind == "comment"


def test_only_the_owners_messages_are_judged_with_their_subject(export: Path) -> None:
    cold, answer = open_archive(export).items[3:]
    assert cold.text == f"Website for your bakery?\n\n{PITCH}"
    assert cold.recipients == ["sam_rivera"]
    assert cold.prior_conversation is False
    assert answer.text.startswith("Sure, here is our price list")  # "re:" subject left out
    assert answer.recipients == ["jo_baker"]
    assert answer.prior_conversation is True


def test_owner_is_inferred_without_statistics(tmp_path: Path) -> None:
    archive = open_archive(write_reddit_export(tmp_path / "e", with_statistics=False))
    assert archive.owner == f"u/{REDDIT_OWNER}"
    assert sum(item.kind == "dm" for item in archive.items) == 2


def test_split_tables_are_all_read(export: Path) -> None:
    comments = export / "comments.csv"
    header, *rows = comments.read_text().splitlines(keepends=True)
    (export / "comments_1.csv").write_text(header + "".join(rows))
    comments.unlink()
    (export / "comments_2.csv").write_text(
        header + "kx3,,2024-04-06 10:00:00 UTC,,Baking,0,,t3_1zzz,Lovely crumb!,\n"
    )
    kinds = [item.kind for item in open_archive(export).items]
    assert kinds.count("comment") == 2


def test_zip_reads_like_the_folder(export: Path, tmp_path: Path) -> None:
    zipped = zip_folder(export, tmp_path / "export.zip")
    assert [i.text for i in open_archive(zipped).items] == [
        i.text for i in open_archive(export).items
    ]


def test_truncated_comments_file_is_a_clear_error(export: Path) -> None:
    comments = export / "comments.csv"
    raw = comments.read_bytes()
    comments.write_bytes(raw[: raw.index(b"Nice loaf") + 4])
    with pytest.raises(ArchiveError, match=r"comments\.csv:\d+: truncated or not valid CSV"):
        open_archive(export)


def test_foreign_messages_file_is_a_clear_error(export: Path) -> None:
    (export / "messages.csv").write_text("username,note\nsam,friend\n")
    with pytest.raises(ArchiveError, match=r"messages\.csv: not Reddit's messages\.csv"):
        open_archive(export)


def test_not_utf8_is_a_clear_error(export: Path) -> None:
    (export / "posts.csv").write_bytes("id,title\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ArchiveError, match=r"posts\.csv: not UTF-8 text"):
        open_archive(export)


def test_audit_writes_the_report_and_flags_the_pitches(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reddit.html"
    code = main(
        ["audit", str(zip_folder(export, tmp_path / "export.zip")), "--out", str(out), "--json"]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["platform"] == "reddit"
    assert summary["items"] == 5
    assert summary["owner"] == f"u/{REDDIT_OWNER}"
    assert summary["kinds"]["comment"]["push"] == 1
    assert summary["kinds"]["dm"]["push"] >= 1
    assert "Push audit:" in out.read_text()


def test_truncated_export_exits_2_and_writes_nothing(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = export / "posts.csv"
    posts.write_bytes(posts.read_bytes()[:-60])
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    code = main(["audit", str(export), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "posts.csv" in captured.err
    assert list(out.parent.iterdir()) == []
