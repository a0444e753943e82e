"""Read a Mastodon export: `outbox.json`, or the export zip/folder that contains it.

The outbox is an ActivityStreams `OrderedCollection` of activities. `Create` activities carry
the user's own `Note`s; `Announce` (boosts) are someone else's words and are skipped.

Facts about the format this relies on:
- Visibility is not a field: a post addressed (`to`/`cc`) to neither the public collection
  nor the author's followers collection is a direct message ("private mention"), and its
  recipients are the accounts it mentions.
- `content` is HTML. Mastodon wraps link text in invisible spans (`https://`) that still hold
  the full URL, so the text keeps the link as written.
- The web UI puts the `@handles` of a reply in its text, and so does the compose request: the
  text is judged as it is.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pullcheck.audit.bundle import Bundle
from pullcheck.audit.items import Archive, ArchiveError, ArchiveItem, iso_time
from pullcheck.models import Kind

PLATFORM = "mastodon"
PUBLIC = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
_STATUS_AUTHOR = re.compile(r"^https?://([^/]+)/(?:users/|@)([^/]+)/")


def read_outbox_file(path: Path) -> Archive:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ArchiveError(f"{path}: cannot be read ({error})") from error
    return _read(raw, str(path))


def read_outbox_bundle(bundle: Bundle) -> Archive:
    names = bundle.find("outbox.json")
    if not names:
        raise ArchiveError(f"{bundle.path}: no outbox.json: not a Mastodon export")
    archive = _read(bundle.read(names[0]), bundle.describe(names[0]))
    archive.source = str(bundle.path)
    return archive


def looks_like_outbox(raw_start: bytes) -> bool:
    return b"OrderedCollection" in raw_start or b"orderedItems" in raw_start


def _read(raw: bytes, where: str) -> Archive:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ArchiveError(f"{where}: not UTF-8 text ({error})") from error
    except json.JSONDecodeError as error:
        raise ArchiveError(
            f"{where}:{error.lineno}: truncated or not valid JSON "
            f"(column {error.colno}: {error.msg})"
        ) from error
    if not isinstance(data, dict) or not isinstance(data.get("orderedItems"), list):
        raise ArchiveError(f"{where}: not an ActivityStreams outbox (no 'orderedItems' list)")
    items: list[ArchiveItem] = []
    skipped = 0
    owner: str | None = None
    for activity in data["orderedItems"]:
        if not isinstance(activity, dict):
            skipped += 1
            continue
        note = activity.get("object")
        if activity.get("type") != "Create" or not isinstance(note, dict):
            skipped += 1
            continue
        actor = str(activity.get("actor") or note.get("attributedTo") or "")
        owner = owner or _acct_of_actor(actor)
        items.append(_note_item(note, activity, actor))
    archive = Archive(PLATFORM, where, owner, items, skipped)
    archive.sort_by_time()
    return archive


def _note_item(note: dict[str, Any], activity: dict[str, Any], actor: str) -> ArchiveItem:
    text, links = _html_text(str(note.get("content") or ""))
    audience = _strings(note.get("to") or activity.get("to")) | _strings(
        note.get("cc") or activity.get("cc")
    )
    followers = actor.rstrip("/") + "/followers" if actor else None
    direct = not (audience & PUBLIC) and not (followers and followers in audience)
    mentions = []
    for tag in note.get("tag") or []:
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            name, href = str(tag.get("name") or ""), str(tag.get("href") or "")
            mentions.append(_acct_of_mention(name, href))
    mentions = [m for m in mentions if m]
    in_reply_to = note.get("inReplyTo") if isinstance(note.get("inReplyTo"), str) else None
    own_thread = bool(in_reply_to and actor and in_reply_to.startswith(actor.rstrip("/") + "/"))
    kind: Kind
    if direct:
        kind = "dm"
    elif in_reply_to and not own_thread:
        kind = "reply"
    else:
        kind = "post"
    author = None
    if in_reply_to and kind != "post":
        match = _STATUS_AUTHOR.match(in_reply_to)
        author = f"{match.group(2)}@{match.group(1)}" if match else None
    return ArchiveItem(
        platform=PLATFORM,
        kind=kind,
        text=text,
        when=iso_time(note.get("published") or activity.get("published")),
        item_id=str(note.get("id") or ""),
        reply_to_id=in_reply_to if kind != "post" else None,
        reply_to_author=author,
        recipients=mentions if kind == "dm" else [],
        mentions=mentions,
        links=links,
    )


class _TextOfHtml(HTMLParser):
    """Visible text of a status, with line breaks for <br> and paragraphs, and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")
        elif tag == "a":
            values = dict(attrs)
            classes = (values.get("class") or "").split()
            href = values.get("href") or ""
            # Mentions and hashtags are links too, but not links to the user's offer.
            if href and "mention" not in classes and "hashtag" not in classes:
                self.links.append(href)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_text(content: str) -> tuple[str, list[str]]:
    parser = _TextOfHtml()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip(), parser.links


def _acct_of_mention(name: str, href: str) -> str:
    name = name.lstrip("@")
    if "@" in name or not name:
        return name
    host = urlsplit(href).hostname
    return f"{name}@{host}" if host else name


def _acct_of_actor(actor: str) -> str | None:
    parts = urlsplit(actor)
    name = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{name}@{parts.hostname}" if name and parts.hostname else None


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()
