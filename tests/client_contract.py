"""What every client library must see when pullcheck holds its flagged reply or DM.

Each `tests/test_clients_LIBRARY.py` subclasses `HeldReplyContract` as `TestHeldReply`, names its
driver, the action and target of a flagged reply, the recipient of a DM, the paths they go to and
the exception the library raises for a failure answer, and provides a module-scoped `rig` fixture
(a `ClientRig`; its config says `holds: {without_page: wait}`: nobody has a page open).
Holds are decided in-process, the way the banner or `pullcheck.decide` would.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import pytest
from client_harness import HELD_REASON, ClientRig
from mitmproxy.exceptions import CommandError

# Replying to a stranger's post with an offer, a discount and a link: PP201 and friends, warning.
PITCH = (
    "Hi! We offer SEO audits for small shops at 50% off this week, check out "
    "https://acme-seo.example and DM me"
)
# How long a held request is watched for leaking to the site before anyone decides.
HELD_WATCH_S = 0.5


def assert_names_a_finding(error: str, hold: Any) -> None:
    """The library's error says why: at least one of the hold's findings, by code."""
    codes = [finding["code"] for finding in hold.verdict["findings"]]
    assert any(code in error for code in codes), f"no finding of {codes} in {error!r}"


class HeldReplyContract:
    driver: ClassVar[str]
    action: ClassVar[str]  # the library's reply action ("reply", or "comment" on Reddit)
    target: ClassVar[str]  # what it answers
    path: ClassVar[str]  # where the library sends it (on the site's real host)
    # What the pullcheck add-on calls the draft.
    platform: ClassVar[str]
    kind: ClassVar[str] = "reply"
    # The direct message: the library's action, whom it goes to and where it is sent.
    dm_action: ClassVar[str] = "dm"
    dm_recipient: ClassVar[str]
    dm_path: ClassVar[str]
    # The exception the library raises for pullcheck's failure answer ("module.Class").
    edit_error_types: ClassVar[tuple[str, ...]]

    def start_pitch(self, rig: ClientRig, tag: str) -> Any:
        """The pitch, told apart from the other tests' by `tag` (one word: it survives
        form and JSON encoding unchanged)."""
        return rig.start(self.driver, self.action, f"{PITCH} ref {tag}", target=self.target)

    def test_a_flagged_reply_is_held_and_nothing_reaches_the_site(self, rig: ClientRig) -> None:
        before = len(rig.received("POST", self.path))
        process = self.start_pitch(rig, "held")
        hold = rig.wait_for_hold(process)
        time.sleep(HELD_WATCH_S)
        assert process.poll() is None, "the library stopped waiting while the reply was held"
        assert len(rig.received("POST", self.path)) == before
        assert hold.summary["platform"] == self.platform
        assert hold.summary["kind"] == self.kind
        assert hold.verdict["level"] in ("warning", "error")
        rig.addon.decide(hold.hold_id, "edit")
        rig.finish(process)

    def test_edit_makes_the_library_raise_the_reason(self, rig: ClientRig) -> None:
        before = len(rig.received("POST", self.path))
        process = self.start_pitch(rig, "edited")
        hold = rig.wait_for_hold(process)
        rig.addon.decide(hold.hold_id, "edit")
        outcome = rig.finish(process)
        assert not outcome.ok, f"the library reported success: {outcome.result}"
        assert outcome["error_type"] in self.edit_error_types, outcome.result
        assert HELD_REASON in outcome["error"]
        assert_names_a_finding(outcome["error"], hold)
        assert len(rig.received("POST", self.path)) == before
        assert rig.holds() == []

    def test_a_flagged_dm_is_held_and_edit_makes_the_library_raise_the_reason(
        self, rig: ClientRig
    ) -> None:
        before = len(rig.received("POST", self.dm_path))
        process = rig.start(
            self.driver, self.dm_action, f"{PITCH} ref colddm", recipient=self.dm_recipient
        )
        hold = rig.wait_for_hold(process)
        assert (hold.summary["platform"], hold.summary["kind"]) == (self.platform, "dm")
        rig.addon.decide(hold.hold_id, "edit")
        outcome = rig.finish(process)
        assert not outcome.ok, f"the library reported success: {outcome.result}"
        assert outcome["error_type"] in self.edit_error_types, outcome.result
        assert HELD_REASON in outcome["error"]
        assert_names_a_finding(outcome["error"], hold)
        assert len(rig.received("POST", self.dm_path)) == before

    def test_send_delivers_the_reply_once_byte_identical(self, rig: ClientRig) -> None:
        before = len(rig.received("POST", self.path))
        process = self.start_pitch(rig, "sentanyway")
        hold = rig.wait_for_hold(process)
        rig.addon.decide(hold.hold_id, "send")
        outcome = rig.finish(process)
        assert outcome.ok, outcome.result
        arrived = [r.body for r in rig.received("POST", self.path)[before:]]
        assert len(arrived) == 1
        sent_by_client = [b for b in rig.tap.to("POST", self.path) if b"sentanyway" in b]
        assert arrived == sent_by_client
        with pytest.raises(CommandError):  # decided once: a second "send" is refused
            rig.addon.decide(hold.hold_id, "send")

    def test_a_client_that_disconnects_leaves_no_hold(self, rig: ClientRig) -> None:
        before = len(rig.received("POST", self.path))
        process = self.start_pitch(rig, "abandoned")
        try:
            rig.wait_for_hold(process)
            process.kill()
            process.communicate(timeout=10)
            left = rig.wait_until_no_hold(timeout_s=10)
            assert left == [], "the hold outlived its client"
            assert len(rig.received("POST", self.path)) == before
        finally:
            for hold in rig.holds():  # keep the module's proxy clean for the other tests
                rig.addon.decide(hold.hold_id, "edit")
