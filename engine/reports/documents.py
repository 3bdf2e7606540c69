"""Reports as HTML and Markdown documents, from the Jinja2 templates beside this module.

Everything people wrote is shown as text: markup is escaped, and characters that would
not print (terminal controls, bidirectional overrides) are written as \\uXXXX escapes,
since every value passes through text.plain on its way into a document.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from domain.clock import LONDON
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


@cache
def html_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("engine.reports", "templates"),
        autoescape=True,
        finalize=html_value,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_FILTERS)
    return env


@cache
def markdown_environment() -> Environment:
    # Autoescaped for Markdown: every value passes through md_text on its way out,
    # which escapes HTML and the characters Markdown would read as formatting.
    env = Environment(
        loader=PackageLoader("engine.reports", "templates"),
        autoescape=True,
        finalize=lambda value: value if isinstance(value, Markup) else md_text(value),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_FILTERS)
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
    moment = report.generated_at.astimezone(LONDON)
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
    return datetime.fromisoformat(moment).astimezone(LONDON).date()


def _pictures(report: Report) -> dict[str, Any]:
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
    pictures: dict[str, Any] = {
        "rag_mix": charts.rag_mix(bars, "RAG mix of the actions at the close of each period"),
    }
    if report.kind is ReportKind.PROGRESS:
        pictures["timeline"] = charts.timeline(
            snap.actions, snap.as_of, "Timeline of actions: plan start to plan finish"
        )
        pictures["indicators"] = indicator_pictures(snap.actions)
    elif report.kind is ReportKind.EXCEPTION:
        pictures["timeline"] = charts.timeline(
            [a for a in snap.actions if is_flagged(a)],
            snap.as_of,
            "Timeline of the actions in this report",
        )
    return pictures


def indicator_pictures(actions: list[dict[str, Any]]) -> list[tuple[str, Markup]]:
    """Each indicator with readings: its readings against its target and red threshold."""
    from engine.reports.indicators import indicator_svg, readings_of

    found = []
    for a in actions:
        for i in a.get("indicators") or []:
            points = readings_of(a, i["name"])
            if points:
                svg = indicator_svg(
                    i["name"], i.get("unit") or "", points, i["target"], i.get("red_threshold")
                )
                found.append((f"{a['ref']} {i['name']}", svg))
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


def render_html(report: Report) -> str:
    template = html_environment().get_template(f"{report.kind.value}.html.j2")
    return template.render(**_context(report), pictures=_pictures(report))


def render_markdown(report: Report) -> str:
    template = markdown_environment().get_template(f"{report.kind.value}.md.j2")
    return template.render(**_context(report))
