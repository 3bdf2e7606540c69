from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.working_days import (
    add_working_days,
    is_bank_holiday,
    is_working_day,
    last_working_day_on_or_before,
    london_today,
    next_working_day_on_or_after,
    working_days_before,
)


@pytest.mark.parametrize(
    "d",
    [
        date(2009, 4, 10),  # Good Friday
        date(2009, 4, 13),  # Easter Monday
        date(2009, 5, 4),  # early May
        date(2009, 5, 25),  # spring
        date(2009, 8, 31),  # late summer
        date(2009, 12, 28),  # Boxing Day observed, 26 Dec being a Saturday
        date(2022, 9, 19),  # one-off: state funeral
    ],
)
def test_bank_holidays_in_england_are_not_working_days(d: date) -> None:
    assert d.weekday() < 5
    assert is_bank_holiday(d)
    assert not is_working_day(d)


def test_scottish_only_bank_holidays_are_working_days() -> None:
    assert is_working_day(date(2009, 1, 2))  # 2 January: Scotland only
    assert is_working_day(date(2009, 8, 3))  # first Monday of August: Scotland only


def test_weekends_are_not_working_days_and_ordinary_weekdays_are() -> None:
    assert not is_working_day(date(2009, 6, 13))
    assert not is_working_day(date(2009, 6, 14))
    assert is_working_day(date(2009, 6, 15))


def test_adding_working_days_skips_easter() -> None:
    assert add_working_days(date(2009, 4, 9), 1) == date(2009, 4, 14)
    assert add_working_days(date(2009, 4, 14), -1) == date(2009, 4, 9)
    assert add_working_days(date(2009, 4, 8), 3) == date(2009, 4, 15)


def test_adding_from_a_non_working_day_counts_the_next_working_day_as_one() -> None:
    assert add_working_days(date(2009, 6, 13), 1) == date(2009, 6, 15)
    assert add_working_days(date(2009, 6, 13), -1) == date(2009, 6, 12)


def test_adding_zero_returns_the_date_unchanged() -> None:
    assert add_working_days(date(2009, 6, 13), 0) == date(2009, 6, 13)


def test_working_days_before_counts_back_over_bank_holidays() -> None:
    # Tue 14 Apr 2009 follows Easter: Fri 10 and Mon 13 are not counted.
    assert working_days_before(date(2009, 4, 14), 3) == date(2009, 4, 7)
    assert working_days_before(date(2009, 4, 14), 14) == date(2009, 3, 23)
    assert working_days_before(date(2009, 9, 1), 3) == date(2009, 8, 26)


def test_working_days_before_zero_is_the_deadline_or_the_last_working_day_before() -> None:
    assert working_days_before(date(2009, 6, 30), 0) == date(2009, 6, 30)
    assert working_days_before(date(2009, 5, 25), 0) == date(2009, 5, 22)  # bank holiday
    assert working_days_before(date(2009, 5, 30), 0) == date(2009, 5, 29)  # Saturday


def test_a_deadline_on_a_non_working_day_counts_from_the_working_day_before() -> None:
    # Mon 25 May 2009 is a bank holiday, so the deadline is treated as Fri 22 May.
    assert working_days_before(date(2009, 5, 25), 1) == date(2009, 5, 21)
    assert working_days_before(date(2009, 5, 25), 14) == date(2009, 5, 1)


def test_working_days_before_rejects_a_negative_count() -> None:
    with pytest.raises(ValueError):
        working_days_before(date(2009, 6, 30), -1)


def test_working_days_before_lands_on_a_working_day_and_counts_back_exactly() -> None:
    d = date(2009, 1, 1)
    while d.year == 2009:
        for n in (0, 1, 3, 14):
            result = working_days_before(d, n)
            assert is_working_day(result)
            assert add_working_days(result, n) == last_working_day_on_or_before(d)
        d += timedelta(days=1)


def test_next_working_day_on_or_after() -> None:
    assert next_working_day_on_or_after(date(2009, 4, 10)) == date(2009, 4, 14)
    assert next_working_day_on_or_after(date(2009, 4, 14)) == date(2009, 4, 14)


def test_london_today_follows_british_summer_time() -> None:
    assert london_today(datetime(2009, 6, 30, 23, 30, tzinfo=UTC)) == date(2009, 7, 1)
    assert london_today(datetime(2009, 12, 31, 23, 30, tzinfo=UTC)) == date(2009, 12, 31)


def test_london_today_takes_a_naive_datetime_as_utc() -> None:
    assert london_today(datetime(2009, 6, 30, 23, 30)) == date(2009, 7, 1)


def test_london_today_converts_other_offsets() -> None:
    new_york = timezone(timedelta(hours=-4))
    assert london_today(datetime(2009, 6, 30, 20, 0, tzinfo=new_york)) == date(2009, 7, 1)
