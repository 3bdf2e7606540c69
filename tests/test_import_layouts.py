"""A layout no fixture uses, dates as plans write them, one indicator per measurable
statement, and ratings that say where they came from: parsed, and recorded on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.clock import FixedClock
from domain.timescales import parse_timescale
from domain.values import Person, Rag, Recurrence
from engine.importing import parse_file
from engine.importing.record import import_plan
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, people

HEADINGS = ["Recommendation", "Measurable Indicator", "Desired Outcome", "Timescale", "Lead(s)",
            "Actions to date", "RAG"]  # fmt: skip
MAPPING = {
    "Recommendation": "action",
    "Desired Outcome": "success_criteria",
    "Measurable Indicator": "indicator",
    "Actions to date": "progress",
}


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def council_plan(tmp_path: Path) -> Path:
    """Columns Recommendation, Measurable Indicator, Desired Outcome ...; grouping rows
    that fill only their first cell; leads with role labels, agencies and titles."""
    return write_csv(
        tmp_path / "council.csv",
        [
            ["Improvement Plan 2010/11"],
            HEADINGS,
            ["Leadership"],
            ["1. The council should set out a clear vision", "70% of plans reviewed within "
             "28 days", "Staff know the vision", "Q3 2010/11", "Lead Officer: Margaret Howard",
             "Vision drafted", "Amber"],
            ["2. Publish the plan", "", "Public informed", "Quarter 4 2010/11",
             "Lead: Ann Smith and Bob Jones", "", "Green"],
            ["Safeguarding"],
            ["3. Investigate concerns promptly", "", "People safe", "Spring 2011",
             "Responsible officer - Dan Brown (NHS Leeds)", "", ""],
            ["4. Train staff", "", "Staff trained", "end of June",
             "Carol King, Head of Training; Eve Long", "", ""],
            ["Workforce"],
            ["5. Supervise monthly", "", "Supervision held", "From April 2010 monthly",
             "Frank Hall / Gail Ives", "", ""],
            ["6. Recruit a principal social worker", "", "Post filled", "April 2011 (tbc)",
             "Hal Jones & Ivy Kerr", "", ""],
        ],
    )  # fmt: skip


def test_a_layout_no_fixture_uses(tmp_path: Path) -> None:
    spec, report = parse_file(council_plan(tmp_path), slug="plan", mapping=MAPPING)
    assert report.ok, report.errors
    # Rows that fill only their first cell are groupings, not actions or criteria.
    assert [(g.ref, g.title) for g in spec.groups] == [
        ("1", "Leadership"), ("2", "Safeguarding"), ("3", "Workforce"),
    ]  # fmt: skip
    by_ref = {a.ref: a for a in spec.actions}
    # The leading number of the mapped action cell is the reference.
    assert list(by_ref) == ["1", "2", "3", "4", "5", "6"]
    assert [a.group for a in spec.actions] == ["1", "1", "2", "2", "3", "3"]
    assert by_ref["1"].title == "The council should set out a clear vision"
    # Role labels dropped; several leads per cell; "Name (Agency)", "Name, Job title".
    assert by_ref["1"].leads == [Person("Margaret Howard")]
    assert by_ref["2"].leads == [Person("Ann Smith"), Person("Bob Jones")]
    assert by_ref["3"].leads == [Person("Dan Brown", agency="NHS Leeds")]
    assert by_ref["4"].leads == [Person("Carol King", title="Head of Training"),
                                 Person("Eve Long")]  # fmt: skip
    assert [p.name for p in by_ref["5"].leads] == ["Frank Hall", "Gail Ives"]
    assert [p.name for p in by_ref["6"].leads] == ["Hal Jones", "Ivy Kerr"]


def test_priority_rows_above_a_recommendation_column_make_two_levels(tmp_path: Path) -> None:
    """Heading rows ("Priority 1: ...") and a column of unnumbered recommendations: each
    recommendation sits under the priority above it, and the actions under it."""
    path = write_csv(
        tmp_path / "ofsted.csv",
        [
            ["No.", "Recommendation", "Action to be taken", "Lead Officer", "Timescale"],
            ["Priority 1: Leadership"],
            ["1.1", "Strengthen oversight", "Hold performance clinics", "Jane Smith", "Sep-24"],
            ["1.2", "", "Recruit team managers", "Tom Brown", "Sep-24"],
            ["1.3", "Know the front door", "Audit contacts", "Tom Brown", "Oct-24"],
            ["Priority 2: Practice"],
            ["2.1", "Improve plans", "Train social workers", "Amy Jones", "Mar-25"],
            ["2.2", "Strengthen oversight", "Audit supervision", "Amy Jones", "Mar-25"],
        ],
    )  # fmt: skip
    spec, report = parse_file(path, slug="plan")
    assert report.ok and not report.warnings, report.issues
    assert [(g.ref, g.title, g.parent) for g in spec.groups] == [
        ("1", "Leadership", None),
        ("1a", "Strengthen oversight", "1"),
        ("1b", "Know the front door", "1"),
        ("2", "Practice", None),
        ("2a", "Improve plans", "2"),
        ("2b", "Strengthen oversight", "2"),
    ]
    assert [(a.ref, a.group) for a in spec.actions] == [
        ("1.1", "1a"), ("1.2", "1a"), ("1.3", "1b"), ("2.1", "2a"), ("2.2", "2b"),
    ]  # fmt: skip


def test_status_words_in_place_of_colours_and_posts_named_alone(tmp_path: Path) -> None:
    """A status column that says "On track" or "At risk" gives the rating the words
    mean, and the report says how each was read; a stage ("Not started") is kept as a
    note; "Action ID" is the reference; a post alone ("Medical Director") is one
    person named by the post."""
    path = write_csv(
        tmp_path / "trust.csv",
        [
            ["Action ID", "Action", "Owner", "Executive Lead", "Status", "Update"],
            ["MD1", "Train staff", "Sarah Green", "Medical Director", "On track", "72% done"],
            ["MD2", "Lock cabinets", "Mark White", "Chief Nurse", "At risk", "Parts late"],
            ["SD1", "Pilot coordinators", "Omar Khan", "Medical Director", "Off track",
             "No funding"],
            ["SD2", "Learning events", "Omar Khan", "Chief Nurse", "Not started", ""],
            ["SD3", "Discharge audit", "Lucy Grey", "Chief Nurse", "Green - on track", ""],
        ],
    )  # fmt: skip
    spec, report = parse_file(path, slug="plan")
    assert report.ok, report.errors
    by_ref = {a.ref: a for a in spec.actions}
    assert list(by_ref) == ["MD1", "MD2", "SD1", "SD2", "SD3"]
    assert [by_ref[r].rag for r in by_ref] == [
        Rag.GREEN, Rag.AMBER, Rag.RED, None, Rag.GREEN,
    ]  # fmt: skip
    # The progress text is the reason of an amber or red read from words.
    assert (by_ref["MD2"].rag_reason, by_ref["SD1"].rag_reason) == ("Parts late", "No funding")
    assert "Status: Not started" in by_ref["SD2"].notes
    read = {(i.row, i.value): i.reason for i in report.infos}
    assert read[(3, "At risk")].startswith("read as amber (status words:")
    assert read[(5, "Not started")] == "a stage of the work, not a rating; kept as a note"
    assert by_ref["MD1"].accountable == Person("Medical Director")


def test_a_rag_column_beside_a_status_column_gives_the_rating(tmp_path: Path) -> None:
    """A "Status" column gives the rating only when no column is headed RAG; beside one, it says
    where the work stands and is kept as a note. A comments column explains a rating
    when the row has no reason, progress or risk text."""
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Action", "Lead", "Status", "RAG", "Comments"],
            ["1", "Review policy", "Ann Lee", "In progress", "Green", ""],
            ["2", "Train staff", "Bob Kay", "Not started", "Amber", "Trainer off sick"],
        ],
    )  # fmt: skip
    spec, report = parse_file(path, slug="plan")
    assert report.ok, report.errors
    assert [(a.rag, a.rag_reason) for a in spec.actions] == [
        (Rag.GREEN, None), (Rag.AMBER, "Trainer off sick"),
    ]  # fmt: skip
    assert "Status: Not started" in spec.actions[1].notes
    assert [(i.column, i.reason) for i in report.warnings] == [
        ("Status", "another column already gives rag; this column's text is kept on each "
         "action as a note"),
    ]  # fmt: skip


def test_a_start_column_shows_its_first_day_and_a_remark_is_kept(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [
            ["Ref", "Action", "Lead", "Start date", "Target date"],
            ["1", "Audit", "Ann Lee", "Apr 24", "By 31 March 2025 (revised from Dec 2024)"],
        ],
    )
    spec, report = parse_file(path, slug="plan")
    [action] = spec.actions
    assert (action.plan_start, action.plan_finish) == (date(2024, 4, 1), date(2025, 3, 31))
    shown = {d.column: (d.read, d.rule) for d in report.dates}
    assert shown["Start date"] == (
        "2024-04-01",
        "a date: month, due by its last day; a start is its first day",
    )
    assert shown["Target date"][0] == "2025-03-31"
    assert action.notes == ["Target date: By 31 March 2025 (revised from Dec 2024)"]


def test_dates_as_plans_write_them_with_the_rule_that_read_each(tmp_path: Path) -> None:
    spec, report = parse_file(council_plan(tmp_path), slug="plan", mapping=MAPPING)
    by_ref = {a.ref: a for a in spec.actions}
    assert by_ref["1"].plan_finish == date(2010, 12, 31)  # Q3 2010/11
    assert by_ref["2"].plan_finish == date(2011, 3, 31)  # Quarter 4 2010/11
    assert by_ref["3"].plan_finish == date(2011, 5, 31)  # Spring 2011
    # "end of June" has no year: the first June after the plan's earliest date
    # (From April 2010 monthly: 1 April 2010).
    assert by_ref["4"].plan_finish == date(2010, 6, 30)
    assert (by_ref["5"].plan_start, by_ref["5"].recurrence) == (date(2010, 4, 1),
                                                                Recurrence.MONTHLY)  # fmt: skip
    # A tentative date is read as the date with a tentative mark, not kept as words.
    assert by_ref["6"].plan_finish == date(2011, 4, 30)
    assert by_ref["6"].plan_finish_tentative
    assert by_ref["6"].timescale is None
    assert not by_ref["4"].plan_finish_tentative
    shown = {(d.row, d.text): (d.read, d.rule) for d in report.dates}
    assert shown[(4, "Q3 2010/11")] == (
        "2010-12-31",
        "a date: UK financial-year quarter, due by its last day",
    )
    assert shown[(8, "end of June")] == (
        "2010-06-30",
        "a month without a year: the first June ending on or after the plan's earliest "
        "date (2010-04-01)",
    )
    assert shown[(11, "April 2011 (tbc)")] == (
        "2011-04-30 (tentative)",
        "a date: month, due by its last day, tentative",
    )
    assert shown[(10, "From April 2010 monthly")][0] == "from 2010-04-01 monthly"
    assert "Dates read:" in report.render_dates()


def test_a_month_without_a_year_takes_the_rows_plan_start(tmp_path: Path) -> None:
    rows = [["Ref", "Action", "Plan Start", "Plan Finish"],
            ["1", "Audit", "Sep-10", "by March"],
            ["2", "Train", "", "by March"]]  # fmt: skip
    spec, report = parse_file(write_csv(tmp_path / "plan.csv", rows), slug="plan")
    first, second = spec.actions
    assert first.plan_finish == date(2011, 3, 31)  # the March after September 2010
    assert second.plan_finish == date(2011, 3, 31)  # the plan's earliest date: Sep-10
    rules = [d.rule for d in report.dates if d.text == "by March"]
    assert "the row's plan start (2010-09-01)" in rules[0]
    assert "the plan's earliest date (2010-09-01)" in rules[1]


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("Q3 2010/11", date(2010, 12, 31)),
        ("Quarter 4 2010/11", date(2011, 3, 31)),
        ("Q1 2010/11", date(2010, 6, 30)),
        ("2010/11", date(2011, 3, 31)),
        ("Spring 2011", date(2011, 5, 31)),
        ("Summer 2010", date(2010, 8, 31)),
        ("Autumn 2010", date(2010, 11, 30)),
        ("Winter 2011", date(2012, 2, 29)),  # the February after, in a leap year
        ("Winter 2010/11", date(2011, 2, 28)),
        ("March 2011 provisional", date(2011, 3, 31)),
        # A hyphen for the stroke, and the year before the quarter.
        ("2010-11", date(2011, 3, 31)),
        ("2010-2011", date(2011, 3, 31)),
        ("Q2 2010-11", date(2010, 9, 30)),
        ("2010/11 Q4", date(2011, 3, 31)),
        ("FY 2010-11 Q3", date(2010, 12, 31)),
    ],
)
def test_uk_financial_quarters_and_seasons(text: str, due: date) -> None:
    assert parse_timescale(text).plan_finish == due


def test_one_measurable_statement_is_one_indicator(tmp_path: Path) -> None:
    spec, _ = parse_file(council_plan(tmp_path), slug="plan", mapping=MAPPING)
    [indicator] = spec.actions[0].indicators
    assert (indicator.target, indicator.unit) == (70.0, "%")
    assert indicator.name == "70% of plans reviewed within 28 days"


@pytest.fixture
def september(clock: FixedClock) -> None:
    clock.set(datetime(2010, 9, 7, 9, 0, tzinfo=UTC))


def test_the_layout_recorded_with_ratings_that_say_whose_they_are(
    rt: Runtime, tmp_path: Path, september: None
) -> None:
    people(rt)
    path = council_plan(tmp_path)
    dry = import_plan(rt, ADMIN, path, slug="council", mapping=MAPPING, dry_run=True)
    text = dry.render_text()
    assert "Dates read:" in text and "UK financial-year quarter" in text
    result = import_plan(rt, ADMIN, path, slug="council", mapping=MAPPING)
    assert result.recorded
    view = queries.plan(rt.engine, "council")
    assert [g["title"] for g in view["groups"]] == ["Leadership", "Safeguarding", "Workforce"]
    found = {a["ref"]: a for a in queries.actions(rt.engine, view)}
    assert found["1"]["reported_rag"] == "amber"
    # Amber with no reason column: the progress text is the reason, with where it
    # was read and whose rating it is.
    assert found["1"]["rag_reason"] == (
        "Vision drafted (rated in council.csv, row 4; lead Margaret Howard)"
    )
    assert found["4"]["plan_finish"] == "2010-06-30"
    assert found["6"]["plan_finish_tentative"] and found["6"]["timescale"] is None
    assert not found["4"]["plan_finish_tentative"]
    again = import_plan(rt, ADMIN, path, slug="council", mapping=MAPPING)
    assert not again.recorded and sum(again.events.values()) == 0


@pytest.mark.parametrize(
    ("cell", "person"),
    [
        # As mail writes a name: all of it is the name, not "Dora" titled "Director".
        ("Dora Director <director@x.gov.uk>", Person("Dora Director", "director@x.gov.uk")),
        # As export-sheet writes one: the bracket before the address is the title.
        (
            "Tess Tee (Treasurer) <tess@x.gov.uk>",
            Person("Tess Tee", "tess@x.gov.uk", title="Treasurer"),
        ),
        # A bracket with no job-title word, and no address after it, is the agency.
        ("Tess Tee (West Yorkshire Police)", Person("Tess Tee", agency="West Yorkshire Police")),
        ("Tess Tee (Treasurer)", Person("Tess Tee", title="Treasurer")),
    ],
)
def test_people_as_mail_and_export_sheet_write_them(
    tmp_path: Path, cell: str, person: Person
) -> None:
    rows = [["Ref", "Action", "Lead"], ["1", "Audit", cell]]
    spec, report = parse_file(write_csv(tmp_path / "plan.csv", rows), slug="plan")
    assert report.ok and spec.actions[0].leads == [person]
