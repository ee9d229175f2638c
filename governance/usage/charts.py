"""Charts a person reads at a glance, drawn on the server as inline SVG: no JavaScript, no
CDN, readable by screen readers (a title, a description and the numbers as a table)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 12, 28
#: Colors distinguishable with the common color-vision deficiencies (Okabe-Ito).
COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    title: str
    #: The numbers behind the chart, for a table beside it (and CSV).
    rows: list[tuple[str, ...]]
    headers: tuple[str, ...]


def _nice_max(value: float) -> int:
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return int(value) + 1


def line_chart(points: Sequence[dict], *, series: Sequence[tuple[str, str]], title: str) -> Chart:
    """One line per ``(key, label)`` of ``series`` over ``points`` (dicts with ``day``)."""
    n = len(points)
    top = _nice_max(max((p[k] for p in points for k, _ in series), default=0))
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(i: int) -> float:
        return PAD_LEFT + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)

    def y(v: float) -> float:
        return PAD_TOP + inner_h * (1 - v / top)

    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid" stroke="#d0d0d0" stroke-width="1"/>'
        '<text x="{}" y="{}" class="axis" font-size="11" fill="#444" text-anchor="end">{}</text>',
        (
            (PAD_LEFT, WIDTH - PAD_RIGHT, _n(y(v)), _n(y(v)), PAD_LEFT - 4, _n(y(v) + 4), v)
            for v in (0, top // 2, top)
        ),
    )
    ticks = []
    if n:
        for i in sorted({0, n // 2, n - 1}):
            # The first and last labels align inward so they stay inside the chart.
            anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
            ticks.append((_n(x(i)), HEIGHT - 8, anchor, points[i]["day"].strftime("%b %d")))
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" class="axis" font-size="11" fill="#444" text-anchor="{}">{}</text>',
        ticks,
    )
    lines = format_html_join(
        "",
        '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title>'
        "</polyline>",
        (
            (
                COLORS[j % len(COLORS)],
                " ".join(f"{x(i):.1f},{y(p[key]):.1f}" for i, p in enumerate(points)),
                label,
            )
            for j, (key, label) in enumerate(series)
        ),
    )
    legend = format_html_join(
        "",
        '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
        '<text x="{}" y="{}" class="legend" font-size="12" fill="#222">{}</text>',
        (
            (
                PAD_LEFT + 8 + 150 * j,
                PAD_TOP,
                COLORS[j % len(COLORS)],
                PAD_LEFT + 22 + 150 * j,
                PAD_TOP + 9,
                label,
            )
            for j, (_, label) in enumerate(series)
        ),
    )
    totals = ", ".join(f"{label}: {sum(p[key] for p in points)}" for key, label in series)
    svg = format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-t">{}</title>'
        '<desc id="{}-d">{} days; totals: {}</desc>{}{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        _id(title),
        _id(title),
        _id(title),
        title,
        _id(title),
        n,
        totals,
        grid,
        labels,
        lines,
        legend,
    )
    rows = [(p["day"].isoformat(), *(str(p[key]) for key, _ in series)) for p in points]
    return Chart(svg, title, rows, ("Day", *(label for _, label in series)))


def bar_chart(bars: Sequence[tuple[str, int]], *, title: str) -> Chart:
    """Horizontal bars, largest first, with their values written at the end."""
    bars = list(bars)[:10]
    row_h = 22
    height = PAD_TOP + row_h * max(len(bars), 1) + 8
    top = max((v for _, v in bars), default=0) or 1
    label_w = 150
    inner_w = WIDTH - label_w - PAD_RIGHT - 50
    body = format_html_join(
        "",
        '<text x="{}" y="{}" class="axis" font-size="11" fill="#444" text-anchor="end">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" class="value" font-size="11" fill="#222">{}</text>',
        (
            (
                label_w - 6,
                PAD_TOP + i * row_h + 14,
                label[:24],
                label_w,
                PAD_TOP + i * row_h + 3,
                _n(inner_w * v / top),
                row_h - 8,
                COLORS[0],
                label,
                v,
                _n(label_w + inner_w * v / top + 6),
                PAD_TOP + i * row_h + 14,
                v,
            )
            for i, (label, v) in enumerate(bars)
        ),
    )
    empty = (
        mark_safe("")
        if bars
        else format_html(
            '<text x="{}" y="{}" class="axis" font-size="11" fill="#444">'
            "No use recorded in this period.</text>",
            label_w,
            28,
        )
    )
    svg = format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-t">{}</title>{}{}</svg>',
        WIDTH,
        height,
        _id(title),
        _id(title),
        title,
        body,
        empty,
    )
    return Chart(svg, title, [(label, str(v)) for label, v in bars], ("", "Uses"))


def _n(value: float) -> str:
    """A coordinate with one decimal (format_html escapes arguments, so no format specs)."""
    return f"{value:.1f}"


def _id(title: str) -> str:
    return "c" + "".join(ch if ch.isalnum() else "-" for ch in escape(title).lower())[:40]
