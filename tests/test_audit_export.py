"""Export and restore: a plan's events, exactly as stored, into an empty store that then
shows the same history, the same read models and the same verification result."""

from __future__ import annotations

import io
import json
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest

from domain.clock import FixedClock
from domain.errors import DomainError, InvalidInput
from domain.ids import plan_id
from domain.users import user_id
from engine.audit.as_of import document_as_of
from engine.audit.checkpoint import check_checkpoint, take_checkpoint
from engine.audit.export import export_plan
from engine.audit.restore import restore_plan
from engine.audit.verify import verify_store
from engine.demo import load_demo
from engine.runtime import Runtime
from projections import queries
from tests.conftest import (
    ADMIN,
    AUDITOR,
    LEAD,
    NHS,
    PG_DSN,
    SECRETARY,
    World,
    action_spec,
    open_runtime,
    require_postgres,
)
from tests.test_audit_tools import Cli

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


@pytest.fixture
def target(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    """An empty store of the other kind: SQLite to PostgreSQL and back."""
    if db_url.startswith("sqlite"):
        require_postgres()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        runtime = open_runtime(f"{PG_DSN}?schema={schema}", tmp_path / "target")
        yield runtime
        runtime.close()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        return
    runtime = open_runtime(f"sqlite:///{tmp_path / 'target.db'}", tmp_path / "target")
    yield runtime
    runtime.close()


def exported(rt: Runtime, slug: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{slug}.jsonl"
    with path.open("w", encoding="ascii", newline="\n") as f:
        export_plan(rt, slug, f)
    return path


def history(rt: Runtime, slug: str) -> list[dict[str, Any]]:
    rows = queries.history_rows(rt.engine, queries.plan(rt.engine, slug))
    return [{k: v for k, v in r.items() if k != "seq"} for r in rows]


def shown(rt: Runtime, slug: str) -> dict[str, Any]:
    plan = queries.plan(rt.engine, slug)
    return {
        "document": queries.document(rt.engine, plan, date(2009, 8, 31)),
        "periods": queries.periods(rt.engine, plan),
        "actions": queries.actions(rt.engine, plan),
    }


def test_a_restored_plan_is_the_plan_exported(rt: Runtime, target: Runtime, tmp_path: Path) -> None:
    slug = load_demo(rt).slug
    checkpoint, _ = take_checkpoint(rt.app, slug)
    path = exported(rt, slug, tmp_path)
    summary = restore_plan(target, path)
    assert summary.plan_events == checkpoint.events
    target.runner.catch_up()
    assert history(target, slug) == history(rt, slug)
    assert shown(target, slug) == shown(rt, slug)
    people = {u["email"] for u in queries.users(target.engine)}
    assert {u for u in people} <= {u["email"] for u in queries.users(rt.engine)}
    assert "plan.admin@leeds.example" in people and "approver@ltht.example" in people
    source, restored = verify_store(rt.app, plan_id(slug)), verify_store(target.app, plan_id(slug))
    assert source.intact and restored.intact
    assert restored.plan is not None and source.plan is not None
    assert (restored.plan.events, restored.plan.head) == (source.plan.events, source.plan.head)
    assert check_checkpoint(target.app, checkpoint).holds
    moment = datetime(2009, 3, 31, 17, tzinfo=UTC)
    assert (
        document_as_of(target, slug, moment)["actions"]
        == (document_as_of(rt, slug, moment)["actions"])
    )


def test_the_restored_plan_carries_on(world: World, target: Runtime, tmp_path: Path) -> None:
    """The users came across with the plan, so its leads can go on updating it."""
    restore_plan(target, exported(world.rt, "plan", tmp_path))
    target.app.report_progress(LEAD, "plan", "1.1", "2009-06", "Carrying on.")
    target.runner.catch_up()
    assert queries.actions(target.engine, queries.plan(target.engine, "plan"))[0]["progress"] == (
        "Carrying on."
    )
    assert verify_store(target.app).intact


def exported_users(path: Path) -> set[str]:
    lines = [json.loads(t) for t in path.read_text().splitlines()[1:-1]]
    return {r["originator_id"] for r in lines if r["of"] == "user"}


def test_a_restored_demo_can_complete_its_sign_off(
    rt: Runtime, target: Runtime, tmp_path: Path, clock: FixedClock
) -> None:
    """NHS Leeds never decided on the procedures, so its approver has no event in the
    plan; she comes across all the same, and the sign-off can be completed."""
    slug = load_demo(rt).slug
    restore_plan(target, exported(rt, slug, tmp_path))
    key = "safeguarding-procedures"
    clock.set(datetime(2009, 9, 10, 10, tzinfo=UTC))
    app = target.app
    app.decide_item(
        "approver@nhsleeds.example", slug, key, "NHS Leeds", True, "PEC", date(2009, 9, 8)
    )
    app.decide_item(
        "approver@ltht.example",
        slug,
        key,
        "Leeds Teaching Hospitals NHS Trust",
        True,
        "Trust Board",
        date(2009, 9, 9),
    )
    app.sign_off(
        "board.secretary@leeds.example",
        slug,
        key,
        "Leeds Safeguarding Adults Partnership Board",
        date(2009, 9, 10),
    )
    target.runner.catch_up()
    (item,) = queries.items(target.engine, queries.plan(target.engine, slug))
    assert item["signed_off"] is not None
    assert "auditor@leeds.example" in {u["email"] for u in queries.users(target.engine)}


def test_the_export_carries_the_plans_people_and_not_other_plans(
    world: World, tmp_path: Path
) -> None:
    """The demo plan in a store with another plan: the other plan's approver (NHS Trust,
    an agency the demo does not have) stays behind; admins, the board secretary and the
    auditor, who act on every plan, come across."""
    load_demo(world.rt, actor=ADMIN)
    users = exported_users(exported(world.rt, "leeds-iwc", tmp_path))
    assert str(user_id(NHS)) not in users
    assert str(user_id(LEAD)) not in users
    for email in (ADMIN, SECRETARY, AUDITOR, "approver@nhsleeds.example"):
        assert str(user_id(email)) in users, email
    # The plan's own export keeps its people and leaves the demo's NHS approver out.
    users = exported_users(exported(world.rt, "plan", tmp_path))
    assert {str(user_id(e)) for e in (NHS, LEAD, SECRETARY)} <= users
    assert str(user_id("approver@nhsleeds.example")) not in users


def test_restore_needs_an_empty_store(world: World, tmp_path: Path) -> None:
    path = exported(world.rt, "plan", tmp_path)
    with pytest.raises(DomainError, match="plan 'plan' already exists in this store"):
        restore_plan(world.rt, path)
    lines = path.read_text().splitlines(keepends=True)
    header = json.loads(lines[0])
    header["plan"] = "other"
    other = tmp_path / "other.jsonl"
    other.write_text("".join([json.dumps(header) + "\n", *lines[1:]]))
    with pytest.raises(DomainError, match="already holds events"):
        restore_plan(world.rt, _resealed(other))


def _resealed(path: Path) -> Path:
    """The file with its trailer recomputed, as after an edit by someone who knows how."""
    import hashlib

    lines = path.read_text().splitlines(keepends=True)
    trailer = json.loads(lines[-1])
    trailer["file_sha256"] = hashlib.sha256("".join(lines[:-1]).encode()).hexdigest()
    path.write_text("".join([*lines[:-1], json.dumps(trailer) + "\n"]))
    return path


def test_a_damaged_export_is_refused_before_anything_is_restored(
    world: World, target: Runtime, tmp_path: Path
) -> None:
    path = exported(world.rt, "plan", tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    damaged = tmp_path / "damaged.jsonl"
    record = json.loads(lines[5])
    record["state"] = record["state"][:-8] + "AAAAAAA="
    damaged.write_text("".join([*lines[:5], json.dumps(record) + "\n", *lines[6:]]))
    with pytest.raises(InvalidInput, match="changed or damaged"):
        restore_plan(target, damaged)
    truncated = tmp_path / "truncated.jsonl"
    truncated.write_text("".join(lines[:-3]))
    with pytest.raises(InvalidInput, match="incomplete"):
        restore_plan(target, truncated)
    assert not target.app.recorder.max_notification_id()


def _peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _progress(w: World, slug: str, updates: int) -> None:
    app = w.rt.app
    if slug != "plan":
        app.create_plan(ADMIN, slug, "Another plan")
        app.add_group(ADMIN, slug, "1", "Recommendation 1")
        app.add_action(ADMIN, slug, action_spec("1.1"))
    action = app.action(slug, "1.1")
    for i in range(updates):
        action.report_progress("2009-06", f"Update {i}: " + "progress " * 40, actor=LEAD)
    app.record(action)


def test_export_and_restore_stream_a_page_at_a_time(world: World, tmp_path: Path) -> None:
    """Memory stays the same when the plan is three times the size."""
    _progress(world, "plan", 1200)
    _progress(world, "big", 3600)
    peaks = {}
    for slug in ("plan", "big"):
        path = tmp_path / f"{slug}.jsonl"
        with path.open("w", encoding="ascii", newline="\n") as f:
            exporting = _peak(partial(export_plan, world.rt, slug, f, page=200))
        store = open_runtime(f"sqlite:///{tmp_path / slug}.db", tmp_path / slug)
        try:
            restoring = _peak(partial(restore_plan, store, path))
        finally:
            store.close()
        peaks[slug] = (path.stat().st_size, exporting, restoring)
    (small, small_export, small_restore), (big, big_export, big_restore) = peaks.values()
    assert big > 2.5 * small
    assert big_export < 1.5 * small_export, peaks
    assert big_restore < 1.5 * small_restore, peaks


def test_export_and_restore_on_the_command_line(world: World, tmp_path: Path) -> None:
    cli = Cli(tmp_path, world.rt.db.url)
    out = cli.ok("export", "plan", "-o", str(tmp_path / "plan.jsonl"))
    assert "exported plan plan" in out and "plan digest sha256:" in out
    assert json.loads(io.StringIO(cli.ok("export", "plan", "-o", "-")).readline())["plan"] == "plan"
    fresh = Cli(tmp_path, f"sqlite:///{tmp_path / 'fresh.db'}")
    assert "restored plan plan" in fresh.ok("restore", str(tmp_path / "plan.jsonl"))
    assert fresh.ok("verify", "plan").startswith("intact")
    r = fresh("restore", str(tmp_path / "plan.jsonl"))
    assert r.returncode == 1 and "already exists" in r.stderr
    r = fresh("restore", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2
    r = cli("export", "nope", "-o", str(tmp_path / "nope.jsonl"))
    assert r.returncode == 1 and "no plan 'nope'" in r.stderr
    assert not (tmp_path / "nope.jsonl").exists()
    for r in (fresh("restore", str(tmp_path / "plan.jsonl")), cli("export", "nope", "-o", "x")):
        assert "Traceback" not in r.stderr
