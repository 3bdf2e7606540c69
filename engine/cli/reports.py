"""Reports for boards: `actiontrail report PLAN --kind progress|exception|governance`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from domain import clock
from domain.errors import InvalidInput
from engine.cli import app, output
from engine.cli.context import state
from engine.cli.options import output_option

if TYPE_CHECKING:
    from engine.reports import ReportFormat

E = TypeVar("E", bound=StrEnum)


def _choice(enum: type[E], value: str | None, option: str) -> E | None:
    """A report option's value; the reports' own enums name the choices, read only when
    a report is made (loading the report code costs every other command)."""
    if value is None:
        return None
    try:
        return enum(value.lower())
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise typer.BadParameter(
            f"'{value}' is not one of {allowed}", param_hint=option
        ) from None


@app.command()
def report(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="Plan slug.")],
    kind: Annotated[
        str, typer.Option("--kind", help="progress, exception or governance.")
    ] = "progress",
    period: Annotated[
        str | None,
        typer.Option("--period", help="e.g. 2009-08 or 2009-Q3; default this period."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="html, md, csv, xlsx, docx or pdf; default from -o, else html."
        ),
    ] = None,
    out: Annotated[
        Path | None, output_option("Write to this file, not stdout.")
    ] = None,
) -> None:
    """A board report for one period. A closed period's report shows what was recorded
    when it closed; the open period's is worked out from the plan as it stands."""
    from engine.reports import ReportFormat, ReportKind, build_report, render
    from engine.reports.snapshot import resolve_period
    from projections import queries

    chosen_kind = _choice(ReportKind, kind, "--kind")
    assert chosen_kind is not None
    chosen_format = _choice(ReportFormat, fmt, "--format")
    rt = state(ctx).runtime()
    rt.catch_up()
    view = queries.plan(rt.engine, plan)
    try:
        key = resolve_period(view, period, clock.today()).key
    except InvalidInput as e:
        raise typer.BadParameter(str(e), param_hint="--period") from None
    chosen = chosen_format or _format_from(out)
    binary = (ReportFormat.XLSX, ReportFormat.DOCX, ReportFormat.PDF)
    if chosen in binary and out is None and sys.stdout.isatty():
        raise typer.BadParameter(
            f"a {chosen.value} file cannot be shown here: use -o FILE", param_hint="-o"
        )
    built = build_report(rt, plan, chosen_kind, key)
    if built.snapshot.notice:
        output.err_console.print(
            f"note: {built.snapshot.notice}", markup=False, highlight=False, soft_wrap=True
        )
    data = render(built, chosen)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    out.write_bytes(data)
    output.err_console.print(
        f"{chosen_kind.value} report for {plan} {key} written to {out}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _format_from(out: Path | None) -> ReportFormat:
    from engine.reports import ReportFormat

    suffix = out.suffix.lower().lstrip(".") if out else ""
    if suffix in ("htm", "html"):
        return ReportFormat.HTML
    if suffix in ("md", "markdown"):
        return ReportFormat.MD
    if suffix in ("csv", "xlsx", "docx", "pdf"):
        return ReportFormat(suffix)
    return ReportFormat.HTML
