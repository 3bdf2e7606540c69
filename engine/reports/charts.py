"""The report's pictures as inline SVG, drawn here so the HTML needs no script and
prints as it shows."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup, escape

from engine.reports.palette import RAG_FILL, RAG_INK
from engine.reports.text import RAG_LABELS, day, plain, to_date

# Bottom to top: finished work at the foot of each bar, not yet started at the top.
STACK = ("blue", "complete", "green", "amber", "red", "grey")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Bar:
    label: str
    counts: dict[str, int]
    open: bool = False  # the period is still open: counts so far


@dataclass(frozen=True)
class Segment:
    rag: str
    count: int
    y: float  # its top edge
    height: float


@dataclass(frozen=True)
class PlacedBar:
    bar: Bar
    x: float
    width: float
    top: float  # the top edge of the whole stack
    segments: list[Segment]


@dataclass(frozen=True)
class StackLayout:
    gridlines: list[tuple[int, float]]  # (value, y)
    bars: list[PlacedBar]


def stack_layout(
    bars: list[Bar], left: float, top: float, plot_w: float, plot_h: float, max_bar_w: float
) -> StackLayout:
    """Where the stacked RAG bars go in a plot area: the SVG and the PNG charts draw the
    same layout at their own sizes."""
    totals = [sum(b.counts.get(r, 0) for r in STACK) for b in bars]
    top_count = max([*totals, 1])
    step = _grid_step(top_count)
    scale_top = step * -(-top_count // step)
    gridlines = [
        (value, top + plot_h - plot_h * value / scale_top)
        for value in range(0, scale_top + 1, step)
    ]
    slot = plot_w / max(len(bars), 1)
    bar_w = min(slot * 0.7, max_bar_w)
    placed = []
    for i, bar in enumerate(bars):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        segments = []
        for rag in STACK:
            count = bar.counts.get(rag, 0)
            if not count:
                continue
            h = plot_h * count / scale_top
            y -= h
            segments.append(Segment(rag, count, y, h))
        placed.append(PlacedBar(bar, x, bar_w, y, segments))
    return StackLayout(gridlines, placed)


def _n(value: float) -> str:
    """Coordinates with at most one decimal, so the output is stable and small."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _shown(content: str) -> Markup:
    """Text in a picture, as in the rest of the report: plain, then escaped."""
    return escape(plain(content))


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{_n(x)}" y="{_n(y)}"{extra}>{_shown(content)}</text>'


def _legend(x: float, y: float, rags: tuple[str, ...]) -> list[str]:
    parts = []
    for rag in rags:
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" fill="{RAG_FILL[rag]}"/>'
        )
        parts.append(_text(x + 14, y, RAG_LABELS[rag], font_size="12"))
        x += 24 + 7.5 * len(RAG_LABELS[rag])
    return parts


def rag_mix(bars: list[Bar], title: str) -> Markup:
    """Stacked bars of the RAG counts of each period."""
    width, height = 1000, 300
    left, right, top, bottom = 44, 12, 34, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    layout = stack_layout(bars, left, top, plot_w, plot_h, 60)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{_shown(title)}">',
        f"<title>{_shown(title)}</title>",
        *_legend(left, 16, STACK),
    ]
    for value, y in layout.gridlines:
        parts.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" '
            f'stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 4, str(value), font_size="12", text_anchor="end"))
    if not bars:
        parts.append(
            _text(
                left + plot_w / 2,
                top + plot_h / 2,
                "No closed periods yet",
                font_size="13",
                text_anchor="middle",
            )
        )
    for placed in layout.bars:
        bar, x, bar_w = placed.bar, placed.x, placed.width
        for seg in placed.segments:
            rag, count, y, h = seg.rag, seg.count, seg.y, seg.height
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w)}" height="{_n(h)}" '
                f'fill="{RAG_FILL[rag]}"'
                + (' fill-opacity="0.55"' if bar.open else "")
                + f"><title>{_shown(f'{bar.label}: {RAG_LABELS[rag]} {count}')}</title></rect>"
            )
            if h >= 13 and bar_w >= 16:
                parts.append(
                    _text(
                        x + bar_w / 2,
                        y + h / 2 + 4,
                        str(count),
                        font_size="11",
                        text_anchor="middle",
                        fill=RAG_INK[rag],
                    )
                )
        if bar.open:
            y = placed.top
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w)}" '
                f'height="{_n(top + plot_h - y)}" fill="none" stroke="#333" '
                f'stroke-dasharray="4 3"/>'
            )
        label_y = top + plot_h + 16
        parts.append(_text(x + bar_w / 2, label_y, bar.label, font_size="12", text_anchor="middle"))
        if bar.open:
            parts.append(
                _text(
                    x + bar_w / 2,
                    label_y + 14,
                    "so far",
                    font_size="10",
                    text_anchor="middle",
                    font_style="italic",
                )
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _grid_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if top / step <= 6:
            return step
    return 10 ** len(str(top))


def short_label(year: int, month: int) -> str:
    return f"{_MONTHS[month - 1]} {year % 100:02d}"


def timeline_rows(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The actions a timeline shows: those with a plan start or a plan finish."""
    return [a for a in actions if to_date(a.get("plan_start")) or to_date(a.get("plan_finish"))]


def timeline_span(rows: list[dict[str, Any]], today: date) -> tuple[date, date]:
    """The first day of the timeline and the day after its last: whole months that hold
    today and every plan start, plan finish and actual finish of the rows."""
    dates = [today]
    for a in rows:
        dates += [
            d
            for d in (to_date(a.get(k)) for k in ("plan_start", "plan_finish", "actual_finish"))
            if d
        ]
    first = min(dates).replace(day=1)
    last = max(dates)
    last = last.replace(day=calendar.monthrange(last.year, last.month)[1]) + timedelta(days=1)
    return first, last


def timeline(actions: list[dict[str, Any]], today: date, title: str) -> Markup:
    """Each action from plan start to plan finish, coloured by its RAG, with its actual
    finish and the report's day marked."""
    rows = timeline_rows(actions)
    label_w, right, top, row_h = 64, 16, 48, 16
    width = 1000
    plot_w = width - label_w - right
    height = top + row_h * max(len(rows), 1) + 12
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart timeline" role="img" aria-label="{_shown(title)}">',
        f"<title>{_shown(title)}</title>",
    ]
    if not rows:
        parts.append(
            _text(
                width / 2,
                top,
                "No action has a plan start or finish",
                font_size="13",
                text_anchor="middle",
            )
        )
        parts.append("</svg>")
        return Markup("".join(parts))
    first, last = timeline_span(rows, today)
    span = max((last - first).days, 1)

    def x_of(d: date) -> float:
        return label_w + plot_w * (d - first).days / span

    parts += _month_ticks(first, last, x_of, top, height)
    parts += _timeline_legend(label_w, today)
    for i, a in enumerate(rows):
        y = top + row_h * i
        start = to_date(a.get("plan_start")) or to_date(a.get("plan_finish"))
        finish = to_date(a.get("plan_finish")) or start
        assert start is not None and finish is not None
        rag = a.get("rag") or "grey"
        fill = RAG_FILL.get(rag, RAG_FILL["grey"])
        x1, x2 = x_of(start), x_of(finish + timedelta(days=1))
        tip = f"{a['ref']}: {day(start)} to {day(finish)}, {RAG_LABELS.get(rag, rag)}"
        parts.append(_text(label_w - 6, y + 11, str(a["ref"]), font_size="10", text_anchor="end"))
        parts.append(
            f'<rect x="{_n(x1)}" y="{y + 3}" width="{_n(max(x2 - x1, 2))}" height="10" '
            f'rx="2" fill="{fill}"><title>{_shown(tip)}</title></rect>'
        )
        actual = to_date(a.get("actual_finish"))
        if actual:
            cx, cy = x_of(actual + timedelta(days=1)), y + 8
            done = f"{a['ref']} finished {day(actual)}"
            parts.append(
                f'<path d="M{_n(cx)} {_n(cy - 6)} L{_n(cx + 5)} {_n(cy)} L{_n(cx)} {_n(cy + 6)} '
                f'L{_n(cx - 5)} {_n(cy)} Z" fill="#111" stroke="#fff" stroke-width="1">'
                f"<title>{_shown(done)}</title></path>"
            )
    tx = x_of(today + timedelta(days=1))
    parts.append(
        f'<line x1="{_n(tx)}" y1="{top - 4}" x2="{_n(tx)}" y2="{height - 8}" '
        f'stroke="#d00" stroke-width="1.5" stroke-dasharray="5 3"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _month_ticks(first: date, last: date, x_of: Any, top: int, height: int) -> list[str]:
    months = (last.year - first.year) * 12 + last.month - first.month
    every = 1 if months <= 24 else 3 if months <= 72 else 12
    parts = []
    y, m = first.year, first.month
    index = 0
    while date(y, m, 1) < last:
        x = x_of(date(y, m, 1))
        strong = m == 1
        parts.append(
            f'<line x1="{_n(x)}" y1="{top - 4}" x2="{_n(x)}" y2="{height - 8}" '
            f'stroke="{"#bbb" if strong else "#e6e6e6"}" stroke-width="1"/>'
        )
        if index % every == 0:
            parts.append(_text(x + 2, top - 8, short_label(y, m), font_size="10"))
        index += 1
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return parts


def _timeline_legend(x: float, today: date) -> list[str]:
    y = 14
    parts = [
        f'<rect x="{_n(x)}" y="{y - 9}" width="26" height="10" rx="2" fill="#888"/>',
        _text(x + 32, y, "plan start to plan finish, coloured by RAG", font_size="11"),
    ]
    x += 300
    parts.append(
        f'<path d="M{_n(x)} {y - 10} L{_n(x + 5)} {y - 4} L{_n(x)} {y + 2} '
        f'L{_n(x - 5)} {y - 4} Z" fill="#111"/>'
    )
    parts.append(_text(x + 10, y, "actual finish", font_size="11"))
    x += 110
    parts.append(
        f'<line x1="{_n(x)}" y1="{y - 10}" x2="{_n(x)}" y2="{y + 2}" stroke="#d00" '
        f'stroke-width="1.5" stroke-dasharray="5 3"/>'
    )
    parts.append(_text(x + 6, y, f"report date, {day(today)}", font_size="11"))
    return parts
