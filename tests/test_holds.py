"""HoldRegistry: a held post is released at most once, and silence means "edit"."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pullcheck.proxy.holds import HoldRegistry

ORIGIN = "https://x.com"
VERDICT = {"level": "warning", "score": 70, "findings": []}


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_send_releases_the_hold_with_send():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        waiting = asyncio.create_task(registry.wait(hold))
        await asyncio.sleep(0)
        assert registry.decide(hold.hold_id, "send") is True
        return await waiting

    assert run(scenario()) == "send"


def test_edit_releases_the_hold_with_edit():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        waiting = asyncio.create_task(registry.wait(hold))
        registry.decide(hold.hold_id, "edit")
        return await waiting

    assert run(scenario()) == "edit"


def test_a_second_decision_is_refused():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        waiting = asyncio.create_task(registry.wait(hold))
        first = registry.decide(hold.hold_id, "send")
        second = registry.decide(hold.hold_id, "send")
        third = registry.decide(hold.hold_id, "edit")
        return first, second, third, await waiting

    assert run(scenario()) == (True, False, False, "send")


def test_no_answer_within_the_timeout_is_a_timeout_and_later_decisions_fail():
    async def scenario():
        registry = HoldRegistry(timeout_s=0.05)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        outcome = await registry.wait(hold)
        return outcome, registry.decide(hold.hold_id, "send"), registry.pending()

    assert run(scenario()) == ("timeout", False, [])


def test_unknown_hold_and_unknown_choice_are_refused():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        return (
            registry.decide("h999-nope", "send"),
            registry.decide(hold.hold_id, "maybe"),
            [h.hold_id for h in registry.pending()] == [hold.hold_id],
        )

    assert run(scenario()) == (False, False, True)


def test_another_origin_cannot_decide():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        refused = registry.decide(hold.hold_id, "send", origin="https://evil.example")
        allowed = registry.decide(hold.hold_id, "send", origin=ORIGIN)
        return refused, allowed

    assert run(scenario()) == (False, True)


def test_hold_ids_are_unguessable_and_distinct():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        return [registry.open(f"f{i}", ORIGIN, VERDICT, {}).hold_id for i in range(50)]

    ids = run(scenario())
    assert len(set(ids)) == 50
    assert all(len(i.split("-")[1]) == 12 for i in ids)


def test_pending_lists_only_the_origin_asked_for():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        registry.open("f1", ORIGIN, VERDICT, {})
        registry.open("f2", "https://mastodon.example", VERDICT, {})
        return [h.origin for h in registry.pending(ORIGIN)]

    assert run(scenario()) == [ORIGIN]


def test_racing_deciders_from_threads_release_exactly_once():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        waiting = asyncio.create_task(registry.wait(hold))
        results: list[bool] = []
        barrier = threading.Barrier(8)

        def decide(choice: str) -> None:
            barrier.wait()
            results.append(registry.decide(hold.hold_id, choice))

        threads = [
            threading.Thread(target=decide, args=("send" if i % 2 else "edit",))
            for i in range(8)
        ]
        for thread in threads:
            thread.start()
        await asyncio.to_thread(lambda: [t.join(5) for t in threads])
        return results, await waiting, hold.outcome

    results, outcome, recorded = run(scenario())
    assert results.count(True) == 1
    assert outcome == recorded


def test_cancelled_wait_counts_as_edit():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        waiting = asyncio.create_task(registry.wait(hold))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return hold.outcome, registry.decide(hold.hold_id, "send")

    assert run(scenario()) == ("edit", False)


def test_resolution_is_announced_once():
    async def scenario():
        resolved = []
        registry = HoldRegistry(timeout_s=5, on_resolved=resolved.append)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        waiting = asyncio.create_task(registry.wait(hold))
        registry.decide(hold.hold_id, "send")
        registry.decide(hold.hold_id, "edit")
        await waiting
        return [h.outcome for h in resolved]

    assert run(scenario()) == ["send"]
