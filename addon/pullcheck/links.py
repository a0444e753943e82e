"""Links and @mentions in a draft's text, with their character spans.

A link is anything a reader could follow: `https://…`, `www.…`, and bare domains such as
`acme-web.example` whose top-level domain is in `rules/lexicon/links.yaml` (so "file.txt" and
"e.g." are not links). Shorteners are flagged because they hide where a link goes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from typing import NamedTuple

from pullcheck.located_yaml import load_yaml

# Punctuation that ends a sentence rather than a URL ("see acme.example/shop.").
TRAILING_PUNCTUATION = ".,;:!?)]}'\">*"

MENTION = re.compile(
    # @handle, or a fediverse @user@host.example; not the middle of an e-mail address. The
    # literal "@" comes first so the regex engine can skip straight to candidates.
    r"@(?<![\w@./]@)([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,48}[A-Za-z0-9_])?(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)"
)


class Link(NamedTuple):
    url: str
    domain: str
    start: int
    end: int
    shortener: bool


class Mention(NamedTuple):
    handle: str
    start: int
    end: int


class LinkLexicon(NamedTuple):
    pattern: re.Pattern[str]
    shorteners: frozenset[str]
    promo_domains: frozenset[str]
    # "." before each promo domain, for one `str.endswith` (in C) that finds their sub-domains.
    promo_subdomain_suffixes: tuple[str, ...]
    profile_domains: frozenset[str]
    referral_params: frozenset[str]
    listing_prefixes: tuple[str, ...]
    referral_path_segments: frozenset[str]


@lru_cache(maxsize=1)
def lexicon() -> LinkLexicon:
    """The TLD and shortener lists, read once from the built-in pack."""
    raw = load_yaml(
        files("pullcheck.rules").joinpath("lexicon/links.yaml").read_text(encoding="utf-8")
    )
    tlds = sorted({str(tld).lower() for tld in raw["bare_domain_tlds"]}, key=len, reverse=True)
    label = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    # A shortener is a link whatever its top-level domain ("amzn.to/4bX", "t.co/x").
    shorteners = "|".join(re.escape(str(name).lower()) for name in raw["shorteners"])
    pattern = re.compile(
        r"(?<![\w@/.-])(?:"
        r"https?://[^\s<>\"'`]+"
        r"|www\.[^\s<>\"'`]+"
        rf"|(?:{label}\.)+(?:{'|'.join(tlds)})(?![\w-])(?::\d{{1,5}})?(?:/[^\s<>\"'`]*)?"
        rf"|(?:{shorteners})/[^\s<>\"'`]+"
        r")",
        re.IGNORECASE,
    )
    promo_domains = _lower_set(raw.get("promo_domains", []))
    return LinkLexicon(
        pattern,
        _lower_set(raw["shorteners"]),
        promo_domains,
        tuple(sorted("." + domain for domain in promo_domains)),
        _lower_set(raw.get("profile_domains", [])),
        _lower_set(raw.get("referral_params", [])),
        tuple(str(prefix).lower() for prefix in raw.get("listing_prefixes", [])),
        # Without "": an empty segment (from "//") is no referral.
        _lower_set(raw.get("referral_path_segments", [])) - {""},
    )


def _lower_set(values: list[object]) -> frozenset[str]:
    return frozenset(str(value).lower() for value in values)


# Paths on social sites that are not someone's page.
NOT_PROFILE_PATHS = frozenset(
    {
        "watch",
        "story.php",
        "photo.php",
        "video.php",
        "share",
        "sharer",
        "search",
        "hashtag",
        "home",
        "login",
        "intent",
        "events",
        "groups",
        "help",
        "explore",
        "p",
        "status",
    }
)


def is_promo(link: Link) -> bool:
    """Does the link promote its writer: a shop, fundraiser, creator page, profile, referral?"""
    known = lexicon()
    domain = link.domain
    # One C call each for the sub-domains and the listing prefixes below, not a Python loop
    # over every entry: a pitch-dense draft asks this of each of its links.
    if domain in known.promo_domains or domain.endswith(known.promo_subdomain_suffixes):
        return True
    _, path, query = url_parts(link.url)
    if query and known.referral_params:
        for pair in query.split("&"):
            if pair.split("=", 1)[0].lower() in known.referral_params:
                return True
    # The path lower-cased once, its segments looked up in one C call (not a generator).
    lowered_path = path.lower()
    if not known.referral_path_segments.isdisjoint(lowered_path.split("/")):
        return True
    if known.listing_prefixes and (domain + lowered_path).startswith(known.listing_prefixes):
        return True
    if domain in known.profile_domains:
        segments = [segment for segment in path.split("/") if segment]
        if segments and segments[0].lower() == "pages":
            return True
        if len(segments) == 1 and segments[0].lower() not in NOT_PROFILE_PATHS:
            return True
    return False


# scheme, user info, host, port, path, query: a hand-written split is several times faster
# than urllib's on the hot path and never raises.
URL_PARTS = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://)?(?:[^/?#@\s]*@)?(\[[^\]/?#]*\]|[^/?#:\s]*)(?::\d*)?"
    r"([^?#\s]*)(?:\?([^#\s]*))?",
    re.IGNORECASE,
)


def url_parts(url: str) -> tuple[str, str, str]:
    """(host without `www.`, lower-case; path; query) of a link."""
    match = URL_PARTS.match(url)
    if match is None:
        return "", "", ""
    host = match.group(1).lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host, match.group(2) or "", match.group(3) or ""


def domain_of(url: str) -> str:
    """The host of a link, lower-case, without `www.`; '' when there is none."""
    return url_parts(url)[0]


# Every link has a dot followed by a letter or digit ("acme.example", "www.", "https://x.io");
# only the blank-delimited chunks around such dots are worth the full pattern, which is slow to
# try at every position of a long draft (a big alternation of TLDs). A literal-led regex finds
# those dots at C speed, and runs on to the chunk's end, so later dots of the same chunk are
# never visited.
DOT_BEFORE_WORD = re.compile(r"\.(?=\w)\S*")
# Builds a Link without the named tuple's own __new__, a Python function (0.3 µs a link here).
_tuple_new = tuple.__new__


def find_links(text: str) -> list[Link]:
    found: list[Link] = []
    if "." not in text:
        return found
    pattern = lexicon().pattern
    # Pitch-dense drafts repeat the same link many times: each distinct chunk is parsed once
    # (offsets kept relative to the chunk). A chunk always follows a blank or the start of the
    # text, and the pattern's only look-behind is one character that is never a blank, so the
    # links found in a chunk do not depend on where it stands.
    parsed: dict[str, list[Link]] = {}
    previous_end = 0
    for dot in DOT_BEFORE_WORD.finditer(text):
        position, end = dot.span()
        start = _chunk_start(text, previous_end, position)
        previous_end = end
        chunk = text[start:end]
        links = parsed.get(chunk)
        if links is None:
            links = parsed[chunk] = _chunk_links(pattern, chunk)
        for url, domain, begin, finish, shortener in links:
            found.append(_tuple_new(Link, (url, domain, begin + start, finish + start, shortener)))
    return found


def _chunk_start(text: str, earliest: int, position: int) -> int:
    """Where the run of non-blanks that reaches `position` starts (not before `earliest`).

    Usually just after the nearest space: so it is when nothing between them is unprintable,
    since every blank but the space is. Three C calls, instead of a step back per character
    (0.5 µs less for each link of a pitch-dense draft)."""
    space = text.rfind(" ", earliest, position)
    if space >= 0 and text[space + 1 : position].isprintable():
        return space + 1
    start = position
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return start


def _chunk_links(pattern: re.Pattern[str], chunk: str) -> list[Link]:
    """The links in one blank-delimited chunk, spans relative to the chunk."""
    found: list[Link] = []
    shorteners = lexicon().shorteners
    for match in pattern.finditer(chunk):
        link = _link(match, shorteners)
        if link is not None:
            found.append(link)
    return found


def _link(match: re.Match[str], shorteners: frozenset[str]) -> Link | None:
    url = match.group().rstrip(TRAILING_PUNCTUATION)
    if not url:
        return None
    domain = domain_of(url)
    if not domain or not _has_letter(domain):
        return None
    start = match.start()
    return Link(url, domain, start, start + len(url), domain in shorteners)


def _has_letter(domain: str) -> bool:
    """Whether the (lower-case) domain has a letter: in ASCII, exactly when upper-casing
    changes it, one C call instead of a generator over its characters."""
    if domain.isascii():
        return domain.upper() != domain
    return any(char.isalpha() for char in domain)


def find_mentions(text: str) -> list[Mention]:
    if "@" not in text:
        return []  # most text: one memchr instead of a regex scan
    # re.split hands back the text between mentions and each handle (MENTION's one group) as
    # plain strings, without a match object per mention; a mention is "@" and its handle, so
    # the spans add up from the lengths. Built with tuple.__new__, not the named tuple's own
    # __new__. 8.0 -> 6.4 µs (tuple.__new__) -> 5.8 µs (split) for the dozen mentions of a
    # pitch-dense 3,000-character draft.
    pieces = MENTION.split(text)
    found: list[Mention] = []
    start = len(pieces[0])
    for index in range(1, len(pieces), 2):
        handle = pieces[index]
        end = start + 1 + len(handle)
        found.append(_tuple_new(Mention, (handle.lower(), start, end)))
        start = end + len(pieces[index + 1])
    return found


def link_from_field(url: str) -> Link:
    """A link carried in a structured field (a facet, a card): it has no span in the text."""
    domain = domain_of(url)
    return Link(url, domain, 0, 0, domain in lexicon().shorteners)
