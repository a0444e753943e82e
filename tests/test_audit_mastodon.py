"""Reading a Mastodon export (outbox.json, or its zip or folder) into archive items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_archives import ACTOR, boost, note, outbox, zip_folder
from pullcheck.audit.formats import open_archive
from pullcheck.audit.items import ArchiveError

SAM = ("@sam@other.example", "https://other.example/users/sam")


def _activities() -> list[dict]:
    return [
        note(
            3,
            '<p><span class="h-card"><a href="https://other.example/@sam" class="u-url '
            'mention">@<span>sam</span></a></span> Thanks for following! Check out my site '
            '<a href="https://acme-webworks.example" rel="nofollow noopener" target="_blank">'
            '<span class="invisible">https://</span><span class="">acme-webworks.example'
            '</span><span class="invisible"></span></a></p>',
            "2024-05-03T10:00:00Z",
            visibility="direct",
            mentions=[SAM],
        ),
        note(
            2,
            "<p>Second part of my thread</p>",
            "2024-05-02T10:05:00Z",
            in_reply_to=f"{ACTOR}/statuses/1",
        ),
        note(
            4,
            "<p>@sam we do sites for bakeries &amp; cafés</p>",
            "2024-05-04T10:00:00Z",
            in_reply_to="https://other.example/users/sam/statuses/77",
            mentions=[SAM],
        ),
        note(1, "<p>New post: we build websites.<br>Fast ones.</p>", "2024-05-02T10:00:00Z"),
        note(5, "<p>Only for my followers</p>", "2024-05-05T10:00:00Z", visibility="private"),
        boost(6, "2024-05-06T10:00:00Z"),
    ]


@pytest.fixture
def outbox_file(tmp_path: Path) -> Path:
    path = tmp_path / "outbox.json"
    path.write_text(json.dumps(outbox(_activities()), indent=2))
    return path


def test_outbox_yields_posts_replies_and_direct_messages(outbox_file: Path) -> None:
    archive = open_archive(outbox_file)
    assert archive.platform == "mastodon"
    assert archive.owner == "acme@social.example"
    assert [item.kind for item in archive.items] == ["post", "post", "dm", "reply", "post"]
    assert archive.skipped == 1  # the boost


def test_html_content_becomes_plain_text_with_its_links(outbox_file: Path) -> None:
    items = open_archive(outbox_file).items
    assert items[0].text == "New post: we build websites.\nFast ones."
    dm = items[2]
    assert dm.text == "@sam Thanks for following! Check out my site https://acme-webworks.example"
    assert dm.links == ["https://acme-webworks.example"]
    assert "bakeries & cafés" in items[3].text


def test_direct_message_recipients_are_its_mentions(outbox_file: Path) -> None:
    dm = open_archive(outbox_file).items[2]
    assert dm.recipients == ["sam@other.example"]
    assert dm.to_draft().kind == "dm"


def test_reply_to_someone_else_names_the_author_from_the_status_url(outbox_file: Path) -> None:
    reply = open_archive(outbox_file).items[3]
    assert reply.reply_to_author == "sam@other.example"
    assert reply.reply_to_text is None


def test_export_zip_and_folder_are_read(outbox_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "outbox.json").write_bytes(outbox_file.read_bytes())
    (folder / "actor.json").write_text(json.dumps({"id": ACTOR, "type": "Person"}))
    zipped = zip_folder(folder, tmp_path / "archive-2024.zip")
    assert len(open_archive(folder).items) == 5
    assert len(open_archive(zipped).items) == 5


def test_truncated_outbox_is_a_clear_error(outbox_file: Path) -> None:
    outbox_file.write_bytes(outbox_file.read_bytes()[:-300])
    with pytest.raises(ArchiveError, match=r"outbox\.json:\d+: truncated or not valid JSON"):
        open_archive(outbox_file)


def test_json_that_is_no_outbox_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "likes.json"
    path.write_text(json.dumps({"type": "Collection", "items": []}))
    with pytest.raises(ArchiveError, match="not an ActivityStreams outbox"):
        open_archive(path)
