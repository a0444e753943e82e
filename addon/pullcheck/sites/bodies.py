"""One lenient decoder for every compose body the five sites send.

Sites send JSON, urlencoded forms (with PHP/Rails array syntax such as `media_ids[]=1` and
`poll[options][]=a`), multipart forms, and JSON nested as a *string* inside a form field or a JSON
value (Reddit's `content`, some X clients' `variables`), or `signed_body=SIG.<urlencoded JSON>`
(Instagram-style clients). `decode_body` handles all of them and never raises: bad bytes,
truncated JSON, non-UTF-8 or a wrong content type give an empty or partial result.

A nested JSON string is replaced by its decoded value, wrapped in `NestedDict`/`NestedList`,
which keep the original string in `.source`: a draft whose text happens to be valid JSON
(`"[1, 2]"`) is still read back verbatim with `text_value`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

# Beyond these the body is not worth reading; the proxy skips large bodies anyway.
MAX_BODY = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_PARTS = 256
MAX_INT_DIGITS = 40

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_DISPOSITION = re.compile(r"^content-disposition:(.*)$", re.IGNORECASE | re.MULTILINE)
_NAME = re.compile(r'(?:^|[;\s])name="([^"]*)"', re.IGNORECASE)
_FILENAME = re.compile(r"(?:^|[;\s])filename\*?=", re.IGNORECASE)


class NestedDict(dict[str, Any]):
    """A JSON object that arrived as a string; `.source` is that string."""

    __slots__ = ("source",)

    def __init__(self, value: dict[str, Any], source: str) -> None:
        super().__init__(value)
        self.source = source


class NestedList(list[Any]):
    """A JSON array that arrived as a string; `.source` is that string."""

    __slots__ = ("source",)

    def __init__(self, value: list[Any], source: str) -> None:
        super().__init__(value)
        self.source = source


def text_value(value: Any) -> str | None:
    """A field's text as the user typed it: strings as they are, nested JSON by its source."""
    if isinstance(value, str):
        return value
    if isinstance(value, NestedDict | NestedList):
        return value.source
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return None


def decode_body(body: bytes, content_type: str = "") -> Any:
    """Decode a request or response body by its content type (sniffed when missing or wrong).

    Returns a dict, a list, or `{}` when nothing could be read.
    """
    try:
        return _decode(body, content_type)
    except Exception:
        return {}


def _decode(body: bytes, content_type: str) -> Any:
    if not body or len(body) > MAX_BODY:
        return {}
    ctype = content_type.lower()
    if "multipart/" in ctype:
        # The boundary is case-sensitive: read it from the header as sent.
        return _expand(_multipart(body, content_type), 0)
    text = body.decode("utf-8", errors="replace")
    stripped = text.lstrip("\ufeff \t\r\n")
    looks_json = stripped[:1] in ("{", "[")
    if "json" in ctype or (looks_json and "form" not in ctype):
        value = _json(stripped)
        if value is not None:
            return _expand(value, 0)
        if "json" in ctype:
            return {}
    if stripped.startswith("signed_body="):
        return _expand(_signed_body(stripped), 0)
    if "=" in stripped[:4096] or "form" in ctype:
        return _expand(form_fields(stripped), 0)
    return {}


def _json(text: str) -> Any:
    try:
        return json.loads(text, parse_int=_bounded_int)
    except (ValueError, RecursionError):
        return None


def _bounded_int(digits: str) -> int | str:
    # int() is quadratic in the digits (Python caps it at 4,300): a body of a thousand
    # 4,000-digit numbers took about 0.3 s. No field a draft is read from needs more than an id's
    # 20 digits; longer numbers stay as their digits.
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


def _signed_body(text: str) -> Any:
    # signed_body=SIGNATURE.<urlencoded JSON>: the signature never contains a dot.
    fields = form_fields(text)
    signed = fields.get("signed_body")
    if not isinstance(signed, str):
        return fields
    _, _, payload = signed.partition(".")
    value = _json(payload)
    if isinstance(value, dict):
        extra = {k: v for k, v in fields.items() if k != "signed_body"}
        return {**value, **extra}
    return fields


def form_fields(text: str) -> dict[str, Any]:
    """An urlencoded form as nested dicts and lists (`a[b][]=1` -> {"a": {"b": ["1"]}})."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True, max_num_fields=10_000):
        _assign(out, key, value)
    return out


def _assign(out: dict[str, Any], key: str, value: Any) -> None:
    head, bracket, _ = key.partition("[")
    if not bracket or not key.endswith("]"):
        _put(out, key, value)
        return
    path = [head, *_BRACKETS.findall(key[len(head) :])]
    node: Any = out
    for depth, part in enumerate(path[:MAX_DEPTH]):
        last = depth == len(path) - 1
        if last:
            if isinstance(node, list):
                node.append(value)
            else:
                _put(node, part, value)
            return
        following = path[depth + 1]
        if isinstance(node, list):
            # `a[][b]=1`: a list of dicts; start a new one when the key repeats.
            if not node or not isinstance(node[-1], dict) or following in node[-1]:
                node.append({})
            node = node[-1]
            continue
        child = node.get(part)
        want_list = following == ""
        if want_list and not isinstance(child, list):
            child = [] if child is None else [child]
            node[part] = child
        elif not want_list and not isinstance(child, dict):
            child = {} if child is None else {"": child}
            node[part] = child
        node = child


def _put(node: dict[str, Any], key: str, value: Any) -> None:
    # A repeated plain key keeps its first value; brackets are how forms send lists.
    node.setdefault(key, value)


def _multipart(body: bytes, ctype: str) -> dict[str, Any]:
    match = re.search(r'boundary="?([^";,]+)"?', ctype, re.IGNORECASE)
    if not match:
        return {}
    boundary = b"--" + match.group(1).encode("latin-1", errors="replace")
    out: dict[str, Any] = {}
    for part in body.split(boundary)[1 : MAX_PARTS + 1]:
        if part.startswith(b"--"):
            break
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = part.partition(b"\n\n")
            if not sep:
                continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        elif content.endswith(b"\n"):
            content = content[:-1]
        disposition = _DISPOSITION.search(head.decode("utf-8", errors="replace"))
        if not disposition:
            continue
        line = disposition.group(1)
        if _FILENAME.search(line):
            continue  # an uploaded file, not user text
        name = _NAME.search(line)
        if name:
            _assign(out, name.group(1), content.decode("utf-8", errors="replace"))
    return out


def _expand(value: Any, depth: int) -> Any:
    """Replace string values that hold JSON objects or arrays by their decoded value."""
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {k: _expand(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, depth + 1) for v in value]
    if isinstance(value, str) and value[:1] in ("{", "[") and len(value) >= 2:
        decoded = _json(value)
        if isinstance(decoded, dict):
            return NestedDict(_expand(decoded, depth + 1), value)
        if isinstance(decoded, list):
            return NestedList(_expand(decoded, depth + 1), value)
    return value
