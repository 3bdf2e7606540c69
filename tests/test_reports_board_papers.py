"""Board papers as Word, PDF and spreadsheet files, read back: the Word document's
tables, shaded RAG cells, repeated heading rows, landscape pages, pictures, page-number
fields and checkpoint; the PDF's text and pages; the spreadsheet's sheets; and the same
bytes for a closed period when produced twice. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import subprocess
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from pypdf import PdfReader

from domain.clock import FixedClock
from domain.values import Rag
from engine.plans.closing import close_period
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.reports.documents import render_html
from engine.reports.palette import RAG_FILL
from engine.runtime import Runtime
from tests.cli import Cli
from tests.conftest import ADMIN, LEAD, LEAD2, SECRETARY, World

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


@pytest.fixture
def closed(world: World, clock: FixedClock) -> Runtime:
    """June 2009 closed with a red, an amber reason, progress, risk and a narrative."""
    rt = world.rt
    clock.set(datetime(2009, 6, 10, 9, tzinfo=UTC))
    rt.app.assess_rag(LEAD, "plan", "1.1", Rag.RED, reason="no budget")
    rt.app.report_progress(LEAD, "plan", "1.1", "2009-06", "Stalled", risk="Funding gap")
    rt.app.assess_rag(LEAD2, "plan", "1.2", Rag.GREEN)
    rt.app.record_narrative(
        ADMIN, "plan", "2009-06", overview="Most work is on track.", risks="Swine flu."
    )
    clock.set(datetime(2009, 6, 30, 17, tzinfo=UTC))
    close_period(rt, SECRETARY, "plan", "2009-06")
    clock.set(datetime(2009, 7, 3, 9, tzinfo=UTC))
    return rt


def paper(rt: Runtime, kind: ReportKind, fmt: ReportFormat) -> bytes:
    return render(build_report(rt, "plan", kind, "2009-06"), fmt)


def fill_of(cell: object) -> str | None:
    shd = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None  # type: ignore[attr-defined]
    return shd.get(qn("w:fill")) if shd is not None else None


def test_word_progress_report_in_the_leeds_layout(closed: Runtime) -> None:
    doc = Document(io.BytesIO(paper(closed, ReportKind.PROGRESS, ReportFormat.DOCX)))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    for expected in (
        "Safeguarding plan: Summary Report June 2009",
        "This period",
        "Completed actions this reporting period",
        "Overdue actions this reporting period",
        "Next period",
        "Overview",
        "Risks",
        "Amendments to the action plan",
        "Guidance on RAG reporting",
        "JUNE 2009 PROGRESS REPORT",
        "Verification checkpoint",
    ):
        assert expected in headings, expected
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Most work is on track." in text and "Swine flu." in text
    # The big table: its heading row repeats, it sits on a landscape page, and its
    # RAG cells are shaded in their colour with the word (and arrow) in them.
    [big] = [t for t in doc.tables if t.rows[0].cells[0].text == "Ref" and len(t.columns) == 13]
    assert big.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert [c.text for c in big.rows[0].cells][3:5] == ["Last Month RAG", "This Month RAG"]
    rows = {r.cells[0].text: r for r in big.rows[1:]}
    assert rows["Recommendation 1"].cells[0].text == rows["Recommendation 1"].cells[-1].text
    red = rows["1.1"].cells[4]
    assert red.text.startswith("Red") and fill_of(red) == RAG_FILL["red"].lstrip("#").upper()
    assert rows["1.1"].cells[11].text == "Stalled" and rows["1.1"].cells[12].text == "Funding gap"
    assert rows["1.1"].cells[6].text == "30 Sep 2009"
    assert rows["1.1"].cells[9].text.startswith("Lee Lead")
    assert rows["1.1"].cells[10].text.startswith("Olu Officer")
    assert any(s.orientation == WD_ORIENT.LANDSCAPE for s in doc.sections)
    assert doc.sections[0].orientation == WD_ORIENT.PORTRAIT
    # Charts as pictures, page numbers as fields, the checkpoint at the end.
    assert len(doc.inline_shapes) >= 2
    footer = doc.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    statement = build_report(closed, "plan", ReportKind.PROGRESS, "2009-06").checkpoint.lines
    assert statement
    written = [p.text for p in doc.paragraphs if p.text]
    assert written[-1 - len(statement) : -1] == statement
    assert written[-1].startswith("Generated ")


def test_word_exception_and_governance_reports(closed: Runtime) -> None:
    doc = Document(io.BytesIO(paper(closed, ReportKind.EXCEPTION, ReportFormat.DOCX)))
    [table] = [t for t in doc.tables if t.rows[0].cells[0].text == "Ref"]
    refs = [r.cells[0].text for r in table.rows[1:]]
    assert refs == ["1.1", "1.2"]  # red; reported green but computed amber
    assert fill_of(table.rows[1].cells[2]) == RAG_FILL["red"].lstrip("#").upper()
    assert fill_of(table.rows[2].cells[3]) == RAG_FILL["green"].lstrip("#").upper()
    assert table.rows[2].cells[3].text == "Green"
    gov = Document(io.BytesIO(paper(closed, ReportKind.GOVERNANCE, ReportFormat.DOCX)))
    assert "Sign-off matrix" in [p.text for p in gov.paragraphs]


def test_pdf_reads_back_with_page_numbers_and_the_reports_text(
    closed: Runtime, tmp_path: Path
) -> None:
    data = paper(closed, ReportKind.PROGRESS, ReportFormat.PDF)
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages >= 2
    assert reader.metadata is not None
    assert reader.metadata.title == "Safeguarding plan: Summary Report June 2009"
    path = tmp_path / "june.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Safeguarding plan: Summary Report June 2009" in text
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Most work is on track." in text and "Funding gap" in text
    assert "Verification checkpoint" in text
    # The charts are printed as embedded images, not as SVG shapes to lay out.
    printed = render_html(build_report(closed, "plan", ReportKind.PROGRESS, "2009-06"), True)
    assert "<svg" not in printed and printed.count('src="data:image/jpeg;base64,') >= 2
    assert sum(len(page.images) for page in reader.pages) >= 2
    # A page as a picture, to look at.
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    [png] = list(tmp_path.glob("p-*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_closed_periods_word_and_pdf_are_the_same_bytes_twice(closed: Runtime) -> None:
    report = build_report(closed, "plan", ReportKind.PROGRESS, "2009-06")
    first = {f: render(report, f) for f in (ReportFormat.DOCX, ReportFormat.PDF)}
    time.sleep(2.1)  # past the two-second resolution of a zip file's stamps
    again = build_report(closed, "plan", ReportKind.PROGRESS, "2009-06")
    for fmt, data in first.items():
        assert render(again, fmt) == data, fmt
    with zipfile.ZipFile(io.BytesIO(first[ReportFormat.DOCX])) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_spreadsheet_has_a_sheet_per_section_with_frozen_headings(closed: Runtime) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(paper(closed, ReportKind.PROGRESS, ReportFormat.XLSX)))
    assert wb.sheetnames[:1] == ["Progress"]
    for name in ("Completed", "Overdue", "Due next period", "Commencing next period",
                 "Overview", "Risks", "Amendments", "Guidance", "About"):  # fmt: skip
        assert name in wb.sheetnames, name
    risks = wb["Risks"]
    assert risks.freeze_panes == "A2"
    assert [c.value for c in risks[1]] == ["Ref", "RAG", "Action", "Risk"]
    rag = risks.cell(row=2, column=2)
    assert rag.value == "Red"
    assert rag.fill.fgColor.rgb.endswith(RAG_FILL["red"].lstrip("#").upper())


def test_the_command_line_writes_word_and_pdf_by_extension(
    closed: Runtime, tmp_path: Path, db_url: str
) -> None:
    cli = Cli(tmp_path, db_url)
    for suffix, magic in (("docx", b"PK"), ("pdf", b"%PDF")):
        out = tmp_path / f"june.{suffix}"
        r = cli("report", "plan", "--period", "2009-06", "-o", str(out))
        assert r.returncode == 0, r.stderr
        assert out.read_bytes().startswith(magic)
        assert f"written to {out}" in r.stderr
    assert date(2009, 6, 30).isoformat() in cli.ok("period", "list", "plan")


def test_the_pdf_gives_pseudo_elements_styles_only_where_they_show(tmp_path: Path) -> None:
    """WeasyPrint's user-agent stylesheet styles `::marker` and the footnote markers of
    every element; the PDF is printed with those rules kept to list items, so a long
    table's cells have no six pseudo-element styles each to compute. Lists still
    print their bullets and numbers."""
    from weasyprint.html import UA, UA_STYLESHEET

    from engine.reports.pdf import _printer, user_agent_css

    assert re.search(r"^::(marker|footnote-call)", UA, re.MULTILINE)
    css = user_agent_css(UA)
    assert not re.search(r"^::", css, re.MULTILINE)
    assert "li::marker" in css
    printed = _printer()(string="<ul><li>One</li></ul><ol><li>Two</li></ol>")
    assert UA_STYLESHEET not in printed._ua_stylesheets()
    path = tmp_path / "list.pdf"
    path.write_bytes(printed.write_pdf())
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "• One" in text and "1. Two" in text


def test_the_pdf_prints_each_date_of_the_progress_table_on_one_line(
    closed: Runtime, tmp_path: Path
) -> None:
    """The date columns of the printed table are wide enough for a date: "30 Sep 2009"
    reads on one line, not as "30 Sep" over "2009"."""
    path = tmp_path / "june.pdf"
    path.write_bytes(paper(closed, ReportKind.PROGRESS, ReportFormat.PDF))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    table = text[text.index("JUNE 2009 PROGRESS REPORT") : text.index("Verification checkpoint")]
    assert "Plan Start" in table
    assert "1 Jan 2009" in table and "30 Sep 2009" in table
