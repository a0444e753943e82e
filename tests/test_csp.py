"""CSP reasoning for the banner: which policies let a same-origin script, fetch and stylesheet
through, and the smallest change when they do not."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pullcheck.proxy.csp import (
    Directive,
    InjectionPlan,
    Origin,
    Policy,
    allows,
    allows_all_inline,
    meta_blocks,
    parse_header,
    parse_policy,
    plan_injection,
    source_matches,
)

PAGE = Origin("https", "x.com", 443)
LOCAL = Origin("http", "127.0.0.1", 8123)
JS = "/__pullcheck__/banner.js"


def effective(policy: Policy, need: str) -> Directive:
    """The directive that governs `need`, which the test expects the policy to have."""
    directive = policy.effective(need)
    assert directive is not None, f"no directive governs {need}"
    return directive


def new_policy(plan: InjectionPlan) -> Policy:
    """The one policy header the plan rewrites the page's to."""
    assert plan.headers is not None
    assert len(plan.headers) == 1, plan.headers
    return parse_policy(plan.headers[0])


def fresh() -> str:
    return "FRESHnonce123"


def counter():
    numbers = itertools.count(1)
    return lambda: f"n{next(numbers)}"


# --- parsing ---------------------------------------------------------------------------------


def test_directive_names_are_case_insensitive_and_first_duplicate_wins():
    policy = parse_policy("Script-Src 'self'; script-src 'none'; default-src *")
    assert policy.directives["script-src"].sources == ("'self'",)
    assert effective(policy, "script").name == "script-src"


def test_a_header_value_may_hold_several_policies():
    policies = parse_header("default-src 'self', script-src 'nonce-abc'")
    assert [sorted(p.directives) for p in policies] == [["default-src"], ["script-src"]]


def test_empty_segments_and_garbage_are_ignored():
    policy = parse_policy(";; ;script-src 'self';;  ; \u00e9t\u00e9 foo")
    assert list(policy.directives) == ["script-src"]


# --- effective directive ---------------------------------------------------------------------


def test_script_src_elem_beats_script_src_beats_default_src():
    policy = parse_policy(
        "default-src 'none'; script-src 'self'; script-src-elem https://cdn.example"
    )
    assert effective(policy, "script").name == "script-src-elem"
    assert not allows(policy, "script", PAGE, JS)
    assert allows(parse_policy("default-src 'none'; script-src 'self'"), "script", PAGE, JS)
    assert not allows(parse_policy("default-src 'none'"), "script", PAGE, JS)


def test_no_governing_directive_allows_everything():
    policy = parse_policy("img-src 'none'; frame-ancestors 'none'")
    assert all(allows(policy, need, PAGE, JS) for need in ("script", "connect", "style"))


def test_connect_and_style_fall_back_to_default_src():
    policy = parse_policy("default-src 'self'")
    assert allows(policy, "connect", PAGE, "/__pullcheck__/")
    assert not allows(parse_policy("default-src https://other.example"), "style", PAGE, "/a.css")


# --- source expressions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'self'", True),
        ("'SELF'", True),
        ("*", True),
        ("https:", True),
        ("http:", True),  # http: also matches https (CSP3)
        ("wss:", False),
        ("x.com", True),
        ("https://x.com", True),
        ("http://x.com", True),
        ("https://x.com:443", True),
        ("https://x.com:8443", False),
        ("https://x.com:*", True),
        ("*.x.com", False),  # the wildcard needs a subdomain
        ("https://x.com/__pullcheck__/", True),
        ("https://x.com/__pullcheck__/banner.js", True),
        ("https://x.com/static/", False),
        ("https://x.com/__pullcheck__/other.js", False),
        ("abs.twimg.com", False),
        ("'unsafe-inline'", False),
        ("'nonce-abc'", False),
        ("'sha256-abc='", False),
    ],
)
def test_source_matching_for_a_same_origin_https_url(source, expected):
    assert source_matches(source, PAGE, JS, PAGE) is expected


def test_subdomain_wildcard_and_ports_on_loopback():
    sub = Origin("https", "api.x.com", 443)
    assert source_matches("*.x.com", sub, "/", PAGE)
    assert source_matches("127.0.0.1:8123", LOCAL, JS, LOCAL)
    assert not source_matches("127.0.0.1", LOCAL, JS, LOCAL)  # default port 80
    assert source_matches("http://127.0.0.1:*", LOCAL, JS, LOCAL)
    assert not source_matches("https:", LOCAL, JS, LOCAL)


def test_self_does_not_match_another_origin():
    assert not source_matches("'self'", Origin("https", "evil.example", 443), JS, PAGE)


def test_none_alone_blocks_but_is_ignored_beside_other_sources():
    assert not allows(parse_policy("script-src 'none'"), "script", PAGE, JS)
    assert allows(parse_policy("script-src 'none' 'self'"), "script", PAGE, JS)


def test_strict_dynamic_ignores_self_and_hosts_but_honours_nonces():
    policy = parse_policy(
        "script-src 'nonce-r4nd0m' 'strict-dynamic' 'self' https: 'unsafe-inline'"
    )
    assert not allows(policy, "script", PAGE, JS)
    assert allows(policy, "script", PAGE, JS, nonce="r4nd0m")
    assert not allows(policy, "script", PAGE, JS, nonce="other")


def test_strict_dynamic_does_not_change_connect_or_style():
    policy = parse_policy("default-src 'self'; script-src 'nonce-a' 'strict-dynamic'")
    assert allows(policy, "connect", PAGE, "/__pullcheck__/check")


def test_unsafe_inline_counts_only_without_nonce_hash_or_strict_dynamic():
    assert allows_all_inline(("'self'", "'unsafe-inline'"), "script")
    assert not allows_all_inline(("'unsafe-inline'", "'nonce-a'"), "script")
    assert not allows_all_inline(("'unsafe-inline'", "'sha256-AAAA'"), "style")
    assert not allows_all_inline(("'unsafe-inline'", "'strict-dynamic'"), "script")
    assert allows_all_inline(("'unsafe-inline'", "'strict-dynamic'"), "style")


# --- plans -----------------------------------------------------------------------------------


def test_no_policy_needs_no_change():
    plan = plan_injection([], PAGE, fresh)
    assert plan.inject
    assert plan.nonce is None
    assert plan.headers is None


def test_self_policy_needs_no_change_and_no_nonce():
    plan = plan_injection(["default-src 'self'"], PAGE, fresh)
    assert plan.inject
    assert plan.nonce is None
    assert plan.headers is None


def test_page_nonce_is_reused_when_every_policy_accepts_it():
    headers = [
        "script-src 'nonce-PAGE1' 'strict-dynamic'; object-src 'none'; base-uri 'none'",
        "require-trusted-types-for 'script'",
    ]
    plan = plan_injection(headers, PAGE, fresh)
    assert plan.inject
    assert plan.nonce == "PAGE1"
    assert plan.headers is None


def test_page_nonce_reused_across_two_policies_that_both_list_it_or_allow_self():
    headers = ["script-src 'nonce-N1' 'strict-dynamic'", "script-src 'self' 'nonce-N1'"]
    plan = plan_injection(headers, PAGE, fresh)
    assert (plan.nonce, plan.headers) == ("N1", None)


def test_fresh_nonce_added_only_to_the_policy_that_needs_it():
    headers = ["script-src 'self'", "script-src https://cdn.example"]
    plan = plan_injection(headers, PAGE, fresh)
    assert plan.inject
    assert plan.nonce == "FRESHnonce123"
    assert plan.headers == [
        "script-src 'self'",
        "script-src https://cdn.example 'nonce-FRESHnonce123'",
    ]


def test_two_strict_policies_with_different_nonces_get_one_fresh_nonce():
    headers = ["script-src 'nonce-A' 'strict-dynamic'", "script-src 'nonce-B' 'strict-dynamic'"]
    plan = plan_injection(headers, PAGE, counter())
    assert plan.nonce == "n1"
    assert plan.headers == [
        "script-src 'nonce-A' 'strict-dynamic' 'nonce-n1'",
        "script-src 'nonce-B' 'strict-dynamic' 'nonce-n1'",
    ]


def test_unsafe_inline_policy_gets_the_script_url_not_a_nonce():
    headers = ["script-src https://cdn.example 'unsafe-inline'"]
    plan = plan_injection(headers, PAGE, fresh)
    assert plan.inject
    assert plan.nonce is None
    assert plan.headers == [
        "script-src https://cdn.example 'unsafe-inline' https://x.com/__pullcheck__/banner.js"
    ]
    # The page's own inline scripts still run under the new policy.
    new = new_policy(plan)
    assert allows_all_inline(effective(new, "script").sources, "script")


def test_mixed_policies_nonce_for_one_url_for_the_other():
    headers = ["script-src 'nonce-P' 'strict-dynamic'", "script-src cdn.example 'unsafe-inline'"]
    plan = plan_injection(headers, PAGE, fresh)
    assert plan.nonce == "P"
    assert plan.headers == [
        "script-src 'nonce-P' 'strict-dynamic'",
        "script-src cdn.example 'unsafe-inline' https://x.com/__pullcheck__/banner.js",
    ]


def test_default_src_only_gets_its_own_script_src_copy_so_styles_keep_unsafe_inline():
    headers = ["default-src https://cdn.example 'unsafe-inline'"]
    plan = plan_injection(headers, PAGE, fresh)
    new = new_policy(plan)
    # default-src is untouched; styles keep 'unsafe-inline'.
    assert new.directives["default-src"].sources == ("https://cdn.example", "'unsafe-inline'")
    assert new.directives["script-src"].sources[:2] == ("https://cdn.example", "'unsafe-inline'")
    assert allows_all_inline(effective(new, "style").sources, "style")
    assert allows(new, "script", PAGE, JS)
    assert allows(new, "connect", PAGE, "/__pullcheck__/x")


def test_connect_src_without_self_gets_the_pullcheck_path_only():
    headers = ["script-src 'self'; connect-src https://api.x.com"]
    plan = plan_injection(headers, PAGE, fresh)
    new = new_policy(plan)
    assert new.directives["connect-src"].sources == (
        "https://api.x.com",
        "https://x.com/__pullcheck__/",
    )
    assert not allows(new, "connect", PAGE, "/api/other")


def test_style_src_with_nonce_gets_the_stylesheet_url():
    headers = ["style-src 'nonce-S'"]
    plan = plan_injection(headers, PAGE, fresh)
    assert plan.headers == ["style-src 'nonce-S' https://x.com/__pullcheck__/banner.css"]


def test_connect_src_none_is_replaced_by_the_path_alone():
    plan = plan_injection(["connect-src 'none'"], LOCAL, fresh)
    assert plan.headers == ["connect-src http://127.0.0.1:8123/__pullcheck__/"]


def test_script_src_none_skips_the_page():
    plan = plan_injection(["default-src 'none'"], PAGE, fresh)
    assert not plan.inject
    assert "no script" in plan.reason
    assert not plan_injection(["script-src 'none'; style-src *"], PAGE, fresh).inject


def test_trusted_types_needs_no_change():
    headers = ["require-trusted-types-for 'script'; trusted-types default"]
    plan = plan_injection(headers, PAGE, fresh)
    assert plan.inject
    assert plan.headers is None


def test_other_directives_and_their_text_are_kept_verbatim():
    header = (
        "default-src 'self';  img-src * data:; script-src 'nonce-Q' 'strict-dynamic';report-uri /r"
    )
    plan = plan_injection([header], PAGE, fresh)
    assert (plan.nonce, plan.headers) == ("Q", None)
    header2 = "img-src * data:;script-src https://a.example; report-uri /r"
    plan2 = plan_injection([header2], PAGE, fresh)
    assert plan2.headers == [
        "img-src * data:;script-src https://a.example 'nonce-FRESHnonce123'; report-uri /r"
    ]


def test_after_a_plan_every_policy_allows_every_need():
    shapes = [
        "script-src 'nonce-A' 'strict-dynamic' https: 'unsafe-inline'; object-src 'none'",
        "default-src 'none'; script-src 'self'; connect-src 'self'",
        "default-src 'none'; script-src 'self'",
        "script-src-elem 'sha256-abc='; script-src 'self'",
        "default-src https:; style-src 'unsafe-inline'",
    ]
    for shape in shapes:
        plan = plan_injection([shape], PAGE, fresh)
        assert plan.inject, shape
        final = parse_header(plan.headers[0] if plan.headers else shape)
        for policy in final:
            assert allows(policy, "script", PAGE, JS, plan.nonce), shape
            assert allows(policy, "connect", PAGE, "/__pullcheck__/check"), shape
            assert allows(policy, "style", PAGE, "/__pullcheck__/banner.css"), shape


def test_a_nonce_with_unsafe_characters_in_the_page_policy_is_never_reused():
    plan = plan_injection(["script-src 'nonce-a\"b' 'strict-dynamic'"], PAGE, fresh)
    assert plan.nonce == "FRESHnonce123"


def test_meta_policy_that_blocks_fetches_is_reported():
    assert meta_blocks(["default-src 'self'"], PAGE) == ""
    assert "connect" in meta_blocks(["connect-src https://api.x.com"], PAGE)
    # The tag goes after the meta policies, which govern it too.
    assert "script" in meta_blocks(["script-src 'none'"], PAGE)
    assert "script" in meta_blocks(["script-src 'nonce-abc'"], PAGE)
    assert meta_blocks(["script-src 'nonce-abc'"], PAGE, nonce="abc") == ""


# --- properties over many generated policies -------------------------------------------------

SOURCES = [
    "'self'",
    "'none'",
    "*",
    "https:",
    "http:",
    "data:",
    "'unsafe-inline'",
    "'unsafe-eval'",
    "'strict-dynamic'",
    "'nonce-abc'",
    "'nonce-XYZ'",
    "'sha256-AAAA'",
    "https://x.com",
    "https://cdn.example",
    "*.x.com",
    "x.com:8443",
    "https://x.com/static/",
    "'report-sample'",
]
DIRECTIVES = [
    "default-src",
    "script-src",
    "script-src-elem",
    "script-src-attr",
    "connect-src",
    "style-src",
    "style-src-elem",
    "img-src",
    "object-src",
    "base-uri",
]
directive = st.tuples(st.sampled_from(DIRECTIVES), st.lists(st.sampled_from(SOURCES), max_size=4))
policy_text = st.lists(directive, min_size=1, max_size=5).map(
    lambda ds: "; ".join(" ".join([name, *sources]) for name, sources in ds)
)


@settings(max_examples=400, deadline=None)
@given(st.lists(policy_text, min_size=1, max_size=3))
def test_a_plan_either_skips_or_satisfies_every_policy_and_only_adds(headers):
    plan = plan_injection(headers, PAGE, fresh)
    if not plan.inject:
        assert "no script" in plan.reason
        return
    final = [p for value in (plan.headers or headers) for p in parse_header(value)]
    originals = [p for value in headers for p in parse_header(value)]
    assert len(final) == len(originals)
    for before, after in zip(originals, final, strict=True):
        assert allows(after, "script", PAGE, JS, plan.nonce)
        assert allows(after, "connect", PAGE, "/__pullcheck__/events")
        assert allows(after, "style", PAGE, "/__pullcheck__/banner.css")
        for name, old in before.directives.items():
            new = after.directives[name].sources
            kept = [s for s in old.sources if s.lower() != "'none'"]
            assert all(s in new for s in kept), (name, old.sources, new)
        # The page's own inline scripts keep running wherever they ran before.
        old_script = before.effective("script")
        if old_script is not None and allows_all_inline(old_script.sources, "script"):
            assert allows_all_inline(effective(after, "script").sources, "script")
        # A page nonce is never added to a policy that did not list it.
        if plan.nonce in ("abc", "XYZ"):
            token = f"'nonce-{plan.nonce}'"
            new_script = after.effective("script")
            if new_script is not None and token in new_script.sources:
                old_script = before.effective("script")
                assert old_script is not None
                assert token in old_script.sources


def test_an_ipv6_origin_serializes_with_brackets_like_the_request_origin():
    from pullcheck.proxy.csp import Origin

    assert Origin("http", "::1", 8123).serialize() == "http://[::1]:8123"
    assert Origin("https", "::1", 443).url("/x") == "https://[::1]/x"
