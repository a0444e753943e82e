"""The data that crosses every boundary: a draft going in, a verdict coming out.

These models know nothing of where a draft came from (the wire, the banner, a CSV row, an
archive) nor of how it is judged.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["post", "reply", "quote", "dm", "comment", "connect-note"]
Severity = Literal["info", "warning", "error"]
Level = Literal["none", "info", "warning", "error"]

SEVERITY_ORDER: dict[str, int] = {"none": 0, "info": 1, "warning": 2, "error": 3}

Model = TypeVar("Model", bound=BaseModel)


def severity_rank(level: str) -> int:
    """Order severities and levels so they can be compared: none < info < warning < error."""
    return SEVERITY_ORDER[level]


class ReplyTarget(BaseModel):
    """The post a draft answers, as far as it is known."""

    model_config = ConfigDict(frozen=True)

    id: str | None = None
    author: str | None = None
    text: str | None = None
    # Whom the parent addressed beyond the @mentions in its text (the account it replied to),
    # handles without "@". A reply written by one of them answers its own customer.
    addressed: tuple[str, ...] = ()


class Draft(BaseModel):
    """What the user is about to send, with the context that decides whether it is push."""

    platform: str = "other"
    kind: Kind = "post"
    text: str = ""
    # Who writes it: the user's own handle on this site, when known (else the config's `me:`).
    author: str | None = None
    # False when the text exists but cannot be read (X's end-to-end encrypted XChat DMs).
    text_available: bool = True
    reply_to: ReplyTarget | None = None
    recipients: list[str] = Field(default_factory=list)
    mentions: list[str] = Field(default_factory=list)
    # Links carried in structured fields (facets, link cards, attachment urls); links in the
    # text itself are found by the feature extractor.
    links: list[str] = Field(default_factory=list)
    # None means unknown.
    recipient_is_new_follower: bool | None = None
    prior_conversation: bool | None = None
    # A short free description of where this is written ("comment in r/smallbusiness").
    context: str = ""
    # Which of the platform's hosts it goes to, when that host keeps its own memory (a Mastodon
    # instance, a host not in the config; see `pullcheck.proxy.trust`): "" for the configured
    # hosts. Earlier sends are looked up within the same scope, so one host's traffic never
    # counts toward another's link blast.
    scope: str = ""


class Finding(BaseModel):
    """One rule's judgement on one draft."""

    code: str
    name: str
    severity: Severity
    message: str
    span: tuple[int, int] | None = None
    trigger: str = ""
    why: str = ""
    instead: str = ""
    weight: float = 0.0


class Verdict(BaseModel):
    """Every finding for a draft, the push score (0 pull .. 100 push) and the overall level."""

    findings: list[Finding] = Field(default_factory=list)
    score: int = 0
    level: Level = "none"

    def reaches(self, level: str) -> bool:
        return severity_rank(self.level) >= severity_rank(level)


def built_from_checked(model: type[Model], values: dict[str, Any]) -> Model:
    """A `model` holding `values` (every field, in field order, each already checked: a
    validated rule's, or the engine's own): the same object `model.model_construct(**values)`
    makes, built the way pydantic builds it, without its walk over fields, aliases and defaults.

    Why: the engine makes a Finding for every rule that fires and a Verdict for every draft.
    `model_copy(update=...)` of a template costs ~6 µs and `model_construct` ~7.7 µs a Finding
    (pydantic 2.13); this costs ~1.3 µs. `values` becomes the model's `__dict__` (not copied).
    For models without private attributes, extra fields or validators run after init (Finding,
    Verdict); tests/test_models.py pins the result to `model_construct`'s."""
    built = model.__new__(model)
    object.__setattr__(built, "__dict__", values)
    object.__setattr__(built, "__pydantic_fields_set__", set(values))
    object.__setattr__(built, "__pydantic_extra__", None)
    object.__setattr__(built, "__pydantic_private__", None)
    return built
