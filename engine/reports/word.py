"""The board paper as a Word document (python-docx): the report's sections in the Leeds
layout, RAG cells shaded in their colour with the word in the cell, charts as PNG images,
page numbers as fields, wide tables on landscape pages with their heading row repeated
on every page, and the checkpoint of the record at the end.

The same report gives the same bytes: the document's properties carry the report's own
generation time, and the parts of the file are stamped with a fixed date."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph

from engine.reports.build import Report
from engine.reports.documents import basis_line, generated_line
from engine.reports.palette import RAG_FILL, RAG_INK
from engine.reports.sections import RagCell, Section, SectionTable, Width, sections
from engine.reports.text import day, plain

_A4 = (Cm(21.0), Cm(29.7))
_WEIGHT = {Width.NARROW: 1.0, Width.NORMAL: 2.0, Width.WIDE: 3.4}
_HEAD_FILL = "1F3A5F"
# A fixed stamp for the file's parts (the zip format cannot hold an earlier one).
_ZIP_STAMP = (1980, 1, 1, 0, 0, 0)


def render_docx(report: Report) -> bytes:
    doc = Document()
    _base_styles(doc)
    section = doc.sections[0]
    _page(section, landscape=False)
    _footer(section)
    _masthead(doc, report)
    landscape = False
    for s in sections(report):
        wide = bool(s.table and s.table.landscape)
        if wide != landscape:
            new = doc.add_section(WD_SECTION.NEW_PAGE)
            _page(new, landscape=wide)
            landscape = wide
        _section(doc, s, landscape)
    _checkpoint(doc, report)
    _properties(doc, report)
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip(out.getvalue())


# Page set-up


def _base_styles(doc: Any) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        # Headings stay with what follows them, never alone at the foot of a page.
        doc.styles[name].paragraph_format.keep_with_next = True


def _page(section: Any, landscape: bool) -> None:
    short, long = _A4
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))


def _footer(section: Any) -> None:
    """Page N of M, as fields Word fills in; later sections share this footer."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("Page ")
    _field(p, "PAGE")
    p.add_run(" of ")
    _field(p, "NUMPAGES")


def _field(p: Paragraph, code: str) -> None:
    run = p.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {code} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, separate, shown, end):
        run._r.append(element)


# Content


def _masthead(doc: Any, report: Report) -> None:
    snap = report.snapshot
    if snap.plan.get("organisation"):
        p = doc.add_paragraph()
        p.add_run(plain(snap.plan["organisation"])).bold = True
    doc.add_heading(plain(report.title), level=0)
    meta = [snap.plan.get("source") or ""]
    if snap.plan.get("boards"):
        meta.append("Reported to " + ", ".join(snap.plan["boards"]))
    if any(meta):
        doc.add_paragraph(plain(" · ".join(m for m in meta if m)))
    doc.add_paragraph().add_run(plain(basis_line(report))).italic = True
    if snap.notice:
        doc.add_paragraph().add_run("Note: " + plain(snap.notice)).bold = True


def _section(doc: Any, s: Section, landscape: bool) -> None:
    lead_in = s.paragraphs
    if s.level == 2 and lead_in and lead_in[0] in ("This period", "Next period"):
        doc.add_heading(lead_in[0], level=1)
        lead_in = lead_in[1:]
    doc.add_heading(plain(s.title), level=s.level)
    for text in lead_in:
        if text in ("Issues",):
            doc.add_heading(text, level=s.level + 1)
            continue
        for line in plain(text).split("\n"):
            doc.add_paragraph(line)
    if s.table is not None:
        if s.table.rows:
            _table(doc, s.table, landscape)
        else:
            doc.add_paragraph(s.empty).runs[0].italic = True
    usable = Cm(26.7) if landscape else Cm(18.0)
    for picture in s.pictures:
        doc.add_picture(io.BytesIO(picture.png), width=usable)
        caption = doc.add_paragraph(plain(picture.caption))
        caption.runs[0].italic = True


def _table(doc: Any, t: SectionTable, landscape: bool) -> None:
    table = doc.add_table(rows=1, cols=len(t.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    usable = 26.7 if landscape else 18.0
    total = sum(_WEIGHT[c.width] for c in t.columns)
    widths = [Cm(usable * _WEIGHT[c.width] / total) for c in t.columns]
    head = table.rows[0]
    _repeat_heading(head)
    for cell, column, width in zip(head.cells, t.columns, widths, strict=True):
        _write(cell, column.title, bold=True, ink="FFFFFF")
        _shade(cell, _HEAD_FILL)
        cell.width = width
    for i, row in enumerate(t.rows):
        if i in t.groups:
            group = table.add_row()
            merged = group.cells[0].merge(group.cells[-1])
            _write(merged, plain(t.groups[i]), bold=True)
            _shade(merged, "DDE3EA")
            _keep_together(group)
        added = table.add_row()
        # The row's own cells: python-docx's row.cells walks the whole table each time.
        cells = [_Cell(tc, table) for tc in added._tr.tc_lst]
        for cell, value, width in zip(cells, row, widths, strict=True):
            cell.width = width
            if isinstance(value, RagCell):
                _rag_cell(cell, value)
            elif isinstance(value, date):
                _write(cell, day(value))
            else:
                _write(cell, plain("" if value is None else value))


def _repeat_heading(row: _Row) -> None:
    """The heading row is repeated at the top of every page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _keep_together(row: _Row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    tr_pr.append(cant)


def _write(cell: _Cell, text: str, bold: bool = False, ink: str | None = None) -> None:
    lines = text.split("\n") if text else [""]
    first = cell.paragraphs[0]
    for n, line in enumerate(lines):
        p = first if n == 0 else cell.add_paragraph()
        run = p.add_run(line)
        run.font.size = Pt(8.5)
        run.bold = bold or None
        if ink:
            run.font.color.rgb = RGBColor.from_string(ink)


def _rag_cell(cell: _Cell, value: RagCell) -> None:
    if value.rag in RAG_FILL:
        rag = str(value.rag)
        _write(cell, value.text, bold=True, ink=RAG_INK[rag].lstrip("#").upper())
        _shade(cell, RAG_FILL[rag].lstrip("#").upper())
    else:
        _write(cell, value.text)


def _shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _checkpoint(doc: Any, report: Report) -> None:
    doc.add_heading("Verification checkpoint", level=1)
    checkpoint = report.checkpoint
    doc.add_paragraph(plain(checkpoint.intro))
    for line in checkpoint.lines:
        run = doc.add_paragraph().add_run(plain(line))
        run.font.name = "Courier New"
        run.font.size = Pt(8)
    doc.add_paragraph(generated_line(report)).runs[0].italic = True


# Same report, same bytes


def _properties(doc: Any, report: Report) -> None:
    stamp = report.generated_at.replace(microsecond=0, tzinfo=None)
    props = doc.core_properties
    props.title = plain(report.title)
    props.author = "actiontrail"
    props.last_modified_by = "actiontrail"
    props.created = stamp
    props.modified = stamp
    props.last_printed = stamp
    props.revision = 1


def _fixed_zip(data: bytes) -> bytes:
    """The same parts in the same order, each stamped with one fixed date."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()
