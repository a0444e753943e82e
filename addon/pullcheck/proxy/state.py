"""Everything the add-on's hooks share: config, engine, memory, sent log, holds, feed, errors.

One `ProxyState` lives as long as the proxy. It owns the `ConfigWatcher` (which keeps the last
good config and its engine); a good edit swaps the config, the engine and the site route
(`apply_config`), while the memory, the sent log, the holds and the feed carry over. The engine
records into the SQLite sent log, so the link-blast rule sees sends from before a restart.

The control endpoints and the injector (the banner's side) receive this object too; what they
may use: `config`, `engine`, `memory`, `holds`, `feed`, `pages`, `route`, `mode`, `failsafe`.
The audit log (`audit_log`) is the only writer of draft text, and only when the config asks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pullcheck.auditlog import AuditLog
from pullcheck.config import Config, ConfigError
from pullcheck.config_summary import error_line
from pullcheck.config_watch import ConfigWatcher
from pullcheck.engine import Engine, Judgement
from pullcheck.localdb import PRIVATE_FILE, tighten
from pullcheck.memory import Memory
from pullcheck.models import Draft, severity_rank
from pullcheck.proxy.failsafe import FailSafe
from pullcheck.proxy.feed import VerdictFeed
from pullcheck.proxy.holds import Hold, HoldRegistry
from pullcheck.proxy.notpush_endpoint import new_rate_limit
from pullcheck.proxy.pages import PageTokens
from pullcheck.proxy.sentrecorder import SentRecorder
from pullcheck.proxy.siteroute import SiteRoute
from pullcheck.proxy.tally import ProxyTally
from pullcheck.proxy.trust import RateLimit, UntrustedWrites
from pullcheck.sentlog import SqliteSentLog

logger = logging.getLogger("pullcheck")
hold_log = logging.getLogger("pullcheck.holds")
OUTCOME_WORDS = {
    "send": "Send anyway: the post goes to the site once",
    "edit": "Edit: not sent",
    "timeout": "no decision in time: not sent",
    "gone": "the client disconnected; nothing was sent",
    "shutdown": "the proxy stopped: not sent",
}
MAX_RETENTION_DAYS = 3650  # the config's own upper bound for sent_log.retention_days


@dataclass
class Overrides:
    """Settings given as mitmproxy options; they win over the config file."""

    mode: str | None = None
    hold_timeout_s: float | None = None


@dataclass
class ProxyState:
    config: Config
    engine: Engine
    memory: Memory
    sent_log: SqliteSentLog
    route: SiteRoute
    watcher: ConfigWatcher
    data_dir: Path
    max_body: int
    overrides: Overrides = field(default_factory=Overrides)
    feed: VerdictFeed = field(default_factory=VerdictFeed)
    failsafe: FailSafe = field(default_factory=FailSafe)
    holds: HoldRegistry = field(default_factory=HoldRegistry)
    # The banner's per-page tokens (issued by the injector, checked by the control endpoints).
    pages: PageTokens = field(default_factory=PageTokens)
    # Made from the failsafe after init: the background writer of the sent log and the counts.
    recorder: SentRecorder = field(init=False)
    # Counts for the dashboard and pull opportunities (pullcheck.proxy.tally; no draft text).
    tally: ProxyTally | None = None
    # The opt-in audit log (draft text on disk), None unless the config turns it on.
    audit_log: AuditLog | None = None
    # How often compose requests to hosts nobody configured may write to the stores.
    untrusted_writes: UntrustedWrites = field(default_factory=UntrustedWrites)
    # How often a page may add to the "Not push" list (per page origin).
    notpush_rate: RateLimit = field(default_factory=new_rate_limit)
    verdicts_judged: int = 0

    def __post_init__(self) -> None:
        self.recorder = SentRecorder(self.failsafe)
        self.holds.on_resolved = self._hold_resolved
        self.holds.timeout_s = self.hold_timeout_s
        self.audit_log = AuditLog.from_config(self.config, self.data_dir)

    @classmethod
    def open(
        cls,
        config_path: Path,
        data_dir: Path,
        max_body: int,
        overrides: Overrides | None = None,
        missing_ok: bool = True,
    ) -> ProxyState:
        """Load the config (raises ConfigError: there is no last good one yet) and open the
        sent log in `data_dir`. A missing config file means the defaults when `missing_ok`."""
        # The retention window is in the config, read below: open without pruning first.
        sent_log = SqliteSentLog.in_data_dir(data_dir, retention_days=MAX_RETENTION_DAYS)
        # The watcher exists before the state it updates: forward its news once both exist.
        opened: list[ProxyState] = []

        def on_change(config: Config, engine: Engine) -> None:
            if opened:
                opened[0].apply_config(config, engine)
                opened[0].announce_config()

        def on_error(error: ConfigError) -> None:
            if opened:
                opened[0].announce_config()

        try:
            watcher = ConfigWatcher(
                config_path,
                on_change=on_change,
                on_error=on_error,
                history=sent_log,
                missing_ok=missing_ok,
                data_folder=data_dir,
            )
        except BaseException:
            sent_log.close()
            raise
        config = watcher.current
        # It names people the user writes to: private, even if it was made wider by hand.
        tighten(config.notpush_path(), PRIVATE_FILE)
        sent_log.retention_days = config.sent_log.retention_days
        sent_log.prune()
        state = cls(
            config=config,
            engine=watcher.engine,
            memory=Memory(),
            sent_log=sent_log,
            route=SiteRoute(config.sites),
            watcher=watcher,
            data_dir=data_dir,
            max_body=max_body,
            overrides=overrides or Overrides(),
        )
        opened.append(state)
        state.tally = ProxyTally.in_data_dir(data_dir)
        return state

    @property
    def config_path(self) -> Path:
        return self.watcher.path

    @property
    def mode(self) -> str:
        return self.overrides.mode or self.config.mode

    @property
    def hold_at(self) -> str:
        return self.config.hold_at

    @property
    def hold_timeout_s(self) -> float:
        if self.overrides.hold_timeout_s is not None:
            return self.overrides.hold_timeout_s
        return float(self.config.hold_timeout_s)

    def should_hold(self, level: str) -> bool:
        return self.mode == "hold" and severity_rank(level) >= severity_rank(self.hold_at)

    def apply_config(self, config: Config, engine: Engine) -> None:
        """Swap in a new config and its engine (the watcher validated and built them)."""
        route = SiteRoute(config.sites)
        self.sent_log.retention_days = config.sent_log.retention_days
        self.config, self.engine, self.route = config, engine, route
        self.holds.timeout_s = self.hold_timeout_s
        self.audit_log = AuditLog.from_config(config, self.data_dir)

    def set_overrides(self, overrides: Overrides) -> None:
        self.overrides = overrides
        self.holds.timeout_s = self.hold_timeout_s

    def announce_config(self) -> None:
        """Tell every open banner at once whether the config on disk is in service: a rejected
        edit shows in the panel as one line (`config_error`), and goes when a good edit lands."""
        error = self.watcher.error
        line = error_line(error) if error is not None else None
        self.feed.publish_everywhere({"type": "config", "config_error": line})

    def _hold_resolved(self, hold: Hold) -> None:
        """A hold ended (decided, timed out, its client gone, the proxy stopping): tell its page,
        count it now (not when its flow wakes up, which a stopping proxy may never see) and
        say so on the terminal."""
        if hold.origin:
            self.feed.publish(
                hold.origin,
                {"type": "hold_resolved", "hold_id": hold.hold_id, "decision": hold.outcome},
            )
        if self.tally is not None and hold.outcome is not None:
            platform = hold.post.platform if hold.post else str(hold.summary.get("platform"))
            with self.failsafe.guard("tally"):
                self.tally.decided(platform, hold.outcome)
        hold_log.info(
            "pullcheck: hold %s: %s",
            hold.hold_id,
            OUTCOME_WORDS.get(str(hold.outcome), str(hold.outcome)),
        )

    def record_sent(self, draft: Draft, judged: Judgement | None = None) -> None:
        """A compose request went out and the site accepted it: log it (in the background).
        `judged`: the current engine's `judge_fully` result for this draft, whose features and
        signature the engine then reuses."""
        self.recorder.record(self.engine, draft, judged)

    def later(self, stage: str, job: Callable[[], object]) -> None:
        """A disk write that need not hold up the flow (runs in order on one thread)."""
        self.recorder.later(stage, job)

    def close(self) -> None:
        self.holds.settle_all("shutdown")
        self.recorder.close()
        self.sent_log.close()
        if self.tally is not None:
            self.tally.close()
