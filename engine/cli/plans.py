"""Plans: create, load, list, show, history, groups and actions added."""

from __future__ import annotations

import csv
import sys
from dataclasses import asdict
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from domain.errors import InvalidInput
from domain.person_text import parse_person
from domain.safe_text import csv_cell, json_text
from domain.values import Cadence, Person, ReminderPolicy
from engine.cli import app, lazy, output
from engine.cli.context import Format, parse_date, state

if TYPE_CHECKING:
    from domain.plan import shown_setting
    from domain.spec import ActionSpec
    from engine.cli import render
    from engine.plans.planfile import read_plan_file
    from projections import queries
    from projections.dashboard import rag_policy
else:
    shown_setting = lazy.function("domain.plan", "shown_setting")
    ActionSpec = lazy.function("domain.spec", "ActionSpec")
    render = lazy.module("engine.cli.render")
    read_plan_file = lazy.function("engine.plans.planfile", "read_plan_file")
    queries = lazy.module("projections.queries")
    rag_policy = lazy.function("projections.dashboard", "rag_policy")

plan_app = typer.Typer(help="Create and load plans.", no_args_is_help=True)
group_app = typer.Typer(help="Groupings of actions.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
app.add_typer(group_app, name="group")


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the database tables (the event store and the read models)."""
    rt = state(ctx).runtime()
    rt.catch_up()
    state(ctx).result.update(database=rt.db.shown_url, ready=True)
    output.info(f"ready: {rt.db.shown_url}")


@app.command()
def plans(ctx: typer.Context) -> None:
    """List the plans."""
    st = state(ctx)
    db = st.read_models()
    counts = queries.action_counts(db)
    rows = [
        {
            "slug": p["slug"],
            "title": p["title"],
            "organisation": p["organisation"],
            "source": p["source"],
            "actions": counts.get(p["id"], 0),
            "demo": p["demo"],
        }
        for p in queries.plans(db)
    ]
    if st.format is Format.JSON:
        output.print_json(rows)
        return
    output.table(
        None,
        ["Slug", "Title", "Organisation", "Actions"],
        [
            [
                r["slug"],
                r["title"] + (" (demo)" if r["demo"] else ""),
                r["organisation"],
                r["actions"],
            ]
            for r in rows
        ],
    )


def current_document(ctx: typer.Context, slug: str, today: date | None = None) -> dict[str, Any]:
    db = state(ctx).read_models()
    from engine.service.shown_day import shown_note, shown_on

    view = queries.plan(db, slug)
    doc = queries.document(db, view, today or shown_on(view))
    if today is None:
        doc["shown_note"] = shown_note(view)
    return doc


@app.command()
def show(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="Plan slug.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The plan as the system knew it at this date or time."),
    ] = None,
    effective: Annotated[
        str | None,
        typer.Option(
            "--effective", help="The plan as it was on this date, as far as the record knows now."
        ),
    ] = None,
) -> None:
    """Show a plan: each action's status, RAG with its reasons, and the sign-off matrix."""
    if as_of is not None or effective is not None:
        from engine.cli.audit import show_past

        show_past(ctx, plan, as_of, effective)
        return
    doc = current_document(ctx, plan)
    if state(ctx).format is Format.JSON:
        output.print_json(doc)
    else:
        render.show_plan(doc)


@app.command()
def history(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="Plan slug.")],
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action's events.")
    ] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this person's events.")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this kind, e.g. RagAssessed.")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date or time.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this date or time.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="table, json or csv.")] = None,
) -> None:
    """Every event of a plan in order: when recorded, when effective, who, what and why."""
    st = state(ctx)
    db = st.read_models()
    view = queries.plan(db, plan)
    if action is not None:
        queries.action(db, view, action)  # an unknown action is an error, not an empty history
    rows = queries.history_rows(
        db,
        view,
        queries.HistoryFilter(
            subject=action,
            actor=actor,
            kind=kind,
            since=_bound(since, False),
            until=_bound(until, True),
        ),
    )
    chosen = fmt or st.format.value
    if chosen == "json":
        sys.stdout.write(json_text(rows) + "\n")
    elif chosen == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(queries.HISTORY_COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    r["seq"],
                    r["recorded_at"],
                    r["effective_on"] or "",
                    csv_cell(r["actor"]),
                    r["kind"],
                    csv_cell(r["subject"]),
                    csv_cell(json_text(r["data"], indent=None)),
                    csv_cell(r["reason"]),
                ]
            )
    elif chosen == "table":
        render.show_history(rows)
    else:
        raise typer.BadParameter(
            f"'{chosen}' is not one of table, json, csv", param_hint="--format"
        )


def _bound(value: str | None, end: bool) -> str | None:
    """A date or a time as the ISO text the history is indexed by (UTC)."""
    if value is None:
        return None
    from engine.service.times import parse_moment

    return parse_moment(value, end_of_day=end, option="--since/--until").isoformat()


@plan_app.command("create")
def plan_create(
    ctx: typer.Context,
    slug: str,
    title: Annotated[str, typer.Option("--title", help="The plan's title.")],
    organisation: Annotated[str | None, typer.Option("--organisation")] = None,
    source: Annotated[
        str | None, typer.Option("--source", help='e.g. "CQC inspection 2010".')
    ] = None,
    cadence: Annotated[Cadence, typer.Option("--cadence")] = Cadence.MONTHLY,
    board: Annotated[
        list[str] | None, typer.Option("--board", help="A monitoring board (repeat).")
    ] = None,
    agency: Annotated[
        list[str] | None, typer.Option("--agency", help="A partner agency (repeat).")
    ] = None,
    agencies: Annotated[
        str | None, typer.Option("--agencies", help="Partner agencies, comma-separated.")
    ] = None,
) -> None:
    """Register a new plan."""
    st = state(ctx)
    names = list(agency or []) + [a.strip() for a in (agencies or "").split(",") if a.strip()]
    st.runtime().app.create_plan(
        st.require_actor(),
        slug,
        title,
        organisation=organisation,
        source=source,
        cadence=cadence,
        boards=board or [],
        agencies=names,
    )
    output.info(f"plan {slug} created")


@plan_app.command("load")
def plan_load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A plan file (YAML or JSON).")],
) -> None:
    """Record a whole plan from a structured file, as one unit."""
    st = state(ctx)
    actor = st.require_actor()
    read = read_plan_file(file)
    spec = read.spec
    st.runtime().app.load_plan(
        actor,
        spec,
        rag_policy=read.rag_policy,
        reminder_policy=read.reminder_policy,
        policy_reason=f"set in plan file {file.name}",
    )
    output.info(f"plan {spec.slug} loaded: {len(spec.groups)} groups, {len(spec.actions)} actions")


class Display(StrEnum):
    WORSE = "worse"
    REPORTED = "reported"


class Setting(NamedTuple):
    """A policy setting: its policy, its name, the option that sets it, its label."""

    policy: str
    name: str
    option: str
    label: str


RAG, REMINDERS = "rag_policy", "reminder_policy"
POLICY_SETTINGS = (
    Setting(RAG, "display", "--display", "RAG shown"),
    Setting(RAG, "amber_days_before_finish", "--amber-days", "Amber days before plan finish"),
    Setting(RAG, "milestone_tolerance_days", "--milestone-days", "Milestone tolerance (days)"),
    Setting(RAG, "indicator_tolerance_pct", "--indicator-tolerance", "Indicator tolerance (%)"),
    Setting(REMINDERS, "lead_times_working_days", "--lead-times", "Due reminders (working days)"),
    Setting(REMINDERS, "overdue_every_days", "--overdue-every", "Overdue notices (0: off)"),
    Setting(REMINDERS, "escalate_after_days", "--escalate-after", "Escalate after (days overdue)"),
    Setting(
        REMINDERS,
        "period_request_working_days",
        "--period-request",
        "Update request (working days)",
    ),
    Setting(
        REMINDERS, "governance_chase_every_days", "--chase-every", "Approval chase every (days)"
    ),
)


def plan_policies(ctx: typer.Context, slug: str) -> dict[str, Any]:
    """A plan's policies as the read models hold them (defaults until first changed)."""
    rt = state(ctx).runtime()
    rt.catch_up()
    view = queries.plan(rt.engine, slug)
    stored = view.get("reminder_policy")
    policies = {
        "rag_policy": asdict(rag_policy(view)),
        "reminder_policy": asdict(ReminderPolicy(**stored) if stored else ReminderPolicy()),
    }
    settable = {(s.policy, s.name) for s in POLICY_SETTINGS}
    return {
        "plan": slug,
        **{
            policy: {k: v for k, v in values.items() if (policy, k) in settable}
            for policy, values in policies.items()
        },
    }


def _lead_times(value: str) -> list[int]:
    try:
        return [int(part) for part in value.split(",")]
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a list of working days like 14,3,0", param_hint="--lead-times"
        ) from None


@plan_app.command("policy")
def plan_policy(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="Plan slug.")],
    display: Annotated[
        Display | None,
        typer.Option(
            "--display", help="RAG shown: the worse of reported and computed, or the reported one."
        ),
    ] = None,
    amber_days: Annotated[
        int | None,
        typer.Option("--amber-days", help="Amber from this many days before the plan finish."),
    ] = None,
    milestone_days: Annotated[
        int | None,
        typer.Option(
            "--milestone-days", help="Days a milestone may be missed by before it is Red."
        ),
    ] = None,
    indicator_tolerance: Annotated[
        float | None,
        typer.Option(
            "--indicator-tolerance",
            help="Per cent of its target an indicator may miss by before Red.",
        ),
    ] = None,
    lead_times: Annotated[
        str | None,
        typer.Option(
            "--lead-times",
            help="Working days before a deadline that leads are reminded, e.g. 14,3,0.",
        ),
    ] = None,
    overdue_every: Annotated[
        int | None,
        typer.Option(
            "--overdue-every",
            help="0 turns overdue notices off; otherwise they come weekly, on Mondays.",
        ),
    ] = None,
    escalate_after: Annotated[
        int | None,
        typer.Option(
            "--escalate-after", help="Days overdue from which the accountable officer is told."
        ),
    ] = None,
    period_request: Annotated[
        int | None,
        typer.Option(
            "--period-request",
            help="Working days before a period closes that updates are requested.",
        ),
    ] = None,
    chase_every: Annotated[
        int | None,
        typer.Option("--chase-every", help="Days between chases of a pending approval (0: none)."),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the policies change.")] = None,
) -> None:
    """Show a plan's RAG and reminder policies, or change them (admins, with a reason).

    A change applies at once: to the RAG shown and to the reminders from then on."""
    st = state(ctx)
    given: dict[str, Any] = {
        "display": display.value if display else None,
        "amber_days_before_finish": amber_days,
        "milestone_tolerance_days": milestone_days,
        "indicator_tolerance_pct": indicator_tolerance,
        "lead_times_working_days": _lead_times(lead_times) if lead_times is not None else None,
        "overdue_every_days": overdue_every,
        "escalate_after_days": escalate_after,
        "period_request_working_days": period_request,
        "governance_chase_every_days": chase_every,
    }
    changes: dict[str, dict[str, Any]] = {RAG: {}, REMINDERS: {}}
    for setting in POLICY_SETTINGS:
        if given[setting.name] is not None:
            changes[setting.policy][setting.name] = given[setting.name]
    if any(changes.values()):
        actor = st.require_actor()
        before = plan_policies(ctx, plan)
        from domain.plan import PolicyRefused

        try:
            st.runtime().app.change_policies(
                actor,
                plan,
                reason or "",
                rag=changes[RAG],
                reminders=changes[REMINDERS],
            )
        except PolicyRefused as e:
            option = next(s.option for s in POLICY_SETTINGS if s.name == e.setting)
            typed = lead_times if e.setting == "lead_times_working_days" else e.value
            raise InvalidInput(f"{option} {shown_setting(typed)} {e.problem}") from None
    elif reason is not None:
        raise typer.BadParameter(
            "give a policy option to change (see --help); without one the policies are shown",
            param_hint="--reason",
        )
    else:
        before = None
    shown = plan_policies(ctx, plan)
    if st.format is Format.JSON:
        if before is None:
            output.print_json(shown)
        else:
            st.result.update(shown)  # printed with what was recorded
        return
    if before is not None:
        changed = [
            f"{s.option} {shown_setting(before[s.policy][s.name])} -> "
            f"{shown_setting(shown[s.policy][s.name])}"
            for s in POLICY_SETTINGS
            if before[s.policy][s.name] != shown[s.policy][s.name]
        ]
        output.info(f"policies of {plan} changed: {'; '.join(changed)}")
    output.table(
        None,
        ["Setting", "Value", "Option"],
        [[s.label, shown_setting(shown[s.policy][s.name]), s.option] for s in POLICY_SETTINGS],
    )


@group_app.command("add")
def group_add(
    ctx: typer.Context,
    plan: str,
    ref: str,
    title: Annotated[str, typer.Option("--title")],
    parent: Annotated[
        str | None, typer.Option("--parent", help="The outcome heading it sits under.")
    ] = None,
    page: Annotated[
        str | None, typer.Option("--page", help="Page of the inspection report.")
    ] = None,
    evidence: Annotated[
        list[str] | None, typer.Option("--evidence", help="Expected evidence (repeat).")
    ] = None,
) -> None:
    """Add a grouping (an outcome heading, a recommendation or an improvement area)."""
    st = state(ctx)
    st.runtime().app.add_group(
        st.require_actor(), plan, ref, title, parent=parent, page=page, evidence_expected=evidence
    )
    output.info(f"group {ref} added to {plan}")


def person_from_option(value: str) -> Person:
    """'Name <email>', 'email' or 'Name <email> (Agency)'."""
    return parse_person(value)


def add_action_command(
    ctx: typer.Context,
    plan: str,
    ref: str,
    title: Annotated[str, typer.Option("--title")],
    group: Annotated[str | None, typer.Option("--group")] = None,
    aim: Annotated[str | None, typer.Option("--aim")] = None,
    lead: Annotated[
        list[str] | None, typer.Option("--lead", help="'Name <email>' (repeat).")
    ] = None,
    accountable: Annotated[str | None, typer.Option("--accountable")] = None,
    start: Annotated[str | None, typer.Option("--start")] = None,
    finish: Annotated[str | None, typer.Option("--finish")] = None,
    criterion: Annotated[
        list[str] | None,
        typer.Option("--criterion", help="Success criterion; 'text @ YYYY-MM-DD' for a date."),
    ] = None,
) -> None:
    """Add an action to a plan."""
    st = state(ctx)
    from domain.values import Criterion

    criteria = []
    for c in criterion or []:
        text, _, due = c.partition("@")
        criteria.append(
            Criterion(text.strip(), parse_date(due.strip(), "--criterion") if due.strip() else None)
        )
    spec = ActionSpec(
        ref=ref,
        title=title,
        group=group,
        aim=aim,
        leads=[person_from_option(v) for v in lead or []],
        accountable=person_from_option(accountable) if accountable else None,
        plan_start=parse_date(start, "--start"),
        plan_finish=parse_date(finish, "--finish"),
        success_criteria=criteria,
    )
    st.runtime().app.add_action(st.require_actor(), plan, spec)
    output.info(f"action {ref} added to {plan}")
