"""An overdue action that names no accountable officer escalates to the plan's owners and
the admins, and the preview says so; with nobody at all it is listed as unaddressed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from domain.clock import FixedClock, using_clock
from domain.reminders import Deadline, Rule, compute_reminders
from domain.values import Person, ReminderPolicy, Status
from engine.reminders.gather import _owners
from tests.conftest import ADMIN, LEAD, open_runtime
from tests.test_reminders_cli import Cli
from tests.test_reminders_support import MailServer, at, setup_plan, simple_action

DAY = "2009-06-29"  # a Monday, the overdue day: action 1.2 is 14 days overdue, escalated
LEE = Person("Lee Lead", LEAD, "Council")


def deadline(accountable: Person | None) -> Deadline:
    return Deadline(
        "plan", "Plan", "action", "1.2", "Audit", date(2009, 6, 15), [LEE], accountable,
        Status.IN_PROGRESS, None, "/plans/plan/actions/1.2", "1.2",
    )  # fmt: skip


def escalations(accountable: Person | None, escalate_to: list[Person]):  # type: ignore[no-untyped-def]
    return compute_reminders(
        date(2009, 6, 29), [deadline(accountable)], [], [], [], ReminderPolicy(),
        escalate_to=escalate_to,
    )  # fmt: skip


def test_an_accountable_officer_is_escalated_to_as_before() -> None:
    olu = Person("Olu Officer", "officer@council.example")
    due = escalations(olu, [Person("Ada Admin", ADMIN)])
    assert [(r.recipient.email, r.rule, r.fallback) for r in due.reminders] == [
        (LEAD, Rule.OVERDUE, False),
        ("officer@council.example", Rule.ESCALATION, False),
    ]


def test_with_no_accountable_officer_the_owners_and_admins_hear_of_it() -> None:
    owner = Person("Oona Owner", "owner@council.example")
    due = escalations(None, [owner, Person("Ada Admin", ADMIN), LEE, owner])
    # Each once; a lead is not told twice.
    assert [(r.recipient.email, r.rule, r.fallback) for r in due.reminders] == [
        (LEAD, Rule.OVERDUE, False),
        ("owner@council.example", Rule.ESCALATION, True),
        (ADMIN, Rule.ESCALATION, True),
    ]
    assert due.unaddressed == []


def test_with_nobody_to_escalate_to_it_is_unaddressed() -> None:
    due = escalations(None, [])
    assert [r.rule for r in due.reminders] == [Rule.OVERDUE]
    [nobody] = due.unaddressed
    assert (nobody.role, nobody.rule, nobody.subject.ref) == ("accountable", Rule.ESCALATION, "1.2")
    assert "no accountable officer" in nobody.why


def test_plan_owners_are_read_from_the_plan_view_when_it_has_them() -> None:
    assert _owners({"slug": "p"}) == ()
    assert _owners(
        {"owners": ["Owner@Council.example", {"name": "Ann", "email": "ann@x.example"}]}
    ) == (
        Person("Owner@Council.example", "owner@council.example"),
        Person("Ann", "ann@x.example"),
    )


def prepared(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'at.db'}"
    clock = FixedClock(datetime(2009, 6, 1, 9, tzinfo=UTC))
    with using_clock(clock):
        rt = open_runtime(url, tmp_path)
        clock.set(at(date(2009, 6, 1)))
        setup_plan(rt, simple_action("1.2", date(2009, 6, 15), accountable=None))
        rt.close()
    return url


def test_the_preview_lists_the_escalation_and_the_admin_gets_it(
    tmp_path: Path, server: MailServer
) -> None:
    cli = Cli(tmp_path, prepared(tmp_path), server.url)
    preview = cli.json("reminders", "preview", "--on", DAY)
    [admin] = [d for d in preview["digests"] if d["recipient"] == ADMIN]
    [item] = admin["items"]
    assert (item["rule"], item["ref"]) == ("escalation", "1.2")
    assert "names no accountable officer" in item["why"]
    table = cli.ok("reminders", "preview", "--on", DAY)
    # The "why" wraps in the table: "... the action names no / accountable officer ...".
    assert "Ada Admin" in table and "as the plan's owner or an admin" in table

    sent = cli.json("reminders", "send", "--on", DAY)
    assert sent["failed"] == 0
    [message] = server.inbox.to(ADMIN)
    body = message.get_body(("plain",))
    assert body is not None and "names no accountable officer" in body.get_content()
