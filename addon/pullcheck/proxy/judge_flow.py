"""Judging a compose request: body -> site adapter -> memory -> engine, within a time budget.

A plain service the add-on's `request` hook hands each compose request to; it needs the request
(mitmproxy's `http.Request`, a plain data object) and the proxy's state, not a running proxy.
The slow parts run on `judging.JudgeWorkers`' threads (see `judging` for every bound); what
they return is applied here, on the event loop: memory, the verdict feed, the tally and the
audit log. Fail open: a body not read, a judgement over budget or an error in any part returns
None and the request goes on unjudged (the reason logged once by `FailSafe`).
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from typing import Any, NamedTuple

from mitmproxy import http

from pullcheck.engine import Engine, Judgement
from pullcheck.models import Draft, Verdict
from pullcheck.proxy import judging
from pullcheck.proxy.endpoint_http import verdict_json
from pullcheck.proxy.flowwire import needs_decoding, page_origin
from pullcheck.proxy.state import ProxyState
from pullcheck.proxy.trust import history_scope, host_key, may_teach, scope_of
from pullcheck.sites.adapter import SiteAdapter
from pullcheck.sites.wire import Compose

# Compose requests waiting for the site's answer, by flow id; bounded in case answers never come.
MAX_IN_FLIGHT = 4096


class Judged(NamedTuple):
    verdict_id: str
    platform: str
    origin: str
    compose: Compose
    draft: Draft
    verdict: Verdict
    # The engine's full judgement and the engine that made it: the sent log reuses its
    # features and signature when the same engine records the send (no config swap between).
    judgement: Judgement | None = None
    engine: Engine | None = None
    # May this send reach the sent log, the audit log and the stats? Always for a configured
    # host; for others only within `UntrustedWrites`' rate (pullcheck.proxy.trust).
    may_store: bool = True
    # The engine saw only the first `judging.MAX_TEXT_CHARS` characters (or capped lists).
    truncated: bool = False


class JudgeFlow:
    """Judges compose requests on worker threads within `budget_s` each; numbers verdicts;
    keeps each judged request's verdict until the site answers it (`remember`, `take`)."""

    def __init__(self, budget_s: float = judging.BUDGET_S) -> None:
        self.budget_s = budget_s
        self._workers = judging.JudgeWorkers()
        self._serial = itertools.count(1)
        self._in_flight: OrderedDict[str, Judged] = OrderedDict()

    def remember(self, flow_id: str, judged: Judged) -> None:
        """Keep `judged` until the site's answer to flow `flow_id` (at most `MAX_IN_FLIGHT`,
        the oldest forgotten first)."""
        self._in_flight[flow_id] = judged
        while len(self._in_flight) > MAX_IN_FLIGHT:
            self._in_flight.popitem(last=False)

    def in_flight(self, flow_id: str) -> Judged | None:
        return self._in_flight.get(flow_id)

    def take(self, flow_id: str) -> Judged | None:
        """The judgement of flow `flow_id`, forgotten now (its answer came, or never will)."""
        return self._in_flight.pop(flow_id, None) if self._in_flight else None

    def close(self) -> None:
        """Stop the worker threads; the service stays usable (mitmproxy may load the add-on
        again), with fresh workers."""
        self._workers.close()
        self._workers = judging.JudgeWorkers()

    async def judge(
        self, request: http.Request, state: ProxyState, adapter: SiteAdapter
    ) -> Judged | None:
        """Read and judge a compose request within its budget, off the event loop (see
        `judging`); None when it is not a draft or was not (fully) judged: it then goes on."""
        stage = f"compose:{adapter.name}"
        raw = request.raw_content
        if raw is None:
            return None  # streamed past the proxy: nothing to read
        if len(raw) > state.max_body:
            state.failsafe.record(
                stage,
                judging.NotRead(
                    f"body of {len(raw)} bytes is over pullcheck_max_body ({state.max_body})"
                ),
            )
            return None
        deadline = time.monotonic() + self.budget_s
        with state.failsafe.guard(stage):
            try:
                if len(raw) <= judging.SHORT_BODY and not needs_decoding(request):
                    # A short plain body (every real compose request): read here, a thread hop
                    # would cost more than the reading (at most a few ms, whatever it holds).
                    compose, cut = judging.read_compose(request, adapter, state.max_body)
                else:
                    compose, cut = await self._workers.run(
                        self.budget_s,
                        judging.read_compose,
                        request,
                        adapter,
                        state.max_body,
                    )
            except judging.NotRead as error:
                state.failsafe.record(stage, error)
                return None
            except judging.OverBudget:
                state.failsafe.record(
                    stage,
                    judging.OverBudget(
                        f"reading the body took longer than {self.budget_s * 1000:.0f} ms"
                    ),
                )
                return None
            if compose is None:
                return None
            host = request.host.lower()
            trusted = may_teach(state, request.scheme, host, request.port)
            may_store = trusted or state.untrusted_writes.allow(host_key(host, request.port))
            origin = page_origin(request)
            scope = scope_of(state.route, adapter.name, host, request.port)
            enriched = state.memory.enrich(adapter.name, compose, scope=scope, learn=trusted)
            enriched = enriched.model_copy(update={"scope": history_scope(scope)})
            draft, truncated = judging.bounded_draft(enriched)
            engine = state.engine
            try:
                judgement = await self._workers.run(
                    deadline - time.monotonic(), engine.judge_fully, draft
                )
            except judging.OverBudget:
                reason = f"judging took longer than {self.budget_s * 1000:.0f} ms"
                state.failsafe.record(stage, judging.OverBudget(reason))
                state.feed.publish(
                    origin, unjudged_event(self._next_id(), adapter.name, compose, draft, reason)
                )
                return None
            verdict = judgement.verdict
            judged = Judged(
                verdict_id=self._next_id(),
                platform=adapter.name,
                origin=origin,
                compose=compose,
                draft=draft,
                verdict=verdict,
                judgement=judgement,
                engine=engine,
                may_store=may_store,
                truncated=truncated or cut,
            )
            self._account(state, judged)
            return judged
        return None

    def _next_id(self) -> str:
        return f"v{next(self._serial)}"

    @staticmethod
    def _account(state: ProxyState, judged: Judged) -> None:
        """Count, audit (when the user turned the audit log on) and tell the page."""
        verdict, origin, draft = judged.verdict, judged.origin, judged.draft
        state.verdicts_judged += 1
        if state.tally and judged.may_store:
            tally, name = state.tally, judged.platform
            state.later("tally", lambda: tally.judged(name, verdict, origin, draft.text))
        held = state.should_hold(verdict.level)
        if state.audit_log and judged.may_store:
            audit_log = state.audit_log
            state.later(
                "audit_log", lambda: audit_log.write(draft, verdict, origin=origin, held=held)
            )
        state.feed.publish(origin, verdict_event(judged, held))


def verdict_event(judged: Judged, held: bool) -> dict[str, Any]:
    return {
        "type": "verdict",
        "id": judged.verdict_id,
        "platform": judged.platform,
        "kind": judged.draft.kind,
        "operation": judged.compose.operation,
        "held": held,
        "complete": True,
        "truncated": judged.truncated,
        **verdict_json(judged.verdict),
    }


def unjudged_event(
    verdict_id: str, platform: str, compose: Compose, draft: Draft, reason: str
) -> dict[str, Any]:
    """The page hears that a draft went out without a full judgement, and why."""
    return {
        "type": "verdict",
        "id": verdict_id,
        "platform": platform,
        "kind": draft.kind,
        "operation": compose.operation,
        "held": False,
        "complete": False,
        "reason": reason,
        **verdict_json(Verdict()),
    }
