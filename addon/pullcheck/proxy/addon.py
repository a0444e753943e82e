"""The pullcheck mitmproxy add-on: a thin router from mitmproxy's hooks to pullcheck's parts.

    mitmdump -s "$(python3 -c 'import pullcheck.proxy.addon as m; print(m.__file__)')"

(or `pullcheck run`, which starts mitmproxy with this add-on in-process).

- `request`: `/__pullcheck__/...` on a configured site origin -> the banner's control endpoints
  (answered by the proxy, never forwarded); on any other origin -> an empty 404 from the proxy,
  never forwarded either. A compose request (POST/PUT/PATCH on a watched site)
  -> site adapter -> memory (reply target, recipients, new follower) -> engine -> verdict feed.
  In hold mode a verdict at or above `hold_at` waits here for "send" (the request then goes
  upstream, once) or "edit"/timeout (the page gets the site's own failure response; nothing is
  sent).
- `response`: a compose request the site accepted (2xx, and no GraphQL `errors` refusal) enters
  the sent log; read responses of
  watched sites feed the memory; HTML pages of configured sites get the banner (injector).
- `websocket_message`: Mastodon's streaming API feeds the memory.

Everything but mitmproxy itself runs inside `FailSafe.guard`: an error leaves the flow as it was,
is counted and logged once per cause. Flows of other hosts return after one dict lookup.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, Optional

from mitmproxy import command, ctx, exceptions, http

# Loaded by path (`mitmdump -s .../addon.py`), this file is the module `__mitmproxy_script__.addon`;
# the absolute imports below still resolve to the installed `pullcheck` package.
from pullcheck.config import ConfigError, data_dir, default_config_path
from pullcheck.models import Verdict
from pullcheck.proxy import control, dashboard_route, inject, judging
from pullcheck.proxy.accepted import site_accepted
from pullcheck.proxy.failsafe import ResponseSnapshot
from pullcheck.proxy.flowwire import needs_decoding, page_origin, wire_response
from pullcheck.proxy.state import Overrides, ProxyState

logger = logging.getLogger("pullcheck")

CONTROL_PREFIX = "/__pullcheck__/"
MODES = ("off", "warn", "hold")
COMPOSE_METHODS = frozenset({"POST", "PUT", "PATCH"})
DEFAULT_MAX_BODY = 4 * 1024 * 1024
# Read responses never worth parsing: the site's static assets.
_SKIP_READ_TYPES = ("image/", "font/", "video/", "audio/", "text/css", "application/wasm")
_SKIP_READ_SCRIPT = "javascript"
CONFIG_POLL_S = 1.0
# flow.metadata key: the proxy answered this flow itself (control endpoint, held post's failure).
ANSWERED_BY_PULLCHECK = "pullcheck_answered"
# Compose flows waiting for the site's answer, by flow id; bounded in case answers never come.
MAX_IN_FLIGHT = 4096


class Spec(NamedTuple):
    """The add-on's options, parsed and checked once in `configure`."""

    config_path: Path
    config_explicit: bool
    mode: str | None
    hold_timeout_s: float | None
    max_body: int
    data_dir: Path


class Judged(NamedTuple):
    verdict_id: str
    platform: str
    origin: str
    compose: Any
    draft: Any
    verdict: Any
    # The engine's full judgement and the engine that made it: the sent log reuses its
    # features and signature when the same engine records the send (no config swap between).
    judgement: Any = None
    engine: Any = None
    # The engine saw only the first `judging.MAX_TEXT_CHARS` characters (or capped lists).
    truncated: bool = False


def parse_spec(options: Any) -> Spec:
    mode = options.pullcheck_mode.strip().lower() or None
    if mode is not None and mode not in MODES:
        raise exceptions.OptionsError(
            f"pullcheck_mode: '{options.pullcheck_mode}' is not one of off, warn, hold"
            " (or empty for the config's mode)"
        )
    timeout = options.pullcheck_hold_timeout
    if timeout is not None and not 1 <= timeout <= 3600:
        raise exceptions.OptionsError(
            f"pullcheck_hold_timeout: {timeout} is not between 1 and 3600 seconds"
        )
    if options.pullcheck_max_body < 1024:
        raise exceptions.OptionsError(
            f"pullcheck_max_body: {options.pullcheck_max_body} is below 1024 bytes"
        )
    config = options.pullcheck_config.strip()
    folder = options.pullcheck_data_dir.strip()
    data = Path(folder).expanduser() if folder else data_dir()
    if data.exists() and not data.is_dir():
        raise exceptions.OptionsError(f"pullcheck_data_dir: '{data}' is not a folder")
    return Spec(
        config_path=Path(config).expanduser() if config else default_config_path(),
        config_explicit=bool(config),
        mode=mode,
        hold_timeout_s=float(timeout) if timeout is not None else None,
        max_body=options.pullcheck_max_body,
        data_dir=data,
    )


class PullcheckAddon:
    def __init__(self) -> None:
        self.state: ProxyState | None = None
        self.spec: Spec | None = None
        self._in_flight: OrderedDict[str, Judged] = OrderedDict()
        self._serial = itertools.count(1)
        self._watch_task: asyncio.Task[None] | None = None
        # Reading compose bodies and judging drafts: worker threads, within a time budget.
        self._workers = judging.JudgeWorkers()
        self.judge_budget_s = judging.BUDGET_S
        # The injector, as a seam: tests of harvesting swap it out (None: pages are left alone).
        self._inject: Any | None = inject

    # -- options ---------------------------------------------------------------------------

    def load(self, loader: Any) -> None:
        loader.add_option(
            "pullcheck_config", str, "",
            "pullcheck's YAML config file. Empty: $PULLCHECK_CONFIG or "
            "$XDG_CONFIG_HOME/pullcheck/config.yaml (the defaults when it does not exist).",
        )
        loader.add_option(
            "pullcheck_mode", str, "",
            "Override the config's mode: off, warn (judge and show) or hold (hold flagged "
            "posts until Send anyway / Edit). Empty: the config's mode.",
        )
        loader.add_option(
            # mitmproxy compares option types with Optional[int]; keep that spelling.
            "pullcheck_hold_timeout", Optional[int], None,  # noqa: UP045
            "Seconds a held post waits for a decision before it counts as Edit (not sent). "
            "Unset: the config's hold_timeout_s (120).",
        )
        loader.add_option(
            "pullcheck_max_body", int, DEFAULT_MAX_BODY,
            "Bodies larger than this many bytes (on the wire or decoded) are not analysed; "
            "the flow passes through untouched.",
        )
        loader.add_option(
            "pullcheck_data_dir", str, "",
            "Where the sent log, your numbers, pull opportunities and the Not push list "
            "live. Empty: $PULLCHECK_DATA_DIR or $XDG_DATA_HOME/pullcheck "
            "(~/.local/share/pullcheck).",
        )

    def configure(self, updated: set[str]) -> None:
        if not any(name.startswith("pullcheck_") for name in updated) and self.state:
            return
        spec = parse_spec(ctx.options)
        overrides = Overrides(mode=spec.mode, hold_timeout_s=spec.hold_timeout_s)
        old = self.spec
        if (
            self.state is not None
            and old is not None
            and (old.config_path, old.data_dir) == (spec.config_path, spec.data_dir)
        ):
            self.state.set_overrides(overrides)
            self.state.max_body = spec.max_body
            self.spec = spec
            return
        try:
            state = ProxyState.open(
                spec.config_path,
                spec.data_dir,
                spec.max_body,
                overrides,
                missing_ok=not spec.config_explicit,
            )
        except ConfigError as error:
            raise exceptions.OptionsError(f"pullcheck config: {error}") from None
        except OSError as error:
            raise exceptions.OptionsError(f"pullcheck_data_dir: {error}") from None
        if self.state is not None:
            self.state.close()
        self.state, self.spec = state, spec
        if self._watch_task is None:
            self._start_watching()

    def running(self) -> None:
        if self.state is None:
            # Added in-process without any option change: nothing called `configure` yet.
            self.configure(set(ctx.options.keys()))
        self._start_watching()
        state = self.state
        if state is not None:
            logger.info("pullcheck active: mode %s; watching %s; config %s",
                        state.mode, state.route.describe() or "no sites", state.config_path)

    def done(self) -> None:
        self._workers.close()
        self._workers = judging.JudgeWorkers()  # mitmproxy may load the add-on again
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None
        if self.state is not None:
            self.state.close()
            self.state = None

    def _start_watching(self) -> None:
        if self._watch_task is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not inside a running proxy (unit tests): `running` starts it later
        self._watch_task = loop.create_task(self._watch_config())

    async def _watch_config(self) -> None:
        while True:
            await asyncio.sleep(CONFIG_POLL_S)
            state = self.state
            if state is None:
                continue
            with state.failsafe.guard("config-watch"):
                # Reading and validating YAML and building an engine: off the event loop.
                await asyncio.to_thread(state.watcher.poll)

    # -- commands --------------------------------------------------------------------------

    @command.command("pullcheck.decide")
    def decide(self, hold_id: str, choice: str) -> None:
        """Decide a held post: send (goes to the site once) or edit (not sent)."""
        if self.state is None:
            raise exceptions.CommandError("pullcheck is not active")
        if choice not in ("send", "edit"):
            raise exceptions.CommandError(f"'{choice}' is not send or edit")
        if not self.state.holds.decide(hold_id, choice):
            raise exceptions.CommandError(f"no pending hold '{hold_id}' (decided or timed out?)")
        logger.info("pullcheck: hold %s: %s", hold_id, choice)

    @command.command("pullcheck.holds")
    def holds(self) -> Sequence[str]:
        """The held posts waiting for a decision: id, origin, level and findings."""
        if self.state is None:
            return []
        lines = []
        for hold in self.state.holds.pending():
            codes = ",".join(f["code"] for f in hold.verdict.get("findings", []))
            lines.append(
                f"{hold.hold_id} {hold.origin} {hold.verdict.get('level')} "
                f"{hold.summary.get('platform')}/{hold.summary.get('kind')} {codes}"
            )
        return lines

    # -- hooks -----------------------------------------------------------------------------

    async def request(self, flow: http.HTTPFlow) -> None:
        state = self.state
        if state is None or flow.response is not None:
            return
        req = flow.request
        host = req.host.lower()
        if dashboard_route.is_dashboard(host):
            flow.metadata[ANSWERED_BY_PULLCHECK] = True
            with state.failsafe.guard("dashboard"):
                dashboard_route.answer(flow, state.tally.stats if state.tally else None)
            if flow.response is None:  # the host exists nowhere: never forward
                flow.response = http.Response.make(500, b"pullcheck dashboard failed\n")
            return
        path = req.path
        if path.startswith(CONTROL_PREFIX):
            if state.route.is_configured_origin(host, req.port):
                await self._answer_control(flow, state)
            else:
                _answer_not_ours(flow)
            return
        adapter = state.route.match(host, req.port, path.partition("?")[0])
        if adapter is None:
            return
        if req.method not in COMPOSE_METHODS or state.mode == "off":
            return
        judged = await self._judge(flow, state, adapter)
        if judged is None:
            return
        self._in_flight[flow.id] = judged
        while len(self._in_flight) > MAX_IN_FLIGHT:
            self._in_flight.popitem(last=False)
        if state.should_hold(judged.verdict.level):
            await self._hold(flow, state, judged)

    async def _judge(
        self, flow: http.HTTPFlow, state: ProxyState, adapter: Any
    ) -> Judged | None:
        """Read and judge a compose request within its budget, off the event loop (see
        `judging`); None when it is not a draft or was not (fully) judged: it then goes on."""
        stage = f"compose:{adapter.name}"
        raw = flow.request.raw_content
        if raw is None:
            return None  # streamed past the proxy: nothing to read
        if len(raw) > state.max_body:
            state.failsafe.record(stage, judging.NotRead(
                f"body of {len(raw)} bytes is over pullcheck_max_body ({state.max_body})"))
            return None
        deadline = time.monotonic() + self.judge_budget_s
        with state.failsafe.guard(stage):
            try:
                if len(raw) <= judging.SHORT_BODY and not needs_decoding(flow.request):
                    # A short plain body (every real compose request): read here, a thread hop
                    # would cost more than the reading (at most a few ms, whatever it holds).
                    compose, cut = judging.read_compose(flow.request, adapter, state.max_body)
                else:
                    compose, cut = await self._workers.run(
                        self.judge_budget_s, judging.read_compose, flow.request, adapter,
                        state.max_body,
                    )
            except judging.NotRead as error:
                state.failsafe.record(stage, error)
                return None
            except judging.OverBudget:
                state.failsafe.record(stage, judging.OverBudget(
                    f"reading the body took longer than {self.judge_budget_s * 1000:.0f} ms"))
                return None
            if compose is None:
                return None
            origin = page_origin(flow.request)
            enriched = state.memory.enrich(adapter.name, compose)
            draft, truncated = judging.bounded_draft(enriched)
            engine = state.engine
            try:
                judgement = await self._workers.run(
                    deadline - time.monotonic(), engine.judge_fully, draft
                )
            except judging.OverBudget:
                reason = f"judging took longer than {self.judge_budget_s * 1000:.0f} ms"
                state.failsafe.record(stage, judging.OverBudget(reason))
                state.feed.publish(origin, _unjudged_event(
                    f"v{next(self._serial)}", adapter.name, compose, draft, reason))
                return None
            verdict = judgement.verdict
            judged = Judged(
                verdict_id=f"v{next(self._serial)}",
                platform=adapter.name,
                origin=origin,
                compose=compose,
                draft=draft,
                verdict=verdict,
                judgement=judgement,
                engine=engine,
                truncated=truncated or cut,
            )
            state.verdicts_judged += 1
            if state.tally:
                tally, name = state.tally, adapter.name
                state.later("tally", lambda: tally.judged(name, verdict))
            held = state.should_hold(verdict.level)
            if state.audit_log:
                audit_log = state.audit_log
                state.later("audit_log", lambda: audit_log.write(draft, verdict, origin=origin,
                                                                  held=held))
            state.feed.publish(origin, _verdict_event(judged, held))
            return judged
        return None

    async def _hold(self, flow: http.HTTPFlow, state: ProxyState, judged: Judged) -> None:
        verdict = control.verdict_json(judged.verdict)
        summary = {
            "verdict_id": judged.verdict_id,
            "platform": judged.platform,
            "kind": judged.draft.kind,
            "operation": judged.compose.operation,
        }
        hold = state.holds.open(flow.id, judged.origin, verdict, summary)
        if state.tally:
            with state.failsafe.guard("tally"):
                state.tally.held(judged.platform)
        state.feed.publish(judged.origin, {"type": "hold", **hold.public()})
        logger.info("pullcheck: holding %s %s (%s); `pullcheck.decide %s send|edit`",
                    judged.platform, judged.draft.kind, judged.verdict.level, hold.hold_id)
        outcome = await state.holds.wait(hold, state.hold_timeout_s)
        if state.tally:
            # Guarded: an error here must not let an edited post through.
            with state.failsafe.guard("tally"):
                state.tally.decided(judged.platform, outcome)
        if outcome == "send":
            return  # the request goes upstream now, once
        self._in_flight.pop(flow.id, None)
        failure = judged.compose.failure
        flow.response = http.Response.make(failure.status, failure.body, dict(failure.headers))
        flow.metadata[ANSWERED_BY_PULLCHECK] = True

    async def _answer_control(self, flow: http.HTTPFlow, state: ProxyState) -> None:
        flow.metadata[ANSWERED_BY_PULLCHECK] = True
        try:
            await control.handle(flow, state)
        except Exception as error:  # noqa: BLE001 - the page asked the proxy, not the site
            state.failsafe.record("control", error)
            flow.response = None
        if flow.response is None:
            # Never forward a control request (it carries the page token) to the site.
            flow.response = http.Response.make(
                500, b'{"error":"pullcheck control endpoint failed"}',
                {"content-type": "application/json", "cache-control": "no-store"},
            )

    def response(self, flow: http.HTTPFlow) -> None:
        judged = self._in_flight.pop(flow.id, None) if self._in_flight else None
        state = self.state
        response = flow.response
        if state is None or response is None:
            return
        req = flow.request
        # Read once (a header lookup scans every field): the sent-log check and the page and
        # harvest checks below share it. Flows of other sites never need it.
        content_type: str | None = None
        if judged is not None:
            content_type = response.headers.get("content-type", "").lower()
            with state.failsafe.guard("sent-log"):
                if site_accepted(response, content_type):
                    reuse = judged.judgement if judged.engine is state.engine else None
                    state.record_sent(judged.draft, reuse)
        # An answer pullcheck made itself (control endpoint, held post's failure) is never
        # injected into or harvested: known without routing the flow again.
        if flow.metadata.get(ANSWERED_BY_PULLCHECK) or state.mode == "off":
            return
        host = req.host.lower()
        adapter = state.route.match(host, req.port, req.path.partition("?")[0])
        if adapter is None:
            return
        if content_type is None:
            content_type = response.headers.get("content-type", "").lower()
        if "text/html" in content_type and self._inject is not None:
            if state.route.is_configured_origin(host, req.port):
                self._inject_banner(flow, state)
        if judged is not None or not 200 <= response.status_code < 300:
            return
        if content_type.startswith(_SKIP_READ_TYPES) or _SKIP_READ_SCRIPT in content_type:
            return
        with state.failsafe.guard(f"harvest:{adapter.name}"):
            wire = wire_response(flow, state.max_body)
            if wire is None:
                return
            harvest = adapter.harvest(wire)
            if harvest:
                state.memory.remember(adapter.name, harvest)
                if state.tally:
                    state.tally.harvested(adapter.name, harvest.posts, state.config.offer,
                                          state.feed, page_origin(req))

    def _inject_banner(self, flow: http.HTTPFlow, state: ProxyState) -> None:
        assert flow.response is not None
        snapshot = ResponseSnapshot(flow.response)
        try:
            self._inject.inject_banner(flow, state)  # type: ignore[union-attr]
        except Exception as error:  # noqa: BLE001 - the page must arrive as the site sent it
            snapshot.restore()
            state.failsafe.record("inject", error)

    def error(self, flow: http.HTTPFlow) -> None:
        # The request never got an answer: it did not go out as far as we know.
        self._in_flight.pop(flow.id, None)

    def websocket_message(self, flow: http.HTTPFlow) -> None:
        state = self.state
        if state is None or flow.websocket is None or state.mode == "off":
            return
        req = flow.request
        adapter = state.route.match(req.host.lower(), req.port, req.path.partition("?")[0])
        if adapter is None:
            return
        message = flow.websocket.messages[-1]
        if message.from_client or not message.is_text:
            return
        if len(message.content) > state.max_body:
            return
        with state.failsafe.guard(f"harvest-ws:{adapter.name}"):
            harvest = adapter.harvest_websocket(message.content.decode("utf-8", "replace"))
            if harvest:
                state.memory.remember(adapter.name, harvest)
                if state.tally:
                    state.tally.harvested(adapter.name, harvest.posts, state.config.offer,
                                          state.feed, page_origin(req))


def _answer_not_ours(flow: http.HTTPFlow) -> None:
    """`/__pullcheck__/...` on an origin without the banner: a plain 404 from the proxy. Never
    forwarded, so a site cannot learn from its own logs that its visitor runs pullcheck, nor
    collect whatever a page put in such a URL (a token copied from another origin)."""
    flow.metadata[ANSWERED_BY_PULLCHECK] = True
    flow.response = http.Response.make(404, b"", {"cache-control": "no-store"})


def _verdict_event(judged: Judged, held: bool) -> dict[str, Any]:
    return {
        "type": "verdict",
        "id": judged.verdict_id,
        "platform": judged.platform,
        "kind": judged.draft.kind,
        "operation": judged.compose.operation,
        "held": held,
        "complete": True,
        "truncated": judged.truncated,
        **control.verdict_json(judged.verdict),
    }


def _unjudged_event(
    verdict_id: str, platform: str, compose: Any, draft: Any, reason: str
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
        **control.verdict_json(Verdict()),
    }

addons = [PullcheckAddon()]
