"""Show the phrase that triggered a finding inside its sentence, «marked like this».

A reader needs the context to see why the phrase reads as push ("check out my channel" under a
stranger's video), and a long draft needs trimming so the line stays readable in a terminal.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? followed by a space (not the dot of "acme-web.example") or a newline.
_SENTENCE_END = re.compile(r"(?:[.!?]+(?=\s|$)|\n)\s*")


def excerpt(text: str, span: tuple[int, int] | None, width: int = 100) -> str | None:
    """The sentence holding `span` with the span wrapped in «», trimmed to about `width` chars.

    None when there is no usable span (a rule about the whole draft, or a span outside it)."""
    if span is None:
        return None
    start, end = span
    if not (0 <= start < end <= len(text)):
        return None
    sentence_start = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        sentence_start = match.end()
    found = _SENTENCE_END.search(text, end)
    sentence_end = max(end, found.start() + len(found.group().rstrip()) if found else len(text))
    # Keep the trigger whole and spend the rest of the width on the text around it.
    room = max(0, width - (end - start))
    left = max(sentence_start, start - room // 2)
    right = min(sentence_end, end + room - (start - left))
    before = ("…" if left > sentence_start else "") + text[left:start]
    after = text[end:right] + ("…" if right < sentence_end else "")
    line = f"{before.lstrip()}«{text[start:end]}»{after.rstrip()}"
    return " ".join(line.split())
