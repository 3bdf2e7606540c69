"""Word documents in and out: a council's plan read straight from its .docx (tables split
across pages, merged cells, lists, the title above the table), hostile .docx files
refused unread, and a plan exported as a Word table that imports back with no change,
on SQLite and PostgreSQL.

The .docx fixtures are made by tests/fixtures/import/make_docx_fixtures.py from the same
seed plans as the CSV and XLSX ones; small documents made here test one rule each.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.clock import FixedClock
from domain.spec import ActionSpec, PlanSpec
from engine.importing import ImportFileError, ImportReport, parse_file
from engine.importing.docx_reader import (
    MAX_PARTS,
    MAX_UNCOMPRESSED,
    MAX_XML,
    read_document,
)
from engine.importing.export_docx import write_docx
from engine.importing.export_sheet import HEADINGS, sheet_rows, write_sheet
from engine.importing.exported import RECORD_PART, record_key
from engine.importing.reader import MAX_CELL_CHARS as MAX_CELL
from engine.importing.reader import Row
from engine.importing.record import import_plan
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, people
from tests.test_import_export_sheet import document, kept
from tests.test_import_record import cli

FIXTURES = Path(__file__).parent / "fixtures" / "import"
# The seed each Word fixture is compared with: Essex's merged objective is what the
# workbook holds, not its tab-separated text.
SAME_AS = {"telford": "telford.csv", "sefton": "sefton.csv", "essex": "essex.xlsx",
           "leeds": "leeds.csv"}  # fmt: skip
_ROW_REF = re.compile(r"\(row \d+\)")


def parse(path: Path, **kwargs: Any) -> tuple[PlanSpec, ImportReport]:
    return parse_file(path, slug="plan", **kwargs)


def without_rows(action: ActionSpec) -> ActionSpec:
    """The action with the row numbers its notes quote taken out: a document numbers its
    rows its own way."""
    return replace(action, notes=[_ROW_REF.sub("(row)", n) for n in action.notes])


def rows_of(path: Path) -> list[Row]:
    sheets = read_document(path)
    return sheets[0].rows


# -- building small documents --------------------------------------------------------------


def new_document() -> Any:
    return Document()


def add_table(doc: Any, rows: list[list[str]]) -> Any:
    width = max(len(r) for r in rows)
    table = doc.add_table(rows=len(rows), cols=width)
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            if text:
                table.cell(r, c).text = text
    return table


def save(doc: Any, path: Path) -> Path:
    doc.save(str(path))
    return path


def rewrite(path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """The document with one part's bytes changed, as a hostile sender would."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data) if item.filename == member else data)
    path.write_bytes(out.getvalue())
    return path


def simple_plan(tmp_path: Path, name: str = "plan.docx") -> Path:
    doc = new_document()
    doc.add_paragraph("Improvement plan for adult safeguarding", style="Title")
    add_table(doc, [["Ref", "Action", "Lead", "Plan Finish"],
                    ["1.1", "Agree the audit tool", "Ann Lee", "March 2010"]])  # fmt: skip
    return save(doc, tmp_path / name)


# ---------------------------------------------------------------------------------------------
# The four seed plans as Word documents
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SAME_AS))
def test_a_word_plan_gives_the_plan_its_sheet_gives(name: str) -> None:
    from_word, report = parse(FIXTURES / f"{name}.docx")
    from_sheet, sheet_report = parse(FIXTURES / SAME_AS[name])
    assert report.ok, report.render_text()
    assert (report.groups, report.actions) == (sheet_report.groups, sheet_report.actions)
    assert from_word.groups == from_sheet.groups
    assert [without_rows(a) for a in from_word.actions] == [
        without_rows(a) for a in from_sheet.actions
    ]
    assert report.layout == sheet_report.layout


def test_the_fixtures_are_word_tables_split_merged_and_listed() -> None:
    """What the fixtures hold, so that the test above reads Word's own structures."""
    telford = Document(str(FIXTURES / "telford.docx"))
    assert len(telford.tables) == 2
    xml = telford.element.xml
    numbering = zipfile.ZipFile(FIXTURES / "telford.docx").read("word/numbering.xml").decode()
    assert "<w:numPr>" in xml and numbering.count('w:startOverride w:val="1"') == 18
    assert "1. Safeguarding Strategy Review" not in xml  # Word numbers it, not the text
    assert '<w:gridSpan w:val="3"/>' in xml  # the improvement areas span the table
    sefton = Document(str(FIXTURES / "sefton.docx"))
    assert len(sefton.tables) == 3
    assert "Commissioning and use of resources" in [p.text for p in sefton.paragraphs]
    assert 'w:pStyle w:val="ListBullet"' in xml
    leeds = Document(str(FIXTURES / "leeds.docx")).element.xml
    assert 'w:pStyle w:val="ListBullet"' in leeds and "<w:vMerge/>" in leeds
    assert "<w:tblHeader/>" in leeds


def test_word_numbering_restarts_per_area_and_runs_on_across_cells() -> None:
    spec, _ = parse(FIXTURES / "telford.docx")
    assert [a.ref for a in spec.actions[:7]] == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1"]
    texts = [r.cells[0] for r in rows_of(FIXTURES / "telford.docx")]
    assert any(t.startswith("1. Safeguarding Strategy Review") for t in texts)
    assert any(t.startswith("3. Review and revise responsibilities") for t in texts)


def test_the_title_paragraph_is_the_plans_title_and_the_rest_is_reported() -> None:
    spec, report = parse(FIXTURES / "essex.docx")
    assert spec.title == "Adult Social Care Improvement Plan 2010"  # styled Title, not first
    above = [i.value for i in report.issues if "text above the table" in i.reason]
    # The council and the source are the plan's organisation and source now.
    assert spec.organisation == "Essex County Council"
    assert spec.source == "inspection of adult social care, 2010"
    assert "Essex County Council" not in above
    telford, _ = parse(FIXTURES / "telford.docx")
    assert telford.title == "Draft Improvement Plan Telford & Wrekin Council"
    assert telford.source == "telford.docx"


@pytest.mark.parametrize("name", ["telford", "leeds"])
def test_a_heading_row_repeated_in_a_table_or_a_second_table_is_skipped(name: str) -> None:
    spec, report = parse(FIXTURES / f"{name}.docx")
    _, sheet = parse(FIXTURES / SAME_AS[name])
    repeated = [i.row for i in report.issues if "heading row is repeated" in i.reason]
    in_sheet = [i.row for i in sheet.issues if "heading row is repeated" in i.reason]
    assert len(repeated) == len(in_sheet) + 1  # and the second table's heading row
    assert not [a for a in spec.actions if a.title.lower().startswith(("action", "how is"))]


# ---------------------------------------------------------------------------------------------
# One rule each
# ---------------------------------------------------------------------------------------------


def test_a_row_merged_across_the_table_has_only_its_first_cell(tmp_path: Path) -> None:
    doc = new_document()
    table = add_table(doc, [["Ref", "Action", "Lead"], ["", "", ""], ["1.1", "Audit", "Ann"]])
    merged = table.cell(1, 0).merge(table.cell(1, 2))
    merged.text = "Recommendation 1: Strengthen audit"
    rows = rows_of(save(doc, tmp_path / "plan.docx"))
    heading = rows[1]
    assert heading.own_values() == [(0, "Recommendation 1: Strengthen audit")]
    assert heading.copied == frozenset({1, 2})
    spec, report = parse(tmp_path / "plan.docx")
    assert [(g.ref, g.title) for g in spec.groups] == [("1", "Strengthen audit")]
    assert spec.actions[0].group == "1" and report.ok


def test_a_cell_merged_down_counts_for_every_row_it_spans(tmp_path: Path) -> None:
    doc = new_document()
    table = add_table(doc, [["Ref", "Aim", "Action"], ["1.1", "Safer care", "Audit"],
                            ["1.2", "", "Train"]])  # fmt: skip
    table.cell(1, 1).merge(table.cell(2, 1))
    rows = rows_of(save(doc, tmp_path / "plan.docx"))
    assert [r.cell(1) for r in rows[1:]] == ["Safer care", "Safer care"]
    spec, _ = parse(tmp_path / "plan.docx")
    assert [a.aim for a in spec.actions] == ["Safer care", "Safer care"]


def two_row_headings(doc: Any, rows: list[list[str]]) -> Any:
    """A table headed over two rows: "Timescale" merged across "Start" and "End", the
    other headings merged down."""
    table = add_table(doc, [["Ref", "Action", "Lead agency", "Lead officer", "Timescale", "",
                             "RAG"],
                            ["", "", "", "", "Start", "End", ""], *rows])  # fmt: skip
    for column in (0, 1, 2, 3, 6):
        table.cell(0, column).merge(table.cell(1, column))
    table.cell(0, 4).merge(table.cell(0, 5))
    return table


def test_headings_over_two_rows_and_the_lead_agency_column(tmp_path: Path) -> None:
    """The lower row names the merged heading's parts ("Start", "End" under
    "Timescale"), in every table that repeats it; a lead agency column gives the leads
    their agency; a safeguarding board above the table is the organisation."""
    doc = new_document()
    doc.add_paragraph("Anytown Safeguarding Adults Board")
    doc.add_paragraph("Safeguarding Adults Review action plan: Adult C")
    doc.add_paragraph("Recommendation 1: Partners should share information")
    two_row_headings(doc, [["1.1", "Agree a protocol", "Council", "Kim Ross", "Jan 2025",
                            "Mar 2025", "Green"]])  # fmt: skip
    doc.add_paragraph("Recommendation 2: Strengthen self-neglect procedures")
    two_row_headings(doc, [["2.1", "Revise the procedure", "NHS Trust / Police",
                            "Li Wu; Sam Hart", "Apr 2025", "Jun 2025", "Green"]])  # fmt: skip
    spec, report = parse(save(doc, tmp_path / "sab.docx"))
    assert report.ok and not report.warnings, report.issues
    assert [(c.heading, c.field) for c in report.columns][2:6] == [
        ("Lead agency", "agency"), ("Lead officer", "lead"),
        ("Start", "plan_start"), ("End date", "plan_finish"),  # "End" under "Timescale"
    ]  # fmt: skip
    assert [(a.ref, a.group, str(a.plan_start), str(a.plan_finish)) for a in spec.actions] == [
        ("1.1", "1", "2025-01-01", "2025-03-31"), ("2.1", "2", "2025-04-01", "2025-06-30"),
    ]  # fmt: skip
    assert [(p.name, p.agency) for a in spec.actions for p in a.leads] == [
        ("Kim Ross", "Council"), ("Li Wu", "NHS Trust"), ("Sam Hart", "Police"),
    ]  # fmt: skip
    assert (spec.organisation, spec.title) == (
        "Anytown Safeguarding Adults Board",
        "Safeguarding Adults Review action plan: Adult C",
    )


def test_paragraphs_and_lists_in_a_cell_are_its_lines(tmp_path: Path) -> None:
    doc = new_document()
    table = add_table(doc, [["Ref", "Action", "Success Criteria"], ["1.1", "Audit", ""]])
    cell = table.cell(1, 2)
    cell.paragraphs[0].text = "Tool agreed by March 2010"
    cell.paragraphs[0].style = "List Bullet"
    cell.add_paragraph("All files audited by June 2010", style="List Bullet")
    cell.add_paragraph("")
    cell.add_paragraph("Report to the board", style="List Number")
    rows = rows_of(save(doc, tmp_path / "plan.docx"))
    assert rows[1].cell(2) == (
        "Tool agreed by March 2010\nAll files audited by June 2010\n\n1. Report to the board"
    )
    spec, _ = parse(tmp_path / "plan.docx")
    assert [c.text for c in spec.actions[0].success_criteria] == [
        "Tool agreed by March 2010",
        "All files audited by June 2010",
        "1. Report to the board",
    ]


def test_numbered_lists_carry_on_restart_and_take_their_format(tmp_path: Path) -> None:
    doc = new_document()
    table = add_table(doc, [["Action", "Timescale"], ["", "March 2010"], ["", "June 2010"]])
    table.cell(1, 0).paragraphs[0].text = "Review the policy"
    table.cell(1, 0).paragraphs[0].style = "List Number"
    table.cell(1, 0).add_paragraph("Publish it", style="List Number")
    table.cell(2, 0).paragraphs[0].text = "Train staff"
    table.cell(2, 0).paragraphs[0].style = "List Number"
    path = save(doc, tmp_path / "plan.docx")
    assert [r.cell(0) for r in rows_of(path)[1:]] == [
        "1. Review the policy\n2. Publish it",
        "3. Train staff",  # Word carries the list on from the cell above
    ]

    # A list that restarts (a start override) and numbers as "a)", "b)".
    def lettered(data: bytes) -> bytes:
        text = data.decode().replace(
            '<w:numFmt w:val="decimal"/>', '<w:numFmt w:val="lowerLetter"/>'
        )
        return text.replace('<w:lvlText w:val="%1."/>', '<w:lvlText w:val="%1)"/>').encode()

    rewrite(path, "word/numbering.xml", lettered)
    assert [r.cell(0) for r in rows_of(path)[1:]] == [
        "a) Review the policy\nb) Publish it",
        "c) Train staff",
    ]


def test_a_table_continued_without_its_heading_row_is_read_on(tmp_path: Path) -> None:
    doc = new_document()
    doc.add_paragraph("Adult safeguarding improvement plan 2010")
    add_table(doc, [["Ref", "Action", "Lead"], ["1.1", "Audit files", "Ann Lee"]])
    doc.add_paragraph("Recommendation 2: Train the workforce")
    add_table(doc, [["2.1", "Train staff", "Bob Day"]])
    spec, report = parse(save(doc, tmp_path / "plan.docx"))
    assert [a.ref for a in spec.actions] == ["1.1", "2.1"]
    # The paragraph between the two parts is read as a heading across the table.
    assert [(g.ref, g.title) for g in spec.groups] == [("2", "Train the workforce")]
    assert spec.actions[1].group == "2" and report.ok


def test_other_tables_are_left_out_and_reported(tmp_path: Path) -> None:
    doc = new_document()
    doc.add_paragraph("Monthly progress report, August 2009")
    doc.add_paragraph("Completed actions this period")
    add_table(doc, [["2.3", "Quality reporting established"], ["4.1", "Vision agreed"]])
    add_table(doc, [["Ref", "Action", "Lead", "Plan Finish"],
                    ["1.1", "Agree the audit tool", "Ann Lee", "March 2010"]])  # fmt: skip
    doc.add_paragraph("Guidance on RAG reporting")
    add_table(doc, [["Colour", "Meaning", "Note"], ["Blue", "Completed", ""]])
    spec, report = parse(save(doc, tmp_path / "plan.docx"))
    assert [a.ref for a in spec.actions] == ["1.1"]
    assert spec.title == "Monthly progress report, August 2009"
    left_out = [
        i.reason for i in report.issues if "not imported" in i.reason and "table" in i.reason
    ]
    assert any(r.startswith("table 1 (2 rows") for r in left_out)
    assert any(r.startswith("table 3 (2 rows") for r in left_out)


def test_tracked_changes_read_as_word_shows_them(tmp_path: Path) -> None:
    path = simple_plan(tmp_path)

    def revise(data: bytes) -> bytes:
        run = "<w:r><w:t>Agree the audit tool</w:t></w:r>"
        revised = (
            '<w:del w:id="1" w:author="x"><w:r><w:delText>Old words </w:delText></w:r></w:del>'
            "<w:r><w:t>Agree the audit tool</w:t></w:r>"
            '<w:ins w:id="2" w:author="x"><w:r><w:t> with partners</w:t></w:r></w:ins>'
        )
        text = data.decode()
        assert run in text
        return text.replace(run, revised).encode()

    rewrite(path, "word/document.xml", revise)
    spec, _ = parse(path)
    assert spec.actions[0].title == "Agree the audit tool with partners"


# ---------------------------------------------------------------------------------------------
# Hostile and wrong files: one line naming the file, nothing read further
# ---------------------------------------------------------------------------------------------

BOMB_DTD = (
    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


def with_doctype(declaration: bytes, entity: bytes) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        body = re.sub(rb"^<\?xml[^>]*\?>", b"", data)
        return declaration + body.replace(b"Agree the audit tool", entity, 1)

    return change


def zip_bomb(path: Path) -> Path:
    """A real document with a part that unzips to more than the limit (zeros compress to
    almost nothing), and a DTD, so that parsing it first would fail otherwise."""
    simple = simple_plan(path.parent, "base.docx")
    rewrite(simple, "word/document.xml", with_doctype(BOMB_DTD, b"&c;"))
    source = zipfile.ZipFile(simple)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        with target.open("word/media/padding.bin", "w") as pad:
            chunk = bytes(1024 * 1024)
            for _ in range(MAX_UNCOMPRESSED // len(chunk) + 1):
                pad.write(chunk)
    return path


def hostile(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / "plan.docx"
    if kind == "text":
        path.write_text("Ref,Action\n1,Audit\n")
    elif kind == "doc":
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    elif kind == "xlsx":
        path.write_bytes((FIXTURES / "leeds.xlsx").read_bytes())
    elif kind == "bomb":
        zip_bomb(path)
    elif kind == "entities":
        rewrite(simple_plan(tmp_path), "word/document.xml", with_doctype(BOMB_DTD, b"&c;"))
    elif kind == "external":
        rewrite(simple_plan(tmp_path), "word/document.xml", with_doctype(EXTERNAL, b"&x;"))
    elif kind == "damaged":
        rewrite(simple_plan(tmp_path), "word/styles.xml", lambda d: d[: len(d) // 2])
    elif kind == "damaged record":
        simple_plan(tmp_path)
        with zipfile.ZipFile(path, "a") as package:
            package.writestr(RECORD_PART, b"<?xml version='1.0'?><record><broken")
    elif kind == "big xml":
        padding = b"<!--" + b" " * MAX_XML + b"-->"
        rewrite(simple_plan(tmp_path), "word/document.xml", lambda d: d + padding)
    elif kind == "parts":
        simple_plan(tmp_path)
        with zipfile.ZipFile(path, "a") as package:
            for n in range(MAX_PARTS):
                package.writestr(f"customXml/item{n}.bin", b"")
    elif kind == "macros":
        main = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main"
        macros = b"application/vnd.ms-word.document.macroEnabled.main"
        rewrite(simple_plan(tmp_path), "[Content_Types].xml", lambda d: d.replace(main, macros))
    elif kind == "no table":
        doc = new_document()
        doc.add_paragraph("Improvement plan: actions to follow")
        save(doc, path)
    elif kind == "long cell":
        doc = new_document()
        add_table(doc, [["Ref", "Action"], ["1", "x" * (MAX_CELL + 1)]])
        save(doc, path)
    return path


HOSTILE = {
    "text": "not a Word .docx document: it is not a zip package",
    "doc": "old Word .doc file or a password-protected document",
    "xlsx": "it has no word/document.xml (it is an Excel workbook: name it .xlsx)",
    "bomb": f"bytes, more than the {MAX_UNCOMPRESSED:,} a plan may take; refused unread",
    "entities": "word/document.xml declares a DTD or entities",
    "external": "word/document.xml declares a DTD or entities",
    "damaged": "the document is damaged: word/styles.xml is not XML",
    "damaged record": f"the document is damaged: {RECORD_PART} is not XML",
    "big xml": f"bytes, more than the {MAX_XML:,} a plan may take; refused unread",
    "parts": f"parts, more than {MAX_PARTS:,}; refused unread",
    "macros": "not a Word document but 'application/vnd.ms-word.document.macroEnabled.main+xml'"
    " (a template or a macro-enabled document?); save it in Word as a Word Document (.docx)",
    "no table": "no table found",
    "long cell": f"row 2, column B: the cell holds {MAX_CELL + 1:,} characters, over the "
    f"limit of {MAX_CELL:,} (Excel's own)",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_and_wrong_files_are_refused_with_one_line(kind: str, tmp_path: Path) -> None:
    path = hostile(kind, tmp_path)
    with pytest.raises(ImportFileError) as refused:
        parse(path)
    assert HOSTILE[kind] in str(refused.value)
    assert str(refused.value).startswith("plan.docx: ") and "\n" not in str(refused.value)


def test_the_size_is_checked_before_anything_is_parsed(tmp_path: Path) -> None:
    """The bomb also carries a DTD: had any XML been parsed first, that would be the
    complaint."""
    with pytest.raises(ImportFileError, match="expands to"):
        parse(zip_bomb(tmp_path / "plan.docx"))


def test_an_entity_is_refused_though_python_docx_would_open_the_file(tmp_path: Path) -> None:
    path = hostile("entities", tmp_path)
    assert Document(str(path)).tables  # python-docx itself would open it
    with pytest.raises(ImportFileError, match="declares a DTD"):
        parse(path)


def test_a_cell_at_the_limit_is_read(tmp_path: Path) -> None:
    doc = new_document()
    add_table(doc, [["Ref", "Action", "Progress"], ["1", "Audit", "y" * MAX_CELL]])
    spec, _ = parse(save(doc, tmp_path / "plan.docx"))
    assert spec.actions[0].progress == "y" * MAX_CELL


def test_a_sheet_cannot_be_named_in_a_word_document(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="a Word document has none"):
        parse(simple_plan(tmp_path), sheet="Plan")


def test_hostile_files_on_the_command_line(tmp_path: Path) -> None:
    assert cli(tmp_path, "users", "add", ADMIN, "--name", "Ada", "--role", "admin").returncode == 0
    for kind in ("text", "entities", "no table", "long cell"):
        folder = tmp_path / kind.replace(" ", "-")
        folder.mkdir()
        path = hostile(kind, folder)
        done = cli(tmp_path, "import", str(path), "--plan", "p")
        assert done.returncode == 1, (kind, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr + done.stdout
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("error: plan.docx: ") and HOSTILE[kind] in line, line
    assert json.loads(cli(tmp_path, "--format", "json", "plans").stdout) == []


# ---------------------------------------------------------------------------------------------
# Recorded, on SQLite and PostgreSQL
# ---------------------------------------------------------------------------------------------

RECORDED = ("ref", "group", "title", "aim", "plan_start", "plan_finish", "actual_finish",
            "status", "reported_rag", "recurrence", "timescale", "progress", "risk")  # fmt: skip


def recorded(rt: Runtime, slug: str) -> list[dict[str, Any]]:
    found = queries.actions(rt.engine, queries.plan(rt.engine, slug))
    return [
        {
            **{k: a[k] for k in RECORDED},
            "leads": [(p["name"], p["email"], p["title"]) for p in a["leads"]],
            "accountable": a["accountable"] and a["accountable"]["name"],
            "criteria": [(c["text"], c["due"]) for c in a["success_criteria"]],
        }
        for a in found
    ]


@pytest.mark.parametrize("name", sorted(SAME_AS))
def test_a_word_plan_is_recorded_as_its_sheet_is(rt: Runtime, clock: FixedClock, name: str) -> None:
    clock.set(datetime(2009, 9, 7, 9, 0, tzinfo=UTC))
    people(rt)
    word = import_plan(rt, ADMIN, FIXTURES / f"{name}.docx", slug="word")
    assert word.recorded and word.created, word.render_text()
    sheet = import_plan(rt, ADMIN, FIXTURES / SAME_AS[name], slug="sheet")
    assert sheet.recorded
    assert recorded(rt, "word") == recorded(rt, "sheet")
    groups = [
        (g["ref"], g["title"], g["parent"]) for g in queries.plan(rt.engine, "word")["groups"]
    ]
    assert groups == [
        (g["ref"], g["title"], g["parent"]) for g in queries.plan(rt.engine, "sheet")["groups"]
    ]
    assert word.events == sheet.events
    again = import_plan(rt, ADMIN, FIXTURES / f"{name}.docx", slug="word")
    assert again.ok and not again.recorded and not again.changes


def test_a_refused_word_file_records_nothing(rt: Runtime, tmp_path: Path) -> None:
    people(rt)
    before = rt.app.recorder.max_notification_id()
    with pytest.raises(ImportFileError):
        import_plan(rt, ADMIN, hostile("entities", tmp_path), slug="plan")
    assert rt.app.recorder.max_notification_id() == before


# ---------------------------------------------------------------------------------------------
# export-sheet to Word
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def leeds(rt: Runtime, clock: FixedClock) -> Runtime:
    clock.set(datetime(2009, 9, 7, 9, 0, tzinfo=UTC))
    people(rt)
    assert import_plan(rt, ADMIN, FIXTURES / "leeds.csv", slug="leeds").recorded
    return rt


def test_a_plan_exported_to_word_imports_into_itself_with_no_change(
    leeds: Runtime, tmp_path: Path
) -> None:
    out = tmp_path / "leeds.docx"
    write_sheet(document(leeds, "leeds"), out, record_key(leeds))
    before = leeds.app.recorder.max_notification_id()
    dry = import_plan(leeds, ADMIN, out, slug="leeds", dry_run=True)
    assert dry.ok and not dry.changes, dry.render_text()
    again = import_plan(leeds, ADMIN, out, slug="leeds")
    assert again.ok and not again.recorded and not again.changes
    assert leeds.app.recorder.max_notification_id() == before


def test_a_plan_exported_to_word_imports_as_the_same_plan(leeds: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "leeds.docx"
    write_sheet(document(leeds, "leeds"), out, record_key(leeds))
    copy = import_plan(leeds, ADMIN, out, slug="copy")
    assert copy.ok and copy.recorded, copy.render_text()
    original = queries.actions(leeds.engine, queries.plan(leeds.engine, "leeds"))
    again = queries.actions(leeds.engine, queries.plan(leeds.engine, "copy"))
    assert [kept(a) for a in again] == [kept(a) for a in original]
    plan = queries.plan(leeds.engine, "copy")
    assert plan["title"] == queries.plan(leeds.engine, "leeds")["title"]


def test_the_word_export_is_a_landscape_table_with_the_sheets_rows(
    leeds: Runtime, tmp_path: Path
) -> None:
    doc = document(leeds, "leeds")
    out = tmp_path / "leeds.docx"
    written = write_sheet(doc, out, record_key(leeds))
    word = Document(str(out))
    section = word.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE and section.page_width > section.page_height
    assert word.paragraphs[0].text == doc["title"]
    [table] = word.tables
    rows = sheet_rows(doc)
    assert written == len(rows)
    assert len(table.rows) == len(rows) - 2  # the title and the blank row are above it
    assert [c.text for c in table.rows[0].cells] == list(HEADINGS)
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on each page
    groupings = [r for r in rows[3:] if len(r) == 1]
    merged = [
        r for r in table.rows if r._tr.tc_lst[0].grid_span == len(HEADINGS)
    ]  # one cell across the table
    assert [r.cells[0].text for r in merged] == [g[0] for g in groupings]
    by_ref = {r.cells[0].text: r for r in table.rows}
    assert by_ref["2.4"].cells[HEADINGS.index("Plan Finish")].text == "31 Dec 2009"


def test_the_export_sheet_command_writes_word(tmp_path: Path) -> None:
    cli(tmp_path, "users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    assert cli(tmp_path, "import", str(FIXTURES / "leeds.docx"), "--plan", "leeds").returncode == 0
    out = tmp_path / "out.docx"
    done = cli(tmp_path, "export-sheet", "leeds", "-o", str(out))
    assert done.returncode == 0 and "26 actions" in done.stdout, done.stderr
    back = cli(tmp_path, "import", str(out), "--plan", "leeds", "--dry-run")
    assert back.returncode == 0, back.stderr
    assert "0 groups added, 0 actions added, 0 changed, 26 unchanged" in back.stdout


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x0b\x0c"),
    max_size=60,
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cells=st.lists(_TEXT, min_size=len(HEADINGS), max_size=len(HEADINGS)), group=_TEXT)
def test_any_text_written_to_a_word_cell_reads_back_as_written(
    tmp_path: Path, cells: list[str], group: str
) -> None:
    from engine.importing.export_docx import cell_text
    from engine.importing.reader import _clean

    rows: list[list[Any]] = [["Plan"], [], list(HEADINGS), [group or "g"], list(cells)]
    path = tmp_path / "plan.docx"
    write_docx(path, rows)
    read = [r for r in read_document(path)[0].rows if r.number > 1]  # below the title
    expected_group = _clean(cell_text(group or "g"))
    expected = tuple(_clean(cell_text(c)) for c in cells)
    heading_row = read[0]
    assert heading_row.cells == tuple(HEADINGS)
    if expected_group:
        assert read[1].own_values() == [(0, expected_group)]
    body = read[-1].cells if any(expected) else ()
    assert body + ("",) * (len(expected) - len(body)) == expected


def test_an_old_doc_file_is_told_apart_by_its_name_too(tmp_path: Path) -> None:
    path = tmp_path / "plan.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(ImportFileError, match=r"^plan.doc: this is an old Word .doc file"):
        parse(path)
    # A Word document whatever its name, when the format is given.
    renamed = tmp_path / "plan.bin"
    renamed.write_bytes(simple_plan(tmp_path).read_bytes())
    spec, _ = parse(renamed, fmt="docx")
    assert [a.ref for a in spec.actions] == ["1.1"]


def test_the_word_fixtures_are_the_ones_the_script_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_docx", FIXTURES / "make_docx_fixtures.py")
    assert spec and spec.loader
    make_docx_fixtures = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_docx", make_docx_fixtures)  # for its dataclasses
    spec.loader.exec_module(make_docx_fixtures)
    for layout in make_docx_fixtures.LAYOUTS:
        made = make_docx_fixtures.build(layout, tmp_path)
        assert made.read_bytes() == (FIXTURES / made.name).read_bytes(), made.name


_XML_BITS = st.sampled_from(
    [b"<", b">", b"&", b"&amp;", b"<w:p>", b"</w:tc>", b"<w:tc>", b'<w:gridSpan w:val="99999"/>',
     b'<w:vMerge/>', b'<w:numPr><w:numId w:val="7"/></w:numPr>', b"<!-- x -->", b"\x00",
     b'<w:gridBefore w:val="-3"/>', b"<w:tbl><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl>"]
)  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    where=st.floats(min_value=0, max_value=1),
    inserted=st.lists(_XML_BITS, min_size=1, max_size=4),
    cut=st.booleans(),
)
def test_a_mangled_word_document_is_read_or_refused_never_crashes(
    tmp_path: Path, where: float, inserted: list[bytes], cut: bool
) -> None:
    """Whatever is done to a document's XML, the import reads it or refuses it with
    one line; it never ends in another exception."""
    path = simple_plan(tmp_path)

    def mangle(data: bytes) -> bytes:
        at = int(len(data) * where)
        return data[:at] + b"".join(inserted) + (b"" if cut else data[at:])

    rewrite(path, "word/document.xml", mangle)
    try:
        parse(path)
    except ImportFileError as refused:
        assert str(refused).startswith("plan.docx: ") and "\n" not in str(refused)


def test_the_word_and_workbook_exports_read_back_alike(rt: Runtime, tmp_path: Path) -> None:
    """One column model, two writers: whatever the workbook export carries through an
    import (outcome and recommendation groupings, dated stages, people with titles and
    emails, text with tabs, several lines, leading symbols and accents), the Word export
    carries the same, and an import of either into the plan finds the same changes."""
    from datetime import date

    from domain.values import Criterion, Person
    from tests.conftest import LEAD, action_spec

    people(rt)
    app = rt.app
    app.create_plan(ADMIN, "plan", "Safeguarding improvement plan 2010/11")
    app.add_group(ADMIN, "plan", "O1", "Safer communities")
    app.add_group(ADMIN, "plan", "1", "Strengthen audit", parent="O1", page="12")
    app.add_group(ADMIN, "plan", "2", "Train the workforce")
    lead = Person("Lee Lead", LEAD, "Council", title="Head of Safeguarding")
    app.add_action(ADMIN, "plan", action_spec(
        "1.1", title="=SUM(A1) audit\tof files", leads=[lead],
        success_criteria=[Criterion("Tool agreed", date(2009, 3, 31)),
                          Criterion("• All files audited — café data too", None)],
    ))  # fmt: skip
    app.add_action(ADMIN, "plan", action_spec("2.1", group="2", title="Train staff\nand partners"))
    doc = document(rt, "plan")
    write_sheet(doc, tmp_path / "plan.docx", record_key(rt))
    write_sheet(doc, tmp_path / "plan.xlsx", record_key(rt))
    key = record_key(rt)
    word, _ = parse(tmp_path / "plan.docx", record_key=key)
    book, _ = parse(tmp_path / "plan.xlsx", record_key=key)
    assert word.title == book.title == "Safeguarding improvement plan 2010/11"
    assert word.groups == book.groups
    assert [without_rows(a) for a in word.actions] == [without_rows(a) for a in book.actions]
    # Both carry the plan's record, so the title comes back exactly, tab and all.
    assert word.actions[0].title == "=SUM(A1) audit\tof files"
    before = rt.app.recorder.max_notification_id()
    from_word = import_plan(rt, ADMIN, tmp_path / "plan.docx", slug="plan", dry_run=True)
    from_book = import_plan(rt, ADMIN, tmp_path / "plan.xlsx", slug="plan", dry_run=True)
    assert from_word.changes == from_book.changes
    assert from_word.events == from_book.events
    assert rt.app.recorder.max_notification_id() == before
