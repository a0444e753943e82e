"""Who writes the user's drafts: the handle each site's read answers name as signed in.

Each adapter reads the answer about the signed-in account (`Harvest.own_handle`); memory keeps
it per (site, scope) and fills `Draft.author` of that scope's drafts; the engine falls back to
the config's `me:` only when nothing was learned."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pullcheck.engine import Engine, EngineSettings
from pullcheck.memory import MAX_HANDLE_CHARS, MAX_OWN_HANDLES, Memory
from pullcheck.models import Draft, ReplyTarget
from pullcheck.rulebook import builtin_pack
from pullcheck.sites import ADAPTERS_BY_NAME
from pullcheck.sites.wire import Compose, FailureResponse, Harvest
from site_fixtures import FIXTURES, fake_jwt, load, response_of

NO_FAILURE = FailureResponse(503, {}, b"")
# The read answers about the signed-in account, one or more per site.
SIGNED_IN_FIXTURES = sorted(
    path.name
    for path in FIXTURES.glob("*.json")
    if "own_handle" in json.loads(path.read_text(encoding="utf-8")).get("expected", {})
)
CUSTOMER_ASKS = (
    "@acme_webworks my website order never arrived and nobody answers. "
    "Can anyone help me get a refund?"
)
BRAND_ANSWER = (
    "So sorry! We build websites and we can fix this today: hire us at "
    "https://acme-webworks.example/pricing"
)


def reply(platform: str = "x", author: str | None = None) -> Draft:
    return Draft(
        platform=platform,
        kind="reply",
        text=BRAND_ANSWER,
        author=author,
        reply_to=ReplyTarget(id="1", text=CUSTOMER_ASKS),
    )


def compose(draft: Draft, sender: str | None = None) -> Compose:
    return Compose("test", draft, [], NO_FAILURE, sender=sender)


def taught(name: str, memory: Memory | None = None, scope: str = "") -> tuple[Memory, str]:
    fixture = load(name)
    platform = fixture["platform"]
    harvest = ADAPTERS_BY_NAME[platform].harvest(response_of(fixture))
    assert harvest is not None
    memory = memory or Memory()
    memory.remember(platform, harvest, scope=scope)
    return memory, platform


def test_every_site_has_a_read_answer_that_names_the_signed_in_handle() -> None:
    sites = {load(name)["platform"] for name in SIGNED_IN_FIXTURES}
    assert sites == {"x", "mastodon", "bluesky", "linkedin", "reddit"}


@pytest.mark.parametrize("name", SIGNED_IN_FIXTURES)
def test_the_answer_about_the_signed_in_account_makes_it_the_author_of_drafts(name: str) -> None:
    memory, platform = taught(name)
    draft = memory.enrich(platform, compose(Draft(platform=platform, kind="post", text="Hi")))
    assert draft.author == load(name)["expected"]["own_handle"]


@pytest.mark.parametrize(
    "name",
    [
        "x_read_home_timeline_response.json",
        "mastodon_read_home_timeline_response.json",
        "bluesky_read_get_timeline_response.json",
        "linkedin_read_feed_updates_response.json",
        "reddit_read_comments_json_response.json",
    ],
)
def test_a_timeline_never_names_the_signed_in_handle(name: str) -> None:
    fixture = load(name)
    harvest = ADAPTERS_BY_NAME[fixture["platform"]].harvest(response_of(fixture))
    assert harvest is not None
    assert harvest.own_handle is None


def test_someone_elses_bluesky_profile_teaches_no_handle() -> None:
    fixture = load("bluesky_read_get_profile_self_response.json")
    response = response_of(fixture, authorization=f"Bearer {fake_jwt('did:plc:someoneelse')}")
    harvest = ADAPTERS_BY_NAME["bluesky"].harvest(response)
    assert harvest is None or harvest.own_handle is None


def test_a_bluesky_profile_without_an_access_token_teaches_no_handle() -> None:
    fixture = load("bluesky_read_get_profile_self_response.json")
    response = response_of(fixture, authorization="Bearer <accessJwt>")
    harvest = ADAPTERS_BY_NAME["bluesky"].harvest(response)
    assert harvest is None or harvest.own_handle is None


def test_an_x_viewer_of_another_account_than_the_cookies_teaches_no_handle() -> None:
    fixture = load("x_read_viewer_response.json")
    response = response_of(fixture, cookie="twid=u%3D1600000000000000099")
    harvest = ADAPTERS_BY_NAME["x"].harvest(response)
    assert harvest is not None
    assert harvest.own_id == "1600000000000000099"
    assert harvest.own_handle is None


def test_a_mastodon_page_without_the_signed_in_account_teaches_nothing() -> None:
    fixture = load("mastodon_read_web_ui_initial_state_response.json")
    signed_out = fixture["response"]["body"].replace('"me":"109000000000000001"', '"me":null')
    fixture["response"]["body"] = signed_out
    assert ADAPTERS_BY_NAME["mastodon"].harvest(response_of(fixture)) is None
    fixture["response"]["body"] = "<html><head></head><body>About this server</body></html>"
    assert ADAPTERS_BY_NAME["mastodon"].harvest(response_of(fixture)) is None


def v11_verify_credentials(user_id: str) -> Any:
    """The answer about the account whose OAuth 1.0a token (id 1600000000000000001) asks."""
    token = 'OAuth oauth_token="1600000000000000001-<rest>", oauth_version="1.0"'
    body = json.dumps({"id": int(user_id), "id_str": user_id, "screen_name": "acme_webworks"})
    return response_of(
        {
            "request": {
                "method": "GET",
                "url": "https://api.x.com/1.1/account/verify_credentials.json",
                "headers": {"authorization": token},
            },
            "response": {
                "status": 200,
                "headers": {"content-type": "application/json"},
                "body": body,
            },
        }
    )


def test_x_api_v11_verify_credentials_names_the_tokens_account() -> None:
    harvest = ADAPTERS_BY_NAME["x"].harvest(v11_verify_credentials("1600000000000000001"))
    assert harvest is not None
    assert (harvest.own_id, harvest.own_handle) == ("1600000000000000001", "acme_webworks")


def test_x_api_v11_verify_credentials_of_another_account_teaches_nothing() -> None:
    assert ADAPTERS_BY_NAME["x"].harvest(v11_verify_credentials("1600000000000000099")) is None


def test_a_signed_out_reddit_me_answer_teaches_nothing() -> None:
    fixture = load("reddit_read_api_me_response.json")
    fixture["response"]["body"] = "{}"
    assert ADAPTERS_BY_NAME["reddit"].harvest(response_of(fixture)) is None


def test_a_handle_is_used_only_by_drafts_of_the_scope_that_taught_it() -> None:
    memory, _ = taught("mastodon_read_verify_credentials_response.json", scope="mastodon.example")
    elsewhere = memory.enrich(
        "mastodon", compose(Draft(platform="mastodon", text="Hi")), scope="evil.example"
    )
    at_home = memory.enrich(
        "mastodon", compose(Draft(platform="mastodon", text="Hi")), scope="mastodon.example"
    )
    assert elsewhere.author is None
    assert at_home.author == "acme"


def test_a_request_naming_its_account_gets_that_accounts_handle() -> None:
    memory = Memory()
    memory.remember("x", Harvest(own_id="1", own_handle="acme_webworks"))
    memory.remember("x", Harvest(own_id="2", own_handle="rival_web"))
    assert memory.enrich("x", compose(reply(), sender="1")).author == "acme_webworks"
    assert memory.enrich("x", compose(reply(), sender="2")).author == "rival_web"


def test_a_request_naming_an_account_with_no_handle_learned_gets_none() -> None:
    memory = Memory()
    memory.remember("x", Harvest(own_id="1", own_handle="acme_webworks"))
    assert memory.enrich("x", compose(reply(), sender="3")).author is None


def test_without_an_account_in_the_request_the_latest_handle_writes() -> None:
    memory = Memory()
    memory.remember("reddit", Harvest(own_handle="old_name"))
    memory.remember("reddit", Harvest(own_handle="acme_webworks", own_id="t2_1"))
    assert memory.own_handle("reddit") == "acme_webworks"


def test_a_draft_that_names_its_author_keeps_it() -> None:
    memory = Memory()
    memory.remember("x", Harvest(own_handle="acme_webworks"))
    assert memory.enrich("x", compose(reply(author="someone"))).author == "someone"


def test_handles_are_bounded_per_scope_and_in_scopes() -> None:
    memory = Memory(max_scopes=3)
    for account in range(MAX_OWN_HANDLES + 5):
        memory.remember("x", Harvest(own_id=str(account), own_handle=f"user{account}"))
    assert memory.own_handle("x", sender="0") is None
    assert memory.own_handle("x", sender=str(MAX_OWN_HANDLES + 4)) == f"user{MAX_OWN_HANDLES + 4}"
    for scope in ("a", "b", "c", "d"):
        memory.remember("mastodon", Harvest(own_handle=f"me_{scope}"), scope=scope)
    assert memory.own_handle("mastodon", "a") is None
    assert memory.own_handle("mastodon", "d") == "me_d"


def test_an_over_long_handle_is_not_kept() -> None:
    memory = Memory()
    memory.remember("bluesky", Harvest(own_handle="a" * (MAX_HANDLE_CHARS + 1)))
    assert memory.own_handle("bluesky") is None


def test_forget_drops_the_learned_handles() -> None:
    memory = Memory()
    memory.remember("x", Harvest(own_handle="acme_webworks"))
    memory.forget()
    assert memory.own_handle("x") is None


# -- what the engine makes of it -------------------------------------------------------------


@pytest.fixture(scope="module")
def pack() -> Any:
    return builtin_pack()


def judged_level(pack: Any, draft: Draft, me: dict[str, str] | None = None) -> str:
    return Engine(pack, EngineSettings(me=me or {})).judge(draft).level


def test_a_reply_by_the_learned_addressed_account_is_its_own_customer_service(pack: Any) -> None:
    memory = Memory()
    memory.remember("x", Harvest(own_handle="acme_webworks"))
    assert judged_level(pack, memory.enrich("x", compose(reply()))) == "none"


def test_the_same_reply_by_another_learned_account_is_flagged(pack: Any) -> None:
    memory = Memory()
    memory.remember("x", Harvest(own_handle="rival_web"))
    assert judged_level(pack, memory.enrich("x", compose(reply()))) == "warning"


def test_the_config_me_is_the_writer_when_nothing_was_learned(pack: Any) -> None:
    draft = Memory().enrich("x", compose(reply()))
    assert judged_level(pack, draft, me={"x": "rival_web"}) == "warning"
    assert judged_level(pack, draft, me={"x": "acme_webworks"}) == "none"


def test_a_learned_handle_wins_over_the_config_me(pack: Any) -> None:
    memory = Memory()
    memory.remember("x", Harvest(own_handle="rival_web"))
    draft = memory.enrich("x", compose(reply()))
    assert judged_level(pack, draft, me={"x": "acme_webworks"}) == "warning"
