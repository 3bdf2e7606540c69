"""Reading the plans' own words: timescales, RAG marks and the people named as leads."""

from __future__ import annotations

from datetime import date

import pytest

from domain.timescales import (
    IMPROVING,
    STEADY,
    WORSENING,
    financial_year_end,
    month_number,
    parse_people,
    parse_rag,
    parse_timescale,
)
from domain.values import Person, Rag, Recurrence

# -- single due dates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("January 2011", date(2011, 1, 31)),  # a month is due by its last day
        ("Sep-08", date(2008, 9, 30)),
        ("Oct 08", date(2008, 10, 31)),
        ("Jun 09", date(2009, 6, 30)),
        ("June 09", date(2009, 6, 30)),
        ("Sept 2010", date(2010, 9, 30)),  # four-letter abbreviation
        ("Feb 2012", date(2012, 2, 29)),  # leap year month end
        ("Agreed Sept 08", date(2008, 9, 30)),
        ("By March 2011", date(2011, 3, 31)),
        ("2010/11", date(2011, 3, 31)),  # financial year
        ("2010/2011", date(2011, 3, 31)),
        ("Q3 2010", date(2010, 9, 30)),  # calendar quarter
        ("Quarter 4 2011", date(2011, 12, 31)),
        ("30/06/2009", date(2009, 6, 30)),  # day first
        ("01/06/2009", date(2009, 6, 1)),  # UK: 1 June, not 6 January
        ("30-Jun-09", date(2009, 6, 30)),
        ("2009-06-30", date(2009, 6, 30)),
        ("30 June 2009", date(2009, 6, 30)),
        ("30th June 2009", date(2009, 6, 30)),
        ("30.07.09", date(2009, 7, 30)),
        ("06/30/2009", date(2009, 6, 30)),  # the second number cannot be a month
        ("2009-06-30 00:00:00", date(2009, 6, 30)),  # a date and time, as exports write it
        ("2009-06-30T17:30", date(2009, 6, 30)),
        ("40025", date(2009, 7, 31)),  # a spreadsheet's day number
    ],
)
def test_single_due_dates(text: str, due: date) -> None:
    reading = parse_timescale(text)
    assert reading.understood, reading.reason
    assert reading.plan_finish == due
    assert reading.plan_start is None
    assert reading.recurrence is None
    assert reading.text == text


def test_a_month_names_its_first_day_for_plan_start_columns() -> None:
    assert parse_timescale("Sep-08").period_start == date(2008, 9, 1)
    assert parse_timescale("2010/11").period_start == date(2010, 4, 1)
    assert parse_timescale("Q3 2010").period_start == date(2010, 7, 1)
    assert parse_timescale("30/06/2009").period_start == date(2009, 6, 30)


def test_two_digit_years_are_this_century_below_70() -> None:
    assert parse_timescale("Oct 07").plan_finish == date(2007, 10, 31)
    assert parse_timescale("Oct 98").plan_finish == date(1998, 10, 31)


def test_a_single_plain_date_need_not_be_kept_as_words() -> None:
    assert parse_timescale("January 2011").is_single_date
    assert not parse_timescale("Quarterly").is_single_date
    assert not parse_timescale("Group established June 2010").is_single_date


# -- recurring, open-ended and completed work ------------------------------------------


@pytest.mark.parametrize(
    ("text", "recurrence"),
    [
        ("Quarterly", Recurrence.QUARTERLY),
        ("Monthly", Recurrence.MONTHLY),
        ("Annually", Recurrence.ANNUALLY),
        ("Weekly", Recurrence.WEEKLY),
        ("Ongoing", Recurrence.ONGOING),
        ("On-going", Recurrence.ONGOING),
        ("Ongoing linked to monitoring schedule", Recurrence.ONGOING),
        ("Quarterly to DMT, Yearly to Cabinet", Recurrence.QUARTERLY),
    ],
)
def test_recurring_work_has_no_finish(text: str, recurrence: Recurrence) -> None:
    reading = parse_timescale(text)
    assert reading.understood
    assert reading.recurrence is recurrence
    assert reading.plan_finish is None


def test_monthly_from_a_month_starts_then() -> None:
    reading = parse_timescale("Monthly from June 2010")
    assert (reading.recurrence, reading.plan_start, reading.plan_finish) == (
        Recurrence.MONTHLY,
        date(2010, 6, 1),
        None,
    )


def test_ongoing_from_a_phrase_that_is_not_a_date_has_no_start() -> None:
    reading = parse_timescale("Ongoing from first audit month (August 2010)")
    assert reading.recurrence is Recurrence.ONGOING
    assert reading.plan_start is None


def test_completed() -> None:
    reading = parse_timescale("Completed")
    assert reading.understood and reading.completed
    assert reading.plan_finish is None


def test_completed_and_ongoing() -> None:
    reading = parse_timescale("Completed / ongoing")
    assert reading.completed and reading.recurrence is Recurrence.ONGOING


def test_completed_or_submitted_with_a_month_is_done_by_then() -> None:
    reading = parse_timescale("Submitted March 2010")
    assert reading.completed and reading.plan_finish == date(2010, 3, 31)


def test_commences_gives_a_start_and_no_finish() -> None:
    reading = parse_timescale("Commences July 2010")
    assert (reading.plan_start, reading.plan_finish, reading.recurrence) == (
        date(2010, 7, 1),
        None,
        None,
    )


def test_onwards_is_ongoing_from_the_start() -> None:
    reading = parse_timescale("March 2011 onwards")
    assert (reading.plan_start, reading.recurrence) == (date(2011, 3, 1), Recurrence.ONGOING)
    assert reading.plan_finish is None


def test_throughout_the_year_runs_to_the_end_of_the_financial_year() -> None:
    reading = parse_timescale("April 2010 and throughout the year")
    assert (reading.plan_start, reading.plan_finish) == (date(2010, 4, 1), date(2011, 3, 31))
    # A start in January still ends with its own financial year.
    assert parse_timescale("January 2011 and throughout the year").plan_finish == date(2011, 3, 31)


def test_financial_year_end() -> None:
    assert financial_year_end(date(2010, 4, 1)) == date(2011, 3, 31)
    assert financial_year_end(date(2011, 3, 31)) == date(2011, 3, 31)


# -- ranges and several dates ------------------------------------------------------------


def test_a_month_range_borrows_the_year_of_its_end() -> None:
    reading = parse_timescale("May – Aug 2010")
    assert (reading.plan_start, reading.plan_finish) == (date(2010, 5, 1), date(2010, 8, 31))


def test_a_range_across_a_year_end() -> None:
    reading = parse_timescale("Nov - Feb 2011")
    assert (reading.plan_start, reading.plan_finish) == (date(2010, 11, 1), date(2011, 2, 28))


@pytest.mark.parametrize(
    "text", ["Sep 2010 to Mar 2011", "between September 2010 and March 2011", "Sep-10 - Mar-11"]
)
def test_ranges_with_both_years(text: str) -> None:
    reading = parse_timescale(text)
    assert (reading.plan_start, reading.plan_finish) == (date(2010, 9, 1), date(2011, 3, 31))


def test_two_months_of_one_year_are_two_milestones() -> None:
    reading = parse_timescale("September and November 2010")
    assert reading.milestones == [date(2010, 9, 30), date(2010, 11, 30)]
    assert reading.plan_finish == date(2010, 11, 30)


def test_several_lines_are_milestones_due_by_the_last() -> None:
    reading = parse_timescale("January 2011\nApril 2010\n\nOctober 2010")
    assert reading.understood
    assert reading.milestones == [date(2011, 1, 31), date(2010, 4, 30), date(2010, 10, 31)]
    assert reading.plan_finish == date(2011, 1, 31)
    assert [line.plan_finish for line in reading.lines] == reading.milestones


def test_a_labelled_date_is_a_milestone_with_its_words() -> None:
    reading = parse_timescale(
        "New documentation completed June 2010\nStaff begin use of new procedures July 2010"
    )
    assert reading.understood
    assert [(line.label, line.plan_finish) for line in reading.lines] == [
        ("New documentation completed", date(2010, 6, 30)),
        ("Staff begin use of new procedures", date(2010, 7, 31)),
    ]
    assert parse_timescale("Group established June 2010").label == "Group established"


# -- never guessed ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "TBC",
        "2010",  # a year alone
        "Tender commences August 2010. Project plan will provide other key milestones",
        "Starting Sept 2010, And over following 9 months.",
        "Quarter 3 2010 and Q4 2011 reports to be produced.",
        "Rolling two-year programme",
        "31/02/2010",  # no such day
        "Ju 2010",  # too short to be a month
        "2010/13",  # not one financial year
        "=EDATE(F12,3)",
        "123",  # a number that is no spreadsheet day
        "(revised)",  # a remark with no date
        "2010, July 2010",  # words before a date need a letter to be its label
    ],
)
def test_not_understood_keeps_the_text_and_guesses_nothing(text: str) -> None:
    reading = parse_timescale(text)
    assert not reading.understood
    assert reading.text == text
    assert reading.reason
    assert (reading.plan_start, reading.plan_finish, reading.recurrence) == (None, None, None)


def test_a_remark_in_brackets_after_a_date_is_kept_as_its_words() -> None:
    reading = parse_timescale("By 31 March 2025 (revised from Dec 2024)")
    assert (reading.understood, reading.plan_finish) == (True, date(2025, 3, 31))
    assert reading.remark == "revised from Dec 2024"
    assert not reading.is_single_date  # the words are kept on the action
    assert reading.rule and reading.rule.endswith("with a remark in brackets (kept as words)")


def test_the_rule_of_each_numeric_date_says_which_order_it_read() -> None:
    assert parse_timescale("06/30/2009").rule == (
        "a date: month/day/year (the second number cannot be a month)"
    )
    assert parse_timescale("01/06/2009").rule == "a date: day/month/year (UK order)"


def test_a_long_cell_of_brackets_and_words_is_read_as_words() -> None:
    # What these read as; how long they take is bench material, not a test's (each
    # once took a time growing with the square of its length, about a minute at 30,000
    # characters, before the date was looked for from the left in bounded parts).
    for text in ["a" * 15_000 + " (b" * 5_000, "x (" + "a" * 30_000, "aaa" + "-" * 30_000]:
        assert not parse_timescale(text).understood
    reading = parse_timescale("Report" + " (note)" * 4_000 + " July 2010")
    assert (reading.plan_finish, reading.label) == (date(2010, 7, 31), "Report" + " (note)" * 4_000)


def test_a_year_alone_says_why() -> None:
    assert parse_timescale("2010").reason == "a year alone is not a due date"


def test_one_unreadable_line_makes_the_cell_unread_but_keeps_each_lines_reading() -> None:
    reading = parse_timescale("September 2010\nDraft completed")
    assert not reading.understood
    assert reading.plan_finish is None
    assert "line 2" in (reading.reason or "")
    assert reading.lines[0].plan_finish == date(2010, 9, 30)


def test_empty_is_understood_and_says_nothing() -> None:
    reading = parse_timescale("")
    assert reading.understood and reading.is_empty and reading.plan_finish is None


def test_month_names_come_from_the_calendar() -> None:
    assert month_number("Sept") == 9
    assert month_number("jun.") == 6
    assert month_number("Ma") is None
    assert month_number("Smarch") is None


# -- RAG marks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rag"),
    [
        ("Red", Rag.RED),
        ("R", Rag.RED),
        ("Amber", Rag.AMBER),
        ("Orange", Rag.AMBER),
        ("green", Rag.GREEN),
        ("Blue", Rag.BLUE),
        ("Grey", Rag.GREY),
        ("Grey hatched", Rag.GREY),
        ("COMPLETED", Rag.COMPLETE),
    ],
)
def test_rag_words(text: str, rag: Rag) -> None:
    assert parse_rag(text) == (rag, None, True)


@pytest.mark.parametrize(
    ("text", "rag"),
    [
        ("On track", Rag.GREEN),
        ("ON TARGET", Rag.GREEN),
        ("At risk", Rag.AMBER),
        ("Minor slippage", Rag.AMBER),
        ("Off track", Rag.RED),
        ("Overdue", Rag.RED),
        ("Achieved", Rag.COMPLETE),
        ("Not yet due", Rag.GREY),
        # A colour with words: the colour decides.
        ("Green - on track", Rag.GREEN),
        ("Amber (at risk)", Rag.AMBER),
        ("Red: off track", Rag.RED),
        ("In progress - amber", Rag.AMBER),
    ],
)
def test_status_words_give_the_rating_they_mean(text: str, rag: Rag) -> None:
    assert parse_rag(text) == (rag, None, True)


@pytest.mark.parametrize("text", ["Not started", "In progress", "Ongoing"])
def test_a_stage_of_the_work_is_understood_and_rates_nothing(text: str) -> None:
    assert parse_rag(text) == (None, None, True)


@pytest.mark.parametrize("text", ["Green and red", "Blue moon", "a on track"])
def test_words_that_are_no_rating_stay_unread(text: str) -> None:
    assert parse_rag(text) == (None, None, False)


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("Medical Director", Person("Medical Director")),
        ("Safeguarding Lead", Person("Safeguarding Lead")),
        ("Jane Smith Director of Nursing", Person("Jane Smith", title="Director of Nursing")),
        ("Service Manager, Assessment", Person("Service Manager, Assessment")),
    ],
)
def test_a_post_named_alone_is_one_person(text: str, person: Person) -> None:
    assert parse_people(text) == [person]


def test_rag_with_a_described_arrow() -> None:
    assert parse_rag("Orange with up arrow") == (Rag.AMBER, IMPROVING, True)
    assert parse_rag("Orange with double arrow") == (Rag.AMBER, STEADY, True)
    assert parse_rag("Green ↓") == (Rag.GREEN, WORSENING, True)


@pytest.mark.parametrize(
    ("arrow", "direction"), [("↑", IMPROVING), ("↓", WORSENING), ("↔", STEADY)]
)
def test_an_arrow_alone_is_a_direction_only(arrow: str, direction: str) -> None:
    assert parse_rag(arrow) == (None, direction, True)


def test_unknown_rag_marks_are_not_understood() -> None:
    assert parse_rag("█") == (None, None, False)
    assert parse_rag("Adequate") == (None, None, False)


def test_an_empty_rag_cell_says_nothing() -> None:
    assert parse_rag("") == (None, None, True)
    assert parse_rag(None) == (None, None, True)


# -- people ----------------------------------------------------------------------------------------


def test_name_with_title_in_brackets() -> None:
    assert parse_people("Hilary Paxton (Head of Adult Safeguarding)") == [
        Person("Hilary Paxton", title="Head of Adult Safeguarding")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Sue Hawkins\nStephen Bunford",
        "Sue Hawkins; Stephen Bunford",
        "Sue Hawkins / Stephen Bunford",
        "Sue Hawkins and Stephen Bunford",
        "Sue Hawkins & Stephen Bunford",
        "Sue Hawkins, Stephen Bunford",
    ],
)
def test_separators_between_people(text: str) -> None:
    assert [p.name for p in parse_people(text)] == ["Sue Hawkins", "Stephen Bunford"]


def test_and_inside_a_bracketed_title_is_not_a_separator() -> None:
    people = parse_people("Jane Moran (Head of Access and Inclusion) and Tim O'Shea")
    assert people == [
        Person("Jane Moran", title="Head of Access and Inclusion"),
        Person("Tim O'Shea"),
    ]


def test_a_title_after_a_comma_belongs_to_the_name_before_it() -> None:
    assert parse_people("Dennis Holmes, Deputy Director (Strategic Commissioning)") == [
        Person("Dennis Holmes", title="Deputy Director (Strategic Commissioning)")
    ]


def test_a_post_without_a_name_is_kept_as_the_name_and_and_in_it_is_not_split() -> None:
    people = parse_people(
        "Chief Officer (Access and Inclusion) Chief Officer (Learning Disability)"
    )
    assert [p.name for p in people] == [
        "Chief Officer (Access and Inclusion)",
        "Chief Officer (Learning Disability)",
    ]
    assert parse_people("Head of Access and Inclusion") == [Person("Head of Access and Inclusion")]


def test_a_new_name_after_a_closing_bracket_is_a_new_person() -> None:
    people = parse_people(
        "Hilary Paxton (Head of Adult Safeguarding) Graham Sephton (Deputy Head of HR)"
    )
    assert [(p.name, p.title) for p in people] == [
        ("Hilary Paxton", "Head of Adult Safeguarding"),
        ("Graham Sephton", "Deputy Head of HR"),
    ]


def test_a_plural_title_after_a_list_is_everyones() -> None:
    people = parse_people("Brian Ratner, Jim Traynor, Jane Moran (Service Delivery Managers)")
    assert [(p.name, p.title) for p in people] == [
        ("Brian Ratner", "Service Delivery Managers"),
        ("Jim Traynor", "Service Delivery Managers"),
        ("Jane Moran", "Service Delivery Managers"),
    ]
    # A singular title stays with its own name.
    singular = parse_people("Brian Ratner, Jane Moran (Quality Assurance Manager)")
    assert [p.title for p in singular] == [None, "Quality Assurance Manager"]


def test_a_post_written_after_a_name_without_brackets() -> None:
    assert parse_people("Michele Tynan Chief Officer (Learning Disability)") == [
        Person("Michele Tynan", title="Chief Officer (Learning Disability)")
    ]
    assert parse_people("Jemima Sparks. Programme Manager") == [
        Person("Jemima Sparks", title="Programme Manager")
    ]


def test_an_email_address_in_the_cell_is_the_persons_email() -> None:
    assert parse_people("Sue Hawkins <Sue.Hawkins@essex.gov.uk>; Jo Bloggs (jo@leeds.gov.uk)") == [
        Person("Sue Hawkins", email="sue.hawkins@essex.gov.uk"),
        Person("Jo Bloggs", email="jo@leeds.gov.uk"),
    ]
    assert parse_people("Sue Hawkins") == [Person("Sue Hawkins", email=None)]


def test_an_email_alone_names_the_person_by_it() -> None:
    assert parse_people("lead@leeds.gov.uk") == [
        Person("lead@leeds.gov.uk", email="lead@leeds.gov.uk")
    ]


def test_the_same_person_twice_is_listed_once() -> None:
    assert parse_people("Sue Hawkins\nSue Hawkins") == [Person("Sue Hawkins")]


def test_empty_cell_names_nobody() -> None:
    assert parse_people("") == []
    assert parse_people(None) == []
    assert parse_people("- / ?") == []
