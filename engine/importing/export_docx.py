"""Writing a plan as a Word document a council can circulate: the same rows and columns
as the exported sheet (export_sheet.sheet_rows), as one landscape table.

The heading row repeats at the top of every page; a grouping (a recommendation, or the
outcome above it) is a shaded row merged across the table; a cell's lines are its
paragraphs. The document reads back through the Word import as the same plan, so
importing it into the plan it came from records nothing. Only export_sheet.write_sheet
imports this module, when a .docx is asked for, so python-docx is loaded only then.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from lxml import etree

from engine.importing.export_sheet import _WIDTHS, HEADINGS, Row
from engine.importing.exported import RECORD_NAMESPACE, RECORD_PART

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


def write_docx(path: Path, rows: list[Row]) -> Any:
    """``rows`` as export_sheet.sheet_rows gives them: the title, a blank row, the
    headings, then groupings (one cell) and actions."""
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
    # Every other row is a copy of one of two blank rows made once (python-docx takes
    # milliseconds a cell, which a plan of thousands of actions would feel).
    blank = table.add_row()
    for cell, size in zip(blank.cells, widths, strict=True):
        cell.width = size
    across = table.add_row()
    merged = across.cells[0].merge(across.cells[-1])
    _shade(merged, _GROUPING_SHADE)
    blank_tr, across_tr = blank._tr, across._tr
    tbl = table._tbl
    tbl.remove(blank_tr)
    tbl.remove(across_tr)
    for row in rows[heading_at + 1 :]:
        if len(row) == 1:
            tr = copy.deepcopy(across_tr)
            _fill(tr.findall(qn("w:tc"))[0], cell_text(row[0]), bold=True)
        else:
            tr = copy.deepcopy(blank_tr)
            for tc, value in zip(tr.findall(qn("w:tc")), row, strict=False):
                _fill(tc, cell_text(value))
        tbl.append(tr)
    document.save(str(path))
    return document


def add_record(document: Any, path: Path, record: str) -> None:
    """The plan exactly (engine.importing.exported), as a custom XML part: Word keeps
    such parts, and shows nothing of them."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    root = etree.Element(f"{{{RECORD_NAMESPACE}}}record", nsmap={None: RECORD_NAMESPACE})
    root.text = record
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    part = Part(PackURI(f"/{RECORD_PART}"), "application/xml", blob, document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_XML)
    document.save(str(path))


def _fill(tc: Any, text: str, *, bold: bool = False) -> None:
    """The cell's lines as its paragraphs, written straight into the XML."""
    first = tc.find(qn("w:p"))
    for i, line in enumerate(text.split("\n")):
        paragraph = first if i == 0 else etree.SubElement(tc, qn("w:p"))
        if not line:
            continue
        run = etree.SubElement(paragraph, qn("w:r"))
        if bold:
            etree.SubElement(etree.SubElement(run, qn("w:rPr")), qn("w:b"))
        for j, part in enumerate(line.split("\t")):
            if j:
                etree.SubElement(run, qn("w:tab"))
            if part:
                t = etree.SubElement(run, qn("w:t"))
                t.text = part
                if part != part.strip():
                    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def _repeat_as_heading(row: Any) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _shade(cell: Any, fill: str) -> None:
    shade = OxmlElement("w:shd")
    shade.set(qn("w:val"), "clear")
    shade.set(qn("w:color"), "auto")
    shade.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shade)
