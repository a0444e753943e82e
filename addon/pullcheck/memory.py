"""What the proxy remembers from the sites' read responses, bounded and in memory only.

- `SeenPosts`: posts seen in timelines, threads and notifications (id -> author, text, parent),
  an LRU of 100,000 by default. It is how a reply learns what its parent said, so the engine can
  tell whether that person asked for help. Kept compact: `SeenPost` has `__slots__`, author names
  are interned, texts are capped.
- `Followers`: who started following the user and when, per platform; "new" means within
  `new_follower_window_s` (30 days by default).
- `Conversations`: conversation id -> members, who wrote in it, and when it was first seen and
  first written to in this session (for `prior_conversation`).

`Memory.enrich(platform, compose)` fills in a draft's context from these stores. The first
`enrich` naming a conversation counts as the user's first attempt to write into it (a banner
live check included: it comes before the send), which is what "existed before this session's
first send" is measured against. Nothing is written to disk. All methods are thread-safe (one
lock; every operation is short).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pullcheck.models import Draft, ReplyTarget
from pullcheck.sites.wire import Compose, Follower, Harvest, SeenPost

DEFAULT_MAX_POSTS = 100_000
# The engine judges drafts of up to a few thousand characters; a parent's opening is where an
# ask is, and capping keeps 100,000 posts well inside the memory budget.
MAX_POST_TEXT = 4_000
DEFAULT_MAX_FOLLOWERS = 50_000
DEFAULT_MAX_CONVERSATIONS = 20_000
DEFAULT_NEW_FOLLOWER_WINDOW_S = 30 * 24 * 3600.0
# Own-id guess from conversation lists looks at this many conversations at most.
_GUESS_SAMPLE = 50


def _key(value: str) -> str:
    """Handles and ids compare without case and without a leading '@'."""
    return value.strip().lstrip("@").lower()


class SeenPosts:
    """An LRU of posts keyed by (platform, id). Not locked: `Memory` holds the lock."""

    def __init__(self, capacity: int = DEFAULT_MAX_POSTS) -> None:
        self.capacity = max(1, capacity)
        self._posts: OrderedDict[tuple[str, str], SeenPost] = OrderedDict()

    def __len__(self) -> int:
        return len(self._posts)

    def put(self, post: SeenPost) -> None:
        key = (post.platform, post.id)
        old = self._posts.get(key)
        if old is not None:
            # A later sighting may be poorer (a truncated copy, no parent): keep what is known.
            if not post.text and old.text:
                post.text = old.text
            post.in_reply_to = post.in_reply_to or old.in_reply_to
            post.author = post.author or old.author
            post.author_id = post.author_id or old.author_id
            self._posts.move_to_end(key)
        self._posts[key] = post
        while len(self._posts) > self.capacity:
            self._posts.popitem(last=False)

    def get(self, platform: str, post_id: str) -> SeenPost | None:
        key = (platform, post_id)
        post = self._posts.get(key)
        if post is not None:
            self._posts.move_to_end(key)
        return post

    def snapshot(self) -> list[SeenPost]:
        return list(self._posts.values())

    def clear(self) -> None:
        self._posts.clear()


class Followers:
    """New followers per platform, bounded; looked up by id or by handle."""

    def __init__(self, capacity: int = DEFAULT_MAX_FOLLOWERS) -> None:
        self.capacity = max(1, capacity)
        self._by_id: OrderedDict[tuple[str, str], Follower] = OrderedDict()
        self._by_handle: dict[tuple[str, str], str] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, follower: Follower) -> None:
        key = (follower.platform, _key(follower.id))
        old = self._by_id.get(key)
        if old is not None:
            if old.time >= follower.time and (old.handle or not follower.handle):
                return
            self._by_id.move_to_end(key)
        self._by_id[key] = follower
        if follower.handle:
            self._by_handle[(follower.platform, _key(follower.handle))] = key[1]
        while len(self._by_id) > self.capacity:
            (platform, _), gone = self._by_id.popitem(last=False)
            if gone.handle:
                self._by_handle.pop((platform, _key(gone.handle)), None)

    def find(self, platform: str, who: str) -> Follower | None:
        wanted = _key(who)
        found = self._by_id.get((platform, wanted))
        if found is None:
            follower_id = self._by_handle.get((platform, wanted))
            if follower_id is not None:
                found = self._by_id.get((platform, follower_id))
        return found

    def clear(self) -> None:
        self._by_id.clear()
        self._by_handle.clear()


@dataclass
class Conversation:
    members: tuple[str, ...] = ()
    senders: set[str] = field(default_factory=set)
    first_seen: float | None = None  # first harvested (read from the site)
    first_send: float | None = None  # first message the user tried to send into it
    # Shown with no message in it before anything else was known: a new conversation.
    seen_empty: bool = False


class Conversations:
    """Conversation id -> members and history, per platform, bounded (LRU)."""

    def __init__(self, capacity: int = DEFAULT_MAX_CONVERSATIONS) -> None:
        self.capacity = max(1, capacity)
        self._items: OrderedDict[tuple[str, str], Conversation] = OrderedDict()
        self._by_member: dict[tuple[str, str], set[str]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get(self, platform: str, conversation_id: str) -> Conversation | None:
        return self._items.get((platform, conversation_id))

    def touch(self, platform: str, conversation_id: str) -> Conversation:
        key = (platform, conversation_id)
        conversation = self._items.get(key)
        if conversation is None:
            conversation = self._items[key] = Conversation()
            while len(self._items) > self.capacity:
                (old_platform, old_id), gone = self._items.popitem(last=False)
                for member in gone.members:
                    ids = self._by_member.get((old_platform, _key(member)))
                    if ids is not None:
                        ids.discard(old_id)
                        if not ids:
                            del self._by_member[(old_platform, _key(member))]
        else:
            self._items.move_to_end(key)
        return conversation

    def set_members(self, platform: str, conversation_id: str, members: list[str]) -> None:
        conversation = self.touch(platform, conversation_id)
        conversation.members = tuple(dict.fromkeys(members))
        for member in conversation.members:
            self._by_member.setdefault((platform, _key(member)), set()).add(conversation_id)

    def with_member(self, platform: str, member: str) -> list[tuple[str, Conversation]]:
        ids = self._by_member.get((platform, _key(member)), set())
        found = []
        for conversation_id in ids:
            conversation = self._items.get((platform, conversation_id))
            if conversation is not None:
                found.append((conversation_id, conversation))
        return found

    def member_lists(self, platform: str, limit: int) -> list[tuple[str, ...]]:
        lists = []
        for (item_platform, _), conversation in reversed(self._items.items()):
            if item_platform == platform and len(conversation.members) >= 2:
                lists.append(conversation.members)
                if len(lists) >= limit:
                    break
        return lists

    def clear(self) -> None:
        self._items.clear()
        self._by_member.clear()


class Memory:
    """Bounded, thread-safe memory of what the user's sites showed: posts, followers, chats."""

    def __init__(
        self,
        max_posts: int = DEFAULT_MAX_POSTS,
        max_followers: int = DEFAULT_MAX_FOLLOWERS,
        max_conversations: int = DEFAULT_MAX_CONVERSATIONS,
        new_follower_window_s: float = DEFAULT_NEW_FOLLOWER_WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.posts = SeenPosts(max_posts)
        self.followers = Followers(max_followers)
        self.conversations = Conversations(max_conversations)
        self.new_follower_window_s = new_follower_window_s
        self._clock = clock
        self._own: dict[str, set[str]] = {}
        self._lock = threading.RLock()

    # -- writing ---------------------------------------------------------------------------

    def remember(self, platform: str, harvest: Harvest, now: float | None = None) -> None:
        """Store what one read response showed."""
        now = self._clock() if now is None else now
        with self._lock:
            if harvest.own_id:
                self._own.setdefault(platform, set()).add(_key(harvest.own_id))
            for post in harvest.posts:
                self.posts.put(_compact(post, platform))
            for follower in harvest.new_followers:
                self.followers.add(follower)
            empty = set(harvest.empty_conversations)
            for conversation_id, members in harvest.conversations.items():
                self.conversations.set_members(platform, conversation_id, members)
                conversation = self.conversations.touch(platform, conversation_id)
                if conversation.first_seen is None and conversation_id not in empty:
                    conversation.first_seen = now
            for conversation_id in empty:
                conversation = self.conversations.touch(platform, conversation_id)
                if conversation.first_seen is None and not conversation.senders:
                    conversation.seen_empty = True
            for conversation_id, senders in harvest.conversation_senders.items():
                conversation = self.conversations.touch(platform, conversation_id)
                if conversation.first_seen is None:
                    conversation.first_seen = now
                conversation.senders.update(_key(s) for s in senders)

    def forget(self) -> None:
        with self._lock:
            self.posts.clear()
            self.followers.clear()
            self.conversations.clear()
            self._own.clear()

    # -- reading ---------------------------------------------------------------------------

    def seen_post(self, platform: str, post_id: str) -> SeenPost | None:
        with self._lock:
            return self.posts.get(platform, post_id)

    def own_ids(self, platform: str) -> set[str]:
        with self._lock:
            return set(self._own.get(platform, ()))

    def is_new_follower(self, platform: str, who: str, now: float | None = None) -> bool | None:
        """True when `who` followed within the window, False when earlier, None when unknown."""
        now = self._clock() if now is None else now
        with self._lock:
            follower = self.followers.find(platform, who)
        if follower is None:
            return None
        return now - follower.time <= self.new_follower_window_s

    def posts_asking(self, platform: str | None = None) -> Iterator[SeenPost]:
        """Seen posts whose text asks for help (for pull-opportunity work), newest first."""
        from pullcheck.features import asks_for_help

        with self._lock:
            posts = self.posts.snapshot()
        for post in reversed(posts):
            if platform is not None and post.platform != platform:
                continue
            if asks_for_help(post.text).answer == "yes":
                yield post

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "posts": len(self.posts),
                "followers": len(self.followers),
                "conversations": len(self.conversations),
            }

    # -- enriching a draft -----------------------------------------------------------------

    def enrich(self, platform: str, compose: Compose, now: float | None = None) -> Draft:
        """The compose's draft with what memory knows: the parent post, recipients, history."""
        now = self._clock() if now is None else now
        draft = compose.draft
        update: dict[str, Any] = {}
        with self._lock:
            if compose.sender:
                self._own.setdefault(platform, set()).add(_key(compose.sender))
            own = self._own_ids_locked(platform)

            target = draft.reply_to
            if target is not None and target.id and (target.author is None or target.text is None):
                seen = self.posts.get(platform, target.id)
                if seen is not None:
                    update["reply_to"] = ReplyTarget(
                        id=target.id,
                        author=target.author if target.author is not None else seen.author,
                        text=target.text if target.text is not None else seen.text,
                    )

            recipients = list(draft.recipients)
            for conversation_id in compose.conversation_ids:
                conversation = self.conversations.get(platform, conversation_id)
                if conversation is not None:
                    recipients.extend(conversation.members)
            recipients = [r for r in dict.fromkeys(recipients) if _key(r) not in own]
            if recipients != list(draft.recipients):
                update["recipients"] = recipients

            if draft.recipient_is_new_follower is None and recipients:
                update["recipient_is_new_follower"] = self._new_follower_locked(
                    platform, recipients, now
                )
            if draft.prior_conversation is None:
                prior = self._prior_locked(platform, compose.conversation_ids, recipients, now)
                if prior is not None:
                    update["prior_conversation"] = prior
            else:
                self._mark_send_locked(platform, compose.conversation_ids, now)
        return draft.model_copy(update=update) if update else draft

    def _own_ids_locked(self, platform: str) -> set[str]:
        own = self._own.get(platform)
        if own:
            return own
        # Unknown: the one member every listed conversation shares is the user.
        lists = self.conversations.member_lists(platform, _GUESS_SAMPLE)
        if len(lists) < 2:
            return set()
        shared = {_key(m) for m in lists[0]}
        for members in lists[1:]:
            shared &= {_key(m) for m in members}
        return shared if len(shared) == 1 else set()

    def _new_follower_locked(self, platform: str, recipients: list[str], now: float) -> bool | None:
        answers = []
        for recipient in recipients:
            follower = self.followers.find(platform, recipient)
            answers.append(None if follower is None else
                           now - follower.time <= self.new_follower_window_s)
        if any(a is True for a in answers):
            return True
        if answers and all(a is False for a in answers):
            return False
        return None

    def _mark_send_locked(self, platform: str, conversation_ids: list[str], now: float) -> None:
        for conversation_id in conversation_ids:
            conversation = self.conversations.touch(platform, conversation_id)
            if conversation.first_send is None:
                conversation.first_send = now

    def _prior_locked(
        self, platform: str, conversation_ids: list[str], recipients: list[str], now: float
    ) -> bool | None:
        related: list[Conversation] = []
        for conversation_id in conversation_ids:
            conversation = self.conversations.get(platform, conversation_id)
            if conversation is not None:
                related.append(conversation)
        if not conversation_ids:
            for recipient in recipients:
                related.extend(c for _, c in self.conversations.with_member(platform, recipient))
        answer: bool | None = None
        wanted = {_key(r) for r in recipients}
        for conversation in related:
            # The other side wrote in it, or it was already there before this session's first
            # attempt to write into it.
            spoke = bool(conversation.senders & wanted) if wanted else bool(
                conversation.senders - self._own_ids_locked(platform)
            )
            existed = conversation.first_seen is not None and (
                conversation.first_send is None or conversation.first_seen < conversation.first_send
            )
            if spoke or existed:
                answer = True
                break
            if conversation.first_seen is not None or conversation.seen_empty:
                answer = False
        self._mark_send_locked(platform, conversation_ids, now)
        return answer


def _compact(post: SeenPost, platform: str) -> SeenPost:
    """Intern repeated strings and cap the text, so 100,000 posts stay small."""
    post.platform = sys.intern(platform)
    if post.author:
        post.author = sys.intern(post.author)
    if post.author_id:
        post.author_id = sys.intern(post.author_id)
    if len(post.text) > MAX_POST_TEXT:
        post.text = post.text[:MAX_POST_TEXT]
    return post
