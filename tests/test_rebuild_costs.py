"""What makes a rebuild cost less per event must not change what it writes: ids and
moments as text, the reducer's handlers found by class, and the collector's settings."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Connection, Table

from domain.plan import Plan
from projections import reducer, views
from projections.reducer import apply_event, handles
from projections.runner import ProjectionRunner
from projections.store import MemoryViewStore
from tests.conftest import ADMIN, open_runtime, people


def test_ids_are_written_as_the_uuid_writes_itself_beyond_what_is_remembered() -> None:
    ids = [uuid4() for _ in range(views._ID_TEXTS_MAX + 10)]
    assert [views.id_text(i) for i in ids] == [str(i) for i in ids]
    assert [views.id_text(i) for i in ids[:5]] == [str(i) for i in ids[:5]]
    assert len(views._ID_TEXTS) <= views._ID_TEXTS_MAX
    assert views.id_text("not-a-uuid") == "not-a-uuid"  # type: ignore[arg-type]


def test_equal_moments_in_other_zones_are_written_each_as_itself() -> None:
    utc = datetime(2009, 6, 30, 12, 0, tzinfo=UTC)
    elsewhere = utc.astimezone(timezone(timedelta(hours=1)))
    assert utc == elsewhere
    assert views.moment_text(utc) == "2009-06-30T12:00:00+00:00"
    assert views.moment_text(elsewhere) == "2009-06-30T13:00:00+01:00"
    assert views.moment_text(utc) == "2009-06-30T12:00:00+00:00"


def test_a_handler_registered_again_is_the_one_used() -> None:
    store = MemoryViewStore()
    plan = UUID(int=1)
    at = datetime(2009, 6, 30, tzinfo=UTC)
    store.put("plan", str(plan), {"owners": [], "version": 1})
    owner = Plan.OwnerAdded(
        originator_id=plan, originator_version=2, timestamp=at, email="a@b", reason=None, actor="x"
    )
    apply_event(store, owner)  # the class's handler is now remembered
    original = reducer._apply.registry[Plan.OwnerAdded]
    seen: list[object] = []
    handles(Plan.OwnerAdded)(lambda e, s: seen.append(e))
    try:
        apply_event(store, owner)
    finally:
        handles(Plan.OwnerAdded)(original)
    assert seen == [owner]


class Failing:
    """A projection that fails on its first batch."""

    name = "failing"
    tables: tuple[Table, ...] = ()

    def apply_batch(self, conn: Connection, batch: list[tuple[int, Any]]) -> None:
        assert gc.get_threshold()[0] > 700
        raise RuntimeError("failed")

    def forget(self) -> None:
        pass


def test_a_rebuild_leaves_the_collector_as_it_found_it(sqlite_url: str, tmp_path: Path) -> None:
    rt = open_runtime(sqlite_url, tmp_path)
    try:
        people(rt)
        rt.app.create_plan(ADMIN, "p", "Plan", agencies=["Council"])
        before = gc.get_threshold()
        rt.runner.rebuild()
        assert gc.get_threshold() == before
        runner = ProjectionRunner(rt.app, rt.engine, projections=[Failing()])
        with pytest.raises(RuntimeError, match="failed"):
            runner.rebuild()
        assert gc.get_threshold() == before
    finally:
        rt.close()
