"""Reports for boards: `actiontrail report PLAN --kind progress|exception|governance`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from domain import clock
from domain.errors import InvalidInput
from engine.cli import app, output
from engine.cli.context import state
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.reports.snapshot import resolve_period
from projections import queries


@app.command()
def report(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="Plan slug.")],
    kind: Annotated[
        ReportKind, typer.Option("--kind", help="progress, exception or governance.")
    ] = ReportKind.PROGRESS,
    period: Annotated[
        str | None,
        typer.Option("--period", help="e.g. 2009-08 or 2009-Q3; default this period."),
    ] = None,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format", help="html, md, csv, xlsx, docx or pdf; default from -o, else html."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """A board report for one period. A closed period's report shows what was recorded
    when it closed; the open period's is worked out from the plan as it stands."""
    rt = state(ctx).runtime()
    rt.runner.catch_up()
    view = queries.plan(rt.engine, plan)
    try:
        key = resolve_period(view, period, clock.today()).key
    except InvalidInput as e:
        raise typer.BadParameter(str(e), param_hint="--period") from None
    chosen = fmt or _format_from(out)
    binary = (ReportFormat.XLSX, ReportFormat.DOCX, ReportFormat.PDF)
    if chosen in binary and out is None and sys.stdout.isatty():
        raise typer.BadParameter(
            f"a {chosen.value} file cannot be shown here: use -o FILE", param_hint="-o"
        )
    built = build_report(rt, plan, kind, key)
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
        f"{kind.value} report for {plan} {key} written to {out}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _format_from(out: Path | None) -> ReportFormat:
    suffix = out.suffix.lower().lstrip(".") if out else ""
    if suffix in ("htm", "html"):
        return ReportFormat.HTML
    if suffix in ("md", "markdown"):
        return ReportFormat.MD
    if suffix in ("csv", "xlsx", "docx", "pdf"):
        return ReportFormat(suffix)
    return ReportFormat.HTML
