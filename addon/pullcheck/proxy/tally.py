"""What the add-on counts for "your numbers", and where it spots pull opportunities.

The add-on's hooks call one method per event; this object turns it into counts in the
`StatsStore` (no text) and, for harvested timelines, into opportunities (`OpportunityLog`).

Drafts are counted once each, whether the banner checked them while they were typed, they were
sent, or both (`LiveDrafts` tells which checks and sends are one draft): "drafts checked" counts
drafts, "warnings shown" the drafts whose verdict reached a warning at some point (while typing
or at send), and each rule counts once per draft it fired in.
Nothing here may break a flow: every method swallows and logs its own errors once, because a
full disk must not stop a post from going out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pullcheck.builtin_ask import asks_for_help
from pullcheck.models import severity_rank
from pullcheck.opportunities import OfferMatcher, Opportunity, OpportunityLog, spot
from pullcheck.proxy.live_drafts import LiveDrafts, News
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
        self.drafts = LiveDrafts()

    @classmethod
    def in_data_dir(cls, folder: Path) -> ProxyTally:
        return cls(StatsStore.in_data_dir(folder), OpportunityLog.in_data_dir(folder))

    # -- drafts and holds ------------------------------------------------------------------

    def judged(
        self, platform: str, verdict: Any, origin: str | None = None, text: str = ""
    ) -> None:
        """A compose request from a page at `origin` was judged on the wire (a send)."""
        try:
            news = self.drafts.sent(origin, text, _codes(verdict), _warns(verdict))
            self._add(platform, verdict, news)
        except Exception as error:
            self._log_once("judged", error)

    def checked_live(self, page: str, origin: str, platform: str, text: str, verdict: Any) -> None:
        """The banner asked for a verdict on the draft being typed on `page` (its token)."""
        try:
            news = self.drafts.checked(page, origin, text, _codes(verdict), _warns(verdict))
            self._add(platform, verdict, news)
        except Exception as error:
            self._log_once("checked_live", error)

    def _add(self, platform: str, verdict: Any, news: News) -> None:
        if not (news.new_draft or news.new_rules or news.first_warning):
            return  # the common case: one more pause in a draft already counted
        names = {f.code: f.name for f in verdict.findings if f.code in news.new_rules}
        with self.stats.together():  # one commit for the counts of one draft
            if news.new_draft or news.new_rules:
                self.stats.count(
                    "draft_checked",
                    platform,
                    rules=news.new_rules,
                    names=names,
                    whole=news.new_draft,
                )
            if news.first_warning:
                self.stats.count("warning_shown", platform)

    def held(self, platform: str) -> None:
        self._count("hold", platform)

    def refused(self, platform: str) -> None:
        """A flagged post answered at once with the site's failure: nobody was asked."""
        self._count("refused", platform)

    def decided(self, platform: str, outcome: str) -> None:
        """A held post's outcome: "send", "edit" or "timeout"."""
        event = OUTCOME_EVENTS.get(outcome)
        if event is not None:
            self._count(event, platform)

    def notpush(self, platform: str) -> None:
        self._count("notpush", platform)

    # -- opportunities ---------------------------------------------------------------------

    def harvested(
        self,
        platform: str,
        posts: Iterable[Any],
        offer: list[str],
        feed: Any = None,
        origin: str | None = None,
    ) -> list[Opportunity]:
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
        except Exception as error:
            self._log_once("harvested", error)
            return []

    def close(self) -> None:
        self.stats.close()
        self.opportunities.close()

    def _count(self, event: str, platform: str) -> None:
        try:
            self.stats.count(event, platform)
        except Exception as error:
            self._log_once(event, error)

    def _log_once(self, where: str, error: Exception) -> None:
        if where not in self._failed:
            self._failed.add(where)
            logger.warning(
                "pullcheck stats: %s failed: %r (further errors not logged)", where, error
            )


def _codes(verdict: Any) -> list[str]:
    return [finding.code for finding in verdict.findings]


def _warns(verdict: Any) -> bool:
    return severity_rank(verdict.level) >= WARNING
