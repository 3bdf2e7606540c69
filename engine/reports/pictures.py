"""The report's charts as PNG images, for the Word document (which cannot show SVG in
every version boards use). Drawn with Pillow, which WeasyPrint already brings, from the
same data and colours as the SVG charts; the same input gives the same bytes."""

from __future__ import annotations

import io
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from engine.reports.charts import (
    STACK,
    Bar,
    short_label,
    stack_layout,
    timeline_rows,
    timeline_span,
)
from engine.reports.palette import RAG_FILL, RAG_INK
from engine.reports.text import RAG_LABELS, plain, to_date

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(size: int) -> Font:
    for folder in _FONT_DIRS:
        path = folder / "DejaVuSans.ttf"
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _png(image: Image.Image, kind: str = "png") -> bytes:
    """The picture as PNG, or as JPEG for the PDF: a PDF holds a JPEG as it is, while
    WeasyPrint decodes and recompresses every PNG. No text chunks or timestamps: the
    same picture is the same bytes."""
    out = io.BytesIO()
    if kind == "jpeg":
        # Black text on white keeps its full resolution; only the colours' edges are
        # halved, which keeps a 500-action plan's timeline to a few megabytes.
        image.save(out, format="JPEG", quality=80)
    else:
        image.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


def rag_mix_png(bars: list[Bar], kind: str = "png") -> bytes:
    """Stacked bars of each period's RAG counts, oldest first."""
    width, height = 2000, 600
    left, right, top, bottom = 88, 24, 70, 88
    plot_w, plot_h = width - left - right, height - top - bottom
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    x = left
    for rag in STACK:
        draw.rectangle((x, 14, x + 20, 34), fill=RAG_FILL[rag])
        draw.text((x + 28, 12), RAG_LABELS[rag], fill="black", font=_font(24))
        x += 56 + 15 * len(RAG_LABELS[rag])
    layout = stack_layout(bars, left, top, plot_w, plot_h, 120)
    for value, y in layout.gridlines:
        draw.line((left, y, width - right, y), fill="#dddddd", width=2)
        draw.text((left - 12, y), str(value), fill="black", font=_font(22), anchor="rm")
    if not bars:
        draw.text(
            (left + plot_w / 2, top + plot_h / 2),
            "No closed periods yet",
            fill="black",
            font=_font(26),
            anchor="mm",
        )
    for placed in layout.bars:
        x0, bar_w = placed.x, placed.width
        for seg in placed.segments:
            draw.rectangle((x0, seg.y, x0 + bar_w, seg.y + seg.height), fill=RAG_FILL[seg.rag])
            if seg.height >= 26 and bar_w >= 32:
                draw.text(
                    (x0 + bar_w / 2, seg.y + seg.height / 2),
                    str(seg.count),
                    fill=RAG_INK[seg.rag],
                    font=_font(20),
                    anchor="mm",
                )
        if placed.bar.open:
            draw.rectangle((x0, placed.top, x0 + bar_w, top + plot_h), outline="#333333", width=2)
        label = plain(placed.bar.label) + (" (so far)" if placed.bar.open else "")
        draw.text(
            (x0 + bar_w / 2, top + plot_h + 14), label, fill="black", font=_font(20), anchor="mt"
        )
    return _png(image, kind)


# Rows of the timeline on one printed picture: with its month heading, a part fits a
# landscape A4 page under the section's heading and caption.
TIMELINE_ROWS_PER_PART = 36
_TIMELINE_TOP, _TIMELINE_ROW, _TIMELINE_FOOT = 70, 30, 20


def timeline_png(actions: list[dict[str, Any]], today: date) -> bytes:
    """Each action from plan start to plan finish, coloured by its RAG; a diamond marks
    the actual finish and a red line the report's day."""
    return _png(_timeline_image(actions, today))


def timeline_parts(actions: list[dict[str, Any]], today: date, kind: str = "png") -> list[bytes]:
    """The timeline as pictures of at most TIMELINE_ROWS_PER_PART actions, each with the
    month heading: one long picture would run off the foot of a printed page."""
    image = _timeline_image(actions, today)
    top, row_h = _TIMELINE_TOP, _TIMELINE_ROW
    rows = (image.height - top - _TIMELINE_FOOT) // row_h
    if rows <= TIMELINE_ROWS_PER_PART:
        return [_png(image, kind)]
    heading = image.crop((0, 0, image.width, top))
    parts = []
    for first in range(0, rows, TIMELINE_ROWS_PER_PART):
        last = min(first + TIMELINE_ROWS_PER_PART, rows)
        foot = top + row_h * last + _TIMELINE_FOOT
        band = image.crop((0, top + row_h * first, image.width, foot))
        part = Image.new("RGB", (image.width, top + band.height), "white")
        part.paste(heading, (0, 0))
        part.paste(band, (0, top))
        parts.append(_png(part, kind))
    return parts


def _timeline_image(actions: list[dict[str, Any]], today: date) -> Image.Image:
    rows = timeline_rows(actions)
    label_w, right, top, row_h = 130, 30, _TIMELINE_TOP, _TIMELINE_ROW
    width = 2000
    plot_w = width - label_w - right
    height = top + row_h * max(len(rows), 1) + _TIMELINE_FOOT
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    if not rows:
        draw.text(
            (width / 2, top),
            "No action has a plan start or finish",
            fill="black",
            font=_font(26),
            anchor="mm",
        )
        return image
    first, last = timeline_span(rows, today)
    span = max((last - first).days, 1)

    def x_of(d: date) -> float:
        return label_w + plot_w * (d - first).days / span

    months = (last.year - first.year) * 12 + last.month - first.month
    every = 1 if months <= 24 else 3 if months <= 72 else 12
    y_, m_, index = first.year, first.month, 0
    while date(y_, m_, 1) < last:
        x = x_of(date(y_, m_, 1))
        draw.line((x, top - 8, x, height - 10), fill="#bbbbbb" if m_ == 1 else "#e6e6e6", width=2)
        if index % every == 0:
            draw.text((x + 4, top - 14), short_label(y_, m_), fill="black", font=_font(18),
                      anchor="lb")  # fmt: skip
        index += 1
        y_, m_ = (y_ + 1, 1) if m_ == 12 else (y_, m_ + 1)
    for i, a in enumerate(rows):
        y = top + row_h * i
        start = to_date(a.get("plan_start")) or to_date(a.get("plan_finish"))
        finish = to_date(a.get("plan_finish")) or start
        assert start is not None and finish is not None
        fill = RAG_FILL.get(a.get("rag") or "grey", RAG_FILL["grey"])
        x1, x2 = x_of(start), x_of(finish + timedelta(days=1))
        draw.text((label_w - 12, y + 15), plain(a["ref"]), fill="black", font=_font(18),
                  anchor="rm")  # fmt: skip
        draw.rectangle((x1, y + 6, max(x2, x1 + 4), y + 24), fill=fill)
        actual = to_date(a.get("actual_finish"))
        if actual:
            cx, cy = x_of(actual + timedelta(days=1)), y + 15
            draw.polygon(
                [(cx, cy - 11), (cx + 9, cy), (cx, cy + 11), (cx - 9, cy)],
                fill="#111111",
                outline="white",
            )
    tx = x_of(today + timedelta(days=1))
    for y0 in range(top - 8, height - 10, 16):
        draw.line((tx, y0, tx, min(y0 + 9, height - 10)), fill="#dd0000", width=3)
    return image


def indicator_png(
    points: list[tuple[date, float]], target: float, red: float | None, kind: str = "png"
) -> bytes:
    """An indicator's readings over time against its target and red threshold."""
    from engine.reports.indicators import chart_geometry

    width, height = 1400, 500
    geo = chart_geometry(points, target, red, width, height, left=90, right=80, top=50, bottom=70)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for value, y in geo.grid:
        draw.line((geo.left, y, width - geo.right, y), fill="#dddddd", width=2)
        draw.text((geo.left - 10, y), f"{value:g}", fill="black", font=_font(20), anchor="rm")
    draw.line((geo.left, geo.target_y, width - geo.right, geo.target_y), fill=RAG_FILL["green"],
              width=4)  # fmt: skip
    draw.text((width - geo.right, geo.target_y - 6), f"target {target:g}", fill=RAG_FILL["green"],
              font=_font(20), anchor="rb")  # fmt: skip
    if geo.red_y is not None and red is not None:
        draw.line((geo.left, geo.red_y, width - geo.right, geo.red_y), fill=RAG_FILL["red"],
                  width=4)  # fmt: skip
        draw.text((width - geo.right, geo.red_y - 6), f"red beyond {red:g}",
                  fill=RAG_FILL["red"], font=_font(20), anchor="rb")  # fmt: skip
    if len(geo.points) > 1:
        draw.line(geo.points, fill="#1f3a5f", width=4)
    for (x, y), (day_, _value) in zip(geo.points, points, strict=True):
        draw.ellipse((x - 8, y - 8, x + 8, y + 8), fill="#1f3a5f")
        draw.text((x, height - geo.bottom + 12), f"{day_:%d %b %y}", fill="black",
                  font=_font(18), anchor="mt")  # fmt: skip
    return _png(image, kind)
