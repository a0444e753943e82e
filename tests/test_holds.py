"""HoldRegistry: a held post is released at most once, silence means "edit", a hold whose
clients all left ends as "gone", and a retry joins the hold it repeats."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pullcheck.models import Draft, ReplyTarget
from pullcheck.proxy.holds import (
    ENDED_MESSAGES,
    HeldPost,
    Hold,
    HoldRegistry,
    request_fingerprint,
)

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
            threading.Thread(target=decide, args=("send" if i % 2 else "edit",)) for i in range(8)
        ]
        for thread in threads:
            thread.start()

        def join_all() -> None:
            for thread in threads:
                thread.join(5)

        await asyncio.to_thread(join_all)
        return results, await waiting, hold.outcome

    results, outcome, recorded = run(scenario())
    assert results.count(True) == 1
    assert outcome == recorded


def test_a_cancelled_wait_ends_the_hold_as_gone_and_a_later_send_is_told_so():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        waiting = asyncio.create_task(registry.wait(hold, "flow-1"))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return hold.outcome, registry.decide_status(hold.hold_id, "send")

    assert run(scenario()) == ("gone", "gone")


def test_resolution_is_announced_once():
    async def scenario():
        resolved: list[Hold] = []
        registry = HoldRegistry(timeout_s=5, on_resolved=resolved.append)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        waiting = asyncio.create_task(registry.wait(hold))
        registry.decide(hold.hold_id, "send")
        registry.decide(hold.hold_id, "edit")
        await waiting
        return [h.outcome for h in resolved]

    assert run(scenario()) == ["send"]


# -- what a hold carries ---------------------------------------------------------------------


def test_a_hold_carries_the_text_kind_and_target_of_the_request_itself():
    draft = Draft(
        platform="x",
        kind="reply",
        text="Hire us! 20% off",
        reply_to=ReplyTarget(id="42", author="sam_runs", text="Any tips for 10k?"),
        recipients=["sam_runs"],
    )

    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open(
            "flow-1",
            ORIGIN,
            VERDICT,
            {},
            post=HeldPost.of("x", "CreateTweet", draft),
            from_origin="https://x.com",
            own=True,
        )
        return hold.public()

    shown = run(scenario())
    assert shown["text"] == "Hire us! 20% off"
    assert shown["kind"] == "reply"
    assert shown["reply_to"] == {"id": "42", "author": "sam_runs", "text": "Any tips for 10k?"}
    assert shown["recipients"] == ["sam_runs"]
    assert shown["own"] is True
    assert "client" not in shown  # a page never learns the client's address


def test_the_listing_adds_the_client_and_the_age_for_the_command_line():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open(
            "flow-1",
            ORIGIN,
            {"level": "warning", "findings": [{"code": "PP201"}]},
            {},
            client="127.0.0.1",
            from_origin=None,
            own=False,
        )
        return hold.listing(now=hold.created + 3.04)

    listing = run(scenario())
    assert listing["client"] == "127.0.0.1"
    assert listing["age_s"] == 3.0
    assert listing["codes"] == ["PP201"]
    assert listing["level"] == "warning"
    assert listing["own"] is False
    assert listing["from_origin"] is None


# -- late decisions say why ------------------------------------------------------------------


def test_a_decision_on_an_ended_hold_says_how_it_ended():
    async def scenario():
        registry = HoldRegistry(timeout_s=0.02)
        timed_out = registry.open("flow-1", ORIGIN, VERDICT, {})
        await registry.wait(timed_out)
        decided = registry.open("flow-2", ORIGIN, VERDICT, {}, timeout_s=5)
        registry.decide(decided.hold_id, "edit")
        return (
            registry.decide_status(timed_out.hold_id, "send"),
            registry.decide_status(decided.hold_id, "send"),
            registry.decide_status("h99-000000000000", "send"),
            registry.decide_status(decided.hold_id, "publish"),
        )

    assert run(scenario()) == ("timeout", "decided", "unknown", "invalid")
    assert ENDED_MESSAGES["gone"] == "the client disconnected; nothing was sent"


def test_another_origin_learns_nothing_about_an_ended_hold():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        registry.flow_gone("flow-1")
        return (
            registry.decide_status(hold.hold_id, "send", origin="https://evil.example"),
            registry.decide_status(hold.hold_id, "send", origin=ORIGIN),
        )

    assert run(scenario()) == ("unknown", "gone")


def test_remembered_ended_holds_are_bounded():
    async def scenario():
        registry = HoldRegistry(timeout_s=5, max_ended=3)
        holds = [registry.open(f"flow-{i}", ORIGIN, VERDICT, {}) for i in range(5)]
        for hold in holds:
            registry.decide(hold.hold_id, "edit")
        return [registry.decide_status(h.hold_id, "send") for h in holds]

    assert run(scenario()) == ["unknown", "unknown", "decided", "decided", "decided"]


# -- clients that go away --------------------------------------------------------------------


def test_a_hold_whose_client_disconnected_ends_as_gone_at_once():
    async def scenario():
        resolved: list[Hold] = []
        registry = HoldRegistry(timeout_s=5, on_resolved=resolved.append)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        waiting = asyncio.create_task(registry.wait(hold, "flow-1"))
        await asyncio.sleep(0)
        ended = registry.flow_gone("flow-1")
        return ended is hold, await waiting, registry.pending(), [h.outcome for h in resolved]

    assert run(scenario()) == (True, "gone", [], ["gone"])


def test_a_disconnect_of_a_flow_that_holds_nothing_changes_nothing():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {})
        return registry.flow_gone("flow-other"), hold.outcome

    assert run(scenario()) == (None, None)


# -- retries join the hold they repeat -------------------------------------------------------


KEY = request_fingerprint("POST", "https://x.com/i/api/graphql/q/CreateTweet", b'{"t":"hi"}')


def test_a_fingerprint_tells_method_url_and_body_apart():
    url = "https://x.com/i/api/graphql/q/CreateTweet"
    assert request_fingerprint("post", url, b'{"t":"hi"}') == KEY
    assert request_fingerprint("PUT", url, b'{"t":"hi"}') != KEY
    assert request_fingerprint("POST", url + "?a", b'{"t":"hi"}') != KEY
    assert request_fingerprint("POST", url, b'{"t":"hi!"}') != KEY
    # Sent from another page (another Origin): another request, whatever its bytes.
    assert request_fingerprint("POST", url, b'{"t":"hi"}', "https://evil.example") != KEY
    # Length-prefixed: moving bytes from the URL into the body is another request.
    assert request_fingerprint("POST", url[:-1], b't{"t":"hi"}') != KEY


def test_a_retry_from_the_same_client_joins_and_only_one_flow_is_the_sender():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {}, key=KEY, client="127.0.0.1")
        joined = registry.join(KEY, "127.0.0.1", "flow-2")
        first = asyncio.create_task(registry.wait(hold, "flow-1"))
        second = asyncio.create_task(registry.wait(hold, "flow-2"))
        await asyncio.sleep(0)
        registry.decide(hold.hold_id, "send")
        return joined is hold, await first, await second, hold.sender, len(registry.pending())

    assert run(scenario()) == (True, "send", "send", "flow-1", 0)


def test_another_client_or_another_body_opens_its_own_hold():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        registry.open("flow-1", ORIGIN, VERDICT, {}, key=KEY, client="127.0.0.1")
        other_client = registry.join(KEY, "10.0.0.2", "flow-2")
        other_body = registry.join("another-key", "127.0.0.1", "flow-3")
        return other_client, other_body

    assert run(scenario()) == (None, None)


def test_when_the_first_client_left_the_retry_is_the_one_that_is_sent():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {}, key=KEY, client="127.0.0.1")
        registry.join(KEY, "127.0.0.1", "flow-2")
        still_waiting = registry.flow_gone("flow-1")
        status = registry.decide_status(hold.hold_id, "send")
        return still_waiting, status, hold.outcome, hold.sender

    assert run(scenario()) == (None, "applied", "send", "flow-2")


def test_a_hold_ends_as_gone_only_when_every_joined_client_left():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {}, key=KEY, client="127.0.0.1")
        registry.join(KEY, "127.0.0.1", "flow-2")
        registry.flow_gone("flow-1")
        registry.flow_gone("flow-2")
        return hold.outcome, registry.decide_status(hold.hold_id, "send")

    assert run(scenario()) == ("gone", "gone")


def test_a_retry_after_the_decision_does_not_join_the_ended_hold():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        hold = registry.open("flow-1", ORIGIN, VERDICT, {}, key=KEY, client="127.0.0.1")
        registry.decide(hold.hold_id, "send")
        return registry.join(KEY, "127.0.0.1", "flow-2")

    assert run(scenario()) is None


def test_a_joined_retry_waits_only_for_what_is_left_of_the_holds_time():
    async def scenario():
        registry = HoldRegistry(timeout_s=0.3)
        loop = asyncio.get_running_loop()
        hold = registry.open("flow-1", ORIGIN, VERDICT, {}, key=KEY, client="127.0.0.1")
        first = asyncio.create_task(registry.wait(hold, "flow-1"))
        await asyncio.sleep(0.2)
        registry.join(KEY, "127.0.0.1", "flow-2")
        started = loop.time()
        outcome = await registry.wait(hold, "flow-2")
        return outcome, loop.time() - started, await first

    outcome, waited, first = run(scenario())
    assert outcome == first == "timeout"
    assert waited < 0.25


# -- shutdown --------------------------------------------------------------------------------


def test_stopping_ends_every_pending_hold_as_shutdown():
    async def scenario():
        registry = HoldRegistry(timeout_s=5)
        holds = [registry.open(f"flow-{i}", ORIGIN, VERDICT, {}) for i in range(3)]
        waiting = [asyncio.create_task(registry.wait(h)) for h in holds]
        ended = registry.settle_all("shutdown")
        return len(ended), [await w for w in waiting], registry.pending()

    assert run(scenario()) == (3, ["shutdown"] * 3, [])
