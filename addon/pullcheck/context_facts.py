"""The situation of a draft written as facts, the way a corpus row or `pullcheck check --context`
states what the proxy would know: `new follower; no prior conversation; writer is @acme`.

The vocabulary is `../shared/corpora/README.md`'s: new follower, new connection, no prior
conversation, prior conversation, they wrote first, stranger's conversation, own thread, own
profile, writer is @HANDLE, parent addressed @HANDLE, sent to N people, r/SUBREDDIT. Facts are
separated by `;`; words outside the vocabulary are kept as free context and change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HANDLE = r"@?([\w.@-]+)"
WRITER = re.compile(r"writer is " + HANDLE, re.IGNORECASE)
ADDRESSED = re.compile(r"parent addressed " + HANDLE, re.IGNORECASE)
SENT_TO = re.compile(r"sent to (\d{1,6}) (?:people|persons|recipients)", re.IGNORECASE)
# "they wrote first", also as a sentence ("a customer who wrote to it first").
WROTE_FIRST = re.compile(r"\bwrote (?:to (?:it|us|you|them|me) )?first\b", re.IGNORECASE)
# Who the writer is, when the facts say only that the parent was written to them.
YOU = "you"


@dataclass
class Facts:
    """What the facts say; None where they say nothing."""

    new_follower: bool | None = None
    prior_conversation: bool | None = None
    they_wrote_first: bool = False
    writer: str | None = None
    addressed: list[str] = field(default_factory=list)
    # How many people got the same message today, this one included.
    sent_to: int | None = None


def read_facts(context: str) -> Facts:
    """The facts in a context string; unknown wording is ignored, never an error."""
    facts = Facts()
    for raw in (context or "").split(";"):
        fact = " ".join(raw.split()).lower().replace("’", "'")
        if not fact:
            continue
        if fact in ("new follower", "new connection"):
            facts.new_follower = True
        elif fact == "no prior conversation":
            facts.prior_conversation = False
        elif fact == "prior conversation":
            facts.prior_conversation = True
        elif WROTE_FIRST.search(fact):
            # They opened the conversation: whatever comes back answers them.
            facts.they_wrote_first = True
            facts.prior_conversation = True
        elif match := WRITER.fullmatch(fact):
            facts.writer = match.group(1).lower()
        elif match := ADDRESSED.fullmatch(fact):
            facts.addressed.append(match.group(1).lower())
        elif match := SENT_TO.fullmatch(fact):
            facts.sent_to = int(match.group(1))
    if facts.they_wrote_first:
        # A reply to someone who wrote to the writer first answers its own customer: the
        # parent addressed the writer (named by a stand-in when the facts give no handle).
        facts.writer = facts.writer or YOU
        if facts.writer not in facts.addressed:
            facts.addressed.append(facts.writer)
    return facts
