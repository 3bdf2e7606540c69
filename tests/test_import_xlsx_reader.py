"""Reading a workbook sheet by sheet as a stream: merged ranges read from the sheet's own
XML (a heading merged across the table, a reference merged down an action's rows), the
cells a merged range covers showing its first cell's text, a dimension element that is
wrong, formulas' saved values, chart sheets, the export record's hidden sheet, and
damage found while a sheet is streamed."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from engine.importing import ImportFileError, parse_file
from engine.importing.reader import MAX_CELL_CHARS, RECORD_SHEET, Row, read_sheets
from engine.importing.xlsx_reader import MAX_MERGED_CELLS, merged_ranges
from tests.test_import_refused import rewrite_part

HEADINGS = ["Ref", "Action", "Lead", "Plan Finish"]


def workbook(path: Path, rows: list[list[Any]], *, title: str = "Plan") -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def with_merges(*refs: str) -> Callable[[bytes], bytes]:
    """Merged ranges written into a sheet's XML where Excel writes them."""
    cells = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    element = f'<mergeCells count="{len(refs)}">{cells}</mergeCells>'.encode()
    return lambda xml: xml.replace(b"</sheetData>", b"</sheetData>" + element, 1)


def rows_of(path: Path, sheet: str | None = None) -> list[Row]:
    [read] = read_sheets(path, "xlsx", sheet)
    return read.rows


PLAN = [
    HEADINGS,
    ["Recommendation 1: Improve audit", "left over"],
    ["1.1", "Write procedures", "Sue Hawkins", "Sep-10"],
    ["", "", "", "Dec-10"],
    ["1.2", "Train staff", "Jo Bloggs", "Mar-11"],
]


def test_merged_ranges_are_read_from_the_sheet_xml_in_its_order(tmp_path: Path) -> None:
    path = workbook(tmp_path / "plan.xlsx", PLAN)
    rewrite_part(path, "xl/worksheets/sheet1.xml", with_merges("A2:D2", "A3:A4", "B3:C3"))
    with zipfile.ZipFile(path) as archive:
        assert merged_ranges(path, archive, "xl/worksheets/sheet1.xml") == [
            (2, 0, 2, 3),
            (3, 0, 4, 0),
            (3, 1, 3, 2),
        ]


def test_a_merged_heading_and_reference_are_copied_to_the_cells_they_cover(
    tmp_path: Path,
) -> None:
    """The text a covered cell holds in the file ("left over" in B2: spreadsheets keep
    it, hidden) is not read: the cell shows the range's first cell, as on screen."""
    path = workbook(tmp_path / "plan.xlsx", PLAN)
    rewrite_part(path, "xl/worksheets/sheet1.xml", with_merges("A2:D2", "A3:A4", "B3:C3"))
    heading = "Recommendation 1: Improve audit"
    assert rows_of(path)[1:] == [
        Row(2, (heading,) * 4, frozenset({1, 2, 3})),
        Row(3, ("1.1", "Write procedures", "Write procedures", "Sep-10"), frozenset({2})),
        Row(4, ("1.1", "", "", "Dec-10"), frozenset(), frozenset({0})),
        Row(5, ("1.2", "Train staff", "Jo Bloggs", "Mar-11")),
    ]
    spec, report = parse_file(path, slug="plan")
    assert report.ok, report.issues
    assert [g.title for g in spec.groups] == ["Improve audit"]
    assert [a.ref for a in spec.actions] == ["1.1", "1.2"]


def test_a_merged_range_below_the_last_row_written_still_spans_its_rows(tmp_path: Path) -> None:
    path = workbook(tmp_path / "plan.xlsx", PLAN[:3])
    rewrite_part(path, "xl/worksheets/sheet1.xml", with_merges("A3:A5", "B7:B8"))
    assert [(r.number, r.cells, r.spanned) for r in rows_of(path)[3:]] == [
        (4, ("1.1",), frozenset({0})),
        (5, ("1.1",), frozenset({0})),
    ]


def test_a_formula_in_a_covered_cell_is_not_read(tmp_path: Path) -> None:
    path = workbook(tmp_path / "plan.xlsx", [HEADINGS, ["1", "Do it", "=A2", "=B2"]])
    rewrite_part(path, "xl/worksheets/sheet1.xml", with_merges("B2:C2"))
    _, report = parse_file(path, slug="plan")
    assert [i.value for i in report.issues if "holds the formula" in i.reason] == ["=B2"]


def test_merges_come_from_the_part_of_the_sheet_read(tmp_path: Path) -> None:
    wb = Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["Read me first"])
    plan = wb.create_sheet("Plan")
    for row in PLAN:
        plan.append(row)
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    rewrite_part(path, "xl/worksheets/sheet2.xml", with_merges("A3:A4"))
    spanned = Row(4, ("1.1", "", "", "Dec-10"), frozenset(), frozenset({0}))
    assert rows_of(path, "Plan")[3] == spanned
    assert rows_of(path, "Notes") == [Row(1, ("Read me first",))]


@pytest.mark.parametrize("dimension", ["A1:B2", "C3:D4", "A1"])
def test_a_sheet_whose_dimension_element_is_wrong_is_read_whole(
    tmp_path: Path, dimension: str
) -> None:
    path = workbook(tmp_path / "plan.xlsx", PLAN)
    whole = rows_of(path)
    assert len(whole) == 5 and len(whole[-1].cells) == 4

    def wrong(xml: bytes) -> bytes:
        return re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>'.encode(), xml)

    rewrite_part(path, "xl/worksheets/sheet1.xml", wrong)
    assert rows_of(path) == whole


def test_merged_ranges_covering_too_many_cells_are_refused(tmp_path: Path) -> None:
    """A range over a whole column would make a row of each of its million cells."""
    # 4 cells, then 2 for each row from 5 down: the limit is reached at the last row.
    last = (MAX_MERGED_CELLS - 4) // 2 + 4
    path = workbook(tmp_path / "plan.xlsx", PLAN)
    rewrite_part(path, "xl/worksheets/sheet1.xml", with_merges("A2:D2", f"A5:B{last + 1}"))
    with pytest.raises(ImportFileError) as refused:
        read_sheets(path, "xlsx")
    assert str(refused.value) == (
        f"plan.xlsx: the merged cells of a sheet cover over {MAX_MERGED_CELLS:,} cells "
        f"(the range A5:B{last + 1} among them); unmerge them; nothing read"
    )
    path = workbook(tmp_path / "plan.xlsx", PLAN)
    rewrite_part(path, "xl/worksheets/sheet1.xml", with_merges("A2:D2", f"A5:B{last}"))
    rows = rows_of(path)
    assert len(rows) == last
    assert rows[-1] == Row(last, ("1.2", "1.2"), frozenset({1}), frozenset({0, 1}))


@pytest.mark.parametrize("ref", ["A:A", "2:2", "B3:A2", "nonsense"])
def test_a_merged_range_that_is_not_a_range_of_cells_is_refused_in_one_line(
    tmp_path: Path, ref: str
) -> None:
    path = workbook(tmp_path / "plan.xlsx", PLAN)
    rewrite_part(path, "xl/worksheets/sheet1.xml", with_merges(ref))
    with pytest.raises(ImportFileError, match=r"^plan.xlsx: not a readable .xlsx workbook \("):
        read_sheets(path, "xlsx")


def test_a_formula_takes_its_saved_value_read_along_the_sheet(tmp_path: Path) -> None:
    rows = [HEADINGS, ["1", "Do it", "Ann", "=D3"], ["2", "Next", "Bo", "=D2"]]
    path = workbook(tmp_path / "plan.xlsx", rows)

    def saved(xml: bytes) -> bytes:
        xml = xml.replace(b"<f>D3</f><v></v>", b"<f>D3</f><v>Sep-10</v>")
        return xml.replace(b'<c r="D2">', b'<c r="D2" t="str">')

    rewrite_part(path, "xl/worksheets/sheet1.xml", saved)
    [read] = read_sheets(path, "xlsx")
    assert [r.cells[3] for r in read.rows[1:]] == ["Sep-10", "=D2"]
    assert [(n.row, n.column, n.value) for n in read.notes] == [(2, 3, "=D3"), (3, 3, "=D2")]
    assert "its last calculated value 'Sep-10' is used" in read.notes[0].reason
    assert "with no calculated value saved" in read.notes[1].reason


def test_a_formula_whose_saved_value_is_longer_than_excel_allows_is_refused(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path / "plan.xlsx", [HEADINGS, ["1", '=REPT("a",40000)']])
    long = b"a" * (MAX_CELL_CHARS + 1)

    def saved(xml: bytes) -> bytes:
        xml = xml.replace(b'<c r="B2">', b'<c r="B2" t="str">')
        return xml.replace(b"</f><v></v>", b"</f><v>" + long + b"</v>")

    rewrite_part(path, "xl/worksheets/sheet1.xml", saved)
    with pytest.raises(
        ImportFileError, match=r"^plan.xlsx: row 2, column B: the cell holds 32,768"
    ):
        read_sheets(path, "xlsx")


def test_a_chart_sheet_is_read_as_an_empty_sheet(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb["Sheet"]
    for row in PLAN:
        ws.append(row)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=1, min_row=3, max_row=5))
    wb.create_chartsheet("Chart", 0).add_chart(chart)
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    read = [(s.name, len(s.rows)) for s in read_sheets(path, "xlsx")]
    assert read == [("Chart", 0), ("Sheet", 5)]
    spec, report = parse_file(path, slug="plan")
    assert report.ok and report.sheet == "Sheet"
    assert [a.title for a in spec.actions][-2:] == ["Write procedures", "Train staff"]


@pytest.mark.parametrize("state", ["hidden", "veryHidden", "visible"])
def test_the_export_record_is_taken_only_from_a_hidden_sheet(tmp_path: Path, state: str) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in PLAN:
        ws.append(row)
    record = wb.create_sheet(RECORD_SHEET)
    record.sheet_state = state
    for piece in ("|{|", "|}|"):
        record.append([piece])
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    [read] = read_sheets(path, "xlsx")
    assert read.record == (None if state == "visible" else "{}")


@pytest.mark.parametrize(
    "damage",
    [
        lambda xml: xml.replace(b"</sheetData>", b"<row r=", 1),
        lambda xml: xml.replace(b'<row r="4">', b'<row r="4"><shee:/>', 1),
    ],
    ids=["cut short", "bad name"],
)
def test_a_sheet_damaged_past_its_first_rows_is_refused_in_one_line(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    """The sheet's XML is parsed as it is streamed, after the workbook has opened."""
    path = workbook(tmp_path / "plan.xlsx", PLAN)
    rewrite_part(path, "xl/worksheets/sheet1.xml", damage)
    with pytest.raises(ImportFileError) as refused:
        parse_file(path, slug="plan")
    line = str(refused.value)
    assert line.startswith("plan.xlsx: not a readable .xlsx workbook (") and "\n" not in line
