"""Multi-agency approval bound to document versions, then board sign-off."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.clock import FixedClock
from domain.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from engine.runtime import Runtime
from projections import queries
from projections.dashboard import governance_row
from tests.conftest import ADMIN, LEAD, NHS, POLICE, SECRETARY, World

D = date(2009, 5, 1)


def sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def item(world: World) -> Runtime:
    world.rt.app.open_item(
        SECRETARY,
        "plan",
        "proc",
        "Safeguarding procedures",
        ["NHS Trust", "Police"],
        "v1.docx",
        sha("v1"),
    )
    return world.rt


def row(rt: Runtime) -> dict:  # type: ignore[type-arg]
    plan = queries.plan(rt.engine, "plan")
    return governance_row(queries.items(rt.engine, plan)[0], plan["agencies"])


def approve(rt: Runtime, who: str, agency: str, version: int | None = None) -> None:
    rt.app.decide_item(
        who, "plan", "proc", agency, True, "Board", D, minute_ref="M1", version=version
    )


def test_sign_off_waits_for_every_required_agency(item: Runtime) -> None:
    approve(item, NHS, "NHS Trust")
    with pytest.raises(
        DomainError,
        match=r"cannot sign off 'Safeguarding procedures' v1: Police has not approved v1",
    ):
        item.app.sign_off(SECRETARY, "plan", "proc", "Safeguarding Board", D)
    approve(item, POLICE, "Police")
    item.app.sign_off(SECRETARY, "plan", "proc", "Safeguarding Board", D, minute_ref="SB 12")
    r = row(item)
    assert r["signed_off"]["minute_ref"] == "SB 12"
    assert [c["state"] for c in r["agencies"]] == ["approved", "approved"]


def test_revision_makes_earlier_approvals_stale(item: Runtime) -> None:
    approve(item, NHS, "NHS Trust")
    approve(item, POLICE, "Police")
    item.app.revise_item(SECRETARY, "plan", "proc", "v2.docx", sha("v2"), "police comments")
    r = row(item)
    assert r["current_version"] == 2
    assert [c["state"] for c in r["agencies"]] == ["stale", "stale"]
    assert not r["ready_for_signoff"]
    with pytest.raises(DomainError, match="NHS Trust, Police have not approved v2"):
        item.app.sign_off(SECRETARY, "plan", "proc", "Board", D)


def test_decision_on_a_stale_version_is_refused(item: Runtime) -> None:
    item.app.revise_item(SECRETARY, "plan", "proc", "v2.docx", sha("v2"), "comments")
    with pytest.raises(Conflict, match="decision names v1"):
        approve(item, NHS, "NHS Trust", version=1)


def test_revising_to_a_known_document_is_refused(item: Runtime) -> None:
    with pytest.raises(DomainError, match="already a version"):
        item.app.revise_item(SECRETARY, "plan", "proc", "v1.docx", sha("v1"), "again")


def test_only_an_approver_of_the_agency_records_its_decision(item: Runtime) -> None:
    with pytest.raises(PermissionDenied, match="record a decision for Police"):
        approve(item, NHS, "Police")
    with pytest.raises(PermissionDenied):
        approve(item, LEAD, "NHS Trust")


def test_agency_must_be_required_by_the_item(world: World) -> None:
    world.rt.app.add_user(ADMIN, "c@council.example", "C", ["approver"], agency="Council")
    world.rt.app.open_item(SECRETARY, "plan", "proc", "Procedures", ["Police"], "d", sha("d"))
    with pytest.raises(InvalidInput, match="Council is not required"):
        world.rt.app.decide_item("c@council.example", "plan", "proc", "Council", True, "Cabinet", D)


def test_rejection_needs_a_reason_and_shows_in_the_matrix(item: Runtime) -> None:
    with pytest.raises(InvalidInput, match="needs a reason"):
        item.app.decide_item(NHS, "plan", "proc", "NHS Trust", False, "Trust Board", D)
    item.app.decide_item(
        NHS, "plan", "proc", "NHS Trust", False, "Trust Board", D, reason="thresholds unclear"
    )
    cell = row(item)["agencies"][0]
    assert (cell["state"], cell["reason"]) == ("rejected", "thresholds unclear")


def test_only_the_board_secretary_signs_off(item: Runtime) -> None:
    approve(item, NHS, "NHS Trust")
    approve(item, POLICE, "Police")
    with pytest.raises(PermissionDenied):
        item.app.sign_off(ADMIN, "plan", "proc", "Board", D)


def test_sign_off_can_be_revoked_with_a_reason(item: Runtime) -> None:
    approve(item, NHS, "NHS Trust")
    approve(item, POLICE, "Police")
    item.app.sign_off(SECRETARY, "plan", "proc", "Board", D)
    with pytest.raises(InvalidInput, match="needs a reason"):
        item.app.revoke_sign_off(SECRETARY, "plan", "proc", "")
    item.app.revoke_sign_off(SECRETARY, "plan", "proc", "legal advice")
    assert row(item)["signed_off"] is None
    with pytest.raises(DomainError, match="has not been signed off"):
        item.app.revoke_sign_off(SECRETARY, "plan", "proc", "again")


def test_items_need_agencies_of_the_plan(world: World) -> None:
    with pytest.raises(InvalidInput, match="Fire Service not among the plan's agencies"):
        world.rt.app.open_item(SECRETARY, "plan", "x", "X", ["Fire Service"], "d", sha("d"))
    with pytest.raises(InvalidInput, match="at least one approving agency"):
        world.rt.app.open_item(SECRETARY, "plan", "x", "X", [], "d", sha("d"))


def test_sign_off_cannot_be_dated_before_the_latest_approval(item: Runtime) -> None:
    approve(item, NHS, "NHS Trust")  # 1 May
    item.app.decide_item(POLICE, "plan", "proc", "Police", True, "Command", date(2009, 5, 20))
    with pytest.raises(
        DomainError,
        match=r"cannot sign off 'Safeguarding procedures' v1 on 2009-05-19: Police approved "
        r"it on 2009-05-20",
    ):
        item.app.sign_off(SECRETARY, "plan", "proc", "Board", date(2009, 5, 19))
    assert row(item)["signed_off"] is None
    item.app.sign_off(SECRETARY, "plan", "proc", "Board", date(2009, 5, 20))
    assert row(item)["signed_off"]["decided_on"] == "2009-05-20"


def test_only_approvals_of_the_current_version_bound_the_sign_off(item: Runtime) -> None:
    item.app.decide_item(NHS, "plan", "proc", "NHS Trust", True, "Board", date(2009, 5, 25))
    item.app.revise_item(SECRETARY, "plan", "proc", "v2.docx", sha("v2"), "police comments")
    approve(item, NHS, "NHS Trust")  # v2, 1 May: an earlier date than its v1 approval
    approve(item, POLICE, "Police")
    item.app.sign_off(SECRETARY, "plan", "proc", "Board", date(2009, 5, 2))
    assert row(item)["signed_off"]["version"] == 2


def test_an_approval_dated_after_today_is_refused(item: Runtime) -> None:
    # The clock stands at 1 June 2009.
    with pytest.raises(
        InvalidInput,
        match=r"NHS Trust's approval of 'Safeguarding procedures' v1 is dated 2009-06-02, "
        r"after today \(2009-06-01\)",
    ):
        item.app.decide_item(NHS, "plan", "proc", "NHS Trust", True, "Board", date(2009, 6, 2))
    assert [c["state"] for c in row(item)["agencies"]] == ["pending", "pending"]
    item.app.decide_item(NHS, "plan", "proc", "NHS Trust", True, "Board", date(2009, 6, 1))


def test_a_sign_off_dated_after_today_is_refused(item: Runtime, clock: FixedClock) -> None:
    approve(item, NHS, "NHS Trust")
    approve(item, POLICE, "Police")
    with pytest.raises(
        InvalidInput,
        match=r"the sign-off by Board of 'Safeguarding procedures' v1 is dated 2009-06-08, "
        r"after today \(2009-06-01\)",
    ):
        item.app.sign_off(SECRETARY, "plan", "proc", "Board", date(2009, 6, 8))
    assert row(item)["signed_off"] is None
    clock.set(datetime(2009, 6, 8, 9, tzinfo=UTC))
    item.app.sign_off(SECRETARY, "plan", "proc", "Board", date(2009, 6, 8))
