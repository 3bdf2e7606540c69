"""The plan as the system knew it at a moment, and as it was on a date: replayed through
the read models' reducer, from the nearest snapshot."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.clock import FixedClock
from domain.errors import NotFound
from domain.ids import plan_id
from domain.values import Rag, Status
from engine.audit import snapshots
from engine.audit.as_of import document, document_as_of, document_effective
from engine.audit.replay import replay
from engine.audit.snapshots import SnapshotProjection
from engine.demo import load_demo
from engine.plans.closing import FROZEN_FIELDS
from engine.runtime import Runtime
from projections import queries
from projections.store import MemoryViewStore
from tests.conftest import ADMIN, LEAD, LEAD2, World, action_spec
from tests.test_audit_tools import Cli

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def current(rt: Runtime, slug: str, today: date) -> dict:  # type: ignore[type-arg]
    rt.runner.catch_up()
    return queries.document(rt.engine, queries.plan(rt.engine, slug), today)


def test_each_closed_period_agrees_with_the_plan_as_of_its_closing(rt: Runtime) -> None:
    slug = load_demo(rt).slug
    plan = queries.plan(rt.engine, slug)
    periods = queries.periods(rt.engine, plan)
    assert [p["period"] for p in periods] == [
        f"{y}-{m:02d}"
        for y, m in [(2008, m) for m in range(9, 13)] + [(2009, m) for m in range(1, 9)]
    ]
    for period in periods:
        doc = document_as_of(rt, slug, datetime.fromisoformat(period["closed_at"]))
        shown = [{k: a[k] for k in FROZEN_FIELDS} for a in doc["actions"]]
        assert shown == period["actions"], period["period"]
        assert doc["summary"] == period["summary"], period["period"]
        assert doc["closed_periods"][-1] == period["period"]


def test_the_plan_as_of_now_is_the_plan_shown_now(rt: Runtime) -> None:
    slug = load_demo(rt).slug
    moment = at("2009-08-31T18:00:00")
    doc = document_as_of(rt, slug, moment)
    del doc["replay"]
    assert doc == current(rt, slug, date(2009, 8, 31))


def test_later_events_are_not_shown(world: World, clock: FixedClock) -> None:
    app = world.rt.app
    clock.set(at("2009-06-10T09:00:00"))
    app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason="audit late")
    clock.set(at("2009-06-12T09:00:00"))
    app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
    app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)
    before = document_as_of(world.rt, "plan", at("2009-06-11T12:00:00"))
    a = before["actions"][0]
    assert (a["reported_rag"], a["reported_reason"], a["status"]) == (
        "amber",
        "audit late",
        "not_started",
    )
    assert before["replay"]["events"] == 5  # registration, group, two actions, one rating
    after = document_as_of(world.rt, "plan", at("2009-06-12T09:00:00"))
    assert (after["actions"][0]["reported_rag"], after["actions"][0]["status"]) == (
        "green",
        "in_progress",
    )


def test_rag_is_computed_for_the_moments_date_in_london(world: World) -> None:
    """Action 1.1 finishes on 30 September 2009 and is not complete: red from 1 October.
    23:30 UTC on 30 September is already 1 October in London (BST)."""
    world.rt.app.achieve_milestone(LEAD, "plan", "1.1", 1, date(2009, 5, 31))
    before = document_as_of(world.rt, "plan", at("2009-09-30T22:30:00"))
    after = document_as_of(world.rt, "plan", at("2009-09-30T23:30:00"))
    assert before["as_of"] == "2009-09-30" and after["as_of"] == "2009-10-01"
    assert before["actions"][0]["computed_rag"] != "red"
    assert before["actions"][0]["overdue"] is False
    assert after["actions"][0]["computed_rag"] == "red"
    assert after["actions"][0]["overdue"] is True


def test_before_the_plan_existed_there_is_nothing_to_show(world: World) -> None:
    with pytest.raises(NotFound, match="had not been registered"):
        document_as_of(world.rt, "plan", at("2009-05-31T12:00:00"))
    with pytest.raises(NotFound, match="no plan 'nope'"):
        document_as_of(world.rt, "nope", at("2009-06-30T12:00:00"))


def busy_history(
    w: World, clock: FixedClock, days: int, snapshot_every: int | None = None
) -> None:
    """An assessment and a progress report a day for that many days; with snapshot_every, the
    snapshot projection takes a snapshot every that many events of the plan."""
    if snapshot_every is not None:
        projection = w.rt.runner.projections[-1]
        assert isinstance(projection, SnapshotProjection)
        projection.every = snapshot_every
    app = w.rt.app
    for day in range(days):
        clock.set(datetime(2009, 6, 2, 9, tzinfo=UTC).replace(day=2 + day % 27, hour=9 + day // 27))
        rag = [Rag.GREEN, Rag.AMBER, Rag.RED][day % 3]
        reason = None if rag is Rag.GREEN else f"note {day}"
        app.assess_rag(LEAD, "plan", "1.1", rag, reason=reason)
        app.report_progress(LEAD2, "plan", "1.2", "2009-06", f"day {day}")


def test_snapshots_give_the_same_views_as_a_replay_from_the_first_event(
    world: World, clock: FixedClock
) -> None:
    busy_history(world, clock, 30, snapshot_every=7)
    pid = str(plan_id("plan"))
    with world.rt.engine.connect() as conn:
        taken = conn.execute(
            snapshots.view_snapshots.select().where(snapshots.view_snapshots.c.plan_id == pid)
        ).all()
        assert len(taken) >= 60 // 7 - 1
        last = max(r.seq for r in taken)
        for seq in range(1, last + 3):
            fast = replay(conn, world.rt.app, pid, seq)
            slow = replay(conn, world.rt.app, pid, seq, use_snapshots=False)
            assert fast.store.data == slow.store.data, seq
            assert (fast.seq, fast.events) == (slow.seq, slow.events)
        fast = replay(conn, world.rt.app, pid, last + 1)
        assert fast.from_snapshot == last and fast.replayed <= 1
        # The views as they stand, encoded from their rows as they are, are what
        # encoding the decoded views gives, byte for byte.
        encoded = snapshots.current_views(conn, pid)
        assert snapshots.encode(snapshots.decode(encoded)) == encoded
        head = world.rt.app.recorder.max_notification_id()
        assert snapshots.decode(encoded).data == replay(conn, world.rt.app, pid, head).store.data


def test_snapshots_are_rebuilt_with_the_projections(world: World, clock: FixedClock) -> None:
    busy_history(world, clock, 15, snapshot_every=10)
    pid = str(plan_id("plan"))
    with world.rt.engine.connect() as conn:
        before = snapshots.latest_seq(conn, pid)
    world.rt.runner.rebuild(["snapshots"])
    with world.rt.engine.connect() as conn:
        assert snapshots.latest_seq(conn, pid)[0] > 0
        assert snapshots.latest_seq(conn, pid)[1] >= before[1] - 10


def test_a_snapshot_made_by_other_rules_is_not_used(world: World) -> None:
    pid = str(plan_id("plan"))
    bogus = MemoryViewStore()
    bogus.put("plan", pid, {"id": pid, "slug": "not-this-one"})
    with world.rt.engine.begin() as conn:
        conn.execute(
            snapshots.view_snapshots.insert().values(
                plan_id=pid, reducer="0" * 16, seq=1, events=1, views=snapshots.encode(bogus)
            )
        )
    with world.rt.engine.connect() as conn:
        assert snapshots.latest(conn, pid) is None
        r = replay(conn, world.rt.app, pid, 10_000)
    assert document(r.store, pid, date(2009, 6, 1))["slug"] == "plan"


# On a date, as far as the record knows now


def test_an_event_counts_from_its_effective_date(world: World, clock: FixedClock) -> None:
    app = world.rt.app
    clock.set(at("2009-06-10T09:00:00"))
    app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS, effective_on=date(2009, 6, 1))
    clock.set(at("2009-06-20T09:00:00"))
    # Recorded on the 20th, but the audit finished on the 5th.
    app.change_status(LEAD, "plan", "1.1", Status.COMPLETED, effective_on=date(2009, 6, 5))
    app.assess_rag(LEAD2, "plan", "1.2", Rag.AMBER, reason="slow start")
    on_7th = document_effective(world.rt, "plan", date(2009, 6, 7))
    a11, a12 = on_7th["actions"]
    assert (a11["status"], a11["actual_finish"]) == ("completed", "2009-06-05")
    assert a12["reported_rag"] is None  # rated on the 20th, with no earlier effective date
    # What the system itself knew on the 7th: nothing of either change yet.
    known_on_7th = document_as_of(world.rt, "plan", at("2009-06-07T23:00:00"))
    assert known_on_7th["actions"][0]["status"] == "not_started"
    on_3rd = document_effective(world.rt, "plan", date(2009, 6, 3))
    assert on_3rd["actions"][0]["status"] == "in_progress"
    assert on_3rd["as_of"] == "2009-06-03"


def test_a_thing_added_later_is_absent_with_everything_about_it(
    world: World, clock: FixedClock
) -> None:
    app = world.rt.app
    clock.set(at("2009-07-01T09:00:00"))
    app.add_action(ADMIN, "plan", action_spec("1.3"))
    app.change_status(LEAD, "plan", "1.3", Status.IN_PROGRESS, effective_on=date(2009, 6, 1))
    june = document_effective(world.rt, "plan", date(2009, 6, 15))
    assert [a["ref"] for a in june["actions"]] == ["1.1", "1.2"]
    july = document_effective(world.rt, "plan", date(2009, 7, 1))
    assert [a["ref"] for a in july["actions"]] == ["1.1", "1.2", "1.3"]
    with pytest.raises(NotFound):
        document_effective(world.rt, "plan", date(2009, 5, 31))


def test_on_a_date_after_every_event_the_plan_is_the_current_one(rt: Runtime) -> None:
    slug = load_demo(rt).slug
    doc = document_effective(rt, slug, date(2009, 8, 31))
    assert doc["replay"]["unplaced"] == []
    del doc["replay"]
    assert doc == current(rt, slug, date(2009, 8, 31))


# The command line


def test_show_as_of_and_effective_on_the_command_line(world: World, tmp_path: Path) -> None:
    cli = Cli(tmp_path, world.rt.db.url)
    world.rt.app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason="audit late")
    out = cli.ok("show", "plan", "--as-of", "2009-06-01T10:00")
    assert "as the system knew it at 2009-06-01T09:00:00+00:00" in out
    assert "Closed periods" in out or "No period had been closed" in out
    doc = json.loads(cli.ok("--format", "json", "show", "plan", "--as-of", "2009-06-01"))
    assert doc["actions"][0]["reported_rag"] == "amber"
    doc = json.loads(cli.ok("--format", "json", "show", "plan", "--effective", "2009-06-01"))
    assert doc["replay"]["mode"] == "effective"


def test_show_refuses_bad_times_and_unknown_plans(world: World, tmp_path: Path) -> None:
    cli = Cli(tmp_path, world.rt.db.url)
    for args in (
        ("--as-of", "yesterday"),
        ("--effective", "2009-13-01"),
        ("--as-of", "2009-06-01", "--effective", "2009-06-01"),
    ):
        r = cli("show", "plan", *args)
        assert r.returncode == 2, args
        assert "Traceback" not in r.stderr
    r = cli("show", "nope", "--as-of", "2009-06-01")
    assert r.returncode == 1 and "no plan 'nope'" in r.stderr
    r = cli("show", "plan", "--as-of", "2001-01-01")
    assert r.returncode == 1 and "had not been registered" in r.stderr


def test_a_plan_among_busier_plans_replays_the_same(world: World, clock: FixedClock) -> None:
    """Its events are few in a long stretch of the log, so they are read aggregate by
    aggregate rather than as one range: the answer is the same."""
    app = world.rt.app
    app.create_plan(ADMIN, "busy", "A busier plan")
    app.add_group(ADMIN, "busy", "1", "One")
    app.add_action(ADMIN, "busy", action_spec("9.1"))
    for day in range(12):
        clock.set(datetime(2009, 6, 2 + day, 9, tzinfo=UTC))
        app.assess_rag(LEAD2, "plan", "1.2", Rag.AMBER, reason=f"day {day}")
        busy = app.action("busy", "9.1")
        for n in range(6):
            busy.report_progress("2009-06", f"busy {day}.{n}", actor=LEAD)
        app.record(busy)
    moment = at("2009-06-20T12:00:00")
    doc = document_as_of(world.rt, "plan", moment)
    assert doc["replay"]["replayed"] == doc["replay"]["events"] == 16
    del doc["replay"]
    assert doc == current(world.rt, "plan", date(2009, 6, 20))
