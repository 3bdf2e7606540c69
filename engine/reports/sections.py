"""A report as the board paper's sections, in order: headings, paragraphs, tables whose
RAG cells carry their colour and arrow, and pictures. The Word document is written from
these, and the spreadsheet has a sheet for each section with a table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from engine.reports.build import Report
from engine.reports.charts import Bar, short_label
from engine.reports.exceptions import ExceptionContent, is_flagged
from engine.reports.governance import (
    STATE_LABELS,
    GovernanceContent,
    board_status,
    history_line,
)
from engine.reports.indicators import readings_of
from engine.reports.progress import ProgressContent
from engine.reports.snapshot import Basis
from engine.reports.text import (
    RAG_LABELS,
    arrow,
    day,
    people,
    schedule_cells,
    status_label,
    to_date,
)


@dataclass(frozen=True)
class RagCell:
    """A RAG shown in its colour, with the word (and the arrow of travel) in the cell."""

    rag: str | None
    direction: str | None = None
    fallback: str = ""

    @property
    def text(self) -> str:
        word = RAG_LABELS.get(self.rag or "", self.fallback)
        mark = arrow(self.direction) if self.direction else ""
        return f"{word} {mark}".strip()


class Width(StrEnum):
    NARROW = "narrow"
    NORMAL = "normal"
    WIDE = "wide"


@dataclass(frozen=True)
class Col:
    title: str
    width: Width = Width.NORMAL


@dataclass
class SectionTable:
    columns: list[Col]
    rows: list[list[Any]] = field(default_factory=list)  # str, date, int, RagCell, None
    groups: dict[int, str] = field(default_factory=dict)  # row index -> heading before it
    landscape: bool = False


@dataclass(frozen=True)
class Picture:
    name: str
    png: bytes
    caption: str


@dataclass
class Section:
    title: str
    sheet: str  # the spreadsheet's name for it (31 characters at most)
    paragraphs: list[str] = field(default_factory=list)
    table: SectionTable | None = None
    pictures: list[Picture] = field(default_factory=list)
    level: int = 1
    empty: str = "None."


def timeline_pictures(actions: list[dict[str, Any]], today: date, caption: str) -> list[Picture]:
    """The timeline in page-sized parts, each captioned (a long plan's timeline would run
    off the page as one picture)."""
    from engine.reports.pictures import timeline_parts

    parts = timeline_parts(actions, today)
    if len(parts) == 1:
        return [Picture("timeline.png", parts[0], caption)]
    return [
        Picture(f"timeline-{i}.png", png, f"{caption} Part {i} of {len(parts)}.")
        for i, png in enumerate(parts, start=1)
    ]


def sections(report: Report) -> list[Section]:
    if isinstance(report.content, ProgressContent):
        return _progress(report, report.content)
    if isinstance(report.content, ExceptionContent):
        return _exception(report, report.content)
    assert isinstance(report.content, GovernanceContent)
    return _governance(report, report.content)


def _bars(report: Report) -> list[Bar]:
    snap = report.snapshot

    def label(p: Any) -> str:
        monthly = p.cadence.value == "monthly"
        return short_label(p.start.year, p.start.month) if monthly else p.key

    bars = [Bar(label(c.period), c.summary["by_rag"]) for c in snap.history]
    if snap.basis is not Basis.CLOSED:
        bars.append(Bar(label(snap.period), snap.summary["by_rag"], open=True))
    return bars


def _progress(report: Report, content: ProgressContent) -> list[Section]:
    from engine.reports.pictures import indicator_png, rag_mix_png

    snap = report.snapshot
    unit = "Month" if snap.period.cadence.value == "monthly" else "Quarter"
    out: list[Section] = []
    for i, lst in enumerate(content.lists):
        heading = "This period" if i < 2 else "Next period"
        table = SectionTable(
            [
                Col("Ref", Width.NARROW),
                Col("Action", Width.WIDE),
                Col(lst.date_title),
                Col("Lead"),
                Col("RAG", Width.NARROW),
            ],  # fmt: skip
            [[r.ref, r.title, r.when, r.lead, RagCell(r.rag)] for r in lst.rows],
        )
        out.append(
            Section(
                lst.title,
                _sheet(lst.title),
                paragraphs=[heading] if i in (0, 2) else [],
                table=table,
                level=2,
            )
        )
    o = content.overview
    n = content.narrative
    counts = SectionTable(
        [
            Col("RAG"),
            Col(o.previous_label or "Last period"),
            Col(snap.period.label),
            Col("Change"),
        ],  # fmt: skip
        [[RagCell(c.rag), "" if c.last is None else c.last, c.this, c.change] for c in o.counts],
    )
    figures = [
        f"{o.actions} actions, {o.complete_pct}% complete, {o.overdue} overdue, "
        f"{o.exceptions} reported better than computed."
    ]
    if o.previous_label:
        figures.append(
            f"Since {o.previous_label}: {o.improved} improved {arrow('up')}, "
            f"{o.worsened} worsened {arrow('down')}, {o.unchanged} unchanged {arrow('same')}."
        )
    out.append(
        Section(
            "Overview",
            "Overview",
            paragraphs=([n.overview] if n.overview else []) + figures,
            table=counts,
            pictures=[
                Picture(
                    "rag-mix.png",
                    rag_mix_png(_bars(report)),
                    "RAG mix of the actions at the close of each period.",
                )
            ],
        )
    )
    risks = SectionTable(
        [
            Col("Ref", Width.NARROW),
            Col("RAG", Width.NARROW),
            Col("Action"),
            Col("Risk", Width.WIDE),
        ],  # fmt: skip
        [[r.ref, RagCell(r.rag), r.title, r.text] for r in content.risks],
    )
    paragraphs = [n.risks] if n.risks else []
    if n.issues:
        paragraphs += ["Issues", n.issues]
    out.append(
        Section(
            "Risks",
            "Risks",
            paragraphs=paragraphs,
            table=risks,
            empty="No risks were reported on actions this period.",
        )
    )
    out.append(
        Section(
            "Amendments to the action plan",
            "Amendments",
            table=SectionTable(
                [
                    Col("Ref", Width.NARROW),
                    Col("Plan finish was"),
                    Col("Now"),
                    Col("Reason", Width.WIDE),
                    Col("By"),
                    Col("Recorded"),
                ],  # fmt: skip
                [[m.ref, m.old, m.new, m.reason, m.actor, m.recorded] for m in content.amendments],
            ),
            empty="No amendments are requested: no finish date was amended this period.",
        )
    )
    guidance = SectionTable(
        [Col("RAG"), Col("Meaning", Width.WIDE)],
        [[RagCell(value), meaning] for value, _label, meaning in content.guidance]
        + [[f"{arrow('up')} {arrow('down')} {arrow('same')}", "Direction of travel"]],
    )
    out.append(Section("Guidance on RAG reporting", "Guidance", table=guidance))
    out.append(
        Section(
            "Timeline of actions",
            "Timeline",
            pictures=timeline_pictures(
                snap.actions,
                snap.as_of,
                "Each action from plan start to plan finish, coloured by this period's "
                "RAG; a diamond marks the actual finish and the red line the report date.",
            ),
        )
    )
    table = SectionTable(
        [
            Col("Ref", Width.NARROW),
            Col("Aim/Outcome"),
            Col("Action"),
            Col(f"Last {unit} RAG", Width.NARROW),
            Col(f"This {unit} RAG", Width.NARROW),
            Col("Plan Start", Width.NARROW),
            Col("Plan Finish", Width.NARROW),
            Col("Actual Finish", Width.NARROW),
            Col("Success Criteria"),
            Col("Lead"),
            Col("Chief Officer"),
            Col("Report of Progress", Width.WIDE),
            Col("Risk Report"),
        ],  # fmt: skip
        landscape=True,
    )
    for g in content.groups:
        table.groups[len(table.rows)] = g.title
        for a in g.actions:
            done = a.get("status") in ("completed", "verified")
            table.rows.append(
                [
                    a["ref"],
                    a.get("aim") or "",
                    a["title"],
                    RagCell(a.get("last_rag")),
                    RagCell(a.get("rag"), a.get("direction"), status_label(a.get("status"))),
                    *schedule_cells(a),
                    a.get("progress") or ("Completed" if done else ""),
                    a.get("risk") or "",
                ]
            )
    out.append(Section(f"{snap.period.label.upper()} PROGRESS REPORT", "Progress", table=table))
    charts: list[Picture] = []
    for a in snap.actions:
        for ind in a.get("indicators") or []:
            points = readings_of(a, ind["name"])
            if points:
                charts.append(
                    Picture(
                        f"indicator-{len(charts) + 1}.png",
                        indicator_png(points, ind["target"], ind.get("red_threshold")),
                        f"{a['ref']} {ind['name']}: readings against the target "
                        f"{ind['target']:g}{ind.get('unit') or ''}",
                    )
                )
    if charts:
        out.append(Section("Indicators", "Indicators", pictures=charts))
    return out


def _exception(report: Report, content: ExceptionContent) -> list[Section]:
    snap = report.snapshot
    table = SectionTable(
        [
            Col("Ref", Width.NARROW),
            Col("Action", Width.WIDE),
            Col("RAG", Width.NARROW),
            Col("Reported", Width.NARROW),
            Col("Computed", Width.NARROW),
            Col("Why", Width.WIDE),
            Col("How long"),
            Col("Plan finish", Width.NARROW),
            Col("Lead"),
            Col("Chief Officer"),
            Col("Latest progress", Width.WIDE),
            Col("Risk"),
        ],  # fmt: skip
        landscape=True,
    )
    for f in content.flagged:
        a = f.action
        table.rows.append(
            [
                a["ref"],
                a["title"],
                RagCell(a.get("rag"), a.get("direction"), status_label(a.get("status"))),
                RagCell(a.get("reported_rag")),
                RagCell(a.get("computed_rag")),
                "; ".join([*(a.get("rag_reasons") or []), a.get("exception") or ""]).strip("; "),
                "\n".join(f.duration),
                to_date(a.get("plan_finish")),
                people(a.get("leads")),
                people(a.get("accountable")),
                a.get("progress") or "",
                a.get("risk") or "",
            ]
        )
    summary = (
        f"{content.red} red, {content.amber} amber; {content.exceptions} reported better than "
        "the rules compute (exceptions)."
    )
    return [
        Section(
            "Exceptions",
            "Exceptions",
            paragraphs=[summary],
            table=table,
            empty="No action is red or amber, and none is reported better than computed.",
        ),
        Section(
            "Timeline of these actions",
            "Timeline",
            pictures=timeline_pictures(
                [a for a in snap.actions if is_flagged(a)],
                snap.as_of,
                "These actions from plan start to plan finish; the red line marks the report date.",
            ),
        ),
    ]


def _governance(report: Report, content: GovernanceContent) -> list[Section]:
    matrix = SectionTable(
        [
            Col("Item", Width.WIDE),
            *(Col(a) for a in content.agencies),
            Col("Board sign-off", Width.WIDE),
        ],  # fmt: skip
        landscape=True,
    )
    for r in content.rows:
        document = f": {r['document_name']}" if r["document_name"] else ""
        cells: list[Any] = [f"{r['title']}\nversion {r['current_version']}{document}"]
        for agency in content.agencies:
            c = r["by_agency"].get(agency)
            if c is None:
                cells.append("not required")
                continue
            lines = [STATE_LABELS[c["state"]]]
            if c["body"]:
                lines.append(c["body"] + (f", minute {c['minute_ref']}" if c["minute_ref"] else ""))
            if c["decided_on"]:
                lines.append(day(c["decided_on"]))
            if c["pending_since"]:
                lines.append(f"pending since {day(c['pending_since'])}")
            cells.append("\n".join(lines))
        cells.append("\n".join([board_status(r), *(history_line(h) for h in r["history"])]))
        matrix.rows.append(cells)
    waiting = SectionTable(
        [
            Col("Item", Width.WIDE),
            Col("Version", Width.NARROW),
            Col("Agency"),
            Col("State"),
            Col("Waiting since"),
            Col("Waiting"),
        ],  # fmt: skip
        [[w.item, w.version, w.agency, w.state, w.since, w.for_days] for w in content.waiting],
    )
    summary = (
        f"{len(content.rows)} governance items: {content.signed} signed off by the board, "
        f"{content.ready} ready for sign-off, {len(content.waiting)} approvals pending."
    )
    return [
        Section(
            "Sign-off matrix",
            "Sign-off matrix",
            paragraphs=[summary],
            table=matrix,
            empty="This plan has no governance items.",
        ),  # fmt: skip
        Section(
            "Pending approvals",
            "Pending approvals",
            table=waiting,
            empty="Nothing is waiting for an agency's approval.",
        ),  # fmt: skip
    ]


def _sheet(title: str) -> str:
    names = {
        "Completed actions this reporting period": "Completed",
        "Overdue actions this reporting period": "Overdue",
        "Actions due for completion by the next reporting period": "Due next period",
        "Actions commencing in the next reporting period": "Commencing next period",
    }
    return names.get(title, title[:31])


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, RagCell):
        return value.text
    if isinstance(value, date):
        return day(value)
    return str(value)
