"""Importing councils' plan spreadsheets (CSV, TSV, XLSX) into a PlanSpec with a report.

The fixtures under tests/fixtures/import are real plans (Telford, Sefton, Essex, Leeds)
as their councils would have saved them; tmp_path files test one rule each.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from domain.spec import ActionSpec, PlanSpec
from domain.values import Criterion, Direction, Person, Rag, Recurrence, Status
from engine.importing import ImportFileError, ImportReport, Issue, Severity, parse_file
from engine.importing.layouts import field_for_heading

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def action(spec: PlanSpec, ref: str) -> ActionSpec:
    found = [a for a in spec.actions if a.ref == ref]
    assert len(found) == 1, f"{ref}: {[a.ref for a in spec.actions]}"
    return found[0]


def issues(report: ImportReport, reason: str, severity: Severity | None = None) -> list[Issue]:
    return [
        i
        for i in report.issues
        if reason in i.reason and (severity is None or i.severity is severity)
    ]


def parse(path: Path, **kwargs: object) -> tuple[PlanSpec, ImportReport]:
    return parse_file(path, slug="plan", **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Telford: improvement areas, numbered actions in one cell, area-wide evidence (Windows-1252)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["telford.csv", "telford.xlsx"])
def telford(request: pytest.FixtureRequest) -> tuple[PlanSpec, ImportReport]:
    return parse(FIXTURES / request.param)


def test_telford_groups_and_actions(telford: tuple[PlanSpec, ImportReport]) -> None:
    spec, report = telford
    assert (report.groups, report.actions) == (18, 64)
    assert report.ok and report.layout == "action-evidence-timescale"
    assert spec.title == "Draft Improvement Plan Telford & Wrekin Council"
    area = spec.groups[0]
    assert (area.ref, area.page) == ("1", "11")
    assert area.title.startswith("Further strengthen joint working across teams")
    assert spec.groups[5].page == "16"


def test_telford_numbers_restart_per_area_so_refs_carry_the_area(
    telford: tuple[PlanSpec, ImportReport],
) -> None:
    spec, _ = telford
    assert [a.ref for a in spec.actions[:7]] == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1"]
    assert action(spec, "1.2").title.startswith("Review and revise the multi agency policy")
    assert action(spec, "16.1").title.startswith("Expiry of existing residential and day care")


def test_telford_evidence_applies_to_the_whole_area(telford: tuple[PlanSpec, ImportReport]) -> None:
    spec, _ = telford
    evidence = spec.groups[0].evidence_expected
    # Windows-1252 curly quotes read as such.
    assert evidence[0].startswith("Multi agency approval to revised Strategy through each Agency’s")
    assert "“people who are safeguarded from abuse, neglect and harm”" in evidence[-1]
    assert all(not a.success_criteria for a in spec.actions)


def test_telford_timescale_lines_are_shared_out_to_the_actions_of_a_row(
    telford: tuple[PlanSpec, ImportReport],
) -> None:
    spec, _ = telford
    assert action(spec, "1.4").plan_finish == date(2011, 1, 31)
    assert action(spec, "1.5").plan_finish == date(2010, 4, 30)
    one_six = action(spec, "1.6")
    assert (one_six.recurrence, one_six.plan_finish) == (Recurrence.ONGOING, None)
    assert one_six.timescale == "Ongoing linked to monitoring schedule"
    assert action(spec, "11.1").plan_start == date(2010, 7, 1)
    assert action(spec, "11.1").plan_finish is None


def test_telford_unreadable_and_ambiguous_timescales_are_kept_and_warned(
    telford: tuple[PlanSpec, ImportReport],
) -> None:
    spec, report = telford
    tender = action(spec, "16.1")
    assert tender.plan_finish is None
    assert tender.timescale and tender.timescale.startswith("Tender commences August 2010.")
    [unread] = issues(report, "timescale not understood")
    assert (unread.row, unread.column) == (76, "Timescale")
    [shared] = issues(report, "4 actions in the row but 3 timescale lines")
    assert shared.row == 65
    for ref in ("13.1", "13.2", "13.3", "13.4"):
        assert action(spec, ref).plan_finish is None
        assert action(spec, ref).timescale == "Ongoing\n\nSeptember 2010\n\nApril 2010"


def test_telford_repeated_heading_rows_are_skipped_even_reworded(
    telford: tuple[PlanSpec, ImportReport],
) -> None:
    spec, report = telford
    assert not [a for a in spec.actions if a.title.lower().startswith("how is this")]
    assert 35 in {i.row for i in issues(report, "heading row is repeated")}  # "/actions"
    assert issues(report, "text above the table's headings belongs to no action")


# ---------------------------------------------------------------------------------------------
# Sefton: outcome headings, plan-wide numbers, evidence lines with their own dates (UTF-8 BOM)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["sefton.csv", "sefton.xlsx"])
def sefton(request: pytest.FixtureRequest) -> tuple[PlanSpec, ImportReport]:
    return parse(FIXTURES / request.param)


def test_sefton_outcome_headings_and_areas(sefton: tuple[PlanSpec, ImportReport]) -> None:
    spec, report = sefton
    assert (report.groups, report.actions) == (10, 19)
    assert [(g.ref, g.parent) for g in spec.groups] == [
        ("O1", None), ("1", "O1"), ("2", "O1"), ("3", "O1"),
        ("O2", None), ("7", "O2"), ("9", "O2"),
        ("O3", None), ("17", "O3"), ("19", "O3"),
    ]  # fmt: skip
    assert spec.groups[0].title == "Safeguarding Adults"
    assert spec.title == "Improvement planning template for use by Sefton Council"


def test_sefton_numbers_run_across_the_plan(sefton: tuple[PlanSpec, ImportReport]) -> None:
    spec, _ = sefton
    assert [a.ref for a in spec.actions][:6] == ["1", "2", "3", "4", "5", "6"]
    assert action(spec, "52").group == "19"


def test_sefton_labelled_milestones_become_criteria(sefton: tuple[PlanSpec, ImportReport]) -> None:
    spec, _ = sefton
    first = action(spec, "1")
    assert first.plan_finish == date(2010, 9, 30)
    assert first.timescale and first.timescale.startswith("New documentation completed June 2010")
    assert first.success_criteria[1:] == [
        Criterion("New documentation completed", date(2010, 6, 30)),
        Criterion("Staff begin use of new procedures", date(2010, 7, 31)),
        Criterion("First full audit month", date(2010, 8, 31)),
        Criterion("First audit report to Departmental Management Team (DMT)", date(2010, 9, 30)),
    ]
    assert first.success_criteria[0].text.startswith("A single document will be created")
    assert first.success_criteria[0].due == date(2010, 9, 30)


def test_sefton_continuation_rows_add_criteria_with_their_own_dates(
    sefton: tuple[PlanSpec, ImportReport],
) -> None:
    spec, report = sefton
    second = action(spec, "2")
    texts = [(c.text[:40], c.due) for c in second.success_criteria[-2:]]
    assert texts == [
        ("In 20010/11 80% of formal Protection Pla", date(2011, 3, 31)),  # "2010/11"
        ("A strategic target will also be set for ", None),
    ]
    assert second.plan_finish == date(2011, 3, 31)  # widened by the continuation
    assert "timescale (row 9): Review target monitored from March 2010" in second.notes[1]
    [warning] = [i for i in issues(report, "timescale not understood") if i.row == 9]
    assert warning.value == "Review target monitored from March 2010 and reported to DMT monthly."


def test_sefton_numeric_targets_become_indicators(sefton: tuple[PlanSpec, ImportReport]) -> None:
    spec, _ = sefton
    assert [(i.target, i.unit, i.direction) for i in action(spec, "1").indicators] == [
        (70.0, "%", Direction.HIGHER)  # and not the "random sample of 10%"
    ]
    reviews = [(i.target, i.unit, i.direction) for i in action(spec, "2").indicators]
    assert (70.0, "%", Direction.HIGHER) in reviews
    # "70% of all Protection Plans having a review within 28 days" is one indicator:
    # the time limit is part of what is measured, not a target of its own.
    assert (28.0, "days", Direction.LOWER) not in reviews
    assert any(
        "within 28 days" in i.name and i.target == 70.0 for i in action(spec, "2").indicators
    )
    exceptions = [(i.target, i.unit, i.direction) for i in action(spec, "5").indicators]
    assert exceptions == [(5.0, "%", Direction.LOWER), (14.0, "days", Direction.LOWER)]
    # The text stays a criterion.
    assert "fewer than 5%" in action(spec, "5").success_criteria[0].text


def test_sefton_completed_first_line_with_open_stages_is_not_a_completed_action(
    sefton: tuple[PlanSpec, ImportReport],
) -> None:
    spec, _ = sefton
    training = action(spec, "3")
    assert training.status is None
    assert training.timescale == "Completed"
    assert training.success_criteria[1].due == date(2010, 11, 30)  # "September and November 2010"
    assert training.success_criteria[3].due == date(2011, 3, 31)  # "June 2010\nMarch 2011"
    assert action(spec, "45").status is Status.COMPLETED  # "Submitted March 2010"


def test_sefton_recurring_and_open_ended_timescales(sefton: tuple[PlanSpec, ImportReport]) -> None:
    spec, _ = sefton
    assert action(spec, "44").recurrence is Recurrence.ANNUALLY
    assert action(spec, "10").recurrence is Recurrence.ONGOING
    assert action(spec, "10").plan_start == date(2010, 3, 1)
    benchmarking = action(spec, "51")
    assert (benchmarking.plan_start, benchmarking.plan_finish) == (
        date(2010, 4, 1),
        date(2011, 3, 31),
    )
    road_shows = action(spec, "31")
    assert road_shows.plan_start == date(2010, 5, 1)
    assert road_shows.success_criteria[0].due == date(2010, 8, 31)  # "May – Aug 2010"
    # A continuation's "Quarterly" describes its own line, not the whole action.
    carers = action(spec, "24")
    assert carers.recurrence is None
    assert "timescale (row 35): Quarterly" in carers.notes


def test_sefton_unknown_column_is_reported_and_kept_as_notes(
    sefton: tuple[PlanSpec, ImportReport],
) -> None:
    spec, report = sefton
    assert report.unmapped_columns == ["Partner agencies"]
    [warning] = issues(report, "no field matches this heading")
    assert (warning.row, warning.column) == (3, "Partner agencies")
    assert (
        "Partner agencies: Health; Social Care; Police; Voluntary Agency"
        in action(spec, "11").notes
    )


def test_sefton_bom_does_not_spoil_the_first_heading() -> None:
    assert (FIXTURES / "sefton.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    _, report = parse(FIXTURES / "sefton.csv")
    assert report.columns[0].heading == "How is this to be achieved / action"
    assert report.columns[0].field == "action"


# ---------------------------------------------------------------------------------------------
# Essex: tab-separated, a group column, no reference numbers, owners and leads
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["essex.tsv", "essex.xlsx"])
def essex(request: pytest.FixtureRequest) -> tuple[PlanSpec, ImportReport]:
    return parse(FIXTURES / request.param)


def test_essex_groups_from_the_area_column(essex: tuple[PlanSpec, ImportReport]) -> None:
    spec, report = essex
    assert (report.groups, report.actions) == (3, 23)
    assert [g.title for g in spec.groups] == [
        "Leadership",
        "Commissioning and Use of Resources",
        "Safeguarding",
    ]
    assert report.layout == "area-objective-owner"
    assert [a.group for a in spec.actions].count("2") == 10


def test_essex_actions_get_generated_refs_with_warnings(
    essex: tuple[PlanSpec, ImportReport],
) -> None:
    spec, report = essex
    assert [a.ref for a in spec.actions[:8]] == [
        "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "2.1",
    ]  # fmt: skip
    generated = issues(report, "has no reference number", Severity.WARNING)
    assert len(generated) == 23
    assert generated[0].row == 2 and "given 1.1" in generated[0].reason


def test_essex_owner_lead_and_notes(essex: tuple[PlanSpec, ImportReport]) -> None:
    spec, report = essex
    first = action(spec, "1.1")
    assert first.title == "To implement 'Raising Practice Standards' groups."
    assert first.accountable == Person("Sue Hawkins", email="sue.hawkins@essex.gov.uk")
    assert first.aim and first.aim.startswith("Ensure that the outcomes from various safeguarding")
    assert "Improvement Plan Response Area: Inspection 2010" in first.notes
    assert any(
        n.startswith("Background / Rationale: The aim of the directorate") for n in first.notes
    )
    # An inspection rating is not a RAG: warned and kept.
    assert first.rag is None and "Rating: Adequate" in first.notes
    [rating] = issues(report, "not a RAG rating")
    assert (rating.row, rating.column, rating.value) == (2, "Rating", "Adequate")
    assert action(spec, "1.2").leads == [Person("Stephen Bunford")]
    # A bracket with no job-title word in it names the agency.
    assert action(spec, "2.10").leads == [Person("Maire Maisch", agency="MKA Associates")]


def test_essex_an_email_given_once_is_used_wherever_the_name_appears(
    essex: tuple[PlanSpec, ImportReport],
) -> None:
    spec, report = essex
    assert action(spec, "1.2").accountable == Person(
        "Sue Hawkins", email="sue.hawkins@essex.gov.uk"
    )
    assert "Sue Hawkins" not in report.people_without_email
    assert "Stephen Bunford" in report.people_without_email


def test_essex_markup_and_bullets_are_tidied(essex: tuple[PlanSpec, ImportReport]) -> None:
    spec, _ = essex
    assert action(spec, "1.2").title == "To develop safeguarding action / practice learning sets."
    assert "<li>" not in action(spec, "2.9").title
    assert action(spec, "2.9").title.startswith("To establish a strategy to increase awareness")


def test_essex_merged_objective_applies_to_every_row_it_spans() -> None:
    from_text, _ = parse(FIXTURES / "essex.tsv")
    from_excel, _ = parse(FIXTURES / "essex.xlsx")
    assert action(from_text, "1.2").aim is None
    assert action(from_excel, "1.2").aim == action(from_excel, "1.1").aim


# ---------------------------------------------------------------------------------------------
# Leeds: monthly progress report with refs, RAGs, plan/actual dates and stages
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["leeds.csv", "leeds.xlsx"])
def leeds(request: pytest.FixtureRequest) -> tuple[PlanSpec, ImportReport]:
    return parse(FIXTURES / request.param)


def test_leeds_recommendations_and_actions(leeds: tuple[PlanSpec, ImportReport]) -> None:
    spec, report = leeds
    assert (report.groups, report.actions) == (7, 26)
    assert [g.ref for g in spec.groups] == ["1", "2", "6", "3", "4", "5", "7"]
    assert spec.groups[2].title.startswith("The Adult Safeguarding Board should prioritise")
    assert report.layout == "monthly-progress-report"
    assert report.columns[0].field == "ref" and report.columns[0].how == "by content"
    assert spec.title == "Independence, Wellbeing & Choice Inspection Action Plan"
    assert report.ok


def test_leeds_actions_join_their_recommendation_by_ref(
    leeds: tuple[PlanSpec, ImportReport],
) -> None:
    spec, _ = leeds
    assert action(spec, "2.1").group == "2"
    assert action(spec, "7.2").group == "7"


def test_leeds_dates_rag_and_people(leeds: tuple[PlanSpec, ImportReport]) -> None:
    spec, _ = leeds
    first = action(spec, "1.1")
    assert (first.plan_start, first.plan_finish, first.actual_finish) == (
        date(2008, 9, 1),
        date(2008, 11, 30),
        date(2008, 11, 30),
    )
    assert (first.rag, first.last_rag, first.status) == (Rag.BLUE, Rag.BLUE, Status.COMPLETED)
    assert first.leads == [
        Person("Dennis Holmes", title="Deputy Director (Strategic Commissioning)")
    ]
    assert first.accountable == Person("Director of Adult Social Services")
    assert first.aim == (
        "Multi-Agency arrangements for Safeguarding meet national standards and protect "
        "vulnerable adults."
    )
    assert first.success_criteria == [
        Criterion(
            "All statutory agencies formally committed via written Memorandum of Understanding "
            "(MOU) which is signed by all partners",
            date(2008, 11, 30),
        )
    ]
    assert (first.progress, first.risk) == ("COMPLETED", "COMPLETED")


def test_leeds_stage_rows_widen_the_plan_and_carry_criteria(
    leeds: tuple[PlanSpec, ImportReport],
) -> None:
    spec, _ = leeds
    head = action(spec, "1.3")
    assert (head.plan_start, head.plan_finish, head.actual_finish) == (
        date(2008, 10, 1),
        date(2010, 1, 31),
        date(2009, 7, 31),
    )
    assert [c.due for c in head.success_criteria] == [date(2009, 1, 31), date(2010, 1, 31)]
    stages = action(spec, "3.1")
    assert (
        Criterion(
            "Stage 2: Ratify procedures through all agencies governance processes",
            date(2009, 12, 31),
        )
        in stages.success_criteria
    )
    leads = action(spec, "1.8").leads
    assert [p.name for p in leads] == ["John Lennon", "Michele Tynan", "Hilary Paxton"]


def test_leeds_an_open_stage_keeps_the_action_open(leeds: tuple[PlanSpec, ImportReport]) -> None:
    spec, _ = leeds
    training = action(spec, "4.2")
    assert training.actual_finish is None and training.status is None
    assert "Actual finish (row 46): 2009-08-31" in training.notes


def test_leeds_worse_rag_wins_and_arrows_are_noted(leeds: tuple[PlanSpec, ImportReport]) -> None:
    spec, _ = leeds
    frontline = action(spec, "2.4")
    assert (frontline.rag, frontline.last_rag) == (Rag.AMBER, Rag.RED)
    assert "Direction of travel (This Month RAG): improving" in frontline.notes
    charter = action(spec, "3.4")
    assert (charter.last_rag, charter.rag) == (Rag.GREY, Rag.AMBER)  # "Grey hatched", "Orange"
    # Outstanding stage work outranks a finished stage's blue.
    assert action(spec, "2.3").rag is Rag.GREEN


def test_leeds_unreadable_cells_are_warned_and_kept(leeds: tuple[PlanSpec, ImportReport]) -> None:
    spec, report = leeds
    [block] = [i for i in issues(report, "not a RAG rating") if i.row == 45]
    assert (block.column, block.value) == ("This Month RAG", "█")
    assert "This Month RAG: █" in action(spec, "4.1").notes
    [shifted] = issues(report, "not read as an actual finish")
    assert (shifted.row, shifted.column) == (41, "Actual Finish")
    assert shifted.value and shifted.value.startswith("Surveys and quality assurance")
    assert any(
        n.startswith("Actual Finish: Surveys and quality") for n in action(spec, "3.3").notes
    )
    [tbc] = issues(report, "not read as a plan start")
    assert (tbc.row, tbc.column, tbc.value) == (60, "Plan Start", "TBC")
    [backwards] = issues(report, "actual finish is before the plan start")
    assert backwards.row == 20  # 1.9: finished Feb-08, started Oct-08


def test_leeds_several_accountable_officers_keep_the_first(
    leeds: tuple[PlanSpec, ImportReport],
) -> None:
    spec, report = leeds
    survey = action(spec, "1.4")
    assert survey.accountable == Person("Chief Officer (Access and Inclusion)")
    assert "Chief Officer, also accountable: Chief Officer (Learning Disability)" in survey.notes
    assert issues(report, "one accountable officer", Severity.INFO)


def test_leeds_indicators_cross_refs_and_emails(leeds: tuple[PlanSpec, ImportReport]) -> None:
    spec, report = leeds
    assert [(i.target, i.unit) for i in action(spec, "4.3").indicators] == [
        (90.0, "%"),
        (95.0, "%"),
    ]
    assert action(spec, "1.8").cross_refs == ["2.1", "2.3", "2.4"]
    marketing = action(spec, "3.3")
    assert marketing.leads == [
        Person("Mike Sells", email="mike.sells@leeds.gov.uk", title="Communications Manager")
    ]
    assert "Mike Sells" not in report.people_without_email
    assert "Hilary Paxton" in report.people_without_email


def test_leeds_formula_cell_keeps_its_calculated_value_and_warns() -> None:
    spec, report = parse(FIXTURES / "leeds.xlsx")
    assert report.sheet == "August 2009"  # the guidance sheet before it is passed over
    [formula] = issues(report, "holds the formula")
    assert (formula.row, formula.column, formula.value) == (29, "Plan Finish", "=DATE(2009,12,31)")
    assert "'2009-12-31' is used" in formula.reason
    assert action(spec, "2.4").plan_finish == date(2009, 12, 31)


@pytest.mark.parametrize("name", ["telford", "sefton", "leeds"])
def test_csv_and_xlsx_give_the_same_plan(name: str) -> None:
    from_text, _ = parse(FIXTURES / f"{name}.csv")
    from_excel, _ = parse(FIXTURES / f"{name}.xlsx")
    assert from_excel.groups == from_text.groups
    assert from_excel.actions == from_text.actions


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------


def test_report_as_text_and_json() -> None:
    _, report = parse(FIXTURES / "leeds.csv")
    text = report.render_text()
    assert "Import of leeds.csv: 7 groups, 26 actions from 52 rows (headings at row 4" in text
    assert "Errors: none; the import can be recorded." in text
    assert "This Month RAG" in text and "█" in text
    assert "People without email (reminders need one): " in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True
    assert data["actions"] == 26 and data["rows_read"] == 52
    assert {"row": 60, "column": "Plan Start", "value": "TBC"}.items() <= data["warnings"][
        -1
    ].items()
    assert data["columns"][1] == {
        "letter": "B", "heading": "Aim/Outcome", "field": "aim", "how": "recognised",
    }  # fmt: skip


def test_errors_name_their_rows_and_block_recording(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Action", "Timescale"],
            ["", "", "June 2010"],  # continues nothing
            ["1", "First", "July 2010"],
            ["2", "Second", "July 2010"],
            ["1", "First again", "August 2010"],
        ],
    )
    _, report = parse(path)
    assert not report.ok
    assert report.error_rows == [2, 5]
    assert "continues no action" in report.errors[0].reason
    assert "reference 1 is used again (first at row 3)" in report.errors[1].reason
    assert "the import must not be recorded. Rows: 2, 5" in report.render_text()


def test_no_actions_is_an_error(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv", [["Ref", "Action"], ["Recommendation 1: Do better", ""]]
    )
    _, report = parse(path)
    assert not report.ok and "no actions found" in report.errors[0].reason


# ---------------------------------------------------------------------------------------------
# Files the importer cannot read
# ---------------------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ImportFileError, match=r"empty\.csv: the file is empty"):
        parse(path)
    path.write_bytes(b"\xef\xbb\xbf\r\n  \r\n")
    with pytest.raises(ImportFileError, match="the file is empty"):
        parse(path)


def test_headings_only(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv", [["Plan title"], ["Ref", "Action", "Lead"]])
    with pytest.raises(
        ImportFileError, match=r"plan\.csv: the headings at row 2 have no rows under them"
    ):
        parse(path)


def test_binary_file_renamed_csv(tmp_path: Path) -> None:
    path = tmp_path / "logo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(ImportFileError, match=r"logo\.csv: this is a binary file"):
        parse(path)


def test_workbook_renamed_csv_says_so(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_bytes((FIXTURES / "leeds.xlsx").read_bytes())
    with pytest.raises(ImportFileError, match="zip file .*xlsx"):
        parse(path)
    # Naming the format reads it.
    spec, _ = parse(path, fmt="xlsx")
    assert len(spec.actions) == 26


def test_old_xls_and_unknown_extensions_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"old Excel \.xls"):
        parse(tmp_path / "plan.xls")
    with pytest.raises(
        ImportFileError, match=r"cannot tell the format from the extension '\.odt'"
    ):
        parse(tmp_path / "plan.odt")
    with pytest.raises(ImportFileError, match="unknown format 'pdf'"):
        parse(tmp_path / "plan.csv", fmt="pdf")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"nowhere\.csv: no such file"):
        parse(tmp_path / "nowhere.csv")


def test_no_heading_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv", [["Deliverable", "Who", "Date"], ["Do it", "Sue", "June 2010"]]
    )
    with pytest.raises(ImportFileError, match="no row of column headings found"):
        parse(path)


def test_a_workbook_with_only_empty_sheets(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    Workbook().save(path)
    with pytest.raises(ImportFileError, match="every sheet is empty"):
        parse(path)


def test_a_named_sheet_that_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(
        ImportFileError, match="no sheet named 'Plan'; sheets are: RAG guidance, August 2009"
    ):
        parse(FIXTURES / "leeds.xlsx", sheet="Plan")
    spec, report = parse(FIXTURES / "leeds.xlsx", sheet="August 2009")
    assert report.sheet == "August 2009" and len(spec.actions) == 26


# ---------------------------------------------------------------------------------------------
# Mappings and headings
# ---------------------------------------------------------------------------------------------


def test_mapping_names_unrecognised_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["No.", "Deliverable", "Who", "Date"],
            ["1", "Write the strategy", "Sue Hawkins", "June 2010"],
        ],
    )
    spec, report = parse(
        path, mapping={"Deliverable": "action", "who": "lead", "DATE": "plan_finish"}
    )
    only = action(spec, "1")
    assert (only.title, only.leads, only.plan_finish) == (
        "Write the strategy",
        [Person("Sue Hawkins")],
        date(2010, 6, 30),
    )
    assert [c.how for c in report.columns] == ["recognised", "mapped", "mapped", "mapped"]


def test_mapping_with_an_unknown_field(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv", [["Ref", "Action"], ["1", "Do it"]])
    with pytest.raises(
        ImportFileError,
        match=r"unknown field 'owner' in the mapping Who=owner; fields are: ref, group",
    ):
        parse(path, mapping={"Who": "owner"})


def test_mapping_a_heading_that_is_not_in_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv", [["Ref", "Action"], ["1", "Do it"]])
    with pytest.raises(
        ImportFileError, match=r"plan\.csv: the mapping names the heading 'who'.*'Ref', 'Action'"
    ):
        parse(path, mapping={"Who": "lead"})


def test_mapping_wins_over_a_recognised_heading(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv", [["Ref", "Action", "Notes"], ["1", "Do it", "Sue Hawkins"]]
    )
    spec, _ = parse(path, mapping={"Notes": "lead"})
    assert action(spec, "1").leads == [Person("Sue Hawkins")]


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("LEAD(S)", "lead"),
        ("Lead Officer", "lead"),
        ("Lead: Who will be responsible for delivering the work?", "lead"),
        ("SMT Owner", "accountable"),
        ("Chief Officer: Accountable for achieving the aim", "accountable"),
        ("Accountable officer", "accountable"),
        ("  Plan   finish ", "plan_finish"),
        ("Timescale:", "timescale"),
        ("How is this to be achieved /actions", "action"),
        ("Expected evidence of improvement (applies to whole improvement area)", "evidence"),
        ("Last Month RAG", "last_rag"),
        ("This Month RAG", "rag"),
        ("Report of Progress", "progress"),
        ("Risk Report", "risk"),
        ("Aim/Outcome", "aim"),
        ("Area for Improvement", "group"),
        ("Actual Finish", "actual_finish"),
        ("Success Criteria: How will you know?", "success_criteria"),
        ("Partner agencies", None),
        ("End outcome", None),  # "End" alone is a finish only under a date heading
        ("Action ID", "ref"),
        ("Lead agency", "agency"),
    ],
)
def test_headings_match_loosely(heading: str, field: str | None) -> None:
    assert field_for_heading(heading) == field


def test_a_second_column_for_a_single_field_is_kept_as_notes(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [["Ref", "Action", "Plan Finish", "Due date"], ["1", "Do it", "June 2010", "July 2010"]],
    )
    spec, report = parse(path)
    assert action(spec, "1").plan_finish == date(2010, 6, 30)
    assert "Due date: July 2010" in action(spec, "1").notes
    [duplicate] = issues(report, "another column already gives plan_finish")
    assert duplicate.column == "Due date"


def test_an_indicator_column_without_a_number_is_warned(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Action", "Indicator"],
            ["1", "Reviews", "75% reviewed on time"],
            ["2", "Leaflets", "More leaflets"],
        ],
    )
    spec, report = parse(path)
    assert [(i.target, i.unit) for i in action(spec, "1").indicators] == [(75.0, "%")]
    [warning] = issues(report, "no numeric target found")
    assert (warning.row, warning.value) == (3, "More leaflets")
    assert "Indicator: More leaflets" in action(spec, "2").notes


# ---------------------------------------------------------------------------------------------
# Encodings, formats and workbook cells
# ---------------------------------------------------------------------------------------------


def test_windows_1252_csv(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Action", "Timescale"],
            ["1", "Agree the £5k budget – Council’s share", "May – Aug 2010"],
        ],
        encoding="cp1252",
    )
    spec, _ = parse(path)
    assert action(spec, "1").title == "Agree the £5k budget – Council’s share"
    assert action(spec, "1").plan_start == date(2010, 5, 1)


def test_utf8_with_bom_csv(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv", [["Ref", "Action"], ["1", "Do it ↑"]], encoding="utf-8-sig"
    )
    spec, report = parse(path)
    assert report.columns[0].field == "ref"
    assert action(spec, "1").title == "Do it ↑"


def test_tab_separated_by_extension_and_by_format(tmp_path: Path) -> None:
    rows = "Ref\tAction\tLead\n1\tDo it\tSue Hawkins\n"
    (tmp_path / "plan.tsv").write_text(rows, encoding="utf-8")
    (tmp_path / "plan.data").write_text(rows, encoding="utf-8")
    for spec, _ in (parse(tmp_path / "plan.tsv"), parse(tmp_path / "plan.data", fmt="tsv")):
        assert action(spec, "1").leads == [Person("Sue Hawkins")]


def test_xlsx_merged_cells_and_dates(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Action", "Plan Start", "Plan Finish", "Success Criteria", "Lead"])
    ws.append(["Recommendation 1: Improve safeguarding"])
    ws.merge_cells("A2:F2")
    ws.append(
        [
            "1.1",
            "Write procedures",
            datetime(2009, 9, 1),
            datetime(2009, 12, 15),
            "Agreed",
            "Sue Hawkins\nJo Bloggs",
        ]
    )
    ws.append([None, None, None, datetime(2010, 3, 1), "Ratified", None])
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:B4")
    ws["C3"].number_format = "mmm-yy"  # a month: starts on its first day
    ws["D3"].number_format = "dd/mm/yyyy"  # a day
    ws["D4"].number_format = "mmm-yy"  # a month: due by its end
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    spec, report = parse(path)
    assert report.ok and [g.title for g in spec.groups] == ["Improve safeguarding"]
    only = action(spec, "1.1")
    assert (only.plan_start, only.plan_finish) == (date(2009, 9, 1), date(2010, 3, 31))
    assert only.success_criteria == [
        Criterion("Agreed", date(2009, 12, 15)),
        Criterion("Ratified", date(2010, 3, 31)),
    ]
    assert [p.name for p in only.leads] == ["Sue Hawkins", "Jo Bloggs"]


def test_xlsx_formula_without_a_calculated_value_keeps_its_text(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Action", "Plan Start", "Plan Finish"])
    ws.append(["1", "Do it", "Sep-09", "=EDATE(C2,3)"])
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    spec, report = parse(path)
    [formula] = issues(report, "holds the formula =EDATE(C2,3) with no calculated value")
    assert (formula.row, formula.column) == (2, "Plan Finish")
    [unread] = issues(report, "not read as a plan finish")
    assert unread.value == "=EDATE(C2,3)"
    assert action(spec, "1").plan_finish is None
    assert "Plan Finish: =EDATE(C2,3)" in action(spec, "1").notes


def write_big_plan(path: Path, rows: int) -> Path:
    """A plan of ``rows`` actions, 100 to a recommendation, 40 leads among them."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Ref", "Action", "Lead", "Plan Finish", "RAG", "Success Criteria"])
        for n in range(rows):
            writer.writerow(
                [f"{n // 100 + 1}.{n % 100 + 1}", f"Action {n}", f"Person {n % 40}",
                 "Sep-10", "Green", "70% of reviews within 28 days"]
            )  # fmt: skip
    return path


@pytest.mark.slow
def test_fifty_thousand_rows(tmp_path: Path) -> None:
    spec, report = parse(write_big_plan(tmp_path / "big.csv", 50_000))
    assert report.ok and report.rows_read == 50_000 and len(spec.actions) == 50_000
    last = spec.actions[-1]
    assert (last.ref, last.plan_finish, last.rag) == ("500.100", date(2010, 9, 30), Rag.GREEN)
    assert len(report.people_without_email) == 40


# ---------------------------------------------------------------------------------------------
# Row rules on small plans
# ---------------------------------------------------------------------------------------------


def test_headings_below_a_title_and_text_above_them(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Appendix 2"],
            ["Adult Social Care Improvement Plan"],
            ["Monitored by the Safeguarding Board", "and Scrutiny"],
            ["Ref", "Action"],
            ["1", "Do it"],
        ],
    )
    spec, report = parse(path)
    assert spec.title == "Adult Social Care Improvement Plan"
    assert report.header_row == 4
    assert [i.row for i in issues(report, "above the table's headings")] == [1, 3]
    assert parse(path, title="Given title")[0].title == "Given title"


def test_plan_without_groups_gets_plain_generated_refs(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv", [["Action", "Lead"], ["Do it", "Sue"], ["And this", "Jo"]]
    )
    spec, report = parse(path)
    assert [a.ref for a in spec.actions] == ["1", "2"]
    assert len(issues(report, "has no reference number")) == 2


def test_numbered_cells_with_more_evidence_lines_than_actions(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Action", "Evidence", "Timescale"],
            ["Improvement Area 2 – Recording (page 7)"],
            [
                "1. Audit files\n2. Train staff",
                "Audit report\nAttendance\nSurvey",
                "June 2010\nJuly 2010",
            ],
        ],
    )
    spec, report = parse(path)
    assert spec.groups[0].page == "7"
    audit, train = spec.actions
    assert (audit.ref, audit.plan_finish, train.ref, train.plan_finish) == (
        "1", date(2010, 6, 30), "2", date(2010, 7, 31),
    )  # fmt: skip
    assert [c.text for c in audit.success_criteria] == ["Audit report", "Attendance", "Survey"]
    assert issues(report, "2 actions in the row but 3 evidence lines: all kept on the first action")


def test_criteria_lines_matched_to_timescale_lines(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Action", "Success criteria", "Timescale"],
            ["1", "Do it", "Draft agreed\nFinal signed off", "June 2010\nSeptember 2010"],
            ["2", "And this", "One\nTwo\nThree", "June 2010\nSeptember 2010"],
        ],
    )
    spec, report = parse(path)
    assert action(spec, "1").success_criteria == [
        Criterion("Draft agreed", date(2010, 6, 30)),
        Criterion("Final signed off", date(2010, 9, 30)),
    ]
    assert [c.due for c in action(spec, "2").success_criteria] == [None, None, None]
    [warning] = issues(report, "3 criteria or evidence lines and 2 timescale lines")
    assert warning.row == 3


def test_html_cell_naming_two_recommendations(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["", "Action", "Lead"],
            ["<p>Recommendation 2: Strengthen QA.</p> <p>Recommendation 6: Prioritise it.</p>"],
            ["2.1", "Set standards", "Sue"],
            ["6.1", "Set up the sub-group", "Jo"],
        ],
    )
    spec, _ = parse(path)
    assert [(g.ref, g.title) for g in spec.groups] == [
        ("2", "Strengthen QA"),
        ("6", "Prioritise it"),
    ]
    assert [a.group for a in spec.actions] == ["2", "6"]


def test_status_and_dates_from_progress_and_plan_order(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Action", "Plan Start", "Plan Finish", "Progress"],
            ["1", "Done", "Jan-10", "Mar-10", "Completed"],
            ["2", "Backwards", "Jun-10", "Mar-10", "Under way"],
        ],
    )
    spec, report = parse(path)
    assert action(spec, "1").status is Status.COMPLETED
    assert action(spec, "2").status is None
    [backwards] = issues(report, "plan finish is before the plan start")
    assert (backwards.row, backwards.value) == (3, "2010-06-01 .. 2010-03-31")


def test_a_group_seen_again_with_another_title_keeps_the_first(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Area for Improvement", "Action", "Lead"],
            ["Area for Improvement 2 – Recording", "Audit files", "Sue"],
            ["Improvement Area 2 – Recording practice", "Train staff", "Jo"],
        ],
    )
    spec, report = parse(path)
    assert [(g.ref, g.title) for g in spec.groups] == [("2", "Recording")]
    assert [a.ref for a in spec.actions] == ["2.1", "2.2"]
    [again] = issues(report, "group 2 appears again with another title")
    assert (again.row, again.value) == (3, "Recording practice")


def test_words_before_the_first_number_continue_the_action_above(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Action", "Timescale"],
            ["1. Audit files", "June 2010"],
            ["and report on them\n2. Train staff", "July 2010"],
        ],
    )
    spec, _ = parse(path)
    audit, train = spec.actions
    assert Criterion("and report on them") in audit.success_criteria
    assert (train.ref, train.title, train.plan_finish) == ("2", "Train staff", date(2010, 7, 31))


def test_a_row_without_a_ref_before_any_action_starts_one(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv", [["Ref", "Action"], ["", "Unnumbered"], ["1", "Numbered"]]
    )
    spec, report = parse(path)
    assert [a.ref for a in spec.actions] == ["2", "1"]
    assert issues(report, "no reference number; it is given 2")


def test_continuation_rows_keep_a_different_aim_and_words_for_their_own_line(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Aim", "Action", "Plan Finish", "Actual Finish", "Success criteria"],
            ["9.6", "Access to information", "Build the infrastructure", "Ongoing", "", "Leaflets"],
            ["", "Access to advocacy", "", "Jun-09", "Completed", "Advocacy mapped"],
        ],
    )
    spec, _ = parse(path)
    only = action(spec, "9.6")
    assert only.aim == "Access to information"
    assert "Aim: Access to advocacy" in only.notes
    # The words of the action's own plan finish are its timescale, as a timescale
    # column's would be.
    assert only.recurrence is Recurrence.ONGOING and only.timescale == "Ongoing"
    assert "Plan Finish: Ongoing" not in only.notes
    # The second row says it is completed; the first row has no date to wait for.
    assert only.status is None
    assert Criterion("Advocacy mapped", date(2009, 6, 30)) in only.success_criteria


def test_cells_naming_nobody_are_warned(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv", [["Ref", "Action", "Lead", "SMT Owner"], ["1", "Do it", "-", "?"]]
    )
    spec, report = parse(path)
    assert [i.column for i in issues(report, "no person's name found")] == ["Lead", "SMT Owner"]
    assert "Lead: -" in action(spec, "1").notes


def test_mapping_by_short_heading_and_unnamed_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["", "Action", "Owner: who will deliver it?", "Extra"],
            ["A", "Do it", "Sue Hawkins", "x"],
        ],
    )
    spec, report = parse(path, mapping={"Column A": "ref", "Owner": "accountable", "Extra": "risk"})
    only = action(spec, "A")
    assert (only.accountable, only.risk) == (Person("Sue Hawkins"), "x")
    assert report.layout == "custom"


def test_a_sheet_name_for_a_csv_file_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv", [["Ref", "Action"], ["1", "Do it"]])
    with pytest.raises(
        ImportFileError, match="a sheet \\('Plan'\\) was named but a csv file has none"
    ):
        parse(path, sheet="Plan")


def test_bytes_neither_utf8_nor_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_bytes(b"Ref,Action\r\n1,Do \x81 it\r\n")
    with pytest.raises(ImportFileError, match="neither UTF-8 nor Windows-1252"):
        parse(path)


def test_control_characters_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_bytes(bytes(range(1, 32)) * 50)
    with pytest.raises(ImportFileError, match="binary file"):
        parse(path)


def test_a_cell_too_big_for_csv_names_its_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv", [["Ref", "Action"], ["1", "x" * 200_000]])
    with pytest.raises(ImportFileError, match="row 2: a cell is longer than 32,767 characters"):
        parse(path)


def test_xlsx_merge_copies_in_one_row_count_once(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Action", "Success Criteria", "Lead", "Plan Finish"])
    ws.append(["1", "Do it", "A criterion written across two columns", None, "#REF!"])
    ws.merge_cells("C2:D2")
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    spec, report = parse(path)
    only = action(spec, "1")
    assert only.leads == []  # the merged criterion is not read again as a lead
    assert only.success_criteria == [Criterion("A criterion written across two columns")]
    [error_cell] = issues(report, "spreadsheet error value")
    assert (error_cell.row, error_cell.column, error_cell.value) == (2, "Plan Finish", "#REF!")


def test_indicator_rules() -> None:
    from engine.importing.indicators import extract_cross_refs, extract_indicators

    def targets(text: str) -> list[tuple[float, str, Direction, float | None]]:
        return [(i.target, i.unit, i.direction, i.baseline) for i in extract_indicators(text)]

    assert targets("From a baseline of 63% In Year 1: 76% of reviews on time.") == [
        (76.0, "%", Direction.HIGHER, 63.0)
    ]
    assert targets("Reduce attendance at strategy meetings by 80% in 2010/11.") == []
    assert targets("Managers will assess a 5% sample of files.") == []
    assert targets("20% of notes will be sampled.") == []
    assert targets("A sample of 50% of minutes will be reviewed.") == []
    assert targets("No more than 10% of cases late.") == [(10.0, "%", Direction.LOWER, None)]
    assert targets("Reviewed within 10 working days.") == [
        (10.0, "working days", Direction.LOWER, None)
    ]
    assert targets("75%+ of reviews meet the standard")[0][:2] == (75.0, "%")
    assert extract_cross_refs("See 1.6, 1.7 and 1.8 above; X-ref 2.1 (see Rec 1.2)") == [
        "1.6", "1.7", "1.8", "2.1", "1.2",
    ]  # fmt: skip


def test_a_plan_without_a_title_row_is_named_after_its_file() -> None:
    spec, _ = parse(FIXTURES / "essex.tsv")
    assert spec.title == "essex"
    assert spec.source == "essex.tsv"
    assert parse(FIXTURES / "leeds.xlsx")[0].source == "leeds.xlsx (sheet August 2009)"


def test_the_worse_reported_rag_of_an_actions_rows_wins(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Action", "RAG", "Success criteria"],
            ["1", "Do it", "Green", "First stage"],
            ["", "", "Red", "Second stage"],
            ["", "", "Amber", "Third stage"],
            ["2", "And this", "Amber", "One"],
            ["", "", "Green", "Two"],
        ],
    )
    spec, _ = parse(path)
    assert (action(spec, "1").rag, action(spec, "2").rag) == (Rag.RED, Rag.AMBER)


def test_group_column_rows_and_unnumbered_continuations(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Area for Improvement", "Actions Underway and Planned", "Progress Report"],
            ["Leadership", "", ""],
            ["", "Set up practice groups", "First met in May"],
            ["", "", "Second meeting in June"],
            ["Safeguarding", "Survey residents", ""],
        ],
    )
    spec, _ = parse(path)
    assert [(g.ref, g.title) for g in spec.groups] == [("1", "Leadership"), ("2", "Safeguarding")]
    groups_action, survey = spec.actions
    assert (groups_action.ref, survey.ref) == ("1.1", "2.1")
    assert groups_action.progress == "First met in May\nSecond meeting in June"


def test_numbered_rows_sharing_evidence_lines_one_each(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Action", "Evidence", "Timescale"],
            # Not a heading: the row has a date as well as its text.
            ["Before any number", "", "May 2010"],
            ["1. Audit files\n2. Train staff", "Audit report\nAttendance", "June 2010\nJuly 2010"],
        ],
    )
    spec, report = parse(path)
    lead_in, audit, train = spec.actions
    assert (lead_in.ref, lead_in.title) == ("3", "Before any number")
    assert audit.success_criteria == [Criterion("Audit report", date(2010, 6, 30))]
    assert train.success_criteria == [Criterion("Attendance", date(2010, 7, 31))]
    assert report.ok


def test_area_evidence_without_an_area_and_an_action_without_text(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Action", "Evidence (applies to the whole improvement area)"],
            ["1", "", "Fewer complaints"],
        ],
    )
    spec, report = parse(path)
    assert action(spec, "1").title == "(no action text)"
    assert issues(report, "the action has no text")
    assert issues(report, "evidence for a whole area, but no area heading above it")


def test_an_action_does_not_refer_to_itself(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [["Ref", "Action", "Progress"], ["2.1", "Do it", "X-ref 2.1 and 2.2"], ["2.2", "More", ""]],
    )
    spec, _ = parse(path)
    assert action(spec, "2.1").cross_refs == ["2.2"]


def test_a_clean_report_says_so(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv", [["Ref", "Action", "Lead"], ["1", "Do it", "a@b.gov.uk"]]
    )
    _, report = parse(path)
    assert report.issues == [] and report.people_without_email == []
    assert "No problems found." in report.render_text()


def test_a_list_mark_before_the_action_is_dropped_but_a_sign_is_kept(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [["Ref", "Action"], ["1", "- Audit files"], ["2", "• Train staff"], ["3", "* Review"],
         ["4", "-5% delayed discharges"], ["5", "*Starred"]],
    )  # fmt: skip
    spec, _ = parse(path)
    assert [a.title for a in spec.actions] == [
        "Audit files", "Train staff", "Review", "-5% delayed discharges", "*Starred"
    ]  # fmt: skip
