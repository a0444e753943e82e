"""The "your numbers" dashboard page: static HTML from a `StatsSummary`, no script at all.

The proxy serves it on `http://pullcheck.localhost/` with its stylesheet at `/dashboard.css`
(same origin, so a strict CSP allows it). Figures carry `data-figure` attributes so tests and
scripts can read them without parsing prose. Every string goes through `html.escape`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from importlib import resources

from pullcheck.stats import StatsSummary

STYLESHEET_PATH = "/dashboard.css"
FIGURES: tuple[tuple[str, str], ...] = (
    ("draft_checked", "drafts checked"),
    ("warning_shown", "warnings shown"),
    ("hold", "posts held"),
    ("edited", "held, then edited"),
    ("sent_anyway", "held, sent anyway"),
    ("timed_out", "held, no answer (not sent)"),
    ("refused", "refused at once (no page to ask)"),
    ("notpush", "marked “not push”"),
    ("opportunity", "opportunities found"),
)
CHECKED_COLOR = "#94a3b8"
WARNED_COLOR = "#c2410c"


def stylesheet() -> bytes:
    return resources.files("pullcheck").joinpath("dashboard.css").read_bytes()


def render_dashboard(summary: StatsSummary, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    span = f"{summary.first_day.isoformat()} to {summary.last_day.isoformat()}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>pullcheck: your numbers</title>",
            f'<link rel="stylesheet" href="{STYLESHEET_PATH}">',
            "</head><body><main>",
            "<h1>Your numbers</h1>",
            f'<p class="sub">Counts only, no draft text. {escape(span)} (UTC). A draft counts '
            "once, however many times the banner checked it while you typed.</p>",
            _headline(summary),
            _figures(summary),
            "<section><h2>Drafts checked and warnings, per day</h2>",
            _daily_chart(summary),
            '<p class="legend"><span class="key checked"></span>drafts checked '
            '<span class="key warned"></span>warnings shown</p></section>',
            '<div class="two">',
            _rules(summary),
            _platforms(summary),
            "</div>",
            f"<footer>pullcheck · {escape(now.strftime('%Y-%m-%d %H:%M UTC'))} · "
            "also in the terminal: <code>pullcheck stats</code></footer>",
            "</main></body></html>",
        ]
    )


def _headline(summary: StatsSummary) -> str:
    share = summary.revised_share
    if share is None:
        return (
            '<section class="headline"><div class="big" data-figure="revised_share">–</div>'
            "<div>No held post decided yet: with <code>mode: hold</code>, the share of held "
            "posts you revised shows here.</div></section>"
        )
    return (
        '<section class="headline">'
        f'<div class="big" data-figure="revised_share">{round(100 * share)}%</div>'
        f"<div>of held posts were revised: {summary.totals['edited']:,} edited, "
        f"{summary.totals['sent_anyway']:,} sent anyway"
        + (
            f" ({summary.totals['timed_out']:,} more got no answer and were not sent)"
            if summary.totals["timed_out"]
            else ""
        )
        + ".</div></section>"
    )


def _figures(summary: StatsSummary) -> str:
    cards = "".join(
        f'<div class="card"><div class="num" data-figure="{event}">'
        f'{summary.totals[event]:,}</div><div class="what">{escape(label)}</div></div>'
        for event, label in FIGURES
    )
    return f'<div class="cards">{cards}</div>'


def _daily_chart(summary: StatsSummary) -> str:
    days = summary.days()
    width, height, left, bottom, top = 920, 180, 36, 24, 8
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((summary.on(d)["draft_checked"] for d in days), default=0)
    peak = max(peak, 1)
    step = plot_w / len(days)
    bar = max(1.0, step * 0.7)
    out = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        'aria-label="Drafts checked and warnings per day">'
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - fraction)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="#e5e7eb"/>'
        )
        if fraction != 0.5:  # a half of a small peak is not a whole number
            out.append(
                f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                f"{round(peak * fraction)}</text>"
            )
    label_every = max(1, round(len(days) / 10))
    for index, day in enumerate(days):
        counts = summary.on(day)
        checked, warned = counts["draft_checked"], counts["warning_shown"]
        x = left + index * step + (step - bar) / 2
        tip = escape(f"{day.isoformat()}: {checked} checked, {warned} warnings")
        for value, color in ((checked, CHECKED_COLOR), (warned, WARNED_COLOR)):
            h = plot_h * min(value, peak) / peak
            out.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{color}"><title>{tip}</title></rect>'
            )
        if index % label_every == 0:
            out.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                f"{escape(day.strftime('%m-%d'))}</text>"
            )
    out.append("</svg>")
    return "".join(out)


def _rules(summary: StatsSummary) -> str:
    if not summary.rules:
        return '<section><h2>Rules that fire most</h2><p class="none">None yet.</p></section>'
    rows = "".join(
        f"<tr><td><code>{escape(code)}</code> {escape(summary.rule_names.get(code, ''))}</td>"
        f'<td class="n" data-rule="{escape(code)}">{count:,}</td></tr>'
        for code, count in summary.rules.most_common(10)
    )
    return (
        f"<section><h2>Rules that fire most</h2><table><tr><th>rule</th><th>drafts</th>"
        f"</tr>{rows}</table></section>"
    )


def _platforms(summary: StatsSummary) -> str:
    if not summary.by_platform:
        return '<section><h2>Per site</h2><p class="none">Nothing counted yet.</p></section>'
    head = "".join(
        f"<th>{escape(label)}</th>"
        for label in ("site", "checked", "warned", "held", "edited", "sent anyway")
    )
    rows = "".join(
        f"<tr><td>{escape(platform)}</td>"
        + "".join(
            f'<td class="n">{counts[e]:,}</td>'
            for e in ("draft_checked", "warning_shown", "hold", "edited", "sent_anyway")
        )
        + "</tr>"
        for platform, counts in sorted(summary.by_platform.items())
    )
    return f"<section><h2>Per site</h2><table><tr>{head}</tr>{rows}</table></section>"
