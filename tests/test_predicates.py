"""Compiled conditions: each condition a rule file may name, checked on its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pullcheck.features import Ask, extract
from pullcheck.models import Draft
from pullcheck.predicates import always, compile_conditions, never, signal_names
from pullcheck.rulebook import Conditions, builtin_pack

PHRASEBOOK = builtin_pack().phrasebook
NO_ASK = Ask("no", None)


@dataclass
class Context:
    draft: Draft
    ask: Ask = NO_ASK
    audience: set[str] = field(default_factory=set)
    similar: int = 0

    def __post_init__(self) -> None:
        self.features = extract(self.draft.text, PHRASEBOOK)
        self.asked: list[tuple[float, int]] = []

    def near_duplicate_recipients(self, hours: float, bits: int) -> int:
        self.asked.append((hours, bits))
        return self.similar


def holds(when: dict[str, Any], context: Context, **params: Any) -> bool:
    return compile_conditions(Conditions.model_validate(when), params)(context)


def post(text: str, kind: str = "post", ask: Ask = NO_ASK) -> Context:
    return Context(Draft(kind=kind, text=text), ask=ask)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("when", "text", "expected"),
    [
        ({"kinds": ["dm"]}, "hello", False),
        ({"kinds": ["post", "dm"]}, "hello", True),
        ({"all": ["link", "offer"]}, "we offer design at acme.example", True),
        ({"all": ["link", "offer"]}, "we offer design", False),
        ({"any": ["link", "offer"]}, "see acme.example", True),
        ({"any": ["link", "offer"]}, "lovely photo", False),
        ({"none": ["pull"]}, "we offer design", True),
        ({"min_links": 2}, "acme.example and widgets.example", True),
        ({"min_links": 2}, "acme.example", False),
        ({"max_links": 0}, "acme.example", False),
        ({"min_mentions": 2}, "@ann @bob hello", True),
        ({"max_mentions": 1}, "@ann @bob hello", False),
        ({"max_words": 3}, "one two three", True),
        ({"max_words": 3}, "one two three four", False),
        ({"any_of": [{"kinds": ["dm"]}, {"any": ["offer"]}]}, "we offer design", True),
        ({"any_of": [{"kinds": ["dm"]}, {"any": ["offer"]}]}, "hello", False),
    ],
)
def test_each_condition(when: dict[str, Any], text: str, expected: bool) -> None:
    assert holds(when, post(text)) is expected


def test_param_references_take_the_rules_params() -> None:
    mentions = post("@ann @bob @cy hello")
    assert holds({"min_mentions": "$many"}, mentions, many=3)
    assert not holds({"min_mentions": "$many"}, mentions, many=4)
    with pytest.raises(KeyError):
        compile_conditions(Conditions.model_validate({"min_mentions": "$many"}), {})


def test_parent_asks_and_tristates() -> None:
    asked = post("hello", ask=Ask("yes", "looking for"))
    assert holds({"parent_asks": ["yes"]}, asked)
    assert not holds({"parent_asks": ["no", "unknown"]}, asked)
    unknown = post("hello", kind="dm")
    assert holds({"new_follower": ["unknown"]}, unknown)
    assert not holds({"prior_conversation": [True]}, unknown)
    follower = Context(Draft(kind="dm", text="hi", recipient_is_new_follower=True))
    assert holds({"new_follower": [True]}, follower)


def test_near_duplicates_ask_the_history_last_and_only_for_a_linked_message_to_someone() -> None:
    when = {"kinds": ["dm"], "min_links": 1, "near_duplicate_recipients": "$min"}
    params = {"min": 3, "window_hours": 24, "max_distance": 6}
    blast = Context(Draft(kind="dm", text="see acme.example"), audience={"ann"}, similar=3)
    assert holds(when, blast, **params)
    assert blast.asked == [(24.0, 6)]
    blast.similar = 2
    assert not holds(when, blast, **params)
    # A post to nobody in particular is a broadcast: the history is never asked.
    broadcast = Context(Draft(kind="dm", text="see acme.example"), similar=9)
    assert not holds(when, broadcast, **params)
    assert broadcast.asked == []
    # An earlier condition that fails stops before the history is asked.
    other_kind = Context(Draft(kind="post", text="see acme.example"), audience={"ann"})
    assert not holds(when, other_kind, **params)
    assert other_kind.asked == []


def test_trigger_signals_are_the_looked_for_ones_in_order_without_repeats() -> None:
    when = Conditions.model_validate(
        {
            "all": ["offer"],
            "any": ["link", "offer"],
            "none": ["pull"],
            "any_of": [{"any": ["pricing", "link"]}],
        }
    )
    assert signal_names(when) == ("offer", "link", "pricing")


def test_conditions_compiled_for_a_kind_they_exclude_never_hold() -> None:
    when = Conditions.model_validate({"kinds": ["dm"], "any": ["offer"]})
    assert compile_conditions(when, {}, kind="post") is never
    assert compile_conditions(when, {}, kind="dm")(post("we offer design", kind="dm"))


def test_an_any_of_branch_for_other_kinds_is_dropped_and_one_for_the_kind_kept() -> None:
    when = Conditions.model_validate(
        {"any_of": [{"kinds": ["dm"], "any": ["offer"]}, {"kinds": ["post"], "any": ["link"]}]}
    )
    for_posts = compile_conditions(when, {}, kind="post")
    assert for_posts(post("see acme.example"))
    assert not for_posts(post("we offer design"))
    only_dms = Conditions.model_validate({"any_of": [{"kinds": ["dm"]}]})
    assert compile_conditions(only_dms, {}, kind="reply") is never
    assert compile_conditions(only_dms, {}, kind="dm") is always


@pytest.mark.parametrize("kind", ["post", "reply", "quote", "dm", "comment", "connect-note"])
def test_every_rule_compiled_for_a_kind_agrees_with_its_predicate_for_any_kind(kind: str) -> None:
    texts = [
        "hi",
        "We offer web design for small businesses, starting at $499. Subscribe!!!",
        "@ann @bob @cy @dee @eve check out https://acme.example/spring for 20% off",
        "Thanks for following! Grab my free guide at acme.example",
        "Great question, have you tried the docs? Happy to help.",
    ]
    for rule in builtin_pack().rules:
        params = {**rule.params}
        generic = compile_conditions(rule.when, params)
        for_kind = compile_conditions(rule.when, params, kind=kind)
        for text in texts:
            for ask in (NO_ASK, Ask("unknown", None), Ask("yes", "looking for")):
                context = post(text, kind=kind, ask=ask)
                context.audience = {"ann"}
                context.similar = 5
                assert for_kind(context) == generic(context), (rule.code, text, ask)
