"""Writing a plan as a Word document a council can circulate: the same rows and columns
as the exported sheet (export_sheet.sheet_rows), as one landscape table.

The heading row repeats at the top of every page; a grouping (a recommendation, or the
outcome above it) is a shaded row merged across the table; a cell's lines are its
paragraphs. The document reads back through the Word import as the same plan, so
importing it into the plan it came from records nothing.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from engine.importing.export_sheet import _WIDTHS, HEADINGS, Row

# Characters XML cannot hold (python-docx refuses them); a tab and a line break are
# kept as Word's own.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_GROUPING_SHADE = "DDEBF7"
_HEADING_SHADE = "D9D9D9"


def cell_text(value: str | date | None) -> str:
    """A cell as the Word table shows it: dates as "31 Dec 2009", which the importer
    reads back as that day."""
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    return _NOT_XML.sub("", value)


def write_docx(path: Path, rows: list[Row]) -> None:
    """``rows`` as export_sheet.sheet_rows gives them: the title, a blank row, the
    headings, then groupings (one cell) and actions."""
    from docx import Document  # heavy import, only for Word documents
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(12))
    document.styles["Normal"].font.size = Pt(8)
    heading_at = next(i for i, row in enumerate(rows) if list(row) == list(HEADINGS))
    for row in rows[:heading_at]:
        if row and row[0]:
            document.add_paragraph(cell_text(row[0]), style="Title")
    width = len(HEADINGS)
    table = document.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    usable = Mm(297 - 24)
    total = sum(_WIDTHS)
    widths = [int(usable * w / total) for w in _WIDTHS]
    for column, size in zip(table.columns, widths, strict=True):
        column.width = size
    heading = table.add_row()
    _repeat_as_heading(heading)
    for cell, text, size in zip(heading.cells, HEADINGS, widths, strict=True):
        cell.width = size
        cell.paragraphs[0].add_run(text).bold = True
        _shade(cell, _HEADING_SHADE)
    for row in rows[heading_at + 1 :]:
        added = table.add_row()
        cells = added.cells
        for cell, size in zip(cells, widths, strict=True):
            cell.width = size
        if len(row) == 1:
            merged = cells[0].merge(cells[-1])
            _fill(merged, cell_text(row[0]), bold=True)
            _shade(merged, _GROUPING_SHADE)
            continue
        for cell, value in zip(cells, row, strict=False):
            _fill(cell, cell_text(value))
    document.save(str(path))


def _fill(cell: Any, text: str, *, bold: bool = False) -> None:
    for i, line in enumerate(text.split("\n")):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        if line:
            paragraph.add_run(line).bold = bold


def _repeat_as_heading(row: Any) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shade = OxmlElement("w:shd")
    shade.set(qn("w:val"), "clear")
    shade.set(qn("w:color"), "auto")
    shade.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shade)
