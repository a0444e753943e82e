"""The engine: rule pack x draft features x sent history -> Verdict.

Scoring, SpamAssassin-style: every push rule that fires adds its weight, pull rules subtract
theirs, the sum is clamped to 0..100. The level then comes from severities *gated by the score*:
a warning-severity finding only makes the verdict a warning when the score reaches
`warning_score`, an error only at `error_score` (below, it falls back one step); and weak
info-level signals that add up to `add_up_score` make a warning on their own. So a link alone is
never push, and a pull reply ("thanks for asking, have you tried @ann's guide?") can talk a
borderline pitch down.

The engine is a pure library: no I/O except the `SentHistory` it is given. `judge` never raises:
a rule that throws is skipped and logged once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, get_args

from pullcheck.features import Ask, Features, ask_of, extract
from pullcheck.history import InMemorySentHistory, SentHistory, SentRecord
from pullcheck.models import (
    SEVERITY_ORDER,
    Draft,
    Finding,
    Kind,
    Severity,
    Verdict,
    built_from_checked,
)
from pullcheck.predicates import Predicate, compile_conditions, never, signal_names
from pullcheck.relevance import Parent, answer_for
from pullcheck.rulebook import Example, Rule, RulePack
from pullcheck.signature import similarity_signature
from pullcheck.topics import subject_of

log = logging.getLogger(__name__)

LEVEL_NAMES = ("none", "info", "warning", "error")
KINDS: tuple[str, ...] = get_args(Kind)


@dataclass
class EngineSettings:
    """The user's layer over the pack (built from the config by `pullcheck.config`)."""

    disabled: set[str] = field(default_factory=set)
    # Rules the config turns on by name: a `preview` rule runs only when here (or in `shadow`).
    enabled: set[str] = field(default_factory=set)
    severities: dict[str, Severity] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    allow_handles: set[str] = field(default_factory=set)
    allow_domains: set[str] = field(default_factory=set)
    shadow: set[str] = field(default_factory=set)
    warning_score: int = 35
    error_score: int = 60
    add_up_score: int = 60
    # This many independent info-level push findings make a warning, whatever their weights.
    add_up_count: int = 2
    # The user's own handle per site (`*`: every site), when the draft does not say who writes.
    me: dict[str, str] = field(default_factory=dict)
    # What the user sells, in their words (config `offer:`): part of what their pitches offer.
    offer: tuple[str, ...] = ()
    # Other languages whose phrases are searched (config `languages:`); None: all the pack has.
    languages: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ActiveRule:
    """A rule with the user's severity and params applied, ready for the hot path."""

    rule: Rule
    shadow: bool
    # The values of the rule's finding, in field order, with the user's severity; span and
    # trigger (and the message, when it names "{reason}") are filled in for each draft.
    finding: dict[str, Any]
    # The rule's conditions compiled with the user's params (see `pullcheck.predicates`).
    holds: Predicate
    # The same, compiled for each kind of draft (`never` for kinds the rule cannot fire on).
    holds_for: dict[str, Predicate]
    # The signals the finding may point at, in the order the rule names them.
    trigger_signals: tuple[str, ...]


@dataclass
class Judgement:
    """Everything the engine worked out for a draft (for eval, explain and debugging, and for
    `record_sent(draft, judged=...)`, which reuses the features and signature)."""

    verdict: Verdict
    shadow: list[Finding]
    features: Features
    parent_ask: Ask
    # The similarity signature, when a rule needed it (None: not computed while judging).
    signature: int | None = None
    # False when judging failed open: the features are then not the draft's.
    complete: bool = True


class _Context:
    """Per-draft facts shared by the rules; the near-duplicate count is computed lazily."""

    __slots__ = (
        "_signature",
        "_similar",
        "ask",
        "audience",
        "draft",
        "features",
        "history",
        "now",
    )

    def __init__(
        self, draft: Draft, features: Features, ask: Ask, now: float, history: SentHistory
    ) -> None:
        self.draft = draft
        self.features = features
        self.ask = ask
        self.audience = audience_of(draft, features)
        self.now = now
        self.history = history
        self._signature: int | None = None
        self._similar: dict[tuple[float, int], int] = {}

    @property
    def computed_signature(self) -> int | None:
        """The signature if a rule needed it, else None (never computed just for this)."""
        return self._signature

    def signature(self) -> int:
        if self._signature is None:
            self._signature = similarity_signature(
                self.features.text, self.features.links, self.features.mentions
            )
        return self._signature

    def near_duplicate_recipients(self, hours: float, bits: int) -> int:
        key = (hours, bits)
        if key not in self._similar:
            earlier = self.history.recipients_of_similar(
                self.draft.platform,
                self.signature(),
                self.now - hours * 3600,
                bits,
                scope=self.draft.scope,
            )
            self._similar[key] = len(set(earlier) | self.audience)
        return self._similar[key]


def _handle(name: str) -> str:
    return name.strip().lstrip("@").lower()


def audience_of(draft: Draft, features: Features | None = None) -> set[str]:
    """Who a draft reaches directly: recipients, the author replied to, and @mentions."""
    people = {_handle(name) for name in draft.recipients if name.strip()}
    if draft.reply_to is not None and draft.reply_to.author:
        people.add(_handle(draft.reply_to.author))
    if features is not None:
        people.update(mention.handle for mention in features.mentions)
    else:
        people.update(_handle(name) for name in draft.mentions if name.strip())
    people.discard("")
    return people


def rule_runs(rule: Rule, settings: EngineSettings) -> bool:
    """Whether the rule runs: not switched off, and a preview rule only when turned on."""
    if rule.code in settings.disabled:
        return False
    if rule.status == "preview":
        return rule.code in settings.enabled or rule.code in settings.shadow
    return True


def rule_shadowed(rule: Rule, settings: EngineSettings) -> bool:
    """Whether a running rule's findings are counted but not shown."""
    return rule.shadow or rule.code in settings.shadow


class Engine:
    def __init__(
        self,
        pack: RulePack,
        settings: EngineSettings | None = None,
        history: SentHistory | None = None,
    ) -> None:
        self.pack = pack
        self.settings = settings or EngineSettings()
        self.history: SentHistory = history if history is not None else InMemorySentHistory()
        self._allow_handles = {_handle(name) for name in self.settings.allow_handles}
        self._allow_domains = frozenset(
            domain.lower().removeprefix("www.") for domain in self.settings.allow_domains
        )
        self.active = [
            self._activate(rule) for rule in pack.rules if rule_runs(rule, self.settings)
        ]
        self._failed_rules: set[str] = set()
        self._me = {site: handle for site, handle in self.settings.me.items() if handle}
        # A reply is judged again at every pause in typing, against the same parent post: its
        # ask and features are worked out once (a long parent costs as much as the draft).
        self._parent = lru_cache(maxsize=64)(self._read_parent)

    @property
    def active(self) -> list[ActiveRule]:
        """The rules that run, in pack order."""
        return self._active

    @active.setter
    def active(self, rules: list[ActiveRule]) -> None:
        self._active = rules
        # What runs on a draft, by its kind and whether its audience is allowlisted (then push
        # rules do not run): each rule with its predicate for that kind, rules that cannot fire
        # on the kind left out. Of the default pack's 14 rules a reply runs 11, a dm 8, a post
        # 5. With findings built cheaply (`_finding`), judging "hi" outside its features went
        # from ~13 to ~6 us as a post, ~19 to ~8 as a dm, ~24 to ~15 as a reply (PP207's
        # second opinion is most of what is left there).
        self._plans = {
            (kind, allowlisted): self._plan(kind, allowlisted)
            for kind in (*KINDS, None)
            for allowlisted in (False, True)
        }

    def _plan(
        self, kind: str | None, allowlisted: bool
    ) -> tuple[tuple[ActiveRule, Predicate], ...]:
        """The rules to run, in pack order, on a draft of `kind` (None: a kind the models do
        not name, which only a draft built without validation can have)."""
        plan = []
        for active in self.active:
            if allowlisted and active.rule.effect == "push":
                continue
            holds = active.holds if kind is None else active.holds_for[kind]
            if holds is not never:
                plan.append((active, holds))
        return tuple(plan)

    def _read_parent(self, text: str | None) -> Parent:
        languages = self.settings.languages
        ask = ask_of(text, self.pack.phrasebook, languages)
        if text is None or not text.strip():
            return Parent(ask, None, None)
        features = extract(text, self.pack.phrasebook, languages=languages)
        # What it asks about matters only when it asks.
        subject = subject_of(text, self.pack.topics) if ask.answer == "yes" else None
        return Parent(ask, features, subject)

    def writer_of(self, draft: Draft) -> str | None:
        """Who writes the draft: the draft says so (on the wire, memory fills it with the
        handle the site named as signed in), else the config's `me:` for its site."""
        return draft.author or self._me.get(draft.platform) or self._me.get("*")

    # -- public API -----------------------------------------------------------------------

    def judge(self, draft: Draft, now: float | None = None) -> Verdict:
        """The verdict on a draft. Never raises."""
        return self.judge_fully(draft, now).verdict

    def judge_fully(self, draft: Draft, now: float | None = None) -> Judgement:
        """The verdict plus shadow findings, features and the parent's ask."""
        moment = time.time() if now is None else now
        try:
            features = self.features_of(draft)
            parent = draft.reply_to.text if draft.reply_to is not None else None
            ask = answer_for(
                draft,
                features,
                self._parent(parent),
                self.pack.topics,
                self.writer_of(draft),
                self.settings.offer,
            )
        except Exception:  # fail open: an unreadable draft gets an empty verdict
            self._log_once("features", "feature extraction failed")
            return Judgement(
                Verdict(),
                [],
                extract("", self.pack.phrasebook),
                Ask("unknown", None),
                complete=False,
            )
        context = _Context(draft, features, ask, moment, self.history)
        findings: list[Finding] = []
        shadow: list[Finding] = []
        allowlisted = not self._allow_handles.isdisjoint(context.audience)
        try:
            plan = self._plans[draft.kind, allowlisted]
        except (KeyError, TypeError):  # a kind the models do not name (an unvalidated draft)
            plan = self._plans[None, allowlisted]
        for active, holds in plan:
            try:
                if not holds(context):
                    continue
                finding = _finding(active, context)
            except Exception:
                self._log_once(active.rule.code, f"rule {active.rule.code} failed")
                continue
            (shadow if active.shadow else findings).append(finding)
        return Judgement(
            self._verdict(findings), shadow, features, ask, signature=context.computed_signature
        )

    def record_sent(
        self, draft: Draft, now: float | None = None, judged: Judgement | None = None
    ) -> SentRecord:
        """A message really went out: remember who got it and its signature (never the text).

        `judged`: the `judge_fully` result for this same draft. Its features (and signature,
        when judging computed one) are reused instead of being worked out again; a judgement
        that failed open or was made for another text is ignored."""
        record = self.sent_record(draft, now, judged)
        self.history.record(record)
        return record

    def sent_record(
        self, draft: Draft, now: float | None = None, judged: Judgement | None = None
    ) -> SentRecord:
        """The `SentRecord` that `record_sent` stores, without storing it."""
        known = _reusable(judged, draft)
        features = self.features_of(draft) if known is None else known.features
        if not draft.text_available:
            signature = 0
        elif known is not None and known.signature is not None:
            signature = known.signature
        else:
            # The same inputs as the judge's lookup, so a resend finds its earlier copies.
            signature = similarity_signature(features.text, features.links, features.mentions)
        return SentRecord(
            time=time.time() if now is None else now,
            platform=draft.platform,
            kind=draft.kind,
            recipients=tuple(sorted(audience_of(draft, features))),
            link_domains=tuple(features.link_domains()),
            signature=signature,
            scope=draft.scope,
        )

    def features_of(self, draft: Draft) -> Features:
        text = draft.text if draft.text_available else ""
        return extract(
            text,
            self.pack.phrasebook,
            extra_links=draft.links,
            extra_mentions=draft.mentions,
            ignore_domains=self._allow_domains,
            languages=self.settings.languages,
        )

    def example_findings(self, example: Example) -> list[Finding]:
        """Findings (shown and shadow) for a rule example, its sent history replayed first."""
        now = 1_000_000_000.0
        for index, sent in enumerate(example.sent_before):
            before = Draft(
                platform=example.platform,
                kind=example.kind,
                text=sent.text,
                recipients=[sent.to],
            )
            self.record_sent(before, now=now - sent.minutes_ago * 60 - index * 1e-3)
        judgement = self.judge_fully(example.to_draft(), now=now)
        return judgement.verdict.findings + judgement.shadow

    # -- internals --------------------------------------------------------------------------

    def _activate(self, rule: Rule) -> ActiveRule:
        severity = _severity(self.settings.severities.get(rule.code), rule.severity)
        # Every value comes from a validated rule: findings are built without validation,
        # which would cost more than the rest of the rule on the hot path.
        finding = {
            "code": rule.code,
            "name": rule.name,
            "severity": severity,
            "message": rule.message,
            "span": None,
            "trigger": "",
            "why": rule.why,
            "instead": rule.instead,
            "weight": rule.weight,
        }
        params = {**rule.params, **self.settings.params.get(rule.code, {})}
        holds, holds_for = _compile(rule, params)
        return ActiveRule(
            rule=rule,
            shadow=rule_shadowed(rule, self.settings),
            finding=finding,
            holds=holds,
            holds_for=holds_for,
            trigger_signals=signal_names(rule.when),
        )

    def _verdict(self, findings: list[Finding]) -> Verdict:
        # SEVERITY_ORDER looked up directly, not through severity_rank(): a call per finding
        # cost as much as the lookup. Verdicts are built like findings (see _finding).
        if not findings:
            # Most drafts: nothing fired.
            return built_from_checked(Verdict, {"findings": [], "score": 0, "level": "none"})
        settings = self.settings
        rank = SEVERITY_ORDER
        push = [finding for finding in findings if finding.weight > 0]
        if any(rank[finding.severity] >= 2 for finding in push):
            # A pitch is a pitch: pull wording beside it ("Congrats! Btw hire us") neither
            # lowers its score nor shows as praise next to it.
            findings = push
        total = sum(finding.weight for finding in findings)
        score = max(0, min(100, round(total)))
        level = "none"
        for finding in push:
            gated = _gate(finding.severity, score, settings)
            if rank[gated] > rank[level]:
                level = gated
        weak = [finding.severity for finding in push].count("info")
        if (
            push
            and rank[level] < 2
            and (score >= settings.add_up_score or weak >= settings.add_up_count)
        ):
            level = "warning"
        ordered = sorted(findings, key=lambda found: (-rank[found.severity], found.code))
        return built_from_checked(Verdict, {"findings": ordered, "score": score, "level": level})

    def _log_once(self, key: str, message: str) -> None:
        if key in self._failed_rules:
            return
        self._failed_rules.add(key)
        log.exception("pullcheck engine: %s (logged once)", message)


def _reusable(judged: Judgement | None, draft: Draft) -> Judgement | None:
    """`judged` when its features are this draft's: judging did not fail open, and the text
    is the same (a cheap guard against a judgement passed with the wrong draft)."""
    if judged is None or not judged.complete:
        return None
    text = draft.text if draft.text_available else ""
    return judged if judged.features.text == text else None


def _severity(override: object, default: Severity) -> Severity:
    """The user's severity for a rule, when it is one (findings are built unvalidated)."""
    if override in ("info", "warning", "error"):
        return override
    return default


def _gate(severity: str, score: int, settings: EngineSettings) -> str:
    if severity == "error":
        if score >= settings.error_score:
            return "error"
        severity = "warning"
    if severity == "warning":
        return "warning" if score >= settings.warning_score else "info"
    return "info"


def _compile(rule: Rule, params: dict[str, Any]) -> tuple[Predicate, dict[str, Predicate]]:
    """The rule's predicate, and its predicate for each kind of draft; a rule whose conditions
    cannot be compiled with these params (a `$param` they lack) gets one that raises, for every
    kind, so judging skips it and logs once, as for any rule that fails."""
    try:
        holds = compile_conditions(rule.when, params)
        return holds, {kind: compile_conditions(rule.when, params, kind) for kind in KINDS}
    except Exception as error:
        failure = error

        def fails(context: object) -> bool:
            raise failure

        return fails, dict.fromkeys(KINDS, fails)


def _finding(active: ActiveRule, context: _Context) -> Finding:
    """The rule's finding on this draft: the span and words that triggered it."""
    span = _trigger_span(active.trigger_signals, context.features.signals)
    values = {
        **active.finding,
        "span": span,
        "trigger": context.features.text[span[0] : span[1]] if span else "",
    }
    message = values["message"]
    if "{reason}" in message:
        # The rule's message names what the engine worked out ("They asked for puppy
        # tips; this offers web design.").
        reason = context.ask.reason or "the post asks for something else."
        values["message"] = message.replace("{reason}", reason)
    # built_from_checked, not model_copy(update=...) of a template Finding: ~1.3 us a
    # finding instead of ~6 us (7 findings on a pitch reply: ~30 us a judgement).
    return built_from_checked(Finding, values)


def _trigger_span(
    names: tuple[str, ...], signals: dict[str, tuple[int, int]]
) -> tuple[int, int] | None:
    """The earliest text span among the signals the rule looked for."""
    best: tuple[int, int] | None = None
    for name in names:
        span = signals.get(name)
        if span is None or span[1] <= span[0]:
            continue
        if best is None or span[0] < best[0]:
            best = span
    return best
