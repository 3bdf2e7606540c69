"""A RAG cell shaded in its colour and left empty, in a workbook or a Word table: read
as the rating its shade shows, and said so in the report; a shade the whole row shares
(a heading's band, a table's striping) is no rating."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from domain.values import Rag
from engine.importing import parse_file
from engine.importing.colours import rating_of_fill

HEADINGS = ["Ref", "Action", "Lead", "Due date", "RAG", "Progress"]
# (ref, action, fill of the RAG cell, progress); the RAG cell holds no text.
ROWS = [
    ("1.1", "Audit cases", "FF0000", "Auditor left"),
    ("1.2", "Train staff", "FFC000", "Trainer booked late"),
    ("1.3", "Publish policy", "00B050", "Drafted"),
    ("1.4", "Survey families", "7030A0", ""),  # purple: no rating
]
BAND = "D9D9D9"  # a heading row's grey band across every cell


def workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADINGS)
    ws.append(["Recommendation 1: Safeguarding", "", "", "", "", ""])
    for column in range(1, len(HEADINGS) + 1):
        ws.cell(2, column).fill = PatternFill("solid", fgColor=BAND)
    for ref, action, fill, progress in ROWS:
        ws.append([ref, action, "Ann Lee", "31/03/2025", None, progress])
        ws.cell(ws.max_row, 5).fill = PatternFill("solid", fgColor=fill)
    # Striped: every cell of the row shares the shade, the empty RAG cell too.
    ws.append(["1.5", "Review board", "Ann Lee", "31/03/2025", None, ""])
    for column in range(1, len(HEADINGS) + 1):
        ws.cell(ws.max_row, column).fill = PatternFill("solid", fgColor="C6EFCE")
    # Text wins over the shade.
    ws.append(["1.6", "Recruit", "Ann Lee", "31/03/2025", "Green", ""])
    ws.cell(ws.max_row, 5).fill = PatternFill("solid", fgColor="FF0000")
    wb.save(path)
    return path


def shade(cell: Any, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def document(path: Path) -> Path:
    doc = Document()
    table = doc.add_table(rows=1, cols=len(HEADINGS))
    for i, heading in enumerate(HEADINGS):
        table.cell(0, i).text = heading
    band = table.add_row().cells
    band[0].text = "Recommendation 1: Safeguarding"
    for cell in band:
        shade(cell, BAND)
    for ref, action, fill, progress in ROWS:
        cells = table.add_row().cells
        for i, text in enumerate([ref, action, "Ann Lee", "31/03/2025", "", progress]):
            cells[i].text = text
        shade(cells[4], fill)
    striped = table.add_row().cells
    for i, text in enumerate(["1.5", "Review board", "Ann Lee", "31/03/2025", "", ""]):
        striped[i].text = text
        shade(striped[i], "C6EFCE")
    text_wins = table.add_row().cells
    for i, text in enumerate(["1.6", "Recruit", "Ann Lee", "31/03/2025", "Green", ""]):
        text_wins[i].text = text
    shade(text_wins[4], "FF0000")
    doc.save(str(path))
    return path


@pytest.mark.parametrize("make", [workbook, document], ids=["xlsx", "docx"])
def test_an_empty_rag_cell_is_read_by_its_shade(make: Any, tmp_path: Path) -> None:
    path = make(tmp_path / ("plan.xlsx" if make is workbook else "plan.docx"))
    spec, report = parse_file(path, slug="plan")
    assert report.ok, report.errors
    # The banded heading row is still a heading, not an action rated grey.
    assert [(g.ref, g.title) for g in spec.groups] == [("1", "Safeguarding")]
    assert [(a.ref, a.rag) for a in spec.actions] == [
        ("1.1", Rag.RED), ("1.2", Rag.AMBER), ("1.3", Rag.GREEN), ("1.4", None),
        ("1.5", None), ("1.6", Rag.GREEN),
    ]  # fmt: skip
    assert spec.actions[0].rag_reason == "Auditor left"
    read = [(i.row, i.value, i.reason) for i in report.infos if "colour" in i.reason]
    assert read == [
        (3, "Red", "no text; read from the cell's colour (FF0000)"),
        (4, "Amber", "no text; read from the cell's colour (FFC000)"),
        (5, "Green", "no text; read from the cell's colour (00B050)"),
    ]


@pytest.mark.parametrize(
    ("colour", "word"),
    [
        ("FF0000", "Red"), ("C00000", "Red"), ("FFC7CE", "Red"),
        ("FFC000", "Amber"), ("FFFF00", "Amber"), ("FFEB9C", "Amber"), ("ED7D31", "Amber"),
        ("00B050", "Green"), ("92D050", "Green"), ("C6EFCE", "Green"),
        ("00B0F0", "Blue"), ("0070C0", "Blue"),
        ("BFBFBF", "Grey"), ("808080", "Grey"),
        ("FFFFFF", None), ("000000", None), ("7030A0", None), ("auto", None), (None, None),
        ("FF00FF00", "Green"),  # with its alpha first, as a workbook writes it
    ],
)  # fmt: skip
def test_shades_by_hue(colour: str | None, word: str | None) -> None:
    assert rating_of_fill(colour) == word
