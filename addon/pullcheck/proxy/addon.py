"""The pullcheck mitmproxy add-on: a thin router from mitmproxy's hooks to pullcheck's parts.

    mitmdump -s "$(python3 -c 'import pullcheck.proxy.addon as m; print(m.__file__)')"

(or `pullcheck run`, which starts mitmproxy with this add-on in-process).

- `request`: `/__pullcheck__/...` on a configured site origin -> the banner's control endpoints
  (answered by the proxy, never forwarded); on any other origin -> an empty 404 from the proxy,
  never forwarded either. A compose request (POST/PUT/PATCH on a watched site) goes to
  `JudgeFlow` (site adapter -> memory -> engine -> verdict feed, within a time budget). In hold
  mode a verdict at or above `hold_at` goes to `HoldFlow` and waits for "send" (the request then
  goes upstream, once) or "edit"/timeout (the page gets the site's own failure response; nothing
  is sent).
- `response`: a compose request the site accepted (2xx, and no GraphQL `errors` refusal) enters
  the sent log; read responses of watched sites feed the memory (both `harvest_flow`); HTML
  pages of configured sites get the banner (injector).
- `websocket_message`: Mastodon's streaming API feeds the memory (`harvest_flow`).

Everything but mitmproxy itself runs inside `FailSafe.guard`: an error leaves the flow as it was,
is counted and logged once per cause. Flows of other hosts return after one dict lookup.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import NamedTuple, Optional, Protocol

from mitmproxy import command, connection, ctx, exceptions, http
from mitmproxy.addonmanager import Loader
from mitmproxy.optmanager import OptManager

# Loaded by path (`mitmdump -s .../addon.py`), this file is the module `__mitmproxy_script__.addon`;
# the absolute imports below still resolve to the installed `pullcheck` package.
from pullcheck.config import ConfigError
from pullcheck.places import data_dir, default_config_path
from pullcheck.proxy import control, dashboard_route, harvest_flow, inject
from pullcheck.proxy.control_socket import ControlSocket
from pullcheck.proxy.failsafe import ResponseSnapshot
from pullcheck.proxy.hold_flow import HoldFlow, HoldRequest
from pullcheck.proxy.holds import ENDED_MESSAGES
from pullcheck.proxy.judge_flow import JudgeFlow
from pullcheck.proxy.state import Overrides, ProxyState
from pullcheck.terminal import printable

logger = logging.getLogger("pullcheck")
# Holds and decisions: `pullcheck run` shows this logger's INFO lines on the terminal.
hold_log = logging.getLogger("pullcheck.holds")

CONTROL_PREFIX = "/__pullcheck__/"
MODES = ("off", "warn", "hold")
COMPOSE_METHODS = frozenset({"POST", "PUT", "PATCH"})
DEFAULT_MAX_BODY = 4 * 1024 * 1024
CONFIG_POLL_S = 1.0
# flow.metadata key: the proxy answered this flow itself (control endpoint, held post's failure).
ANSWERED_BY_PULLCHECK = "pullcheck_answered"
# On shutdown, held clients get their "not sent" answer; this long at most is given for it.
SHUTDOWN_ANSWER_S = 2.0


class BannerInjector(Protocol):
    """What puts the banner into a page (`pullcheck.proxy.inject`; tests swap in their own)."""

    def inject_banner(self, flow: http.HTTPFlow, state: ProxyState) -> None: ...


class Spec(NamedTuple):
    """The add-on's options, parsed and checked once in `configure`."""

    config_path: Path
    config_explicit: bool
    mode: str | None
    hold_timeout_s: float | None
    max_body: int
    data_dir: Path


def parse_spec(options: OptManager) -> Spec:
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
        self._watch_task: asyncio.Task[None] | None = None
        self._control_socket: ControlSocket | None = None
        # Judging compose requests (worker threads, a time budget) and holding flagged ones:
        # plain services; the hooks below hand them the request.
        self.judge_flow = JudgeFlow()
        self.hold_flow = HoldFlow()
        # The injector, as a seam: tests of harvesting swap it out (None: pages are left alone).
        self.injector: BannerInjector | None = inject

    # -- options ---------------------------------------------------------------------------

    def load(self, loader: Loader) -> None:
        loader.add_option(
            "pullcheck_config",
            str,
            "",
            "pullcheck's YAML config file. Empty: $PULLCHECK_CONFIG or "
            "$XDG_CONFIG_HOME/pullcheck/config.yaml (the defaults when it does not exist).",
        )
        loader.add_option(
            "pullcheck_mode",
            str,
            "",
            "Override the config's mode: off, warn (judge and show) or hold (hold flagged "
            "posts until Send anyway / Edit). Empty: the config's mode.",
        )
        loader.add_option(
            # mitmproxy compares option types with Optional[int]; keep that spelling.
            "pullcheck_hold_timeout",
            # typeshed says `type`; mitmproxy's own options use typing forms like this one.
            Optional[int],  # type: ignore[arg-type]  # noqa: UP045
            None,
            "Seconds a held post waits for a decision before it counts as Edit (not sent). "
            "Unset: the config's hold_timeout_s (120).",
        )
        loader.add_option(
            "pullcheck_max_body",
            int,
            DEFAULT_MAX_BODY,
            "Bodies larger than this many bytes (on the wire or decoded) are not analysed; "
            "the flow passes through untouched.",
        )
        loader.add_option(
            "pullcheck_data_dir",
            str,
            "",
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
            logger.info(
                "pullcheck active: mode %s; watching %s; config %s",
                state.mode,
                state.route.describe() or "no sites",
                state.config_path,
            )

    def done(self) -> Awaitable[None] | None:
        """Stop: end pending holds (their clients get the site's failure response, not a dropped
        connection) and close the stores. With held clients still to answer, the rest runs as
        an awaitable that mitmproxy's async `done` awaits (sync callers see no change)."""
        self.judge_flow.close()  # fresh workers after: mitmproxy may load the add-on again
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
        while self.hold_flow.waiting and loop.time() < deadline:
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
            lines.append(
                printable(
                    f"{hold.hold_id} {hold.origin or '-'} {hold.level} "
                    f"{shown.get('platform')}/{shown.get('kind')} {','.join(hold.codes)} "
                    f"{'' if hold.own else 'from ' + (hold.from_origin or 'no origin') + ' '}"
                    f"{shown['age_s']:.0f}s: {_one_line(shown.get('text', ''))}"
                )
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
        judged = await self.judge_flow.judge(req, state, adapter)
        if judged is None:
            return
        self.judge_flow.remember(flow.id, judged)
        if state.should_hold(judged.verdict.level):
            # A failure while holding sends the post on unheld, logged once, like any other.
            with state.failsafe.guard("hold"):
                answer = await self.hold_flow.hold(HoldRequest.of(flow), state, judged)
                if answer is not None:  # not sent: the client gets this instead of the site's
                    self.judge_flow.take(flow.id)
                    flow.response = answer
                    flow.metadata[ANSWERED_BY_PULLCHECK] = True

    def client_disconnected(self, client: connection.Client) -> None:
        # mitmproxy 11 keeps a request hook that awaits running when its client goes away and
        # only reports `error` ("Client disconnected.") once the hook returns; so a hold learns
        # here that nobody is left to receive its answer. (Tried with HTTP/1.1 clients. An
        # HTTP/2 client that resets one stream but keeps its connection is not seen here: the
        # layer queues that event until the hook returns.)
        state = self.state
        if state is None or not self.hold_flow.waiting:
            return
        self.hold_flow.client_gone(client.id, state)

    async def _answer_control(self, flow: http.HTTPFlow, state: ProxyState) -> None:
        flow.metadata[ANSWERED_BY_PULLCHECK] = True
        try:
            await control.handle(flow, state)
        except Exception as error:
            state.failsafe.record("control", error)
            flow.response = None
        if flow.response is None:
            # Never forward a control request (it carries the page token) to the site.
            flow.response = http.Response.make(
                500,
                b'{"error":"pullcheck control endpoint failed"}',
                {"content-type": "application/json", "cache-control": "no-store"},
            )

    def response(self, flow: http.HTTPFlow) -> None:
        self.hold_flow.answered(flow.id, flow.response)
        judged = self.judge_flow.take(flow.id)
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
            harvest_flow.record_if_accepted(state, judged, response, content_type)
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
        injector = self.injector
        if (
            "text/html" in content_type
            and injector is not None
            and state.route.is_configured_origin(host, req.port)
        ):
            _inject_banner(injector, flow, state)
        if judged is None and harvest_flow.worth_reading(response, content_type):
            harvest_flow.learn_from_response(flow, state, adapter)

    def error(self, flow: http.HTTPFlow) -> None:
        # The request never got an answer: it did not go out as far as we know.
        self.judge_flow.take(flow.id)
        self.hold_flow.failed(flow.id, flow.response, flow.error)

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
        harvest_flow.learn_from_message(
            req, message.content.decode("utf-8", "replace"), state, adapter
        )


def _one_line(text: str, limit: int = 80) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _inject_banner(injector: BannerInjector, flow: http.HTTPFlow, state: ProxyState) -> None:
    assert flow.response is not None
    snapshot = ResponseSnapshot(flow.response)
    try:
        injector.inject_banner(flow, state)
    except Exception as error:
        snapshot.restore()
        state.failsafe.record("inject", error)


def _answer_not_ours(flow: http.HTTPFlow) -> None:
    """`/__pullcheck__/...` on an origin without the banner: a plain 404 from the proxy. Never
    forwarded, so a site cannot learn from its own logs that its visitor runs pullcheck, nor
    collect whatever a page put in such a URL (a token copied from another origin)."""
    flow.metadata[ANSWERED_BY_PULLCHECK] = True
    flow.response = http.Response.make(404, b"", {"cache-control": "no-store"})


addons = [PullcheckAddon()]
