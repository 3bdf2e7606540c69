"""Witnessed checkpoints: each plan's checkpoint emailed to its witnesses (the auditors
and board secretaries), who keep it outside the database.

A checkpoint in the database proves nothing against someone who can rewrite the
database; one held by people who are not the database (their mailboxes, their minutes)
does. `verify --checkpoint FILE|URL` checks the record against the latest one they hold:
a rewrite of anything it covers, and a truncation of the newest events (with the chain's
head rewound), no longer match it. A plan whose record is not intact gets a warning
instead of a checkpoint, so the witnesses learn of it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import structlog

from domain import clock
from domain.clock import london
from domain.errors import InvalidInput
from domain.safe_text import one_line, shown_text
from engine.audit.checkpoint import take_checkpoint
from engine.runtime import Runtime
from notifiers.transport import KEY_HEADER, Outcome, Transport

log = structlog.get_logger(__name__)

WITNESS_ROLES = ("auditor", "secretary")


@dataclass
class WitnessReport:
    plans: int = 0
    sent: int = 0  # messages the server took
    not_intact: list[str] = field(default_factory=list)  # plans warned of instead
    failed: list[str] = field(default_factory=list)  # "recipient: why"


def witnesses(rt: Runtime) -> list[tuple[str, str]]:
    """(name, email) of every auditor and board secretary."""
    from projections import queries

    rt.catch_up()
    return [
        (str(u["name"]), str(u["email"]))
        for u in queries.users(rt.engine)
        if set(u.get("roles") or ()) & set(WITNESS_ROLES) and not u.get("deactivated")
    ]


def checkpoint_message(
    rt: Runtime, slug: str, title: str, to: tuple[str, str], now: datetime
) -> tuple[EmailMessage, bool]:
    """The email of a plan's checkpoint to one witness, and whether the record was intact."""
    day = now.astimezone(london()).date().isoformat()
    try:
        cp, _ = take_checkpoint(rt.app, slug)
        statement, intact = cp.text(), True
    except InvalidInput as e:
        statement, intact = f"NO CHECKPOINT: {e}\n", False
    name, address = to
    msg = EmailMessage()
    sender_name, sender = parseaddr(rt.settings.mail_from)
    msg["From"] = Address(display_name=one_line(sender_name), addr_spec=sender)
    msg["To"] = Address(display_name=one_line(name), addr_spec=address)
    heading = "Checkpoint" if intact else "WARNING: the record is not intact"
    msg["Subject"] = f"{heading}: plan {slug}, {day}"
    msg["Date"] = format_datetime(now)
    key = f"checkpoint-{slug}-{day}-{address.lower()}"
    msg["Message-ID"] = f"<{key}@{sender.rpartition('@')[2] or 'actiontrail.invalid'}>"
    msg[KEY_HEADER] = key
    body = (
        f"This is the checkpoint of the record of {shown_text(title)} ({slug}) on {day}.\n\n"
        "Please keep this email (or its attachment) somewhere the plan's database cannot "
        "reach. To prove later that the record up to now is unchanged, and that no recent "
        "event was removed, give the latest checkpoint you hold to:\n\n"
        f"    actiontrail verify {slug} --checkpoint checkpoint-{slug}-{day}.txt\n\n" + statement
        if intact
        else f"The record of {shown_text(title)} ({slug}) failed verification on {day}, so "
        "no checkpoint was taken. Keep your earlier checkpoints; ask the administrator "
        "to run 'actiontrail verify'.\n\n" + statement
    )
    msg.set_content(body)
    if intact:
        msg.add_attachment(statement, subtype="plain", filename=f"checkpoint-{slug}-{day}.txt")
    return msg, intact


def send_checkpoints(rt: Runtime, transport: Transport) -> WitnessReport:
    """Email every plan's checkpoint to every witness; nothing is recorded."""
    from projections import queries

    report = WitnessReport()
    people = witnesses(rt)
    now = clock.now()
    messages: list[EmailMessage] = []
    for plan in queries.plans(rt.engine):
        report.plans += 1
        for person in people:
            msg, intact = checkpoint_message(rt, plan["slug"], plan["title"], person, now)
            messages.append(msg)
        if people and not intact:
            report.not_intact.append(plan["slug"])
    if messages:
        for message, result in zip(
            messages, asyncio.run(transport.send_batch(messages)), strict=True
        ):
            if result.outcome is Outcome.SENT:
                report.sent += 1
            else:
                report.failed.append(f"{message['To']}: {result.detail}")
    log.info("checkpoints sent to witnesses", plans=report.plans, sent=report.sent,
             not_intact=report.not_intact, failed=len(report.failed))  # fmt: skip
    return report
