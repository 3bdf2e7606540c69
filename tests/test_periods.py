from __future__ import annotations

from datetime import date

import pytest

from domain.periods import ActionDates, Period, PeriodLists, period_lists
from domain.values import Cadence, Status

# Periods


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("2009-08", date(2009, 8, 1), date(2009, 8, 31)),
        ("2009-12", date(2009, 12, 1), date(2009, 12, 31)),
        ("2008-02", date(2008, 2, 1), date(2008, 2, 29)),
        ("2009-02", date(2009, 2, 1), date(2009, 2, 28)),
        ("2009-Q1", date(2009, 1, 1), date(2009, 3, 31)),
        ("2009-Q3", date(2009, 7, 1), date(2009, 9, 30)),
        ("2009-Q4", date(2009, 10, 1), date(2009, 12, 31)),
    ],
)
def test_parse_gives_start_end_and_key(key: str, start: date, end: date) -> None:
    period = Period.parse(key)
    assert (period.start, period.end) == (start, end)
    assert period.key == key
    assert str(period) == key


def test_parse_reads_cadence() -> None:
    assert Period.parse("2009-08").cadence is Cadence.MONTHLY
    assert Period.parse("2009-q3") == Period(Cadence.QUARTERLY, 2009, 3)


@pytest.mark.parametrize(
    "key", ["2009-13", "2009-00", "2009-Q5", "2009-Q0", "2009-8", "Aug 2009", ""]
)
def test_parse_refuses_other_keys(key: str) -> None:
    with pytest.raises(ValueError):
        Period.parse(key)


@pytest.mark.parametrize(
    ("day", "cadence", "key"),
    [
        (date(2009, 12, 31), Cadence.MONTHLY, "2009-12"),
        (date(2010, 1, 1), Cadence.MONTHLY, "2010-01"),
        (date(2009, 9, 30), Cadence.QUARTERLY, "2009-Q3"),
        (date(2009, 10, 1), Cadence.QUARTERLY, "2009-Q4"),
        (date(2009, 12, 31), Cadence.QUARTERLY, "2009-Q4"),
        (date(2010, 1, 1), Cadence.QUARTERLY, "2010-Q1"),
    ],
)
def test_containing(day: date, cadence: Cadence, key: str) -> None:
    assert Period.containing(day, cadence).key == key


@pytest.mark.parametrize(
    ("key", "following"),
    [
        ("2009-08", "2009-09"),
        ("2009-12", "2010-01"),
        ("2009-Q3", "2009-Q4"),
        ("2009-Q4", "2010-Q1"),
    ],
)
def test_next_and_previous_across_year_boundary(key: str, following: str) -> None:
    assert Period.parse(key).next() == Period.parse(following)
    assert Period.parse(following).previous() == Period.parse(key)


def test_periods_order_by_date() -> None:
    keys = ["2010-01", "2009-Q4", "2009-12", "2009-08", "2009-Q3", "2010-Q1", "2009-09"]
    ordered = [str(p) for p in sorted(Period.parse(k) for k in keys)]
    assert ordered == ["2009-Q3", "2009-08", "2009-09", "2009-Q4", "2009-12", "2010-01", "2010-Q1"]
    assert Period.parse("2009-12") < Period.parse("2010-01")
    # A month sorts before the quarter it opens: same start, earlier end.
    assert Period.parse("2009-07") < Period.parse("2009-Q3")
    assert not Period.parse("2009-Q3") < Period.parse("2009-07")
    assert Period.parse("2010-01") > Period.parse("2009-12")
    assert Period.parse("2009-Q4") <= Period.parse("2009-Q4")


def test_period_contains_its_days_only() -> None:
    august = Period.parse("2009-08")
    assert date(2009, 8, 1) in august
    assert date(2009, 8, 31) in august
    assert date(2009, 7, 31) not in august
    assert date(2009, 9, 1) not in august
    assert None not in august


def test_labels() -> None:
    assert Period.parse("2009-08").label == "August 2009"
    assert Period.parse("2009-Q3").label == "Q3 2009"


# Period lists

AUGUST = Period.parse("2009-08")


def action(ref: str = "1.1", status: Status = Status.IN_PROGRESS, **dates: object) -> ActionDates:
    return ActionDates(ref, status, **dates)  # type: ignore[arg-type]


def lists_of(lists: PeriodLists) -> dict[str, list[str]]:
    return {
        "completed": [a.ref for a in lists.completed],
        "overdue": [a.ref for a in lists.overdue],
        "due_next": [a.ref for a in lists.due_next],
        "commencing_next": [a.ref for a in lists.commencing_next],
    }


def where(item: ActionDates, period: Period = AUGUST) -> list[str]:
    return [name for name, refs in lists_of(period_lists([item], period)).items() if refs]


@pytest.mark.parametrize(
    ("actual_finish", "listed"),
    [
        (date(2009, 7, 31), []),
        (date(2009, 8, 1), ["completed"]),
        (date(2009, 8, 31), ["completed"]),
        (date(2009, 9, 1), []),
    ],
)
def test_completed_this_period(actual_finish: date, listed: list[str]) -> None:
    item = action(
        status=Status.COMPLETED, plan_finish=date(2009, 12, 31), actual_finish=actual_finish
    )
    assert where(item) == listed


@pytest.mark.parametrize(
    ("plan_finish", "listed"),
    [
        (date(2009, 5, 31), ["overdue"]),
        (date(2009, 8, 30), ["overdue"]),
        (date(2009, 8, 31), ["overdue"]),
        (date(2009, 9, 1), ["due_next"]),
        (date(2009, 9, 30), ["due_next"]),
        (date(2009, 10, 1), []),
    ],
)
def test_overdue_and_due_next_by_plan_finish(plan_finish: date, listed: list[str]) -> None:
    assert where(action(plan_finish=plan_finish)) == listed


def test_completed_late_within_the_period_is_completed_not_overdue() -> None:
    # Leeds 4.2 (a): planned to finish May 2009, finished August 2009.
    item = action(
        status=Status.COMPLETED, plan_finish=date(2009, 5, 31), actual_finish=date(2009, 8, 12)
    )
    assert where(item) == ["completed"]


def test_completed_after_the_period_was_still_overdue_in_it() -> None:
    item = action(
        status=Status.VERIFIED, plan_finish=date(2009, 5, 31), actual_finish=date(2009, 9, 3)
    )
    assert where(item) == ["overdue"]


def test_completed_with_unknown_date_is_not_overdue() -> None:
    assert where(action(status=Status.COMPLETED, plan_finish=date(2009, 5, 31))) == []


def test_in_progress_with_unknown_finish_date_is_overdue() -> None:
    assert where(action(status=Status.IN_PROGRESS, plan_finish=date(2009, 5, 31))) == ["overdue"]


def test_completed_early_is_not_due_next() -> None:
    item = action(
        status=Status.COMPLETED, plan_finish=date(2009, 9, 30), actual_finish=date(2009, 8, 20)
    )
    assert where(item) == ["completed"]


@pytest.mark.parametrize("plan_finish", [date(2009, 5, 31), date(2009, 9, 15)])
def test_recurring_work_is_neither_overdue_nor_due(plan_finish: date) -> None:
    assert where(action(plan_finish=plan_finish, recurrence="quarterly")) == []


@pytest.mark.parametrize(
    ("plan_start", "listed"),
    [
        (date(2009, 8, 31), []),
        (date(2009, 9, 1), ["commencing_next"]),
        (date(2009, 9, 30), ["commencing_next"]),
        (date(2009, 10, 1), []),
    ],
)
def test_commencing_next_period(plan_start: date, listed: list[str]) -> None:
    item = action(status=Status.NOT_STARTED, plan_start=plan_start, plan_finish=date(2010, 3, 31))
    assert where(item) == listed


def test_completed_action_is_not_commencing() -> None:
    item = action(
        status=Status.COMPLETED, plan_start=date(2009, 9, 1), actual_finish=date(2009, 7, 1)
    )
    assert where(item) == []


def test_an_action_can_be_due_and_commencing_next() -> None:
    item = action(plan_start=date(2009, 9, 1), plan_finish=date(2009, 9, 30))
    assert where(item) == ["due_next", "commencing_next"]


@pytest.mark.parametrize("status", [Status.DEFERRED, Status.CANCELLED])
def test_deferred_and_cancelled_appear_in_no_list(status: Status) -> None:
    overdue = action(status=status, plan_finish=date(2009, 5, 31))
    finished = action(status=status, actual_finish=date(2009, 8, 10))
    due_and_starting = action(
        status=status, plan_start=date(2009, 9, 1), plan_finish=date(2009, 9, 30)
    )
    assert where(overdue) == []
    assert where(finished) == []
    assert where(due_and_starting) == []


def test_quarterly_lists_across_the_year_boundary() -> None:
    q4 = Period.parse("2009-Q4")
    assert where(action(plan_finish=date(2009, 12, 31)), q4) == ["overdue"]
    assert where(action(plan_finish=date(2010, 1, 1)), q4) == ["due_next"]
    assert where(action(plan_finish=date(2010, 3, 31)), q4) == ["due_next"]
    assert where(action(plan_finish=date(2010, 4, 1)), q4) == []
    assert where(action(plan_start=date(2010, 1, 1)), q4) == ["commencing_next"]
    assert where(action(status=Status.COMPLETED, actual_finish=date(2009, 10, 1)), q4) == [
        "completed"
    ]
    assert where(action(status=Status.COMPLETED, actual_finish=date(2009, 9, 30)), q4) == []


def test_monthly_lists_across_the_year_boundary() -> None:
    december = Period.parse("2009-12")
    assert where(action(plan_finish=date(2009, 12, 31)), december) == ["overdue"]
    assert where(action(plan_finish=date(2010, 1, 31)), december) == ["due_next"]
    assert where(action(plan_start=date(2010, 1, 1)), december) == ["commencing_next"]


def test_lists_keep_the_given_order_and_name_their_period() -> None:
    actions = [
        action("5.1", plan_finish=date(2009, 9, 30)),
        action("4.2 (b)", plan_finish=date(2009, 9, 30)),
        action("5.2", Status.NOT_STARTED, plan_start=date(2009, 9, 1)),
        action("2.3", Status.COMPLETED, actual_finish=date(2009, 8, 5)),
        action(
            "4.2 (a)",
            Status.COMPLETED,
            plan_finish=date(2009, 5, 31),
            actual_finish=date(2009, 8, 20),
        ),
    ]
    lists = period_lists(actions, AUGUST)
    assert lists.period == AUGUST
    assert lists_of(lists) == {
        "completed": ["2.3", "4.2 (a)"],
        "overdue": [],
        "due_next": ["5.1", "4.2 (b)"],
        "commencing_next": ["5.2"],
    }
