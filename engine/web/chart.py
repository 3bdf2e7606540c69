"""The RAG-per-period chart: stacked bars drawn as inline SVG from closed periods.

Drawn on the server so the page needs no script and prints as it looks.
"""

from __future__ import annotations

from html import escape
from typing import Any

# Bottom to top: finished work at the base, problems on top where the eye lands.
STACK = ("blue", "complete", "green", "amber", "red")
COLOURS = {
    "red": "#c62828",
    "amber": "#ef8f00",
    "green": "#2e7d32",
    "complete": "#006f79",
    "blue": "#1565c0",
}
LABELS = {
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    "complete": "Complete",
    "blue": "Blue (verified)",
}


def rag_chart(periods: list[dict[str, Any]], height: int = 220) -> str:
    """One bar per closed period, its segments the count of actions at each RAG."""
    if not periods:
        return ""
    bar, gap, left, bottom, top = 40, 16, 34, 34, 10
    width = left + len(periods) * (bar + gap) + gap
    totals = [sum(p["summary"]["by_rag"].get(r, 0) for r in STACK) for p in periods]
    peak = max(totals) or 1
    scale = (height - bottom - top) / peak
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="chart-title chart-desc">',
        '<title id="chart-title">RAG ratings per closed period</title>',
        f'<desc id="chart-desc">{escape(_describe(periods))}</desc>',
    ]
    base = height - bottom
    for tick in _ticks(peak):
        y = base - tick * scale
        parts.append(
            f'<line x1="{left - 4}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{tick}</text>'
        )
    for i, p in enumerate(periods):
        x = left + gap + i * (bar + gap)
        y = float(base)
        for rag in STACK:
            count = p["summary"]["by_rag"].get(rag, 0)
            if not count:
                continue
            h = count * scale
            y -= h
            parts.append(
                f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" '
                f'fill="{COLOURS[rag]}"><title>{escape(p["period"])}: {count} '
                f"{LABELS[rag]}</title></rect>"
            )
        label = escape(p["period"][2:] if len(p["period"]) == 7 else p["period"])
        parts.append(
            f'<text x="{x + bar / 2}" y="{base + 14}" text-anchor="middle" class="axis">'
            f"{label}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def legend() -> list[tuple[str, str]]:
    return [(r, LABELS[r]) for r in reversed(STACK)]


def _ticks(peak: int) -> list[int]:
    step = max(1, round(peak / 4))
    return list(range(0, peak + 1, step))


def _describe(periods: list[dict[str, Any]]) -> str:
    return "; ".join(
        p["period"]
        + ": "
        + ", ".join(f"{LABELS[r]} {p['summary']['by_rag'].get(r, 0)}" for r in reversed(STACK))
        for p in periods
    )
