"""Running a plan after it is registered: its owners, partner agencies, the plan's own
details, re-baselined dates, and people leaving. Admins and the plan's owners do these."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from domain.errors import InvalidInput
from engine.cli import output
from engine.cli.actions import action_app
from engine.cli.admin import users_app
from engine.cli.context import state
from engine.cli.plans import plan_app

owner_app = typer.Typer(help="The plan's owners, who run it.", no_args_is_help=True)
agency_app = typer.Typer(help="The plan's partner agencies.", no_args_is_help=True)
plan_app.add_typer(owner_app, name="owner")
plan_app.add_typer(agency_app, name="agency")

Reason = Annotated[str, typer.Option("--reason", help="Why (required).")]
OptionalReason = Annotated[str | None, typer.Option("--reason", help="Why.")]


@owner_app.command("add")
def owner_add(ctx: typer.Context, plan: str, email: str, reason: OptionalReason = None) -> None:
    """Make a registered person an owner of the plan (an admin or an owner may)."""
    st = state(ctx)
    st.runtime().app.add_plan_owner(st.require_actor(), plan, email, reason=reason)
    output.info(f"plan {plan}: {email.strip().lower()} is an owner")


@owner_app.command("remove")
def owner_remove(ctx: typer.Context, plan: str, email: str, reason: OptionalReason = None) -> None:
    """Stop a person owning the plan."""
    st = state(ctx)
    st.runtime().app.remove_plan_owner(st.require_actor(), plan, email, reason=reason)
    output.info(f"plan {plan}: {email.strip().lower()} is no longer an owner")


@agency_app.command("add")
def agency_add(ctx: typer.Context, plan: str, name: str, reason: Reason = "") -> None:
    """Add a partner agency to the plan."""
    st = state(ctx)
    st.runtime().app.add_agency(st.require_actor(), plan, name, reason)
    output.info(f"plan {plan}: agency {name.strip()} added")


@agency_app.command("rename")
def agency_rename(
    ctx: typer.Context, plan: str, name: str, new_name: str, reason: Reason = ""
) -> None:
    """Rename a partner agency (decisions already recorded keep the name they had)."""
    st = state(ctx)
    st.runtime().app.rename_agency(st.require_actor(), plan, name, new_name, reason)
    output.info(f"plan {plan}: agency {name} renamed {new_name.strip()}")


@agency_app.command("retire")
def agency_retire(ctx: typer.Context, plan: str, name: str, reason: Reason = "") -> None:
    """Retire a partner agency: new governance items no longer name it."""
    st = state(ctx)
    st.runtime().app.retire_agency(st.require_actor(), plan, name, reason)
    output.info(f"plan {plan}: agency {name} retired")


@plan_app.command("amend")
def plan_amend(
    ctx: typer.Context,
    plan: str,
    field: Annotated[str, typer.Argument(help="title, organisation, source, boards or cadence.")],
    value: Annotated[
        list[str] | None, typer.Argument(help="The new value; boards comma-separated.")
    ] = None,
    reason: Reason = "",
) -> None:
    """Amend the plan's title, organisation, source, boards or cadence."""
    st = state(ctx)
    text = " ".join(value or [])
    st.runtime().app.amend_plan(st.require_actor(), plan, field, text, reason)
    output.info(f"plan {plan}: {field} amended")


@action_app.command("rebaseline")
def rebaseline(
    ctx: typer.Context,
    plan: str,
    shift: Annotated[
        str | None, typer.Option("--shift", help="Move start and finish by 3m, -2w, 10d, 1y.")
    ] = None,
    refs: Annotated[
        str | None, typer.Option("--refs", help="The actions to shift, comma-separated.")
    ] = None,
    from_csv: Annotated[
        Path | None,
        typer.Option(
            "--from-csv", help="A CSV of ref, new start, new finish (YYYY-MM-DD; blank keeps)."
        ),
    ] = None,
    reason: Reason = "",
) -> None:
    """Re-baseline several actions' planned dates at once, as one unit with one reason."""
    st = state(ctx)
    if (shift is None) == (from_csv is None):
        raise InvalidInput("rebaseline needs either --shift with --refs, or --from-csv FILE")
    if shift is not None and not refs:
        raise InvalidInput("--shift needs --refs (the actions it moves, like 1.1,1.2)")
    dates = read_rebaseline_csv(from_csv) if from_csv is not None else None
    done = st.runtime().app.rebaseline_actions(
        st.require_actor(),
        plan,
        reason,
        dates=dates,
        shift=shift,
        refs=refs.split(",") if refs else None,
    )
    output.info(f"plan {plan}: re-baselined {len(done)} actions ({', '.join(done)})")


def read_rebaseline_csv(path: Path) -> dict[str, tuple[date | None, date | None]]:
    """Rows of ref, new start, new finish; a blank date keeps the action's own; a header
    row naming 'ref' is skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else "not UTF-8 text"
        raise InvalidInput(f"{path}: cannot be read ({reason})") from None
    dates: dict[str, tuple[date | None, date | None]] = {}
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() == "ref":
            continue
        if len(cells) != 3:
            raise InvalidInput(
                f"{path.name}, row {number}: needs 3 columns (ref, new start, new finish), "
                f"has {len(cells)}"
            )
        ref = cells[0]
        if not ref:
            raise InvalidInput(f"{path.name}, row {number}, column ref: empty")
        if ref in dates:
            raise InvalidInput(f"{path.name}, row {number}: action {ref} is listed twice")
        dates[ref] = (
            _csv_date(path, number, "new start", cells[1]),
            _csv_date(path, number, "new finish", cells[2]),
        )
    if not dates:
        raise InvalidInput(f"{path.name}: no rows of ref, new start, new finish")
    return dates


def _csv_date(path: Path, number: int, column: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{path.name}, row {number}, column {column}: '{value}' is not a date (YYYY-MM-DD)"
        ) from None


@users_app.command("deactivate")
def users_deactivate(ctx: typer.Context, email: str, reason: Reason = "") -> None:
    """Stop a person signing in or acting; everything they recorded remains."""
    st = state(ctx)
    rt = st.runtime()
    rt.app.deactivate_user(st.require_actor(), email, reason)
    # Their web sessions end and their reminder links are retired at once.
    rt.accounts.sign_out_everywhere(email)
    output.info(f"user {email.strip().lower()} deactivated, and signed out everywhere")


@users_app.command("reactivate")
def users_reactivate(ctx: typer.Context, email: str, reason: OptionalReason = None) -> None:
    """Let a deactivated person sign in and act again."""
    st = state(ctx)
    st.runtime().app.reactivate_user(st.require_actor(), email, reason=reason)
    output.info(f"user {email.strip().lower()} reactivated")
