"""The spreadsheet and CSV outputs: one row per action, typed cells, coloured RAG."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from domain.clock import FixedClock
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.reports.palette import RAG_FILL
from engine.reports.sheets import csv_safe
from engine.runtime import Runtime
from tests.test_reports import leeds_on_sqlite  # noqa: F401  (fixture)

SLUG = "leeds-iwc"
RG = "richard.graham@leeds.example"


def sheet(
    rt: Runtime, kind: ReportKind = ReportKind.PROGRESS, period: str | None = "2009-08"
) -> Worksheet:
    data = render(build_report(rt, SLUG, kind, period), ReportFormat.XLSX)
    ws = openpyxl.load_workbook(io.BytesIO(data))[kind.value.capitalize()]
    assert isinstance(ws, Worksheet)
    return ws


def table_rows(data: bytes) -> list[dict[str, str]]:
    """The CSV's table: its rows up to the empty row before the checkpoint."""
    table, gap, _ = data.decode("utf-8-sig").partition("\r\n\r\n")
    assert gap, "the table is followed by an empty row and the checkpoint"
    return list(csv.DictReader(io.StringIO(table + "\r\n")))


def column(ws: Worksheet, title: str) -> int:
    heads = [c.value for c in ws[1]]
    return heads.index(title) + 1


def test_xlsx_has_a_row_per_action_with_frozen_headers(leeds: Runtime) -> None:
    ws = sheet(leeds)
    report = build_report(leeds, SLUG, ReportKind.PROGRESS, "2009-08")
    refs = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert refs == [a["ref"] for a in report.snapshot.actions]
    assert ws.freeze_panes == "B2"
    assert ws.cell(row=1, column=1).value == "Ref"
    assert ws.auto_filter.ref == f"A1:{ws.cell(row=1, column=ws.max_column).column_letter}27"


def test_xlsx_colours_rag_cells_and_keeps_dates_as_dates(leeds: Runtime) -> None:
    ws = sheet(leeds)
    this = column(ws, "This month RAG")
    last = column(ws, "Last month RAG")
    start = column(ws, "Plan start")
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "7.2")
    cell = ws.cell(row=row, column=this)
    assert cell.value == "Red"
    assert cell.fill.fgColor.rgb.endswith(RAG_FILL["red"].lstrip("#").upper())
    done = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "2.3")
    assert ws.cell(row=done, column=last).value == "Red"
    assert ws.cell(row=done, column=this).fill.fgColor.rgb.endswith(
        RAG_FILL["complete"].lstrip("#").upper()
    )
    started = ws.cell(row=row, column=start)
    assert started.is_date and started.value == datetime(2008, 11, 1)
    assert started.number_format == "d mmm yyyy"


def test_narratives_stay_text_in_the_spreadsheet_and_the_csv(
    leeds: Runtime, clock: FixedClock
) -> None:
    clock.set(datetime(2009, 9, 15, 10, tzinfo=UTC))
    leeds.app.report_progress(RG, SLUG, "2.1", "2009-09", '=HYPERLINK("http://x","y")', risk="+1")
    ws = sheet(leeds, period=None)
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "2.1")
    progress = ws.cell(row=row, column=column(ws, "Report of progress"))
    assert progress.value == '=HYPERLINK("http://x","y")' and progress.data_type == "s"
    data = render(build_report(leeds, SLUG, ReportKind.PROGRESS, None), ReportFormat.CSV)
    rows = table_rows(data)
    mine = next(r for r in rows if r["Ref"] == "2.1")
    assert mine["Report of progress"] == '\'=HYPERLINK("http://x","y")'
    assert mine["Risk report"] == "'+1"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-1+2", "'-1+2"),
        ("- a list item", "- a list item"),
        ("plain", "plain"),
    ],
)
def test_csv_safe(text: str, shown: str) -> None:
    assert csv_safe(text) == shown


def test_csv_has_a_row_per_action_with_iso_dates(leeds: Runtime) -> None:
    data = render(build_report(leeds, SLUG, ReportKind.PROGRESS, "2009-08"), ReportFormat.CSV)
    assert data.startswith("\ufeff".encode())
    rows = table_rows(data)
    assert len(rows) == 26
    mine = next(r for r in rows if r["Ref"] == "7.2")
    assert (mine["This month RAG"], mine["Plan finish"]) == ("Red", "2009-05-31")
    assert mine["Recommendation"].startswith("Recommendation 7:")


def test_exception_sheet_holds_only_the_flagged(leeds: Runtime) -> None:
    ws = sheet(leeds, ReportKind.EXCEPTION, "2009-07")
    rags = [ws.cell(row=r, column=column(ws, "RAG")).value for r in range(2, ws.max_row + 1)]
    assert rags == ["Red"] * 4 + ["Amber"]
