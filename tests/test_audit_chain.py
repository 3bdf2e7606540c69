"""Tamper evidence: every stored event is chained to the one before it, in the same
transaction, and verification finds and locates changes made behind the engine's back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from domain.clock import FixedClock
from domain.errors import Conflict, DomainError, NotFound
from domain.ids import action_id, plan_id
from domain.values import Rag, Status
from engine.audit.checkpoint import check_checkpoint, parse_checkpoint, take_checkpoint
from engine.audit.verify import Problem, verify_store
from engine.runtime import Runtime
from engine.service.application import ActionTrail
from tests.conftest import ADMIN, LEAD, LEAD2, PG_DSN, World, action_spec, open_runtime
from tests.test_audit_tools import Cli, RawStore, raw_store  # noqa: F401  (fixture)

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


def busy(w: World) -> None:
    """Some ordinary history after the plan was set up."""
    app = w.rt.app
    app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS, effective_on=date(2009, 1, 5))
    app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason="audit running late")
    app.report_progress(LEAD, "plan", "1.1", "2009-06", "Audit half done.")
    app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)


def action_oid(ref: str) -> str:
    return str(action_id(plan_id("plan"), ref))


def first(rt: Runtime, slug: str | None = None) -> Problem:
    result = verify_store(rt.app, plan_id(slug) if slug else None)
    assert result.problems, "verification found nothing"
    return result.problems[0]


def test_an_untouched_record_is_intact(world: World) -> None:
    busy(world)
    result = verify_store(world.rt.app, plan_id("plan"))
    assert result.intact
    assert result.events == result.links == world.rt.runner.head()
    assert result.head is not None and result.head.position == result.events
    assert result.plan is not None
    # The plan's own events: registration, group, two actions and the four updates.
    assert result.plan.events == 8


def test_an_altered_event_is_found_where_it_is(world: World, raw: RawStore) -> None:
    busy(world)
    position = raw.positions(action_oid("1.1"))[2]  # the amber rating
    raw.alter(position, b'"amber"', b'"green"')
    problem = first(world.rt)
    assert (problem.what, problem.position) == ("altered", position)
    assert (problem.originator_id, problem.version) == (action_oid("1.1"), 3)
    assert "action 1.1 of plan plan" in problem.message()
    assert f"position {position}" in problem.message()


def test_a_deleted_event_is_found_where_it_was(world: World, raw: RawStore) -> None:
    busy(world)
    position = raw.positions(action_oid("1.1"))[1]
    raw.delete(position)
    problem = first(world.rt)
    assert (problem.what, problem.position, problem.version) == ("deleted", position, 2)
    assert problem.originator_id == action_oid("1.1")


def test_deleting_the_last_events_and_their_links_shows_at_the_head(
    world: World, raw: RawStore
) -> None:
    busy(world)
    last = raw.last_position()
    raw.delete(last)
    raw.delete_link(last)
    problem = first(world.rt)
    assert (problem.what, problem.position) == ("deleted", last)
    assert "the last events were removed" in problem.detail


def test_removing_the_record_of_the_head_shows(world: World, raw: RawStore) -> None:
    raw.sql(f"DELETE FROM {raw.head}")
    problem = first(world.rt)
    assert problem.what == "deleted"
    assert "head is missing" in problem.detail


def test_deleting_an_event_and_its_link_shows_as_a_gap(world: World, raw: RawStore) -> None:
    busy(world)
    position = raw.positions(action_oid("1.1"))[1]
    raw.delete(position)
    raw.delete_link(position)
    problem = first(world.rt)
    assert problem.what == "deleted"
    assert f"between positions {position - 1} and {position + 1}" in problem.detail


def test_an_event_inserted_directly_is_found(world: World, raw: RawStore) -> None:
    busy(world)
    oid = action_oid("1.2")
    _, version, topic, state = raw.row(raw.positions(action_oid("1.1"))[-1])
    forged = raw.insert(oid, 2, topic, state)
    problem = first(world.rt)
    assert (problem.what, problem.position) == ("inserted", forged)
    assert (problem.originator_id, problem.version) == (oid, 2)
    assert "no link in the chain" in problem.detail


def test_reordered_events_are_found(world: World, raw: RawStore) -> None:
    busy(world)
    a, b = raw.positions(action_oid("1.1"))[1:3]
    raw.swap(a, b)
    problem = first(world.rt)
    assert (problem.what, problem.position) == ("reordered", a)
    assert problem.version == 3
    assert f"chained at position {b}" in problem.detail


def test_the_chain_is_written_with_the_events_or_not_at_all(world: World) -> None:
    """A refused write leaves neither events nor links; the chain carries on intact."""
    app = world.rt.app
    stale = app.action("plan", "1.1")
    app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason="late")
    stale.assess_rag(Rag.RED, actor=LEAD, reason="very late")
    with pytest.raises(Conflict):
        app.record(stale)
    app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
    assert verify_store(app).intact


def test_writing_after_the_last_event_was_removed(world: World, raw: RawStore) -> None:
    """SQLite would hand the removed event's position to the next one: the engine stops
    with a clear error. PostgreSQL never reissues a position: the write goes ahead and
    verification still reports the removed event."""
    last = raw.last_position()
    raw.delete(last)
    if raw.kind == "sqlite":
        with pytest.raises(DomainError, match="is not after the hash chain.s head"):
            world.rt.app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
        return
    world.rt.app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
    problem = first(world.rt)
    assert (problem.what, problem.position) == ("deleted", last)


def test_verify_of_a_plan_ignores_problems_in_other_plans(world: World, raw: RawStore) -> None:
    app = world.rt.app
    app.create_plan(ADMIN, "other", "Another plan")
    app.add_group(ADMIN, "other", "1", "One")
    app.add_action(ADMIN, "other", action_spec("9.1"))
    busy(world)
    other_action = raw.positions(str(action_id(plan_id("other"), "9.1")))[0]
    raw.alter(other_action, b"9.1", b"9.9")
    result = verify_store(app, plan_id("plan"))
    assert result.problems_for(str(plan_id("plan"))) == []
    assert [p.position for p in result.problems_for(str(plan_id("other")))] == [other_action]
    assert not verify_store(app).intact


def test_a_checkpoint_proves_the_history_up_to_it(world: World, clock: FixedClock) -> None:
    busy(world)
    cp, _ = take_checkpoint(world.rt.app, "plan")
    assert cp.events == 8
    again = parse_checkpoint(cp.text())
    assert (again.plan, again.events, again.head) == ("plan", 8, cp.head)
    world.rt.app.assess_rag(LEAD2, "plan", "1.2", Rag.AMBER, reason="slipping")
    outcome = check_checkpoint(world.rt.app, again)
    assert outcome.holds, outcome.message
    assert "1 event(s) recorded since" in outcome.message


def test_a_checkpoint_as_at_a_position_is_the_one_taken_then(
    world: World, clock: FixedClock
) -> None:
    app = world.rt.app
    busy(world)
    then, _ = take_checkpoint(app, "plan")
    position = app.recorder.max_notification_id()
    clock.set(datetime(2009, 7, 1, 9, tzinfo=UTC))
    app.assess_rag(LEAD2, "plan", "1.2", Rag.AMBER, reason="slipping")
    app.create_plan(ADMIN, "other", "Another plan")
    at, _ = take_checkpoint(app, "plan", up_to_position=position)
    assert (at.plan, at.events, at.head, at.last_recorded) == (
        "plan",
        then.events,
        then.head,
        then.last_recorded,
    )
    # Taken whenever, it reads the same: no time of taking.
    assert at.taken is None and "taken" not in at.text()
    assert take_checkpoint(app, "plan", up_to_position=position)[0] == at
    outcome = check_checkpoint(app, parse_checkpoint(at.text()))
    assert outcome.holds and "1 event(s) recorded since" in outcome.message
    now, _ = take_checkpoint(app, "plan")
    assert now.events == then.events + 1 and now.last_recorded == "2009-07-01T09:00:00+00:00"
    # The users were recorded before the plan: it had no events by then.
    with pytest.raises(NotFound, match="had no events by position 1"):
        take_checkpoint(app, "plan", up_to_position=1)


def test_a_statement_is_read_from_its_own_heading_in_a_longer_text(world: World) -> None:
    """A report or the minutes may say "plan: ..." or "events: ..." before the statement."""
    cp, _ = take_checkpoint(world.rt.app, "plan")
    text = (
        "Minutes of the board. The revised plan: agreed; events: 3 noted;\n"
        f"head: sha256:{'1' * 64}\n\n{cp.text()}\nAny other business.\n"
    )
    parsed = parse_checkpoint(text)
    assert (parsed.plan, parsed.events, parsed.head) == ("plan", cp.events, cp.head)


def test_a_checkpoint_catches_a_rewrite_that_recomputed_the_chain(
    world: World, raw: RawStore
) -> None:
    busy(world)
    cp, _ = take_checkpoint(world.rt.app, "plan")
    raw.alter(raw.positions(action_oid("1.1"))[2], b'"amber"', b'"green"')
    raw.rechain()
    assert verify_store(world.rt.app).intact  # the chain alone is fooled...
    outcome = check_checkpoint(world.rt.app, cp)
    assert not outcome.holds  # ...the minuted checkpoint is not
    assert "has changed" in outcome.message


def test_a_checkpoint_notices_removed_events(world: World, raw: RawStore) -> None:
    busy(world)
    cp, _ = take_checkpoint(world.rt.app, "plan")
    raw.delete(raw.positions(action_oid("1.1"))[-1])
    raw.rechain()
    outcome = check_checkpoint(world.rt.app, cp)
    assert not outcome.holds
    assert "fewer than the 8" in outcome.message


def test_no_checkpoint_is_taken_of_a_changed_record(world: World, raw: RawStore) -> None:
    busy(world)
    raw.alter(raw.positions(action_oid("1.1"))[2], b'"amber"', b'"green"')
    with pytest.raises(DomainError, match="not intact"):
        take_checkpoint(world.rt.app, "plan")


def test_a_store_recorded_before_the_chain_takes_no_write_until_adopted(
    db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    from engine.adapters.database import Database

    db = Database.from_url(db_url)
    env = db.eventsourcing_env()
    env["PERSISTENCE_MODULE"] = (
        "eventsourcing.sqlite" if db.kind == "sqlite" else "eventsourcing.postgres"
    )
    if db.kind == "postgres":
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"')
    before = ActionTrail(env=env)
    before.add_user(None, ADMIN, "Ada", ["admin"])
    before.close()
    rt = open_runtime(db_url, tmp_path)
    try:
        [problem] = verify_store(rt.app).problems
        assert problem.what == "unchained"
        with pytest.raises(DomainError, match="holds 1 event.s. that its hash chain does not"):
            rt.app.add_user(ADMIN, LEAD, "Lee", ["lead"])
        rt.app.adopt_unchained_events(ADMIN, "upgraded from a version without the chain")
        result = verify_store(rt.app)
        assert result.intact and result.events == 2
        assert result.head is not None and result.head.sealed_through == 1
        rt.app.add_user(ADMIN, LEAD, "Lee", ["lead"])
        assert verify_store(rt.app).intact
    finally:
        rt.close()


# The command line


@pytest.fixture
def cli(world: World, tmp_path: Path) -> Cli:
    busy(world)
    return Cli(tmp_path, world.rt.db.url)


def test_verify_command_confirms_an_intact_record(cli: Cli) -> None:
    out = cli.ok("verify", "plan")
    assert out.startswith("intact:")
    assert "events/s" in out
    data = cli.json("verify")
    assert data["intact"] is True and data["problems"] == []


def test_verify_command_names_the_first_problem_and_fails(cli: Cli, raw: RawStore) -> None:
    position = raw.positions(action_oid("1.1"))[2]
    raw.alter(position, b'"amber"', b'"green"')
    r = cli("verify", "plan")
    assert r.returncode == 1
    assert f"position {position}: altered - action 1.1 of plan plan" in r.stdout
    assert f"aggregate {action_oid('1.1')}, version 3" in r.stdout
    assert "Traceback" not in r.stderr


def test_checkpoint_command_and_verify_against_it(cli: Cli, tmp_path: Path) -> None:
    statement = cli.ok("checkpoint", "plan")
    assert "plan: plan" in statement and "events: 8" in statement
    assert "head: sha256:" in statement
    (tmp_path / "minute.txt").write_text(f"Board minute 12/09.\n{statement}")
    assert "match the checkpoint" in cli.ok("verify", "--checkpoint", str(tmp_path / "minute.txt"))
    as_json = cli.json("checkpoint", "plan")
    assert as_json["events"] == 8 and as_json["head"].startswith("sha256:")
    one_line = f"plan={as_json['plan']} events={as_json['events']} head={as_json['head']}"
    assert cli.json("verify", "plan", "--checkpoint", one_line)["holds"] is True


def test_verify_refuses_what_it_cannot_check(cli: Cli) -> None:
    r = cli("verify", "nope")
    assert r.returncode == 1 and "no plan 'nope'" in r.stderr
    r = cli("verify", "--checkpoint", "plan: plan")
    assert r.returncode == 1 and "no events or head line" in r.stderr
    r = cli("verify", "other", "--checkpoint", "plan: plan events: 1 head: sha256:" + "0" * 64)
    assert r.returncode == 2
    for r in (cli("verify", "--checkpoint", "x"), cli("checkpoint", "nope")):
        assert "Traceback" not in r.stderr


def test_verifying_while_others_write_finds_nothing_wrong(world: World) -> None:
    """Each range of the store is read in one consistent reading, so an event written
    meanwhile never shows as an event without its link, or a link without its event."""
    import threading

    app = world.rt.app
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            n = 0
            while not stop.is_set() and n < 200:
                app.assess_rag(LEAD, "plan", "1.1", [Rag.GREEN, Rag.AMBER][n % 2], reason="x")
                n += 1
        except BaseException as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(15):
            result = verify_store(app, page=3)
            assert result.intact, [p.message() for p in result.problems]
    finally:
        stop.set()
        writer.join()
    assert not errors
    assert verify_store(app).intact
