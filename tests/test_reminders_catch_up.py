"""A scheduler that was down on working days queues those days' digests when it comes
back (up to a week back), each once, as that day's digest."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest

from domain.clock import FixedClock
from domain.values import Person
from engine.reminders.dispatcher import Dispatcher
from engine.reminders.scheduler import (
    CATCH_UP_DAYS,
    SchedulerConfig,
    start_scheduler,
)
from engine.runtime import Runtime
from tests.conftest import LEAD, LEAD2
from tests.test_reminders_scheduler import jobs_for, wait_for
from tests.test_reminders_support import (
    MailServer,
    at,
    bodies,
    setup_plan,
    simple_action,
)

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

MON, TUE, WED, THU = date(2009, 6, 29), date(2009, 6, 30), date(2009, 7, 1), date(2009, 7, 2)
LIZ = Person("Liz Lead", LEAD2)


def subjects_to(server: MailServer, address: str) -> list[str]:
    """The subjects of the digests ``address`` got, by their day (a batch goes over
    several connections at once, so they may arrive in any order)."""
    return sorted((str(m["Subject"]) for m in server.inbox.to(address)), key=day_of)


def day_of(subject: str) -> date:
    return datetime.strptime(subject.split(" for ", 1)[1].split(":")[0], "%d %b %Y").date()


def run_scheduler_at(rt: Runtime, server: MailServer, now: datetime, expected: int) -> None:
    """Start the scheduler on a clock standing at ``now``, let its first sweep run until
    the server holds ``expected`` messages, and stop it."""
    handle = start_scheduler(
        rt, SchedulerConfig(digest_hour=8, sweep_minutes=60), transport=server.transport(),
        clock=FixedClock(now),
    )  # fmt: skip
    try:
        assert wait_for(lambda: len(server.inbox.received) >= expected), server.inbox.recipients()
        time.sleep(1.0)  # anything sent twice would have arrived by now
    finally:
        handle.stop()


def test_days_missed_while_the_scheduler_was_down_are_sent_once_when_it_is_back(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(
        rt,
        simple_action("1.1", MON),
        simple_action("1.2", TUE, leads=[LIZ]),
        simple_action("1.3", WED),
        simple_action("1.4", THU, leads=[LIZ]),
    )
    clock.set(at(MON, hour=9))
    run_scheduler_at(rt, server, at(MON, hour=9), expected=2)  # Lee: 1.1 today; Liz: 1.4
    # Down all Tuesday and Wednesday; back on Thursday morning.
    clock.set(at(THU, hour=9))
    run_scheduler_at(rt, server, at(THU, hour=9), expected=5)

    assert subjects_to(server, LEAD2) == [
        "Improvement plan reminders for 29 Jun 2009: 1 due soon",
        "Improvement plan reminders for 30 Jun 2009: 1 due soon",  # the missed Tuesday
        "Improvement plan reminders for 2 Jul 2009: 1 due soon",
    ]
    assert subjects_to(server, LEAD) == [
        "Improvement plan reminders for 29 Jun 2009: 1 due soon",
        "Improvement plan reminders for 1 Jul 2009: 1 due soon",  # the missed Wednesday
    ]
    liz = {day_of(str(m["Subject"])): m for m in server.inbox.to(LEAD2)}
    text, html = bodies(liz[TUE])
    assert "* 1.2 Action 1.2" in text and "Due today" in text
    assert "sent late, on 2 Jul 2009" in text and "sent late, on 2 Jul 2009" in html
    assert "sent late" not in bodies(liz[THU])[0]

    # Another restart the same day sends nothing more.
    before = len(server.inbox.received)
    run_scheduler_at(rt, server, at(THU, hour=10), expected=before)
    assert len(server.inbox.received) == before


def plan_with_actions_due(rt: Runtime, clock: FixedClock, *due: date) -> None:
    """The plan set up on 1 June 2009 with actions 1.1, 1.2 and on due on those days."""
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, *(simple_action(f"1.{n}", d) for n, d in enumerate(due, 1)))


def sweep_at_nine(rt: Runtime, clock: FixedClock, server: MailServer, day: date) -> None:
    """The scheduler's sweep at 9:00 on that day, the clock set to then."""
    clock.set(at(day, hour=9))
    jobs_for(rt, server, at(day, hour=9)).sweep()


def days_sent(server: MailServer, address: str) -> list[str]:
    return [s.split(" for ", 1)[1].split(":")[0] for s in subjects_to(server, address)]


def test_catching_up_goes_back_a_week_at_most(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    # An action due every day from 15 Jun to 25 Jun, each reminded on its day.
    plan_with_actions_due(rt, clock, *(date(2009, 6, d) for d in range(15, 26)))
    sweep_at_nine(rt, clock, server, date(2009, 6, 15))
    # Down from Tuesday 16th; back on Thursday 25th, nine days later.
    sweep_at_nine(rt, clock, server, date(2009, 6, 25))

    assert CATCH_UP_DAYS == 7
    assert days_sent(server, LEAD) == [
        "15 Jun 2009",
        # 16 and 17 Jun are more than a week back: left to `reminders send --on`.
        "18 Jun 2009",
        "19 Jun 2009",
        "22 Jun 2009",
        "23 Jun 2009",
        "24 Jun 2009",
        "25 Jun 2009",
    ]


def test_a_first_run_does_not_send_the_week_before_it(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    plan_with_actions_due(rt, clock, TUE, THU)
    sweep_at_nine(rt, clock, server, THU)
    assert days_sent(server, LEAD) == ["2 Jul 2009"]


def test_a_day_queued_by_hand_is_not_queued_again(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    plan_with_actions_due(rt, clock, TUE, WED)
    sweep_at_nine(rt, clock, server, MON)
    # Tuesday's digests were sent by hand (`reminders send --on`) while the scheduler
    # was down; Wednesday's were not.
    clock.set(at(WED, hour=18))
    Dispatcher(rt, server.transport()).run(TUE)
    sweep_at_nine(rt, clock, server, THU)
    assert days_sent(server, LEAD) == ["30 Jun 2009", "1 Jul 2009"]
