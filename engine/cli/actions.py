"""Action updates and evidence, as a lead or accountable officer does them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from domain import clock
from domain.errors import InvalidInput
from domain.values import Rag, Recurrence, Status
from engine.cli import app, output
from engine.cli.context import parse_date, state
from engine.cli.plans import add_action_command, person_from_option

action_app = typer.Typer(help="Add and update actions.", no_args_is_help=True)
evidence_app = typer.Typer(help="Submit, accept and reject evidence.", no_args_is_help=True)
app.add_typer(action_app, name="action")
app.add_typer(evidence_app, name="evidence")
action_app.command("add")(add_action_command)

Reason = Annotated[str | None, typer.Option("--reason", help="Why.")]
On = Annotated[str | None, typer.Option("--on", help="When it took effect (YYYY-MM-DD).")]
Expected = Annotated[
    int | None, typer.Option("--expected-version", help="Refuse if the action changed since.")
]


def _status(
    ctx: typer.Context,
    plan: str,
    ref: str,
    to: Status,
    reason: str | None,
    on: str | None,
    expected: int | None,
) -> None:
    st = state(ctx)
    st.runtime().app.change_status(
        st.require_actor(),
        plan,
        ref,
        to,
        reason=reason,
        effective_on=parse_date(on, "--on"),
        expected_version=expected,
    )
    output.info(f"action {ref}: {to.value.replace('_', ' ')}")


# One command per status an action can be moved to, each with the same options.
STATUS_COMMANDS: dict[str, tuple[Status, str]] = {
    "start": (Status.IN_PROGRESS, "Mark an action in progress."),
    "complete": (
        Status.COMPLETED,
        "Mark an action completed (awaiting verification); --on is its actual finish.",
    ),
    "verify": (
        Status.VERIFIED,
        "Confirm a completed action met its success criteria (accountable officer).",
    ),
    "defer": (Status.DEFERRED, "Defer an action (a reason is required)."),
    "cancel": (Status.CANCELLED, "Cancel an action (a reason is required)."),
}


def _status_command(name: str, to: Status, help_text: str) -> None:
    def command(
        ctx: typer.Context,
        plan: str,
        ref: str,
        reason: Reason = None,
        on: On = None,
        expected_version: Expected = None,
    ) -> None:
        _status(ctx, plan, ref, to, reason, on, expected_version)

    command.__name__ = name
    command.__doc__ = help_text
    action_app.command(name)(command)


for _name, (_to, _help) in STATUS_COMMANDS.items():
    _status_command(_name, _to, _help)


@action_app.command("progress")
def progress(
    ctx: typer.Context,
    plan: str,
    ref: str,
    narrative: Annotated[str, typer.Option("--narrative", "-m", help="Progress this period.")],
    risk: Annotated[str | None, typer.Option("--risk", help="Risk narrative.")] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="e.g. 2009-08; default this period.")
    ] = None,
    expected_version: Expected = None,
) -> None:
    """Report progress (and risk) for a reporting period."""
    st = state(ctx)
    rt = st.runtime()
    cadence = rt.app.plan(plan).cadence
    named = None
    if period:
        from engine.plans.closing import parse_period

        named = parse_period(period, cadence).key
    # By default the open period: the month of today, or the next one if today's closed.
    key = rt.app.report_progress_for_open_period(
        st.require_actor(),
        plan,
        ref,
        narrative,
        period=named,
        risk=risk,
        expected_version=expected_version,
    )
    output.info(f"action {ref}: progress recorded for {key}")


@action_app.command("rag")
def rag(
    ctx: typer.Context,
    plan: str,
    ref: str,
    rating: Annotated[str, typer.Argument(help="red, amber or green.")],
    reason: Reason = None,
    on: On = None,
    expected_version: Expected = None,
) -> None:
    """Record the lead's RAG rating (a reason is required for red and amber)."""
    try:
        value = Rag(rating.lower())
    except ValueError:
        raise typer.BadParameter(
            f"'{rating}' is not red, amber or green", param_hint="RATING"
        ) from None
    st = state(ctx)
    st.runtime().app.assess_rag(
        st.require_actor(),
        plan,
        ref,
        value,
        reason=reason,
        effective_on=parse_date(on, "--on"),
        expected_version=expected_version,
    )
    output.info(
        f"action {ref}: rated {value.value} (period {st.runtime().app.open_period(plan).key})"
    )


@action_app.command("amend")
def amend(
    ctx: typer.Context,
    plan: str,
    ref: str,
    field: Annotated[
        str,
        typer.Argument(
            help="title, aim, group, leads, accountable, plan_start, plan_finish, "
            "plan_finish_tentative (yes or no), recurrence, timescale, cross_refs, notes"
        ),
    ],
    value: Annotated[
        list[str] | None, typer.Argument(help="The new value (several for leads).")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")] = "",
    on: On = None,
    expected_version: Expected = None,
) -> None:
    """Amend a field of an action; moving a finish date is an amendment."""
    st = state(ctx)
    parsed = _amended_value(field, value or [])
    st.runtime().app.amend_action(
        st.require_actor(),
        plan,
        ref,
        field,
        parsed,
        reason,
        effective_on=parse_date(on, "--on"),
        expected_version=expected_version,
    )
    output.info(f"action {ref}: {field} amended")


def _amended_value(field: str, values: list[str]) -> Any:
    single = values[0] if values else None
    if field in ("plan_start", "plan_finish"):
        return parse_date(single, field)
    if field == "plan_finish_tentative":
        return _yes_or_no(single, field)
    if field == "leads":
        return [person_from_option(v) for v in values]
    if field == "accountable":
        return person_from_option(single) if single else None
    if field == "recurrence":
        return _recurrence(" ".join(values)) if values else None
    if field in ("cross_refs", "notes"):
        return list(values)
    if field in ("success_criteria", "indicators"):
        raise InvalidInput(f"{field} is amended through a plan file, not the command line")
    return " ".join(values) if values else None


def _yes_or_no(value: str | None, field: str) -> bool:
    words = {"yes": True, "true": True, "tbc": True, "no": False, "false": False}
    answer = words.get((value or "").strip().lower())
    if answer is None:
        raise typer.BadParameter(f"{value!r} is not yes or no", param_hint=field)
    return answer


def _recurrence(value: str) -> Recurrence:
    try:
        return Recurrence(value.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Recurrence)
        raise typer.BadParameter(
            f"'{value}' is not a recurrence (use one of: {allowed})", param_hint="VALUE"
        ) from None


@action_app.command("milestone")
def milestone(
    ctx: typer.Context,
    plan: str,
    ref: str,
    number: Annotated[int, typer.Argument(help="Which success criterion (1, 2 ...).")],
    on: On = None,
) -> None:
    """Record a success criterion or stage as achieved."""
    st = state(ctx)
    st.runtime().app.achieve_milestone(
        st.require_actor(), plan, ref, number, parse_date(on, "--on") or clock.today()
    )
    output.info(f"action {ref}: criterion {number} achieved")


@action_app.command("measure")
def measure(
    ctx: typer.Context,
    plan: str,
    ref: str,
    indicator: Annotated[str, typer.Argument(help="The indicator's name.")],
    value: Annotated[float, typer.Argument(help="The reading.")],
    on: On = None,
) -> None:
    """Record a reading of a measurable indicator."""
    st = state(ctx)
    app = st.runtime().app
    measured_on = parse_date(on, "--on") or clock.today()
    app.measure_indicator(st.require_actor(), plan, ref, indicator, value, measured_on)
    # A reading recorded after its period closed does not change that period's record.
    output.info(f"action {ref}: {indicator} = {value:g} (period {app.open_period(plan).key})")


@evidence_app.command("add")
def evidence_add(
    ctx: typer.Context,
    plan: str,
    ref: str,
    file: Annotated[Path | None, typer.Option("--file", help="A document to store.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="A link instead of a file.")] = None,
    criterion: Annotated[
        int | None, typer.Option("--criterion", help="The success criterion it evidences.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Submit evidence (a file, stored by its SHA-256, or a link) against an action."""
    if (file is None) == (url is None):
        raise typer.BadParameter("give either --file or --url", param_hint="--file/--url")
    st = state(ctx)
    rt = st.runtime()
    actor = st.require_actor()
    if file is not None:
        # Kept in the files folder only if the evidence is recorded.
        with rt.files.storing(file) as stored:
            evidence_id = rt.app.submit_evidence(
                actor,
                plan,
                ref,
                stored.name,
                sha256=stored.sha256,
                size=stored.size,
                media_type=stored.media_type,
                criterion=criterion,
                note=note,
            )
    else:
        evidence_id = rt.app.submit_evidence(
            actor, plan, ref, url or "", url=url, criterion=criterion, note=note
        )
    st.result.update(evidence=evidence_id)
    output.info(f"action {ref}: evidence {evidence_id} submitted")


@evidence_app.command("accept")
def evidence_accept(
    ctx: typer.Context, plan: str, ref: str, evidence: str, reason: Reason = None
) -> None:
    """Accept evidence (accountable officer)."""
    st = state(ctx)
    st.runtime().app.decide_evidence(st.require_actor(), plan, ref, evidence, True, reason=reason)
    output.info(f"action {ref}: evidence {evidence} accepted")


@evidence_app.command("reject")
def evidence_reject(
    ctx: typer.Context, plan: str, ref: str, evidence: str, reason: Reason = None
) -> None:
    """Reject evidence with a reason (accountable officer)."""
    st = state(ctx)
    st.runtime().app.decide_evidence(st.require_actor(), plan, ref, evidence, False, reason=reason)
    output.info(f"action {ref}: evidence {evidence} rejected")
