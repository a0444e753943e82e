"""What the add-on counts for "your numbers", and where it spots pull opportunities.

The add-on's hooks call one method per event; this object turns it into counts in the
`StatsStore` (no text) and, for harvested timelines, into opportunities (`OpportunityLog`).
Nothing here may break a flow: every method swallows and logs its own errors once, because a
full disk must not stop a post from going out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pullcheck.features import asks_for_help
from pullcheck.models import severity_rank
from pullcheck.opportunities import OfferMatcher, Opportunity, OpportunityLog, spot
from pullcheck.stats import StatsStore

logger = logging.getLogger("pullcheck")

OUTCOME_EVENTS = {"send": "sent_anyway", "edit": "edited", "timeout": "timed_out"}
WARNING = severity_rank("warning")
MAX_PUBLISHED = 10


class ProxyTally:
    def __init__(self, stats: StatsStore, opportunities: OpportunityLog) -> None:
        self.stats = stats
        self.opportunities = opportunities
        self._matcher = OfferMatcher([])
        self._offer: tuple[str, ...] = ()
        self._failed: set[str] = set()

    @classmethod
    def in_data_dir(cls, folder: Path) -> ProxyTally:
        return cls(StatsStore.in_data_dir(folder), OpportunityLog.in_data_dir(folder))

    # -- drafts and holds ------------------------------------------------------------------

    def judged(self, platform: str, verdict: Any) -> None:
        """A compose request was judged (the wire is the source of truth, not live checks)."""
        try:
            with self.stats.together():  # one commit for both counts
                self.stats.count("draft_checked", platform,
                                 rules=[finding.code for finding in verdict.findings],
                                 names={f.code: f.name for f in verdict.findings})
                if severity_rank(verdict.level) >= WARNING:
                    self.stats.count("warning_shown", platform)
        except Exception as error:  # noqa: BLE001 - counting must never hold up a post
            self._log_once("judged", error)

    def held(self, platform: str) -> None:
        self._count("hold", platform)

    def decided(self, platform: str, outcome: str) -> None:
        """A held post's outcome: "send", "edit" or "timeout"."""
        event = OUTCOME_EVENTS.get(outcome)
        if event is not None:
            self._count(event, platform)

    def notpush(self, platform: str) -> None:
        self._count("notpush", platform)

    # -- opportunities ---------------------------------------------------------------------

    def harvested(self, platform: str, posts: Iterable[Any], offer: list[str],
                  feed: Any = None, origin: str | None = None) -> list[Opportunity]:
        """Posts read from a timeline: the opportunities among them. New ones are counted and
        logged once; every one found is published to the page's feed (an "opportunity" event,
        without the text), so the banner can badge it again after a reload."""
        try:
            if tuple(offer) != self._offer:
                self._offer, self._matcher = tuple(offer), OfferMatcher(offer)
            if not self._matcher:
                return []
            found = spot(posts, self._matcher, asks_for_help)
            new = [o for o in found if self.opportunities.add(o)]
            if new:
                self.stats.count("opportunity", platform, amount=len(new))
            if feed is not None and origin:
                # A few per response: a burst must not push verdicts out of the page's feed.
                for opportunity in found[:MAX_PUBLISHED]:
                    feed.publish(origin, {"type": "opportunity", **opportunity.public()})
            return found
        except Exception as error:  # noqa: BLE001 - a timeline must reach the page regardless
            self._log_once("harvested", error)
            return []

    def close(self) -> None:
        self.stats.close()
        self.opportunities.close()

    def _count(self, event: str, platform: str) -> None:
        try:
            self.stats.count(event, platform)
        except Exception as error:  # noqa: BLE001 - see `judged`
            self._log_once(event, error)

    def _log_once(self, where: str, error: Exception) -> None:
        if where not in self._failed:
            self._failed.add(where)
            logger.warning("pullcheck stats: %s failed: %r (further errors not logged)",
                           where, error)
