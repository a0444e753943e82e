"""The plain shapes that cross between the proxy and the site adapters.

The proxy turns mitmproxy flows into `WireRequest`/`WireResponse` (bodies already stripped of
their content-encoding: gzip, br and zstd are mitmproxy's job) and hands them to an adapter; the
adapter answers with a `Compose` (a draft going out) or a `Harvest` (what a read response showed).
Nothing here imports mitmproxy.

Additions to the shared contract (all optional, with defaults): `Compose.sender` and
`Harvest.own_id` (the signed-in account, when the request reveals it, so a conversation's other
members can be told from the user), `Harvest.own_handle` (that account's handle, from a read
response that describes the signed-in account: who writes the user's drafts),
`Harvest.conversation_senders` (who wrote in a conversation, for `prior_conversation`),
`Harvest.source` (which read operation it came from, for logs), `Harvest.empty_conversations`
(conversations the site showed with no message in them yet: the first message into one is a
cold one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pullcheck.models import Draft


@dataclass(frozen=True, slots=True)
class WireRequest:
    method: str
    scheme: str
    host: str
    port: int
    path: str  # without the query string
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case keys
    body: bytes  # content-encoding already decoded

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True, slots=True)
class WireResponse:
    request: WireRequest
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True, slots=True)
class FailureResponse:
    """What the site's own client treats as a failed send, so a held draft stays in its box."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Compose:
    """A recognised compose request: which operation, the draft, and what memory must resolve."""

    operation: str
    draft: Draft
    # Conversations the message goes to; memory maps them to members (recipients).
    conversation_ids: list[str]
    failure: FailureResponse
    # The signed-in account when the request names it (X `twid` cookie, Bluesky `repo`,
    # LinkedIn `mailboxUrn`): never counted as a recipient.
    sender: str | None = None


class SeenPost:
    """A post seen on a read response. Compact (`__slots__`): memory keeps 100,000 of them."""

    __slots__ = ("author", "author_id", "id", "in_reply_to", "platform", "text")

    def __init__(
        self,
        id: str,
        platform: str,
        author: str | None,
        text: str,
        in_reply_to: str | None = None,
        author_id: str | None = None,
    ) -> None:
        self.id = id
        self.platform = platform
        self.author = author
        self.text = text
        self.in_reply_to = in_reply_to
        self.author_id = author_id

    def __repr__(self) -> str:
        return (
            f"SeenPost(id={self.id!r}, platform={self.platform!r}, author={self.author!r}, "
            f"text={self.text[:40]!r}, in_reply_to={self.in_reply_to!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SeenPost):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Follower:
    """Someone who started following the user, and when (epoch seconds)."""

    platform: str
    id: str
    handle: str | None
    time: float


@dataclass(slots=True)
class Harvest:
    posts: list[SeenPost] = field(default_factory=list)
    new_followers: list[Follower] = field(default_factory=list)
    # conversation id -> member ids (the user included, when the site lists them)
    conversations: dict[str, list[str]] = field(default_factory=dict)
    # conversation id -> ids of members seen writing in it
    conversation_senders: dict[str, list[str]] = field(default_factory=dict)
    own_id: str | None = None
    # The signed-in account's handle, as the site names it where posts name their authors and
    # mentions (X screen name, Mastodon acct, Bluesky handle, Reddit username, LinkedIn public
    # identifier). Only from a response about the signed-in account itself (Mastodon
    # verify_credentials, Bluesky getSession, X Viewer, Reddit /api/me, LinkedIn /me), never
    # guessed from a timeline. It belongs to `own_id` when both are set.
    own_handle: str | None = None
    source: str = ""
    # Conversations shown with no message in them yet (Bluesky's getConvoForMembers creates one
    # before the first message is sent): being seen does not make them a prior conversation.
    empty_conversations: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.posts
            or self.new_followers
            or self.conversations
            or self.conversation_senders
            or self.own_id
            or self.own_handle
            or self.empty_conversations
        )
