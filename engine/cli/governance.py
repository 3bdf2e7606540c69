"""Governance items: multi-agency approval of a document, then the board's sign-off."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from domain import clock
from engine.cli import app, lazy, output
from engine.cli.context import Format, parse_date, state
from engine.cli.plans import current_document

if TYPE_CHECKING:
    from engine.cli import render
else:
    render = lazy.module("engine.cli.render")

gov_app = typer.Typer(help="Multi-agency approval and board sign-off.", no_args_is_help=True)
app.add_typer(gov_app, name="governance")

Document = Annotated[
    Path, typer.Option("--document", help="The document (its SHA-256 is the version).")
]
On = Annotated[str | None, typer.Option("--on", help="Date of the decision (YYYY-MM-DD).")]
Version = Annotated[
    int | None, typer.Option("--version", help="The version decided on; refused if stale.")
]


@gov_app.command("open")
def open_item(
    ctx: typer.Context,
    plan: str,
    item: str,
    document: Document,
    title: Annotated[str, typer.Option("--title")] = "",
    agency: Annotated[
        list[str] | None, typer.Option("--agency", help="A required approving agency (repeat).")
    ] = None,
) -> None:
    """Open a governance item that each named agency must approve before sign-off."""
    st = state(ctx)
    rt = st.runtime()
    with rt.files.storing(document) as stored:
        rt.app.open_item(
            st.require_actor(),
            plan,
            item,
            title or item,
            list(agency or []),
            stored.name,
            stored.sha256,
        )
    output.info(f"governance item {item} opened (v1)")


@gov_app.command("revise")
def revise(
    ctx: typer.Context,
    plan: str,
    item: str,
    document: Document,
    reason: Annotated[str, typer.Option("--reason")] = "",
) -> None:
    """Revise the document: a new version, which earlier approvals do not cover."""
    st = state(ctx)
    rt = st.runtime()
    with rt.files.storing(document) as stored:
        version = rt.app.revise_item(
            st.require_actor(), plan, item, stored.name, stored.sha256, reason
        )
    st.result.update(item=item, document_version=version)
    output.info(f"governance item {item} is now v{version}")


def _decide(
    ctx: typer.Context,
    plan: str,
    item: str,
    agency: str,
    approve: bool,
    body: str,
    minute: str | None,
    on: str | None,
    version: int | None,
    reason: str | None,
) -> None:
    st = state(ctx)
    st.runtime().app.decide_item(
        st.require_actor(),
        plan,
        item,
        agency,
        approve,
        body,
        parse_date(on, "--on") or clock.today(),
        minute_ref=minute,
        version=version,
        reason=reason,
    )
    output.info(f"{agency} {'approved' if approve else 'rejected'} {item}")


Agency = Annotated[str, typer.Option("--agency", help="The agency deciding.")]
Body = Annotated[str, typer.Option("--body", help="Its governing body, e.g. 'Trust Board'.")]
Minute = Annotated[str | None, typer.Option("--minute", help="Minute reference.")]


@gov_app.command("approve")
def approve(
    ctx: typer.Context,
    plan: str,
    item: str,
    agency: Agency,
    body: Body,
    minute: Minute = None,
    on: On = None,
    version: Version = None,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
) -> None:
    """Record an agency's approval of the current version (an approver of that agency)."""
    _decide(ctx, plan, item, agency, True, body, minute, on, version, reason)


@gov_app.command("reject")
def reject(
    ctx: typer.Context,
    plan: str,
    item: str,
    agency: Agency,
    body: Body,
    reason: Annotated[str, typer.Option("--reason")] = "",
    minute: Minute = None,
    on: On = None,
    version: Version = None,
) -> None:
    """Record an agency's rejection of the current version, with a reason."""
    _decide(ctx, plan, item, agency, False, body, minute, on, version, reason)


@gov_app.command("signoff")
def signoff(
    ctx: typer.Context,
    plan: str,
    item: str,
    board: Annotated[str, typer.Option("--board", help="The board signing off.")],
    minute: Minute = None,
    on: On = None,
    version: Version = None,
) -> None:
    """Record the board's sign-off (board secretary); only once every agency approved."""
    st = state(ctx)
    st.runtime().app.sign_off(
        st.require_actor(),
        plan,
        item,
        board,
        parse_date(on, "--on") or clock.today(),
        minute_ref=minute,
        version=version,
    )
    output.info(f"governance item {item} signed off")


@gov_app.command("revoke")
def revoke(
    ctx: typer.Context,
    plan: str,
    item: str,
    reason: Annotated[str, typer.Option("--reason")] = "",
) -> None:
    """Revoke a sign-off, with a reason (board secretary)."""
    st = state(ctx)
    st.runtime().app.revoke_sign_off(st.require_actor(), plan, item, reason)
    output.info(f"sign-off of {item} revoked")


@gov_app.command("matrix")
def matrix(ctx: typer.Context, plan: str) -> None:
    """The sign-off matrix: each item against each required agency."""
    doc = current_document(ctx, plan)
    if state(ctx).format is Format.JSON:
        output.print_json(doc["governance"])
    else:
        render.show_matrix(doc["governance"])
