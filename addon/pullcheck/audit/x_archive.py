"""Read an X (Twitter) archive: the zip the site sends, or the folder it unpacks into.

The data files are JavaScript assignments, `window.YTD.tweets.part0 = [...]`; large archives
split them into `tweets-part1.js`, `tweets-part2.js`, ... Older archives call the file
`tweet.js`. Only the user's own writing is audited: retweets and received DMs are skipped.

Facts about the format this relies on:
- `display_text_range` excludes the `@handles` X prefixes to a reply by itself; the compose
  request on the wire carries the text without them, so the audit judges the same text.
- `entities.urls[].url` is the t.co wrapper of a link the user typed; `expanded_url` is what
  they typed. Judging the expanded form lets the link rules see the real domain.
- A quote tweet carries the quoted post's status URL as its last link.
- A DM conversation id of a one-to-one chat is the two account ids joined by `-`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pullcheck.audit.bundle import Bundle
from pullcheck.audit.items import Archive, ArchiveError, ArchiveItem, iso_time, mapping
from pullcheck.models import Kind

PLATFORM = "x"
_STATUS_URL = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/\w+/status/(\d+)")
_MONTHS = {
    name: number
    for number, name in enumerate(
        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1
    )
}
_PART = re.compile(r"(?:^|/)(tweets?)(?:-part(\d+))?\.js$")


def is_x_archive(bundle: Bundle) -> bool:
    return bool(_tweet_files(bundle) or bundle.find("data/direct-messages.js"))


def read_x_archive(bundle: Bundle) -> Archive:
    owner_id, owner_handle = _owner(bundle)
    items: list[ArchiveItem] = []
    skipped = 0
    tweet_files = _tweet_files(bundle)
    dm_files = bundle.find("data/direct-messages.js")
    if not tweet_files and not dm_files:
        raise ArchiveError(
            f"{bundle.path}: no data/tweets.js or data/direct-messages.js: not an X archive"
        )
    for name in tweet_files:
        for entry in _records(bundle, name):
            tweet = entry.get("tweet", entry) if isinstance(entry, dict) else None
            if not isinstance(tweet, dict):
                raise ArchiveError(f"{bundle.describe(name)}: an entry is not a tweet object")
            item = _tweet_item(tweet, owner_id, owner_handle)
            if item is None:
                skipped += 1
            else:
                items.append(item)
    if dm_files:
        conversations = [
            entry["dmConversation"]
            for entry in _records(bundle, dm_files[0])
            if isinstance(entry, dict) and isinstance(entry.get("dmConversation"), dict)
        ]
        me = owner_id or _infer_owner_id(conversations)
        for conversation in conversations:
            sent, received = _dm_items(conversation, me)
            items.extend(sent)
            skipped += received
    archive = Archive(PLATFORM, str(bundle.path), owner_handle or owner_id, items, skipped)
    archive.sort_by_time()
    return archive


def _tweet_files(bundle: Bundle) -> list[str]:
    found = []
    for name in bundle.names():
        match = _PART.search(name)
        if match and (name.startswith("data/") or "/data/" in name):
            found.append((int(match.group(2) or 0), name))
    return [name for _, name in sorted(found)]


def _records(bundle: Bundle, name: str) -> list[Any]:
    """The array assigned in a `window.YTD.<name>.partN = [...]` file."""
    raw = bundle.read(name)
    where = bundle.describe(name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArchiveError(f"{where}: not UTF-8 text ({error})") from error
    head, equals, body = text.partition("=")
    if not equals or not head.strip().startswith("window.YTD."):
        raise ArchiveError(
            f"{where}: does not start with 'window.YTD.…= [' as the files of an X archive do"
        )
    try:
        data = json.loads(body.strip().rstrip(";"))
    except json.JSONDecodeError as error:
        line = head.count("\n") + error.lineno
        raise ArchiveError(
            f"{where}:{line}: truncated or not valid JSON (column {error.colno}: {error.msg})"
        ) from error
    if not isinstance(data, list):
        raise ArchiveError(f"{where}: expected an array after '='")
    return data


def _owner(bundle: Bundle) -> tuple[str | None, str | None]:
    names = bundle.find("data/account.js")
    if not names:
        return None, None
    for entry in _records(bundle, names[0]):
        account = entry.get("account") if isinstance(entry, dict) else None
        if isinstance(account, dict):
            return (_str(account.get("accountId")), _str(account.get("username")))
    return None, None


def _tweet_item(
    tweet: dict[str, Any], owner_id: str | None, owner_handle: str | None
) -> ArchiveItem | None:
    full_text = _str(tweet.get("full_text") or tweet.get("text")) or ""
    if full_text.startswith("RT @") or tweet.get("retweeted") is True:
        return None  # someone else's words
    entities = mapping(tweet.get("entities"))
    start, end = _display_range(tweet, len(full_text))
    text = full_text[start:end]
    links: list[str] = []
    quoted: str | None = None
    for url in entities.get("urls") or []:
        if not isinstance(url, dict):
            continue
        short, expanded = _str(url.get("url")), _str(url.get("expanded_url"))
        if not expanded:
            continue
        status = _STATUS_URL.match(expanded)
        if status and (not short or short not in text or text.rstrip().endswith(short)):
            # The quoted post's URL: either cut off by display_text_range or at the end.
            quoted = status.group(1)
            if short and text.rstrip().endswith(short):
                text = text.rstrip()[: -len(short)].rstrip()
            continue
        if short:
            text = text.replace(short, expanded)
        links.append(expanded)
    mentions = [
        m["screen_name"]
        for m in entities.get("user_mentions") or []
        if isinstance(m, dict)
        and isinstance(m.get("screen_name"), str)
        and _mention_start(m) >= start
    ]
    reply_to_id = _str(tweet.get("in_reply_to_status_id_str"))
    reply_to_author = _str(tweet.get("in_reply_to_screen_name"))
    reply_to_user = _str(tweet.get("in_reply_to_user_id_str"))
    own_thread = bool(reply_to_id) and (
        (
            owner_handle is not None
            and reply_to_author is not None
            and reply_to_author.lower() == owner_handle.lower()
        )
        or (owner_id is not None and reply_to_user == owner_id)
    )
    kind: Kind
    if reply_to_id and not own_thread:
        kind = "reply"
    elif quoted:
        kind = "quote"
    else:
        # A reply to one's own post continues a thread: it is a public post, not a reply to
        # someone who might not have asked.
        kind = "post"
    return ArchiveItem(
        platform=PLATFORM,
        kind=kind,
        text=text,
        when=_twitter_time(tweet.get("created_at")),
        item_id=_str(tweet.get("id_str") or tweet.get("id")) or "",
        reply_to_id=reply_to_id if kind == "reply" else (quoted if kind == "quote" else None),
        reply_to_author=reply_to_author if kind == "reply" else None,
        mentions=mentions,
        links=links,
    )


def _dm_items(conversation: dict[str, Any], me: str | None) -> tuple[list[ArchiveItem], int]:
    messages = []
    for message in conversation.get("messages") or []:
        create = message.get("messageCreate") if isinstance(message, dict) else None
        if isinstance(create, dict):
            messages.append(create)
    messages.sort(key=lambda m: str(m.get("createdAt") or ""))
    sent: list[ArchiveItem] = []
    received = 0
    heard_from: set[str] = set()
    for create in messages:
        sender = _str(create.get("senderId"))
        if me is None or sender != me:
            received += 1
            if sender:
                heard_from.add(sender)
            continue
        recipient = _str(create.get("recipientId"))
        text = _str(create.get("text")) or ""
        links = []
        for url in create.get("urls") or []:
            if isinstance(url, dict) and _str(url.get("expanded")):
                if _str(url.get("url")):
                    text = text.replace(url["url"], url["expanded"])
                links.append(url["expanded"])
        sent.append(
            ArchiveItem(
                platform=PLATFORM,
                kind="dm",
                text=text,
                when=iso_time(create.get("createdAt")),
                item_id=_str(create.get("id")) or "",
                recipients=[recipient] if recipient else [],
                links=links,
                prior_conversation=bool(recipient and recipient in heard_from),
            )
        )
    return sent, received


def _infer_owner_id(conversations: list[dict[str, Any]]) -> str | None:
    """Without account.js, the owner is the account that takes part in every conversation."""
    counts: Counter[str] = Counter()
    senders: Counter[str] = Counter()
    for conversation in conversations:
        counts.update(set(str(conversation.get("conversationId") or "").split("-")) - {""})
        for message in conversation.get("messages") or []:
            create = message.get("messageCreate") if isinstance(message, dict) else None
            if isinstance(create, dict) and _str(create.get("senderId")):
                senders[create["senderId"]] += 1
    if not counts:
        return None
    top = max(counts.values())
    candidates = [who for who, n in counts.items() if n == top]
    # A single conversation leaves two candidates; the owner usually wrote more of it.
    return max(candidates, key=lambda who: senders[who])


def _display_range(tweet: dict[str, Any], length: int) -> tuple[int, int]:
    span = tweet.get("display_text_range")
    try:
        start, end = int(span[0]), int(span[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return 0, length
    if 0 <= start <= end <= length:
        return start, end
    return 0, length


def _mention_start(mention: dict[str, Any]) -> int:
    try:
        return int(mention["indices"][0])
    except (KeyError, TypeError, ValueError, IndexError):
        return 0


def _twitter_time(value: Any) -> datetime | None:
    """`Wed Oct 10 20:19:24 +0000 2018`, read by position: strptime took a third of the time
    to read a large archive."""
    if not isinstance(value, str):
        return None
    month = _MONTHS.get(value[4:7]) if len(value) == 30 else None
    if month is not None:
        try:
            sign = -1 if value[20] == "-" else 1
            offset = timedelta(hours=int(value[21:23]), minutes=int(value[23:25]))
            return datetime(
                int(value[26:30]),
                month,
                int(value[8:10]),
                int(value[11:13]),
                int(value[14:16]),
                int(value[17:19]),
                tzinfo=UTC if not offset else timezone(sign * offset),
            )
        except ValueError:
            pass
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return iso_time(value)


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
