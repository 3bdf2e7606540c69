"""Recording an imported spreadsheet: a new plan as one unit, and the changes an updated
sheet brings to a plan already kept, on SQLite and PostgreSQL.

The seed fixtures under tests/fixtures/import are real councils' plans; small sheets
written in tmp_path test one rule each.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock
from domain.errors import NotFound, PermissionDenied
from domain.ids import plan_id
from domain.values import Rag, Status
from engine.importing import ImportFileError, Severity
from engine.importing.record import ImportResult, import_plan
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, LEAD, people
from tests.test_import_parse import write_big_plan

FIXTURES = Path(__file__).parent / "fixtures" / "import"
HEADINGS = ["Ref", "Action", "Lead", "Plan Start", "Plan Finish", "Actual Finish", "This Month RAG",
            "Report of Progress", "Risk Report"]  # fmt: skip


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def run(rt: Runtime, path: Path, slug: str = "plan", **kwargs: Any) -> ImportResult:
    return import_plan(rt, ADMIN, path, slug=slug, **kwargs)


def actions(rt: Runtime, slug: str = "plan") -> dict[str, dict[str, Any]]:
    return {a["ref"]: a for a in queries.actions(rt.engine, queries.plan(rt.engine, slug))}


def history(rt: Runtime, slug: str = "plan", kind: str | None = None) -> list[dict[str, Any]]:
    view = queries.plan(rt.engine, slug)
    return queries.history_rows(rt.engine, view, queries.HistoryFilter(kind=kind))


def event_count(rt: Runtime) -> int:
    return int(rt.app.recorder.max_notification_id() or 0)


def reasons(result: ImportResult, text: str) -> list[Any]:
    return [i for i in result.report.issues if text in i.reason]


@pytest.fixture
def admin_rt(rt: Runtime) -> Runtime:
    people(rt)
    return rt


@pytest.fixture
def september(clock: FixedClock) -> None:
    """The Leeds sheet is the August 2009 report, imported when it was presented."""
    clock.set(datetime(2009, 9, 7, 9, 0, tzinfo=UTC))


# ---------------------------------------------------------------------------------------------
# The four councils' plans, as CSV/TSV and as workbooks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["telford.csv", "telford.xlsx"])
def test_telford_is_recorded(admin_rt: Runtime, name: str) -> None:
    result = run(admin_rt, FIXTURES / name)
    assert result.recorded and result.created and result.ok
    plan = queries.plan(admin_rt.engine, "plan")
    assert plan["title"] == "Draft Improvement Plan Telford & Wrekin Council"
    assert len(plan["groups"]) == 18 and plan["groups"][0]["page"] == "11"
    assert plan["groups"][0]["evidence_expected"][0].startswith("Multi agency approval")
    found = actions(admin_rt)
    assert len(found) == 64
    assert found["1.4"]["plan_finish"] == "2011-01-31" and found["1.4"]["group"] == "1"
    assert (found["11.1"]["plan_start"], found["11.1"]["plan_finish"]) == ("2010-07-01", None)
    assert found["1.6"]["recurrence"] == "ongoing"
    assert result.events == {"Plan.Registered": 1, "Plan.GroupAdded": 18, "Action.Added": 64}
    assert result.to_dict()["recording"]["rows"][0] == {"ref": "1.1", "row": 7, "outcome": "added"}


@pytest.mark.parametrize("name", ["sefton.csv", "sefton.xlsx"])
def test_sefton_is_recorded(admin_rt: Runtime, name: str) -> None:
    result = run(admin_rt, FIXTURES / name)
    assert result.recorded
    plan = queries.plan(admin_rt.engine, "plan")
    assert [(g["ref"], g["parent"]) for g in plan["groups"]][:4] == [
        ("O1", None), ("1", "O1"), ("2", "O1"), ("3", "O1"),
    ]  # fmt: skip
    found = actions(admin_rt)
    assert len(found) == 19 and found["1"]["group"] == "1"
    assert any(c["due"] for c in found["1"]["success_criteria"])
    # A "Completed" with no actual finish is recorded on the plan finish, and said so.
    [completed] = [a for a in found.values() if a["status"] == "completed"]
    [warned] = reasons(result, "completed but the file gives no actual finish")
    assert completed["actual_finish"] and completed["actual_finish"] in warned.reason
    assert result.events["Action.StatusChanged"] == 1


@pytest.mark.parametrize("name", ["essex.tsv", "essex.xlsx"])
def test_essex_is_recorded(admin_rt: Runtime, name: str) -> None:
    result = run(admin_rt, FIXTURES / name)
    assert result.recorded
    found = actions(admin_rt)
    assert len(found) == 23 and len(queries.plan(admin_rt.engine, "plan")["groups"]) == 3
    first = found["1.1"]
    assert first["accountable"]["email"] == "sue.hawkins@essex.gov.uk"
    with_progress = [a for a in found.values() if a["progress"]]
    assert len(with_progress) == result.events["Action.ProgressReported"] == 10
    assert all(a["progress_period"] == "2009-06" for a in with_progress)  # the clock's month
    assert reasons(result, "no reference number")  # the parser's warnings are kept


@pytest.mark.usefixtures("september")
@pytest.mark.parametrize("name", ["leeds.csv", "leeds.xlsx"])
def test_leeds_is_recorded_with_rag_progress_and_status(admin_rt: Runtime, name: str) -> None:
    result = run(admin_rt, FIXTURES / name)
    assert result.recorded
    assert [g["ref"] for g in queries.plan(admin_rt.engine, "plan")["groups"]] == [
        "1", "2", "6", "3", "4", "5", "7",
    ]  # fmt: skip
    found = actions(admin_rt)
    assert len(found) == 26
    done = found["1.1"]
    assert (done["status"], done["actual_finish"]) == ("completed", "2008-11-30")
    assert done["leads"][0]["name"] == "Dennis Holmes" and done["progress"] == "COMPLETED"
    amber = found["2.4"]
    assert amber["reported_rag"] == "amber"
    # With no reason column, the row's progress text is the rating's reason.
    # The rating says where it was read and whose it is.
    assert amber["progress"] == "X-ref 2.1"
    assert amber["rag_reason"] == (
        f"X-ref 2.1 (rated in {name}, row 29; lead Richard Graham, Brian Ratner, Nyoka "
        "Fothergill, Jim Traynor, Phil Schofield, Jane Moran, Graham Heffernan, Steve "
        "Bardsley, Hilary Paxton)"
    )
    assert amber["plan_finish"] == "2009-12-31"
    # Last month's red, then this month's amber: both ratings are in the history.
    rated = [r for r in history(admin_rt, kind="RagAssessed") if r["subject"] == "2.4"]
    assert [(r["data"]["rag"], r["effective_on"], r["reason"]) for r in rated] == [
        ("red", "2009-08-31", amber["rag_reason"]),
        ("amber", None, amber["rag_reason"]),
    ]
    assert all(r["actor"] == ADMIN for r in rated)
    assert not reasons(result, "no reason")
    assert reasons(result, "rated blue but the file gives no actual finish")


def test_a_completion_after_the_day_of_the_import_is_warned_and_the_action_kept_open(
    admin_rt: Runtime,
) -> None:
    # Imported on 1 June 2009 (the clock), the August report's completions are to come.
    result = run(admin_rt, FIXTURES / "leeds.csv")
    assert result.recorded and len(actions(admin_rt)) == 26
    [later] = [i for i in reasons(result, "after today") if "action 2.3 " in i.reason]
    assert later.value == "2009-08-31" and "completion is not recorded" in later.reason
    assert actions(admin_rt)["2.3"]["status"] != "completed"
    assert actions(admin_rt)["1.1"]["status"] == "completed"  # finished in November 2008


@pytest.mark.usefixtures("september")
def test_a_formula_cell_records_its_calculated_value_and_is_reported(admin_rt: Runtime) -> None:
    result = run(admin_rt, FIXTURES / "leeds.xlsx")
    assert actions(admin_rt)["2.4"]["plan_finish"] == "2009-12-31"
    [formula] = reasons(result, "holds the formula")
    assert (formula.row, formula.column, formula.value) == (29, "Plan Finish", "=DATE(2009,12,31)")


@pytest.mark.usefixtures("september")
@pytest.mark.parametrize(
    "name", ["telford.csv", "sefton.xlsx", "essex.tsv", "leeds.csv", "leeds.xlsx"]
)
def test_the_same_file_twice_records_nothing_the_second_time(admin_rt: Runtime, name: str) -> None:
    run(admin_rt, FIXTURES / name)
    before = event_count(admin_rt)
    again = run(admin_rt, FIXTURES / name)
    assert again.ok and not again.created and not again.recorded
    assert not again.events and not again.changes and not again.missing
    assert len(again.unchanged) == again.report.actions
    assert event_count(admin_rt) == before
    assert "already has every change the file made since its last import" in again.render_text()


@pytest.mark.slow
@pytest.mark.persistence
def test_fifty_thousand_rows(admin_rt: Runtime, tmp_path: Path) -> None:
    path = write_big_plan(tmp_path / "big.csv", 50_000)
    result = run(admin_rt, path, slug="big")
    assert result.recorded and len(result.actions_added) == 50_000
    assert result.events["Action.RagAssessed"] == 50_000
    last = admin_rt.app.action("big", "500.100")
    assert (last.plan_finish, last.reported_rag) == (date(2010, 9, 30), Rag.GREEN)
    again = run(admin_rt, path, slug="big")
    assert not again.recorded and len(again.unchanged) == 50_000


def test_a_few_thousand_rows(admin_rt: Runtime, tmp_path: Path) -> None:
    rows = [["Ref", "Action", "Lead", "Plan Finish", "RAG"]]
    rows += [[f"{n}", f"Action {n}", "Ann Smith", "Sep-10", "Green"] for n in range(1, 2001)]
    result = run(admin_rt, write_csv(tmp_path / "plan.csv", rows))
    assert result.recorded and len(actions(admin_rt)) == 2000


# ---------------------------------------------------------------------------------------------
# An updated sheet
# ---------------------------------------------------------------------------------------------


def first_version(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "plan-v1.csv",
        [
            HEADINGS,
            ["Recommendation 1: Safeguarding"],
            ["1.1", "Audit cases", "Ann Smith", "Jan-09", "Sep-09", "", "Green", "Started", ""],
            ["1.2", "Train staff", "Bob Jones", "Jan-09", "Oct-09", "", "Green", "", ""],
            ["1.3", "Publish policy", "Ann Smith", "Jan-09", "Nov-09", "", "Amber", "Drafted",
             "Delay"],
            ["1.4", "Review board", "Ann Smith", "Jan-09", "Dec-09", "", "Green", "", ""],
            ["1.5", "Survey users", "Ann Smith", "Jan-09", "Dec-09", "", "", "", ""],
        ],
    )  # fmt: skip


def second_version(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "plan-v2.csv",
        [
            HEADINGS,
            ["Recommendation 1: Safeguarding"],
            ["1.1", "Audit cases", "Ann Smith", "Jan-09", "Dec-09", "", "Green", "Started", ""],
            ["1.2", "Train staff", "Bob Jones", "Jan-09", "Oct-09", "", "Red", "",
             "The trainer has left"],
            ["1.3", "Publish policy", "Ann Smith", "Jan-09", "Nov-09", "", "Amber",
             "Consulted on the draft", "Delay"],
            ["1.4", "Review board", "Ann Smith", "Jan-09", "Dec-09", "15/05/2009", "Green", "", ""],
            ["Recommendation 2: Quality assurance"],
            ["2.1", "Audit files", "Bob Jones", "Feb-09", "Mar-10", "", "", "", ""],
        ],
    )  # fmt: skip


def test_an_updated_sheet_records_each_changed_cell(admin_rt: Runtime, tmp_path: Path) -> None:
    run(admin_rt, first_version(tmp_path))
    seq = history(admin_rt)[-1]["seq"]
    result = run(admin_rt, second_version(tmp_path))
    assert result.recorded and not result.created
    new = [r for r in history(admin_rt) if r["seq"] > seq]
    by = {(r["subject"], r["kind"]): r for r in new}
    amended = by[("1.1", "Action.Amended")]
    assert amended["reason"] == "imported from plan-v2.csv"
    assert (amended["data"]["field"], amended["data"]["old"], amended["data"]["new"]) == (
        "plan_finish", "2009-09-30", "2009-12-31",
    )  # fmt: skip
    assert by[("1.2", "Action.RagAssessed")]["data"]["rag"] == "red"
    assert (
        by[("1.2", "Action.RagAssessed")]["reason"]
        == "The trainer has left (rated in plan-v2.csv, row 4; lead Bob Jones)"
    )
    progress = by[("1.3", "Action.ProgressReported")]
    assert (progress["data"]["narrative"], progress["data"]["period"]) == (
        "Consulted on the draft", "2009-06",
    )  # fmt: skip
    completed = by[("1.4", "Action.StatusChanged")]
    assert (completed["data"]["status"], completed["effective_on"]) == ("completed", "2009-05-15")
    assert ("2.1", "Action.Added") in by and (
        "plan plan", "Plan.GroupAdded") in by  # fmt: skip
    # One event per changed cell, nothing for the unchanged ones; and the new base of
    # each action the sheet changed or added.
    bases = [r["subject"] for r in new if r["kind"] == "Action.SheetImported"]
    assert sorted(bases) == sorted(result.bases) == ["1.1", "1.2", "1.3", "1.4", "2.1"]
    new = [r for r in new if r["kind"] != "Action.SheetImported"]
    assert sorted((r["subject"], r["kind"]) for r in new) == sorted([
        ("1.1", "Action.Amended"), ("1.2", "Action.RagAssessed"),
        ("1.2", "Action.Amended"),  # the risk, kept as a note: no progress to report it with
        ("1.3", "Action.ProgressReported"), ("1.4", "Action.StatusChanged"),
        ("2.1", "Action.Added"), ("plan plan", "Plan.GroupAdded"),
    ])  # fmt: skip
    assert result.changed_actions == ["1.1", "1.2", "1.3", "1.4"]
    assert result.unchanged == []
    # Left out of the sheet is not deleted: reported, and kept.
    assert result.missing == ["1.5"]
    [missing] = reasons(result, "not in the file")
    assert missing.value == "1.5" and missing.severity is Severity.WARNING
    assert "1.5" in actions(admin_rt)
    text = result.render_text()
    assert "1.1  plan_finish 2009-09-30 → 2009-12-31" in text
    assert "1 actions of the plan are not in the file (kept): 1.5" in text
    # The updated sheet, imported again, changes nothing.
    assert not run(admin_rt, second_version(tmp_path)).events


def test_a_blank_cell_never_clears_and_notes_are_added_to(
    admin_rt: Runtime, tmp_path: Path
) -> None:
    heads = ["Ref", "Action", "Lead", "Plan Finish", "Notes"]
    run(
        admin_rt, write_csv(tmp_path / "a.csv", [heads, ["1", "Audit", "Ann Smith", "Sep-09", "x"]])
    )
    result = run(admin_rt, write_csv(tmp_path / "b.csv", [heads, ["1", "Audit", "", "", "y"]]))
    action = admin_rt.app.action("plan", "1")
    assert action.plan_finish == date(2009, 9, 30) and [p.name for p in action.leads] == [
        "Ann Smith"
    ]
    assert action.notes == ["Notes: x", "Notes: y"]
    assert [c.what for c in result.changes] == ["notes amended"]


def test_leads_keep_the_email_the_plan_knows(admin_rt: Runtime, tmp_path: Path) -> None:
    heads = ["Ref", "Action", "Lead"]
    run(admin_rt, write_csv(tmp_path / "a.csv", [heads, ["1", "Audit", f"Ann Smith <{LEAD}>"]]))
    result = run(admin_rt, write_csv(tmp_path / "b.csv", [heads, ["1", "Audit", "Ann Smith"]]))
    assert not result.events
    moved = run(admin_rt, write_csv(tmp_path / "c.csv", [heads, ["1", "Audit", "Bob Jones"]]))
    assert [c.what for c in moved.changes] == ["leads amended"]
    assert [p.name for p in admin_rt.app.action("plan", "1").leads] == ["Bob Jones"]


def test_dates_moved_past_each_other_are_amended_in_a_safe_order(
    admin_rt: Runtime, tmp_path: Path
) -> None:
    heads = ["Ref", "Action", "Plan Start", "Plan Finish"]
    run(admin_rt, write_csv(tmp_path / "a.csv", [heads, ["1", "Audit", "Jan-09", "Mar-09"]]))
    result = run(
        admin_rt, write_csv(tmp_path / "b.csv", [heads, ["1", "Audit", "Jun-09", "Sep-09"]])
    )
    assert result.recorded
    action = admin_rt.app.action("plan", "1")
    assert (action.plan_start, action.plan_finish) == (date(2009, 6, 1), date(2009, 9, 30))


def test_closed_actions_and_retitled_groups_are_reported_not_changed(
    admin_rt: Runtime, tmp_path: Path
) -> None:
    heads = ["Ref", "Action", "Plan Finish", "Lead"]
    run(admin_rt, write_csv(tmp_path / "a.csv", [
        heads, ["Recommendation 1: Safeguarding"], ["1.1", "Audit", "Sep-09", f"Lee <{LEAD}>"],
        ["1.2", "Train", "Sep-09", f"Lee <{LEAD}>"],
    ]))  # fmt: skip
    admin_rt.app.change_status(LEAD, "plan", "1.1", Status.CANCELLED, reason="no longer needed")
    result = run(admin_rt, write_csv(tmp_path / "b.csv", [
        heads, ["Recommendation 1: Safeguarding adults"], ["1.1", "Audit", "Dec-09", ""],
        ["1.2", "Train", "Dec-09", ""],
    ]), title="Another title")  # fmt: skip
    assert result.recorded and result.changed_actions == ["1.2"]
    assert admin_rt.app.action("plan", "1.1").plan_finish == date(2009, 9, 30)
    assert reasons(result, "is cancelled and cannot be changed")
    assert reasons(result, "an import does not rename groups")
    assert reasons(result, "an import does not rename a plan")
    assert queries.plan(admin_rt.engine, "plan")["title"] == "a"


def test_a_completion_date_is_not_amended(admin_rt: Runtime, tmp_path: Path) -> None:
    heads = ["Ref", "Action", "Plan Finish", "Actual Finish"]
    run(admin_rt, write_csv(tmp_path / "a.csv", [heads, ["1", "Audit", "Sep-09", "15/05/2009"]]))
    result = run(admin_rt, write_csv(tmp_path / "b.csv", [heads, ["1", "Audit", "Sep-09",
                                                                    "20/05/2009"]]))  # fmt: skip
    assert not result.events
    [kept] = reasons(result, "a completion date is not amended")
    assert (kept.column, kept.value) == ("Actual Finish", "2009-05-20")


# ---------------------------------------------------------------------------------------------
# All or nothing
# ---------------------------------------------------------------------------------------------


@pytest.mark.persistence
def test_a_row_the_domain_refuses_leaves_no_plan(admin_rt: Runtime, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Action", "Plan Start", "Plan Finish", "RAG"],
            ["1", "First", "Jan-09", "Mar-09", "Green"],
            ["2", "Finishes before it starts", "Jun-09", "Mar-09", "Green"],
            ["3", "Third", "Jan-09", "Mar-09", "Green"],
        ],
    )
    before = event_count(admin_rt)
    result = run(admin_rt, path)
    assert not result.ok and not result.recorded
    [refused] = result.report.errors
    assert (refused.row, refused.value) == (3, "2")
    assert "plan finish 2009-03-31 is before plan start 2009-06-01" in refused.reason
    assert event_count(admin_rt) == before
    with pytest.raises(NotFound):
        admin_rt.app.plan("plan")
    assert "Nothing recorded: the import has 1 errors." in result.render_text()


@pytest.mark.persistence
def test_a_refused_change_leaves_the_plan_as_it_was(admin_rt: Runtime, tmp_path: Path) -> None:
    heads = ["Ref", "Action", "Plan Start", "Plan Finish"]
    run(admin_rt, write_csv(tmp_path / "a.csv", [heads, ["1", "A", "Jan-09", "Mar-09"],
                                                 ["2", "B", "Jan-09", "Mar-09"]]))  # fmt: skip
    before = event_count(admin_rt)
    rows = [heads, ["1", "A", "Jan-09", "Apr-09"], ["2", "B", "Jun-09", "May-09"]]
    result = run(admin_rt, write_csv(tmp_path / "b.csv", rows))
    assert not result.ok and result.report.error_rows == [3]
    assert event_count(admin_rt) == before
    assert admin_rt.app.action("plan", "1").plan_finish == date(2009, 3, 31)


def test_parse_errors_record_nothing(admin_rt: Runtime, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv", [["Ref", "Action"], ["1", "A"], ["2", "B"], ["1", "C"]])
    result = run(admin_rt, path)
    assert not result.ok and not result.recorded and result.report.error_rows == [4]
    assert not admin_rt.app.recorder.select_notifications(event_count(admin_rt) + 1, 10)
    with pytest.raises(NotFound):
        admin_rt.app.plan("plan")


@pytest.mark.usefixtures("september")
def test_dry_run_records_nothing(admin_rt: Runtime) -> None:
    before = event_count(admin_rt)
    result = run(admin_rt, FIXTURES / "leeds.csv", dry_run=True)
    assert result.dry_run and result.created and not result.recorded
    assert result.events["Action.Added"] == 26
    assert event_count(admin_rt) == before
    assert not admin_rt.app.repository.__contains__(plan_id("plan"))
    assert "Dry run: nothing recorded." in result.render_text()


def test_only_an_admin_imports(admin_rt: Runtime) -> None:
    with pytest.raises(PermissionDenied, match="may not import plans"):
        import_plan(admin_rt, LEAD, FIXTURES / "leeds.csv", slug="plan")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        (b"", "the file is empty"),
        (b"Ref,Action,Lead\n", "have no rows under them"),
        (b"\x00\x01\x02binary\x00" * 50, "binary file"),
    ],
)
def test_bad_files_change_nothing(
    admin_rt: Runtime, tmp_path: Path, content: bytes | None, problem: str
) -> None:
    path = tmp_path / "plan.csv"
    if content is not None:
        path.write_bytes(content)
    before = event_count(admin_rt)
    with pytest.raises(ImportFileError, match=problem):
        run(admin_rt, path)
    assert event_count(admin_rt) == before


def test_an_unknown_mapped_field_is_refused(admin_rt: Runtime) -> None:
    with pytest.raises(ImportFileError, match="unknown field 'owner'"):
        run(admin_rt, FIXTURES / "leeds.csv", mapping={"Lead": "owner"})


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------

BIN = Path(sys.executable).with_name("actiontrail")


def cli(tmp_path: Path, *args: str, user: str | None = ADMIN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACTIONTRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'at.db'}"}
    env.pop("ACTIONTRAIL_USER", None)
    if user:
        env["ACTIONTRAIL_USER"] = user
    return subprocess.run(
        [str(BIN), *args], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )


def test_the_import_command(tmp_path: Path) -> None:
    assert cli(tmp_path, "users", "add", ADMIN, "--name", "Ada", "--role", "admin").returncode == 0
    dry = cli(tmp_path, "import", str(FIXTURES / "leeds.csv"), "--plan", "leeds", "--dry-run")
    assert dry.returncode == 0 and "Dry run: nothing recorded." in dry.stdout
    assert json.loads(cli(tmp_path, "--format", "json", "plans").stdout) == []
    done = cli(tmp_path, "import", str(FIXTURES / "leeds.xlsx"), "--plan", "leeds",
               "--sheet", "August 2009", "--format-report", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["recording"]["recorded"] and report["actions"] == 26
    assert any(w["row"] == 29 and "holds the formula" in w["reason"] for w in report["warnings"])
    again = cli(tmp_path, "import", str(FIXTURES / "leeds.csv"), "--plan", "leeds")
    assert again.returncode == 0 and "already has every change the file made" in again.stdout
    tsv = cli(tmp_path, "import", str(FIXTURES / "essex.tsv"), "--plan", "essex",
              "--format", "tsv", "--title", "Essex improvement plan")  # fmt: skip
    assert tsv.returncode == 0, tsv.stderr
    assert "Recorded plan essex as one unit" in tsv.stdout


def test_the_import_command_refuses(tmp_path: Path) -> None:
    cli(tmp_path, "users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    cli(tmp_path, "users", "add", LEAD, "--name", "Lee", "--role", "lead")
    bad = write_csv(tmp_path / "bad.csv", [["Ref", "Action"], ["1", "A"], ["2", "B"], ["1", "C"]])
    refused = cli(tmp_path, "import", str(bad), "--plan", "p")
    assert refused.returncode == 1
    assert "Nothing recorded" in refused.stdout and "bad.csv: 1 errors (rows 4)" in refused.stderr
    lead = cli(tmp_path, "import", str(FIXTURES / "leeds.csv"), "--plan", "p", user=LEAD)
    assert lead.returncode == 1 and "may not import plans" in lead.stderr
    missing = cli(tmp_path, "import", str(tmp_path / "none.csv"), "--plan", "p")
    assert missing.returncode == 1 and "none.csv: no such file" in missing.stderr
    mapped = cli(tmp_path, "import", str(FIXTURES / "leeds.csv"), "--plan", "p",
                 "--map", "Lead=owner")  # fmt: skip
    assert mapped.returncode == 1 and "unknown field 'owner'" in mapped.stderr
    malformed = cli(tmp_path, "import", str(FIXTURES / "leeds.csv"), "--plan", "p",
                    "--map", "Lead")  # fmt: skip
    assert malformed.returncode == 2 and "Heading=field" in malformed.stderr
    nobody = cli(tmp_path, "import", str(FIXTURES / "leeds.csv"), "--plan", "p", user=None)
    assert nobody.returncode == 2 and "acting user" in nobody.stderr
    assert json.loads(cli(tmp_path, "--format", "json", "plans").stdout) == []
