"""Commands read the aggregates this process knows to be current from the cache, and
their record proves nothing was recorded since: what another process records meanwhile
is never acted on unseen (engine.service.cached_reads)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from domain.errors import PermissionDenied
from domain.ids import action_id, plan_id
from domain.values import Status
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, LEAD, open_runtime
from tests.test_one_commit import planned, status_of

pytestmark = pytest.mark.persistence


@pytest.fixture
def two(db_url: str, tmp_path: Path, clock: Any) -> Iterator[tuple[Runtime, Runtime]]:
    """Two processes on one store; the first has planned and changed the action."""
    first = open_runtime(db_url, tmp_path)
    second = open_runtime(db_url, tmp_path)
    try:
        planned(first)
        first.app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)
        yield first, second
    finally:
        first.close()
        second.close()


def store_reads(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every read of an aggregate's events from the store, from now on."""
    reads: list[Any] = []
    store = rt.app.repository.event_store
    read = store.get

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(kwargs.get("originator_id", args[0] if args else None))
        return read(*args, **kwargs)

    monkeypatch.setattr(store, "get", counted)
    return reads


def test_changes_after_this_process_recorded_read_nothing_from_the_store(
    two: tuple[Runtime, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = two
    reads = store_reads(first, monkeypatch)
    first.app.change_status(LEAD, "plan", "1.1", Status.DEFERRED, reason="waiting")
    first.app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)
    assert reads == []
    assert status_of(first) == "in_progress"
    # What the cache holds, as the commands left it there, is what the store holds.
    key = action_id(plan_id("plan"), "1.1")
    cached = first.app.repository.cache.get(key)
    stored = first.app.repository.get(key, version=cached.version + 1000)
    assert (cached.version, cached.status) == (stored.version, stored.status)


def test_a_change_made_by_another_process_is_read_before_acting(
    two: tuple[Runtime, Runtime],
) -> None:
    first, second = two
    second.app.change_status(LEAD, "plan", "1.1", Status.DEFERRED, reason="waiting")
    # On the cached copy the action is still in progress, from which it cannot become
    # in progress: the command runs again on what is stored, and the change stands.
    first.app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)
    assert status_of(first) == "in_progress"
    history = queries.history_rows(first.engine, queries.plan(first.engine, "plan"))
    changes = [r for r in history if r["kind"] == "Action.StatusChanged"]
    assert [(r["actor"], r["reason"]) for r in changes][-2:] == [
        (LEAD, "waiting"),
        (LEAD, None),
    ]


def test_a_lead_deactivated_by_another_process_is_refused(
    two: tuple[Runtime, Runtime],
) -> None:
    first, second = two
    second.app.deactivate_user(ADMIN, LEAD, "left the council")
    head = first.app.log_head()
    with pytest.raises(PermissionDenied):
        first.app.change_status(LEAD, "plan", "1.1", Status.DEFERRED, reason="waiting")
    assert first.app.log_head() == head


def test_what_is_recorded_between_a_command_reads_and_its_record_is_not_acted_on_unseen(
    two: tuple[Runtime, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two
    save = first.app.save
    runs: list[int] = []

    def deactivated_meanwhile(*aggregates: Any, **kwargs: Any) -> Any:
        # The lead is deactivated after the command read them, before it records.
        if not runs:
            second.app.deactivate_user(ADMIN, LEAD, "left the council")
        runs.append(1)
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(first.app, "save", deactivated_meanwhile)
    with pytest.raises(PermissionDenied):
        first.app.change_status(LEAD, "plan", "1.1", Status.DEFERRED, reason="waiting")
    assert runs == [1]
    assert status_of(first) == "in_progress"
    statuses = [
        e
        for e in first.app.recorder.select_notifications(start=1, limit=1000)
        if e.topic.endswith("StatusChanged")
    ]
    assert len(statuses) == 1


def test_what_this_process_caught_up_on_is_read_from_the_store(
    db_url: str, tmp_path: Path, clock: Any
) -> None:
    first = open_runtime(db_url, tmp_path)
    # A process that leaves its events for others to apply to the read models.
    settings = Settings(database_url=db_url, files_dir=str(tmp_path / "files"))
    second = Runtime.open(settings, read_your_writes=False)
    try:
        planned(first)
        first.app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)
        second.app.deactivate_user(ADMIN, LEAD, "left the council")
        # The first process applies the deactivation to its read models (as any read
        # of them does) before the lead's next command: its cached lead is done with.
        assert first.catch_up() == 1
        head = first.app.log_head()
        with pytest.raises(PermissionDenied):
            first.app.change_status(LEAD, "plan", "1.1", Status.DEFERRED, reason="waiting")
        assert first.app.log_head() == head
    finally:
        first.close()
        second.close()


def test_what_passed_this_process_unseen_is_read_from_the_store(
    two: tuple[Runtime, Runtime],
) -> None:
    first, second = two
    second.app.deactivate_user(ADMIN, LEAD, "left the council")
    # The second process applied its own event to the read models: the first, recording
    # next, finds them moved on and starts again from there, never seeing the event.
    first.app.add_group(ADMIN, "plan", "2", "Another area")
    head = first.app.log_head()
    with pytest.raises(PermissionDenied):
        first.app.change_status(LEAD, "plan", "1.1", Status.DEFERRED, reason="waiting")
    assert first.app.log_head() == head
