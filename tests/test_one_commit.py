"""A command commits once: its events, their hash chain and the read models they change
are written in one transaction of the database that keeps them all."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.values import Criterion, Status
from engine.runtime import Runtime
from projections import queries
from projections.schema import deadlines
from tests.conftest import ADMIN, LEAD, action_spec, open_runtime, people

pytestmark = pytest.mark.persistence


def planned(rt: Runtime) -> None:
    people(rt)
    rt.app.create_plan(ADMIN, "plan", "Plan", agencies=["Council"])
    rt.app.add_group(ADMIN, "plan", "1", "Area")
    criteria = [
        Criterion("Audit done", date(2009, 5, 31)),
        Criterion("Policy agreed", date(2009, 7, 31)),
        Criterion("Staff trained", date(2009, 8, 31)),
    ]
    rt.app.add_action(ADMIN, "plan", action_spec("1.1", success_criteria=criteria))


def status_of(rt: Runtime) -> str:
    return str(queries.action(rt.engine, queries.plan(rt.engine, "plan"), "1.1")["status"])


def a_change_whose_views_fail(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A status change while writing the views fails, which it raises."""
    views = next(p for p in rt.runner.projections if p.name == "views")

    def fails(conn: Any, batch: Any) -> None:
        raise RuntimeError("the views cannot be written")

    monkeypatch.setattr(views, "apply_batch", fails)
    with pytest.raises(RuntimeError, match="views cannot be written"):
        rt.app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)


def test_a_change_whose_read_models_cannot_be_written_is_not_recorded(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned(rt)
    head = rt.app.recorder.max_notification_id()
    a_change_whose_views_fail(rt, monkeypatch)
    # Neither the event nor its link nor any read model: the store is as it was.
    assert rt.app.recorder.max_notification_id() == head
    assert rt.app.recorder.chain_head().position == head
    assert status_of(rt) == "not_started"
    assert rt.app.action("plan", "1.1").status is Status.NOT_STARTED

    monkeypatch.undo()
    rt.app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)
    assert status_of(rt) == "in_progress"
    # PostgreSQL's sequence does not give back the id of a rolled-back insert.
    assert rt.app.recorder.max_notification_id() > head
    assert all(s.lag == 0 for s in rt.runner.status())


def deadline_rows(rt: Runtime) -> list[tuple[Any, ...]]:
    with rt.engine.connect() as conn:
        return sorted(conn.execute(select(deadlines)).all())


def test_deadlines_follow_each_change_as_a_rebuild_gives_them(rt: Runtime) -> None:
    planned(rt)
    steps = [
        lambda: rt.app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS),
        lambda: rt.app.achieve_milestone(LEAD, "plan", "1.1", 2, date(2009, 5, 30)),
        lambda: rt.app.amend_action(
            LEAD, "plan", "1.1", "plan_finish", date(2009, 10, 31), "moved by the board"
        ),
        lambda: rt.app.achieve_milestone(LEAD, "plan", "1.1", 1, date(2009, 5, 31)),
        lambda: rt.app.change_status(LEAD, "plan", "1.1", Status.COMPLETED),
    ]
    seen = []
    for step in steps:
        step()
        incremental = deadline_rows(rt)
        rt.runner.rebuild(["views"])
        assert deadline_rows(rt) == incremental
        seen.append([(row.number, row.status) for row in incremental])
    assert seen == [
        [(0, "in_progress"), (1, "in_progress"), (2, "in_progress"), (3, "in_progress")],
        [(0, "in_progress"), (1, "in_progress"), (3, "in_progress")],
        [(0, "in_progress"), (1, "in_progress"), (3, "in_progress")],
        [(0, "in_progress"), (3, "in_progress")],
        [(0, "completed"), (3, "completed")],
    ]


def test_a_second_process_writing_in_between_is_caught_up(
    db_url: str, tmp_path: Path, clock: Any
) -> None:
    first = open_runtime(db_url, tmp_path)
    second = open_runtime(db_url, tmp_path)
    try:
        planned(first)
        first.app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)
        second.app.change_status(LEAD, "plan", "1.1", Status.DEFERRED, reason="waiting")
        # The first process's runner last wrote before the second's change: its next
        # command records in order and applies both.
        first.app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)
        assert status_of(first) == "in_progress"
        head = first.app.recorder.max_notification_id()
        assert {s.position for s in first.runner.status()} == {head}
        history = queries.history_rows(first.engine, queries.plan(first.engine, "plan"))
        assert [r["kind"] for r in history][-3:] == ["Action.StatusChanged"] * 3
    finally:
        first.close()
        second.close()


def test_a_command_that_fails_half_way_leaves_the_cached_aggregate_as_stored(
    rt: Runtime,
) -> None:
    planned(rt)
    # What a command gets is a copy of the cached aggregate: changing its lists, dicts
    # and values in place, then failing, leaves the next command's copy as stored.
    action = rt.app.action("plan", "1.1")
    action.notes.append("never recorded")
    action.success_criteria.clear()
    action.achieved[1] = date(2009, 5, 1)
    again = rt.app.action("plan", "1.1")
    assert again.notes == []
    assert [c.text for c in again.success_criteria] == [
        "Audit done",
        "Policy agreed",
        "Staff trained",
    ]
    assert again.achieved == {}
    assert again.leads == action.leads and again.leads is not action.leads


def test_commits_wait_for_the_disk_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    # Events commit through the read models' connections: a commit that returned must
    # survive a power cut, as it would through the event store's own connections.
    rt = open_runtime(sqlite_url, tmp_path)
    try:
        with rt.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        rt.close()


def test_tracking_records_move_all_together_or_not_at_all(rt: Runtime) -> None:
    from eventsourcing.persistence import Tracking

    from projections.tracking import TrackingMoved

    planned(rt)
    tracking = rt.runner.tracking
    head = rt.app.recorder.max_notification_id()
    with rt.engine.begin() as conn:
        tracking.move(conn, ["history"], head, Tracking(rt.app.name, head + 5))
    # The views are still at the head, the history is not: moving both from the head
    # moves neither, even in a transaction that goes on to commit (a command's own, whose
    # events commit whether or not its read models could be written in it).
    with rt.engine.begin() as conn, pytest.raises(TrackingMoved):
        tracking.move(conn, ["views", "history"], head, Tracking(rt.app.name, head + 9))
    positions = tracking.positions()
    assert (positions["views"], positions["history"]) == (head, head + 5)


def test_the_first_command_of_a_process_commits_once_too(
    db_url: str, tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned_earlier = open_runtime(db_url, tmp_path)
    planned(planned_earlier)
    planned_earlier.close()
    rt = open_runtime(db_url, tmp_path)
    try:
        head = rt.app.recorder.max_notification_id()
        a_change_whose_views_fail(rt, monkeypatch)
        assert rt.app.recorder.max_notification_id() == head
    finally:
        rt.close()
