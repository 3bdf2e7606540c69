"""Reports as HTML and Markdown documents, from the Jinja2 templates beside this module.

Everything people wrote is shown as text: markup is escaped, and characters that would
not print (terminal controls, bidirectional overrides) are written as \\uXXXX escapes,
since every value passes through text.plain on its way into a document.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from domain.clock import london
from domain.rag_rules import format_date
from domain.values import with_tentative_mark
from engine.reports import charts, text
from engine.reports.build import Report, ReportKind
from engine.reports.exceptions import is_flagged
from engine.reports.governance import STATE_LABELS, board_status, history_line
from engine.reports.palette import RAG_FILL, RAG_INK
from engine.reports.snapshot import Basis

_FILTERS = {
    "day": text.day,
    "tentative": with_tentative_mark,
    "rag_label": text.rag_label,
    "arrow": text.arrow,
    "people": text.people,
    "status": text.status_label,
    "criteria": text.criteria_text,
    "period_label": text.period_label,
    "state_label": STATE_LABELS.get,
    "board_status": board_status,
    "history_line": history_line,
}


def html_value(value: Any) -> Any:
    """Every value a template writes, before autoescaping: text made plain."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return text.plain(value)
    return value


def _environment(finalize: Callable[[Any], Any]) -> Environment:
    """The report templates, autoescaped, every value passing through `finalize` on its
    way out, with the filters both formats share."""
    env = Environment(
        loader=PackageLoader("engine.reports", "templates"),
        autoescape=True,
        finalize=finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_FILTERS)
    return env


@cache
def html_environment() -> Environment:
    return _environment(html_value)


@cache
def markdown_environment() -> Environment:
    # Autoescaped for Markdown: every value passes through md_text on its way out,
    # which escapes HTML and the characters Markdown would read as formatting.
    env = _environment(lambda value: value if isinstance(value, Markup) else md_text(value))
    env.filters["cell"] = md_cell
    env.filters["code"] = md_code
    return env


# Markdown's own escapes: a backslash before what it would read as formatting, or as
# the start of an HTML tag or a character reference ("&amp;"). Text stays readable as
# written: "Telford & Wrekin" needs no escape.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>]|&(?=#?\w+;))")
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-]|\d+[.)])")


def md_text(value: Any) -> Markup:
    """Text as Markdown shows it literally; line breaks kept as hard breaks."""
    if value is None:
        return Markup("")
    lines = text.plain(value).splitlines() or [""]
    lines = [_MD_SPECIAL.sub(r"\\\1", line.rstrip()) for line in lines]
    # A later line of a narrative must not start a heading, a quote or a list.
    lines = lines[:1] + [_MD_LINE_START.sub(_escape_marker, line) for line in lines[1:]]
    return Markup("  \n".join(lines))


def _escape_marker(match: re.Match[str]) -> str:
    marker = match.group(2)
    if marker[0].isdigit():
        return f"{match.group(1)}{marker[:-1]}\\{marker[-1]}"
    return f"{match.group(1)}\\{marker}"


def md_cell(value: Any) -> Markup:
    """Text for a Markdown table cell: on one line."""
    return Markup(str(md_text(value)).replace("  \n", "<br>"))


def md_code(value: Any) -> Markup:
    """One line of an indented code block, which Markdown shows exactly as written."""
    return Markup(text.plain(value).replace("\n", " "))


def generated_line(report: Report) -> str:
    moment = report.generated_at.astimezone(london())
    return f"Generated {format_date(moment.date())} at {moment:%H:%M} (UK time) by actiontrail."


def basis_line(report: Report) -> str:
    snap = report.snapshot
    if snap.basis is Basis.CLOSED:
        by = f" by {snap.closed_by}" if snap.closed_by else ""
        closed_on = format_date(_day(snap.closed_at)) if snap.closed_at else ""
        line = (
            f"As recorded when the period closed, on {closed_on}{by}, as of "
            f"{format_date(snap.as_of)}; later changes do not alter this report."
        )
        if snap.early_reason:
            line += f" Closed before its last day: {snap.early_reason}."
        return line + reopen_line(report)
    if snap.basis is Basis.CURRENT:
        return (
            f"The current period, as of {format_date(snap.as_of)}: still open, so figures "
            "may change until it closes."
        )
    return f"Built from the live plan as of {format_date(snap.as_of)}."


def reopen_line(report: Report) -> str:
    """When and why a period was reopened, for the report of a period closed again."""
    parts = [
        f" Reopened on {format_date(_day(r['at']))} by {r['by']}: {r['reason']}."
        for r in report.snapshot.reopenings
    ]
    return "".join(parts)


def _day(moment: str) -> date:
    return datetime.fromisoformat(moment).astimezone(london()).date()


def _pictures(report: Report, printed: bool) -> dict[str, Any]:
    """The report's charts: inline SVG for the page, or, printed, the same charts as
    embedded JPEG images (one image each, which a PDF lays out and draws far quicker than
    hundreds of SVG shapes), the timeline in page-sized parts."""
    snap = report.snapshot
    bars = [
        charts.Bar(
            charts.short_label(c.period.start.year, c.period.start.month)
            if c.period.cadence.value == "monthly"
            else c.period.key,
            c.summary["by_rag"],
        )
        for c in snap.history
    ]
    if snap.basis is not Basis.CLOSED:
        label = (
            charts.short_label(snap.period.start.year, snap.period.start.month)
            if snap.period.cadence.value == "monthly"
            else snap.period.key
        )
        bars.append(charts.Bar(label, snap.summary["by_rag"], open=True))
    mix_title = "RAG mix of the actions at the close of each period"
    timeline: tuple[list[dict[str, Any]], str] | None = None
    if report.kind is ReportKind.PROGRESS:
        timeline = (snap.actions, "Timeline of actions: plan start to plan finish")
    elif report.kind is ReportKind.EXCEPTION:
        flagged = [a for a in snap.actions if is_flagged(a)]
        timeline = (flagged, "Timeline of the actions in this report")
    pictures: dict[str, Any] = {}
    if printed:
        from engine.reports import pictures as drawn

        pictures["rag_mix"] = _img(drawn.rag_mix_png(bars, "jpeg"), mix_title)
        if timeline is not None:
            parts = drawn.timeline_parts(timeline[0], snap.as_of, "jpeg")
            pictures["timeline"] = Markup("").join(
                _img(part, f"{timeline[1]}, part {i} of {len(parts)}")
                if len(parts) > 1
                else _img(part, timeline[1])
                for i, part in enumerate(parts, start=1)
            )
    else:
        pictures["rag_mix"] = charts.rag_mix(bars, mix_title)
        if timeline is not None:
            pictures["timeline"] = charts.timeline(timeline[0], snap.as_of, timeline[1])
    if report.kind is ReportKind.PROGRESS:
        pictures["indicators"] = indicator_pictures(snap.actions, printed)
    return pictures


def _img(jpeg: bytes, alt: str) -> Markup:
    encoded = base64.b64encode(jpeg).decode("ascii")
    return Markup('<img class="chart" src="data:image/jpeg;base64,{}" alt="{}">').format(
        encoded, text.plain(alt)
    )


def indicator_pictures(
    actions: list[dict[str, Any]], printed: bool = False
) -> list[tuple[str, Markup]]:
    """Each indicator with readings: its readings against its target and red threshold."""
    from engine.reports.indicators import indicator_svg, readings_of

    found = []
    for a in actions:
        for i in a.get("indicators") or []:
            points = readings_of(a, i["name"])
            if not points:
                continue
            label = f"{a['ref']} {i['name']}"
            if printed:
                from engine.reports.pictures import indicator_png

                jpeg = indicator_png(points, i["target"], i.get("red_threshold"), "jpeg")
                picture = _img(jpeg, label)
            else:
                picture = indicator_svg(
                    i["name"], i.get("unit") or "", points, i["target"], i.get("red_threshold")
                )
            found.append((label, picture))
    return found


def _context(report: Report) -> dict[str, Any]:
    snap = report.snapshot
    return {
        "report": report,
        "snap": snap,
        "plan": snap.plan,
        "period": snap.period,
        "content": report.content,
        "checkpoint": report.checkpoint,
        "basis": basis_line(report),
        "generated": generated_line(report),
        "rag_fill": RAG_FILL,
        "rag_ink": RAG_INK,
        "rag_order": text.RAG_ORDER,
        "unit": "Month" if snap.period.cadence.value == "monthly" else "Quarter",
    }


def render_html(report: Report, printed: bool = False) -> str:
    """The report as HTML; printed, as the PDF lays it out (charts as images)."""
    template = html_environment().get_template(f"{report.kind.value}.html.j2")
    return template.render(**_context(report), pictures=_pictures(report, printed))


def render_markdown(report: Report) -> str:
    template = markdown_environment().get_template(f"{report.kind.value}.md.j2")
    return template.render(**_context(report))
