"""Plan owners: who runs a plan after it is registered (its owners, agencies, the plan's
details, leads and accountable officers, re-baselined dates), what they still may not do,
and people deactivated. On SQLite and PostgreSQL, through the service and the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.action import parse_shift, shifted
from domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from domain.values import Person, Rag, Status
from engine.plans.closing import close_period
from engine.runtime import Runtime
from projections import queries
from tests.cli import Cli
from tests.conftest import ADMIN, AUDITOR, LEAD, LEAD2, NHS, OFFICER, World, action_spec

OWNER = LEAD2  # a lead of action 1.2 only, made owner of the plan in these tests


def events(rt: Runtime, kind: str | None = None) -> list[dict[str, Any]]:
    rt.runner.catch_up()
    rows = queries.history_rows(rt.engine, queries.plan(rt.engine, "plan"), queries.HistoryFilter())
    return [r for r in rows if kind is None or r["kind"] == kind]


def recorded(rt: Runtime) -> int:
    return rt.app.recorder.max_notification_id() or 0


@pytest.fixture
def owned(world: World) -> World:
    world.rt.app.add_plan_owner(ADMIN, "plan", OWNER, reason="coordinates the plan")
    # An imported action with nobody and no dates.
    world.rt.app.add_action(
        ADMIN,
        "plan",
        action_spec("1.3", leads=[], accountable=None, plan_start=None, plan_finish=None),
    )
    return world


# Owners


def test_an_admin_adds_an_owner_and_an_owner_adds_another(owned: World) -> None:
    app = owned.rt.app
    app.add_plan_owner(OWNER, "plan", OFFICER)
    assert app.plan("plan").owners == (OWNER, OFFICER)
    app.remove_plan_owner(OFFICER, "plan", OWNER, reason="moved team")
    assert app.plan("plan").owners == (OFFICER,)
    owned.rt.runner.catch_up()
    assert queries.plan(owned.rt.engine, "plan")["owners"] == [OFFICER]
    kinds = [(e["kind"], e["actor"], e["reason"]) for e in events(owned.rt) if "Owner" in e["kind"]]
    assert kinds == [
        ("Plan.OwnerAdded", ADMIN, "coordinates the plan"),
        ("Plan.OwnerAdded", OWNER, None),
        ("Plan.OwnerRemoved", OFFICER, "moved team"),
    ]


@pytest.mark.parametrize("who", [LEAD, NHS, AUDITOR])
def test_only_an_admin_or_an_owner_adds_owners(owned: World, who: str) -> None:
    before = recorded(owned.rt)
    with pytest.raises(PermissionDenied, match="only an admin or its owners may"):
        owned.rt.app.add_plan_owner(who, "plan", who)
    assert recorded(owned.rt) == before


def test_an_owner_must_be_a_registered_person_who_may_write(owned: World) -> None:
    with pytest.raises(NotFound, match="no user 'nobody@x.example'"):
        owned.rt.app.add_plan_owner(ADMIN, "plan", "nobody@x.example")
    with pytest.raises(InvalidInput, match="auditor or no roles"):
        owned.rt.app.add_plan_owner(ADMIN, "plan", AUDITOR)
    with pytest.raises(DomainError, match="already an owner"):
        owned.rt.app.add_plan_owner(ADMIN, "plan", OWNER)


# Agencies and the plan's own details


def test_an_owner_adds_renames_and_retires_agencies_with_reasons(owned: World) -> None:
    app = owned.rt.app
    app.add_agency(OWNER, "plan", "  Fire   Service ", "joined the partnership")
    app.rename_agency(OWNER, "plan", "NHS Trust", "NHS Integrated Care Board", "reorganised")
    app.retire_agency(OWNER, "plan", "Police", "left the partnership")
    assert app.plan("plan").agencies == ["Council", "NHS Integrated Care Board", "Fire Service"]
    owned.rt.runner.catch_up()
    view = queries.plan(owned.rt.engine, "plan")
    assert view["agencies"] == ["Council", "NHS Integrated Care Board", "Fire Service"]
    assert view["retired_agencies"] == ["Police"]
    reasons = [e["reason"] for e in events(owned.rt) if e["kind"].startswith("Plan.Agency")]
    assert reasons == ["joined the partnership", "reorganised", "left the partnership"]
    # A new governance item may name the new agency, not the retired one.
    app.open_item(ADMIN, "plan", "s", "Strategy", ["Fire Service"], "s.docx", "0" * 64)
    with pytest.raises(DomainError, match="Police"):
        app.open_item(ADMIN, "plan", "t", "Strategy", ["Police"], "s.docx", "0" * 64)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a: a.add_agency(OWNER, "plan", "Fire", " "), "needs a reason"),
        (lambda a: a.add_agency(OWNER, "plan", "Police", "x"), "already has the agency 'Police'"),
        (lambda a: a.rename_agency(OWNER, "plan", "Fire", "F", "x"), "has no agency 'Fire'"),
        (lambda a: a.rename_agency(OWNER, "plan", "Police", "Council", "x"), "already has"),
        (lambda a: a.retire_agency(OWNER, "plan", "Fire", "x"), "has no agency 'Fire'"),
        (lambda a: a.amend_plan(OWNER, "plan", "slug", "x", "why"), "'slug' cannot be amended"),
        (lambda a: a.amend_plan(OWNER, "plan", "title", " ", "why"), "needs a title"),
        (lambda a: a.amend_plan(OWNER, "plan", "cadence", "daily", "why"), "not one of"),
        (lambda a: a.amend_plan(OWNER, "plan", "title", "New", ""), "needs a reason"),
    ],
)
def test_bad_agency_and_plan_changes_are_refused(owned: World, call: Any, message: str) -> None:
    before = recorded(owned.rt)
    with pytest.raises(DomainError, match=message):
        call(owned.rt.app)
    assert recorded(owned.rt) == before


def test_an_owner_amends_the_plan_title_boards_and_cadence(owned: World) -> None:
    app = owned.rt.app
    app.amend_plan(OWNER, "plan", "title", "Safeguarding plan 2009-10", "board renamed it")
    app.amend_plan(OWNER, "plan", "boards", "LSCB, Health and Wellbeing Board", "new board")
    app.amend_plan(OWNER, "plan", "cadence", "Quarterly", "the board meets quarterly")
    plan = app.plan("plan")
    assert (plan.title, plan.boards, plan.cadence.value) == (
        "Safeguarding plan 2009-10",
        ["LSCB", "Health and Wellbeing Board"],
        "quarterly",
    )
    owned.rt.runner.catch_up()
    view = queries.plan(owned.rt.engine, "plan")
    assert (view["title"], view["cadence"]) == ("Safeguarding plan 2009-10", "quarterly")
    with pytest.raises(DomainError, match="already 'quarterly'"):
        app.amend_plan(OWNER, "plan", "cadence", "quarterly", "again")


def test_the_cadence_cannot_change_once_a_period_is_closed(owned: World) -> None:
    close_period(owned.rt, ADMIN, "plan", "2009-05")
    with pytest.raises(DomainError, match="closed periods .2009-05.: its cadence cannot change"):
        owned.rt.app.amend_plan(OWNER, "plan", "cadence", "quarterly", "why")


# Leads and accountable officers


@pytest.mark.parametrize("who", [ADMIN, OWNER])
def test_an_admin_or_owner_assigns_an_imported_actions_people(owned: World, who: str) -> None:
    app = owned.rt.app
    app.amend_action(who, "plan", "1.3", "leads", [Person("Lee Lead", LEAD)], "first lead")
    app.amend_action(who, "plan", "1.3", "accountable", Person("Olu", OFFICER), "assigned")
    app.amend_action(who, "plan", "1.1", "leads", [Person("Liz", LEAD2)], "handed over")
    assert app.action("plan", "1.3").is_lead(LEAD)
    assert app.action("plan", "1.1").is_lead(LEAD2) and not app.action("plan", "1.1").is_lead(LEAD)
    # The new lead now updates the action.
    app.assess_rag(LEAD, "plan", "1.3", Rag.GREEN)


def test_a_lead_still_amends_their_own_action_but_not_anothers(owned: World) -> None:
    app = owned.rt.app
    app.amend_action(LEAD, "plan", "1.1", "title", "Audit of cases", "clearer")
    with pytest.raises(PermissionDenied, match="only its leads and accountable officer"):
        app.amend_action(LEAD, "plan", "1.3", "leads", [Person("Lee", LEAD)], "me")


def test_an_owner_cannot_rate_or_complete_an_action_unless_its_lead(owned: World) -> None:
    app = owned.rt.app
    with pytest.raises(PermissionDenied, match="rate action 1.1"):
        app.assess_rag(OWNER, "plan", "1.1", Rag.GREEN)
    with pytest.raises(PermissionDenied, match="mark completed action 1.1"):
        app.change_status(OWNER, "plan", "1.1", Status.COMPLETED)
    app.change_status(OWNER, "plan", "1.2", Status.IN_PROGRESS)  # 1.2 is theirs as lead


def test_an_auditor_made_owner_before_changes_nothing(owned: World) -> None:
    """Ownership needs a role that writes; an owner whose roles became read-only loses it."""
    app = owned.rt.app
    app.change_roles(ADMIN, OWNER, ["auditor"])
    with pytest.raises(PermissionDenied):
        app.add_agency(OWNER, "plan", "Fire", "why")


# Re-baselining


def test_shift_parsing_and_month_ends() -> None:
    assert parse_shift("3m") == (3, "m") and parse_shift("-2W") == (-2, "w")
    assert shifted(date(2009, 11, 30), 3, "m") == date(2010, 2, 28)
    assert shifted(date(2009, 1, 31), -1, "y") == date(2008, 1, 31)
    assert shifted(date(2009, 1, 1), 10, "d") == date(2009, 1, 11)
    with pytest.raises(InvalidInput, match="shift '3 months' is not a number of days"):
        parse_shift("3 months")


def test_rebaseline_by_a_shift_one_event_per_action_one_reason(owned: World) -> None:
    app = owned.rt.app
    done = app.rebaseline_actions(OWNER, "plan", "funding delayed", shift="3m", refs=["1.1", "1.2"])
    assert done == ["1.1", "1.2"]
    for ref in ("1.1", "1.2"):
        a = app.action("plan", ref)
        assert (a.plan_start, a.plan_finish) == (date(2009, 4, 1), date(2009, 12, 30))
    rows = events(owned.rt, "Action.Rebaselined")
    assert [(r["subject"], r["reason"], r["actor"]) for r in rows] == [
        ("1.1", "funding delayed", OWNER),
        ("1.2", "funding delayed", OWNER),
    ]
    assert len({r["seq"] for r in rows}) == 2
    owned.rt.runner.catch_up()
    view = queries.document(
        owned.rt.engine, queries.plan(owned.rt.engine, "plan"), date(2009, 6, 1)
    )
    assert [a["plan_finish"] for a in view["actions"] if a["ref"] != "1.3"] == ["2009-12-30"] * 2


def test_rebaseline_is_all_or_nothing(owned: World) -> None:
    app = owned.rt.app
    before = recorded(owned.rt)
    with pytest.raises(InvalidInput, match="action 1.3 has no planned dates to shift"):
        app.rebaseline_actions(OWNER, "plan", "why", shift="1m", refs=["1.1", "1.3"])
    with pytest.raises(NotFound, match="has no action 9.9"):
        app.rebaseline_actions(
            OWNER,
            "plan",
            "why",
            dates={"1.1": (None, date(2010, 1, 1)), "9.9": (None, date(2010, 1, 1))},
        )
    with pytest.raises(InvalidInput, match="finish 2008-01-01 is before plan start"):
        app.rebaseline_actions(OWNER, "plan", "why", dates={"1.1": (None, date(2008, 1, 1))})
    with pytest.raises(InvalidInput, match="needs a reason"):
        app.rebaseline_actions(OWNER, "plan", " ", shift="1m", refs=["1.1"])
    assert recorded(owned.rt) == before
    assert app.action("plan", "1.1").plan_finish == date(2009, 9, 30)


# Deactivation


def test_a_deactivated_person_acts_no_more_and_their_events_remain(owned: World) -> None:
    app = owned.rt.app
    app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
    app.deactivate_user(ADMIN, LEAD, "left the council")
    with pytest.raises(PermissionDenied, match="lead@council.example is deactivated"):
        app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
    with pytest.raises(DomainError, match="deactivated and cannot own"):
        app.add_plan_owner(ADMIN, "plan", LEAD)
    assert [e["actor"] for e in events(owned.rt, "Action.RagAssessed")] == [LEAD]
    owned.rt.runner.catch_up()
    [view] = [u for u in queries.users(owned.rt.engine) if u["email"] == LEAD]
    assert view["active"] is False
    app.reactivate_user(ADMIN, LEAD, "came back")
    app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason="late")
    with pytest.raises(PermissionDenied, match="deactivate users"):
        app.deactivate_user(OWNER, LEAD, "why")
    with pytest.raises(DomainError, match="cannot deactivate themselves"):
        app.deactivate_user(ADMIN, ADMIN, "why")


# The command line


@pytest.mark.persistence
def test_owner_commands_on_the_command_line(owned: World, db_url: str, tmp_path: Path) -> None:
    cli = Cli(tmp_path, db_url)
    cli.ok("plan", "agency", "add", "plan", "Fire Service", "--reason", "joined", user=OWNER)
    cli.ok("plan", "amend", "plan", "source", "Ofsted", "inspection", "--reason", "x", user=OWNER)
    cli.ok(
        "action", "amend", "plan", "1.3", "leads", "Lee <lead@council.example>",
        "--reason", "first lead", user=ADMIN,
    )  # fmt: skip
    csv_file = tmp_path / "dates.csv"
    csv_file.write_text("ref,new start,new finish\n1.1,2009-02-01,2010-03-31\n1.2,,2010-01-31\n")
    out = cli.ok("action", "rebaseline", "plan", "--from-csv", str(csv_file), "--reason", "board",
                 user=OWNER)  # fmt: skip
    assert "re-baselined 2 actions (1.1, 1.2)" in out
    app = owned.rt.app
    assert app.plan("plan").source == "Ofsted inspection"
    assert app.action("plan", "1.2").plan_start == date(2009, 1, 1)  # blank: kept
    assert app.action("plan", "1.1").plan_finish == date(2010, 3, 31)
    bad = tmp_path / "bad.csv"
    bad.write_text("1.1,2009-02-01,31/03/2010\n")
    r = cli("action", "rebaseline", "plan", "--from-csv", str(bad), "--reason", "x", user=OWNER)
    assert r.returncode == 1
    assert "bad.csv, row 1, column new finish: '31/03/2010' is not a date" in r.stderr
    assert "Traceback" not in r.stderr
    cli.ok("users", "deactivate", LEAD, "--reason", "left the council", user=ADMIN)
    [lead] = [u for u in cli.json("users", "list") if u["email"] == LEAD]
    assert lead["active"] is False
    assert f"owners {OWNER}" in cli.ok("show", "plan")
    r = cli("action", "rag", "plan", "1.1", "green", user=LEAD)
    assert r.returncode == 1 and "lead@council.example is deactivated" in r.stderr


def test_the_audit_timeline_describes_the_new_events(owned: World) -> None:
    from engine.web.describe import describe

    app = owned.rt.app
    app.add_agency(OWNER, "plan", "Fire", "joined")
    app.rebaseline_actions(OWNER, "plan", "late", shift="1m", refs=["1.1"])
    shown = {e["kind"]: describe(e) for e in events(owned.rt)}
    assert shown["Plan.OwnerAdded"] == f"made {OWNER} an owner of the plan"
    assert shown["Plan.AgencyAdded"] == "added the partner agency Fire"
    assert shown["Action.Rebaselined"] == "re-baselined: start 2009-02-01, finish 2009-10-30"


NEW_COMMANDS = [
    ("plan", "owner", "add", "plan", LEAD),
    ("plan", "owner", "remove", "plan", OWNER),
    ("plan", "agency", "add", "plan", "Fire", "--reason", "x"),
    ("plan", "agency", "rename", "plan", "Police", "Constabulary", "--reason", "x"),
    ("plan", "agency", "retire", "plan", "Police", "--reason", "x"),
    ("plan", "amend", "plan", "title", "New title", "--reason", "x"),
    ("action", "amend", "plan", "1.3", "leads", "Lee <lead@council.example>", "--reason", "x"),
    ("action", "rebaseline", "plan", "--shift", "1m", "--refs", "1.1", "--reason", "x"),
    ("users", "deactivate", OFFICER, "--reason", "x"),
    ("users", "reactivate", OFFICER),
]


@pytest.mark.slow
@pytest.mark.persistence
def test_each_new_command_refuses_a_person_without_the_right(
    owned: World, db_url: str, tmp_path: Path
) -> None:
    cli = Cli(tmp_path, db_url)
    before = recorded(owned.rt)
    for args in NEW_COMMANDS:
        for who in (LEAD, NHS, AUDITOR):
            r = cli(*args, user=who)
            assert r.returncode == 1, (args, who, r.stdout, r.stderr)
            assert "may not" in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    assert recorded(owned.rt) == before


def test_an_owner_imports_into_their_plan_and_a_lead_may_not(world: World) -> None:
    from engine.importing.record import import_plan

    fixture = Path(__file__).parent / "fixtures" / "import" / "telford.xlsx"
    app = world.rt.app
    app.create_plan(ADMIN, "telford", "Telford plan")
    app.add_plan_owner(ADMIN, "telford", OWNER)
    with pytest.raises(PermissionDenied, match="import a sheet for plan 'telford'"):
        import_plan(world.rt, LEAD, fixture, slug="telford")
    with pytest.raises(PermissionDenied, match="may not import plans"):
        import_plan(world.rt, OWNER, fixture, slug="another")
    result = import_plan(world.rt, OWNER, fixture, slug="telford")
    assert result.ok and result.recorded
