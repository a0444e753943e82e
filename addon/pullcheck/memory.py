"""What the proxy remembers from the sites' read responses, bounded and in memory only.

- `SeenPosts`: posts seen in timelines, threads and notifications (id -> author, text, parent),
  an LRU of 100,000 by default. It is how a reply learns what its parent said, so the engine can
  tell whether that person asked for help. Kept compact: `SeenPost` has `__slots__`, author names
  are interned, texts are capped.
- `Followers`: who started following the user and when, per platform; "new" means within
  `new_follower_window_s` (30 days by default).
- `Conversations`: conversation id -> members, who wrote in it, and when it was first seen and
  first written to in this session (for `prior_conversation`).
- Own accounts: the ids of the signed-in account (never a recipient) and its handle, which a
  read response about the signed-in account names (`Harvest.own_handle`): a draft of that scope
  is written by that handle (`Draft.author`), so a reply from the account the parent addressed
  is recognised as that account answering its own customer. The config's `me:` is the engine's
  fallback when no handle was learned.

Everything is kept per *scope*: a site and the host that showed it (`pullcheck.proxy.trust`
names scopes; the default scope `""` is for callers without a host, such as tests and the CLI).
What one host's responses teach is used only for drafts on that same scope, so a page on another
host cannot claim what a post on the user's instance said. Each store is an LRU per scope under
one total cap; when the total is full, the largest scope loses its oldest entry, so a host that
floods evicts its own entries, never everything the others taught. The number of scopes is
bounded too (the least recently used one goes whole).

`Memory.enrich(platform, compose, scope=...)` fills in a draft's context from these stores.
The first `enrich` naming a conversation counts as the user's first attempt to write into it
(a banner live check included: it comes before the send), which is what "existed before this
session's first send" is measured against. Nothing is written to disk. All methods are
thread-safe (one lock; every operation is short).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pullcheck.builtin_ask import asks_for_help
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


DEFAULT_SCOPE = ""
# Hosts that may teach are the configured ones and those with a page open through the proxy:
# a few dozen at most. The cap stops a long-running proxy from collecting them forever.
MAX_SCOPES = 256
# Own ids per scope: one account, maybe a few (a second account, a handle and a DID).
MAX_OWN_IDS = 16
# Handles of signed-in accounts per scope (X's account switcher keeps several signed in).
MAX_OWN_HANDLES = 8
# A handle longer than this is not a handle (X: 15, Bluesky: 253 as a domain name).
MAX_HANDLE_CHARS = 256

Scope = tuple[str, str]  # (platform, scope name)
V = TypeVar("V")


class ScopedLru(Generic[V]):
    """Values keyed by (scope, key): an LRU per scope under one total `capacity`.

    Over capacity, the largest scope loses its least recently used entry (fair share: no scope
    can push another below an equal share). Over `max_scopes`, the least recently used scope
    goes whole. `on_evict(scope, key, value)` hears every eviction (for secondary indexes).
    Not locked: `Memory` holds the lock."""

    def __init__(
        self,
        capacity: int,
        max_scopes: int = MAX_SCOPES,
        on_evict: Callable[[Scope, str, V], None] | None = None,
    ) -> None:
        self.capacity = max(1, capacity)
        self.max_scopes = max(1, max_scopes)
        self._on_evict = on_evict
        self._groups: OrderedDict[Scope, OrderedDict[str, V]] = OrderedDict()
        self._total = 0

    def __len__(self) -> int:
        return self._total

    def get(self, scope: Scope, key: str, touch: bool = True) -> V | None:
        group = self._groups.get(scope)
        if group is None:
            return None
        value = group.get(key)
        if value is not None and touch:
            group.move_to_end(key)
        return value

    def put(self, scope: Scope, key: str, value: V) -> None:
        group = self._groups.get(scope)
        if group is None:
            group = self._groups[scope] = OrderedDict()
            while len(self._groups) > self.max_scopes:
                self._drop_scope(next(iter(self._groups)))
        else:
            self._groups.move_to_end(scope)
        if key in group:
            group.move_to_end(key)
        else:
            self._total += 1
        group[key] = value
        while self._total > self.capacity:
            self._evict_from(max(self._groups, key=lambda s: len(self._groups[s])))

    def group(self, scope: Scope) -> OrderedDict[str, V]:
        """One scope's entries, oldest first (read-only use)."""
        return self._groups.get(scope) or OrderedDict()

    def scopes(self) -> list[Scope]:
        return list(self._groups)

    def values(self) -> list[V]:
        return [value for group in self._groups.values() for value in group.values()]

    def size_of(self, scope: Scope) -> int:
        return len(self._groups.get(scope) or ())

    def clear(self) -> None:
        self._groups.clear()
        self._total = 0

    def _evict_from(self, scope: Scope) -> None:
        group = self._groups[scope]
        key, value = group.popitem(last=False)
        self._total -= 1
        if not group:
            del self._groups[scope]
        if self._on_evict is not None:
            self._on_evict(scope, key, value)

    def _drop_scope(self, scope: Scope) -> None:
        group = self._groups.pop(scope)
        self._total -= len(group)
        if self._on_evict is not None:
            for key, value in group.items():
                self._on_evict(scope, key, value)


class SeenPosts:
    """Posts by scope and id, bounded (`ScopedLru`). Not locked: `Memory` holds the lock."""

    def __init__(self, capacity: int = DEFAULT_MAX_POSTS, max_scopes: int = MAX_SCOPES) -> None:
        self._posts: ScopedLru[SeenPost] = ScopedLru(capacity, max_scopes)

    @property
    def capacity(self) -> int:
        return self._posts.capacity

    def __len__(self) -> int:
        return len(self._posts)

    def put(self, post: SeenPost, scope: str = DEFAULT_SCOPE) -> None:
        where = (post.platform, scope)
        old = self._posts.get(where, post.id, touch=False)
        if old is not None:
            # A later sighting may be poorer (a truncated copy, no parent): keep what is known.
            if not post.text and old.text:
                post.text = old.text
            post.in_reply_to = post.in_reply_to or old.in_reply_to
            post.author = post.author or old.author
            post.author_id = post.author_id or old.author_id
        self._posts.put(where, post.id, post)

    def get(
        self, platform: str, post_id: str, scope: str | None = DEFAULT_SCOPE
    ) -> SeenPost | None:
        """The post seen on `scope`; `scope=None` looks in every scope (diagnostics only:
        never for a draft, which must use only what its own host taught)."""
        if scope is not None:
            return self._posts.get((platform, scope), post_id)
        for where in self._posts.scopes():
            if where[0] == platform:
                post = self._posts.get(where, post_id)
                if post is not None:
                    return post
        return None

    def in_scope(self, platform: str, scope: str) -> int:
        return self._posts.size_of((platform, scope))

    def snapshot(self) -> list[SeenPost]:
        return self._posts.values()

    def clear(self) -> None:
        self._posts.clear()


class Followers:
    """New followers per scope, bounded; looked up by id or by handle."""

    def __init__(self, capacity: int = DEFAULT_MAX_FOLLOWERS, max_scopes: int = MAX_SCOPES) -> None:
        self._by_id: ScopedLru[Follower] = ScopedLru(capacity, max_scopes, self._evicted)
        self._by_handle: dict[tuple[Scope, str], str] = {}

    @property
    def capacity(self) -> int:
        return self._by_id.capacity

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, follower: Follower, scope: str = DEFAULT_SCOPE) -> None:
        where = (follower.platform, scope)
        key = _key(follower.id)
        old = self._by_id.get(where, key, touch=False)
        if old is not None and old.time >= follower.time and (old.handle or not follower.handle):
            return
        self._by_id.put(where, key, follower)
        if follower.handle:
            self._by_handle[(where, _key(follower.handle))] = key

    def find(self, platform: str, who: str, scope: str = DEFAULT_SCOPE) -> Follower | None:
        where = (platform, scope)
        wanted = _key(who)
        found = self._by_id.get(where, wanted)
        if found is None:
            follower_id = self._by_handle.get((where, wanted))
            if follower_id is not None:
                found = self._by_id.get(where, follower_id)
        return found

    def _evicted(self, where: Scope, key: str, gone: Follower) -> None:
        if gone.handle and self._by_handle.get((where, _key(gone.handle))) == key:
            del self._by_handle[(where, _key(gone.handle))]

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


# Members and senders kept per conversation: group chats are small; a response listing
# thousands of members must not make one entry huge.
MAX_CONVERSATION_MEMBERS = 256


class Conversations:
    """Conversation id -> members and history, per scope, bounded (`ScopedLru`)."""

    def __init__(
        self, capacity: int = DEFAULT_MAX_CONVERSATIONS, max_scopes: int = MAX_SCOPES
    ) -> None:
        self._items: ScopedLru[Conversation] = ScopedLru(capacity, max_scopes, self._evicted)
        self._by_member: dict[tuple[Scope, str], set[str]] = {}

    @property
    def capacity(self) -> int:
        return self._items.capacity

    def __len__(self) -> int:
        return len(self._items)

    def get(
        self, platform: str, conversation_id: str, scope: str = DEFAULT_SCOPE
    ) -> Conversation | None:
        return self._items.get((platform, scope), conversation_id, touch=False)

    def touch(
        self, platform: str, conversation_id: str, scope: str = DEFAULT_SCOPE
    ) -> Conversation:
        where = (platform, scope)
        conversation = self._items.get(where, conversation_id)
        if conversation is None:
            conversation = Conversation()
            self._items.put(where, conversation_id, conversation)
        return conversation

    def set_members(
        self, platform: str, conversation_id: str, members: list[str], scope: str = DEFAULT_SCOPE
    ) -> None:
        conversation = self.touch(platform, conversation_id, scope)
        where = (platform, scope)
        for member in conversation.members:
            self._unindex(where, member, conversation_id)
        conversation.members = tuple(dict.fromkeys(members))[:MAX_CONVERSATION_MEMBERS]
        for member in conversation.members:
            self._by_member.setdefault((where, _key(member)), set()).add(conversation_id)

    def with_member(
        self, platform: str, member: str, scope: str = DEFAULT_SCOPE
    ) -> list[tuple[str, Conversation]]:
        where = (platform, scope)
        ids = self._by_member.get((where, _key(member)), set())
        found = []
        for conversation_id in ids:
            conversation = self._items.get(where, conversation_id, touch=False)
            if conversation is not None:
                found.append((conversation_id, conversation))
        return found

    def member_lists(
        self, platform: str, limit: int, scope: str = DEFAULT_SCOPE
    ) -> list[tuple[str, ...]]:
        lists = []
        for conversation in reversed(self._items.group((platform, scope)).values()):
            if len(conversation.members) >= 2:
                lists.append(conversation.members)
                if len(lists) >= limit:
                    break
        return lists

    def _unindex(self, where: Scope, member: str, conversation_id: str) -> None:
        ids = self._by_member.get((where, _key(member)))
        if ids is not None:
            ids.discard(conversation_id)
            if not ids:
                del self._by_member[(where, _key(member))]

    def _evicted(self, where: Scope, conversation_id: str, gone: Conversation) -> None:
        for member in gone.members:
            self._unindex(where, member, conversation_id)

    def clear(self) -> None:
        self._items.clear()
        self._by_member.clear()


class Memory:
    """Bounded, thread-safe memory of what the user's sites showed: posts, followers, chats,
    each kept per scope (a site and the host that showed it)."""

    def __init__(
        self,
        max_posts: int = DEFAULT_MAX_POSTS,
        max_followers: int = DEFAULT_MAX_FOLLOWERS,
        max_conversations: int = DEFAULT_MAX_CONVERSATIONS,
        new_follower_window_s: float = DEFAULT_NEW_FOLLOWER_WINDOW_S,
        clock: Callable[[], float] = time.time,
        max_scopes: int = MAX_SCOPES,
    ) -> None:
        self.posts = SeenPosts(max_posts, max_scopes)
        self.followers = Followers(max_followers, max_scopes)
        self.conversations = Conversations(max_conversations, max_scopes)
        self.new_follower_window_s = new_follower_window_s
        self._clock = clock
        self._max_scopes = max(1, max_scopes)
        self._own: OrderedDict[Scope, set[str]] = OrderedDict()
        # Per scope: own id (`_key`; "" when the response named none) -> handle, most recently
        # learned last.
        self._handles: OrderedDict[Scope, OrderedDict[str, str]] = OrderedDict()
        self._lock = threading.RLock()

    # -- writing ---------------------------------------------------------------------------

    def remember(
        self, platform: str, harvest: Harvest, now: float | None = None, scope: str = DEFAULT_SCOPE
    ) -> None:
        """Store what one read response of `scope` showed."""
        now = self._clock() if now is None else now
        with self._lock:
            if harvest.own_id:
                self._add_own_locked(platform, scope, harvest.own_id)
            if harvest.own_handle:
                self._add_handle_locked(platform, scope, harvest.own_handle, harvest.own_id)
            for post in harvest.posts:
                self.posts.put(_compact(post, platform), scope)
            for follower in harvest.new_followers:
                self.followers.add(follower, scope)
            empty = set(harvest.empty_conversations)
            for conversation_id, members in harvest.conversations.items():
                self.conversations.set_members(platform, conversation_id, members, scope)
                conversation = self.conversations.touch(platform, conversation_id, scope)
                if conversation.first_seen is None and conversation_id not in empty:
                    conversation.first_seen = now
            for conversation_id in empty:
                conversation = self.conversations.touch(platform, conversation_id)
                if conversation.first_seen is None and not conversation.senders:
                    conversation.seen_empty = True
            for conversation_id, senders in harvest.conversation_senders.items():
                conversation = self.conversations.touch(platform, conversation_id, scope)
                if conversation.first_seen is None:
                    conversation.first_seen = now
                room = MAX_CONVERSATION_MEMBERS - len(conversation.senders)
                if room > 0:
                    conversation.senders.update(_key(s) for s in senders[:room])

    def forget(self) -> None:
        with self._lock:
            self.posts.clear()
            self.followers.clear()
            self.conversations.clear()
            self._own.clear()
            self._handles.clear()

    def _add_own_locked(self, platform: str, scope: str, own_id: str) -> None:
        where = (platform, scope)
        own = self._own.get(where)
        if own is None:
            own = self._own[where] = set()
            while len(self._own) > self._max_scopes:
                self._own.popitem(last=False)
        if len(own) < MAX_OWN_IDS:
            own.add(_key(own_id))

    def _add_handle_locked(
        self, platform: str, scope: str, handle: str, own_id: str | None
    ) -> None:
        handle = handle.strip().lstrip("@")
        if not handle or len(handle) > MAX_HANDLE_CHARS:
            return
        where = (platform, scope)
        handles = self._handles.get(where)
        if handles is None:
            handles = self._handles[where] = OrderedDict()
            while len(self._handles) > self._max_scopes:
                self._handles.popitem(last=False)
        else:
            self._handles.move_to_end(where)
        account = _key(own_id) if own_id else ""
        handles.pop(account, None)
        handles[account] = handle
        while len(handles) > MAX_OWN_HANDLES:
            handles.popitem(last=False)

    def _own_handle_locked(self, platform: str, scope: str, sender: str | None) -> str | None:
        handles = self._handles.get((platform, scope))
        if not handles:
            return None
        if sender:
            # The request names its account: only a handle learned for it (or one learned
            # without an id) is that account's. Another account's handle says nothing.
            return handles.get(_key(sender)) or handles.get("")
        return next(reversed(handles.values()))

    # -- reading ---------------------------------------------------------------------------

    def seen_post(
        self, platform: str, post_id: str, scope: str | None = DEFAULT_SCOPE
    ) -> SeenPost | None:
        """The post as `scope` showed it (`scope=None`: in any scope, for diagnostics)."""
        with self._lock:
            return self.posts.get(platform, post_id, scope)

    def own_ids(self, platform: str, scope: str = DEFAULT_SCOPE) -> set[str]:
        with self._lock:
            return set(self._own.get((platform, scope), ()))

    def own_handle(
        self, platform: str, scope: str = DEFAULT_SCOPE, sender: str | None = None
    ) -> str | None:
        """The signed-in account's handle as `scope`'s read responses named it (the one of
        `sender`, when the request names its account), or None: nothing learned."""
        with self._lock:
            return self._own_handle_locked(platform, scope, sender)

    def is_new_follower(
        self, platform: str, who: str, now: float | None = None, scope: str = DEFAULT_SCOPE
    ) -> bool | None:
        """True when `who` followed within the window, False when earlier, None when unknown."""
        now = self._clock() if now is None else now
        with self._lock:
            follower = self.followers.find(platform, who, scope)
        if follower is None:
            return None
        return now - follower.time <= self.new_follower_window_s

    def posts_asking(self, platform: str | None = None) -> Iterator[SeenPost]:
        """Seen posts whose text asks for help (for pull-opportunity work), newest first
        within each scope."""
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

    def enrich(
        self,
        platform: str,
        compose: Compose,
        now: float | None = None,
        scope: str = DEFAULT_SCOPE,
        learn: bool = True,
    ) -> Draft:
        """The compose's draft with what memory knows of `scope`: who writes it (the handle
        the site named as signed in, unless the draft says), the parent post, recipients,
        history. `learn=False` (a host that may not teach) reads only: the sender is not
        noted as the user and no first send into a conversation is recorded."""
        now = self._clock() if now is None else now
        draft = compose.draft
        update: dict[str, Any] = {}
        with self._lock:
            if compose.sender and learn:
                self._add_own_locked(platform, scope, compose.sender)
            own = self._own_ids_locked(platform, scope)
            if draft.author is None:
                author = self._own_handle_locked(platform, scope, compose.sender)
                if author is not None:
                    update["author"] = author

            target = draft.reply_to
            if target is not None and target.id:
                seen = self.posts.get(platform, target.id, scope)
                if seen is not None:
                    filled = self._reply_target_locked(platform, scope, target, seen)
                    if filled != target:
                        update["reply_to"] = filled

            recipients = list(draft.recipients)
            for conversation_id in compose.conversation_ids:
                conversation = self.conversations.get(platform, conversation_id, scope)
                if conversation is not None:
                    recipients.extend(conversation.members)
            recipients = [r for r in dict.fromkeys(recipients) if _key(r) not in own]
            if recipients != list(draft.recipients):
                update["recipients"] = recipients

            if draft.recipient_is_new_follower is None and recipients:
                update["recipient_is_new_follower"] = self._new_follower_locked(
                    platform, scope, recipients, now
                )
            if draft.prior_conversation is None:
                prior = self._prior_locked(
                    platform, scope, compose.conversation_ids, recipients, now, learn
                )
                if prior is not None:
                    update["prior_conversation"] = prior
            elif learn:
                self._mark_send_locked(platform, scope, compose.conversation_ids, now)
        return draft.model_copy(update=update) if update else draft

    def _reply_target_locked(
        self, platform: str, scope: str, target: ReplyTarget, seen: SeenPost
    ) -> ReplyTarget:
        """The reply target with what the draft did not say: the parent's author and text, and
        whom the parent addressed when it was itself a reply (the author of the post it
        answered: a customer replying under a brand's post wrote to that brand, though only X
        and Mastodon put an @mention in the text; Bluesky, Reddit and LinkedIn do not)."""
        addressed = target.addressed
        if not addressed and seen.in_reply_to:
            answered = self.posts.get(platform, seen.in_reply_to, scope)
            if answered is not None and answered.author:
                addressed = (answered.author,)
        return ReplyTarget(
            id=target.id,
            author=target.author if target.author is not None else seen.author,
            text=target.text if target.text is not None else seen.text,
            addressed=addressed,
        )

    def _own_ids_locked(self, platform: str, scope: str) -> set[str]:
        own = self._own.get((platform, scope))
        if own:
            return own
        # Unknown: the one member every listed conversation shares is the user.
        lists = self.conversations.member_lists(platform, _GUESS_SAMPLE, scope)
        if len(lists) < 2:
            return set()
        shared = {_key(m) for m in lists[0]}
        for members in lists[1:]:
            shared &= {_key(m) for m in members}
        return shared if len(shared) == 1 else set()

    def _new_follower_locked(
        self, platform: str, scope: str, recipients: list[str], now: float
    ) -> bool | None:
        answers = []
        for recipient in recipients:
            follower = self.followers.find(platform, recipient, scope)
            answers.append(
                None if follower is None else now - follower.time <= self.new_follower_window_s
            )
        if any(a is True for a in answers):
            return True
        if answers and all(a is False for a in answers):
            return False
        return None

    def _mark_send_locked(
        self, platform: str, scope: str, conversation_ids: list[str], now: float
    ) -> None:
        for conversation_id in conversation_ids:
            conversation = self.conversations.touch(platform, conversation_id, scope)
            if conversation.first_send is None:
                conversation.first_send = now

    def _prior_locked(
        self,
        platform: str,
        scope: str,
        conversation_ids: list[str],
        recipients: list[str],
        now: float,
        learn: bool,
    ) -> bool | None:
        related: list[Conversation] = []
        for conversation_id in conversation_ids:
            conversation = self.conversations.get(platform, conversation_id, scope)
            if conversation is not None:
                related.append(conversation)
        if not conversation_ids:
            for recipient in recipients:
                related.extend(
                    c for _, c in self.conversations.with_member(platform, recipient, scope)
                )
        answer: bool | None = None
        wanted = {_key(r) for r in recipients}
        for conversation in related:
            # The other side wrote in it, or it was already there before this session's first
            # attempt to write into it.
            spoke = (
                bool(conversation.senders & wanted)
                if wanted
                else bool(conversation.senders - self._own_ids_locked(platform, scope))
            )
            existed = conversation.first_seen is not None and (
                conversation.first_send is None or conversation.first_seen < conversation.first_send
            )
            if spoke or existed:
                answer = True
                break
            if conversation.first_seen is not None or conversation.seen_empty:
                answer = False
        if learn:
            self._mark_send_locked(platform, scope, conversation_ids, now)
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
