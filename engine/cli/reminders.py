"""Reminders: preview a day's digests, send them, look at the outbox, run the scheduler."""

from __future__ import annotations

import signal
import threading
from datetime import date
from enum import StrEnum
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from domain import clock
from engine.cli import app, output
from engine.cli.context import CliState, Format, parse_date, state

if TYPE_CHECKING:
    from engine.reminders.dispatcher import Dispatcher, Preview

reminders_app = typer.Typer(help="Reminder digests: preview and send.", no_args_is_help=True)
app.add_typer(reminders_app, name="reminders")

ON_HELP = "The day (YYYY-MM-DD); default today in London."
FORMAT_HELP = "table or json."
ROLE_NAMES = {"accountable": "accountable officer"}


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


def _format(st: CliState, fmt: Format | None) -> Format:
    return fmt or st.format


def _day(on: str | None) -> date:
    return parse_date(on, "--on") or clock.today()


def _dispatcher(st: CliState) -> Dispatcher:
    # The mail and calendar libraries load only for the reminder commands.
    from engine.reminders.dispatcher import Dispatcher
    from engine.reminders.scheduler import SchedulerConfig

    return Dispatcher(st.runtime(), config=SchedulerConfig.from_env().dispatch())


def _transport(st: CliState) -> str:
    from engine.reminders.delivery import describe_transport

    return describe_transport(st.settings)


def _preview_data(p: Preview) -> dict[str, Any]:
    from notifiers.messages import why

    digests = []
    for d in p.digests:
        email = (d.recipient.email or "").lower()
        digests.append(
            {
                "recipient": email,
                "name": d.recipient.name,
                "key": d.key,
                "outbox": p.state.get(d.key),
                # Someone already sent a digest today gets nothing more until tomorrow.
                "will_send": email not in p.queued_today,
                "items": [
                    {
                        "section": r.section.value,
                        "rule": r.rule.value,
                        "plan": r.subject.plan_slug,
                        "ref": r.subject.ref,
                        "title": r.subject.title,
                        "due": r.subject.due.isoformat() if r.subject.due else None,
                        "why": why(r),
                    }
                    for r in d.reminders
                ],
            }
        )
    return {
        "day": p.day.isoformat(),
        "digests": digests,
        "unreachable": [
            *(
                {
                    "name": r.recipient.name,
                    "role": None,
                    "agency": None,
                    "rule": r.rule.value,
                    "plan": r.subject.plan_slug,
                    "ref": r.subject.ref,
                    "why": "deactivated" if r.recipient.email else "no email address",
                }
                for r in p.unreachable
            ),
            *(
                {
                    "name": None,
                    "role": u.role,
                    "agency": u.subject.agency,
                    "rule": u.rule.value,
                    "plan": u.subject.plan_slug,
                    "ref": u.subject.ref,
                    "why": u.why,
                }
                for u in p.unaddressed
            ),
        ],
    }


@reminders_app.command("preview")
def reminders_preview(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--on", help=ON_HELP)] = None,
    fmt: Annotated[Format | None, typer.Option("--format", help=FORMAT_HELP)] = None,
) -> None:
    """What would be sent on a day, to whom and why. Sends nothing."""
    st = state(ctx)
    day = _day(on)
    data = _preview_data(_dispatcher(st).preview(day))
    data["needs_setup"] = _needs_setup(st)
    if _format(st, fmt) is Format.JSON:
        output.print_json(data)
        return
    _show_needs_setup(data["needs_setup"])
    if not data["digests"] and not data["unreachable"]:
        output.info(f"no reminders on {day.isoformat()}")
        return
    output.info(f"{len(data['digests'])} digest(s) on {day.isoformat()}")
    for d in data["digests"]:
        if d["outbox"]:
            note = f" [{d['outbox']}]"
        else:
            note = "" if d["will_send"] else " (not sent: already has a digest that day)"
        output.table(
            f"{d['name']} <{d['recipient']}>{note}",
            ["Section", "Plan", "Ref", "Title", "Due", "Why"],
            [
                [i["section"], i["plan"], i["ref"], i["title"], i["due"] or "", i["why"]]
                for i in d["items"]
            ],
        )
    if data["unreachable"]:
        output.table(
            "Not sent: nobody to send to",
            ["Name", "Plan", "Ref", "Rule", "Why"],
            [
                [
                    u["name"] or f"(no {ROLE_NAMES.get(u['role'], u['role'])})",
                    u["plan"],
                    u["ref"],
                    u["rule"],
                    u["why"],
                ]
                for u in data["unreachable"]
            ],
        )


def _needs_setup(st: CliState) -> list[dict[str, Any]]:
    """Actions no reminder can be about: nobody to send to, or no date to remind of."""
    from projections.setup import all_setup

    rt = st.runtime()
    rt.catch_up()
    return [
        {
            "plan": r["plan"],
            "ref": r["ref"],
            "title": r["title"],
            "missing": r["missing"],
            "set_up_by": r["owners"] or ["an admin"],
            "why": "needs set-up: no " + ", no ".join(r["missing"]),
        }
        for r in all_setup(rt.engine)
    ]


def _show_needs_setup(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    output.table(
        f"Needs set-up: no reminders for these {len(rows)} action(s) until they have "
        "a lead, an accountable officer and a finish or recurrence",
        ["Plan", "Ref", "Title", "Missing", "Set up by"],
        [
            [r["plan"], r["ref"], r["title"], ", ".join(r["missing"]), ", ".join(r["set_up_by"])]
            for r in rows
        ],
    )


@reminders_app.command("send")
def reminders_send(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--on", help=ON_HELP)] = None,
    fmt: Annotated[Format | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Send a day after today's reminders now.")
    ] = False,
) -> None:
    """Queue the day's digests and send everything waiting. Running it again sends nothing
    already sent; a day after today needs --force."""
    st = state(ctx)
    day = _day(on)
    today = clock.today()
    if day > today and not force:
        raise typer.BadParameter(
            f"{day.isoformat()} is after today ({today.isoformat()}): its reminders would "
            "go out early; preview them with `reminders preview --on`, or send with --force",
            param_hint="--on",
        )
    dispatcher = _dispatcher(st)
    queued, sent = dispatcher.run(day)
    waiting = _waiting_to_retry(dispatcher)
    data = {
        "day": day.isoformat(),
        "transport": _transport(st),
        "digests": queued.digests,
        "queued": queued.queued,
        "already_queued": queued.already,
        "unreachable": queued.unreachable,
        "sent": sent.sent,
        "retrying": sent.retrying,
        "failed": sent.failed,
        "skipped": sent.skipped,
        "reclaimed": sent.reclaimed,
        "left_out": sent.left_out,
        # Every digest waiting for another try, whichever day it was queued for.
        "waiting_to_retry": len(waiting),
        "next_retry_at": min(waiting) if waiting else None,
    }
    if _format(st, fmt) is Format.JSON:
        output.print_json(data)
        return
    retry = (
        f"{len(waiting)} waiting to be retried (next try {_local(min(waiting))})"
        if waiting
        else "none waiting to be retried"
    )
    output.info(
        f"{day.isoformat()}: {queued.queued} digest(s) queued ({queued.already} already), "
        f"{sent.sent} sent, {sent.failed} failed, {retry}; via {data['transport']}"
    )
    for line in sent.left_out:
        output.error(f"left out of a digest (the rest of it was sent): {line}")


def _waiting_to_retry(dispatcher: Dispatcher) -> list[str]:
    """When each digest a mail server turned away for now is to be tried again."""
    box = dispatcher.outbox
    box.catch_up()
    return [
        r.retry_at or r.updated_at
        for r in box.rows(status=OutboxStatus.QUEUED.value)
        if r.attempts > 0
    ]


def _local(stamp: str) -> str:
    """A stored time as London time to the minute."""
    from datetime import datetime

    return datetime.fromisoformat(stamp).astimezone(clock.london()).strftime("%Y-%m-%d %H:%M")


@app.command("outbox")
def outbox_list(
    ctx: typer.Context,
    status: Annotated[
        OutboxStatus | None, typer.Option("--status", help="Only dispatches in this state.")
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help="Only this day's digests.")] = None,
    fmt: Annotated[Format | None, typer.Option("--format", help=FORMAT_HELP)] = None,
) -> None:
    """Every reminder digest queued, with its state: queued (also waiting to be retried),
    sending, sent or failed (refused by the mail server; not retried)."""
    st = state(ctx)
    box = _dispatcher(st).outbox
    box.catch_up()
    rows = [
        r.as_dict()
        for r in box.rows(status=status.value if status else None, day=parse_date(on, "--on"))
    ]
    if _format(st, fmt) is Format.JSON:
        output.print_json(rows)
        return
    output.table(
        None,
        ["Day", "Recipient", "Status", "Tries", "Items", "Retry at", "Sent at", "Detail"],
        [
            [
                r["day"],
                r["recipient"],
                r["status"],
                r["attempts"],
                r["items"],
                (r["retry_at"] or "")[:16].replace("T", " "),
                (r["sent_at"] or "")[:16].replace("T", " "),
                r["detail"] or "",
            ]
            for r in rows
        ],
    )


@app.command("scheduler")
def scheduler(
    ctx: typer.Context,
    digest_hour: Annotated[
        int | None,
        typer.Option("--digest-hour", help="Hour of the daily digest, London (default 8)."),
    ] = None,
    sweep_minutes: Annotated[
        float | None,
        typer.Option("--sweep-minutes", help="Minutes between sweeps (default 5)."),
    ] = None,
) -> None:
    """Run the reminder jobs in the foreground until interrupted."""
    from engine.reminders.scheduler import SchedulerConfig, start_scheduler

    st = state(ctx)
    config = SchedulerConfig.from_env()
    config = SchedulerConfig(
        digest_hour=config.digest_hour if digest_hour is None else digest_hour,
        sweep_minutes=config.sweep_minutes if sweep_minutes is None else sweep_minutes,
    )
    handle = start_scheduler(st.runtime(), config)
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    output.info(
        f"reminder scheduler running: digests at {config.digest_hour:02d}:00 London on "
        f"working days, sweep every {config.sweep_minutes:g} min, via "
        f"{_transport(st)}; Ctrl-C stops it"
    )
    try:
        stopping.wait()
    finally:
        handle.stop()
    output.info("reminder scheduler stopped")
