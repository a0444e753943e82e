"""HTML fragments (Mastodon `content`, LinkedIn and Reddit markup) as plain text.

Only small fragments go through here (one post at a time), never whole pages: BeautifulSoup is
too slow for a page on the proxy's path (see mitmproxy-notes.md). Even per post it costs about
0.1 ms, and a Mastodon timeline carries 20-40 of them, so fragments made only of the tags
Mastodon itself emits (`p`, `br`, `a`, `span`) take a regex path that gives the same text
(tests/test_bodies.py checks the two against each other); anything else goes to BeautifulSoup.
Paragraphs become blank-line separated, `<br>` a newline, entities are unescaped. Mastodon
wraps a hashtag's text in spans (`#<span>AskFedi</span>`); inline elements are joined without
spaces, as a browser shows them.
"""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup, NavigableString, Tag

_BLOCKS = frozenset(
    {
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "tr",
    }
)
_SKIP = frozenset({"script", "style", "template", "noscript"})
_MANY_NEWLINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v]+")
# Text whose only entities are the five XML ones and numeric references.
_PLAIN_ENTITIES = re.compile(r"(?:[^&]|&(?:amp|lt|gt|quot|#39|#x27|apos);)*", re.DOTALL)
_SIMPLE_TAG = re.compile(r"<(/?)(p|br|a|span)(?:\s[^<>]*)?/?>", re.IGNORECASE)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment; never raises (unreadable markup gives its raw text)."""
    if not fragment:
        return ""
    simple = _simple_text(fragment)
    if simple is not None:
        return simple
    try:
        soup = BeautifulSoup(fragment, "html.parser")
        return element_text(soup)
    except Exception:
        return html.unescape(re.sub(r"<[^>]*>", " ", fragment)).strip()


def element_text(element: Tag) -> str:
    """Plain text of a parsed element with the same rules as `html_to_text`."""
    pieces: list[str] = []
    _walk(element, pieces, 0)
    return _tidy("".join(pieces))


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def bs4_text(fragment: str) -> str:
    """The BeautifulSoup reading of a fragment (the reference the fast path must agree with)."""
    return element_text(BeautifulSoup(fragment, "html.parser"))


def _simple_text(fragment: str) -> str | None:
    """Text of a fragment made only of p/br/a/span tags, or None to use BeautifulSoup."""
    if "&" in fragment and not _PLAIN_ENTITIES.fullmatch(fragment):
        return None  # unusual entities: leave the edge cases to the real parser
    flat = fragment.replace("\n", " ")
    # Only well-formed paragraphs at the top level: elsewhere the parser's implicit closing
    # decides where a paragraph ends, and a regex cannot follow it.
    paragraphs = inline = 0
    for match in _SIMPLE_TAG.finditer(flat):
        name = match.group(2).lower()
        closing = bool(match.group(1))
        if name == "p":
            paragraphs += -1 if closing else 1
            if inline or not 0 <= paragraphs <= 1:
                return None
        elif name != "br":
            inline = max(inline - 1, 0) if closing else inline + 1
    if paragraphs:
        return None
    text = _SIMPLE_TAG.sub(_tag_break, flat)
    if "<" in text or ">" in text:
        return None
    return _tidy(html.unescape(text))


def _tag_break(match: re.Match[str]) -> str:
    name = match.group(2).lower()
    if name == "p":
        return "\n\n"
    if name == "br":
        return "\n" if not match.group(1) else ""
    return ""


def _walk(node: Tag, pieces: list[str], depth: int) -> None:
    if depth > 200:
        return
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not comments, CDATA, doctypes
                pieces.append(str(child).replace("\n", " "))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in _SKIP:
            continue
        if name == "br":
            pieces.append("\n")
            continue
        block = name in _BLOCKS
        if block:
            pieces.append("\n\n" if name == "p" else "\n")
        _walk(child, pieces, depth + 1)
        if block:
            pieces.append("\n\n" if name == "p" else "\n")
