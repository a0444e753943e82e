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
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Optional

from mitmproxy import command, ctx, exceptions, http

# Loaded by path (`mitmdump -s .../addon.py`), this file is the module `__mitmproxy_script__.addon`;
# the absolute imports below still resolve to the installed `pullcheck` package.
from pullcheck.config import ConfigError, data_dir, default_config_path
from pullcheck.models import Verdict
from pullcheck.proxy import control, dashboard_route, inject, judging, refusal
from pullcheck.proxy.accepted import site_accepted
from pullcheck.proxy.control_socket import ControlSocket
from pullcheck.proxy.failsafe import ResponseSnapshot
from pullcheck.proxy.flowwire import needs_decoding, page_origin, request_origin, wire_response
from pullcheck.proxy.holds import ENDED_MESSAGES, HeldPost, Hold, request_fingerprint
from pullcheck.proxy.pages import page_tokens
from pullcheck.proxy.provenance import provenance
from pullcheck.proxy.state import Overrides, ProxyState
from pullcheck.proxy.trust import host_key, may_teach, scope_of
from pullcheck.sites.adapter import HELD_MESSAGE
from pullcheck.terminal import printable

logger = logging.getLogger("pullcheck")
# Holds and decisions: `pullcheck run` shows this logger's INFO lines on the terminal.
hold_log = logging.getLogger("pullcheck.holds")

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
# A joined retry of a sent hold waits this long for the site's answer to the one send.
SENT_ANSWER_WAIT_S = 60.0
# On shutdown, held clients get their "not sent" answer; this long at most is given for it.
SHUTDOWN_ANSWER_S = 2.0


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
    # May this send reach the sent log, the audit log and the stats? Always for a configured
    # host; for others only within `UntrustedWrites`' rate (pullcheck.proxy.trust).
    may_store: bool = True
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
        # Held flows now waiting: flow id -> its client connection's id (to spot disconnects).
        self._waiting: dict[str, str] = {}
        # A sent hold with joined retries: the sender's flow id -> hold id, and the hold's
        # answer from the site, which the retries get instead of a second send.
        self._senders: dict[str, str] = {}
        # Held flows released with "send", until the site answers: flow id -> hold id.
        self._released: OrderedDict[str, str] = OrderedDict()
        self._sent_answers: dict[str, asyncio.Future[Any]] = {}
        self._control_socket: ControlSocket | None = None
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
            self._open_control_socket(state)
            logger.info("pullcheck active: mode %s; watching %s; config %s",
                        state.mode, state.route.describe() or "no sites", state.config_path)

    def done(self) -> Awaitable[None] | None:
        """Stop: end pending holds (their clients get the site's failure response, not a dropped
        connection) and close the stores. With held clients still to answer, the rest runs as
        an awaitable that mitmproxy's async `done` awaits (sync callers see no change)."""
        self._workers.close()
        self._workers = judging.JudgeWorkers()  # mitmproxy may load the add-on again
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None
        if self._control_socket is not None:
            self._control_socket.close()
            self._control_socket = None
        state = self.state
        if state is None:
            return None
        waiting = len(state.holds.pending())
        if waiting:
            hold_log.info("pullcheck: stopping: %d held post(s) not sent", waiting)
        ended = state.holds.settle_all("shutdown")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            ended = []
        if not ended:
            self._close_state()
            return None
        return self._answer_held_then_close()

    async def _answer_held_then_close(self) -> None:
        # The held flows wake up on the next loop turns and set their failure responses; give
        # them a moment, and their bytes a moment to leave, before the proxy stops.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_ANSWER_S
        while self._waiting and loop.time() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        self._close_state()

    def _close_state(self) -> None:
        if self.state is not None:
            self.state.close()
            self.state = None

    def _open_control_socket(self, state: ProxyState) -> None:
        """`pullcheck holds` / `pullcheck decide` talk to this proxy over a Unix socket in its
        data folder (never over HTTP, so no web page can reach it)."""
        if self._control_socket is not None:
            return
        with state.failsafe.guard("control-socket"):
            self._control_socket = ControlSocket(state.data_dir, lambda: self.state)
            problem = self._control_socket.start()
            if problem:
                logger.warning("pullcheck: no control socket: %s", problem)
                self._control_socket = None

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
        status = self.state.holds.decide_status(hold_id, choice)
        if status != "applied":
            raise exceptions.CommandError(f"hold '{hold_id}': {ENDED_MESSAGES[status]}")

    @command.command("pullcheck.holds")
    def holds(self) -> Sequence[str]:
        """The held posts waiting for a decision: id, origin, level and findings."""
        if self.state is None:
            return []
        lines = []
        for hold in self.state.holds.pending():
            shown = hold.listing()
            # Origins and text come from web pages: shown, never obeyed by the terminal.
            lines.append(printable(
                f"{hold.hold_id} {hold.origin or '-'} {hold.level} "
                f"{shown.get('platform')}/{shown.get('kind')} {','.join(hold.codes)} "
                f"{'' if hold.own else 'from ' + (hold.from_origin or 'no origin') + ' '}"
                f"{shown['age_s']:.0f}s: {_one_line(shown.get('text', ''))}"
            ))
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
            req, host = flow.request, flow.request.host.lower()
            trusted = may_teach(state, req.scheme, host, req.port)
            may_store = trusted or state.untrusted_writes.allow(host_key(host, req.port))
            origin = page_origin(flow.request)
            enriched = state.memory.enrich(
                adapter.name, compose, scope=scope_of(state.route, adapter.name, host, req.port),
                learn=trusted)
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
                may_store=may_store,
                truncated=truncated or cut,
            )
            state.verdicts_judged += 1
            if state.tally and may_store:
                tally, name = state.tally, adapter.name
                state.later("tally", lambda: tally.judged(name, verdict, origin, draft.text))
            held = state.should_hold(verdict.level)
            if state.audit_log and may_store:
                audit_log = state.audit_log
                state.later("audit_log", lambda: audit_log.write(draft, verdict, origin=origin,
                                                                  held=held))
            state.feed.publish(origin, _verdict_event(judged, held))
            return judged
        return None

    async def _hold(self, flow: http.HTTPFlow, state: ProxyState, judged: Judged) -> None:
        req = flow.request
        client = _client_ip(flow)
        key = request_fingerprint(req.method, req.pretty_url, req.raw_content or b"",
                                  req.headers.get("origin"))
        hold = state.holds.join(key, client, flow.id)
        if hold is not None:
            # A retry of a request already held: it waits with the first, and at most one of
            # them goes upstream.
            hold_log.info("pullcheck: a retry of %s joined hold %s", _what(hold), hold.hold_id)
        else:
            verdict = control.verdict_json(judged.verdict)
            origin = provenance(req.headers.get("origin"), judged.platform,
                                request_origin(req), state.route, req.host.lower(), req.port)
            if state.config.holds.without_page == "reject" and not (
                origin.channel and page_tokens(state).live_page(origin.channel)
            ):
                self._refuse(flow, state, judged, verdict, origin.channel, "no-page")
                return
            if state.holds.full():
                self._refuse(flow, state, judged, verdict, origin.channel, "busy")
                return
            summary = {
                "verdict_id": judged.verdict_id,
                "platform": judged.platform,
                "kind": judged.draft.kind,
                "operation": judged.compose.operation,
            }
            hold = state.holds.open(
                flow.id, origin.channel, verdict, summary,
                post=HeldPost.of(judged.platform, judged.compose.operation, judged.draft),
                from_origin=origin.sent_from, own=origin.own, key=key, client=client,
                timeout_s=state.hold_timeout_s,
            )
            if state.tally:
                with state.failsafe.guard("tally"):
                    state.tally.held(judged.platform)
            if hold.origin:
                state.feed.publish(hold.origin, {"type": "hold", **hold.public()})
            hold_log.info("pullcheck: held %s (%s) %s%s — pullcheck decide %s send|edit",
                          _what(hold), hold.level, " ".join(hold.codes) or "-",
                          "" if hold.own else f" from {hold.from_origin or 'no origin'}",
                          hold.hold_id)
        self._waiting[flow.id] = flow.client_conn.id
        try:
            outcome = await state.holds.wait(hold, flow.id)
        finally:
            self._waiting.pop(flow.id, None)
        if outcome == "send":
            if hold.sender == flow.id:
                self._released[flow.id] = hold.hold_id
                while len(self._released) > MAX_IN_FLIGHT:
                    self._released.popitem(last=False)
                if len(hold.flows) > 1:
                    self._sent_answers.setdefault(hold.hold_id, _loop_future())
                    self._senders[flow.id] = hold.hold_id
                return  # the request goes upstream now, once
            self._in_flight.pop(flow.id, None)
            await self._answer_like_the_sender(flow, state, judged, hold)
            return
        self._in_flight.pop(flow.id, None)
        if outcome == "edit" and hold.decided_on_page and hold.own:
            # The banner showed the findings; the site's own message says the rest in one line.
            self._answer_not_sent(flow, judged, hold.verdict, HELD_MESSAGE)
            return
        why = {"edit": "edit", "timeout": "timeout", "gone": "gone"}.get(outcome, "shutdown")
        self._answer_not_sent(flow, judged, hold.verdict,
                              refusal.reason(hold.verdict, why, timeout=state.hold_timeout_s))

    def _refuse(self, flow: http.HTTPFlow, state: ProxyState, judged: Judged,
                verdict: dict[str, Any], channel: str, why: str) -> None:
        """No page can show this hold (a script, a bot, a closed tab), or too many wait already:
        answer at once with the site's failure response and the findings, like a linter failing
        a build."""
        self._in_flight.pop(flow.id, None)
        text = refusal.reason(verdict, why, origin=channel or flow.request.host)
        self._answer_not_sent(flow, judged, verdict, text)
        if state.tally:
            with state.failsafe.guard("tally"):
                state.tally.held(judged.platform)
        codes = " ".join(f["code"] for f in verdict.get("findings", [])) or "-"
        hold_log.info("pullcheck: refused %s %s (%s) %s: %s", judged.platform,
                      judged.draft.kind, verdict.get("level"), codes,
                      f"no pullcheck page of {channel or flow.request.host} is open"
                      if why == "no-page" else "too many posts are held already")

    def _answer_not_sent(self, flow: http.HTTPFlow, judged: Judged, verdict: dict[str, Any],
                         text: str) -> None:
        failure = judged.compose.failure
        answer = refusal.with_reason(failure.status, failure.headers, failure.body, text)
        flow.response = http.Response.make(answer.status, answer.body, answer.headers)
        flow.metadata[ANSWERED_BY_PULLCHECK] = True

    async def _answer_like_the_sender(self, flow: http.HTTPFlow, state: ProxyState,
                                      judged: Judged, hold: Hold) -> None:
        """A joined retry of a post that was sent once: it gets the site's answer to that one
        send (so the client sees what really happened), never a second send."""
        answer = self._sent_answers.setdefault(hold.hold_id, _loop_future())
        try:
            sent = await asyncio.wait_for(asyncio.shield(answer), SENT_ANSWER_WAIT_S)
        except TimeoutError:
            sent = None
        finally:
            if not any(self._senders.get(f) == hold.hold_id for f in hold.flows):
                self._sent_answers.pop(hold.hold_id, None)
        if sent is not None:
            flow.response = sent.copy()
            flow.metadata[ANSWERED_BY_PULLCHECK] = True
            return
        self._answer_not_sent(flow, judged, hold.verdict,
                              refusal.reason(hold.verdict, "duplicate"))

    def _sender_answered(self, flow: http.HTTPFlow) -> None:
        hold_id = self._senders.pop(flow.id, None)
        if hold_id is None:
            return
        answer = self._sent_answers.get(hold_id)
        if answer is not None and not answer.done():
            answer.set_result(flow.response.copy() if flow.response is not None else None)

    def client_disconnected(self, client: Any) -> None:
        # mitmproxy 11 keeps a request hook that awaits running when its client goes away and
        # only reports `error` ("Client disconnected.") once the hook returns; so a hold learns
        # here that nobody is left to receive its answer. (Tried with HTTP/1.1 clients. An
        # HTTP/2 client that resets one stream but keeps its connection is not seen here: the
        # layer queues that event until the hook returns.)
        state = self.state
        if state is None or not self._waiting:
            return
        for flow_id, client_id in list(self._waiting.items()):
            if client_id == client.id:
                ended = state.holds.flow_gone(flow_id)
                if ended is not None:
                    hold_log.info("pullcheck: hold %s: the client disconnected; nothing was sent",
                                  ended.hold_id)

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
        if self._released:
            self._released.pop(flow.id, None)
        if self._senders:
            self._sender_answered(flow)
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
                if judged.may_store and site_accepted(response, content_type):
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
            if not may_teach(state, req.scheme, host, req.port, adapter.name):
                return  # a host nobody configured and no page of it open: it teaches nothing
            wire = wire_response(flow, state.max_body)
            if wire is None:
                return
            harvest = adapter.harvest(wire)
            if harvest:
                self._remember(state, adapter.name, harvest, req)

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
        released = self._released.pop(flow.id, None) if self._released else None
        if released is not None:
            # An HTTP/2 client that reset its stream during the hold (its connection stayed
            # open, so no disconnect was seen): mitmproxy reports it only now, and sends nothing.
            hold_log.info("pullcheck: hold %s: the client had gone (%s); nothing was sent",
                          released, flow.error)
        if self._senders:
            self._sender_answered(flow)

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
            if not may_teach(state, req.scheme, req.host.lower(), req.port, adapter.name):
                return
            harvest = adapter.harvest_websocket(message.content.decode("utf-8", "replace"))
            if harvest:
                self._remember(state, adapter.name, harvest, req)

    @staticmethod
    def _remember(state: ProxyState, platform: str, harvest: Any, req: http.Request) -> None:
        """What a read response of a host that may teach showed: into memory under that host's
        scope, and its posts to the opportunity spotter."""
        scope = scope_of(state.route, platform, req.host.lower(), req.port)
        state.memory.remember(platform, harvest, scope=scope)
        if state.tally:
            state.tally.harvested(platform, harvest.posts, state.config.offer, state.feed,
                                  page_origin(req))


def _client_ip(flow: http.HTTPFlow) -> str | None:
    peer = flow.client_conn.peername
    return str(peer[0]) if peer else None


def _what(hold: Hold) -> str:
    post = hold.post
    return f"{post.platform} {post.kind}" if post is not None else hold.hold_id


def _one_line(text: str, limit: int = 80) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _loop_future() -> asyncio.Future[Any]:
    return asyncio.get_running_loop().create_future()


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
