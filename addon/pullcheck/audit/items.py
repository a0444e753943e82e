"""One thing the user sent, as read from an archive export, whatever the site.

Archives are read whole before judging (the sent history needs them in time order), so an item
is a slotted dataclass rather than a pydantic model: a 100,000-post archive makes 100,000 of
them. It becomes a `Draft` only when the engine is about to judge it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pullcheck.models import Draft, Kind, ReplyTarget


class ArchiveError(Exception):
    """The file is not an archive we can read, or it is damaged. The message names the file."""


@dataclass(slots=True)
class ArchiveItem:
    """A post, reply, quote or DM the user sent.

    `reply_to_text` is almost always None: an export holds the user's own words, not the post
    they answered. The engine then treats the parent's ask as unknown, as it does on the wire
    when the parent was never seen.
    """

    platform: str
    kind: Kind
    text: str
    when: datetime | None = None
    item_id: str = ""
    reply_to_id: str | None = None
    reply_to_author: str | None = None
    reply_to_text: str | None = None
    recipients: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    # For DMs: had the recipient written to the user before this message? None = unknown.
    prior_conversation: bool | None = None

    @property
    def timestamp(self) -> float | None:
        return self.when.timestamp() if self.when else None

    def to_draft(self, validate: bool = True) -> Draft:
        """The draft the engine judges. `validate=False` skips pydantic's checks (the readers
        build well-typed items) where only a few fields are read, 100,000 times over."""
        reply_to = None
        if self.kind in ("reply", "comment") or self.reply_to_id or self.reply_to_author:
            reply_to = ReplyTarget(
                id=self.reply_to_id, author=self.reply_to_author, text=self.reply_to_text
            )
        make = Draft if validate else Draft.model_construct
        return make(
            platform=self.platform,
            kind=self.kind,
            text=self.text,
            reply_to=reply_to,
            recipients=list(self.recipients),
            mentions=list(self.mentions),
            links=list(self.links),
            prior_conversation=self.prior_conversation,
            context="archive audit",
        )


@dataclass(slots=True)
class Archive:
    """Everything read from one export: which site, whose, and the items in time order."""

    platform: str
    source: str
    owner: str | None
    items: list[ArchiveItem]
    # Things present in the export that are not the user's own writing (retweets, reposts,
    # messages received): counted so the summary can say what was left out.
    skipped: int = 0

    def sort_by_time(self) -> None:
        # Undated items go first; a stable sort keeps the export's order among equal times.
        self.items.sort(key=lambda item: item.when.timestamp() if item.when else float("-inf"))


def mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: exports are not always complete."""
    return value if isinstance(value, dict) else {}


def iso_time(value: Any) -> datetime | None:
    """An ISO 8601 time as exports write it (`Z` suffix allowed); naive times are UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
