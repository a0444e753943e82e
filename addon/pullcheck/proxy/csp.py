"""Content-Security-Policy reasoning for the banner: what the page's policies allow, and the
smallest change that lets one same-origin script (plus its same-origin fetches and stylesheet) run.

Pure functions, no mitmproxy. The injector asks `plan_injection(...)` and then applies the plan.

What the banner needs from every *enforcing* policy of the page:
  - script: `<script src="/__pullcheck__/banner.js">` (parser-inserted, on the page's origin);
  - connect: `fetch("/__pullcheck__/check" ...)` and the `events` long poll;
  - style: `<link rel=stylesheet href="/__pullcheck__/banner.css">` inside the shadow root.

How a blocked need is met, per policy, never removing a source or a directive:
  - script under `'strict-dynamic'`: host sources and `'self'` are ignored (CSP3), so only a nonce
    works. Reuse a nonce that every enforcing policy already accepts; otherwise add one fresh
    per-response nonce to the policies that need it. `'strict-dynamic'` already disables
    `'unsafe-inline'`, so the nonce changes nothing for the page's own scripts.
  - script relying on `'unsafe-inline'` (no nonce, no hash, no `'strict-dynamic'`): a nonce would
    switch `'unsafe-inline'` off (CSP3 "allows all inline behavior") and break the page's own
    inline scripts, so the exact script URL is added as a host source instead.
  - other script lists: a fresh nonce.
  - connect and style: the exact same-origin URL (a path source), which never disables
    `'unsafe-inline'` for the page's own inline styles.
  - When the effective list is `default-src`, the change goes into a new `script-src` /
    `connect-src` / `style-src` that copies `default-src` and adds the one source, so every other
    fetch kind keeps exactly its old policy.
  - A script list that is exactly `'none'` means the page runs no script at all: the plan skips
    the page instead of overriding that choice.

Report-Only policies are never touched (the caller never passes them). Meta policies govern
what follows them in the document (tried in Chromium, see mitmproxy-notes.md); the injector
places the script at the end of the head, after them, and never rewrites a meta tag, so
`meta_blocks(...)` tells it to skip a page whose meta policy blocks the script, its fetches or
its stylesheet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Need = Literal["script", "connect", "style"]

# Which directive governs each need, most specific first (CSP3 "effective directive" fallback).
FALLBACKS: dict[str, tuple[str, ...]] = {
    "script": ("script-src-elem", "script-src", "default-src"),
    "connect": ("connect-src", "default-src"),
    "style": ("style-src-elem", "style-src", "default-src"),
}
# The directive a change goes into when only `default-src` governs a need.
OWN_DIRECTIVE: dict[str, str] = {
    "script": "script-src",
    "connect": "connect-src",
    "style": "style-src",
}

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_NONCE_VALUE = re.compile(r"^[A-Za-z0-9+/_=-]+$")
_DIRECTIVE_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_HOST_SOURCE = re.compile(
    r"^(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://)?"
    r"(?P<host>\*|(?:\*\.)?[^/:]+)"
    r"(?::(?P<port>\*|\d+))?"
    r"(?P<path>/[^?#]*)?$"
)


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int

    def serialize(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal
        if DEFAULT_PORTS.get(self.scheme) == self.port:
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"

    def url(self, path: str) -> str:
        return self.serialize() + path


class Directive(NamedTuple):
    name: str
    sources: tuple[str, ...]
    segment: int  # index of its `;`-separated segment in the policy text


@dataclass
class Policy:
    """One serialized policy (a header value may carry several, separated by commas)."""

    text: str
    directives: dict[str, Directive] = field(default_factory=dict)

    def effective(self, need: str) -> Directive | None:
        for name in FALLBACKS[need]:
            directive = self.directives.get(name)
            if directive is not None:
                return directive
        return None


def parse_policy(text: str) -> Policy:
    """Parse one serialized policy. Later duplicates of a directive are ignored (CSP3)."""
    policy = Policy(text=text)
    for index, segment in enumerate(text.split(";")):
        tokens = segment.split()
        if not tokens or not _DIRECTIVE_NAME.match(tokens[0]):
            continue
        name = tokens[0].lower()
        if name not in policy.directives:
            policy.directives[name] = Directive(name, tuple(tokens[1:]), index)
    return policy


def parse_header(value: str) -> list[Policy]:
    """All policies of one `Content-Security-Policy` header value (comma-separated list)."""
    return [parse_policy(part) for part in value.split(",") if part.strip()]


def _keyword(source: str) -> str:
    return source.lower()


def nonces_of(sources: Sequence[str]) -> list[str]:
    found = []
    for source in sources:
        if source.lower().startswith("'nonce-") and source.endswith("'"):
            value = source[7:-1]
            if _NONCE_VALUE.match(value):
                found.append(value)
    return found


def _has_nonce_or_hash(sources: Sequence[str]) -> bool:
    prefixes = ("'nonce-", "'sha256-", "'sha384-", "'sha512-")
    return any(_keyword(s).startswith(prefixes) for s in sources)


def allows_all_inline(sources: Sequence[str], need: str) -> bool:
    """CSP3: `'unsafe-inline'` counts only without nonces and hashes (and, for scripts, without
    `'strict-dynamic'`)."""
    lowered = {_keyword(s) for s in sources}
    if "'unsafe-inline'" not in lowered or _has_nonce_or_hash(sources):
        return False
    return not (need == "script" and "'strict-dynamic'" in lowered)


def _is_none(sources: Sequence[str]) -> bool:
    # 'none' counts only when it is alone; with other sources browsers ignore it.
    return not sources or (len(sources) == 1 and _keyword(sources[0]) == "'none'")


def source_matches(source: str, url_origin: Origin, path: str, page: Origin) -> bool:
    """Does one source expression match the URL `url_origin` + `path`, on page `page`?
    Covers `*`, `'self'`, scheme sources and host sources with port and path (CSP3 §6.7.2)."""
    lowered = source.lower()
    if lowered == "*":
        return url_origin.scheme in ("http", "https") or url_origin.scheme == page.scheme
    if lowered == "'self'":
        if url_origin == page:
            return True
        # CSP3 allows the secure upgrade of the page's own origin.
        return (
            page.scheme == "http"
            and url_origin.scheme == "https"
            and url_origin.host == page.host
            and url_origin.port in (443, page.port)
        )
    if lowered.startswith("'"):
        return False
    if re.fullmatch(r"[a-z][a-z0-9+.-]*:", lowered):
        scheme = lowered[:-1]
        return scheme == url_origin.scheme or (scheme == "http" and url_origin.scheme == "https")
    match = _HOST_SOURCE.match(lowered)
    if match is None:
        return False
    scheme = match["scheme"]
    if scheme is not None:
        if not (scheme == url_origin.scheme or (scheme == "http" and url_origin.scheme == "https")):
            return False
    elif not (
        url_origin.scheme == page.scheme or (page.scheme == "http" and url_origin.scheme == "https")
    ):
        return False
    host = match["host"]
    url_host = url_origin.host.lower()
    if host == "*":
        pass
    elif host.startswith("*."):
        if not url_host.endswith(host[1:]):
            return False
    elif host != url_host:
        return False
    port = match["port"]
    if port != "*":
        if port is None:
            wanted = DEFAULT_PORTS.get(scheme or url_origin.scheme)
            ok = url_origin.port == wanted or (
                wanted == 80 and url_origin.scheme == "https" and url_origin.port == 443
            )
        else:
            ok = url_origin.port == int(port) or (
                int(port) == 80 and url_origin.scheme == "https" and url_origin.port == 443
            )
        if not ok:
            return False
    source_path = match["path"]
    if source_path and source_path != "/":
        if source_path.endswith("/"):
            return path.startswith(source_path)
        return path == source_path
    return True


def allows(policy: Policy, need: str, page: Origin, path: str, nonce: str | None = None) -> bool:
    """Does `policy` let the banner load its same-origin `path` for `need` (with `nonce` on the
    script tag)?"""
    directive = policy.effective(need)
    if directive is None:
        return True
    sources = directive.sources
    if _is_none(sources):
        return False
    if nonce is not None and nonce in nonces_of(sources):
        return True
    if need == "script" and "'strict-dynamic'" in {_keyword(s) for s in sources}:
        # Host sources, 'self' and '*' are ignored; only nonces and hashes count.
        return False
    return any(source_matches(s, page, path, page) for s in sources)


class BannerPaths(NamedTuple):
    script: str = "/__pullcheck__/banner.js"
    connect: str = "/__pullcheck__/"
    style: str = "/__pullcheck__/banner.css"

    def of(self, need: str) -> str:
        return {"script": self.script, "connect": self.connect, "style": self.style}[need]


BANNER_PATHS = BannerPaths()
NEEDS: tuple[Need, ...] = ("script", "connect", "style")


@dataclass
class InjectionPlan:
    """What the injector does: `inject` or not (then `reason` says why), the nonce attribute of the
    script tag, and the new `Content-Security-Policy` header values (None: leave them as sent)."""

    inject: bool
    nonce: str | None = None
    headers: list[str] | None = None
    changes: list[str] = field(default_factory=list)
    reason: str = ""


def _add_source(policy: Policy, need: str, addition: str) -> tuple[str, str]:
    """Policy text with `addition` in the directive that governs `need`; and a description."""
    directive = policy.effective(need)
    segments = policy.text.split(";")
    if directive is None:  # pragma: no cover - callers only add to a blocking directive
        raise ValueError(f"no directive governs {need}")
    if directive.name == "default-src":
        own = OWN_DIRECTIVE[need]
        kept = [] if _is_none(directive.sources) else list(directive.sources)
        segments.append(" " + " ".join([own, *kept, addition]))
        text = ";".join(segments)
        return text, f"added {own} (default-src + {addition})"
    if _is_none(directive.sources):
        segments[directive.segment] = f" {directive.name} {addition}"
    else:
        segments[directive.segment] = segments[directive.segment].rstrip() + " " + addition
    return ";".join(segments), f"{directive.name} += {addition}"


def _script_additions(
    policies: Sequence[Policy],
    page: Origin,
    paths: BannerPaths,
    nonce: str | None,
    nonce_is_fresh: bool,
) -> list[str | None] | None:
    """Per policy, the source to add so the script (carrying `nonce`) runs; None when a policy
    would need a nonce that may not be added (no nonce, or a page nonce it does not list)."""
    additions: list[str | None] = []
    for policy in policies:
        if allows(policy, "script", page, paths.script, nonce):
            additions.append(None)
            continue
        sources = policy.effective("script").sources  # type: ignore[union-attr]
        if allows_all_inline(sources, "script"):
            additions.append(page.url(paths.script))
        elif nonce_is_fresh and nonce is not None:
            additions.append(f"'nonce-{nonce}'")
        else:
            return None
    return additions


def plan_injection(
    csp_headers: Sequence[str],
    page: Origin,
    fresh_nonce: Callable[[], str],
    paths: BannerPaths = BANNER_PATHS,
) -> InjectionPlan:
    """Decide how to inject the banner under the page's enforcing CSP header values."""
    header_policies = [parse_header(value) for value in csp_headers]
    policies = [p for group in header_policies for p in group]
    if not policies:
        return InjectionPlan(inject=True)

    for policy in policies:
        directive = policy.effective("script")
        if directive is not None and _is_none(directive.sources):
            return InjectionPlan(
                inject=False, reason=f"the page allows no script ({directive.name} 'none')"
            )

    # Pick the script tag's nonce: none, one the page already uses, or a fresh one. A page nonce
    # is never added to a policy that lacks it (that would let the page's own scripts through
    # where they were blocked); the fresh one goes only where a nonce is needed. Fewest changes
    # win, and an existing nonce beats a fresh one.
    candidates: list[str | None] = [None]
    for policy in policies:
        directive = policy.effective("script")
        if directive is not None:
            candidates.extend(n for n in nonces_of(directive.sources) if n not in candidates)
    fresh = fresh_nonce()
    best: tuple[int, bool, str | None, list[str | None]] | None = None
    for candidate in [*candidates, fresh]:
        additions = _script_additions(policies, page, paths, candidate, candidate == fresh)
        if additions is None:
            continue
        cost = sum(1 for a in additions if a is not None)
        key = (cost, candidate == fresh, candidate, additions)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None:  # pragma: no cover - the fresh nonce always works
        return InjectionPlan(inject=False, reason="could not satisfy the page's CSP for script")
    _, _, script_nonce, additions = best

    changes: list[str] = []
    new_headers: list[str] = []
    changed = False
    index = 0
    for group in header_policies:
        texts = []
        for policy in group:
            current = policy
            addition = additions[index]
            index += 1
            if addition is not None:
                text, change = _add_source(current, "script", addition)
                current = parse_policy(text)
                changes.append(change)
            for need in ("connect", "style"):
                if not allows(current, need, page, paths.of(need)):
                    text, change = _add_source(current, need, page.url(paths.of(need)))
                    current = parse_policy(text)
                    changes.append(change)
            changed = changed or current.text != policy.text
            texts.append(current.text.strip())
        new_headers.append(", ".join(texts))

    # Every policy must now accept the script (with the nonce when one is set).
    final = [p for value in new_headers for p in parse_header(value)]
    for need in NEEDS:
        nonce = script_nonce if need == "script" else None
        if not all(allows(p, need, page, paths.of(need), nonce) for p in final):
            reason = f"could not satisfy the page's CSP for {need}"
            return InjectionPlan(inject=False, reason=reason)
    return InjectionPlan(
        inject=True,
        nonce=script_nonce,
        headers=new_headers if changed else None,
        changes=changes,
    )


def meta_blocks(
    meta_policies: Sequence[str],
    page: Origin,
    paths: BannerPaths = BANNER_PATHS,
    nonce: str | None = None,
) -> str:
    """Why a `<meta>` policy would block the banner ("" when none does): its script (carrying
    `nonce`), its fetches or its stylesheet. The tag goes after the meta policies, which then
    govern it; a meta policy is never edited, so a blocking one means no banner."""
    for value in meta_policies:
        for policy in parse_header(value):
            for need in NEEDS:
                if not allows(
                    policy, need, page, paths.of(need), nonce if need == "script" else None
                ):
                    directive = policy.effective(need)
                    name = directive.name if directive else need
                    return f"a <meta> CSP ({name}) blocks the banner's {need}"
    return ""
