"""Writing a plan back as a spreadsheet in the Leeds monthly-progress layout.

The sheet is made to be read again by the importer: one row per action, a heading
row per recommendation ("Recommendation 2: ..."), an outcome's title on a row of
its own above its recommendations, and a success criterion with a date of its own
on a continuation row (no reference) whose Plan Finish is that date. Exporting a
plan and importing the sheet into the same plan records nothing; into a new plan it
gives the same actions, dates and people.

Text that a spreadsheet would run as a formula (starting =, +, - or @) is written
with a leading apostrophe, so opening an exported sheet cannot execute anything
that someone typed into the plan; the importer drops that apostrophe again.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from domain.errors import InvalidInput
from domain.timescales import parse_timescale
from domain.values import with_tentative_mark
from engine.importing import exported
from engine.importing.reader import FORMULA_STARTS, RECORD_SHEET

HEADINGS = (
    "Ref",
    "Aim/Outcome",
    "Action",
    "Last Month RAG",
    "This Month RAG",
    "Plan Start",
    "Plan Finish",
    "Actual Finish",
    "Success Criteria",
    "Lead",
    "Chief Officer",
    "Report of Progress",
    "Risk Report",
)
_WIDTHS = (8, 30, 45, 10, 10, 12, 12, 12, 40, 30, 25, 50, 30)
_CLOSED = ("completed", "verified")

Cell = str | date | None
Row = list[Cell]


def neutralise(text: str) -> str:
    """Text a spreadsheet would take for a formula, quoted so that it stays text."""
    return "'" + text if text and text[0] in FORMULA_STARTS else text


def sheet_rows(doc: dict[str, Any]) -> list[Row]:
    """The plan document (projections.dashboard.plan_document) as sheet rows: the
    title, a blank row, the headings, then groups and actions."""
    rows: list[Row] = [[doc["title"]], [], list(HEADINGS)]
    groups = doc["groups"]
    refs = {g["ref"] for g in groups}
    by_group: dict[str | None, list[dict[str, Any]]] = {}
    for action in doc["actions"]:
        group = action["group"] if action["group"] in refs else None
        by_group.setdefault(group, []).append(action)
    # Actions outside any group come first, so that no heading claims them.
    for action in by_group.get(None, []):
        rows += _action_rows(action)
    children = {g["ref"]: [c for c in groups if c["parent"] == g["ref"]] for g in groups}
    for group in groups:
        if group["parent"] is not None:
            continue
        if children[group["ref"]]:
            rows.append([group["title"]])
            for child in children[group["ref"]]:
                rows.append([_heading(child)])
                for action in by_group.get(child["ref"], []):
                    rows += _action_rows(action)
            mine = by_group.get(group["ref"], [])
        else:
            rows.append([_heading(group)])
            mine = by_group.get(group["ref"], [])
        for action in mine:
            rows += _action_rows(action)
    return rows


def _heading(group: dict[str, Any]) -> str:
    page = f" (Page {group['page']})" if group.get("page") else ""
    return f"Recommendation {group['ref']}: {group['title']}{page}"


def _action_rows(action: dict[str, Any]) -> list[Row]:
    finish = _day(action["plan_finish"])
    actual = _day(action["actual_finish"])
    main: list[str] = []
    stages: list[Row] = []
    for criterion in action["success_criteria"]:
        due = _day(criterion["due"])
        # The importer dates the action row's criteria by its plan finish; any other
        # date needs a row of its own, which must not widen the action's dates.
        if not stages and due == finish:
            main.append(criterion["text"])
            continue
        stage_finish = min(due, finish) if due and finish else None
        stage: Row = [None] * len(HEADINGS)
        stage[6], stage[7], stage[8] = stage_finish, actual, criterion["text"]
        stages.append(stage)
    row: Row = [
        action["ref"],
        action["aim"],
        action["title"],
        _rag_word(action["previous_rag"]),
        _rag_word(_this_month(action)),
        _day(action["plan_start"]),
        _finish_cell(finish, action.get("plan_finish_tentative")) or _finish_words(action),
        actual,
        "\n".join(main) or None,
        "\n".join(_person(p) for p in action["leads"]) or None,
        _person(action["accountable"]) if action["accountable"] else None,
        action["progress"],
        action["risk"],
    ]
    return [row, *stages]


def _finish_cell(finish: date | None, tentative: bool | None) -> Cell:
    """The finish as a date, or as text with its mark when it may still move (a date
    cell cannot hold "(tbc)"): "31 Mar 2011 (tbc)" reads back as that tentative day."""
    if finish is None or not tentative:
        return finish
    return with_tentative_mark(f"{finish.day} {finish:%b %Y}", True)


def _this_month(action: dict[str, Any]) -> str | None:
    """What the lead reported, so re-importing the sheet records no new rating; a
    finished action shows the completion colour the engine gives it."""
    if action["status"] in _CLOSED:
        rag: str | None = action["rag"]
        return rag
    reported: str | None = action["reported_rag"]
    return reported


def _rag_word(rag: str | None) -> str | None:
    return rag.capitalize() if rag else None


def _finish_words(action: dict[str, Any]) -> str | None:
    """Words such as "Ongoing" when there is no finish date, unless the importer would
    read a date out of them and so change the plan."""
    words = action["timescale"] or action["recurrence"]
    if not words or parse_timescale(words).plan_finish is not None:
        return None
    return str(words)


def _person(data: dict[str, Any]) -> str:
    """ "Name (Title) <email>": the form the importer reads a person back from."""
    name, email, title = data["name"], data.get("email"), data.get("title")
    text = "" if email and name == email else name
    if title:
        text += f" ({title})"
    if email:
        text = f"{text} <{email}>" if text else email
    return text


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


# -- files ---------------------------------------------------------------------------


def write_sheet(doc: dict[str, Any], path: str | Path, key: str) -> int:
    """Write the plan to ``path`` (.xlsx, .csv or .docx), an .xlsx or .docx with the
    plan's record sealed with ``key`` (exported.record_key); returns the number of rows
    written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".docx"):
        raise InvalidInput(
            f"{path.name}: cannot tell the format from {suffix or 'no extension'!r}; "
            f"name the file .xlsx, .csv or .docx"
        )
    rows = sheet_rows(doc)
    if suffix == ".docx":
        # python-docx: Word files only
        from engine.importing.export_docx import add_record, write_docx

        document = write_docx(path, rows)
        record = _record(doc, path, "docx", key)
        if record is not None:
            add_record(document, path, record)
    elif suffix == ".csv":
        _write_csv(path, rows)
    else:
        book = _write_xlsx(path, rows, doc["slug"])
        record = _record(doc, path, "xlsx", key)
        if record is not None:
            _add_record_sheet(book, path, record)
    return len(rows)


def _record(doc: dict[str, Any], path: Path, fmt: str, key: str) -> str | None:
    """The plan exactly, bound to the cells as the importer reads them back from the
    file just written (engine.importing.exported)."""
    from engine.importing.layouts import heading_matcher
    from engine.importing.reader import find_table, read_sheets

    for sheet in read_sheets(path, fmt):
        table = find_table(sheet, heading_matcher({}))
        if table is not None:
            return exported.record(doc, table, HEADINGS, key)
    return None


def _add_record_sheet(book: Any, path: Path, record: str) -> None:
    sheet = book.create_sheet(RECORD_SHEET)
    sheet.sheet_state = "hidden"
    for r, piece in enumerate(exported.chunks(record), 1):
        cell = sheet.cell(row=r, column=1)
        cell.value = piece
        cell.data_type = "s"
    book.save(path)


def _write_csv(path: Path, rows: list[Row]) -> None:
    # With a byte-order mark, Excel opens the file as UTF-8.
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        for row in rows:
            writer.writerow([_csv_text(cell) for cell in row])


def _csv_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return cell.isoformat()
    return neutralise(cell)


def _write_xlsx(path: Path, rows: list[Row], slug: str) -> Any:
    from openpyxl import Workbook  # heavy import, only for workbooks
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = slug[:31]
    heading_row = 3
    bold = Font(bold=True)
    grouping = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if value is None or value == "":
                continue
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, date):
                cell.value = value
                cell.number_format = "dd/mm/yyyy"
            else:
                text = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.value = neutralise(text)
                # Set after the value: openpyxl takes text starting "=" for a formula.
                cell.data_type = "s"
            cell.alignment = wrap
        if r == 1 or r == heading_row:
            for cell in sheet[r]:
                cell.font = bold
        elif r > heading_row and len(row) == 1:
            for c in range(1, len(HEADINGS) + 1):
                sheet.cell(row=r, column=c).fill = grouping
            sheet.cell(row=r, column=1).font = bold
    for c, width in enumerate(_WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = sheet.cell(row=heading_row + 1, column=1)
    book.save(path)
    return book
