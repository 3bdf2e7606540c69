"""What changed between two moments, field by field, with who and why."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock
from domain.values import Person, Rag, Status
from engine.audit.diff import diff_plan
from tests.conftest import ADMIN, LEAD, LEAD2, NHS, OFFICER, SECRETARY, World, action_spec
from tests.test_audit_tools import Cli

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def field(result: dict[str, Any], ref: str, name: str, kind: str = "actions") -> dict[str, Any]:
    (subject,) = [s for s in result[kind] if s["subject"] == ref]
    (change,) = [f for f in subject["fields"] if f["field"] == name]
    return change


def who(result: dict[str, Any], change: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    events = {e["seq"]: e for e in result["events"]}
    return [(events[s]["actor"], events[s]["kind"], events[s]["reason"]) for s in change["because"]]


def history(w: World, clock: FixedClock) -> None:
    app = w.rt.app
    clock.set(at("2009-06-10T09:00:00"))
    app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS, effective_on=date(2009, 6, 1))
    app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason="auditor off sick")
    app.open_item(SECRETARY, "plan", "policy", "Policy", ["NHS Trust"], "policy.pdf", "a" * 64)
    clock.set(at("2009-06-20T09:00:00"))
    app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN, reason="auditor back")
    app.amend_action(
        OFFICER, "plan", "1.2", "leads", [Person("Lee Lead", LEAD)], reason="Liz moved on"
    )
    app.submit_evidence(LEAD, "plan", "1.1", "audit.pdf", sha256="b" * 64, size=10)
    app.decide_item(NHS, "plan", "policy", "NHS Trust", True, "Trust Board", date(2009, 6, 18))
    app.add_action(ADMIN, "plan", action_spec("1.3"))


def test_changes_are_listed_field_by_field_with_who_and_why(
    world: World, clock: FixedClock
) -> None:
    history(world, clock)
    result = diff_plan(world.rt, "plan", at("2009-06-15T12:00:00"), at("2009-06-25T12:00:00"))
    rated = field(result, "1.1", "reported_rag")
    assert (rated["from"], rated["to"]) == ("amber", "green")
    assert who(result, rated) == [(LEAD, "Action.RagAssessed", "auditor back")]
    reason = field(result, "1.1", "reported_reason")
    assert (reason["from"], reason["to"]) == ("auditor off sick", "auditor back")
    leads = field(result, "1.2", "leads")
    assert leads["from"] == [f"Liz <{LEAD2}>"] and leads["to"] == [f"Lee Lead <{LEAD}>"]
    assert who(result, leads) == [(OFFICER, "Action.Amended", "Liz moved on")]
    evidence = field(result, "1.1", "evidence")
    assert (evidence["from"], evidence["to"]) == ([], ["audit.pdf: submitted"])
    approval = field(result, "policy", "approval: NHS Trust", "governance")
    assert approval["from"] == "pending"
    assert approval["to"] == "approved on 2009-06-18 (version 1)"
    assert who(result, approval)[0][:2] == (NHS, "GovernanceItem.ApprovedByAgency")
    (added,) = [s for s in result["actions"] if s["subject"] == "1.3"]
    assert added["change"] == "added"
    # Nothing else changed for 1.1's status, so it is not listed.
    assert not [
        f
        for s in result["actions"]
        if s["subject"] == "1.1"
        for f in s["fields"]
        if f["field"] == "status"
    ]
    assert {e["seq"] for e in result["events"]} == {
        s for s in range(result["from"]["position"] + 1, result["to"]["position"] + 1)
    }


def test_a_rag_that_changes_as_dates_pass_says_so(world: World) -> None:
    """No event between the two moments: action 1.1 was due to finish on 30 September."""
    result = diff_plan(world.rt, "plan", at("2009-06-01T12:00:00"), at("2009-10-02T12:00:00"))
    assert result["events"] == []
    change = field(result, "1.1", "overdue")
    assert (change["from"], change["to"], change["because"]) == (False, True, [])
    assert change["note"] == "no event: worked out for 2009-10-02 instead of 2009-06-01"


def test_from_before_the_plan_existed_everything_is_added(world: World) -> None:
    result = diff_plan(world.rt, "plan", at("2009-01-01T00:00:00"), at("2009-06-02T12:00:00"))
    assert [s["change"] for s in result["actions"]] == ["added", "added"]
    assert result["from"]["position"] == 0


def test_diff_on_the_command_line(world: World, clock: FixedClock, tmp_path: Path) -> None:
    history(world, clock)
    cli = Cli(tmp_path, world.rt.db.url)
    out = cli.ok("diff", "plan", "--from", "2009-06-15T12:00", "--to", "2009-06-25T12:00")
    assert "reported_rag" in out and "RagAssessed" in out and "Amended" in out
    data = cli.json("diff", "plan", "--from", "2009-06-15", "--to", "2009-06-25")
    assert field(data, "1.1", "reported_rag")["to"] == "green"
    for args, status in (
        (("--from", "June"), 2),
        (("--from", "2009-06-25", "--to", "2009-06-15"), 2),
        (("--from", "2009-06-15", "--format", "xml"), 2),
    ):
        r = cli("diff", "plan", *args)
        assert r.returncode == status, (args, r.stderr)
        assert "Traceback" not in r.stderr
    r = cli("diff", "nope", "--from", "2009-06-15")
    assert r.returncode == 1 and "no plan 'nope'" in r.stderr
