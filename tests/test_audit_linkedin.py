"""Reading LinkedIn's data export (zip or folder) into archive items, and auditing it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_archives import zip_folder
from audit_csv_exports import (
    JO_URL,
    OWNER_NAME,
    PITCH,
    SAM_URL,
    write_linkedin_export,
)
from pullcheck.audit.formats import open_archive
from pullcheck.audit.items import ArchiveError
from pullcheck.audit.linkedin_export import profile_key
from pullcheck.cli import main


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_linkedin_export(tmp_path / "Basic_LinkedInDataExport_03-05-2024")


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "no-config.yaml"))
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))


def test_export_yields_posts_comments_sent_messages_and_invitation_notes(export: Path) -> None:
    archive = open_archive(export)
    assert archive.platform == "linkedin"
    assert archive.owner == OWNER_NAME
    assert [item.kind for item in archive.items] == ["post", "comment", "connect-note", "dm", "dm"]
    # Left out: a repost without words, two received messages, a draft, an invitation without
    # a note and an incoming one.
    assert archive.skipped == 1 + 2 + 1 + 1 + 1


def test_only_messages_the_owner_sent_are_judged(export: Path) -> None:
    dms = [item for item in open_archive(export).items if item.kind == "dm"]
    assert [dm.text for dm in dms] == [
        PITCH,
        "Yes we do! Here are some examples: https://acme-webworks.example/work",
    ]
    assert dms[0].recipients == [profile_key(SAM_URL)]
    assert "Draft I never sent" not in {dm.text for dm in dms}


def test_a_message_is_a_conversation_when_the_recipient_wrote_first(export: Path) -> None:
    cold, answer = (item for item in open_archive(export).items if item.kind == "dm")
    assert cold.prior_conversation is False
    assert answer.recipients == [profile_key(JO_URL)]
    assert answer.prior_conversation is True


def test_outgoing_invitation_with_a_note_is_a_connect_note(export: Path) -> None:
    note = next(item for item in open_archive(export).items if item.kind == "connect-note")
    assert note.text.startswith("Hi Sam, I help bakeries")
    assert note.recipients == [profile_key(SAM_URL)]
    assert note.when is not None
    assert (
        note.when.year,
        note.when.month,
        note.when.day,
        note.when.hour,
    ) == (2024, 2, 28, 8)


def test_share_keeps_its_shared_link_and_comment_its_post(export: Path) -> None:
    items = open_archive(export).items
    assert items[0].links == ["https://acme-webworks.example/blog/bakeries"]
    assert (items[1].reply_to_id or "").endswith("urn%3Ali%3Aactivity%3A77")


def test_owner_comes_from_invitations_without_a_profile(tmp_path: Path) -> None:
    folder = write_linkedin_export(tmp_path / "export", with_profile=False)
    archive = open_archive(folder)
    assert archive.owner == "linkedin.com/in/acme-webworks"
    assert sum(item.kind == "dm" for item in archive.items) == 2


def test_owner_is_inferred_from_the_conversations_alone(tmp_path: Path) -> None:
    folder = write_linkedin_export(tmp_path / "export", with_profile=False, with_invitations=False)
    assert sum(item.kind == "dm" for item in open_archive(folder).items) == 2


def test_zip_reads_like_the_folder(export: Path, tmp_path: Path) -> None:
    zipped = zip_folder(export, tmp_path / "Basic_LinkedInDataExport_03-05-2024.zip")
    assert [i.text for i in open_archive(zipped).items] == [
        i.text for i in open_archive(export).items
    ]


def test_truncated_messages_file_is_a_clear_error(export: Path) -> None:
    messages = export / "messages.csv"
    raw = messages.read_bytes()
    messages.write_bytes(raw[: raw.index(b"Loved your talk") + 5])  # inside a quoted field
    with pytest.raises(ArchiveError, match=r"messages\.csv:\d+: truncated or not valid CSV"):
        open_archive(export)


def test_row_cut_short_is_a_clear_error(export: Path) -> None:
    shares = export / "Shares.csv"
    shares.write_text(shares.read_text().rstrip("\r\n").rsplit(",", 3)[0] + "\n")
    with pytest.raises(
        ArchiveError,
        match=r"Shares\.csv:3: a row has 3 fields where the "
        r"header has 6",
    ):
        open_archive(export)


def test_foreign_file_under_a_linkedin_name_is_a_clear_error(export: Path) -> None:
    (export / "Comments.csv").write_text("id,permalink,date\n1,2,3\n")
    with pytest.raises(ArchiveError, match=r"Comments\.csv: not LinkedIn's Comments\.csv"):
        open_archive(export)


def test_audit_writes_the_report_and_flags_the_pitches(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "linkedin.html"
    code = main(
        ["audit", str(zip_folder(export, tmp_path / "export.zip")), "--out", str(out), "--json"]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["platform"] == "linkedin"
    assert summary["items"] == 5
    assert summary["kinds"]["dm"]["push"] >= 1
    assert summary["kinds"]["connect-note"]["items"] == 1
    assert {"PP102", "PP201"} & {rule["code"] for rule in summary["rules"]}
    html = out.read_text()
    assert "Push audit:" in html
    assert "acme-webworks.example" in html


def test_truncated_export_exits_2_and_writes_nothing(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = export / "messages.csv"
    messages.write_bytes(messages.read_bytes()[:-40])
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    code = main(["audit", str(export), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "messages.csv" in captured.err
    assert list(out.parent.iterdir()) == []


def test_messages_spelling_profiles_otherwise_than_invitations_are_still_told_apart(
    tmp_path: Path,
) -> None:
    folder = write_linkedin_export(tmp_path / "export", with_profile=False)
    messages = folder / "messages.csv"
    messages.write_text(
        messages.read_text().replace(
            "https://www.linkedin.com/in/acme-webworks", "https://www.linkedin.com/in/ACoAAB1x2y3"
        )
    )
    dms = [item for item in open_archive(folder).items if item.kind == "dm"]
    assert [dm.prior_conversation for dm in dms] == [False, True]
