"""The three-way re-import: a sheet imported again is compared with the sheet as it was
last imported (each action's base), not with the plan as it stands.

Only cells the sheet changed since are recorded; what the application changed since
stays; a field changed on both sides is a conflict, listed with who changed it in the
plan and when, and left as the plan has it unless a side is preferred.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock
from domain.errors import InvalidInput
from domain.values import Person, Rag, Status
from engine.importing.record import ImportResult, import_plan
from engine.runtime import Runtime
from projections import queries
from tests.cli import Cli
from tests.conftest import ADMIN, LEAD, LEAD2, open_runtime, people
from tests.test_import_record import write_csv

HEADS = ["Ref", "Action", "Lead", "Plan Start", "Plan Finish", "This Month RAG",
         "Report of Progress"]  # fmt: skip
ROWS = [
    ["1.1", "Audit cases", "Lee Lead", "Jan-09", "Sep-09", "Green", "Started"],
    ["1.2", "Train staff", "Lee Lead", "Jan-09", "Oct-09", "Green", ""],
    ["1.3", "Publish policy", "Lee Lead", "Jan-09", "Nov-09", "Green", ""],
]


def sheet(tmp_path: Path, name: str = "plan.csv", **cells: str) -> Path:
    """The council's sheet, with ``cells`` changed: ``{"1.2 Plan Finish": "Dec-09"}``
    is written as keyword ``**{"1.2 Plan Finish": ...}``."""
    rows = [list(r) for r in ROWS]
    for key, value in cells.items():
        ref, heading = key.split(" ", 1)
        [row] = [r for r in rows if r[0] == ref]
        row[HEADS.index(heading)] = value
    return write_csv(tmp_path / name, [HEADS, *rows])


def run(rt: Runtime, path: Path, **kwargs: Any) -> ImportResult:
    return import_plan(rt, ADMIN, path, slug="plan", **kwargs)


def finish(rt: Runtime, ref: str) -> date | None:
    return rt.app.action("plan", ref).plan_finish


def stored(rt: Runtime) -> int:
    return int(rt.app.recorder.max_notification_id() or 0)


@pytest.fixture
def imported(rt: Runtime, tmp_path: Path) -> Runtime:
    """The plan imported once from the council's sheet; the lead is Lee Lead."""
    people(rt)
    assert run(rt, sheet(tmp_path)).recorded
    return rt


def moved_by_the_lead(rt: Runtime, clock: FixedClock, ref: str, to: date) -> None:
    clock.set(datetime(2009, 6, 3, 14, 30, tzinfo=UTC))
    rt.app.amend_action(LEAD, "plan", ref, "plan_finish", to, "Re-baselined")


def test_the_import_keeps_each_actions_cells_as_read(imported: Runtime) -> None:
    view = queries.actions(imported.engine, queries.plan(imported.engine, "plan"))[0]
    base = view["imported"]
    assert base["file"] == "plan.csv" and len(base["digest"]) == 64
    assert base["cells"]["plan_finish"] == "2009-09-30" and base["cells"]["leads"] == ["Lee Lead"]
    assert base["cells"]["rag"] == "green" and base["cells"]["progress"] == ["Started", None]


def test_an_unchanged_sheet_imported_again_records_nothing(
    imported: Runtime, tmp_path: Path
) -> None:
    before = stored(imported)
    again = run(imported, sheet(tmp_path, "again.csv"))  # another name, the same cells
    assert again.ok and not again.recorded and not again.events and not again.bases
    assert not again.conflicts and not again.two_way
    assert stored(imported) == before
    assert "already has every change the file made since its last import" in again.render_text()


def test_a_change_made_in_the_plan_stays(
    imported: Runtime, tmp_path: Path, clock: FixedClock
) -> None:
    moved_by_the_lead(imported, clock, "1.2", date(2009, 12, 31))
    before = stored(imported)
    again = run(imported, sheet(tmp_path))
    assert not again.recorded and not again.conflicts and stored(imported) == before
    assert finish(imported, "1.2") == date(2009, 12, 31)


def test_a_change_made_in_the_sheet_is_recorded(imported: Runtime, tmp_path: Path) -> None:
    result = run(imported, sheet(tmp_path, **{"1.3 Plan Finish": "Jan-10"}))
    assert result.recorded and result.changed_actions == ["1.3"] and result.bases == ["1.3"]
    assert [c.what for c in result.changes] == ["plan_finish 2009-11-30 → 2010-01-31"]
    assert finish(imported, "1.3") == date(2010, 1, 31)
    # The new base is the sheet's: the same sheet again records nothing.
    assert not run(imported, sheet(tmp_path, **{"1.3 Plan Finish": "Jan-10"})).recorded


def test_the_same_change_on_both_sides_is_no_conflict(
    imported: Runtime, tmp_path: Path, clock: FixedClock
) -> None:
    moved_by_the_lead(imported, clock, "1.2", date(2009, 12, 31))
    result = run(imported, sheet(tmp_path, **{"1.2 Plan Finish": "Dec-09"}))
    assert not result.conflicts and not result.events and not result.recorded


@pytest.mark.persistence  # who changed it and when are read from the stored events
def test_a_field_changed_on_both_sides_is_a_conflict_left_as_the_plan_has_it(
    imported: Runtime, tmp_path: Path, clock: FixedClock
) -> None:
    moved_by_the_lead(imported, clock, "1.2", date(2009, 12, 31))
    before = stored(imported)
    path = sheet(tmp_path, **{"1.2 Plan Finish": "Mar-10", "1.1 Plan Finish": "Oct-09"})
    result = run(imported, path)
    [conflict] = result.conflicts
    assert (conflict.ref, conflict.field, conflict.resolution) == (
        "1.2",
        "plan_finish",
        "kept plan",
    )
    assert (conflict.base, conflict.sheet, conflict.plan) == (
        "2009-10-31",
        "2010-03-31",
        "2009-12-31",
    )
    assert (conflict.by, conflict.at) == (LEAD, datetime(2009, 6, 3, 14, 30, tzinfo=UTC))
    assert finish(imported, "1.2") == date(2009, 12, 31)
    # The other action's change is recorded, the conflicted one's is not.
    assert result.changed_actions == ["1.1"] and finish(imported, "1.1") == date(2009, 10, 31)
    assert stored(imported) == before + 2  # 1.1's amendment and its new base
    text = result.render_text()
    assert "Conflicts: 1 fields changed both in the sheet and in the plan" in text
    assert f"1.2  plan_finish  2010-03-31  2009-12-31  {LEAD}" in text
    assert "2009-06-03 14:30  kept plan" in text
    [listed] = result.to_dict()["recording"]["conflicts"]
    assert listed == {
        "ref": "1.2", "row": 3, "field": "plan_finish", "base": "2009-10-31",
        "sheet": "2010-03-31", "plan": "2009-12-31", "changed_by": LEAD,
        "changed_at": "2009-06-03T14:30:00+00:00", "resolution": "kept plan",
    }  # fmt: skip
    # Left open, it is listed again by the next import of the sheet, which records nothing.
    before = stored(imported)
    again = run(imported, path)
    assert [c.ref for c in again.conflicts] == ["1.2"] and stored(imported) == before


def test_prefer_sheet_takes_the_sheets_value(
    imported: Runtime, tmp_path: Path, clock: FixedClock
) -> None:
    moved_by_the_lead(imported, clock, "1.2", date(2009, 12, 31))
    result = run(imported, sheet(tmp_path, **{"1.2 Plan Finish": "Mar-10"}), prefer=["sheet"])
    assert [c.resolution for c in result.conflicts] == ["took sheet"]
    assert finish(imported, "1.2") == date(2010, 3, 31)
    assert "took sheet" in result.render_text()
    assert not run(imported, sheet(tmp_path, **{"1.2 Plan Finish": "Mar-10"})).recorded


def test_prefer_sheet_for_one_action_takes_only_that_actions_value(
    imported: Runtime, tmp_path: Path, clock: FixedClock
) -> None:
    moved_by_the_lead(imported, clock, "1.2", date(2009, 12, 31))
    moved_by_the_lead(imported, clock, "1.3", date(2010, 1, 31))
    path = sheet(tmp_path, **{"1.2 Plan Finish": "Mar-10", "1.3 Plan Finish": "Apr-10"})
    result = run(imported, path, prefer=["sheet:1.3"])
    assert [(c.ref, c.resolution) for c in result.conflicts] == [
        ("1.2", "kept plan"), ("1.3", "took sheet"),
    ]  # fmt: skip
    assert finish(imported, "1.2") == date(2009, 12, 31)
    assert finish(imported, "1.3") == date(2010, 4, 30)


def test_prefer_plan_keeps_the_plans_value_and_settles_the_conflict(
    imported: Runtime, tmp_path: Path, clock: FixedClock
) -> None:
    moved_by_the_lead(imported, clock, "1.2", date(2009, 12, 31))
    path = sheet(tmp_path, **{"1.2 Plan Finish": "Mar-10"})
    result = run(imported, path, prefer=["plan"])
    assert [c.resolution for c in result.conflicts] == ["plan preferred"]
    assert finish(imported, "1.2") == date(2009, 12, 31)
    text = result.render_text()
    assert "Conflicts:" not in text  # not listed as a conflict to settle, but counted
    assert "1 conflicts settled by --prefer plan: the plan's values kept." in text
    # Only the new base is recorded: the sheet's value is taken as seen.
    assert result.recorded and not result.events and result.bases == ["1.2"]
    again = run(imported, path)
    assert not again.conflicts and not again.recorded


@pytest.mark.parametrize(
    ("prefer", "problem"),
    [
        (["both"], "give plan, sheet or sheet:REF"),
        (["plan:1.1"], "give plan, sheet or sheet:REF"),
        (["sheet:"], "give plan, sheet or sheet:REF"),
        (["plan", "sheet"], "contradict each other"),
        (["sheet:9.9"], "action 9.9 is not in the file"),
    ],
)
def test_a_prefer_that_names_nothing_is_refused(
    imported: Runtime, tmp_path: Path, prefer: list[str], problem: str
) -> None:
    before = stored(imported)
    with pytest.raises(InvalidInput, match=problem):
        run(imported, sheet(tmp_path, **{"1.2 Plan Finish": "Mar-10"}), prefer=prefer)
    assert stored(imported) == before


def test_a_rating_and_progress_are_merged_too(
    imported: Runtime, tmp_path: Path, clock: FixedClock
) -> None:
    clock.set(datetime(2009, 6, 4, 10, 0, tzinfo=UTC))
    imported.app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason="Slipping")
    # The sheet's unchanged green does not undo the lead's amber; its new progress is kept.
    result = run(imported, sheet(tmp_path, **{"1.1 Report of Progress": "Half done"}))
    assert imported.app.action("plan", "1.1").reported_rag is Rag.AMBER
    assert [c.what for c in result.changes] == ["progress reported for 2009-06: Half done"]
    # A red in the sheet against the lead's amber is a conflict.
    red = run(imported, sheet(tmp_path, **{"1.1 This Month RAG": "Red",
                                           "1.1 Report of Progress": "Half done"}))  # fmt: skip
    assert [(c.field, c.sheet, c.plan, c.by) for c in red.conflicts] == [
        ("rag", "red", "amber", LEAD)
    ]


def test_a_new_action_is_added_and_a_missing_one_reported(
    imported: Runtime, tmp_path: Path
) -> None:
    rows = [
        HEADS,
        ROWS[0],
        ROWS[1],
        ["1.4", "Survey users", "Lee Lead", "Jan-09", "Dec-09", "", ""],
    ]
    result = run(imported, write_csv(tmp_path / "next.csv", rows))
    assert result.actions_added == ["1.4"] and result.missing == ["1.3"]
    assert "1.3" in {
        a["ref"] for a in queries.actions(imported.engine, queries.plan(imported.engine, "plan"))
    }
    assert not run(imported, write_csv(tmp_path / "next.csv", rows)).recorded


@pytest.mark.persistence
def test_an_old_store_has_no_base_and_is_compared_two_way_until_one_is_kept(
    tmp_path: Path, clock: FixedClock
) -> None:
    """The demo store was written before imports kept a base: its plan is compared with
    the sheet as it stands, as before, and says so; a change recorded keeps a base."""
    copy = tmp_path / "old.db"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "stores" / "demo-2026-12-02.db", copy)
    rt = open_runtime(f"sqlite:///{copy}", tmp_path)
    try:
        admin, slug = "plan.admin@leeds.example", "leeds-iwc"
        view = next(
            a for a in queries.actions(rt.engine, queries.plan(rt.engine, slug))
            if a["status"] in ("not_started", "in_progress") and a["plan_finish"]
        )  # fmt: skip
        ref, was = view["ref"], date.fromisoformat(view["plan_finish"])
        rows = [["Ref", "Action", "Plan Finish"], [ref, view["title"], was.strftime("%d/%m/%Y")]]
        path = write_csv(tmp_path / "council.csv", rows)
        clock.set(datetime(2009, 9, 1, 9, 0, tzinfo=UTC))
        rt.app.amend_action(admin, slug, ref, "plan_finish", date(2010, 6, 30), "Re-baselined")
        first = import_plan(rt, admin, path, slug=slug)
        assert first.two_way == [ref] and not first.conflicts
        assert "compared with the plan as it stands" in first.render_text()
        assert rt.app.action(slug, ref).plan_finish == was  # two-way: the sheet wins
        assert first.bases == [ref]
        # Now with a base: the plan's next change stays.
        rt.app.amend_action(admin, slug, ref, "plan_finish", date(2010, 9, 30), "Re-baselined")
        second = import_plan(rt, admin, path, slug=slug)
        assert not second.two_way and not second.recorded
        assert rt.app.action(slug, ref).plan_finish == date(2010, 9, 30)
    finally:
        rt.close()


# ---------------------------------------------------------------------------------------------
# The scenario, end to end through the command line
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.persistence
def test_a_lead_moves_two_dates_and_the_councils_sheet_is_imported_again(
    db_url: str, tmp_path: Path
) -> None:
    cli = Cli(tmp_path, db_url)
    cli.ok("users", "add", ADMIN, "--name", "Ada Admin", "--role", "admin")
    cli.ok("users", "add", LEAD, "--name", "Lee Lead", "--role", "lead", user=ADMIN)
    rows = [
        HEADS,
        ["1", "Audit cases", "Lee Lead", "Apr-26", "Sep-26", "Green", "Started"],
        ["2", "Train staff", "Lee Lead", "Apr-26", "Oct-26", "Green", ""],
        ["3", "Publish policy", "Lee Lead", "Apr-26", "Nov-26", "Green", ""],
    ]
    council = write_csv(tmp_path / "council.csv", rows)
    cli.ok("import", str(council), "--plan", "council", user=ADMIN)
    for ref, to in (("2", "2026-12-15"), ("3", "2027-01-29")):
        cli.ok("action", "amend", "council", ref, "plan_finish", to, "--reason", "Re-baselined",
               user=LEAD)  # fmt: skip

    unchanged = cli.ok("import", str(council), "--plan", "council", user=ADMIN)
    assert "Nothing to record: plan council already has every change the file made" in unchanged
    shown = cli.json("show", "council", user=ADMIN)
    finishes = {a["ref"]: a["plan_finish"] for a in shown["actions"]}
    assert (finishes["2"], finishes["3"]) == ("2026-12-15", "2027-01-29")

    rows[3][4] = "Dec-26"  # the council moves action 3 too, to another date
    council = write_csv(tmp_path / "council.csv", rows)
    dry = json.loads(cli.ok("import", str(council), "--plan", "council", "--dry-run",
                            "--format", "json", user=ADMIN))  # fmt: skip
    [conflict] = dry["recording"]["conflicts"]
    assert (conflict["ref"], conflict["sheet"], conflict["plan"], conflict["changed_by"]) == (
        "3", "2026-12-31", "2027-01-29", LEAD,
    )  # fmt: skip
    kept = cli.ok("import", str(council), "--plan", "council", user=ADMIN)
    assert "Conflicts: 1 fields changed both" in kept and "kept plan" in kept
    one = cli.ok("import", str(council), "--plan", "council", "--prefer", "sheet:3", user=ADMIN)
    assert "took sheet" in one
    shown = cli.json("show", "council", user=ADMIN)
    finishes = {a["ref"]: a["plan_finish"] for a in shown["actions"]}
    assert (finishes["2"], finishes["3"]) == ("2026-12-15", "2026-12-31")
    bad = cli("import", str(council), "--plan", "council", "--prefer", "sheet:9", user=ADMIN)
    assert bad.returncode == 1 and "action 9 is not in the file" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_blanked_cell_keeps_its_base_so_a_plan_change_before_it_still_conflicts(
    imported: Runtime, tmp_path: Path
) -> None:
    liz = Person("Liz Lead", LEAD2)
    imported.app.amend_action(ADMIN, "plan", "1.1", "leads", [liz], "Handed over")
    blanked = run(imported, sheet(tmp_path, **{"1.1 Lead": "", "1.1 Plan Finish": "Oct-09"}))
    assert blanked.bases == ["1.1"] and not blanked.conflicts
    named = run(
        imported, sheet(tmp_path, **{"1.1 Lead": "Olu Officer", "1.1 Plan Finish": "Oct-09"})
    )
    assert [(c.field, c.sheet, c.plan) for c in named.conflicts] == [
        ("leads", ["Olu Officer"], ["Liz Lead"])
    ]
    assert [p.name for p in imported.app.action("plan", "1.1").leads] == ["Liz Lead"]


def test_a_completion_in_the_sheet_follows_a_start_made_in_the_plan(
    imported: Runtime, tmp_path: Path, clock: FixedClock
) -> None:
    imported.app.change_status(LEAD, "plan", "1.1", Status.IN_PROGRESS)
    heads = [*HEADS, "Actual Finish"]
    rows = [[*r, ""] for r in ROWS]
    rows[0][-1] = "20/05/2009"
    result = run(imported, write_csv(tmp_path / "done.csv", [heads, *rows]))
    assert not result.conflicts and [c.what for c in result.changes] == ["completed on 2009-05-20"]
    assert imported.app.action("plan", "1.1").status is Status.COMPLETED
