"""The demo site: a tiny social site on 127.0.0.1 speaking two real sites' request shapes.

- `GET /` the compose page, under a strict CSP like the real sites' (a per-response nonce with
  `'strict-dynamic'`, and Trusted Types), so the banner is tried under the hard case;
- `POST /i/api/graphql/<qid>/HomeTimeline` and `GET /api/v1/timelines/home`: the X and Mastodon
  timeline shapes (as in the fixtures), which the proxy harvests so a reply knows its parent;
- `POST /i/api/graphql/<qid>/CreateTweet` and `POST /api/v1/statuses`: compose requests, recorded
  and answered like the real sites;
- `GET /__demo__/received` (demo only): every compose request that reached the site, so tests can
  check that a held post arrived exactly once, or not at all. `POST /__demo__/reset` empties it.

Keep-alive with `disable_nagle_algorithm`: without it every response waits ~40 ms on delayed ACKs
(mitmproxy-notes.md).
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

CREATE_TWEET = re.compile(r"^/i/api/graphql/[\w-]+/CreateTweet$")
HOME_TIMELINE = re.compile(r"^/i/api/graphql/[\w-]+/HomeTimeline$")
STATIC = {
    "/static/demo.js": ("demo.js", "application/javascript; charset=utf-8"),
    "/static/demo.css": ("demo.css", "text/css; charset=utf-8"),
}


def _asset(name: str) -> bytes:
    return resources.files("pullcheck.demo").joinpath(name).read_bytes()


def page_csp(nonce: str) -> str:
    """The compose page's policy: what X and similar sites send (nonce + strict-dynamic, TT)."""
    return (
        f"default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
        "require-trusted-types-for 'script'"
    )


def x_home_timeline(posts: list[dict[str, str]]) -> dict[str, Any]:
    """X's HomeTimeline response shape (fixture x_read_home_timeline_response.json)."""
    entries = []
    for index, post in enumerate(posts):
        entries.append(
            {
                "entryId": f"tweet-{post['id']}",
                "sortIndex": str(7432000000000000000 - index),
                "content": {
                    "entryType": "TimelineTimelineItem",
                    "__typename": "TimelineTimelineItem",
                    "itemContent": {
                        "itemType": "TimelineTweet",
                        "__typename": "TimelineTweet",
                        "tweet_results": {
                            "result": {
                                "__typename": "Tweet",
                                "rest_id": post["id"],
                                "core": {
                                    "user_results": {
                                        "result": {
                                            "__typename": "User",
                                            "rest_id": post["user_id"],
                                            "core": {
                                                "name": post["name"],
                                                "screen_name": post["handle"],
                                            },
                                            "legacy": {},
                                        }
                                    }
                                },
                                "legacy": {
                                    "conversation_id_str": post["id"],
                                    "full_text": post["text"],
                                    "id_str": post["id"],
                                    "user_id_str": post["user_id"],
                                    "lang": "en",
                                    "entities": {"urls": [], "user_mentions": []},
                                },
                            }
                        },
                        "tweetDisplayType": "Tweet",
                    },
                },
            }
        )
    instructions = [{"type": "TimelineAddEntries", "entries": entries}]
    return {"data": {"home": {"home_timeline_urt": {"instructions": instructions}}}}


def mastodon_status(post: dict[str, str], host: str) -> dict[str, Any]:
    """One Mastodon Status entity (fixture mastodon_read_home_timeline_response.json)."""
    domain = post["acct"].split("@", 1)[1] if "@" in post["acct"] else host
    return {
        "id": post["id"],
        "created_at": "2026-05-04T09:12:44.000Z",
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": f"https://{domain}/users/{post['username']}/statuses/{post['id']}",
        "url": f"https://{domain}/@{post['username']}/{post['id']}",
        "content": f"<p>{html.escape(post['text'])}</p>",
        "reblog": None,
        "account": {
            "id": post["account_id"],
            "username": post["username"],
            "acct": post["acct"],
            "display_name": post["name"],
            "url": f"https://{domain}/@{post['username']}",
        },
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
    }


class Received:
    """Compose requests that reached the demo site (thread-safe)."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, item: dict[str, Any]) -> None:
        with self._lock:
            self._items.append(item)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class DemoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: DemoServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self._send(status, body, "application/json; charset=utf-8", Cache_Control="no-store")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            nonce = secrets.token_urlsafe(16)
            page = _asset("page.html").replace(b"{{NONCE}}", nonce.encode())
            self._send(
                200,
                page,
                "text/html; charset=utf-8",
                Content_Security_Policy=page_csp(nonce),
                Cache_Control="no-store",
            )
        elif path in STATIC:
            name, content_type = STATIC[path]
            self._send(200, _asset(name), content_type, Cache_Control="no-cache")
        elif path == "/api/v1/timelines/home":
            host = self.headers.get("Host", "demo.example").split(":")[0]
            self._json(200, [mastodon_status(p, host) for p in self.server.posts["mastodon"]])
        elif path == "/__demo__/received":
            self._json(200, self.server.received.all())
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        raw = self._body()
        if HOME_TIMELINE.match(path):
            self._json(200, x_home_timeline(self.server.posts["x"]))
            return
        if path == "/__demo__/reset":
            self.server.received.clear()
            self._json(200, {"ok": True})
            return
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"error": "bad JSON"})
            return
        if CREATE_TWEET.match(path):
            self._created("x", path, payload)
            tweet_id = str(1_800_000_000_000_000_000 + len(self.server.received.all()))
            text = payload.get("variables", {}).get("tweet_text", "")
            result = {"rest_id": tweet_id, "legacy": {"full_text": text}}
            self._json(200, {"data": {"create_tweet": {"tweet_results": {"result": result}}}})
        elif path == "/api/v1/statuses":
            self._created("mastodon", path, payload)
            status_id = str(113_500_000_000_000_000 + len(self.server.received.all()))
            self._json(
                200,
                {
                    "id": status_id,
                    "content": f"<p>{html.escape(str(payload.get('status', '')))}</p>",
                    "visibility": payload.get("visibility", "public"),
                    "in_reply_to_id": payload.get("in_reply_to_id"),
                },
            )
        else:
            self._json(404, {"error": "not found"})

    def _created(self, platform: str, path: str, payload: Any) -> None:
        self.server.received.add(
            {"platform": platform, "path": path, "body": payload, "time": time.time()}
        )


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0, verbose: bool = False) -> None:
        self.verbose = verbose
        self.received = Received()
        self.posts: dict[str, list[dict[str, str]]] = json.loads(_asset("timeline.json"))
        super().__init__(("127.0.0.1", port), DemoHandler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> DemoServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="pullcheck-demo", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
