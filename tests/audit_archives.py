"""Small synthetic archives in the sites' real export formats, for the audit tests.

- X: `data/*.js` files holding `window.YTD.<name>.part0 = [...]`, in a folder or a zip.
- Mastodon: `outbox.json`, an ActivityStreams OrderedCollection of Create/Announce activities.
- Bluesky: a CARv1 repository export: a signed-commit root pointing at a Merkle Search Tree of
  records, blocks encoded as DAG-CBOR with libipld; the CAR framing (varint-prefixed sections)
  is written here because libipld reads CAR files but does not write them.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import libipld

OWNER_ID = "1000"
OWNER = "acme_webworks"


# --- X -----------------------------------------------------------------------------------------


def tweet(
    tweet_id: str,
    text: str,
    created: str = "Wed Oct 10 20:19:24 +0000 2018",
    *,
    reply_to: str | None = None,
    reply_to_name: str | None = None,
    reply_to_user: str | None = None,
    urls: list[tuple[str, str]] | None = None,
    mentions: list[tuple[str, int]] | None = None,
    display_start: int = 0,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id_str": tweet_id,
        "id": tweet_id,
        "full_text": text,
        "created_at": created,
        "display_text_range": [str(display_start), str(len(text))],
        "retweeted": False,
        "entities": {
            "urls": [
                {
                    "url": short,
                    "expanded_url": long,
                    "display_url": long.split("//")[-1],
                    "indices": [str(text.find(short)), str(text.find(short) + len(short))],
                }
                for short, long in urls or []
            ],
            "user_mentions": [
                {
                    "screen_name": name,
                    "id_str": "9",
                    "name": name,
                    "indices": [str(start), str(start + len(name) + 1)],
                }
                for name, start in mentions or []
            ],
            "hashtags": [],
        },
    }
    if reply_to:
        body["in_reply_to_status_id_str"] = reply_to
        body["in_reply_to_status_id"] = reply_to
        body["in_reply_to_screen_name"] = reply_to_name
        body["in_reply_to_user_id_str"] = reply_to_user
    return {"tweet": body}


def dm_conversation(
    other: str, messages: list[tuple[str, str, str]], me: str = OWNER_ID
) -> dict[str, Any]:
    """messages: (sender id, text, ISO time); the export lists them newest first."""
    ordered = sorted(messages, key=lambda m: m[2], reverse=True)
    return {
        "dmConversation": {
            "conversationId": f"{min(me, other)}-{max(me, other)}",
            "messages": [
                {
                    "messageCreate": {
                        "recipientId": other if sender == me else me,
                        "senderId": sender,
                        "text": text,
                        "createdAt": when,
                        "id": str(abs(hash((sender, text, when))) % 10**18),
                        "urls": [],
                        "mediaUrls": [],
                        "reactions": [],
                    }
                }
                for sender, text, when in ordered
            ],
        }
    }


def ytd(name: str, records: list[Any]) -> str:
    return f"window.YTD.{name}.part0 = " + json.dumps(records, indent=2)


def write_x_folder(
    folder: Path,
    tweets: list[dict[str, Any]],
    dms: list[dict[str, Any]] | None = None,
    *,
    account: bool = True,
    parts: int = 1,
) -> Path:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    if account:
        (data / "account.js").write_text(
            ytd(
                "account",
                [
                    {
                        "account": {
                            "accountId": OWNER_ID,
                            "username": OWNER,
                            "accountDisplayName": "Acme Webworks",
                            "createdAt": "2015-01-01T00:00:00.000Z",
                            "email": "owner@acme-webworks.example",
                        }
                    }
                ],
            )
        )
    chunk = max(1, -(-len(tweets) // parts))
    for index in range(parts):
        name = "tweets.js" if index == 0 else f"tweets-part{index}.js"
        (data / name).write_text(
            ytd(
                "tweets" if index == 0 else f"tweets_part{index}",
                tweets[index * chunk : (index + 1) * chunk],
            )
        )
    if dms is not None:
        (data / "direct-messages.js").write_text(ytd("direct_messages", dms))
    (folder / "Your archive.html").write_text("<html><body>Your archive</body></html>")
    return folder


def zip_folder(folder: Path, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return zip_path


# --- Mastodon ----------------------------------------------------------------------------------

ACTOR = "https://social.example/users/acme"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def note(
    number: int,
    content: str,
    published: str,
    *,
    visibility: str = "public",
    in_reply_to: str | None = None,
    mentions: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    followers = ACTOR + "/followers"
    mention_hrefs = [href for _, href in mentions or []]
    to, cc = {
        "public": ([PUBLIC], [followers, *mention_hrefs]),
        "unlisted": ([followers], [PUBLIC, *mention_hrefs]),
        "private": ([followers], mention_hrefs),
        "direct": (mention_hrefs, []),
    }[visibility]
    status_id = f"{ACTOR}/statuses/{number}"
    return {
        "id": f"{status_id}/activity",
        "type": "Create",
        "actor": ACTOR,
        "published": published,
        "to": to,
        "cc": cc,
        "object": {
            "id": status_id,
            "type": "Note",
            "summary": None,
            "inReplyTo": in_reply_to,
            "published": published,
            "url": f"https://social.example/@acme/{number}",
            "attributedTo": ACTOR,
            "to": to,
            "cc": cc,
            "sensitive": False,
            "content": content,
            "tag": [
                {"type": "Mention", "href": href, "name": name} for name, href in mentions or []
            ],
            "attachment": [],
        },
    }


def boost(number: int, published: str) -> dict[str, Any]:
    return {
        "id": f"{ACTOR}/statuses/{number}/activity",
        "type": "Announce",
        "actor": ACTOR,
        "published": published,
        "to": [PUBLIC],
        "cc": [ACTOR + "/followers"],
        "object": "https://other.example/users/zed/statuses/5",
    }


def outbox(activities: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "outbox.json",
        "type": "OrderedCollection",
        "totalItems": len(activities),
        "orderedItems": activities,
    }


# --- Bluesky -----------------------------------------------------------------------------------

DID = "did:plc:acmewebworks000000000000"
POST = "app.bsky.feed.post"


def cid_of(block: bytes) -> bytes:
    """CIDv1, DAG-CBOR codec (0x71), sha2-256 multihash: what atproto repositories use."""
    return bytes([0x01, 0x71, 0x12, 0x20]) + hashlib.sha256(block).digest()


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        if number:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def bsky_post(
    text: str,
    created: str,
    *,
    reply_parent: str | None = None,
    links: list[str] | None = None,
    embed_link: str | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": created, "langs": ["en"]}
    if reply_parent:
        ref = {"uri": reply_parent, "cid": "bafyreib2rxk3rh6kzwq"}
        record["reply"] = {"root": ref, "parent": ref}
    if links:
        facets = []
        for link in links:
            start = text.encode().find(link.encode())
            facets.append(
                {
                    "index": {"byteStart": start, "byteEnd": start + len(link.encode())},
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}],
                }
            )
        record["facets"] = facets
    if embed_link:
        record["embed"] = {
            "$type": "app.bsky.embed.external",
            "external": {"uri": embed_link, "title": "Acme", "description": ""},
        }
    return record


def write_car(path: Path, records: dict[str, dict[str, Any]], did: str = DID) -> Path:
    """A repository CAR: commit → MST (a root with a left subtree and a right subtree) → records.

    `records` maps `collection/rkey` to the record."""
    blocks: list[tuple[bytes, bytes]] = []

    def put(value: Any) -> bytes:
        encoded = libipld.encode_dag_cbor(value)
        cid = cid_of(encoded)
        blocks.append((cid, encoded))
        return cid

    entries = sorted((key, put(record)) for key, record in records.items())

    def node(
        part: list[tuple[str, bytes]],
        left: bytes | None = None,
        subtrees: dict[int, bytes] | None = None,
    ) -> bytes:
        previous = b""
        encoded_entries = []
        for index, (key, value) in enumerate(part):
            raw = key.encode()
            prefix = 0
            while prefix < min(len(raw), len(previous)) and raw[prefix] == previous[prefix]:
                prefix += 1
            encoded_entries.append(
                {"p": prefix, "k": raw[prefix:], "v": value, "t": (subtrees or {}).get(index)}
            )
            previous = raw
        return put({"l": left, "e": encoded_entries})

    if len(entries) >= 3:
        third = len(entries) // 3
        left = node(entries[:third])
        right = node(entries[third + 1 :])
        root = node([entries[third]], left=left, subtrees={0: right})
    else:
        root = node(entries)
    commit = put(
        {"did": did, "version": 3, "data": root, "rev": "3kabc", "prev": None, "sig": b"\x00" * 64}
    )
    header = libipld.encode_dag_cbor({"version": 1, "roots": [commit]})
    out = bytearray(_varint(len(header)) + header)
    for cid, encoded in [blocks[-1], *blocks[:-1]]:
        out += _varint(len(cid) + len(encoded)) + cid + encoded
    path.write_bytes(bytes(out))
    return path
