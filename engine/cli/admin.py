"""Users, reporting periods, projections and the demo plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from domain import clock
from domain.values import Cadence
from engine.cli import app, lazy, output
from engine.cli.context import Format, state

if TYPE_CHECKING:
    from engine.plans.closing import close_period, parse_period
    from projections import queries
    from projections.lists import lists_for
else:
    close_period = lazy.function("engine.plans.closing", "close_period")
    parse_period = lazy.function("engine.plans.closing", "parse_period")
    queries = lazy.module("projections.queries")
    lists_for = lazy.function("projections.lists", "lists_for")

users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
period_app = typer.Typer(help="Reporting periods.", no_args_is_help=True)
proj_app = typer.Typer(help="Read models: status and rebuild.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(period_app, name="period")
app.add_typer(proj_app, name="projections")

ROLES_HELP = "admin, lead, accountable, approver, secretary, auditor (repeat)."


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    email: str,
    name: Annotated[str, typer.Option("--name")],
    role: Annotated[list[str], typer.Option("--role", help=ROLES_HELP)],
    agency: Annotated[
        str | None, typer.Option("--agency", help="Their agency (approvers approve for it).")
    ] = None,
) -> None:
    """Add a user. The first user of a new store must be an admin and needs no --as."""
    st = state(ctx)
    st.runtime().app.add_user(st.actor, email, name, role, agency=agency)
    output.info(f"user {email.lower()} added")


@users_app.command("roles")
def users_roles(
    ctx: typer.Context,
    email: str,
    role: Annotated[list[str], typer.Option("--role", help=ROLES_HELP)],
    agency: Annotated[str | None, typer.Option("--agency")] = None,
) -> None:
    """Replace a user's roles."""
    st = state(ctx)
    st.runtime().app.change_roles(st.require_actor(), email, role, agency=agency)
    output.info(f"user {email.lower()}: roles {', '.join(role)}")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List users and their roles."""
    st = state(ctx)
    rt = st.runtime()
    rt.catch_up()
    rows = [
        {"email": u["email"], "name": u["name"], "agency": u["agency"], "roles": u["roles"]}
        | ({} if u.get("active", True) else {"active": False})
        for u in queries.users(rt.engine)
    ]
    if st.format is Format.JSON:
        output.print_json(rows)
        return
    output.table(
        None,
        ["Email", "Name", "Agency", "Roles"],
        [
            [
                r["email"] + ("" if r.get("active", True) else " (deactivated)"),
                r["name"],
                r["agency"] or "",
                ", ".join(r["roles"]),
            ]
            for r in rows
        ],
    )


@period_app.command("close")
def period_close(
    ctx: typer.Context,
    plan: str,
    period: Annotated[
        str | None, typer.Option("--period", help="e.g. 2009-08; default this period.")
    ] = None,
    early: Annotated[
        bool, typer.Option("--early", help="Close before the period's last day (needs --reason).")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why it closes early, or closes again.")
    ] = None,
) -> None:
    """Close a reporting period, freezing every action's RAG, status and narrative as the
    record holds them for the period's last day. A period closes from its last day on;
    before that only with --early and a reason."""
    st = state(ctx)
    result = close_period(st.runtime(), st.require_actor(), plan, period, early, reason)
    if st.format is Format.JSON:
        st.result.update(result)  # printed with what was recorded
    else:
        again = " again" if result["closed_again"] else ""
        how = " early" if result["early"] else ""
        output.info(
            f"period {result['period']} of {plan} closed{again}{how} as of {result['as_of']} "
            f"({result['actions']} actions)"
        )


@period_app.command("reopen")
def period_reopen(
    ctx: typer.Context,
    plan: str,
    period: Annotated[str, typer.Option("--period", help="The closed period, e.g. 2009-08.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required).")] = None,
) -> None:
    """Reopen a closed period so that what it recorded can be put right; close it again
    with `period close`. Its report then says when and why it was reopened."""
    st = state(ctx)
    rt = st.runtime()
    key = parse_period(period, rt.app.plan(plan).cadence).key
    rt.app.reopen_period(st.require_actor(), plan, key, reason)
    output.info(f"period {key} of {plan} reopened")


@period_app.command("narrative")
def period_narrative(
    ctx: typer.Context,
    plan: str,
    period: Annotated[
        str | None, typer.Option("--period", help="e.g. 2009-08; default the open period.")
    ] = None,
    overview: Annotated[
        str | None, typer.Option("--overview", help="The period's overview.")
    ] = None,
    risks: Annotated[str | None, typer.Option("--risks", help="Plan-level risks.")] = None,
    issues: Annotated[str | None, typer.Option("--issues", help="Plan-level issues.")] = None,
) -> None:
    """Record the period's overview and the plan's risks and issues, as the report opens
    and ends with them. Editable until the period closes; a part left out is kept."""
    st = state(ctx)
    rt = st.runtime()
    key = (
        parse_period(period, rt.app.plan(plan).cadence).key
        if period
        else rt.app.open_period(plan).key
    )
    rt.app.record_narrative(
        st.require_actor(), plan, key, overview=overview, risks=risks, issues=issues
    )
    output.info(f"narrative of period {key} of {plan} recorded")


@period_app.command("list")
def period_list(ctx: typer.Context, plan: str) -> None:
    """The closed reporting periods of a plan."""
    st = state(ctx)
    rt = st.runtime()
    rt.catch_up()
    view = queries.plan(rt.engine, plan)
    rows = [
        {
            "period": p["period"],
            "closed_at": p["closed_at"],
            "closed_by": p["closed_by"],
            "summary": p["summary"],
        }
        for p in queries.periods(rt.engine, view)
    ]
    if st.format is Format.JSON:
        output.print_json(rows)
        return
    output.table(
        None,
        ["Period", "Closed", "By", "Red", "Amber", "Green", "Complete", "Blue", "Overdue"],
        [
            [
                r["period"],
                r["closed_at"][:16].replace("T", " "),
                r["closed_by"],
                *[
                    r["summary"]["by_rag"].get(k, 0)
                    for k in ("red", "amber", "green", "complete", "blue")
                ],
                r["summary"]["overdue"],
            ]
            for r in rows
        ],
    )


@period_app.command("show")
def period_show(ctx: typer.Context, plan: str, period: str) -> None:
    """A period's lists: completed, overdue, due by next period, commencing next period.

    A closed period shows what was frozen when it closed; an open one is worked out now."""
    st = state(ctx)
    rt = st.runtime()
    rt.catch_up()
    view = queries.plan(rt.engine, plan)
    key = parse_period(period, Cadence(view["cadence"])).key
    closed = {p["period"]: p for p in queries.periods(rt.engine, view)}
    if key in closed:
        lists, frozen = closed[key]["lists"], True
    else:
        from domain.periods import Period

        lists, frozen = lists_for(queries.actions(rt.engine, view), Period.parse(key)), False
    if st.format is Format.JSON:
        output.print_json({"period": key, "closed": frozen, **lists})
        return
    titles = {
        "completed": "Completed this period",
        "overdue": "Overdue",
        "due_next": "Due for completion by the next period",
        "commencing_next": "Commencing in the next period",
    }
    output.info(
        f"{plan} {key} ({'closed' if frozen else 'open, as of ' + clock.today().isoformat()})"
    )
    output.table(
        None, ["List", "Actions"], [[titles[k], ", ".join(v) or "none"] for k, v in lists.items()]
    )


@proj_app.command("status")
def projections_status(ctx: typer.Context) -> None:
    """Each projection's position in the event log and how far behind it is."""
    st = state(ctx)
    rows = [
        {"name": s.name, "position": s.position, "head": s.head, "lag": s.lag}
        for s in st.runtime().runner.status()
    ]
    if st.format is Format.JSON:
        output.print_json(rows)
        return
    output.table(None, ["Projection", "Position", "Head", "Lag"], [list(r.values()) for r in rows])


@proj_app.command("rebuild")
def projections_rebuild(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="One projection; default all.")] = None,
) -> None:
    """Rebuild read models from the first event, with a progress bar."""
    st = state(ctx)
    runner = st.runtime().runner
    if name is not None and name not in runner.names():
        raise typer.BadParameter(
            f"no projection '{name}' (known: {', '.join(runner.names())})", param_hint="NAME"
        )
    head = runner.head()
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(
        TextColumn("rebuilding"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=output.err_console,
    ) as bar:
        task = bar.add_task("rebuild", total=head or 1)
        count = runner.rebuild(
            [name] if name else None,
            progress=lambda pos, total: bar.update(task, completed=pos, total=total),
        )
    state(ctx).result.update(rebuilt=[name] if name else runner.names(), events=count)
    output.info(f"rebuilt {name or ', '.join(runner.names())} from {count} events")


@app.command()
def demo(ctx: typer.Context) -> None:
    """Load the demo plan (from the Leeds progress report) and show it."""
    from engine.cli import render
    from engine.cli.plans import current_document
    from engine.demo import load_demo

    st = state(ctx)
    result = load_demo(st.runtime(), actor=st.actor)
    doc = current_document(ctx, result.slug, today=result.as_of)
    if st.format is Format.JSON:
        output.print_json(doc)
    else:
        output.info(
            f"demo plan loaded: {result.slug} (shown as of {result.as_of}, the demo's today)"
        )
        render.show_plan(doc)
