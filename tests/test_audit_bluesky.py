"""Reading a Bluesky repository export (.car) into archive items."""

from __future__ import annotations

from pathlib import Path

import libipld
import pytest
from audit_archives import DID, POST, bsky_post, write_car
from pullcheck.audit.formats import open_archive
from pullcheck.audit.items import ArchiveError

STRANGER = "did:plc:stranger00000000000000000"


def _records() -> dict[str, dict]:
    return {
        f"{POST}/3kaaa": bsky_post(
            "Our new bakery sites are live https://acme-webworks.example",
            "2024-06-01T10:00:00.000Z",
            links=["https://acme-webworks.example"],
        ),
        f"{POST}/3kbbb": bsky_post(
            "Hi! We build websites, DM me for a discount",
            "2024-06-02T10:00:00.000Z",
            reply_parent=f"at://{STRANGER}/{POST}/3zzz",
        ),
        f"{POST}/3kccc": bsky_post(
            "...and the second part of my thread",
            "2024-06-01T10:01:00.000Z",
            reply_parent=f"at://{DID}/{POST}/3kaaa",
        ),
        f"{POST}/3kddd": bsky_post(
            "A card", "2024-06-03T10:00:00.000Z", embed_link="https://acme-webworks.example/card"
        ),
        "app.bsky.feed.like/3keee": {
            "$type": "app.bsky.feed.like",
            "createdAt": "2024-06-03T10:00:00.000Z",
            "subject": {"uri": f"at://{STRANGER}/{POST}/3zzz", "cid": "bafy"},
        },
        "app.bsky.actor.profile/self": {"$type": "app.bsky.actor.profile", "displayName": "Acme"},
    }


@pytest.fixture
def car_file(tmp_path: Path) -> Path:
    return write_car(tmp_path / "repo.car", _records())


def test_the_car_is_a_real_car(car_file: Path) -> None:
    header, blocks = libipld.decode_car(car_file.read_bytes())
    assert header["version"] == 1
    assert len(blocks) == 6 + 3 + 1


def test_posts_are_read_through_the_repository_tree(car_file: Path) -> None:
    archive = open_archive(car_file)
    assert archive.platform == "bluesky"
    assert archive.owner == DID
    assert [(item.item_id.rsplit("/", 1)[-1], item.kind) for item in archive.items] == [
        ("3kaaa", "post"),
        ("3kccc", "post"),
        ("3kbbb", "reply"),
        ("3kddd", "post"),
    ]


def test_reply_to_a_stranger_names_them_and_leaves_their_text_unknown(car_file: Path) -> None:
    reply = next(item for item in open_archive(car_file).items if item.kind == "reply")
    assert reply.reply_to_author == STRANGER
    assert reply.reply_to_id == f"at://{STRANGER}/{POST}/3zzz"
    assert reply.to_draft().reply_to.text is None  # type: ignore[union-attr]


def test_links_come_from_facets_and_link_cards(car_file: Path) -> None:
    items = {item.item_id.rsplit("/", 1)[-1]: item for item in open_archive(car_file).items}
    assert items["3kaaa"].links == ["https://acme-webworks.example"]
    assert items["3kddd"].links == ["https://acme-webworks.example/card"]


def test_truncated_car_is_a_clear_error(car_file: Path) -> None:
    car_file.write_bytes(car_file.read_bytes()[:-40])
    with pytest.raises(ArchiveError, match=r"repo\.car: truncated or not a CAR file"):
        open_archive(car_file)


def test_car_without_a_repository_commit_is_a_clear_error(tmp_path: Path) -> None:
    block = libipld.encode_dag_cbor({"hello": "world"})
    cid = bytes([0x01, 0x71, 0x12, 0x20]) + bytes(32)
    header = libipld.encode_dag_cbor({"version": 1, "roots": [cid]})
    path = tmp_path / "other.car"
    path.write_bytes(bytes([len(header)]) + header + bytes([len(cid) + len(block)]) + cid + block)
    with pytest.raises(ArchiveError, match="not a Bluesky repository export"):
        open_archive(path)


def test_file_of_another_kind_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes, not an archive\n")
    with pytest.raises(ArchiveError, match="not a format pullcheck can audit"):
        open_archive(path)
