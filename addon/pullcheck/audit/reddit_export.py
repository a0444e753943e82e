"""Read Reddit's data request export (reddit.com/settings/data-request: a zip of CSV files, or
the folder it unpacks into).

What is read, with the columns Reddit writes (large tables may be split into `name_1.csv`, ...):
- `posts.csv` (id, permalink, date, ip, subreddit, gildings, title, url, body): posts; a link
  post's `url` is its link, a text post's `url` is its own permalink.
- `comments.csv` (id, permalink, date, ip, subreddit, gildings, link, parent, body, media):
  comments; `parent` is the fullname answered (`t3_` the post, `t1_` a comment).
- `messages.csv` and `messages_archive.csv` (id, permalink, thread_id, date, ip, from, to,
  subject, body): private messages both ways; only those the owner sent are judged.

The owner is `statistics.csv`'s "account name" row; without it, the one name in every private
message (from or to). Left out: deleted or removed bodies, received messages, chat history.
"""

from __future__ import annotations

from collections import Counter

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

PLATFORM = "reddit"
POSTS = ("id", "permalink", "date", "subreddit", "title", "url", "body")
COMMENTS = ("id", "permalink", "date", "subreddit", "link", "parent", "body")
MESSAGES = ("id", "thread_id", "date", "from", "to", "subject", "body")
STATISTICS = ("statistic", "value")
_GONE = {"[deleted]", "[removed]"}


def is_reddit_export(bundle: Bundle) -> bool:
    for stem, columns in (("posts", POSTS), ("comments", COMMENTS), ("messages", MESSAGES)):
        if any(has_columns(bundle, name, columns) for name in find_tables(bundle, stem)):
            return True
    return False


def read_reddit_export(bundle: Bundle) -> Archive:
    posts = _rows(bundle, "posts", POSTS)
    comments = _rows(bundle, "comments", COMMENTS)
    messages = _rows(bundle, "messages", MESSAGES) + _rows(bundle, "messages_archive", MESSAGES)
    if not any(find_tables(bundle, stem) for stem in ("posts", "comments", "messages")):
        raise ArchiveError(
            f"{bundle.path}: no posts.csv, comments.csv or messages.csv: not a Reddit export"
        )
    owner = _owner(bundle, messages)
    items: list[ArchiveItem] = []
    skipped = 0
    for row in posts:
        item = _post(row)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    for row in comments:
        text = row.get("body", "").strip()
        if not text or text in _GONE:
            skipped += 1
            continue
        items.append(
            ArchiveItem(
                platform=PLATFORM,
                kind="comment",
                text=text,
                when=export_time(row.get("date")),
                item_id=row.get("id", ""),
                reply_to_id=row.get("parent") or row.get("link") or None,
            )
        )
    sent, received = _messages(messages, owner)
    items.extend(sent)
    skipped += received
    archive = Archive(PLATFORM, str(bundle.path), f"u/{owner}" if owner else None, items, skipped)
    archive.sort_by_time()
    return archive


def _rows(bundle: Bundle, stem: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    # Matched by the exact (lower-case) names Reddit's export uses.
    return read_tables(bundle, stem, columns, f"Reddit's {stem}.csv", case_sensitive=True)


def _post(row: dict[str, str]) -> ArchiveItem | None:
    title = row.get("title", "").strip()
    body = row.get("body", "").strip()
    if body in _GONE:
        body = ""
    text = f"{title}\n\n{body}" if title and body else title or body
    if not text:
        return None
    url = row.get("url", "").strip()
    own_page = f"/comments/{row.get('id', '')}/" in url or url == row.get("permalink", "")
    links = [url] if url.startswith(("http://", "https://")) and not own_page else []
    return ArchiveItem(
        platform=PLATFORM,
        kind="post",
        text=text,
        when=export_time(row.get("date")),
        item_id=row.get("id", ""),
        links=links,
    )


def _owner(bundle: Bundle, messages: list[dict[str, str]]) -> str | None:
    for name in find_tables(bundle, "statistics", case_sensitive=True):
        if not has_columns(bundle, name, STATISTICS):
            continue
        for row in read_table(bundle, name, STATISTICS, "Reddit's statistics.csv"):
            if row.get("statistic", "").strip().lower().replace("_", " ") == "account name":
                return _user(row.get("value")) or None
    # The one name in every message, when there are at least two other people to tell it by.
    everyone: Counter[str] = Counter()
    shared: set[str] | None = None
    for row in messages:
        people = {p for p in (_user(row.get("from")), _user(row.get("to"))) if p}
        everyone.update(people)
        shared = people if shared is None else shared & people
    if shared and len(shared) == 1 and len(everyone) >= 3:
        return next(iter(shared))
    return None


def _user(name: str | None) -> str:
    text = (name or "").strip()
    return text[2:] if text.lower().startswith("u/") else text


def _messages(rows: list[dict[str, str]], owner: str | None) -> tuple[list[ArchiveItem], int]:
    ordered = sorted(rows, key=lambda r: export_order(r.get("date")))
    heard_from: set[str] = set()  # people who wrote to the owner, so far
    sent: list[ArchiveItem] = []
    left_out = 0
    seen_ids: set[str] = set()
    wanted = (owner or "").lower()
    for row in ordered:
        message_id = row.get("id", "")
        if message_id and message_id in seen_ids:
            continue  # the same message in messages.csv and messages_archive.csv
        seen_ids.add(message_id)
        sender, recipient = _user(row.get("from")), _user(row.get("to"))
        if not wanted or sender.lower() != wanted:
            left_out += 1
            if wanted and sender:
                heard_from.add(sender.lower())
            continue
        body = row.get("body", "").strip()
        subject = row.get("subject", "").strip()
        if body in _GONE:
            body = ""
        # A first message's subject is part of what the recipient reads; "re: ..." is not.
        fresh = subject and not subject.lower().startswith("re:")
        text = f"{subject}\n\n{body}" if fresh and body else body or (subject if fresh else "")
        if not text:
            left_out += 1
            continue
        sent.append(
            ArchiveItem(
                platform=PLATFORM,
                kind="dm",
                text=text,
                when=export_time(row.get("date")),
                item_id=message_id,
                recipients=[recipient] if recipient else [],
                prior_conversation=recipient.lower() in heard_from,
            )
        )
    return sent, left_out
