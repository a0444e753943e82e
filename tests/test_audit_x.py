"""Reading an X archive (zip and folder) into archive items."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_archives import (
    OWNER,
    OWNER_ID,
    dm_conversation,
    tweet,
    write_x_folder,
    zip_folder,
)
from pullcheck.audit.formats import open_archive
from pullcheck.audit.items import ArchiveError


def _tweets() -> list[dict]:
    return [
        tweet(
            "1",
            "Launching our new bakery websites today! https://t.co/abc",
            "Mon Mar 04 10:00:00 +0000 2024",
            urls=[("https://t.co/abc", "https://acme-webworks.example/bakeries")],
        ),
        tweet(
            "2",
            "@jordan Hi Jordan! We build fast websites. DM me for 20% off",
            "Tue Mar 05 10:00:00 +0000 2024",
            reply_to="900",
            reply_to_name="jordan",
            reply_to_user="77",
            mentions=[("jordan", 0)],
            display_start=8,
        ),
        tweet(
            "3",
            "@acme_webworks and part two of the thread",
            "Tue Mar 05 10:05:00 +0000 2024",
            reply_to="1",
            reply_to_name=OWNER,
            reply_to_user=OWNER_ID,
            display_start=15,
        ),
        tweet("4", "RT @someone: a great thread", "Wed Mar 06 10:00:00 +0000 2024"),
        tweet(
            "5",
            "This is why you need a proper site https://t.co/q",
            "Thu Mar 07 10:00:00 +0000 2024",
            urls=[("https://t.co/q", "https://x.com/jordan/status/900")],
        ),
    ]


def _dms() -> list[dict]:
    return [
        dm_conversation(
            "2000",
            [
                (
                    OWNER_ID,
                    "Thanks for following! Visit https://acme-webworks.example",
                    "2024-03-01T09:00:00.000Z",
                ),
            ],
        ),
        dm_conversation(
            "3000",
            [
                ("3000", "Hi, do you build shop sites?", "2024-03-02T09:00:00.000Z"),
                (OWNER_ID, "Yes, happy to help: what do you sell?", "2024-03-02T09:05:00.000Z"),
            ],
        ),
    ]


@pytest.fixture
def x_folder(tmp_path: Path) -> Path:
    return write_x_folder(tmp_path / "twitter-2024", _tweets(), _dms())


def test_folder_yields_own_posts_replies_quotes_and_sent_dms(x_folder: Path) -> None:
    archive = open_archive(x_folder)
    assert archive.platform == "x"
    assert archive.owner == OWNER
    kinds = [(item.item_id or item.kind, item.kind) for item in archive.items if item.kind != "dm"]
    assert kinds == [("1", "post"), ("2", "reply"), ("3", "post"), ("5", "quote")]
    assert sum(item.kind == "dm" for item in archive.items) == 2
    # The retweet and the DM received are not the user's words.
    assert archive.skipped == 2


def test_items_come_oldest_first(x_folder: Path) -> None:
    times = [item.when for item in open_archive(x_folder).items]
    known = [when for when in times if when is not None]
    assert known == times  # every item has its time
    assert known == sorted(known)


def test_reply_text_drops_the_handles_x_prefixes_and_keeps_its_target(x_folder: Path) -> None:
    reply = next(i for i in open_archive(x_folder).items if i.item_id == "2")
    assert reply.text == "Hi Jordan! We build fast websites. DM me for 20% off"
    assert (reply.reply_to_id, reply.reply_to_author, reply.reply_to_text) == (
        "900",
        "jordan",
        None,
    )
    draft = reply.to_draft()
    assert draft.kind == "reply"
    assert draft.reply_to is not None
    assert draft.reply_to.text is None  # the parent's words are not in an archive


def test_tco_links_become_the_links_the_user_typed(x_folder: Path) -> None:
    post = next(i for i in open_archive(x_folder).items if i.item_id == "1")
    assert post.text.endswith("https://acme-webworks.example/bakeries")
    assert post.links == ["https://acme-webworks.example/bakeries"]


def test_quote_tweet_loses_the_quoted_url_and_points_at_the_quoted_post(x_folder: Path) -> None:
    quote = next(i for i in open_archive(x_folder).items if i.item_id == "5")
    assert quote.text == "This is why you need a proper site"
    assert quote.links == []
    assert quote.reply_to_id == "900"


def test_dms_know_whether_the_recipient_wrote_first(x_folder: Path) -> None:
    dms = {item.recipients[0]: item for item in open_archive(x_folder).items if item.kind == "dm"}
    assert dms["2000"].prior_conversation is False
    assert dms["3000"].prior_conversation is True
    assert dms["2000"].to_draft().prior_conversation is False


def test_zip_reads_like_the_folder(x_folder: Path, tmp_path: Path) -> None:
    zipped = zip_folder(x_folder, tmp_path / "twitter.zip")
    from_zip = open_archive(zipped)
    from_folder = open_archive(x_folder)
    assert [(i.kind, i.text) for i in from_zip.items] == [
        (i.kind, i.text) for i in from_folder.items
    ]


def test_split_tweet_files_are_all_read(tmp_path: Path) -> None:
    tweets = [
        tweet(str(n), f"post number {n}", f"Mon Mar 04 10:{n:02d}:00 +0000 2024") for n in range(10)
    ]
    folder = write_x_folder(tmp_path / "a", tweets, parts=3)
    assert (folder / "data" / "tweets-part2.js").exists()
    assert len(open_archive(folder).items) == 10


def test_owner_of_dms_is_inferred_without_account_file(tmp_path: Path) -> None:
    folder = write_x_folder(tmp_path / "a", [], _dms(), account=False)
    sent = [item.text for item in open_archive(folder).items]
    assert sent == [
        "Thanks for following! Visit https://acme-webworks.example",
        "Yes, happy to help: what do you sell?",
    ]


def test_truncated_tweets_file_is_a_clear_error(x_folder: Path) -> None:
    path = x_folder / "data" / "tweets.js"
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(ArchiveError, match=r"tweets\.js:\d+: truncated or not valid JSON"):
        open_archive(x_folder)


def test_truncated_zip_is_a_clear_error(x_folder: Path, tmp_path: Path) -> None:
    zipped = zip_folder(x_folder, tmp_path / "twitter.zip")
    zipped.write_bytes(zipped.read_bytes()[: zipped.stat().st_size // 2])
    with pytest.raises(ArchiveError, match=r"twitter\.zip.*(zip|truncated)"):
        open_archive(zipped)


def test_js_file_of_another_kind_is_a_clear_error(x_folder: Path) -> None:
    (x_folder / "data" / "tweets.js").write_text("var tweets = [];")
    with pytest.raises(ArchiveError, match=r"window\.YTD"):
        open_archive(x_folder)


def test_folder_without_archive_files_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "holiday.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    with pytest.raises(ArchiveError, match="holds no file pullcheck can audit"):
        open_archive(tmp_path)
