"""Did the site accept a compose request? Only accepted posts enter the sent log.

A 2xx status is not enough: GraphQL APIs (X's CreateTweet, LinkedIn's graphql endpoint) answer
a refused mutation with 200 and a top-level `errors` list, e.g. X's "Status is a duplicate"
(code 187). Such an answer means nothing went out. Only small JSON bodies are looked into, and
only when they mention `"errors"` at all, so the common case costs a substring search.
"""

from __future__ import annotations

import json

from mitmproxy import http

from pullcheck.proxy.flowwire import bounded_body

# A refusal is a short document; a long one is a created post with all its fields.
MAX_ERROR_BODY = 64 * 1024


def site_accepted(response: http.Response, content_type: str | None = None) -> bool:
    """`content_type`: the response's lower-cased content-type, when the caller has read it."""
    if not 200 <= response.status_code < 300:
        return False
    if content_type is None:
        content_type = response.headers.get("content-type", "").lower()
    if "json" not in content_type:
        return True
    # Decoded within the limit (`get_content` would inflate a small brotli answer to any size).
    body = bounded_body(response, MAX_ERROR_BODY)
    if body is None or b'"errors"' not in body:
        return True
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return True
    if not isinstance(document, dict):
        return True
    errors = document.get("errors")
    if not isinstance(errors, list) or not errors:
        return True
    # Errors next to real data are warnings about parts of the answer, not a refusal.
    data = document.get("data")
    return isinstance(data, dict) and any(value for value in data.values())
