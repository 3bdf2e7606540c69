"""The projection runner: exactly once, resumable after a kill, rebuildable from zero."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from sqlalchemy import select

from domain.values import Person, Rag
from engine.runtime import Runtime
from projections.schema import deadlines, history, subjects, tracking, views
from tests.conftest import ADMIN, LEAD, action_spec, open_runtime, people

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


def fill(rt: Runtime, actions: int = 40, rounds: int = 50) -> None:
    """A plan whose actions each have many RAG assessments, saved in large batches."""
    people(rt)
    rt.app.create_plan(ADMIN, "big", "Big plan", agencies=["Council"])
    rt.app.add_group(ADMIN, "big", "1", "Area")
    for i in range(actions):
        rt.app.add_action(ADMIN, "big", action_spec(f"1.{i}", leads=[Person("Lee", LEAD)]))
    loaded = [rt.app.action("big", f"1.{i}") for i in range(actions)]
    rags = [Rag.GREEN, Rag.AMBER, Rag.RED]
    for r in range(rounds):
        for a in loaded:
            rag = rags[(r + len(a.ref)) % 3]
            a.assess_rag(rag, actor=LEAD, reason=None if rag is Rag.GREEN else f"round {r}")
        if r % 10 == 9:
            rt.app.record(*loaded)
    rt.app.amend_action(LEAD, "big", "1.1", "plan_finish", date(2010, 1, 31), "moved")


def snapshot(rt: Runtime) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    with rt.engine.connect() as conn:
        return {
            "views": sorted(conn.execute(select(views)).all()),
            "history": sorted(conn.execute(select(history)).all()),
            "subjects": sorted(conn.execute(select(subjects)).all()),
            "deadlines": sorted(conn.execute(select(deadlines)).all()),
        }


def test_incremental_updates_and_a_rebuild_agree(db_url: str, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    rt = open_runtime(db_url, tmp_path)
    try:
        fill(rt, actions=10, rounds=10)  # caught up after every save
        incremental = snapshot(rt)
        count = rt.runner.rebuild()
        assert count == rt.app.recorder.max_notification_id()
        assert snapshot(rt) == incremental
        assert all(s.lag == 0 for s in rt.runner.status())
    finally:
        rt.close()


def test_one_projection_rebuilds_alone(sqlite_url: str, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    rt = open_runtime(sqlite_url, tmp_path)
    fill(rt, actions=5, rounds=5)
    before = snapshot(rt)
    rt.runner.rebuild(["history"])
    assert snapshot(rt) == before
    rt.close()


def test_concurrent_runners_apply_each_event_once(db_url: str, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    writer = Runtime.open(open_runtime(db_url, tmp_path).settings, read_your_writes=False)
    fill(writer, actions=20, rounds=20)
    runners = [Runtime.open(writer.settings, read_your_writes=False) for _ in range(3)]
    for r in runners:
        r.runner.page_size = 37
    errors: list[BaseException] = []

    def run(r: Runtime) -> None:
        try:
            r.runner.catch_up()
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    concurrent = snapshot(writer)
    writer.runner.rebuild()
    assert snapshot(writer) == concurrent
    for r in [writer, *runners]:
        r.close()


RUNNER = textwrap.dedent(
    """
    import sys
    from config.settings import Settings
    from engine.runtime import Runtime
    settings = Settings(database_url=sys.argv[1], files_dir=sys.argv[2])
    rt = Runtime.open(settings, read_your_writes=False)
    rt.runner.page_size = 25
    rt.runner.catch_up()
    print("done")
    """
)


def test_a_runner_killed_at_random_points_resumes_to_the_same_state(
    db_url: str,
    tmp_path: Path,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    rt = Runtime.open(open_runtime(db_url, tmp_path).settings, read_your_writes=False)
    fill(rt, actions=40, rounds=60)  # some 2,500 events, none projected yet
    total = rt.app.recorder.max_notification_id()
    assert total > 2000
    rng = random.Random(7)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    args = [sys.executable, "-c", RUNNER, rt.settings.database_url, str(tmp_path / "files")]
    kills = 0
    stopped_at: list[int] = []
    for _ in range(8):
        before = min(s.position for s in rt.runner.status())
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Once the runner has committed a page, kill it a moment later: mid-page, or
        # between two pages' commits.
        while proc.poll() is None and min(s.position for s in rt.runner.status()) == before:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        stopped_at.append(min(s.position for s in rt.runner.status()))
    assert kills > 0
    # At least one kill landed part-way through the log, not before or after the work.
    assert any(0 < at < total for at in stopped_at), stopped_at
    finish = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert finish.stdout.strip() == "done", finish.stderr
    with rt.engine.connect() as conn:
        assert set(conn.execute(select(tracking.c.notification_id)).scalars()) == {total}
    resumed = snapshot(rt)
    rt.runner.rebuild()
    assert snapshot(rt) == resumed
    assert json.loads(next(r for r in resumed["views"] if r[0] == "plan")[3])["slug"] == "big"
    rt.close()


def test_the_read_models_are_a_tracking_recorder_of_the_library(
    db_url: str,
    tmp_path: Path,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    rt = open_runtime(db_url, tmp_path)
    try:
        fill(rt, actions=2, rounds=2)
        head = rt.runner.head()
        view = rt.runner.tracking
        assert isinstance(view, TrackingRecorder)
        assert view.max_tracking_id(rt.app.name) == head
        assert view.has_tracking_id(rt.app.name, head)
        assert not view.has_tracking_id(rt.app.name, head + 1)
        with pytest.raises(TimeoutError):
            view.wait(rt.app.name, head + 1, timeout=0.1)
        with pytest.raises(IntegrityError):  # tracking records never move back
            view.insert_tracking(Tracking(rt.app.name, head - 1))
        # A projection that has applied nothing holds every reader back.
        with rt.engine.begin() as conn:
            view.reset(conn, ["outbox"])
        assert view.max_tracking_id(rt.app.name) is None
        view.insert_tracking(Tracking(rt.app.name, head))
        assert set(rt.runner.positions().values()) == {head}
    finally:
        rt.close()
