"""Reddit: the shreddit web composer, the classic form API (old.reddit, apps), Matrix chat.

A comment's parent is in the shreddit URL path (`/svc/shreddit/t3_<id>/create-comment`) or the
`thing_id` field; the web composer's `content` field is rich-text JSON inside a form field.
Reddit Chat is a Matrix homeserver (matrix.redditspace.com): a message names its room, memory
maps the room to its members from `/sync` (ENDPOINTS.md §5).

Read side: JSON listings (`.json` pages, the API) and shreddit HTML (pages and partials with
`<shreddit-post>`/`<shreddit-comment>` elements). HTML pages are read with a streaming
`html.parser` pass that only looks at those elements: building a BeautifulSoup tree of a whole
page costs hundreds of milliseconds (mitmproxy-notes.md).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

from pullcheck.models import Draft, Kind, ReplyTarget
from pullcheck.sites.adapter import (
    HELD_MESSAGE,
    dig,
    json_failure,
    read_json,
    string,
    walk_dicts,
)
from pullcheck.sites.bodies import decode_body, text_value
from pullcheck.sites.wire import (
    Compose,
    FailureResponse,
    Harvest,
    SeenPost,
    WireRequest,
    WireResponse,
)

_SHREDDIT_COMMENT = re.compile(r"^/svc/shreddit/(t[13]_[a-z0-9]+)/create-comment/?$")
_API = re.compile(r"^/api/(comment|submit|compose)/?$")
_MATRIX_SEND = re.compile(r"^/_matrix/client/(?:v3|r0)/rooms/([^/]+)/send/m\.room\.message/[^/]+$")
_MATRIX_SYNC = re.compile(r"^/_matrix/client/(?:v3|r0)/sync$")
_SUBREDDIT = re.compile(r"/r/([A-Za-z0-9_]+)")
# The signed-in account: `/api/me.json` on the web hosts (`{"kind": "t2", "data": {...}}`, `{}`
# when signed out) and `/api/v1/me` on oauth.reddit.com (the account object itself).
_ME = re.compile(r"^/api/(?:v1/)?me(?:\.json)?/?$")
_USERNAME = re.compile(r"[\w-]{3,20}", re.ASCII)
_MAX_HTML = 4 * 1024 * 1024

# shreddit's web client shows an error toast for a non-2xx answer and keeps the comment box;
# a 503 is not resent by it.
FAILURE_WEB = FailureResponse(
    status=503,
    headers={"content-type": "text/plain; charset=utf-8", "cache-control": "no-store"},
    body=HELD_MESSAGE.encode(),
)
# With api_type=json, Reddit reports a refused comment, post or message as HTTP 200 with
# `json.errors`: old.reddit shows it beside the form (text kept) and API clients (PRAW) raise.
# A bare 5xx would be retried by several API clients, so the site's own error shape is safer.
FAILURE_API = json_failure(
    200, {"json": {"errors": [["PULLCHECK_HELD", HELD_MESSAGE, "text"]], "data": {}}}
)
# Matrix clients retry 5xx and 429 by themselves; a 403 M_FORBIDDEN marks the message as not
# sent and leaves it to the user.
FAILURE_MATRIX = json_failure(403, {"errcode": "M_FORBIDDEN", "error": HELD_MESSAGE})


class RedditAdapter:
    name: str = "reddit"
    default_hosts: tuple[str, ...] = (
        "www.reddit.com",
        "reddit.com",
        "old.reddit.com",
        "oauth.reddit.com",
        "sh.reddit.com",
        "new.reddit.com",
        "matrix.redditspace.com",
    )
    any_host: bool = False
    any_host_paths: tuple[str, ...] = ()
    paths: re.Pattern[str] = re.compile(
        r"^/(?:svc/shreddit/|api/|_matrix/client/|r/|comments/|user/|u/|$)"
    )

    def compose(self, req: WireRequest) -> Compose | None:
        match = _SHREDDIT_COMMENT.match(req.path)
        if match and req.method == "POST":
            return self._shreddit_comment(req, match.group(1))
        match = _API.match(req.path)
        if match and req.method == "POST":
            return self._api(req, match.group(1))
        match = _MATRIX_SEND.match(req.path)
        if match and req.method in ("PUT", "POST"):
            return self._matrix(req, unquote(match.group(1)))
        return None

    def _shreddit_comment(self, req: WireRequest, parent: str) -> Compose | None:
        fields = decode_body(req.body, req.content_type)
        if not isinstance(fields, dict):
            return None
        content = fields.get("content")
        links: list[str] = []
        text: str | None
        # mode=markdown sends the text itself; richtext sends a document
        text = richtext_text(content, links) if isinstance(content, dict) else text_value(content)
        if text is None:
            return None
        sub = _SUBREDDIT.search(req.headers.get("referer", ""))
        draft = Draft(
            platform=self.name,
            kind="reply",
            text=text,
            reply_to=ReplyTarget(id=parent),
            links=list(dict.fromkeys(links)),
            context=f"comment in r/{sub.group(1)}" if sub else "comment",
        )
        return Compose("shreddit.create-comment", draft, [], FAILURE_WEB)

    def _api(self, req: WireRequest, operation: str) -> Compose | None:
        fields = decode_body(req.body, req.content_type)
        if not isinstance(fields, dict):
            return None
        text = text_value(fields.get("text"))
        kind: Kind
        if operation == "comment":
            parent = string(fields.get("thing_id"))
            if text is None:
                return None
            # A reply to a private message (t4_) is a DM; to a post or comment, a reply.
            kind = "dm" if parent and parent.startswith("t4_") else "reply"
            sub = _SUBREDDIT.search(req.headers.get("referer", ""))
            draft = Draft(
                platform=self.name,
                kind=kind,
                text=text,
                reply_to=ReplyTarget(id=parent) if parent else None,
                context=f"comment in r/{sub.group(1)}" if sub else "comment",
            )
        elif operation == "submit":
            title = text_value(fields.get("title")) or ""
            url = text_value(fields.get("url"))
            body = text or ""
            if not title and not body and not url:
                return None
            subreddit = text_value(fields.get("sr")) or ""
            draft = Draft(
                platform=self.name,
                kind="post",
                text=f"{title}\n\n{body}" if body else title,
                links=[url] if url and fields.get("kind") == "link" else [],
                context=f"post in r/{subreddit}" if subreddit else "post",
            )
        else:
            if text is None:
                return None
            to = text_value(fields.get("to")) or ""
            subject = text_value(fields.get("subject")) or ""
            recipient = to.strip().removeprefix("/u/").removeprefix("u/")
            draft = Draft(
                platform=self.name,
                kind="dm",
                text=text,
                recipients=[recipient] if recipient else [],
                context=f"private message, subject: {subject}" if subject else "private message",
            )
        return Compose(f"api/{operation}", draft, [], FAILURE_API)

    def _matrix(self, req: WireRequest, room: str) -> Compose | None:
        body = decode_body(req.body, req.content_type)
        if not isinstance(body, dict) or body.get("msgtype") not in ("m.text", "m.notice", None):
            return None
        text = text_value(body.get("body"))
        if text is None:
            return None
        draft = Draft(platform=self.name, kind="dm", text=text, context="Reddit chat")
        return Compose("matrix.send", draft, [room], FAILURE_MATRIX)

    def harvest(self, resp: WireResponse) -> Harvest | None:
        req = resp.request
        if resp.status != 200 or req.method != "GET":
            return None
        ctype = resp.content_type.lower()
        harvest = Harvest(source=req.path)
        if "json" in ctype:
            document = read_json(resp.body)
            if document is None:
                return None
            if _ME.match(req.path):
                _signed_in(document, harvest)
            elif _MATRIX_SYNC.match(req.path):
                _sync(document, harvest)
            else:
                _listings(document, harvest)
        elif "html" in ctype:
            if len(resp.body) > _MAX_HTML or b"<shreddit-" not in resp.body:
                return None
            reader = ShredditReader()
            reader.read(resp.body.decode("utf-8", errors="replace"))
            harvest.posts.extend(reader.posts)
        return harvest if harvest else None

    def harvest_websocket(self, text: str) -> Harvest | None:
        return None


def richtext_text(document: dict[str, Any], links: list[str]) -> str:
    """Text of a Reddit rich-text document: paragraphs of `t` runs; link nodes carry `u`."""
    paragraphs: list[str] = []
    blocks = document.get("document")
    for block in blocks if isinstance(blocks, list) else []:
        pieces: list[str] = []
        _runs(block, pieces, links, 0)
        paragraphs.append("".join(pieces))
    return "\n\n".join(p for p in paragraphs if p)


def _runs(node: Any, pieces: list[str], links: list[str], depth: int) -> None:
    if depth > 50 or not isinstance(node, dict):
        return
    text = node.get("t")
    if isinstance(text, str):
        pieces.append(text)
    url = node.get("u")
    if node.get("e") == "link" and isinstance(url, str):
        links.append(url)
    children = node.get("c")
    if isinstance(children, list):
        if node.get("e") in ("list", "li") and pieces:
            pieces.append("\n")
        for child in children:
            _runs(child, pieces, links, depth + 1)


def _signed_in(document: Any, harvest: Harvest) -> None:
    account = document.get("data") if dig(document, "kind") == "t2" else document
    if not isinstance(account, dict) or not account.keys() & {"link_karma", "total_karma"}:
        return  # not an account object (signed out: `{}`)
    name = string(account.get("name"))
    if name and _USERNAME.fullmatch(name):
        harvest.own_handle = name


def _listings(document: Any, harvest: Harvest) -> None:
    for node in walk_dicts(document):
        kind = node.get("kind")
        data = node.get("data")
        if kind not in ("t1", "t3") or not isinstance(data, dict):
            continue
        name = string(data.get("name"))
        if not name:
            continue
        if kind == "t3":
            title = text_value(data.get("title")) or ""
            body = text_value(data.get("selftext")) or ""
            text = f"{title}\n\n{body}" if body else title
            parent = None
        else:
            text = text_value(data.get("body")) or ""
            parent = string(data.get("parent_id"))
        harvest.posts.append(
            SeenPost(
                id=name,
                platform="reddit",
                author=string(data.get("author")),
                text=text,
                in_reply_to=parent,
                author_id=string(data.get("author_fullname")),
            )
        )


def _sync(document: Any, harvest: Harvest) -> None:
    rooms = dig(document, "rooms", "join")
    if not isinstance(rooms, dict):
        return
    for room_id, room in rooms.items():
        members: list[str] = []
        senders: list[str] = []
        for section in ("state", "timeline"):
            events = dig(room, section, "events")
            for event in events if isinstance(events, list) else []:
                if not isinstance(event, dict):
                    continue
                if event.get("type") == "m.room.member":
                    user = string(event.get("state_key"))
                    if user and dig(event, "content", "membership") in ("join", "invite"):
                        members.append(user)
                elif event.get("type") == "m.room.message":
                    sender = string(event.get("sender"))
                    if sender:
                        senders.append(sender)
        if members:
            harvest.conversations[str(room_id)] = list(dict.fromkeys(members))
        if senders:
            harvest.conversation_senders[str(room_id)] = list(dict.fromkeys(senders))


class ShredditReader(HTMLParser):
    """Collects `<shreddit-post>` and `<shreddit-comment>` with their body text, in one pass."""

    _BODY_SLOTS = frozenset({"text-body", "comment"})
    _VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.posts: list[SeenPost] = []
        self._current: dict[str, str] | None = None
        self._current_tag = ""
        self._pending: list[tuple[dict[str, str], str]] = []
        self._capture_depth = 0
        self._pieces: list[str] = []

    def read(self, page: str) -> None:
        start = page.find("<shreddit-")
        try:
            self.feed(page[start:] if start > 0 else page)
            self.close()
        except Exception:
            pass
        self._finish()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("shreddit-post", "shreddit-comment"):
            self._finish()
            self._current = {k: v or "" for k, v in attrs}
            self._current_tag = tag
            return
        if self._capture_depth:
            if tag in self._VOID:
                if tag == "br":
                    self._pieces.append("\n")
                return
            self._capture_depth += 1
            if tag in ("p", "li", "blockquote", "pre") and self._pieces:
                self._pieces.append("\n\n")
            return
        if self._current is not None and dict(attrs).get("slot") in self._BODY_SLOTS:
            self._capture_depth = 1
            self._pieces = []

    def handle_endtag(self, tag: str) -> None:
        if self._capture_depth and tag not in self._VOID:
            self._capture_depth -= 1
            if self._capture_depth == 0:
                self._finish()

    def handle_data(self, data: str) -> None:
        if self._capture_depth:
            self._pieces.append(data)

    def _finish(self) -> None:
        attrs = self._current
        if attrs is None:
            return
        body = re.sub(r"[ \t]*\n[ \t]*", "\n", "".join(self._pieces)).strip()
        body = re.sub(r"\n{3,}", "\n\n", body)
        if self._current_tag == "shreddit-post":
            post_id = attrs.get("id") or attrs.get("thingid") or ""
            title = attrs.get("post-title", "")
            text = f"{title}\n\n{body}" if body else title
            parent = None
        else:
            post_id = attrs.get("thingid", "")
            text = body
            parent = attrs.get("parentid") or None
        if post_id.startswith(("t1_", "t3_")):
            self.posts.append(
                SeenPost(
                    id=post_id,
                    platform="reddit",
                    author=attrs.get("author") or None,
                    text=text,
                    in_reply_to=parent,
                    author_id=attrs.get("author-id") or None,
                )
            )
        self._current = None
        self._pieces = []
        self._capture_depth = 0


ADAPTER = RedditAdapter()
