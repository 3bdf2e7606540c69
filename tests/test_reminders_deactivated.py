"""A deactivated person is sent no reminders; what would have gone to them is listed as
unreachable, so that the plan's owner can give their actions to someone else."""

from __future__ import annotations

from datetime import date

from engine.reminders.gather import reminders_for_day
from tests.conftest import ADMIN, LEAD, World

DUE_DAY = date(2009, 9, 30)  # the plan finish of the world's actions


def recipients(world: World) -> tuple[set[str], set[str]]:
    world.rt.runner.catch_up()
    day = reminders_for_day(world.rt.engine, DUE_DAY)
    sent = {r.recipient.email for r in day.reminders if r.recipient.email}
    unreachable = {r.recipient.email for r in day.unreachable if r.recipient.email}
    return sent, unreachable


def test_a_deactivated_lead_is_sent_nothing_and_listed_unreachable(world: World) -> None:
    sent, unreachable = recipients(world)
    assert LEAD in sent and LEAD not in unreachable

    world.rt.app.deactivate_user(ADMIN, LEAD, "left the council")
    sent, unreachable = recipients(world)
    assert LEAD not in sent
    assert LEAD in unreachable

    world.rt.app.reactivate_user(ADMIN, LEAD)
    sent, _ = recipients(world)
    assert LEAD in sent
