"""The demo plan's record: recorded in time order, as under a real clock, so that what
the system knew at a moment is every event up to the last one recorded by then; and
loadable into a store that already has users."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from domain.errors import DomainError, NotFound, PermissionDenied
from domain.users import user_id
from engine.audit.as_of import replayed_as_of
from engine.audit.diff import diff_plan
from engine.demo import load_data, load_demo
from engine.runtime import Runtime
from projections import queries
from projections.schema import history
from tests.conftest import ADMIN, LEAD, people
from tests.test_audit_tools import Cli

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

SLUG = "leeds-iwc"


def recorded(rt: Runtime) -> list[tuple[int, datetime, str]]:
    """Every event of the store in position order: position, when recorded, kind."""
    rt.runner.catch_up()
    with rt.engine.connect() as conn:
        rows = conn.execute(
            select(history.c.seq, history.c.recorded_at, history.c.kind).order_by(history.c.seq)
        ).all()
    return [(int(seq), datetime.fromisoformat(at), kind) for seq, at, kind in rows]


def test_the_demo_records_its_events_in_time_order(rt: Runtime) -> None:
    load_demo(rt)
    rows = recorded(rt)
    assert len(rows) > 300
    earlier = [
        (before, after)
        for before, after in zip(rows, rows[1:], strict=False)
        if after[1] < before[1]
    ]
    assert earlier == []


def test_a_mid_month_view_of_the_demo_leaves_out_what_was_recorded_later_that_month(
    rt: Runtime,
) -> None:
    """April 2009: the status changes of the 3rd, the approval recorded on the 21st and
    the ratings of the 25th. As of the 16th, the ratings of the 25th are not known."""
    load_demo(rt)
    moment = datetime(2009, 4, 16, 12, tzinfo=UTC)
    later = datetime(2009, 4, 26, 12, tzinfo=UTC)
    replayed = replayed_as_of(rt, SLUG, moment)
    pid = str(queries.plan(rt.engine, SLUG)["id"])
    actions = [a for a in replayed.store.all("action") if a["plan_id"] == pid]
    assessed = sorted({a["rag_assessed_at"][:10] for a in actions if a["rag_assessed_at"]})
    assert assessed and assessed[-1] == "2009-03-25"
    ratings = [r for r in recorded(rt) if r[2] == "Action.RagAssessed"]
    april = [seq for seq, at, _ in ratings if at.date().isoformat() == "2009-04-25"]
    assert april and min(april) > replayed.seq
    result = diff_plan(rt, SLUG, moment, later)
    assert result["from"]["position"] < result["to"]["position"]
    kinds = {(e["kind"], e["recorded_at"][:10]) for e in result["events"]}
    assert ("Action.RagAssessed", "2009-04-25") in kinds
    assert ("GovernanceItem.ApprovedByAgency", "2009-04-21") in kinds
    assert all(moment.isoformat() < e["recorded_at"] <= later.isoformat() for e in result["events"])


# A store that already has users


def demo_people() -> list[str]:
    return [p["email"] for p in load_data()["people"].values()]


def registered_by(rt: Runtime, email: str) -> str:
    with rt.engine.connect() as conn:
        actor = conn.execute(
            select(history.c.actor).where(
                history.c.originator_id == str(user_id(email)),
                history.c.kind == "User.Registered",
            )
        ).scalar_one()
    return str(actor)


def test_into_a_store_with_users_the_acting_admin_adds_the_demos_people(rt: Runtime) -> None:
    people(rt)
    result = load_demo(rt, actor=ADMIN)
    assert result.slug == SLUG
    emails = {u["email"] for u in queries.users(rt.engine)}
    assert set(demo_people()) <= emails and ADMIN in emails
    assert {registered_by(rt, e) for e in demo_people()} == {ADMIN}
    assert [p["period"] for p in queries.periods(rt.engine, queries.plan(rt.engine, SLUG))][
        -1
    ] == "2009-08"


def test_in_an_empty_store_the_demos_admin_registers_first_and_adds_the_rest(
    rt: Runtime,
) -> None:
    load_demo(rt)
    admin = load_data()["people"]["admin"]["email"]
    assert {registered_by(rt, e) for e in demo_people()} == {admin}


def test_without_an_acting_admin_nothing_is_recorded(rt: Runtime) -> None:
    people(rt)
    held = rt.app.recorder.max_notification_id()
    with pytest.raises(PermissionDenied, match=r"acting admin \(--as EMAIL\)"):
        load_demo(rt)
    with pytest.raises(PermissionDenied):
        load_demo(rt, actor=LEAD)
    with pytest.raises(NotFound):
        load_demo(rt, actor="nobody@nowhere.example")
    assert rt.app.recorder.max_notification_id() == held


def test_a_demo_person_already_there_in_another_role_is_refused_before_anything_is_recorded(
    rt: Runtime,
) -> None:
    people(rt)
    rt.app.add_user(ADMIN, "approver@nhsleeds.example", "Nadia", ["lead"], agency="NHS Leeds")
    held = rt.app.recorder.max_notification_id()
    with pytest.raises(DomainError, match="'approver@nhsleeds.example' is already in this store"):
        load_demo(rt, actor=ADMIN)
    assert rt.app.recorder.max_notification_id() == held


def test_a_second_demo_plan_needs_no_acting_admin_once_its_people_are_there(
    rt: Runtime,
) -> None:
    load_demo(rt)
    assert load_demo(rt, slug="leeds-again").slug == "leeds-again"
    with pytest.raises(DomainError, match="plan 'leeds-again' already exists"):
        load_demo(rt, slug="leeds-again")


def test_the_demo_command_on_a_store_with_users_says_what_it_needs(
    rt: Runtime, tmp_path: Path
) -> None:
    people(rt)
    held = rt.app.recorder.max_notification_id()
    r = Cli(tmp_path, rt.db.url)("demo")
    assert r.returncode == 1, r.stderr
    assert "--as EMAIL" in r.stderr and "Traceback" not in r.stderr
    assert rt.app.recorder.max_notification_id() == held


def test_the_demo_command_with_an_acting_admin_adds_the_demo_to_a_store_with_users(
    rt: Runtime, tmp_path: Path
) -> None:
    people(rt)
    cli = Cli(tmp_path, rt.db.url)
    done = cli("--as", ADMIN, "demo")
    assert done.returncode == 0, done.stderr
    assert "leeds-iwc" in done.stdout
    slugs = [p["slug"] for p in json.loads(cli("--format", "json", "plans").stdout)]
    assert slugs == ["leeds-iwc"]
