"""The RAG a reminder shows is the one `show` shows for the action on the day: the
plan's RAG policy applied to the lead's rating and the computed one, with the lead's
own beside it when the two differ."""

from __future__ import annotations

from datetime import date

from domain.clock import FixedClock
from domain.values import Person, Rag, RagPolicy
from engine.reminders.dispatcher import Dispatcher
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, LEAD, LEAD2
from tests.test_reminders_support import (
    SLUG,
    MailServer,
    at,
    bodies,
    setup_plan,
    simple_action,
)

DAY = date(2009, 6, 29)  # a Monday: the week's overdue day


def prepared(rt: Runtime, clock: FixedClock) -> None:
    """1.1 due on the day, rated Green by its lead (computed Amber: its finish is today);
    1.2 two weeks overdue, rated Amber (computed Red); 1.3 due in three working days,
    rated Amber (computed Amber too); 1.4 due on the day and never rated (Liz's)."""
    clock.set(at(date(2009, 6, 1)))
    setup_plan(
        rt,
        simple_action("1.1", DAY),
        simple_action("1.2", date(2009, 6, 15)),
        simple_action("1.3", date(2009, 7, 2)),
        simple_action("1.4", DAY, leads=[Person("Liz Lead", LEAD2)]),
    )
    for ref, rag in (("1.1", Rag.GREEN), ("1.2", Rag.AMBER), ("1.3", Rag.AMBER)):
        rt.app.assess_rag(LEAD, SLUG, ref, rag, reason="as the lead sees it")


def shown_by_show(rt: Runtime) -> dict[str, str]:
    doc = queries.document(rt.engine, queries.plan(rt.engine, SLUG), DAY)
    return {a["ref"]: a["rag"] for a in doc["actions"]}


def rag_lines(text: str) -> dict[str, str]:
    """ref -> the RAG line of each item in a text body."""
    found: dict[str, str] = {}
    ref = None
    for line in text.splitlines():
        if line.startswith("* "):
            ref = line[2:].split()[0]
        elif line.strip().startswith("RAG:") and ref is not None:
            found[ref] = line.split(":", 1)[1].strip()
    return found


def test_the_email_shows_the_rag_show_shows_with_the_reported_one_beside_it(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    prepared(rt, clock)
    clock.set(at(DAY))
    Dispatcher(rt, server.transport()).run(DAY)

    assert shown_by_show(rt) == {"1.1": "amber", "1.2": "red", "1.3": "amber", "1.4": "amber"}
    (lee,) = server.inbox.to(LEAD)
    text, html = bodies(lee)
    assert rag_lines(text) == {
        "1.2": "Red (reported Amber)",
        "1.1": "Amber (reported Green)",
        "1.3": "Amber",
    }
    assert html.count('class="rag rag-amber"') == 2 and html.count('class="rag rag-red"') == 1
    assert '<span class="rag-reported">(reported Green)</span>' in html
    assert '<span class="rag-reported">(reported Amber)</span>' in html
    (liz,) = server.inbox.to(LEAD2)
    assert rag_lines(bodies(liz)[0]) == {"1.4": "Amber"}  # not rated: the computed one


def test_a_plan_that_shows_the_reported_rag_shows_it_in_the_email_too(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    prepared(rt, clock)
    plan = rt.app.plan(SLUG)
    plan.change_policies(ADMIN, rag=RagPolicy(display="reported"), reason="board's choice")
    rt.app.record(plan)
    clock.set(at(DAY))
    Dispatcher(rt, server.transport()).run(DAY)

    assert shown_by_show(rt) == {"1.1": "green", "1.2": "amber", "1.3": "amber", "1.4": "amber"}
    (lee,) = server.inbox.to(LEAD)
    assert rag_lines(bodies(lee)[0]) == {"1.2": "Amber", "1.1": "Green", "1.3": "Amber"}


def test_a_queued_digest_keeps_the_rag_shown_when_it_was_queued(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    prepared(rt, clock)
    clock.set(at(DAY))
    dispatcher = Dispatcher(rt, server.transport())
    dispatcher.queue(DAY)
    # Re-rated after queueing: the email says what the Queued event recorded.
    rt.app.assess_rag(LEAD, SLUG, "1.1", Rag.RED, reason="worse than we thought")
    dispatcher.send_due()
    (lee,) = server.inbox.to(LEAD)
    assert rag_lines(bodies(lee)[0])["1.1"] == "Amber (reported Green)"
