"""Read a Bluesky repository export: a `.car` file (Settings → Export my data).

The file is a CARv1 archive of DAG-CBOR blocks, decoded by `libipld` (the Rust IPLD library
the atproto SDK itself uses). Its root is the signed commit; the commit's `data` is the root
of a Merkle Search Tree whose keys are `collection/rkey` and whose values are the records.
Walking the tree (rather than picking every block that looks like a post) gives each post its
key, and leaves out blocks the repository no longer points at.

Facts about the format this relies on (atproto repository spec):
- An MST node is `{l: link|null, e: [{p: prefix length, k: key suffix bytes, v: record link,
  t: subtree link|null}]}`; a key is the previous entry's key cut to `p` bytes plus `k`.
- A post record (`app.bsky.feed.post`) has `text`, `createdAt`, optional `reply.parent.uri`
  (`at://DID/app.bsky.feed.post/RKEY`), `facets` with link and mention features, and `embed`.
- Direct messages are not in the repository (the chat service keeps them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libipld

from pullcheck.audit.items import Archive, ArchiveError, ArchiveItem, iso_time, mapping
from pullcheck.models import Kind

PLATFORM = "bluesky"
POST = "app.bsky.feed.post"
_LINK = "app.bsky.richtext.facet#link"
_MENTION = "app.bsky.richtext.facet#mention"
_MAX_DEPTH = 128


def looks_like_car(raw_start: bytes) -> bool:
    # A CARv1 starts with a varint length and a DAG-CBOR map holding "roots" and "version".
    return b"roots" in raw_start[:64] and b"version" in raw_start[:96]


def read_car(path: Path) -> Archive:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ArchiveError(f"{path}: cannot be read ({error})") from error
    try:
        header, blocks = libipld.decode_car(raw)
    except (ValueError, TypeError) as error:
        raise ArchiveError(f"{path}: truncated or not a CAR file ({error})") from error
    roots = header.get("roots") if isinstance(header, dict) else None
    if not roots:
        raise ArchiveError(f"{path}: the CAR file names no root block")
    commit = blocks.get(roots[0])
    if not isinstance(commit, dict) or "data" not in commit or "did" not in commit:
        raise ArchiveError(
            f"{path}: the root block is not a repository commit: not a Bluesky repository export"
        )
    owner = str(commit["did"])
    items: list[ArchiveItem] = []
    skipped = 0
    for key, record_cid in _walk(blocks, commit["data"], path):
        collection, _, rkey = key.partition("/")
        if collection != POST:
            continue
        record = blocks.get(record_cid)
        if not isinstance(record, dict):
            # Exports can omit blocks (a partial sync); say so instead of guessing.
            skipped += 1
            continue
        items.append(_post_item(record, rkey, owner))
    archive = Archive(PLATFORM, str(path), owner, items, skipped)
    archive.sort_by_time()
    return archive


def _walk(
    blocks: dict[bytes, Any], node_cid: Any, path: Path, depth: int = 0
) -> Iterator[tuple[str, Any]]:
    """Keys and record links of the MST under `node_cid`, in key order."""
    if node_cid is None:
        return
    if depth > _MAX_DEPTH:
        raise ArchiveError(f"{path}: the repository tree is deeper than {_MAX_DEPTH} levels")
    node = blocks.get(node_cid)
    if node is None:
        raise ArchiveError(f"{path}: a tree node is missing: the export is incomplete")
    if not isinstance(node, dict) or not isinstance(node.get("e"), list):
        raise ArchiveError(f"{path}: a repository tree node is malformed")
    yield from _walk(blocks, node.get("l"), path, depth + 1)
    key = b""
    for entry in node["e"]:
        try:
            key = key[: int(entry["p"])] + bytes(entry["k"])
            value = entry["v"]
        except (KeyError, TypeError, ValueError) as error:
            raise ArchiveError(f"{path}: a repository tree entry is malformed") from error
        yield key.decode("utf-8", "replace"), value
        yield from _walk(blocks, entry.get("t"), path, depth + 1)


def _post_item(record: dict[str, Any], rkey: str, owner: str) -> ArchiveItem:
    text = str(record.get("text") or "")
    links: list[str] = []
    mentions: list[str] = []
    for facet in record.get("facets") or []:
        for feature in (facet.get("features") or []) if isinstance(facet, dict) else []:
            if not isinstance(feature, dict):
                continue
            if feature.get("$type") == _LINK and isinstance(feature.get("uri"), str):
                links.append(feature["uri"])
            elif feature.get("$type") == _MENTION and isinstance(feature.get("did"), str):
                mentions.append(feature["did"])
    embed = mapping(record.get("embed"))
    external = mapping(embed.get("external"))
    if external and isinstance(external.get("uri"), str) and external["uri"] not in links:
        links.append(external["uri"])
    quoted = mapping(embed.get("record"))
    if isinstance(quoted.get("record"), dict):
        quoted = quoted["record"]  # recordWithMedia nests the quoted record one level down
    parent = mapping(mapping(record.get("reply")).get("parent"))
    parent_uri = str(parent.get("uri") or "")
    parent_did = parent_uri.removeprefix("at://").split("/", 1)[0] if parent_uri else ""
    kind: Kind
    target: str | None
    author: str | None
    if parent_uri and parent_did != owner:
        kind, target, author = "reply", parent_uri, parent_did or None
    elif isinstance(quoted.get("uri"), str) and not parent_uri:
        kind, target, author = "quote", quoted["uri"], None
    else:
        # No parent, or the user's own post: a thread continues in public.
        kind, target, author = "post", None, None
    return ArchiveItem(
        platform=PLATFORM,
        kind=kind,
        text=text,
        when=iso_time(record.get("createdAt")),
        item_id=f"at://{owner}/{POST}/{rkey}",
        reply_to_id=target,
        reply_to_author=author,
        mentions=mentions,
        links=links,
    )
