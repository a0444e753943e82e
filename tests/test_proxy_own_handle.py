"""Who writes, learned live: a real mitmproxy with the add-on in front of fake sites.

A read answer about the signed-in account (X's `Viewer`, Mastodon's `verify_credentials`) teaches
the proxy the user's handle on that host; a reply by that account to a customer who @mentioned
it is the account answering its own customer and goes out, while the same reply written by
another account is held (`holds.without_page: reject` answers it at once with the findings). A
host nobody configured cannot teach the handle for the user's own instance.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from proxy_harness import RunningProxy, Upstream, fetch
from pullcheck.proxy.trust import scope_of
from x_samples import CREATE_TWEET, JSON

# What a held post's failure answer says: the prefix clients match, and the reason.
HELD = "Not sent: held by pullcheck"
NOT_YOURS = "They wrote to @acme_webworks, not to you"
CUSTOMER_ASKS = (
    "@acme_webworks my website order never arrived and nobody answers. "
    "Can anyone help me get a refund?"
)
ANSWER = (
    "So sorry! We build websites and we can fix this today: hire us at "
    "https://acme-webworks.example/pricing"
)
PARENT_ID = "1790000000000000555"
BRAND_ID, RIVAL_ID = "1600000000000000001", "1600000000000000002"
TWEET_DETAIL = "/i/api/graphql/xd_EMdYvB9hfZsZ6Idri0w/TweetDetail"
# The query id rotates; two ids let one fake site answer for two accounts.
BRAND_VIEWER = "/i/api/graphql/W62NnYgkgziw9bwyoVht0g/Viewer"
RIVAL_VIEWER = "/i/api/graphql/k3YiLNE_MAy5J-NANLERdg/Viewer"
STATUS_CONTEXT = "/api/v1/statuses/113456789012345555/context"
VERIFY_CREDENTIALS = "/api/v1/accounts/verify_credentials"


def answer(document: object) -> tuple[int, dict[str, str], bytes]:
    return 200, {"content-type": "application/json; charset=utf-8"}, json.dumps(document).encode()


def viewer(user_id: str, screen_name: str) -> tuple[int, dict[str, str], bytes]:
    user = {"__typename": "User", "rest_id": user_id, "core": {"screen_name": screen_name}}
    return answer({"data": {"viewer": {"user_results": {"result": user}}}})


def tweet_detail() -> tuple[int, dict[str, str], bytes]:
    customer: dict[str, object] = {"__typename": "User", "rest_id": "1600000000000000009"}
    customer["core"] = {"screen_name": "sam_rivera"}
    tweet = {
        "__typename": "Tweet",
        "rest_id": PARENT_ID,
        "core": {"user_results": {"result": customer}},
        "legacy": {"full_text": CUSTOMER_ASKS, "id_str": PARENT_ID},
    }
    entry = {"content": {"itemContent": {"tweet_results": {"result": tweet}}}}
    instructions = [{"type": "TimelineAddEntries", "entries": [entry]}]
    return answer(
        {"data": {"threaded_conversation_with_injections_v2": {"instructions": instructions}}}
    )


def mastodon_context() -> tuple[int, dict[str, str], bytes]:
    account = {"id": "109000000000000009", "username": "sam", "acct": "sam@shop.example"}
    customer = {
        "id": "113456789012345555",
        "content": f"<p>{CUSTOMER_ASKS}</p>",
        "visibility": "public",
        "spoiler_text": "",
        "in_reply_to_id": None,
        "account": account,
    }
    return answer({"ancestors": [], "descendants": [customer]})


def write_config(folder: Path, body: str) -> Path:
    config = folder / "config.yaml"
    config.write_text(
        "mode: hold\n"
        "hold_at: warning\n"
        # No banner page: a flagged post is answered at once with the site's failure response.
        "holds: {without_page: reject}\n" + body
    )
    return config


def start(tmp_path: Path, config_body: str) -> RunningProxy:
    return RunningProxy(
        pullcheck_config=str(write_config(tmp_path, config_body)),
        pullcheck_data_dir=str(tmp_path / "data"),
        confdir=str(tmp_path / "mitmproxy"),
        # The first start in a process loads mitmproxy and the rule pack: slow on a busy machine.
    ).start(timeout=60)


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def x_site():
    upstream = Upstream(
        routes={
            ("GET", TWEET_DETAIL): tweet_detail(),
            ("GET", BRAND_VIEWER): viewer(BRAND_ID, "acme_webworks"),
            ("GET", RIVAL_VIEWER): viewer(RIVAL_ID, "rival_web"),
            ("POST", CREATE_TWEET): answer({"data": {"create_tweet": {"tweet_results": {}}}}),
        }
    )
    yield upstream
    upstream.close()


def signed_in_as(user_id: str) -> dict[str, str]:
    return {"cookie": f"twid=u%3D{user_id}; ct0=csrf", "x-csrf-token": "csrf"}


def x_reply(proxy: RunningProxy, site: Upstream, user_id: str) -> tuple[int, bytes]:
    body = json.dumps(
        {
            "variables": {
                "tweet_text": ANSWER,
                "reply": {"in_reply_to_tweet_id": PARENT_ID, "exclude_reply_user_ids": []},
            },
            "queryId": "SiM_cAu83R0wnrpmKQQSEw",
        }
    ).encode()
    headers = {**JSON, **signed_in_as(user_id)}
    status, _, content = fetch(proxy, "POST", f"http://{site.address}{CREATE_TWEET}", body, headers)
    return status, content


@pytest.mark.timeout(120)
def test_a_reply_by_the_account_the_customer_addressed_goes_out_and_another_accounts_is_held(
    tmp_path, x_site
):
    with start(tmp_path, f"sites:\n  x: {{hosts: ['{x_site.address}']}}\n") as proxy:
        base = f"http://{x_site.address}"
        assert fetch(proxy, "GET", base + TWEET_DETAIL, headers=signed_in_as(BRAND_ID))[0] == 200
        assert fetch(proxy, "GET", base + BRAND_VIEWER, headers=signed_in_as(BRAND_ID))[0] == 200
        by_brand = x_reply(proxy, x_site, BRAND_ID)
        delivered_after_brand = len(x_site.requests_to("POST", CREATE_TWEET))
        # The account switcher: a second account signs in and X asks Viewer again.
        assert fetch(proxy, "GET", base + RIVAL_VIEWER, headers=signed_in_as(RIVAL_ID))[0] == 200
        by_rival = x_reply(proxy, x_site, RIVAL_ID)
    assert by_brand[0] == 200
    assert b"errors" not in by_brand[1]
    assert delivered_after_brand == 1
    assert by_rival[0] == 200
    refusal = json.loads(by_rival[1])["errors"][0]["message"]
    assert refusal.startswith(HELD)
    assert NOT_YOURS in refusal
    assert len(x_site.requests_to("POST", CREATE_TWEET)) == 1


@pytest.mark.timeout(120)
def test_the_same_reply_before_any_account_answer_falls_back_to_the_config_me(tmp_path, x_site):
    config = f"me: {{x: rival_web}}\nsites:\n  x: {{hosts: ['{x_site.address}']}}\n"
    with start(tmp_path, config) as proxy:
        base = f"http://{x_site.address}"
        fetch(proxy, "GET", base + TWEET_DETAIL, headers=signed_in_as(BRAND_ID))
        before_learning = x_reply(proxy, x_site, BRAND_ID)
        fetch(proxy, "GET", base + BRAND_VIEWER, headers=signed_in_as(BRAND_ID))
        after_learning = x_reply(proxy, x_site, BRAND_ID)
    assert NOT_YOURS in json.loads(before_learning[1])["errors"][0]["message"]
    assert b"errors" not in after_learning[1]
    assert len(x_site.requests_to("POST", CREATE_TWEET)) == 1


@pytest.fixture
def instance():
    """The user's Mastodon instance (configured)."""
    upstream = Upstream(
        routes={
            ("GET", STATUS_CONTEXT): mastodon_context(),
            ("GET", VERIFY_CREDENTIALS): answer(
                {"id": "1", "username": "acme_webworks", "acct": "acme_webworks"}
            ),
            ("POST", "/api/v1/statuses"): answer({"id": "113456789012345600"}),
        }
    )
    yield upstream
    upstream.close()


@pytest.fixture
def hostile():
    """A host nobody configured that speaks Mastodon's API paths and claims the brand."""
    upstream = Upstream(
        routes={
            ("GET", VERIFY_CREDENTIALS): answer(
                {"id": "1", "username": "acme_webworks", "acct": "acme_webworks"}
            ),
        }
    )
    yield upstream
    upstream.close()


def mastodon_reply(proxy: RunningProxy, site: Upstream) -> tuple[int, bytes]:
    body = json.dumps(
        {"status": ANSWER, "in_reply_to_id": "113456789012345555", "visibility": "public"}
    ).encode()
    status, _, content = fetch(proxy, "POST", f"http://{site.address}/api/v1/statuses", body, JSON)
    return status, content


@pytest.mark.timeout(120)
def test_a_hostile_host_cannot_set_the_users_handle_for_their_instance(tmp_path, instance, hostile):
    config = f"me: {{mastodon: rival_web}}\nsites:\n  mastodon: {{hosts: ['{instance.address}']}}\n"
    with start(tmp_path, config) as proxy:
        state = proxy.addon.state
        fetch(proxy, "GET", f"http://{instance.address}{STATUS_CONTEXT}")
        claimed = fetch(proxy, "GET", f"http://{hostile.address}{VERIFY_CREDENTIALS}")
        after_hostile_claim = mastodon_reply(proxy, instance)
        home = scope_of(state.route, "mastodon", "127.0.0.1", instance.port)
        away = scope_of(state.route, "mastodon", "127.0.0.1", hostile.port)
        learned_after_claim = (
            state.memory.own_handle("mastodon", home),
            state.memory.own_handle("mastodon", away),
        )
        # The instance itself names the signed-in account: that is who writes from now on.
        fetch(proxy, "GET", f"http://{instance.address}{VERIFY_CREDENTIALS}")
        after_own_answer = mastodon_reply(proxy, instance)
        learned_at_home = state.memory.own_handle("mastodon", home)
    assert claimed[0] == 200  # the hostile host's answer still reaches its page untouched
    assert learned_after_claim == (None, None)
    assert after_hostile_claim[0] == 422
    assert NOT_YOURS in json.loads(after_hostile_claim[1])["error"]
    assert learned_at_home == "acme_webworks"
    assert after_own_answer[0] == 200
    assert len(instance.requests_to("POST", "/api/v1/statuses")) == 1
