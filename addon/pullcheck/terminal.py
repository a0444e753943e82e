"""Text from outside (a website, an archive, the data folder) made safe to print in a terminal.

A post's author, an archive's owner name or a header a page sent can carry escape sequences: `ESC ]
0;title BEL` retitles the terminal, other sequences move the cursor, rewrite earlier lines or
(in some terminals) answer back as if typed; bidi overrides make a line read differently from
what it says. Every printer of untrusted text passes it through `printable`, which shows each
such character as a visible escape (`\\x1b`, `\\u202e`) instead of sending it to the terminal.
The log lines of `pullcheck run` get the same through `PrintableLogRecords`.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping
from typing import Any

# C0 controls (but newline and tab), DEL, C1 controls; the bidi embeddings, overrides, isolates
# and marks; the line and paragraph separators some terminals treat as new lines.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_UNSAFE_OR_NEWLINE = re.compile(_UNSAFE.pattern[:-1] + "\n\t]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: Any, keep_newlines: bool = False) -> str:
    """`text` (anything: it is made a string) with every control, bidi and separator character
    shown as a visible escape. Newlines and tabs are escaped too unless `keep_newlines` (for
    text whose line breaks are the printer's own, such as a traceback)."""
    text = text if isinstance(text, str) else str(text)
    pattern = _UNSAFE if keep_newlines else _UNSAFE_OR_NEWLINE
    return pattern.sub(_shown, text)


class PrintableLogRecords(logging.Filter):
    """A handler filter: every argument of a log record prints `printable` (its message
    template is pullcheck's or mitmproxy's own), and so do a message without arguments and an
    exception's text (keeping their own line breaks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, Mapping):  # `%(name)s` formatting
            record.args = {k: _Printed(v) if _needs_care(v) else v for k, v in record.args.items()}
        elif record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_Printed(a) if _needs_care(a) else a for a in args)
        else:
            record.msg = printable(record.msg, keep_newlines=True)
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.msg = f"{record.getMessage()}\n{printable(text, keep_newlines=True)}"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def _needs_care(value: Any) -> bool:
    # Numbers stay themselves, so `%d` and `%.1f` still work.
    return not (value is None or isinstance(value, bool | int | float))


class _Printed:
    """A log argument that prints `printable` through `%s` and `%r` alike."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return printable(self.value)

    def __repr__(self) -> str:
        return printable(repr(self.value))


def guard_log_handlers(logger: logging.Logger | None = None) -> None:
    """Add `PrintableLogRecords` to every handler of `logger` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, PrintableLogRecords) for f in handler.filters):
            handler.addFilter(PrintableLogRecords())
