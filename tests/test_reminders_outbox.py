"""Exactly once: queueing, claiming, sending, failures and retries, recorded as events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from domain.clock import FixedClock
from domain.dispatch import Dispatch, DispatchStatus, NotClaimable, RetryPolicy, dispatch_id
from domain.errors import Conflict, DomainError
from domain.values import Person
from engine.reminders.dispatcher import DispatchConfig, Dispatcher, SendReport
from engine.reminders.outbox import Outbox
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, LEAD, LEAD2, OFFICER
from tests.test_reminders_support import (
    SLUG,
    MailServer,
    at,
    setup_plan,
    simple_action,
)
from tests.test_smtp_delivery import stopped_at_message

DAY = date(2009, 6, 30)
NOW = datetime(2009, 6, 30, 7, 0, tzinfo=UTC)


def dispatch(key: str = "k1") -> Dispatch:
    return Dispatch.queue(
        key, Person("Lee Lead", LEAD), DAY, [], [{"ref": "1.1", "rule": "lead_time"}]
    )


# --- the Dispatch aggregate ---------------------------------------------------------


def test_a_claim_holds_until_its_lease_runs_out() -> None:
    d = dispatch()
    d.claim("a", NOW, timedelta(minutes=10))
    assert d.status is DispatchStatus.SENDING
    with pytest.raises(NotClaimable):
        d.claim("b", NOW + timedelta(minutes=9), timedelta(minutes=10))
    d.claim("b", NOW + timedelta(minutes=10), timedelta(minutes=10))
    assert (d.claimed_by, d.attempts) == ("b", 2)


def test_temporary_failures_back_off_exponentially_up_to_the_cap() -> None:
    retry = RetryPolicy(first=timedelta(minutes=1), most=timedelta(minutes=5))
    d = dispatch()
    waits = []
    now = NOW
    for _ in range(5):
        d.claim("a", now, timedelta(minutes=10))
        d.record_failure("a", False, "421 try later", 421, now, retry)
        assert d.status is DispatchStatus.QUEUED
        assert d.retry_at is not None
        waits.append(d.retry_at - now)
        assert not d.claimable(d.retry_at - timedelta(seconds=1))
        now = d.retry_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 5, 5)]


def test_a_permanent_refusal_ends_the_dispatch() -> None:
    d = dispatch()
    d.claim("a", NOW, timedelta(minutes=10))
    d.record_failure("a", True, "550 no such user", 550, NOW, RetryPolicy())
    assert (d.status, d.code, d.retry_at) == (DispatchStatus.FAILED, 550, None)
    assert not d.claimable(NOW + timedelta(days=30))


def test_only_the_claims_holder_records_a_failure_and_sent_is_recorded_once() -> None:
    d = dispatch()
    d.claim("a", NOW, timedelta(minutes=10))
    with pytest.raises(NotClaimable):
        d.record_failure("b", False, "x", None, NOW, RetryPolicy())
    d.record_sent("a", "250 OK")
    assert not d.claimable(NOW + timedelta(days=1))
    with pytest.raises(DomainError):
        d.record_sent("b", "250 OK")


def test_the_dispatch_id_comes_from_the_digest_key() -> None:
    assert dispatch("k1").id == dispatch_id("k1") == dispatch("k1").id
    assert dispatch("k2").id != dispatch("k1").id


def test_queueing_the_same_digest_twice_clashes(rt: Runtime) -> None:
    rt.app.record(dispatch())
    with pytest.raises(Conflict):
        rt.app.record(dispatch())


def test_two_claims_on_the_same_version_cannot_both_be_recorded(rt: Runtime) -> None:
    rt.app.record(dispatch())
    first: Dispatch = rt.app.repository.get(dispatch_id("k1"))
    second: Dispatch = rt.app.repository.get(dispatch_id("k1"))
    first.claim("a", NOW, timedelta(minutes=10))
    second.claim("b", NOW, timedelta(minutes=10))
    rt.app.record(first)
    with pytest.raises(Conflict):
        rt.app.record(second)


# --- sending ------------------------------------------------------------------------


def leads(n: int) -> list[Person]:
    return [Person(f"Lead {i}", f"lead{i}@council.example") for i in range(n)]


def plan_with_leads(rt: Runtime, clock: FixedClock, people: list[Person]) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, *[simple_action(f"1.{i}", DAY, leads=[p]) for i, p in enumerate(people, 1)])
    clock.set(at(DAY))


def run_refusing(
    rt: Runtime, clock: FixedClock, server: MailServer, people: list[Person], which: int, reply: str
) -> tuple[str, Dispatcher, SendReport]:
    """The day's digests sent to the people, the server answering the address of
    people[which] with this reply: that address, the dispatcher and what it sent."""
    plan_with_leads(rt, clock, people)
    refused = people[which].email or ""
    server.inbox.refuse[refused] = reply
    dispatcher = Dispatcher(rt, server.transport())
    _, sent = dispatcher.run(DAY)
    return refused, dispatcher, sent


def test_sending_again_sends_nothing(rt: Runtime, clock: FixedClock, server: MailServer) -> None:
    plan_with_leads(rt, clock, leads(3))
    dispatcher = Dispatcher(rt, server.transport())
    queued, sent = dispatcher.run(DAY)
    assert (queued.queued, sent.sent) == (3, 3)

    again_queued, again_sent = Dispatcher(rt, server.transport()).run(DAY)
    assert (again_queued.queued, again_queued.already, again_sent.sent) == (0, 3, 0)
    assert len(server.inbox.received) == 3


def test_a_stopped_server_loses_nothing_and_sends_each_digest_once_when_back(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    people = leads(10)
    plan_with_leads(rt, clock, people)
    dispatcher = Dispatcher(rt, server.transport(pool_size=1))
    with stopped_at_message(4, server.inbox, server.stop):
        _, sent = dispatcher.run(DAY)

    assert (sent.sent, sent.retrying, sent.failed) == (3, 7, 0)
    counts = dispatcher.outbox.counts()
    assert (counts["sent"], counts["queued"]) == (3, 7)

    server.inbox.hang_at = None
    server.start()
    assert dispatcher.send_due().claimed == 0  # not before the backoff has passed
    clock.set(at(DAY) + timedelta(minutes=1))
    assert dispatcher.send_due().sent == 7

    assert sorted(server.inbox.recipients()) == sorted(p.email or "" for p in people)
    rows = dispatcher.outbox.rows()
    assert {r.status for r in rows} == {"sent"}
    assert sorted(r.attempts for r in rows) == [1] * 3 + [2] * 7


def test_a_server_down_all_morning_is_retried_until_it_is_back(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    plan_with_leads(rt, clock, leads(2))
    server.stop()
    dispatcher = Dispatcher(rt, server.transport(timeout=2.0))
    start = at(DAY)
    _, first = dispatcher.run(DAY)
    assert first.retrying == 2
    retry_times = []
    for _ in range(4):
        (row, _) = dispatcher.outbox.rows()
        assert row.retry_at is not None
        retry_at = datetime.fromisoformat(row.retry_at)
        retry_times.append(retry_at - start)
        clock.set(retry_at)
        assert dispatcher.send_due().retrying == 2
    assert retry_times[1:] == [timedelta(minutes=m) for m in (3, 7, 15)]  # 1, 2, 4, 8 apart

    server.start()
    clock.set(clock.at + timedelta(minutes=16))
    assert dispatcher.send_due().sent == 2
    assert len(server.inbox.received) == 2


def test_a_5xx_refusal_is_recorded_as_failed_and_not_retried(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    people = leads(3)
    refused, dispatcher, sent = run_refusing(rt, clock, server, people, 1, "550 5.1.1 No such user")

    assert (sent.sent, sent.failed, sent.retrying) == (2, 1, 0)
    (failed,) = dispatcher.outbox.rows(status="failed")
    assert failed.recipient == refused
    assert failed.code == 550 and failed.detail and "No such user" in failed.detail

    clock.set(at(DAY) + timedelta(days=2))
    assert dispatcher.send_due().claimed == 0
    assert refused not in server.inbox.recipients()


def test_a_4xx_refusal_is_retried_and_delivered_later(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    people = leads(2)
    busy, dispatcher, sent = run_refusing(rt, clock, server, people, 0, "450 4.2.1 Mailbox busy")
    assert (sent.sent, sent.retrying) == (1, 1)

    del server.inbox.refuse[busy]
    clock.set(at(DAY) + timedelta(minutes=1))
    assert dispatcher.send_due().sent == 1
    assert sorted(server.inbox.recipients()) == sorted(p.email or "" for p in people)


def test_a_claim_left_by_a_sender_that_died_is_taken_over_after_its_lease(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    plan_with_leads(rt, clock, leads(1))
    dispatcher = Dispatcher(
        rt, server.transport(), config=DispatchConfig(lease=timedelta(minutes=10))
    )
    assert dispatcher.queue(DAY).queued == 1
    dispatcher.outbox.catch_up()
    (row,) = dispatcher.outbox.rows()
    # A sender claims it and is never heard of again.
    ghost: Dispatch = rt.app.repository.get(dispatch_id(row.key))
    ghost.claim("ghost", clock.at, timedelta(minutes=10))
    rt.app.record(ghost)

    assert dispatcher.send_due().claimed == 0
    clock.set(clock.at + timedelta(minutes=10))
    assert dispatcher.send_due().sent == 1
    assert len(server.inbox.received) == 1
    (row,) = dispatcher.outbox.rows()
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_person_gets_one_digest_a_day_even_when_more_falls_due_later(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", DAY))
    clock.set(at(DAY))
    dispatcher = Dispatcher(rt, server.transport())
    dispatcher.run(DAY)
    # Later that day another action due today is given to the same lead...
    rt.app.add_action(ADMIN, SLUG, simple_action("1.2", DAY))
    queued, _ = dispatcher.run(DAY)

    # ...and it waits for the overdue notice rather than a second email that day.
    assert (queued.digests, queued.queued, queued.already) == (1, 0, 1)
    assert server.inbox.recipients() == [LEAD]


def test_a_new_lead_with_no_digest_yet_gets_todays_reminders_the_same_day(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", DAY), simple_action("1.2", DAY))
    clock.set(at(DAY))
    dispatcher = Dispatcher(rt, server.transport())
    dispatcher.run(DAY)
    rt.app.amend_action(OFFICER, SLUG, "1.2", "leads", [Person("Liz Lead", LEAD2)], reason="moved")
    clock.set(at(DAY, hour=11))
    dispatcher.run(DAY)

    assert sorted(server.inbox.recipients()) == sorted([LEAD, LEAD2])
    (mail,) = server.inbox.to(LEAD2)
    assert "1.2 Action 1.2" in str(mail.get_body(preferencelist=("plain",)))


# --- the record ---------------------------------------------------------------------


def test_every_message_sent_is_in_the_history_of_each_plan_it_concerns(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", DAY))
    rt.app.create_plan(ADMIN, "other", "Other plan", agencies=["Council"])
    rt.app.add_group(ADMIN, "other", "1", "Area")
    rt.app.add_action(ADMIN, "other", simple_action("9.1", DAY))
    clock.set(at(DAY))
    Dispatcher(rt, server.transport()).run(DAY)

    for slug in (SLUG, "other"):
        rows = queries.history_rows(rt.engine, queries.plan(rt.engine, slug))
        mine = [r for r in rows if r["kind"].startswith("Dispatch.")]
        assert [r["kind"] for r in mine] == ["Dispatch.Queued", "Dispatch.Claimed", "Dispatch.Sent"]
        assert {r["subject"] for r in mine} == {f"reminder to {LEAD}"}
        assert {r["actor"] for r in mine} == {"actiontrail"}
        queued = mine[0]["data"]
        assert queued["day"] == DAY.isoformat()
        assert sorted(i["ref"] for i in queued["items"]) == ["1.1", "9.1"]
    assert len(server.inbox.received) == 1  # one digest covering both plans


def test_the_outbox_table_is_rebuilt_from_the_events(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    people = leads(3)
    plan_with_leads(rt, clock, people)
    server.inbox.refuse[people[0].email or ""] = "550 No such user"
    dispatcher = Dispatcher(rt, server.transport())
    dispatcher.run(DAY)
    before = dispatcher.outbox.rows()

    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM reminder_outbox"))
    rt.runner.rebuild(["outbox"])
    assert Outbox(rt.runner).rows() == before


def test_a_digest_that_cannot_be_rendered_is_recorded_as_failed_not_retried(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(DAY))
    # Queued by an older release whose items this one cannot read.
    rt.app.record(dispatch("unreadable"))
    dispatcher = Dispatcher(rt, server.transport())
    report = dispatcher.send_due()

    assert (report.claimed, report.failed) == (1, 1)
    (row,) = dispatcher.outbox.rows(status="failed")
    assert row.detail is not None and row.detail.startswith("not rendered")
    clock.set(at(DAY) + timedelta(days=1))
    assert dispatcher.send_due().claimed == 0
    assert server.inbox.received == []
