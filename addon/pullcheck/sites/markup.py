"""HTML fragments (Mastodon `content`, LinkedIn and Reddit markup) as plain text.

Only small fragments go through here (one post at a time), never whole pages: BeautifulSoup is
too slow for a page on the proxy's path (see mitmproxy-notes.md). Paragraphs become blank-line
separated, `<br>` a newline, entities are unescaped. Mastodon wraps a hashtag's text in spans
(`#<span>AskFedi</span>`); inline elements are joined without spaces, as a browser shows them.
"""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup, NavigableString, Tag

_BLOCKS = frozenset(
    {"p", "div", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
     "table", "tr"}
)
_SKIP = frozenset({"script", "style", "template", "noscript"})
_MANY_NEWLINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment; never raises (unreadable markup gives its raw text)."""
    if not fragment:
        return ""
    if "<" not in fragment:
        return html.unescape(fragment).strip() if "&" in fragment else fragment.strip()
    try:
        soup = BeautifulSoup(fragment, "html.parser")
        return element_text(soup)
    except Exception:  # noqa: BLE001 - markup we cannot parse still has readable text
        return html.unescape(re.sub(r"<[^>]*>", " ", fragment)).strip()


def element_text(element: Tag) -> str:
    """Plain text of a parsed element with the same rules as `html_to_text`."""
    pieces: list[str] = []
    _walk(element, pieces, 0)
    text = "".join(pieces)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


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
