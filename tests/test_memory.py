"""Memory: bounded stores and what `enrich` adds to a draft."""

from __future__ import annotations

import threading

from pullcheck.memory import MAX_POST_TEXT, Memory
from pullcheck.models import Draft, ReplyTarget
from pullcheck.sites.wire import Compose, FailureResponse, Follower, Harvest, SeenPost

NO_FAILURE = FailureResponse(503, {}, b"")
DAY = 24 * 3600.0


def _compose(
    draft: Draft, conversations: list[str] | None = None, sender: str | None = None
) -> Compose:
    return Compose("test", draft, conversations or [], NO_FAILURE, sender=sender)


def _post(i: int, platform: str = "x") -> SeenPost:
    return SeenPost(str(i), platform, f"user{i % 10}", f"post number {i}")


def test_seen_posts_are_bounded_least_recently_used_first() -> None:
    memory = Memory(max_posts=3)
    memory.remember("x", Harvest(posts=[_post(1), _post(2), _post(3)]))
    assert memory.seen_post("x", "1") is not None  # touching 1 makes 2 the oldest
    memory.remember("x", Harvest(posts=[_post(4)]))
    assert memory.seen_post("x", "2") is None
    assert [memory.seen_post("x", i) is not None for i in ("1", "3", "4")] == [True] * 3
    assert memory.stats()["posts"] == 3


def test_posts_are_kept_per_platform() -> None:
    memory = Memory()
    memory.remember("x", Harvest(posts=[_post(1, "x")]))
    assert memory.seen_post("mastodon", "1") is None


def test_long_texts_are_capped() -> None:
    memory = Memory()
    memory.remember("x", Harvest(posts=[SeenPost("1", "x", "a", "y" * (MAX_POST_TEXT * 2))]))
    seen = memory.seen_post("x", "1")
    assert seen is not None
    assert len(seen.text) == MAX_POST_TEXT


def test_a_poorer_later_copy_keeps_what_was_known() -> None:
    memory = Memory()
    memory.remember("x", Harvest(posts=[SeenPost("1", "x", "a", "full text", "0", "u1")]))
    memory.remember("x", Harvest(posts=[SeenPost("1", "x", None, "", None, None)]))
    seen = memory.seen_post("x", "1")
    assert seen is not None
    assert (seen.author, seen.text, seen.in_reply_to, seen.author_id) == (
        "a",
        "full text",
        "0",
        "u1",
    )


def test_enrich_fills_the_reply_target_from_seen_posts() -> None:
    memory = Memory()
    memory.remember("x", Harvest(posts=[SeenPost("9", "x", "jordan", "Can anyone help?")]))
    draft = Draft(platform="x", kind="reply", text="hi", reply_to=ReplyTarget(id="9"))
    enriched = memory.enrich("x", _compose(draft))
    assert enriched.reply_to == ReplyTarget(id="9", author="jordan", text="Can anyone help?")
    assert draft.reply_to == ReplyTarget(id="9")  # the compose's draft is not changed


def test_a_parent_that_was_itself_a_reply_addressed_the_author_it_answered() -> None:
    memory = Memory()
    brand_post = SeenPost("1", "bluesky", "acmebank.bsky.social", "Our new app is out today.")
    complaint = SeenPost(
        "2", "bluesky", "sam.bsky.social", "My card is frozen again.", in_reply_to="1"
    )
    memory.remember("bluesky", Harvest(posts=[brand_post, complaint]))
    draft = Draft(platform="bluesky", kind="reply", text="hi", reply_to=ReplyTarget(id="2"))
    target = memory.enrich("bluesky", _compose(draft)).reply_to
    assert target is not None
    assert target.author == "sam.bsky.social"
    assert target.addressed == ("acmebank.bsky.social",)


def test_a_parent_whose_own_parent_is_unknown_addresses_nobody_extra() -> None:
    memory = Memory()
    complaint = SeenPost("2", "x", "sam", "My card is frozen again.", in_reply_to="404")
    memory.remember("x", Harvest(posts=[complaint]))
    draft = Draft(platform="x", kind="reply", text="hi", reply_to=ReplyTarget(id="2"))
    target = memory.enrich("x", _compose(draft)).reply_to
    assert target is not None
    assert target.addressed == ()


def test_enrich_leaves_an_unknown_target_alone() -> None:
    draft = Draft(platform="x", kind="reply", text="hi", reply_to=ReplyTarget(id="9"))
    assert Memory().enrich("x", _compose(draft)) == draft


def test_recipients_come_from_conversation_members_minus_the_user() -> None:
    memory = Memory()
    memory.remember(
        "bluesky", Harvest(conversations={"c1": ["did:me", "did:sam"]}, own_id="did:me")
    )
    draft = Draft(platform="bluesky", kind="dm", text="hello")
    assert memory.enrich("bluesky", _compose(draft, ["c1"])).recipients == ["did:sam"]


def test_the_user_is_guessed_as_the_member_every_conversation_shares() -> None:
    memory = Memory()
    memory.remember(
        "bluesky", Harvest(conversations={"c1": ["did:me", "did:sam"], "c2": ["did:kim", "did:me"]})
    )
    draft = Draft(platform="bluesky", kind="dm", text="hello")
    assert memory.enrich("bluesky", _compose(draft, ["c2"])).recipients == ["did:kim"]


def test_new_follower_within_the_window() -> None:
    memory = Memory(new_follower_window_s=30 * DAY)
    memory.remember("x", Harvest(new_followers=[Follower("x", "3", "Sam_Rivera", 1000.0)]))
    dm = Draft(platform="x", kind="dm", text="thanks for following", recipients=["3"])
    assert memory.enrich("x", _compose(dm), now=1000.0 + DAY).recipient_is_new_follower is True
    assert memory.enrich("x", _compose(dm), now=1000 + 31 * DAY).recipient_is_new_follower is False
    by_handle = dm.model_copy(update={"recipients": ["@sam_rivera"]})
    assert memory.enrich("x", _compose(by_handle), now=1000.0).recipient_is_new_follower is True
    stranger = dm.model_copy(update={"recipients": ["4"]})
    assert memory.enrich("x", _compose(stranger), now=1000.0).recipient_is_new_follower is None
    assert memory.is_new_follower("x", "3", now=1000.0) is True


def test_followers_are_bounded() -> None:
    memory = Memory(max_followers=2)
    memory.remember(
        "x", Harvest(new_followers=[Follower("x", str(i), f"h{i}", float(i)) for i in range(5)])
    )
    assert memory.stats()["followers"] == 2
    assert memory.is_new_follower("x", "h0", now=5.0) is None
    assert memory.is_new_follower("x", "h4", now=5.0) is True


def test_prior_conversation_when_the_other_side_wrote() -> None:
    memory = Memory()
    memory.remember(
        "x",
        Harvest(conversations={"1-3": ["1", "3"]}, conversation_senders={"1-3": ["3"]}, own_id="1"),
        now=10.0,
    )
    draft = Draft(platform="x", kind="dm", text="hi", recipients=["3"])
    assert memory.enrich("x", _compose(draft, ["1-3"]), now=20.0).prior_conversation is True


def test_conversation_listed_before_the_first_send_is_prior() -> None:
    memory = Memory()
    memory.remember("x", Harvest(conversations={"1-3": ["1", "3"]}, own_id="1"), now=10.0)
    draft = Draft(platform="x", kind="dm", text="hi", recipients=["3"])
    assert memory.enrich("x", _compose(draft, ["1-3"]), now=20.0).prior_conversation is True
    assert memory.enrich("x", _compose(draft, ["1-3"]), now=30.0).prior_conversation is True


def test_conversation_that_appears_only_after_the_users_first_send_is_not_prior() -> None:
    memory = Memory()
    draft = Draft(platform="x", kind="dm", text="hi", recipients=["3"])
    assert memory.enrich("x", _compose(draft, ["1-3"]), now=10.0).prior_conversation is None
    # The inbox then lists the conversation the user just opened, with only the user's message.
    memory.remember(
        "x",
        Harvest(conversations={"1-3": ["1", "3"]}, conversation_senders={"1-3": ["1"]}, own_id="1"),
        now=20.0,
    )
    assert memory.enrich("x", _compose(draft, ["1-3"]), now=30.0).prior_conversation is False


def test_prior_conversation_found_by_member_when_no_conversation_is_named() -> None:
    memory = Memory()
    memory.remember(
        "mastodon",
        Harvest(
            conversations={"c9": ["sam@social.example"]},
            conversation_senders={"c9": ["sam@social.example"]},
        ),
    )
    dm = Draft(platform="mastodon", kind="dm", text="hi", recipients=["sam@social.example"])
    assert memory.enrich("mastodon", _compose(dm)).prior_conversation is True
    other = dm.model_copy(update={"recipients": ["kim@x.example"]})
    assert memory.enrich("mastodon", _compose(other)).prior_conversation is None


def test_a_value_the_wire_already_gave_is_kept() -> None:
    memory = Memory()
    memory.remember(
        "linkedin", Harvest(conversations={"c": ["urn:a"]}, conversation_senders={"c": ["urn:a"]})
    )
    dm = Draft(
        platform="linkedin", kind="dm", text="hi", recipients=["urn:a"], prior_conversation=False
    )
    assert memory.enrich("linkedin", _compose(dm)).prior_conversation is False


def test_conversations_are_bounded() -> None:
    memory = Memory(max_conversations=2)
    memory.remember("x", Harvest(conversations={f"c{i}": ["me", f"u{i}"] for i in range(4)}))
    assert memory.stats()["conversations"] == 2


def test_forget_empties_everything() -> None:
    memory = Memory()
    memory.remember(
        "x",
        Harvest(
            posts=[_post(1)],
            new_followers=[Follower("x", "3", None, 1.0)],
            conversations={"c": ["a", "b"]},
            own_id="a",
        ),
    )
    memory.forget()
    assert memory.stats() == {"posts": 0, "followers": 0, "conversations": 0}
    assert memory.own_ids("x") == set()


def test_concurrent_remember_and_enrich_stay_consistent() -> None:
    memory = Memory(max_posts=500)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(2_000):
                memory.remember("x", Harvest(posts=[_post(offset + i)]))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def reader() -> None:
        try:
            draft = Draft(platform="x", kind="reply", text="hi", reply_to=ReplyTarget(id="5"))
            for _ in range(2_000):
                memory.enrich("x", _compose(draft))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(k * 10_000,)) for k in range(3)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert memory.stats()["posts"] == 500


def test_posts_asking_lists_the_posts_that_ask_for_help() -> None:
    memory = Memory()
    memory.remember(
        "x",
        Harvest(
            posts=[
                SeenPost(
                    "1", "x", "jordan", "Can anyone recommend a web designer for a bakery site?"
                ),
                SeenPost("2", "x", "jordan", "Sourdough day! First batch out of the oven at 6am."),
            ]
        ),
    )
    memory.remember(
        "mastodon",
        Harvest(
            posts=[
                SeenPost("3", "mastodon", "kim", "Does anyone know a good photographer?"),
            ]
        ),
    )
    assert [p.id for p in memory.posts_asking()] == ["3", "1"]
    assert [p.id for p in memory.posts_asking("x")] == ["1"]


# --- per-host scopes ------------------------------------------------------------------------------


def test_a_post_learned_on_one_scope_is_not_used_for_a_draft_on_another() -> None:
    memory = Memory()
    memory.remember(
        "mastodon",
        Harvest(posts=[SeenPost("9", "mastodon", "jordan", "Any tips?")]),
        scope="evil.example",
    )
    draft = Draft(platform="mastodon", kind="reply", text="hi", reply_to=ReplyTarget(id="9"))
    enriched = memory.enrich("mastodon", _compose(draft), scope="mastodon.social")
    assert enriched.reply_to is not None
    assert enriched.reply_to.text is None
    same_host = memory.enrich("mastodon", _compose(draft), scope="evil.example")
    assert same_host.reply_to is not None
    assert same_host.reply_to.text == "Any tips?"


def test_followers_and_conversations_are_kept_per_scope() -> None:
    memory = Memory()
    memory.remember(
        "x",
        Harvest(
            new_followers=[Follower("x", "3", "newbie", 990.0)],
            conversations={"c1": ["me", "newbie"]},
            conversation_senders={"c1": ["newbie"]},
            own_id="me",
        ),
        scope="evil.example",
    )
    dm = Draft(platform="x", kind="dm", text="hello")
    draft = memory.enrich("x", _compose(dm, ["c1"]), now=1000.0, scope="configured")
    assert draft.recipients == []
    assert draft.recipient_is_new_follower is None
    assert memory.is_new_follower("x", "newbie", now=1000.0, scope="configured") is None
    assert memory.own_ids("x", scope="configured") == set()


def test_a_host_that_floods_evicts_its_own_posts_not_the_others() -> None:
    memory = Memory(max_posts=100)
    memory.remember("x", Harvest(posts=[_post(i) for i in range(30)]), scope="configured")
    memory.remember("x", Harvest(posts=[_post(1000 + i) for i in range(500)]), scope="flood")
    assert memory.stats()["posts"] == 100
    assert memory.posts.in_scope("x", "configured") == 30
    assert all(memory.seen_post("x", str(i), scope="configured") for i in range(30))
    assert memory.seen_post("x", "1499", scope="flood") is not None  # newest kept
    assert memory.seen_post("x", "1000", scope="flood") is None  # oldest gone


def test_no_scope_keeps_more_than_an_equal_share_when_all_are_full() -> None:
    memory = Memory(max_posts=90)
    for scope in ("a", "b", "c"):
        memory.remember("x", Harvest(posts=[_post(i) for i in range(100)]), scope=scope)
    assert [memory.posts.in_scope("x", s) for s in ("a", "b", "c")] == [30, 30, 30]


def test_the_number_of_scopes_is_bounded() -> None:
    memory = Memory(max_scopes=3)
    for n in range(5):
        memory.remember("x", Harvest(posts=[_post(n)], own_id=f"me{n}"), scope=f"host{n}")
    assert memory.seen_post("x", "0", scope="host0") is None
    assert memory.seen_post("x", "4", scope="host4") is not None
    assert memory.stats()["posts"] == 3
    assert memory.own_ids("x", scope="host0") == set()


def test_a_draft_to_a_host_that_may_not_teach_writes_nothing() -> None:
    memory = Memory()
    dm = Draft(platform="x", kind="dm", text="hello")
    memory.enrich(
        "x", _compose(dm, ["c1", "c2"], sender="someone"), scope="evil.example", learn=False
    )
    assert memory.stats()["conversations"] == 0
    assert memory.own_ids("x", scope="evil.example") == set()


def test_own_ids_per_scope_are_capped() -> None:
    memory = Memory()
    for n in range(100):
        memory.remember("x", Harvest(own_id=f"account{n}"))
    assert len(memory.own_ids("x")) <= 16


def test_a_conversation_keeps_a_bounded_number_of_members_and_senders() -> None:
    memory = Memory()
    crowd = [f"u{n}" for n in range(10_000)]
    memory.remember("x", Harvest(conversations={"c": crowd}, conversation_senders={"c": crowd}))
    conversation = memory.conversations.get("x", "c")
    assert conversation is not None
    assert len(conversation.members) <= 256
    assert len(conversation.senders) <= 256
