"""An indicator's readings over time against its target and red threshold: the chart
people ask for beside an action's figures, as SVG for the web and the HTML report (and
as PNG for Word, in engine.reports.pictures), from one geometry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from engine.reports.palette import RAG_FILL
from engine.reports.text import day, plain, to_date


@dataclass(frozen=True)
class Geometry:
    left: float
    right: float
    top: float
    bottom: float
    grid: list[tuple[float, float]]  # (value, y)
    target_y: float
    red_y: float | None
    points: list[tuple[float, float]]


def chart_geometry(
    points: list[tuple[date, float]],
    target: float,
    red: float | None,
    width: float,
    height: float,
    *,
    left: float,
    right: float,
    top: float,
    bottom: float,
) -> Geometry:
    """Where the readings, the target and the red threshold fall on the chart."""
    values = [v for _, v in points] + [target] + ([red] if red is not None else [])
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    low, high = low - pad, high + pad
    if min(values) >= 0 > low:
        low = 0.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(v: float) -> float:
        return round(top + plot_h * (high - v) / (high - low), 1)

    days = [d for d, _ in points]
    first, last = (min(days), max(days)) if days else (date.min, date.min)
    span = max((last - first).days, 1)

    def x_of(d: date) -> float:
        if len(points) == 1:
            return round(left + plot_w / 2, 1)
        return round(left + plot_w * (d - first).days / span, 1)

    step = _nice_step((high - low) / 5)
    grid = []
    value = step * int(low // step)
    while value <= high:
        if value >= low:
            grid.append((round(value, 6), y_of(value)))
        value += step
    return Geometry(
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        grid=grid,
        target_y=y_of(target),
        red_y=y_of(red) if red is not None else None,
        points=[(x_of(d), y_of(v)) for d, v in points],
    )


def _nice_step(raw: float) -> float:
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def readings_of(action: dict[str, Any], name: str) -> list[tuple[date, float]]:
    """The readings of one indicator, oldest first, from the action's view: every one
    recorded (its history), or the latest alone where only that is kept."""
    history = (action.get("reading_history") or {}).get(name)
    if history:
        found = [(to_date(r["measured_on"]), float(r["value"])) for r in history]
    else:
        latest = (action.get("readings") or {}).get(name)
        found = [(to_date(latest["measured_on"]), float(latest["value"]))] if latest else []
    return sorted((d, v) for d, v in found if d is not None)


def indicator_svg(
    name: str, unit: str, points: list[tuple[date, float]], target: float, red: float | None
) -> Markup:
    """The readings as a line, the target as a green line and the red threshold as a red
    one, each reading with its date and value as a tooltip."""
    width, height = 700, 260
    geo = chart_geometry(points, target, red, width, height, left=48, right=40, top=26, bottom=34)
    title = f"{name}: readings against the target {target:g}{unit}" + (
        f" and the red threshold {red:g}{unit}" if red is not None else ""
    )
    t = escape(plain(title))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart indicator" role="img" aria-label="{t}"><title>{t}</title>'
    ]
    for value, y in geo.grid:
        parts.append(
            f'<line x1="{geo.left}" y1="{y}" x2="{width - geo.right}" y2="{y}" stroke="#ddd"/>'
            f'<text x="{geo.left - 6}" y="{y + 4}" font-size="11" text-anchor="end">'
            f"{value:g}</text>"
        )
    parts.append(
        f'<line class="target" x1="{geo.left}" y1="{geo.target_y}" x2="{width - geo.right}" '
        f'y2="{geo.target_y}" stroke="{RAG_FILL["green"]}" stroke-width="2"/>'
        f'<text x="{width - geo.right}" y="{geo.target_y - 4}" font-size="11" '
        f'text-anchor="end" fill="{RAG_FILL["green"]}">target {target:g}{escape(unit)}</text>'
    )
    if geo.red_y is not None and red is not None:
        parts.append(
            f'<line class="red-threshold" x1="{geo.left}" y1="{geo.red_y}" '
            f'x2="{width - geo.right}" y2="{geo.red_y}" stroke="{RAG_FILL["red"]}" '
            f'stroke-width="2" stroke-dasharray="6 3"/>'
            f'<text x="{width - geo.right}" y="{geo.red_y - 4}" font-size="11" '
            f'text-anchor="end" fill="{RAG_FILL["red"]}">red beyond {red:g}{escape(unit)}</text>'
        )
    if len(geo.points) > 1:
        path = " ".join(f"{x},{y}" for x, y in geo.points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f3a5f" stroke-width="2"/>')
    for (x, y), (d, v) in zip(geo.points, points, strict=True):
        tip = escape(f"{day(d)}: {v:g}{unit}")
        parts.append(
            f'<circle class="reading" cx="{x}" cy="{y}" r="4" fill="#1f3a5f">'
            f"<title>{tip}</title></circle>"
            f'<text x="{x}" y="{height - 14}" font-size="10" text-anchor="middle">'
            f"{d:%d %b %y}</text>"
        )
    if not points:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" font-size="13" text-anchor="middle">'
            "No readings yet</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
