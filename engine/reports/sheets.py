"""Reports as CSV and as spreadsheets: one row per action (per agency decision in the
governance report), with the columns typed so dates stay dates, and the checkpoint of
the plan's record at the end.

Text is written as text.plain makes it (nothing that would not print, which a
spreadsheet file could not even hold), and never as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from engine.reports.build import Report
from engine.reports.documents import basis_line, generated_line
from engine.reports.palette import RAG_FILL, RAG_INK
from engine.reports.table import Cell, Column, ColumnKind, Table
from engine.reports.text import RAG_LABELS, plain

DATE_FORMAT = "d mmm yyyy"

_WIDTHS = {
    ColumnKind.TEXT: 24,
    ColumnKind.LONG_TEXT: 48,
    ColumnKind.DATE: 13,
    ColumnKind.RAG: 11,
    ColumnKind.NUMBER: 9,
}

# A spreadsheet program reads a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "@", "\t", "\r")

# The most characters a spreadsheet cell holds (Excel's limit).
CELL_LIMIT = 32_767


def _text(column: Column, value: Cell) -> str:
    if value is None:
        return ""
    if column.kind is ColumnKind.RAG:
        return plain(RAG_LABELS.get(str(value), str(value)))
    if isinstance(value, date):
        return value.isoformat()
    return plain(value)


def cell_text(text: str) -> str:
    """Text cut to what a spreadsheet cell holds, saying so where it was cut."""
    if len(text) <= CELL_LIMIT:
        return text
    note = f" [cut here: the text has {len(text):,} characters; the CSV report has it all]"
    return text[: CELL_LIMIT - len(note)] + note


def csv_safe(text: str) -> str:
    """Text that a spreadsheet opening the CSV shows as written, never runs."""
    if text.startswith(_FORMULA_START) or (len(text) > 1 and text[0] == "-" and text[1] != " "):
        return "'" + text
    return text


def render_csv(report: Report) -> str:
    table = report.table
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title for c in table.columns])
    for row in table.rows:
        writer.writerow(
            [
                csv_safe(_text(c, v)) if c.kind is not ColumnKind.NUMBER else _text(c, v)
                for c, v in zip(table.columns, row, strict=True)
            ]
        )
    # The checkpoint after an empty row, a line of its statement in each row, so the
    # file can be given to `actiontrail verify --checkpoint` as it is.
    writer.writerow([])
    lines = report.checkpoint.lines or [report.checkpoint.intro]
    for line in lines:
        writer.writerow([csv_safe(plain(line))])
    return out.getvalue()


def render_xlsx(report: Report) -> bytes:
    wb = Workbook()
    sheet = wb.active
    assert isinstance(sheet, Worksheet)
    sheet.title = report.kind.value.capitalize()
    _fill(sheet, report.table)
    _section_sheets(wb, report)
    _about(wb, report)
    # Stamped with the report's own time, not the moment of saving.
    stamp = report.generated_at.replace(tzinfo=None)
    wb.properties.title = plain(report.title)
    wb.properties.creator = "actiontrail"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _fill(sheet: Worksheet, table: Table) -> None:
    bold = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F3A5F")
    for i, column in enumerate(table.columns, 1):
        cell = sheet.cell(row=1, column=i, value=column.title)
        cell.font = bold
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(i)].width = _WIDTHS[column.kind]
    for r, row in enumerate(table.rows, 2):
        for i, (column, value) in enumerate(zip(table.columns, row, strict=True), 1):
            _put(sheet.cell(row=r, column=i), column, value)
    sheet.freeze_panes = "B2"
    if table.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"


def _section_sheets(wb: Workbook, report: Report) -> None:
    """A sheet for each of the board paper's sections with a table (the first sheet
    already holds the report's full table): heading row frozen, RAG cells filled."""
    from engine.reports.sections import RagCell, Width, sections

    widths = {Width.NARROW: 11, Width.NORMAL: 24, Width.WIDE: 60}
    for section in sections(report):
        t = section.table
        if t is None or section.sheet.lower() == report.kind.value:
            continue
        ws = wb.create_sheet(_sheet_name(wb, section.sheet))
        head_font = Font(bold=True, color="FFFFFF")
        head_fill = PatternFill("solid", fgColor="1F3A5F")
        for i, col in enumerate(t.columns, 1):
            cell = ws.cell(row=1, column=i, value=plain(col.title))
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[get_column_letter(i)].width = widths[col.width]
        r = 2
        for n, row in enumerate(t.rows):
            if n in t.groups:
                ws.cell(row=r, column=1, value=cell_text(plain(t.groups[n]))).font = Font(bold=True)
                r += 1
            for i, value in enumerate(row, 1):
                cell = ws.cell(row=r, column=i)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if isinstance(value, RagCell):
                    cell.value = value.text
                    if value.rag in RAG_FILL:
                        rag = str(value.rag)
                        cell.fill = PatternFill("solid", fgColor=RAG_FILL[rag].lstrip("#").upper())
                        cell.font = Font(bold=True, color=RAG_INK[rag].lstrip("#").upper())
                elif isinstance(value, date):
                    cell.value = value
                    cell.number_format = DATE_FORMAT
                elif isinstance(value, int | float):
                    cell.value = value
                elif value not in (None, ""):
                    cell.value = cell_text(plain(value))
                    cell.data_type = "s"
            r += 1
        if not t.rows:
            ws.cell(row=r, column=1, value=section.empty)
            r += 1
        for text in section.paragraphs:
            r += 1
            ws.cell(row=r, column=1, value=cell_text(plain(text))).data_type = "s"
        ws.freeze_panes = "A2"


def _sheet_name(wb: Workbook, name: str) -> str:
    name = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31]
    taken = set(wb.sheetnames)
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name[:28]} {n}"
        n += 1
    return candidate


def _put(cell: SheetCell, column: Column, value: Cell) -> None:
    top = Alignment(vertical="top", wrap_text=column.kind is ColumnKind.LONG_TEXT)
    cell.alignment = top
    if value is None or value == "":
        return
    if column.kind is ColumnKind.DATE and isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
        return
    if column.kind is ColumnKind.NUMBER and isinstance(value, int | float):
        cell.value = value
        return
    cell.value = cell_text(_text(column, value))
    # What people wrote is text, even when it starts with "=".
    cell.data_type = "s"
    if column.kind is ColumnKind.RAG and str(value) in RAG_FILL:
        rag = str(value)
        cell.fill = PatternFill("solid", fgColor=RAG_FILL[rag].lstrip("#").upper())
        cell.font = Font(bold=True, color=RAG_INK[rag].lstrip("#").upper())


def _about(wb: Workbook, report: Report) -> None:
    sheet = wb.create_sheet("About")
    snap = report.snapshot
    rows: list[tuple[str, str]] = [
        ("Report", report.title),
        ("Plan", f"{snap.plan['title']} ({snap.plan['slug']})"),
        ("Organisation", snap.plan.get("organisation") or ""),
        ("Period", f"{snap.period.label} ({snap.period.key})"),
        ("Basis", basis_line(report)),
    ]
    if snap.notice:
        rows.append(("Note", snap.notice))
    checkpoint = report.checkpoint
    rows.append(("Checkpoint", checkpoint.statement.rstrip("\n") or checkpoint.intro))
    rows.append(("Generated", generated_line(report)))
    for r, (label, value) in enumerate(rows, 1):
        sheet.cell(row=r, column=1, value=label).font = Font(bold=True)
        cell = sheet.cell(row=r, column=2, value=cell_text(plain(value)))
        cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 100
