"""Read LinkedIn's data export ("Get a copy of your data": the zip, or its unpacked folder).

What is read, with the columns LinkedIn writes:
- `Shares.csv` (Date, ShareLink, ShareCommentary, SharedUrl, MediaUrl, Visibility): posts.
- `Comments.csv` (Date, Link, Message): comments under posts (whose, the export does not say).
- `messages.csv` (CONVERSATION ID, CONVERSATION TITLE, FROM, SENDER PROFILE URL, TO,
  RECIPIENT PROFILE URLS, DATE, SUBJECT, CONTENT, FOLDER; newer exports add ATTACHMENTS,
  IS MESSAGE DRAFT, IS CONVERSATION DRAFT): only messages the owner sent, drafts left out.
- `Invitations.csv` (From, To, Sent At, Message, Direction, inviterProfileUrl,
  inviteeProfileUrl): only OUTGOING invitations that carry a note (a `connect-note`).

Whose export it is: an outgoing invitation's inviter (or an incoming one's invitee) is the owner's
profile; else `Profile.csv` gives the owner's name; else the profile that takes part in every
conversation of messages.csv. Without any of them, messages cannot be told apart and are left out.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import datetime

from pullcheck.audit.bundle import Bundle
from pullcheck.audit.csv_tables import (
    export_order,
    export_time,
    find_tables,
    has_columns,
    read_table,
    read_tables,
)
from pullcheck.audit.items import Archive, ArchiveError, ArchiveItem

PLATFORM = "linkedin"
SHARES = ("Date", "ShareLink", "ShareCommentary")
COMMENTS = ("Date", "Link", "Message")
MESSAGES = ("CONVERSATION ID", "FROM", "SENDER PROFILE URL", "TO", "DATE", "CONTENT")
INVITATIONS = ("From", "To", "Sent At", "Message", "Direction")
PROFILE = ("First Name", "Last Name")
_URL_SPLIT = re.compile(r"[;,\s]+")
_TAG = re.compile(r"<[^>]{0,200}>")


def is_linkedin_export(bundle: Bundle) -> bool:
    for stem, columns in (
        ("messages", MESSAGES),
        ("Shares", SHARES),
        ("Comments", COMMENTS),
        ("Invitations", INVITATIONS),
    ):
        if any(has_columns(bundle, name, columns) for name in find_tables(bundle, stem)):
            return True
    return False


def read_linkedin_export(bundle: Bundle) -> Archive:
    shares = read_tables(bundle, "Shares", SHARES, "LinkedIn's Shares.csv")
    comments = read_tables(bundle, "Comments", COMMENTS, "LinkedIn's Comments.csv")
    messages = read_tables(bundle, "messages", MESSAGES, "LinkedIn's messages.csv")
    invitations = read_tables(bundle, "Invitations", INVITATIONS, "LinkedIn's Invitations.csv")
    if not (shares or comments or messages or invitations) and not any(
        find_tables(bundle, stem) for stem in ("Shares", "Comments", "messages", "Invitations")
    ):
        raise ArchiveError(
            f"{bundle.path}: no Shares.csv, Comments.csv, messages.csv or "
            "Invitations.csv: not a LinkedIn export"
        )
    owner_url = _invitation_owner(invitations) or _conversation_owner(messages)
    owner_name = _owner_name(bundle)
    # messages.csv may spell profiles differently from Invitations.csv (a member URN instead of
    # the vanity name): then who sent what is told from the conversations, or by name.
    senders = {profile_key(row.get("SENDER PROFILE URL")) for row in messages}
    message_owner = owner_url if owner_url in senders else _conversation_owner(messages)
    items: list[ArchiveItem] = []
    skipped = 0
    for row in shares:
        item = _share(row)
        if item is None:
            skipped += 1  # a repost without words of the owner's own
        else:
            items.append(item)
    for row in comments:
        text = row.get("Message", "").strip()
        if not text:
            skipped += 1
            continue
        items.append(
            ArchiveItem(
                platform=PLATFORM,
                kind="comment",
                text=text,
                when=export_time(row.get("Date")),
                item_id=row.get("Link", ""),
                reply_to_id=row.get("Link") or None,
            )
        )
    sent, received = _messages(messages, message_owner, owner_name)
    items.extend(sent)
    skipped += received
    notes, others = _invitations(invitations, messages, owner_url)
    items.extend(notes)
    skipped += others
    owner = owner_name or (f"linkedin.com{owner_url}" if owner_url else None)
    archive = Archive(PLATFORM, str(bundle.path), owner, items, skipped)
    archive.sort_by_time()
    return archive


def profile_key(url: str | None) -> str:
    """A profile URL compared without scheme, host variant, query or trailing slash."""
    text = (url or "").strip().lower().split("?", 1)[0].rstrip("/")
    _, found, path = text.partition("linkedin.com")
    return path if found else text


def _share(row: dict[str, str]) -> ArchiveItem | None:
    text = html.unescape(row.get("ShareCommentary", "")).strip()
    if not text:
        return None
    shared = row.get("SharedUrl", "").strip()
    return ArchiveItem(
        platform=PLATFORM,
        kind="post",
        text=text,
        when=export_time(row.get("Date")),
        item_id=row.get("ShareLink", ""),
        links=[shared] if shared.startswith(("http://", "https://")) else [],
    )


def _invitation_owner(invitations: list[dict[str, str]]) -> str | None:
    """The inviter of outgoing invitations and the invitee of incoming ones."""
    votes: Counter[str] = Counter()
    for row in invitations:
        direction = row.get("Direction", "").strip().upper()
        column = {"OUTGOING": "inviterProfileUrl", "INCOMING": "inviteeProfileUrl"}.get(direction)
        key = profile_key(row.get(column or "", ""))
        if key:
            votes[key] += 1
    return votes.most_common(1)[0][0] if votes else None


def _conversation_owner(messages: list[dict[str, str]]) -> str | None:
    """The one profile that takes part in every conversation (at least two of them)."""
    conversations: dict[str, set[str]] = {}
    for row in messages:
        people = conversations.setdefault(row.get("CONVERSATION ID", ""), set())
        people.update(
            k for k in [profile_key(row.get("SENDER PROFILE URL")), *_recipient_keys(row)] if k
        )
    if len(conversations) < 2:
        return None
    shared = set.intersection(*conversations.values())
    return next(iter(shared)) if len(shared) == 1 else None


def _owner_name(bundle: Bundle) -> str | None:
    for name in find_tables(bundle, "Profile"):
        if not has_columns(bundle, name, PROFILE):
            continue
        for row in read_table(bundle, name, PROFILE, "LinkedIn's Profile.csv"):
            full = f"{row.get('First Name', '').strip()} {row.get('Last Name', '').strip()}"
            if full.strip():
                return full.strip()
    return None


def _recipient_keys(row: dict[str, str]) -> list[str]:
    urls = row.get("RECIPIENT PROFILE URLS", "")
    return [k for k in (profile_key(u) for u in _URL_SPLIT.split(urls)) if k]


def _is_owner(row: dict[str, str], owner_url: str | None, owner_name: str | None) -> bool | None:
    sender = profile_key(row.get("SENDER PROFILE URL"))
    if owner_url and sender:
        return sender == owner_url
    if owner_name:
        return row.get("FROM", "").strip().lower() == owner_name.lower()
    return None


def _messages(
    rows: list[dict[str, str]], owner_url: str | None, owner_name: str | None
) -> tuple[list[ArchiveItem], int]:
    ordered = sorted(rows, key=lambda r: export_order(r.get("DATE")))
    heard_from: dict[str, set[str]] = {}  # conversation -> people who wrote in it
    sent: list[ArchiveItem] = []
    left_out = 0
    for row in ordered:
        conversation = row.get("CONVERSATION ID", "")
        sender = profile_key(row.get("SENDER PROFILE URL")) or row.get("FROM", "").strip()
        mine = _is_owner(row, owner_url, owner_name)
        draft = row.get("IS MESSAGE DRAFT", "").strip().lower() in ("yes", "true")
        if not mine or draft:
            left_out += 1
            if mine is False and sender:
                heard_from.setdefault(conversation, set()).add(sender)
            continue
        recipients = [k for k in _recipient_keys(row) if k != owner_url]
        if not recipients:
            recipients = [n.strip() for n in row.get("TO", "").split(",") if n.strip()]
        content = _TAG.sub("", html.unescape(row.get("CONTENT", ""))).strip()
        subject = row.get("SUBJECT", "").strip()
        text = f"{subject}\n\n{content}" if subject and subject not in content else content
        if not text:
            left_out += 1
            continue
        spoke = heard_from.get(conversation, set())
        sent.append(
            ArchiveItem(
                platform=PLATFORM,
                kind="dm",
                text=text,
                when=export_time(row.get("DATE")),
                item_id=conversation,
                recipients=recipients,
                prior_conversation=any(r in spoke for r in recipients),
            )
        )
    return sent, left_out


def _invitations(
    rows: list[dict[str, str]], messages: list[dict[str, str]], owner_url: str | None
) -> tuple[list[ArchiveItem], int]:
    # When each person first wrote to the owner: a note after that is not to a stranger.
    first_heard: dict[str, datetime] = {}
    for row in messages:
        sender = profile_key(row.get("SENDER PROFILE URL"))
        when = export_time(row.get("DATE"))
        heard_earlier = sender in first_heard and when is not None and when >= first_heard[sender]
        if sender and sender != owner_url and when is not None and not heard_earlier:
            first_heard[sender] = when
    notes: list[ArchiveItem] = []
    left_out = 0
    for row in rows:
        text = html.unescape(row.get("Message", "")).strip()
        if row.get("Direction", "").strip().upper() != "OUTGOING" or not text:
            left_out += 1
            continue
        invitee = profile_key(row.get("inviteeProfileUrl")) or row.get("To", "").strip()
        when = export_time(row.get("Sent At"))
        heard = first_heard.get(invitee)
        notes.append(
            ArchiveItem(
                platform=PLATFORM,
                kind="connect-note",
                text=text,
                when=when,
                item_id=row.get("inviteeProfileUrl", "") or row.get("To", ""),
                recipients=[invitee] if invitee else [],
                prior_conversation=bool(heard and when and heard < when),
            )
        )
    return notes, left_out
