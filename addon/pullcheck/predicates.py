"""A rule's `when` conditions compiled into one predicate, once per active rule.

`Conditions` is the rule file's shape: every condition a rule may name, most of them unset.
Walking that shape for every draft (is `kinds` set? is `min_links` set? look up `$param`...)
was most of the cost of a rule. Compiling keeps only the conditions the rule names, with
`$param` values resolved against the rule's params and lists turned into sets, as a short
tuple of checks run in a fixed order: the draft's kind first (most rules are for a few kinds),
then signals, the near-duplicate count (the only check that asks the sent history), and the
learned second opinion, the costliest, last.

The engine compiles each rule once more per kind of draft (`kind=`): the kind is then known
when compiling, so a rule (or an `any_of` branch) for other kinds costs nothing at all, and the
kind check goes away from the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from pullcheck.features import Ask, Features
from pullcheck.models import Draft
from pullcheck.rulebook import Conditions, resolve
from pullcheck.second_opinion import builtin_model


class DraftContext(Protocol):
    """What a predicate reads: the engine's per-draft facts."""

    draft: Draft
    features: Features
    ask: Ask
    audience: set[str]

    def near_duplicate_recipients(self, hours: float, bits: int) -> int: ...


Predicate = Callable[[DraftContext], bool]

# Question marks in the scripts the phrase groups cover (Latin, full-width, Spanish opening).
QUESTION_MARKS = ("?", "？", "¿")


def compile_conditions(
    when: Conditions, params: dict[str, Any], kind: str | None = None
) -> Predicate:
    """One predicate for `when`, with `$param` values taken from `params`.

    With `kind`, the predicate is for drafts of that kind only: its `kinds` conditions (the
    rule's and its `any_of` branches') are settled here instead of for every draft, a branch
    for other kinds is dropped, and conditions that cannot hold for the kind give `never`
    (the engine leaves such a rule out of that kind's plan).

    A `$param` the params lack raises `KeyError` here, when the rule is activated."""
    checks = _checks(when, params, kind)
    return never if checks is None else _every(checks)


def never(context: DraftContext) -> bool:
    """The predicate of conditions that cannot hold (for the kind they were compiled for)."""
    return False


def always(context: DraftContext) -> bool:
    """The predicate of conditions that always hold (for the kind they were compiled for)."""
    return True


def _every(checks: tuple[Predicate, ...]) -> Predicate:
    """A predicate that holds when every check does, checked in order."""
    if not checks:
        return always
    if len(checks) == 1:
        # The check itself: a wrapper around one check costs a call for nothing.
        return checks[0]

    def holds(context: DraftContext) -> bool:
        # A plain loop, not all() over a generator: creating and resuming the generator cost
        # more than most checks (~0.7 us a rule, every rule of every draft).
        for check in checks:  # noqa: SIM110 (see above)
            if not check(context):
                return False
        return True

    return holds


def _any(branches: tuple[Predicate, ...]) -> Predicate:
    """A predicate that holds when one of the branches does, tried in order."""
    if len(branches) == 1:
        return branches[0]

    def holds(context: DraftContext) -> bool:
        # A plain loop, not any() over a generator (as in `_every`).
        for branch in branches:  # noqa: SIM110 (see _every)
            if branch(context):
                return True
        return False

    return holds


def signal_names(when: Conditions) -> tuple[str, ...]:
    """The signals a finding may point at: those the conditions look for (not `none`)."""
    names = list(when.all_signals) + list(when.any_signals)
    for nested in when.any_of or ():
        names += signal_names(nested)
    return tuple(dict.fromkeys(names))


def _checks(
    when: Conditions, params: dict[str, Any], kind: str | None
) -> tuple[Predicate, ...] | None:
    """The checks of `when`, in the order they run; None when they cannot hold for `kind`."""
    checks: list[Predicate] = []
    if when.kinds is not None:
        kinds = frozenset(when.kinds)
        if kind is None:
            checks.append(lambda context: context.draft.kind in kinds)
        elif kind not in kinds:
            return None
    if when.all_signals:
        every = frozenset(when.all_signals)
        # A key view compared with a set checks each of `every` in C, no generator.
        checks.append(lambda context: context.features.signals.keys() >= every)
    if when.any_signals:
        some = frozenset(when.any_signals)
        checks.append(lambda context: not some.isdisjoint(context.features.signals))
    if when.none_signals:
        banned = frozenset(when.none_signals)
        checks.append(lambda context: banned.isdisjoint(context.features.signals))
    if when.parent_asks is not None:
        answers = frozenset(when.parent_asks)
        checks.append(lambda context: context.ask.answer in answers)
    if when.min_links is not None or when.max_links is not None:
        links = _range(when.min_links, when.max_links, params)
        checks.append(lambda context: _within(len(context.features.links), links))
    if when.min_mentions is not None or when.max_mentions is not None:
        mentions = _range(when.min_mentions, when.max_mentions, params)
        checks.append(lambda context: _within(len(context.features.mentions), mentions))
    if when.max_words is not None:
        words = _range(None, when.max_words, params)
        checks.append(lambda context: _within(context.features.words, words))
    if when.new_follower is not None:
        new_follower = frozenset(when.new_follower)
        checks.append(
            lambda context: _tristate(context.draft.recipient_is_new_follower) in new_follower
        )
    if when.prior_conversation is not None:
        prior = frozenset(when.prior_conversation)
        checks.append(lambda context: _tristate(context.draft.prior_conversation) in prior)
    if when.any_of is not None:
        compiled = [compile_conditions(nested, params, kind) for nested in when.any_of]
        branches = tuple(branch for branch in compiled if branch is not never)
        if not branches:
            return None
        if always not in branches:
            checks.append(_any(branches))
    if when.near_duplicate_recipients is not None:
        checks.append(_near_duplicates(when.near_duplicate_recipients, params))
    if when.parent_question is not None:
        question = when.parent_question
        checks.append(lambda context: _parent_has_question(context.draft) is question)
    if when.second_opinion is not None:
        checks.append(_second_opinion(when.second_opinion))
    return tuple(checks)


def _parent_has_question(draft: Draft) -> bool:
    parent = draft.reply_to.text if draft.reply_to is not None else None
    if parent is None:
        return False
    for mark in QUESTION_MARKS:  # noqa: SIM110 (a loop: no generator to create, see _every)
        if mark in parent:
            return True
    return False


def _second_opinion(expected: bool) -> Predicate:
    """Does the learned model's guess (spam-like or not) agree with `expected`? The model is
    read on first use; a model that cannot be read raises, so the rule is skipped and logged."""

    def agrees(context: DraftContext) -> bool:
        return builtin_model().flags(context.features.text) is expected

    return agrees


def _near_duplicates(needed: Any, params: dict[str, Any]) -> Predicate:
    minimum = resolve(needed, params) or 0
    hours = float(params["window_hours"])
    bits = int(params["max_distance"])

    def enough(context: DraftContext) -> bool:
        # A message that reaches nobody directly (a public post without mentions) is a
        # broadcast, which is the honest alternative this condition points to, not a blast.
        if not context.features.links or not context.draft.text_available:
            return False
        if not context.audience:
            return False
        return context.near_duplicate_recipients(hours, bits) >= minimum

    return enough


def _range(low: Any, high: Any, params: dict[str, Any]) -> tuple[float | None, float | None]:
    return resolve(low, params), resolve(high, params)


def _within(value: int, bounds: tuple[float | None, float | None]) -> bool:
    minimum, maximum = bounds
    if minimum is not None and value < minimum:
        return False
    return not (maximum is not None and value > maximum)


def _tristate(value: bool | None) -> Any:
    return "unknown" if value is None else value
