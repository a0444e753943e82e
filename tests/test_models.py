"""`built_from_checked`: the engine's cheap way to make a Finding or a Verdict is the same
object pydantic's `model_construct` makes (so a pydantic upgrade that changes how models are
built fails here, not in a banner)."""

from __future__ import annotations

import copy
from typing import Any

from pullcheck.models import Finding, Verdict, built_from_checked

FINDING: dict[str, Any] = {
    "code": "PP201",
    "name": "unsolicited-pitch-reply",
    "severity": "warning",
    "message": "A pitch in a reply to a post that did not ask",
    "span": (3, 12),
    "trigger": "we offer",
    "why": "why",
    "instead": "instead",
    "weight": 55.0,
}


def _state(model: Any) -> tuple[Any, ...]:
    return (
        type(model),
        vars(model),
        list(vars(model)),
        model.__pydantic_fields_set__,
        model.__pydantic_extra__,
        model.__pydantic_private__,
    )


def test_a_finding_built_from_checked_values_is_the_one_model_construct_makes() -> None:
    built = built_from_checked(Finding, dict(FINDING))
    constructed = Finding.model_construct(**FINDING)
    assert _state(built) == _state(constructed)
    assert built == constructed
    assert built.model_dump_json() == constructed.model_dump_json()


def test_a_verdict_built_from_checked_values_is_the_one_model_construct_makes() -> None:
    findings = [built_from_checked(Finding, dict(FINDING))]
    built = built_from_checked(Verdict, {"findings": findings, "score": 55, "level": "warning"})
    constructed = Verdict.model_construct(findings=findings, score=55, level="warning")
    assert _state(built) == _state(constructed)
    assert built.model_dump() == constructed.model_dump()
    assert built.reaches("warning")


def test_a_built_finding_copies_and_updates_like_any_model() -> None:
    built = built_from_checked(Finding, dict(FINDING))
    changed = built.model_copy(update={"trigger": "other"})
    assert changed.trigger == "other"
    assert built.trigger == "we offer"
    assert copy.deepcopy(built) == built


def test_every_field_of_the_models_is_what_the_engine_fills() -> None:
    # built_from_checked takes every field: a new field with a default must be filled by the
    # engine too (or this helper taught defaults), else it would be missing from __dict__.
    assert list(Finding.model_fields) == list(FINDING)
    assert list(Verdict.model_fields) == ["findings", "score", "level"]
