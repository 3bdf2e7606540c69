"""Action lifecycle, RAG, evidence and who may do what, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from domain.values import Indicator, Person, Rag, Status
from projections import queries
from tests.conftest import ADMIN, AUDITOR, LEAD, LEAD2, NHS, OFFICER, World, action_spec


def view(world: World, ref: str) -> dict:  # type: ignore[type-arg]
    plan = queries.plan(world.rt.engine, "plan")
    return next(a for a in queries.actions(world.rt.engine, plan) if a["ref"] == ref)


def evidence(world: World, ref: str = "1.1") -> str:
    stored = world.rt.files.put_bytes("audit.txt", b"audit report", "text/plain")
    return world.rt.app.submit_evidence(
        LEAD,
        "plan",
        ref,
        stored.name,
        sha256=stored.sha256,
        size=stored.size,
        media_type=stored.media_type,
    )


def test_lead_moves_action_through_its_lifecycle(world: World) -> None:
    app = world.rt.app
    app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)
    app.change_status(LEAD, "plan", "1.1", Status.COMPLETED, effective_on=date(2009, 5, 30))
    v = view(world, "1.1")
    assert v["status"] == "completed"
    assert v["actual_finish"] == "2009-05-30"


def test_completion_without_a_date_finishes_on_the_day_recorded(world: World) -> None:
    world.rt.app.change_status(LEAD, "plan", "1.1", Status.COMPLETED)
    assert view(world, "1.1")["actual_finish"] == "2009-06-01"


def test_verification_needs_accepted_evidence(world: World) -> None:
    app = world.rt.app
    app.change_status(LEAD, "plan", "1.1", Status.COMPLETED)
    with pytest.raises(DomainError, match="no evidence has been accepted"):
        app.change_status(OFFICER, "plan", "1.1", Status.VERIFIED)
    eid = evidence(world)
    app.decide_evidence(OFFICER, "plan", "1.1", eid, True)
    app.change_status(OFFICER, "plan", "1.1", Status.VERIFIED)
    assert view(world, "1.1")["status"] == "verified"


def test_only_the_accountable_officer_verifies(world: World) -> None:
    app = world.rt.app
    app.change_status(LEAD, "plan", "1.1", Status.COMPLETED)
    app.decide_evidence(OFFICER, "plan", "1.1", evidence(world), True)
    with pytest.raises(PermissionDenied, match="only its accountable officer"):
        app.change_status(LEAD, "plan", "1.1", Status.VERIFIED)


def test_verified_action_cannot_be_changed(world: World) -> None:
    app = world.rt.app
    app.change_status(LEAD, "plan", "1.1", Status.COMPLETED)
    app.decide_evidence(OFFICER, "plan", "1.1", evidence(world), True)
    app.change_status(OFFICER, "plan", "1.1", Status.VERIFIED)
    with pytest.raises(DomainError, match="is verified: it cannot be changed"):
        app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)


def test_lifecycle_refuses_impossible_steps(world: World) -> None:
    with pytest.raises(DomainError, match="cannot become verified from not_started"):
        world.rt.app.change_status(OFFICER, "plan", "1.1", Status.VERIFIED)


@pytest.mark.parametrize("status", [Status.DEFERRED, Status.CANCELLED])
def test_defer_and_cancel_need_a_reason(world: World, status: Status) -> None:
    with pytest.raises(InvalidInput, match="needs a reason"):
        world.rt.app.change_status(LEAD, "plan", "1.1", status)
    world.rt.app.change_status(LEAD, "plan", "1.1", status, reason="funding withdrawn")
    assert view(world, "1.1")["status"] == status.value


@pytest.mark.parametrize("rag", [Rag.RED, Rag.AMBER])
def test_red_and_amber_need_a_reason(world: World, rag: Rag) -> None:
    with pytest.raises(InvalidInput, match=f"rating action 1.1 {rag.value} needs a reason"):
        world.rt.app.assess_rag(LEAD, "plan", "1.1", rag)
    world.rt.app.assess_rag(LEAD, "plan", "1.1", rag, reason="partner delay")
    v = view(world, "1.1")
    assert (v["reported_rag"], v["rag_reason"]) == (rag.value, "partner delay")


def test_green_needs_no_reason(world: World) -> None:
    world.rt.app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
    assert view(world, "1.1")["reported_rag"] == "green"


def test_leads_rate_only_red_amber_or_green(world: World) -> None:
    with pytest.raises(InvalidInput, match="red, amber or green"):
        world.rt.app.assess_rag(LEAD, "plan", "1.1", Rag.BLUE)


def test_only_leads_and_accountable_officer_update_an_action(world: World) -> None:
    app = world.rt.app
    with pytest.raises(PermissionDenied, match="only its leads and accountable officer"):
        app.assess_rag(LEAD2, "plan", "1.1", Rag.GREEN)  # a lead, but of 1.2
    with pytest.raises(PermissionDenied):
        app.assess_rag(NHS, "plan", "1.1", Rag.GREEN)
    with pytest.raises(PermissionDenied):
        app.assess_rag(ADMIN, "plan", "1.1", Rag.GREEN)
    app.assess_rag(OFFICER, "plan", "1.1", Rag.GREEN)  # the accountable officer may


def test_auditor_changes_nothing_even_when_named_as_lead(world: World) -> None:
    from domain.values import Person
    from tests.conftest import action_spec

    world.rt.app.add_action(ADMIN, "plan", action_spec("1.5", leads=[Person("Aud", AUDITOR)]))
    with pytest.raises(PermissionDenied):
        world.rt.app.assess_rag(AUDITOR, "plan", "1.5", Rag.GREEN)


def test_unknown_user_is_named(world: World) -> None:
    with pytest.raises(NotFound, match="no user 'ghost@example.org'"):
        world.rt.app.assess_rag("ghost@example.org", "plan", "1.1", Rag.GREEN)


def test_moving_a_finish_date_is_an_amendment_with_a_reason(world: World) -> None:
    app = world.rt.app
    with pytest.raises(InvalidInput, match="needs a reason"):
        app.amend_action(LEAD, "plan", "1.1", "plan_finish", date(2009, 12, 31), "")
    app.amend_action(LEAD, "plan", "1.1", "plan_finish", date(2009, 12, 31), "partner delay")
    assert view(world, "1.1")["plan_finish"] == "2009-12-31"
    rows = queries.history_rows(
        world.rt.engine,
        queries.plan(world.rt.engine, "plan"),
        queries.HistoryFilter(subject="1.1", kind="Amended"),
    )
    assert rows[-1]["data"]["old"] == "2009-09-30"
    assert rows[-1]["data"]["new"] == "2009-12-31"
    assert rows[-1]["reason"] == "partner delay"


def test_amendment_cannot_put_finish_before_start(world: World) -> None:
    with pytest.raises(InvalidInput, match="before plan start"):
        world.rt.app.amend_action(LEAD, "plan", "1.1", "plan_finish", date(2008, 1, 1), "x")


def test_only_some_fields_are_amendable(world: World) -> None:
    with pytest.raises(InvalidInput, match="'status' cannot be amended"):
        world.rt.app.amend_action(LEAD, "plan", "1.1", "status", "completed", "x")


def test_stale_write_to_the_same_action_is_a_conflict(world: World) -> None:
    app = world.rt.app
    version = app.action("plan", "1.1").version
    app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN, expected_version=version)
    with pytest.raises(Conflict, match="updated by someone else"):
        app.assess_rag(OFFICER, "plan", "1.1", Rag.AMBER, reason="late", expected_version=version)


@pytest.mark.persistence
def test_concurrent_saves_of_one_action_never_lose_an_update(world: World) -> None:
    app = world.rt.app
    first = app.action("plan", "1.1")
    second = app.repository.get(first.id, version=first.version)  # a second reader
    first.assess_rag(Rag.GREEN, actor=LEAD)
    app.record(first)
    second.assess_rag(Rag.RED, actor=OFFICER, reason="late")
    with pytest.raises(Conflict):
        app.record(second)
    assert view(world, "1.1")["reported_rag"] == "green"


def test_two_leads_updating_two_actions_do_not_conflict(world: World) -> None:
    app = world.rt.app
    a = app.action("plan", "1.1")
    b = app.action("plan", "1.2")
    a.assess_rag(Rag.GREEN, actor=LEAD)
    b.assess_rag(Rag.AMBER, actor=LEAD2, reason="staff off sick")
    app.record(a)
    app.record(b)
    assert view(world, "1.1")["reported_rag"] == "green"
    assert view(world, "1.2")["reported_rag"] == "amber"


def test_evidence_is_stored_by_content_hash(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    doc = tmp_path / "minutes.pdf"
    doc.write_bytes(b"%PDF-1.4 minutes")
    stored = world.rt.files.put_file(doc)
    assert world.rt.files.path_for(stored.sha256).read_bytes() == b"%PDF-1.4 minutes"
    eid = world.rt.app.submit_evidence(
        LEAD,
        "plan",
        "1.1",
        stored.name,
        sha256=stored.sha256,
        size=stored.size,
        media_type=stored.media_type,
        criterion=1,
    )
    ev = view(world, "1.1")["evidence"][0]
    assert (ev["id"], ev["sha256"], ev["media_type"], ev["criterion"]) == (
        eid,
        stored.sha256,
        "application/pdf",
        1,
    )


def test_evidence_over_the_size_limit_is_refused(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "big.pdf"
    with big.open("wb") as fh:
        fh.truncate(25 * 1024 * 1024 + 1)
    with pytest.raises(InvalidInput, match="over the limit"):
        world.rt.files.put_file(big)


def test_missing_evidence_file_is_named(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="does not exist"):
        world.rt.files.put_file(tmp_path / "nope.pdf")


def test_only_the_accountable_officer_accepts_evidence(world: World) -> None:
    eid = evidence(world)
    with pytest.raises(PermissionDenied):
        world.rt.app.decide_evidence(LEAD, "plan", "1.1", eid, True)


def test_rejecting_evidence_needs_a_reason(world: World) -> None:
    eid = evidence(world)
    with pytest.raises(InvalidInput, match="needs a reason"):
        world.rt.app.decide_evidence(OFFICER, "plan", "1.1", eid, False)
    world.rt.app.decide_evidence(OFFICER, "plan", "1.1", eid, False, reason="unsigned")
    assert view(world, "1.1")["evidence"][0]["state"] == "rejected"


def test_milestones_and_indicators(world: World) -> None:
    app = world.rt.app
    app.achieve_milestone(LEAD, "plan", "1.1", 1, date(2009, 5, 20))
    with pytest.raises(NotFound, match="no success criterion 2"):
        app.achieve_milestone(LEAD, "plan", "1.1", 2, date(2009, 5, 20))
    with pytest.raises(NotFound, match="no indicator"):
        app.measure_indicator(LEAD, "plan", "1.1", "reviews", 70, date(2009, 5, 20))
    assert view(world, "1.1")["success_criteria"][0]["achieved_on"] == "2009-05-20"


def test_a_refusal_for_an_auditor_names_the_action(world: World) -> None:
    with pytest.raises(PermissionDenied) as refused:
        world.rt.app.submit_evidence(
            AUDITOR, "plan", "1.1", "link", url="https://intranet.example/a"
        )
    assert str(refused.value) == f"{AUDITOR} (auditor) may not submit evidence for action 1.1"
    with pytest.raises(PermissionDenied, match=r"may not verify for action 1\.1$"):
        world.rt.app.change_status(AUDITOR, "plan", "1.1", Status.VERIFIED)


def _with_indicator(world: World) -> None:
    world.rt.app.add_action(
        ADMIN, "plan", action_spec("1.5", indicators=[Indicator("reviews", 75.0)])
    )


# Readings are numbers


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_reading_must_be_a_finite_number(world: World, value: float) -> None:
    app = world.rt.app
    _with_indicator(world)
    with pytest.raises(InvalidInput, match="a reading of 'reviews' must be a number, not"):
        app.measure_indicator(LEAD, "plan", "1.5", "reviews", value, date(2009, 5, 20))
    version = app.action("plan", "1.5").version
    app.measure_indicator(LEAD, "plan", "1.5", "reviews", 80, date(2009, 5, 20))
    assert app.action("plan", "1.5").version == version + 1


# Nothing took effect after today (the clock stands at 2009-06-01)

TOMORROW = date(2009, 6, 2)
TODAY = date(2009, 6, 1)


EFFECTIVE = {
    "start": lambda app, on: app.change_status(
        LEAD, "plan", "1.5", Status.IN_PROGRESS, effective_on=on
    ),
    "complete": lambda app, on: app.change_status(
        LEAD, "plan", "1.5", Status.COMPLETED, effective_on=on
    ),
    "defer": lambda app, on: app.change_status(
        LEAD, "plan", "1.5", Status.DEFERRED, reason="budget", effective_on=on
    ),
    "rag": lambda app, on: app.assess_rag(LEAD, "plan", "1.5", Rag.GREEN, effective_on=on),
    "milestone": lambda app, on: app.achieve_milestone(LEAD, "plan", "1.5", 1, on),
    "measure": lambda app, on: app.measure_indicator(LEAD, "plan", "1.5", "reviews", 70, on),
    "amend": lambda app, on: app.amend_action(
        LEAD, "plan", "1.5", "title", "Renamed", "clearer", effective_on=on
    ),
}


@pytest.mark.parametrize("command", sorted(EFFECTIVE))
def test_an_effective_date_after_today_is_refused(world: World, command: str) -> None:
    _with_indicator(world)
    app = world.rt.app
    version = app.action("plan", "1.5").version
    with pytest.raises(InvalidInput, match=r"2009-06-02, a date after today \(2009-06-01\)"):
        EFFECTIVE[command](app, TOMORROW)
    assert app.action("plan", "1.5").version == version
    EFFECTIVE[command](app, TODAY)
    assert app.action("plan", "1.5").version == version + 1


def test_the_rule_follows_the_clock(world: World, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    clock.set(datetime(2009, 6, 2, 9, 0, tzinfo=UTC))
    world.rt.app.change_status(LEAD, "plan", "1.1", Status.COMPLETED, effective_on=TOMORROW)
    assert view(world, "1.1")["actual_finish"] == "2009-06-02"


# Leads' and accountable officers' emails


def test_a_lead_or_officer_with_a_malformed_email_is_refused(world: World) -> None:
    app = world.rt.app
    with pytest.raises(
        InvalidInput,
        match="action 1.6: lead 'Bad' has the email 'notemail', which is not an email address",
    ):
        app.add_action(ADMIN, "plan", action_spec("1.6", leads=[Person("Bad", "notemail")]))
    with pytest.raises(InvalidInput, match="accountable officer 'Olu' has the email 'olu@'"):
        app.add_action(ADMIN, "plan", action_spec("1.6", accountable=Person("Olu", "olu@")))
    with pytest.raises(InvalidInput, match="lead 'Liz' has the email 'liz at council'"):
        app.amend_action(
            LEAD, "plan", "1.1", "leads", [Person("Liz", "liz at council")], "handed over"
        )
    with pytest.raises(InvalidInput, match="accountable officer 'Olu'"):
        app.amend_action(LEAD, "plan", "1.1", "accountable", Person("Olu", "olu"), "moved")


def test_a_lead_with_no_email_is_allowed(world: World) -> None:
    world.rt.app.add_action(
        ADMIN,
        "plan",
        action_spec("1.6", leads=[Person("Head of Service")], accountable=Person("Director")),
    )
    assert [p["name"] for p in view(world, "1.6")["leads"]] == ["Head of Service"]


# Evidence links


@pytest.mark.parametrize(
    "url",
    [
        "notalink",
        "ftp://files.example/minutes.pdf",
        "javascript:alert(1)",
        "https://",
        "http://a b",
    ],
)
def test_an_evidence_link_must_be_a_web_address(world: World, url: str) -> None:
    with pytest.raises(InvalidInput, match="is not a web address"):
        world.rt.app.submit_evidence(LEAD, "plan", "1.1", url, url=url)
    assert view(world, "1.1")["evidence"] == []


def test_an_evidence_link_may_be_http_or_https(world: World) -> None:
    for url in ("https://intranet.example/minutes.pdf", "HTTP://intranet.example/m?id=3"):
        world.rt.app.submit_evidence(LEAD, "plan", "1.1", url, url=url)
    assert len(view(world, "1.1")["evidence"]) == 2
