"""The web's quick update of an action: every part recorded as one unit, or none."""

from __future__ import annotations

from typing import Any

import pytest

from domain.action import Action
from domain.errors import Conflict, DomainError, PermissionDenied
from domain.values import Rag, Status
from engine.runtime import Runtime
from engine.web.updates import UpdateForm, Upload, apply_update
from projections import queries
from tests.conftest import AUDITOR, LEAD, LEAD2, OFFICER, World

PERIOD = "2009-06"


def events_of(rt: Runtime, ref: str) -> list[dict[str, Any]]:
    rt.runner.catch_up()
    plan = queries.plan(rt.engine, "plan")
    return queries.history_rows(rt.engine, plan, queries.HistoryFilter(subject=ref))


def form(rt: Runtime, ref: str = "1.1", **fields: str) -> UpdateForm:
    version = str(rt.app.action("plan", ref).version)
    return UpdateForm.from_fields({"version": version, **fields}, None)


def test_a_valid_rating_with_an_impossible_status_records_nothing(world: World) -> None:
    rt = world.rt
    rt.app.change_status(LEAD, "plan", "1.1", Status.DEFERRED, reason="waiting for funding")
    before = events_of(rt, "1.1")
    update = form(
        rt, rag="amber", rag_reason="funding late", progress="Bid resubmitted.", status="completed"
    )
    with pytest.raises(DomainError, match="cannot become completed from deferred"):
        apply_update(rt, LEAD, "plan", "1.1", update, PERIOD)
    assert events_of(rt, "1.1") == before
    action = rt.app.action("plan", "1.1")
    assert action.reported_rag is None and action.status is Status.DEFERRED
    assert rt.app.action("plan", "1.1").version == int(update.version)


def test_every_part_is_recorded_together_in_order(world: World) -> None:
    rt = world.rt
    upload = Upload("audit-plan.txt", b"The audit plan.\n", "text/plain")
    update = UpdateForm.from_fields(
        {
            "version": str(rt.app.action("plan", "1.1").version),
            "rag": "amber",
            "rag_reason": "audit slipped",
            "progress": "Audit booked for July.",
            "risk": "Auditor availability.",
            "status": "in_progress",
            "evidence_note": "the plan",
        },
        upload,
    )
    before = len(events_of(rt, "1.1"))
    assert apply_update(rt, LEAD, "plan", "1.1", update, PERIOD) == [
        "RAG",
        "progress",
        "status",
        "evidence",
    ]
    recorded = events_of(rt, "1.1")[before:]
    assert [e["kind"] for e in recorded] == [
        "Action.RagAssessed",
        "Action.ProgressReported",
        "Action.StatusChanged",
        "Action.EvidenceSubmitted",
    ]
    assert {e["actor"] for e in recorded} == {LEAD}
    action = rt.app.action("plan", "1.1")
    assert action.version == update.version + 4
    assert action.reported_rag is Rag.AMBER and action.status is Status.IN_PROGRESS
    (evidence,) = action.evidence.values()
    assert evidence.name == "audit-plan.txt" and rt.files.path_for(evidence.sha256).is_file()


def test_a_stale_version_is_a_conflict_that_records_nothing(world: World) -> None:
    rt = world.rt
    update = form(rt, rag="green", progress="On track.")
    rt.app.report_progress(LEAD, "plan", "1.1", PERIOD, "Someone else's words.")
    before = events_of(rt, "1.1")
    with pytest.raises(Conflict, match="updated by someone else"):
        apply_update(rt, LEAD, "plan", "1.1", update, PERIOD)
    assert events_of(rt, "1.1") == before


def test_a_write_by_someone_else_while_saving_is_a_conflict_that_records_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another person's change lands while the update's status part is applied, after its
    rating and narrative were: the update is refused as a whole."""
    rt = world.rt
    change_status = Action.change_status
    interposed: list[bool] = []

    def someone_else_writes_first(self: Action, *args: Any, **kwargs: Any) -> None:
        if not interposed:
            interposed.append(True)
            rt.app.report_progress(OFFICER, "plan", self.ref, PERIOD, "Written in between.")
        change_status(self, *args, **kwargs)

    update = form(rt, rag="amber", rag_reason="late", progress="Mine.", status="in_progress")
    before = len(events_of(rt, "1.1"))
    monkeypatch.setattr(Action, "change_status", someone_else_writes_first)
    with pytest.raises(Conflict):
        apply_update(rt, LEAD, "plan", "1.1", update, PERIOD)
    monkeypatch.undo()
    assert interposed
    after = events_of(rt, "1.1")[before:]
    assert [(e["kind"], e["actor"]) for e in after] == [("Action.ProgressReported", OFFICER)]
    action = rt.app.action("plan", "1.1")
    assert action.reported_rag is None and action.status is Status.NOT_STARTED


@pytest.mark.parametrize(
    ("who", "fields", "refusal"),
    [
        (AUDITOR, {"progress": "Audited."}, "report progress on action 1.1"),
        (LEAD2, {"rag": "green", "progress": "Not mine."}, "only its leads"),
        # A lead may rate the action but not verify it: the rating is not kept either.
        (LEAD, {"rag": "green", "status": "verified"}, "only its accountable officer"),
    ],
)
def test_a_part_the_person_may_not_record_refuses_the_whole_update(
    world: World, who: str, fields: dict[str, str], refusal: str
) -> None:
    rt = world.rt
    before = events_of(rt, "1.1")
    with pytest.raises(PermissionDenied, match=refusal):
        apply_update(rt, who, "plan", "1.1", form(rt, **fields), PERIOD)
    assert events_of(rt, "1.1") == before
