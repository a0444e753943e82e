"""VerdictFeed: each origin sees its own events, in order, and a long poll wakes on news."""

from __future__ import annotations

import asyncio
import threading

from pullcheck.proxy.feed import VerdictFeed

X = "https://x.com"
MASTODON = "https://mastodon.example"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_events_are_numbered_per_origin():
    feed = VerdictFeed()
    assert feed.publish(X, {"type": "verdict"}) == 1
    assert feed.publish(X, {"type": "verdict"}) == 2
    assert feed.publish(MASTODON, {"type": "verdict"}) == 1
    assert [e["seq"] for e in feed.events_after(X, 0)] == [1, 2]


def test_an_origin_never_sees_another_origins_events():
    feed = VerdictFeed()
    feed.publish(X, {"type": "verdict", "id": "secret"})
    assert feed.events_after(MASTODON, 0) == []


def test_events_after_skips_what_was_seen():
    feed = VerdictFeed()
    for i in range(5):
        feed.publish(X, {"type": "verdict", "id": i})
    assert [e["id"] for e in feed.events_after(X, 3)] == [3, 4]


def test_the_list_is_bounded():
    feed = VerdictFeed(per_origin=3)
    for i in range(10):
        feed.publish(X, {"id": i})
    assert [e["id"] for e in feed.events_after(X, 0)] == [7, 8, 9]


def test_origins_are_bounded():
    feed = VerdictFeed(max_origins=2)
    for i in range(5):
        feed.publish(f"https://site{i}.example", {"id": i})
    assert feed.events_after("https://site0.example", 0) == []
    assert feed.events_after("https://site4.example", 0)[0]["id"] == 4


def test_a_sequence_from_a_dropped_channel_gets_everything():
    feed = VerdictFeed()
    feed.publish(X, {"id": "a"})
    assert [e["id"] for e in feed.events_after(X, 40)] == ["a"]


def test_wait_returns_at_once_when_news_exist():
    feed = VerdictFeed()
    feed.publish(X, {"id": 1})
    assert [e["id"] for e in run(feed.wait(X, 0, 5))] == [1]


def test_wait_wakes_on_publish():
    async def scenario():
        feed = VerdictFeed()
        waiting = asyncio.create_task(feed.wait(X, 0, 5))
        await asyncio.sleep(0.01)
        feed.publish(X, {"id": "late"})
        return await waiting

    assert [e["id"] for e in run(scenario())] == ["late"]


def test_wait_wakes_on_publish_from_another_thread():
    async def scenario():
        feed = VerdictFeed()
        waiting = asyncio.create_task(feed.wait(X, 0, 5))
        await asyncio.sleep(0.01)
        threading.Thread(target=feed.publish, args=(X, {"id": "thread"})).start()
        return await waiting

    assert [e["id"] for e in run(scenario())] == ["thread"]


def test_wait_times_out_empty_and_ignores_other_origins():
    async def scenario():
        feed = VerdictFeed()
        waiting = asyncio.create_task(feed.wait(X, 0, 0.1))
        await asyncio.sleep(0.01)
        feed.publish(MASTODON, {"id": "elsewhere"})
        return await waiting

    assert run(scenario()) == []


def test_publish_everywhere_reaches_every_origin_that_polled():
    feed = VerdictFeed()
    feed.publish("https://a.example", {"type": "verdict"})
    feed.publish("https://b.example", {"type": "verdict"})
    assert feed.publish_everywhere({"type": "config", "config_error": None}) == 2
    for origin in ("https://a.example", "https://b.example"):
        assert feed.events_after(origin, 1) == [{"type": "config", "config_error": None, "seq": 2}]
    assert feed.events_after("https://never-polled.example", 0) == []
