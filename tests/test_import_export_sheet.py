"""export-sheet: a plan written back in the Leeds layout, read again by the importer, and
safe to open in a spreadsheet (no cell runs as a formula), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from domain import clock
from domain.clock import FixedClock
from domain.errors import InvalidInput
from engine.importing import exported
from engine.importing.export_sheet import HEADINGS, neutralise, write_sheet
from engine.importing.exported import record_key
from engine.importing.reader import RECORD_SHEET, joined
from engine.importing.record import import_plan
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, action_spec, people

FIXTURES = Path(__file__).parent / "fixtures" / "import"
# What each action keeps through a round trip of export and import.
KEPT = ("ref", "group", "title", "aim", "plan_start", "plan_finish", "actual_finish", "status",
        "reported_rag", "progress", "risk")  # fmt: skip


def document(rt: Runtime, slug: str) -> dict[str, Any]:
    rt.runner.catch_up()
    return queries.document(rt.engine, queries.plan(rt.engine, slug), clock.today())


def actions(rt: Runtime, slug: str) -> dict[str, dict[str, Any]]:
    return {a["ref"]: a for a in queries.actions(rt.engine, queries.plan(rt.engine, slug))}


def kept(action: dict[str, Any]) -> dict[str, Any]:
    people = [(p["name"], p["email"]) for p in action["leads"]]
    criteria = [(c["text"], c["due"]) for c in action["success_criteria"]]
    fields = {k: action[k] for k in KEPT}
    if action["status"] in ("completed", "verified"):
        # A finished action's sheet shows the completion colour, not the lead's last rating.
        del fields["reported_rag"]
    return {**fields, "leads": people, "criteria": criteria}


@pytest.fixture
def leeds(rt: Runtime, clock: FixedClock) -> Runtime:
    clock.set(datetime(2009, 9, 7, 9, 0, tzinfo=UTC))  # when the August report was presented
    people(rt)
    assert import_plan(rt, ADMIN, FIXTURES / "leeds.csv", slug="leeds").recorded
    return rt


def sealed_export(rt: Runtime, out: Path) -> Path:
    """The leeds plan written to `out`, its records sealed with this store's key."""
    write_sheet(document(rt, "leeds"), out, record_key(rt))
    return out


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_exported_sheet_imports_as_the_same_plan(
    leeds: Runtime, tmp_path: Path, suffix: str
) -> None:
    out = sealed_export(leeds, tmp_path / f"leeds{suffix}")

    copy = import_plan(leeds, ADMIN, out, slug="copy")
    assert copy.ok and copy.recorded, copy.render_text()
    original, again = actions(leeds, "leeds"), actions(leeds, "copy")
    assert list(again) == list(original)
    assert [kept(a) for a in again.values()] == [kept(a) for a in original.values()]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_exported_sheet_imported_into_its_own_plan_records_nothing(
    leeds: Runtime, tmp_path: Path, suffix: str
) -> None:
    out = sealed_export(leeds, tmp_path / f"leeds{suffix}")
    before = leeds.app.recorder.max_notification_id()

    again = import_plan(leeds, ADMIN, out, slug="leeds")
    assert again.ok and not again.recorded and not again.changes, again.render_text()
    assert leeds.app.recorder.max_notification_id() == before


def test_the_workbook_has_the_leeds_headings_and_dates_as_dates(
    leeds: Runtime, tmp_path: Path
) -> None:
    out = tmp_path / "leeds.xlsx"
    rows = write_sheet(document(leeds, "leeds"), out, record_key(leeds))
    sheet = load_workbook(out).active
    assert sheet is not None
    assert sheet.max_row == rows
    assert [c.value for c in sheet[3]] == list(HEADINGS)
    assert sheet.freeze_panes == "A4"
    by_ref = {row[0].value: row for row in sheet.iter_rows(min_row=4) if row[0].value}
    finish = by_ref["2.4"][HEADINGS.index("Plan Finish")]
    assert finish.is_date and finish.value == datetime(2009, 12, 31)


def test_text_a_spreadsheet_would_run_is_written_as_text(rt: Runtime, tmp_path: Path) -> None:
    people(rt)
    rt.app.create_plan(ADMIN, "plan", "Plan")
    rt.app.add_group(ADMIN, "plan", "1", "Recommendation 1")
    formulas = ['=HYPERLINK("http://x.example","y")', "+1+1", "-2+3", "@SUM(A1)"]
    for n, text in enumerate(formulas, 1):
        rt.app.add_action(ADMIN, "plan", action_spec(f"1.{n}", title=text))
    doc = document(rt, "plan")

    write_sheet(doc, tmp_path / "plan.xlsx", record_key(rt))
    sheet = load_workbook(tmp_path / "plan.xlsx").active
    assert sheet is not None
    titles = [r[2] for r in sheet.iter_rows(min_row=4) if str(r[0].value).startswith("1.")]
    assert [c.data_type for c in titles] == ["s"] * 4
    assert [c.value for c in titles] == ["'" + t for t in formulas]

    write_sheet(doc, tmp_path / "plan.csv", record_key(rt))
    with open(tmp_path / "plan.csv", encoding="utf-8-sig", newline="") as f:
        written = [row[2] for row in csv.reader(f) if row and row[0].startswith("1.")]
    assert written == ["'" + t for t in formulas]

    # Read back, the quote is the escape and not part of the title.
    assert import_plan(rt, ADMIN, tmp_path / "plan.xlsx", slug="copy").recorded
    assert [a["title"] for a in actions(rt, "copy").values()] == formulas


def test_neutralise_leaves_ordinary_text_alone() -> None:
    assert neutralise("Audit 40 files") == "Audit 40 files"
    assert neutralise("") == ""
    assert neutralise("=1") == "'=1"


def test_a_criterion_with_its_own_date_is_a_stage_row(rt: Runtime, tmp_path: Path) -> None:
    from domain.values import Criterion

    people(rt)
    rt.app.create_plan(ADMIN, "plan", "Plan")
    rt.app.add_group(ADMIN, "plan", "1", "Recommendation 1")
    criteria = [Criterion("Tool agreed", date(2009, 3, 31)), Criterion("All audited", None)]
    rt.app.add_action(ADMIN, "plan", action_spec("1.1", success_criteria=criteria))
    write_sheet(document(rt, "plan"), tmp_path / "plan.csv", record_key(rt))
    with open(tmp_path / "plan.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    start = next(i for i, r in enumerate(rows) if r and r[0] == "1.1")
    stages = rows[start + 1 : start + 3]
    assert [(r[0], r[6], r[8]) for r in stages] == [
        ("", "2009-03-31", "Tool agreed"),
        ("", "", "All audited"),
    ]


def test_an_unknown_extension_is_refused_and_nothing_written(
    leeds: Runtime, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match=r"plan.ods: cannot tell the format from '.ods'"):
        write_sheet(document(leeds, "leeds"), tmp_path / "plan.ods", record_key(leeds))
    assert not (tmp_path / "plan.ods").exists()


def test_the_export_sheet_command(tmp_path: Path) -> None:
    from tests.test_import_record import cli

    cli(tmp_path, "users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    assert cli(tmp_path, "import", str(FIXTURES / "leeds.csv"), "--plan", "leeds").returncode == 0
    done = cli(tmp_path, "export-sheet", "leeds", "-o", str(tmp_path / "out.xlsx"))
    assert done.returncode == 0, done.stderr
    assert "plan leeds written to" in done.stdout and "26 actions" in done.stdout
    assert load_workbook(tmp_path / "out.xlsx").active is not None
    bad = cli(tmp_path, "export-sheet", "leeds", "-o", str(tmp_path / "out.pdf"))
    assert bad.returncode == 1 and "name the file .xlsx, .csv or .docx" in bad.stderr
    unknown = cli(tmp_path, "export-sheet", "nope", "-o", str(tmp_path / "x.csv"))
    assert unknown.returncode == 1 and "nope" in unknown.stderr
    assert "Traceback" not in bad.stderr + unknown.stderr


def _rewrite_record(path: Path, change: Any) -> None:
    """Edit the record an exported workbook keeps in its hidden sheet, cells untouched."""
    book = load_workbook(path)
    sheet = book[RECORD_SHEET]
    data = json.loads(joined([str(c.value) for c in sheet["A"] if c.value]))
    change(data)
    for cell in list(sheet["A"]):
        cell.value = None
    for r, piece in enumerate(exported.chunks(json.dumps(data)), 1):
        sheet.cell(row=r, column=1).value = piece
    book.save(path)


def test_a_record_changed_after_the_export_is_not_taken(leeds: Runtime, tmp_path: Path) -> None:
    out = sealed_export(leeds, tmp_path / "leeds.xlsx")

    def doctor(data: dict[str, Any]) -> None:
        data["actions"][0]["action"]["title"] = "Doctored behind the cells"

    _rewrite_record(out, doctor)
    result = import_plan(leeds, ADMIN, out, slug="leeds", dry_run=True)
    text = result.render_text()
    assert "its seal does not match" in text
    assert "Doctored" not in text and not result.changes, text


def test_a_record_from_another_store_is_not_taken(leeds: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "leeds.xlsx"
    write_sheet(document(leeds, "leeds"), out, "the key of another installation")
    result = import_plan(leeds, ADMIN, out, slug="leeds", dry_run=True)
    text = result.render_text()
    assert "its seal does not match" in text and "read as exported" not in text, text
    # Its cells are read as any plan's are, and say the same as the plan.
    assert result.ok and not result.changes, text


def test_a_record_sealed_by_this_store_is_taken(leeds: Runtime, tmp_path: Path) -> None:
    out = sealed_export(leeds, tmp_path / "leeds.xlsx")
    text = import_plan(leeds, ADMIN, out, slug="leeds", dry_run=True).render_text()
    assert "read as exported" in text and "seal" not in text, text
