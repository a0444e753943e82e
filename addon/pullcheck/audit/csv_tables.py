"""The CSV tables of LinkedIn's and Reddit's data exports, read strictly.

Both sites export flat CSV files (RFC 4180 quoting, multi-line quoted bodies, sometimes a UTF-8
BOM). LinkedIn puts a few "Notes:" lines above the header of some files, so the header is the
first of the opening lines that holds every column the reader needs. Reddit splits large tables
into `comments_1.csv`, `comments_2.csv`, ... each with its own header.

A table we cannot trust is an ArchiveError naming the file (and the line): not UTF-8, no such
header ("not LinkedIn's messages.csv"), a quoted field still open at the end of the file, or a
row with fewer or more fields than the header (a file cut short mid-row).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from pullcheck.audit.bundle import Bundle
from pullcheck.audit.items import ArchiveError

# LinkedIn's preamble is three or four lines; a header further down is not one.
_HEADER_SEARCH_LINES = 12
_SPLIT_SUFFIX = r"(?:_\d+)?"
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S %Z",  # 2024-05-02 18:11:04 UTC (Reddit; LinkedIn messages.csv)
    "%Y-%m-%d %H:%M:%S",  # 2024-01-15 14:30:00 (LinkedIn Shares.csv, Comments.csv)
    "%Y-%m-%d %H:%M",
    "%m/%d/%y, %I:%M %p",  # 6/1/26, 7:19 AM (LinkedIn Invitations.csv)
    "%m/%d/%Y, %I:%M %p",
    "%Y-%m-%d",
)
_CSV_ERROR_LINE = re.compile(r"line (\d+)")


def find_tables(bundle: Bundle, stem: str, *, case_sensitive: bool = False) -> list[str]:
    """Files named `<stem>.csv` (or `<stem>_N.csv`) anywhere in the bundle, in part order."""
    flags = 0 if case_sensitive else re.IGNORECASE
    pattern = re.compile(rf"(?:^|/){re.escape(stem)}{_SPLIT_SUFFIX}\.csv$", flags)
    found = [name for name in bundle.names() if pattern.search(name)]

    def order(name: str) -> tuple[int, int, str]:
        part = re.search(r"_(\d+)\.csv$", name)
        return (name.count("/"), int(part.group(1)) if part else 0, name)

    return sorted(found, key=order)


def has_columns(bundle: Bundle, name: str, required: Iterable[str]) -> bool:
    """Whether the file's header (after any preamble) holds every required column."""
    try:
        text = _text(bundle, name)
    except ArchiveError:
        return False
    return _header_line(text, set(required)) is not None


def read_table(
    bundle: Bundle, name: str, required: Iterable[str], what: str
) -> list[dict[str, str]]:
    """The rows of a CSV table as dicts keyed by its header; `what` names the table in errors
    ("LinkedIn's messages.csv")."""
    where = bundle.describe(name)
    text = _text(bundle, name)
    wanted = set(required)
    start = _header_line(text, wanted)
    if start is None:
        first = text.lstrip().splitlines()[:1]
        seen = f" (its first line: {first[0][:120]!r})" if first else " (the file is empty)"
        raise ArchiveError(
            f"{where}: not {what}: no header with the columns {', '.join(sorted(wanted))}{seen}"
        )
    lines = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO("".join(lines[start:])), strict=True)
    rows: list[dict[str, str]] = []
    try:
        header = [cell.strip() for cell in next(reader)]
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                line = start + reader.line_num
                raise ArchiveError(
                    f"{where}:{line}: a row has {len(row)} fields where the header has "
                    f"{len(header)}: the file looks truncated or damaged"
                )
            rows.append(dict(zip(header, row, strict=True)))
    except csv.Error as error:
        found = _CSV_ERROR_LINE.search(str(error))
        line = start + (int(found.group(1)) if found else reader.line_num)
        raise ArchiveError(f"{where}:{line}: truncated or not valid CSV ({error})") from error
    return rows


def read_tables(
    bundle: Bundle, stem: str, required: Iterable[str], what: str, *, case_sensitive: bool = False
) -> list[dict[str, str]]:
    """The rows of every table named `stem` (`find_tables`), one table after another."""
    rows: list[dict[str, str]] = []
    for name in find_tables(bundle, stem, case_sensitive=case_sensitive):
        rows.extend(read_table(bundle, name, required, what))
    return rows


def export_order(value: str | None) -> float:
    """A sort key for an export's time: rows without a readable time sort first."""
    when = export_time(value)
    return when.timestamp() if when else float("-inf")


def export_time(value: str | None) -> datetime | None:
    """A time as these exports write it; times without a zone are UTC."""
    text = (value or "").strip()
    if not text:
        return None
    for layout in _DATE_FORMATS:
        try:
            when = datetime.strptime(text, layout)
        except ValueError:
            continue
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _text(bundle: Bundle, name: str) -> str:
    raw = bundle.read(name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArchiveError(f"{bundle.describe(name)}: not UTF-8 text ({error})") from error


def _header_line(text: str, wanted: set[str]) -> int | None:
    """Index of the first opening line whose cells include every wanted column."""
    for index, line in enumerate(text.splitlines()[:_HEADER_SEARCH_LINES]):
        try:
            cells = next(csv.reader([line]), [])
        except csv.Error:
            continue
        if wanted <= {cell.strip() for cell in cells}:
            return index
    return None
