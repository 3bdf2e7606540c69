"""Auditing: verify the record, checkpoints, what changed between two moments, export and
restore. (The plan as of a moment is `show PLAN --as-of TIME`.)"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from domain import clock
from engine.cli import app, lazy, output
from engine.cli.context import Format, parse_date, state
from engine.cli.options import output_option
from engine.service.times import parse_moment

if TYPE_CHECKING:
    from domain.ids import plan_id
    from engine.audit.as_of import document_as_of, document_effective
    from engine.audit.checkpoint import (
        check_checkpoint,
        read_checkpoint,
        require_plan,
        take_checkpoint,
    )
    from engine.audit.diff import diff_plan
    from engine.audit.export import export_plan
    from engine.audit.restore import restore_plan
    from engine.audit.verify import Verification, verify_store
    from engine.cli import render
else:
    render = lazy.module("engine.cli.render")
    plan_id = lazy.function("domain.plan", "plan_id")
    document_as_of = lazy.function("engine.audit.as_of", "document_as_of")
    document_effective = lazy.function("engine.audit.as_of", "document_effective")
    check_checkpoint = lazy.function("engine.audit.checkpoint", "check_checkpoint")
    read_checkpoint = lazy.function("engine.audit.checkpoint", "read_checkpoint")
    require_plan = lazy.function("engine.audit.checkpoint", "require_plan")
    take_checkpoint = lazy.function("engine.audit.checkpoint", "take_checkpoint")
    diff_plan = lazy.function("engine.audit.diff", "diff_plan")
    export_plan = lazy.function("engine.audit.export", "export_plan")
    restore_plan = lazy.function("engine.audit.restore", "restore_plan")
    verify_store = lazy.function("engine.audit.verify", "verify_store")

# The prefix of every hash shown (HASH_PREFIX of engine.adapters.eventstore.chain,
# which loads the store).
HASH_PREFIX = "sha256:"


def say(text: str) -> None:
    """A line of its own, never wrapped: hashes and positions must survive copy and paste.
    (On standard error under --format json, which keeps standard output for JSON.)"""
    stream = sys.stderr if output.json_mode() else sys.stdout
    stream.write(output.plain(text) + "\n")


def chosen_format(ctx: typer.Context, fmt: str | None, allowed: tuple[str, ...]) -> str:
    value = fmt or state(ctx).format.value
    if value not in allowed:
        raise typer.BadParameter(
            f"'{value}' is not one of {', '.join(allowed)}", param_hint="--format"
        )
    return value


def show_past(ctx: typer.Context, slug: str, as_of: str | None, effective: str | None) -> None:
    """`show PLAN --as-of TIME` or `--effective DATE`."""
    if as_of is not None and effective is not None:
        raise typer.BadParameter("give --as-of or --effective, not both", param_hint="--as-of")
    rt = state(ctx).runtime()
    if as_of is not None:
        doc = document_as_of(rt, slug, parse_moment(as_of, option="--as-of"))
    else:
        day = parse_date(effective, "--effective")
        assert day is not None
        doc = document_effective(rt, slug, day)
    if state(ctx).format is Format.JSON:
        output.print_json(doc)
        return
    show_replay_line(doc)
    render.show_plan(doc)
    show_evidence(doc)
    show_periods(doc)


def show_replay_line(doc: dict[str, Any]) -> None:
    r = doc["replay"]
    if r["mode"] == "recorded":
        what = f"as the system knew it at {r['at']}"
    else:
        what = f"as it was on {r['at']}, as far as the record knows now"
    source = (
        f"from the snapshot at position {r['from_snapshot']}"
        if r["from_snapshot"]
        else "from the plan's first event"
    )
    say(
        f"{what}: {r['events']} events up to position {r['position']} "
        f"({r['replayed']} replayed {source})"
    )
    if r["unplaced"]:
        seqs = ", ".join(str(u["seq"]) for u in r["unplaced"])
        say(f"events that build on later ones and so were left out: {seqs}")


def show_evidence(doc: dict[str, Any]) -> None:
    rows = [
        [
            a["ref"],
            e["name"],
            e["state"],
            e["submitted_by"],
            (e["submitted_at"] or "")[:10],
            e["decided_by"] or "",
            e["decision_reason"] or "",
        ]
        for a in doc["actions"]
        for e in a["evidence"]
    ]
    if rows:
        output.table(
            "Evidence", ["Ref", "Evidence", "State", "By", "On", "Decided by", "Why"], rows
        )


def show_periods(doc: dict[str, Any]) -> None:
    if doc["closed_periods"]:
        say("Closed periods: " + ", ".join(doc["closed_periods"]))
    else:
        say("No period had been closed.")
    for record in doc.get("period_records", []):
        show_period_record(record)


_LIST_NAMES = {
    "completed": "completed",
    "overdue": "overdue",
    "due_next": "due next period",
    "commencing_next": "commencing next period",
}


def show_period_record(record: dict[str, Any]) -> None:
    """A period's close as it then stood: its lists, and any reopening since."""
    state = "reopened" if record["state"] == "reopened" else "closed"
    say(
        f"Period {record['period']} ({state}; closed {record['closed_at'][:16]} by "
        f"{record['closed_by']}, as of {record['as_of'][:10]})"
    )
    for key, name in _LIST_NAMES.items():
        refs = record["lists"].get(key, [])
        say(f"  {name}: {', '.join(refs) if refs else 'none'}")
    for r in record["reopenings"]:
        say(f"  reopened {r['at'][:16]} by {r['by']}: {r['reason']}")


FormatOption = Annotated[str | None, typer.Option("--format", help="table or json.")]


def _verification_json(result: Verification, slug: str | None) -> dict[str, Any]:
    scope = str(plan_id(slug)) if slug else None
    problems = result.problems_for(scope)
    data: dict[str, Any] = {
        "intact": not problems,
        "events": result.events,
        "links": result.links,
        "head": f"{HASH_PREFIX}{result.head.link}" if result.head else None,
        "head_position": result.head.position if result.head else 0,
        "sealed_through": result.head.sealed_through if result.head else 0,
        "problems": [p.as_json() for p in problems],
        "more_problems": result.more_problems,
        "seconds": round(result.seconds, 3),
        "events_per_second": round(result.rate),
    }
    if slug and result.plan:
        data["plan"] = {
            "plan": slug,
            "events": result.plan.events,
            "head": f"{HASH_PREFIX}{result.plan.head}",
            "last_recorded": result.plan.last_recorded,
        }
    if scope:
        data["problems_elsewhere"] = len(result.problems) - len(problems)
    return data


@app.command()
def verify(
    ctx: typer.Context,
    plan: Annotated[
        str | None, typer.Argument(help="Plan slug; without it, the whole store.")
    ] = None,
    checkpoint: Annotated[
        str | None,
        typer.Option(
            "--checkpoint",
            help="A checkpoint statement, or a file holding one: prove the plan's history "
            "up to it is unchanged.",
        ),
    ] = None,
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt",
            help="Admins: adopt, as they stand, stored events no hash chain covers (its "
            "tables were dropped), so that the store accepts writes again. Recorded.",
        ),
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the events are adopted (--adopt).")
    ] = None,
    fmt: FormatOption = None,
) -> None:
    """Recompute the hash chain over every stored event and report the first one altered,
    deleted, inserted or reordered behind the engine's back (exit status 1), or confirm
    the record is intact."""
    chosen = chosen_format(ctx, fmt, ("table", "json"))
    rt = state(ctx).runtime()
    if adopt:
        _adopt(ctx, reason or "")
        return
    if checkpoint is not None:
        _verify_checkpoint(rt.app, plan, checkpoint, chosen)
        return
    if plan is not None:
        require_plan(rt.app, plan)
    result = verify_store(rt.app, plan_id(plan) if plan else None)
    data = _verification_json(result, plan)
    if chosen == "json":
        output.print_json(data)
    else:
        _print_verification(result, data, plan)
    if not data["intact"]:
        raise typer.Exit(1)


def _print_verification(result: Verification, data: dict[str, Any], slug: str | None) -> None:
    problems = data["problems"]
    if problems:
        say(f"NOT INTACT: {len(problems) + data['more_problems']} problem(s) found")
        for p in problems:
            say(f"  {output.plain(p['message'])}")
        output.error(
            f"the record is not intact: first problem at position {problems[0]['position']}"
        )
    else:
        say(
            f"intact: {result.events} events, {result.links} links; "
            f"head {data['head'] or '(empty store)'} at position {data['head_position']}"
        )
    if data.get("plan"):
        p = data["plan"]
        say(f"plan {slug}: {p['events']} events, digest {p['head']}")
    if data.get("problems_elsewhere"):
        say(
            f"{data['problems_elsewhere']} problem(s) in other plans' events "
            "(run 'actiontrail verify' without a plan to see them)"
        )
    if data["sealed_through"]:
        say(
            f"events up to position {data['sealed_through']} were not chained as they were "
            "recorded: an admin adopted them as they stood (verify --adopt)"
            + (f" at {result.head.sealed_at}" if result.head and result.head.sealed_at else "")
        )
    say(f"checked at {result.rate:,.0f} events/s ({result.seconds:.2f} s)")


def _adopt(ctx: typer.Context, reason: str) -> None:
    st = state(ctx)
    adoption = st.runtime().app.adopt_unchained_events(st.require_actor(), reason)
    for line in (
        f"ADOPTED AS THEY STAND: {adoption.events} stored event(s), up to position "
        f"{adoption.through_position}, that no hash chain covered.",
        "Nothing can show whether any of them was altered, inserted or removed before "
        "this moment: what they say now is the record from here on.",
        f"Sealed into the chain and recorded as ChainAdoption.Adopted by {adoption.actor}: "
        f"{adoption.reason}",
    ):
        say(line)
    sys.stderr.write(
        f"WARNING: {adoption.events} event(s) were adopted without proof that they are as "
        "recorded; compare the record with a witnessed checkpoint ('actiontrail verify "
        "--checkpoint FILE') if you have one\n"
    )


def _verify_checkpoint(app_: Any, slug: str | None, text: str, chosen: str) -> None:
    cp = read_checkpoint(text)
    if slug is not None and slug != cp.plan:
        raise typer.BadParameter(
            f"the checkpoint is of plan '{cp.plan}', not '{slug}'", param_hint="PLAN"
        )
    outcome = check_checkpoint(app_, cp)
    problems = outcome.problems
    if chosen == "json":
        output.print_json(
            {
                "checkpoint": cp.as_json(),
                "holds": outcome.holds,
                "message": outcome.message,
                "intact": not problems,
                "problems": [p.as_json() for p in problems],
            }
        )
    else:
        say(outcome.message)
        for p in problems:
            say(f"  {output.plain(p.message())}")
        if not outcome.holds or problems:
            output.error("the record does not match the checkpoint or is not intact")
    if not outcome.holds or problems:
        raise typer.Exit(1)


@app.command()
def diff(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="Plan slug.")],
    start: Annotated[
        str, typer.Option("--from", help="The earlier moment: a date (its end) or a time.")
    ],
    end: Annotated[str | None, typer.Option("--to", help="The later moment; default now.")] = None,
    fmt: FormatOption = None,
) -> None:
    """What changed in a plan between two moments, action by action and field by field,
    with who made each change and why."""
    chosen = chosen_format(ctx, fmt, ("table", "json"))
    t1 = parse_moment(start, option="--from")
    t2 = parse_moment(end, option="--to") if end is not None else clock.now()
    if t2 < t1:
        raise typer.BadParameter("--to must not be before --from", param_hint="--to")
    result = diff_plan(state(ctx).runtime(), plan, t1, t2)
    if chosen == "json":
        output.print_json(result)
    else:
        show_diff(result)


def show_diff(result: dict[str, Any]) -> None:
    events = {e["seq"]: e for e in result["events"]}
    people = sorted({e["actor"] for e in result["events"] if e["actor"]})
    say(
        f"plan {result['plan']}: from {result['from']['at']} (position "
        f"{result['from']['position']}) to {result['to']['at']} (position "
        f"{result['to']['position']}): {len(events)} event(s) by {len(people)} people"
    )
    rows: list[list[Any]] = []
    for label, subjects in (
        ("plan", [{"subject": "", "fields": result["plan_changes"], "change": "changed"}]),
        ("action", result["actions"]),
        ("item", result["governance"]),
    ):
        for s in subjects:
            name = f"{label} {s['subject']}".strip()
            if s["change"] == "removed":
                rows.append([name, "(removed)", "", "", ""])
            for f in s["fields"]:
                rows.append([name, f["field"], _cell(f["from"]), _cell(f["to"]), _why(f, events)])
    if rows:
        output.table(None, ["Subject", "Field", "Was", "Now", "Who and why"], rows)
    else:
        say("no change")


def _cell(value: Any, limit: int = 300) -> str:
    text = render.readable(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _why(change: dict[str, Any], events: dict[int, dict[str, Any]], most: int = 4) -> str:
    lines = []
    for seq in change["because"][-most:]:
        e = events[seq]
        line = f"#{seq} {e['recorded_at'][:16].replace('T', ' ')} {e['actor'] or ''} "
        line += e["kind"].split(".")[-1]
        if e["effective_on"]:
            line += f" (effective {e['effective_on']})"
        if e["reason"]:
            line += f": {e['reason']}"
        lines.append(line)
    if len(change["because"]) > most:
        lines.insert(0, f"(and {len(change['because']) - most} earlier)")
    if change.get("note"):
        lines.append(change["note"])
    return "\n".join(lines)


@app.command()
def export(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="Plan slug.")],
    out: Annotated[Path, output_option("The file to write (JSON lines); - for stdout.")],
) -> None:
    """Write every event of a plan, and of the users its events refer to, exactly as stored,
    so that `restore` can rebuild the plan in an empty store."""
    rt = state(ctx).runtime()
    if str(out) == "-":
        summary = export_plan(rt, plan, sys.stdout)
        output.mark_printed()  # the export is the output, whatever the format
        return
    try:
        with out.open("w", encoding="ascii", newline="\n") as f:
            summary = export_plan(rt, plan, f)
    except OSError as e:
        raise typer.BadParameter(f"cannot write {out}: {e.strerror}", param_hint="-o") from None
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    state(ctx).result.update(
        plan=plan,
        output=str(out),
        events=summary.events,
        plan_events=summary.plan_events,
        users=summary.users,
        digest=f"{HASH_PREFIX}{summary.digest}",
    )
    say(
        f"exported plan {plan}: {summary.events} events ({summary.plan_events} of the plan, "
        f"the rest of {summary.users} users) to {out}; plan digest "
        f"{HASH_PREFIX}{summary.digest}"
    )


@app.command()
def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file written by `actiontrail export`.")],
) -> None:
    """Rebuild an exported plan in an empty store: the same history, read models and
    verification result as where it was exported from."""
    if not file.is_file():
        raise typer.BadParameter(f"no file {file}", param_hint="FILE")
    rt = state(ctx).runtime()
    summary = restore_plan(rt, file)
    state(ctx).result.update(
        plan=summary.plan,
        events=summary.events,
        plan_events=summary.plan_events,
        digest=f"{HASH_PREFIX}{summary.digest}",
        verified=True,
    )
    say(
        f"restored plan {summary.plan}: {summary.events} events ({summary.plan_events} of the "
        f"plan); verified, plan digest {HASH_PREFIX}{summary.digest}"
    )


@app.command()
def checkpoint(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="Plan slug.")],
    fmt: FormatOption = None,
) -> None:
    """A short statement of the plan's record (events, head hash, time) for the board to
    minute; `verify --checkpoint` later proves the history up to it is unchanged."""
    chosen = chosen_format(ctx, fmt, ("table", "json"))
    rt = state(ctx).runtime()
    cp, _ = take_checkpoint(rt.app, plan)
    if chosen == "json":
        output.print_json(cp.as_json())
    else:
        sys.stdout.write(cp.text())
