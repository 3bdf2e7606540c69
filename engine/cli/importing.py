"""Spreadsheets in and out: `import` records a council's sheet, `export-sheet` writes one."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from domain.errors import InvalidInput
from engine.cli import app, lazy, output
from engine.cli.context import Format, state
from engine.cli.options import output_option
from engine.cli.plans import current_document

if TYPE_CHECKING:
    from engine.importing.export_sheet import write_sheet
    from engine.importing.exported import record_key
    from engine.importing.record import ImportResult, import_plan
else:
    write_sheet = lazy.function("engine.importing.export_sheet", "write_sheet")
    record_key = lazy.function("engine.importing.exported", "record_key")
    import_plan = lazy.function("engine.importing.record", "import_plan")


class SheetFormat(StrEnum):
    CSV = "csv"
    TSV = "tsv"
    XLSX = "xlsx"
    DOCX = "docx"


def parse_mapping(values: list[str]) -> dict[str, str]:
    """ "Heading=field" options as a mapping; the fields are checked by the importer."""
    mapping: dict[str, str] = {}
    for value in values:
        heading, sep, field = value.rpartition("=")
        if not sep or not heading.strip() or not field.strip():
            raise typer.BadParameter(
                f"'{value}' is not Heading=field (e.g. 'Owner=lead')", param_hint="--map"
            )
        earlier = mapping.get(heading.strip())
        if earlier is not None and earlier.lower() != field.strip().lower():
            raise InvalidInput(
                f"--map: the heading '{heading.strip()}' is mapped twice ({earlier} and "
                f"{field.strip()}); map it once"
            )
        mapping[heading.strip()] = field.strip()
    return mapping


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The plan (.csv, .tsv, .xlsx or Word .docx).")],
    plan: Annotated[str, typer.Option("--plan", help="Slug of the plan to create, or to update.")],
    title: Annotated[
        str | None,
        typer.Option(
            "--title",
            help="Title of a new plan (default: the title above the sheet's or document's table).",
        ),
    ] = None,
    organisation: Annotated[
        str | None,
        typer.Option(
            "--organisation",
            help="Organisation of a new plan (default: the council or body named above the table).",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="What a new plan answers, e.g. an inspection (default: the line above the "
            "table naming one, else the file's name).",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="table or json: how the report is shown (as after any command). "
            "csv, tsv or xlsx: the file's format, as --sheet-format.",
        ),
    ] = None,
    sheet_format: Annotated[
        SheetFormat | None,
        typer.Option("--sheet-format", help="The file's format when its extension does not say."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="The workbook sheet to read.")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="'Heading=field' for a column not recognised (repeat)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show the report and what would change; record nothing."),
    ] = False,
    people: Annotated[
        Path | None,
        typer.Option(
            "--people",
            help="CSV of name, email, agency, optional role: links the sheet's names and "
            "adds the users the store lacks.",
        ),
    ] = None,
    prefer: Annotated[
        list[str] | None,
        typer.Option(
            "--prefer",
            help="A field changed in the sheet and in the plan since the last import: "
            "'sheet' takes the sheet's, 'plan' keeps the plan's and settles it, "
            "'sheet:REF' takes the sheet's for one action (repeat). Without it the plan's "
            "value stays and the conflict is listed.",
        ),
    ] = None,
    report_format: Annotated[
        Format | None,
        typer.Option("--format-report", help="table or json (default: --format)."),
    ] = None,
) -> None:
    """Record a plan from a spreadsheet as one unit, or the changes an updated one brings.

    Exits with status 1, recording nothing, when the report has errors.
    """
    st = state(ctx)
    shown = report_format or st.format
    if fmt is not None:
        if fmt.lower() in {f.value for f in Format}:
            shown = report_format or Format(fmt.lower())
        elif fmt.lower() in {f.value for f in SheetFormat}:
            sheet_format = sheet_format or SheetFormat(fmt.lower())
        else:
            raise typer.BadParameter(
                f"'{fmt}' is not one of table, json (the report) or csv, tsv, xlsx (the file)",
                param_hint="--format",
            )
    st.format = shown
    checked = parse_mapping(mapping or [])
    result = import_plan(
        st.runtime(),
        st.require_actor(),
        file,
        slug=plan,
        title=title,
        fmt=sheet_format.value if sheet_format else None,
        sheet=sheet,
        mapping=checked,
        dry_run=dry_run,
        people=people,
        prefer=prefer or [],
        organisation=organisation,
        source=source,
    )
    _show(result, shown)
    if not result.ok:
        output.error(
            f"{file.name}: {len(result.report.errors)} errors (rows "
            f"{', '.join(map(str, result.report.error_rows)) or 'none'}); nothing was recorded"
        )
        raise typer.Exit(1)


def _show(result: ImportResult, fmt: Format) -> None:
    if fmt is Format.JSON:
        output.print_json(result.to_dict())
    else:
        # Written as it is: the report's table must not be re-wrapped or read as markup.
        sys.stdout.write(output.plain(result.render_text()))


@app.command("export-sheet")
def export_sheet_command(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="Plan slug.")],
    out: Annotated[Path, output_option("The file to write (.xlsx, .csv or .docx).")],
) -> None:
    """Write a plan as a spreadsheet in the monthly progress report layout."""
    doc = current_document(ctx, plan)
    rows = write_sheet(doc, out, record_key(state(ctx).runtime()))
    state(ctx).result.update(plan=plan, output=str(out), actions=len(doc["actions"]), rows=rows)
    output.info(f"plan {plan} written to {out}: {len(doc['actions'])} actions, {rows} rows")
