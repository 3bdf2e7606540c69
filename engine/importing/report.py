"""What an import found, row by row: the ImportReport and its text and JSON forms."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.importing.preamble import Narrative


class Severity(StrEnum):
    ERROR = "error"  # the import must not be recorded
    WARNING = "warning"  # recorded, but something was kept as text or assumed
    INFO = "info"  # worth knowing; nothing lost


@dataclass(frozen=True)
class Issue:
    """One finding about one cell or row; ``row`` is the spreadsheet's own row number."""

    row: int | None
    column: str | None
    value: str | None
    reason: str
    severity: Severity = Severity.WARNING

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "severity": self.severity.value}


@dataclass(frozen=True)
class DateRead:
    """How one cell's date was read: its words, the date (or dates) and the rule."""

    row: int
    column: str | None
    text: str
    read: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ColumnReport:
    """How one column was read: ``field`` None means its text was kept as notes."""

    letter: str
    heading: str
    field: str | None
    how: str  # "recognised", "mapped", "by content", "unmapped", "duplicate"


@dataclass
class ImportReport:
    file: str
    sheet: str | None = None
    layout: str = "custom"
    header_row: int | None = None
    rows_read: int = 0
    groups: int = 0
    actions: int = 0
    columns: list[ColumnReport] = field(default_factory=list)
    people_without_email: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    # The row each action starts on, so that a rule refusing the action when it is
    # recorded can name the row in the sheet.
    action_rows: dict[str, int] = field(default_factory=dict)
    dates: list[DateRead] = field(default_factory=list)
    # A progress report's overview, risks and issues, for the month its title names.
    narrative: Narrative | None = None
    # Actions read from an exported file's record, their rows being as exported.
    exact: list[str] = field(default_factory=list)
    # The plan as the file presents it (the text above its table, or the options given).
    title: str | None = None
    organisation: str | None = None
    source: str | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def infos(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.INFO]

    @property
    def ok(self) -> bool:
        """False when any error means the import must not be recorded."""
        return not self.errors

    @property
    def error_rows(self) -> list[int]:
        return sorted({i.row for i in self.errors if i.row is not None})

    @property
    def unmapped_columns(self) -> list[str]:
        return [c.heading or f"Column {c.letter}" for c in self.columns if c.field is None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "layout": self.layout,
            "header_row": self.header_row,
            "rows_read": self.rows_read,
            "groups": self.groups,
            "actions": self.actions,
            "plan": {
                "title": self.title,
                "organisation": self.organisation,
                "source": self.source,
            },
            "narrative": (
                {"period": self.narrative.period, **self.narrative.parts}
                if self.narrative
                else None
            ),
            "read_as_exported": list(self.exact),
            "ok": self.ok,
            "error_rows": self.error_rows,
            "columns": [asdict(c) for c in self.columns],
            "unmapped_columns": self.unmapped_columns,
            "people_without_email": list(self.people_without_email),
            "errors": [i.to_dict() for i in self.errors],
            "warnings": [i.to_dict() for i in self.warnings],
            "infos": [i.to_dict() for i in self.infos],
            "dates": [d.to_dict() for d in self.dates],
        }

    def render_dates(self, *, text_width: int = 30) -> str:
        """Every date read: the row, column, words, date and the rule that read them."""
        if not self.dates:
            return "Dates read: none\n"
        column_width = max([len(_clip(d.column, 20)) for d in self.dates] + [6])
        read_width = max([len(d.read) for d in self.dates] + [4])
        header = (
            f"{'Row':>5}  {'Column':<{column_width}}  {'Text':<{text_width}}  "
            f"{'Read':<{read_width}}  Rule"
        )
        lines = ["Dates read:", header, "-" * len(header)]
        for d in self.dates:
            lines.append(
                f"{d.row:>5}  {_clip(d.column, 20):<{column_width}}  "
                f"{_clip(d.text, text_width):<{text_width}}  {d.read:<{read_width}}  {d.rule}"
            )
        return "\n".join(lines) + "\n"

    def render_text(self, *, value_width: int = 40) -> str:
        where = f"{self.file}" + (f" (sheet {self.sheet!r})" if self.sheet else "")
        lines = [
            f"Import of {where}: {self.groups} groups, {self.actions} actions "
            f"from {self.rows_read} rows (headings at row {self.header_row}, "
            f"layout {self.layout})",
            f"Plan: {self.title or '(no title)'}; organisation: "
            f"{self.organisation or '(none given)'}; source: {self.source or '(none given)'}",
        ]
        if self.narrative:
            lines.append(
                f"Narrative of {self.narrative.period} from the text above the table: "
                f"{', '.join(self.narrative.parts)}"
            )
        if self.exact:
            lines.append(
                f"{len(self.exact)} actions read as exported: their rows are unchanged since "
                f"export-sheet wrote them, so the plan's own values are taken"
            )
        lines += ["", "Columns:"]
        heading_width = min(max([len(c.heading) for c in self.columns] + [12]), 40)
        for c in self.columns:
            target = c.field or "notes (no field)"
            heading = " ".join(c.heading.split()) or "(no heading)"
            lines.append(f"  {c.letter:<3} {heading:<{heading_width}}  -> {target} [{c.how}]")
        lines.append("")
        if self.issues:
            lines.append(_table(self.issues, value_width))
        else:
            lines.append("No problems found.")
        lines.append("")
        if self.ok:
            lines.append("Errors: none; the import can be recorded.")
        else:
            rows = ", ".join(map(str, self.error_rows)) or "(whole file)"
            lines.append(
                f"Errors: {len(self.errors)}; the import must not be recorded. Rows: {rows}"
            )
        lines.append(f"Warnings: {len(self.warnings)}")
        if self.people_without_email:
            lines.append(
                "People without email (reminders need one): " + "; ".join(self.people_without_email)
            )
        return "\n".join(lines) + "\n"


def _clip(text: str | None, width: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _table(issues: list[Issue], value_width: int) -> str:
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    rows = sorted(issues, key=lambda i: (i.row or 0, order[i.severity]))
    column_width = max([len(_clip(i.column, 30)) for i in rows] + [6])
    header = (
        f"{'Row':>5}  {'Severity':<8}  {'Column':<{column_width}}  {'Value':<{value_width}}  Reason"
    )
    out = [header, "-" * len(header)]
    for i in rows:
        out.append(
            f"{i.row if i.row is not None else '':>5}  {i.severity.value:<8}  "
            f"{_clip(i.column, 30):<{column_width}}  {_clip(i.value, value_width):<{value_width}}  "
            f"{i.reason}"
        )
    return "\n".join(out)


class IssueLog:
    """Collects issues as rows are read; messages name the row, column, value and rule."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.dates: list[DateRead] = []

    def date(self, row: int, column: str | None, text: str, read: str, rule: str) -> None:
        self.dates.append(DateRead(row, column, " ".join(text.split()), read, rule))

    def error(self, row: int | None, column: str | None, value: str | None, reason: str) -> None:
        self.issues.append(Issue(row, column, value, reason, Severity.ERROR))

    def warn(self, row: int | None, column: str | None, value: str | None, reason: str) -> None:
        self.issues.append(Issue(row, column, value, reason, Severity.WARNING))

    def info(self, row: int | None, column: str | None, value: str | None, reason: str) -> None:
        self.issues.append(Issue(row, column, value, reason, Severity.INFO))
