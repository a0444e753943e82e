"""Text -> facts, computed once per draft; rules only ever look at these facts.

Every fact a rule can name is a *signal*: each phrase group (offer, call-to-action, ...) and a few
built-in ones computed here:

- `link`: a followable link (text or structured field), `shortener`: a link through a shortener,
  `promo-link`: a link to a shop, fundraiser, creator page or profile, or with a referral code;
- `mention`: an @mention;
- `shouting`: most letters in capitals (at least `SHOUTING_MIN_LETTERS` letters);
- `exclamations`: a run of `EXCLAMATION_RUN` or more `!`;
- `question`: a question mark.

`Features.signals` maps each present signal to the span of its first occurrence, so a rule checks
presence with one dict lookup and can point at the words that triggered it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, TypeVar

from pullcheck.language import guess_language
from pullcheck.links import Link, Mention, find_links, find_mentions, is_promo, link_from_field
from pullcheck.phrases import Hit, Phrasebook, normalise
from pullcheck.unmask import Unmasked, unmask

BUILTIN_SIGNALS = (
    "link",
    "shortener",
    "promo-link",
    "mention",
    "shouting",
    "exclamations",
    "question",
)

# Caps are shouting only with enough letters: "OK" or "USA" in a short reply is not.
SHOUTING_MIN_LETTERS = 12
SHOUTING_RATIO = 0.7
EXCLAMATION_RUN = 3

# Both written to start with a literal or a character class rather than a counted repeat
# (`!{3,}`, `[A-Z]{2,}`): the regex engine then skips ahead to a possible start in C instead of
# trying a match at every position (20x faster for the run of `!`, 2x for capitals).
EXCLAMATIONS = re.compile("!" * EXCLAMATION_RUN + "!*")
LETTER_RUN = re.compile(r"[^\W\d_]+")
CAPITAL = "[A-ZÀ-ÖØ-ÞΑ-ΩА-ЯЁ]"
CAPITAL_RUN = re.compile(CAPITAL + CAPITAL + "+")
ASCII_LETTERS = string.ascii_letters.encode("ascii")
ASCII_CAPITALS = string.ascii_uppercase.encode("ascii")
ASCII_SMALL_LETTERS = string.ascii_lowercase.encode("ascii")

# The group whose hits mean a post asks for help; rules and `builtin_ask.asks_for_help` share
# the name.
ASKS_GROUP = "asks-for-help"

Span = tuple[int, int]
Located = TypeVar("Located", Link, Mention)


class Ask(NamedTuple):
    """Does a post ask for help or a recommendation? yes / no / unknown, with the evidence.

    For a draft, the engine may turn a parent's yes into `other`: it asks, but not for what
    the draft offers, or it asked another account (`reason` says which, in plain words)."""

    answer: Literal["yes", "no", "unknown", "other"]
    evidence: str | None
    reason: str | None = None


@dataclass(slots=True)
class Features:
    text: str
    links: list[Link] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    # The first hit of each phrase group that matched (one per group: signals need no more).
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    longest_exclamation_run: int = 0
    signals: dict[str, Span] = field(default_factory=dict)

    # Letter runs of the text, found on first use (most drafts never need them) and then kept:
    # several rules may ask for the word count of the same draft.
    _letter_runs: list[str] | None = field(default=None, compare=False, repr=False)
    _capitals: int | None = field(default=None, compare=False, repr=False)

    def _runs(self) -> list[str]:
        if self._letter_runs is None:
            self._letter_runs = LETTER_RUN.findall(self.text)
        return self._letter_runs

    @property
    def capitals(self) -> int:
        """Letters in runs of two or more capitals (Latin, Greek, Cyrillic): "BUY NOW" shouts,
        "Hello" and "I" do not. Counted on demand, like `letters`."""
        if self._capitals is None:
            self._capitals = sum(map(len, CAPITAL_RUN.findall(self.text)))
        return self._capitals

    @property
    def letters(self) -> int:
        """Letters in the text (counted on demand: most drafts never need it)."""
        return sum(map(len, self._runs()))

    @property
    def words(self) -> int:
        """Runs of letters (digits and punctuation split words), counted on demand."""
        return len(self._runs())

    @property
    def caps_ratio(self) -> float:
        return self.capitals / self.letters if self.letters else 0.0

    def has(self, signal: str) -> bool:
        return signal in self.signals

    def span_of(self, signal: str) -> Span | None:
        return self.signals.get(signal)

    def link_domains(self) -> list[str]:
        return sorted({link.domain for link in self.links})


def language_of(
    text: str, phrasebook: Phrasebook, languages: Collection[str] | None = None
) -> str | None:
    """Which of the phrasebook's other languages (`languages` of them, default all) the text
    is guessed to be in; None for English or when the phrasebook has no other language."""
    if not phrasebook.language_index:
        return None
    return guess_language(text, languages)


def extract(
    text: str,
    phrasebook: Phrasebook,
    extra_links: list[str] | None = None,
    extra_mentions: list[str] | None = None,
    ignore_domains: set[str] | frozenset[str] = frozenset(),
    languages: Collection[str] | None = None,
) -> Features:
    """All facts about `text`. Never raises on any string; every span lies inside `text`.
    `languages`: the other languages whose phrases may be searched (default: all)."""
    text = text if isinstance(text, str) else ""
    normalised = normalise(text)
    # Disguised links and full-width letters are read in their plain form; spans found there
    # are mapped back onto `text`.
    unmasked = unmask(normalised)
    scanned = unmasked.text if unmasked is not None else normalised
    links = _mapped_back(find_links(scanned), unmasked)
    if ignore_domains:
        links = [link for link in links if not _ignored(link.domain, ignore_domains)]
    if extra_links:
        seen_urls = {link.url for link in links}
        for url in extra_links:
            if url not in seen_urls:
                link = link_from_field(url)
                if link.domain and not _ignored(link.domain, ignore_domains):
                    links.append(link)
    mentions = _mapped_back(find_mentions(scanned), unmasked)
    if extra_mentions:
        known = {mention.handle for mention in mentions}
        for handle in extra_mentions:
            handle = handle.lstrip("@").lower()
            if handle and handle not in known:
                mentions.append(Mention(handle, 0, 0))
                known.add(handle)
    # Rules only ask whether a group occurs and where first: later hits are never looked for.
    hits = phrasebook.find_all(
        scanned, first_only=True, language=language_of(scanned, phrasebook, languages)
    )
    if unmasked is not None:
        hits = {
            group: [
                Hit(group, start, end, text[start:end])
                for hit in group_hits
                for start, end in [unmasked.span(hit.start, hit.end)]
            ]
            for group, group_hits in hits.items()
        }

    # "!" is looked for first (memchr): cheaper than looking for "!!", which costs as much as
    # the regex that finds the runs.
    longest_run = max(map(len, EXCLAMATIONS.findall(text)), default=0) if "!" in text else 0
    features = Features(
        text=text,
        links=links,
        mentions=mentions,
        hits=hits,
        longest_exclamation_run=longest_run,
    )
    features.signals = _signals(features)
    return features


def _mapped_back(found: list[Located], unmasked: Unmasked | None) -> list[Located]:
    """Links or mentions found in the plain form, with their spans in the original text."""
    if unmasked is None:
        return found
    return [
        item._replace(start=start, end=end)
        for item in found
        for start, end in [unmasked.span(item.start, item.end)]
    ]


def _ignored(domain: str, ignore_domains: set[str] | frozenset[str]) -> bool:
    """An allow-listed domain covers its sub-domains too (shop.acme.example for acme.example)."""
    if not ignore_domains:
        return False
    return any(domain == allowed or domain.endswith("." + allowed) for allowed in ignore_domains)


def _signals(features: Features) -> dict[str, Span]:
    signals: dict[str, Span] = {}
    for group, group_hits in features.hits.items():
        signals[group] = (group_hits[0].start, group_hits[0].end)
    if features.links:
        first = features.links[0]
        signals["link"] = (first.start, first.end)
        for link in features.links:
            if link.shortener and "shortener" not in signals:
                signals["shortener"] = (link.start, link.end)
            if "promo-link" not in signals and is_promo(link):
                signals["promo-link"] = (link.start, link.end)
    if features.mentions:
        first_mention = features.mentions[0]
        signals["mention"] = (first_mention.start, first_mention.end)
    text = features.text
    if _shouting(features):
        signals["shouting"] = (0, len(text))
    if features.longest_exclamation_run:
        match = EXCLAMATIONS.search(text)
        if match:
            signals["exclamations"] = (match.start(), match.end())
    question = text.find("?")
    if question >= 0:
        signals["question"] = (question, question + 1)
    return signals


def _shouting(features: Features) -> bool:
    """At least `SHOUTING_MIN_LETTERS` letters, and `SHOUTING_RATIO` of them in capital runs."""
    text = features.text
    if text.isascii():
        # Capitals in runs can be no more than all the capital letters, which (like all the
        # letters) C counts in a few microseconds: most text is settled here, without the
        # capital-run regex (~15 µs on 3,000 characters).
        raw = text.encode("ascii")
        # Most text is settled by its small letters alone: capitals = letters - small ones, so
        # more small letters than 1 - SHOUTING_RATIO of all the characters leaves capitals
        # short of the ratio (one count instead of two: 5.7 -> 3.0 µs on 3,000 characters).
        small = len(raw) - len(raw.translate(None, ASCII_SMALL_LETTERS))
        if small > (1 - SHOUTING_RATIO) * len(raw):
            return False
        letters = len(raw) - len(raw.translate(None, ASCII_LETTERS))
        capitals = len(raw) - len(raw.translate(None, ASCII_CAPITALS))
        if letters < SHOUTING_MIN_LETTERS or capitals < SHOUTING_RATIO * letters:
            return False
    # Letters are counted only when there are enough capitals to be shouting at all.
    if features.capitals < SHOUTING_MIN_LETTERS * SHOUTING_RATIO:
        return False
    letters = features.letters
    return letters >= SHOUTING_MIN_LETTERS and features.capitals >= SHOUTING_RATIO * letters


def ask_of(
    text: str | None, phrasebook: Phrasebook, languages: Collection[str] | None = None
) -> Ask:
    """Does `text` (a parent post) ask for help, a recommendation or an answer?

    yes: it uses asking wording ("looking for", "can anyone recommend", a complaint) or puts a
    question to someone it @mentions ("@airline why was my flight cancelled?").
    no: there is readable text and it does neither (a video title asks for nothing).
    unknown: there is no text to read.
    """
    if text is None or not text.strip():
        return Ask("unknown", None)
    normalised = normalise(text)
    # The phrasebook's one index for all groups, not the group's own: building a second index
    # cost as long again when a rule pack loads.
    language = language_of(text, phrasebook, languages)
    hits = phrasebook.find_all(normalised, first_only=True, language=language).get(ASKS_GROUP)
    if hits:
        return Ask("yes", hits[0].text)
    question = normalised.find("?")
    if question >= 0 and find_mentions(normalised):
        start = max(normalised.rfind(".", 0, question), normalised.rfind("!", 0, question)) + 1
        return Ask("yes", normalised[start : question + 1].strip())
    return Ask("no", None)
