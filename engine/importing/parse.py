"""The importer's entry point: a spreadsheet file in, a PlanSpec and its report out."""

from __future__ import annotations

from pathlib import Path

from domain.spec import PlanSpec
from domain.values import Person
from engine.importing.build import PlanBuilder
from engine.importing.errors import ImportFileError
from engine.importing.exported import apply_record
from engine.importing.layouts import (
    ColumnPlan,
    field_for_heading,
    heading_matcher,
    plan_columns,
    validate_mapping,
)
from engine.importing.reader import Table, detect_format, find_table, read_sheets
from engine.importing.report import ColumnReport, ImportReport, IssueLog


def parse_file(
    path: str | Path,
    *,
    slug: str,
    title: str | None = None,
    fmt: str | None = None,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    organisation: str | None = None,
    source: str | None = None,
    record_key: str | None = None,
) -> tuple[PlanSpec, ImportReport]:
    """Read a plan spreadsheet (CSV, TSV or XLSX) into a PlanSpec and say what was found.

    ``mapping`` names columns the importer does not recognise: {"Heading": "field"}.
    ``title``, ``organisation`` and ``source`` win over what the text above the table
    says of them. ``record_key`` is the store's key for the record an export keeps
    beside its cells (engine.importing.exported): without it, every row is read from
    its cells.
    Raises ImportFileError when the file as a whole cannot be read; problems with
    single rows are in the report, and ``report.ok`` is False when any is an error
    (then the import must not be recorded).
    """
    path = Path(path)
    fmt = detect_format(path, fmt)
    checked = validate_mapping(path, mapping)
    table = _find_table(path, fmt, sheet, checked)
    columns = plan_columns(path, table.headings, table.rows, checked)
    log = IssueLog()
    _report_columns(table, columns, log)
    where = path.name + (f" (sheet {table.sheet})" if table.sheet else "")
    builder = PlanBuilder(table, columns, log)
    spec = builder.build(
        slug=slug, title=title, source=where, organisation=organisation, given_source=source
    )
    exact = (
        apply_record(table.record, table, spec, log, _first_rows(builder), record_key)
        if table.record
        else []
    )
    if not spec.actions:
        log.error(None, None, None, "no actions found: no row has action text under the headings")
    report = ImportReport(
        file=path.name,
        sheet=table.sheet,
        layout=columns.layout,
        header_row=table.header_row,
        rows_read=len(table.rows),
        groups=len(spec.groups),
        actions=len(spec.actions),
        columns=[
            ColumnReport(c.letter, " ".join(c.heading.split()), c.field, c.how)
            for c in columns.columns
        ],
        people_without_email=_people_without_email(spec),
        issues=log.issues,
        action_rows=_first_rows(builder),
        dates=log.dates,
        exact=exact,
        title=spec.title,
        organisation=spec.organisation,
        source=spec.source,
        narrative=builder.narrative,
    )
    return spec, report


def _find_table(path: Path, fmt: str, sheet: str | None, mapping: dict[str, str]) -> Table:
    sheets = read_sheets(path, fmt, sheet)
    if not any(s.rows for s in sheets):
        problem = "the file is empty" if fmt != "xlsx" else "every sheet is empty"
        raise ImportFileError(path, problem)
    is_heading = heading_matcher(mapping)
    for candidate in sheets:
        table = find_table(candidate, is_heading)
        if table is None:
            continue
        if not table.rows:
            raise ImportFileError(
                path, f"the headings at row {table.header_row} have no rows under them"
            )
        return table
    where = f" in sheet {sheet!r}" if sheet else ""
    raise ImportFileError(
        path,
        f"no row of column headings found{where}: expected headings such as "
        f"'Ref', 'Action', 'Lead', 'Timescale', 'Success Criteria' in the first rows; "
        f"name the columns with a mapping Heading=field",
    )


def _report_columns(table: Table, columns: ColumnPlan, log: IssueLog) -> None:
    for column in columns.columns:
        if column.how == "unmapped":
            log.warn(
                table.header_row,
                column.label,
                None,
                "no field matches this heading; its text is kept on each action as a note "
                f"'{column.label}: ...' (name it with a mapping {column.label}=field)",
            )
        elif column.how == "duplicate":
            log.warn(
                table.header_row,
                column.label,
                None,
                f"another column already gives {field_for_heading(column.heading)}; this "
                f"column's text is kept on each action as a note",
            )
    by_index = {c.index: c.label for c in columns.columns}
    for note in table.notes:
        log.warn(note.row, by_index.get(note.column), note.value, note.reason)
    for row in table.repeated_headers:
        log.info(row, None, None, "the heading row is repeated here (a page break); skipped")


def _first_rows(builder: PlanBuilder) -> dict[str, int]:
    rows: dict[str, int] = {}
    for draft in builder.drafts:
        rows.setdefault(draft.spec.ref, draft.row)
    return rows


def _people_without_email(spec: PlanSpec) -> list[str]:
    people: dict[str, Person] = {}
    for action in spec.actions:
        for person in [*action.leads, *([action.accountable] if action.accountable else [])]:
            if person.email is None:
                people.setdefault(person.key, person)
    return [p.name for p in people.values()]
