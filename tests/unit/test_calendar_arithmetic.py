"""Deadline arithmetic over the official 2025 and 2026 schedules (domain.md §5; §12, §14).

The calendar is built here from chinesecalendar's data, independently of the database code;
expected dates were counted by hand from the State Council notices.
"""
from datetime import date, timedelta

import chinese_calendar
import pytest

from app.domain.calendar import (
    PLAIN_WEEKDAYS,
    WorkCalendar,
    add_working_days,
    appeal_decision_deadline,
    appeal_window_end,
    handling_deadline,
    working_days_between,
)

YEARS = (2025, 2026)

# Make-up working days (调休上班) of the official schedules.
MAKE_UP_DAYS = [
    date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11),
    date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10),
]


def _days(year):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def official_calendar(*years):
    """A WorkCalendar holding chinesecalendar's schedule of ``years`` (published)."""
    overrides = {}
    for year in years:
        for day in _days(year):
            is_workday = chinese_calendar.is_workday(day)
            if is_workday != (day.weekday() < 5):
                overrides[day] = is_workday
    return WorkCalendar(overrides=overrides, published_years=frozenset(years))


CAL = official_calendar(*YEARS)


def test_the_test_calendar_matches_chinesecalendar_on_every_date():
    for year in YEARS:
        for day in _days(year):
            assert CAL.is_workday(day) == chinese_calendar.is_workday(day), day


def test_the_make_up_day_list_is_the_official_one():
    official = sorted(d for d in chinese_calendar.workdays if d.year in YEARS)
    assert official == MAKE_UP_DAYS


@pytest.mark.parametrize("day", MAKE_UP_DAYS, ids=str)
def test_every_make_up_day_is_a_working_day_and_counts(day):
    assert day.weekday() >= 5, "a make-up working day falls on a weekend"
    assert CAL.is_workday(day)
    assert not PLAIN_WEEKDAYS.is_workday(day)
    # Counting from the day before, the make-up day is the first working day.
    assert add_working_days(CAL, day - timedelta(days=1), 1) == (day, False)
    assert working_days_between(CAL, day - timedelta(days=1), day) == 1


def test_every_weekday_holiday_is_a_day_off():
    holidays = [d for d in chinese_calendar.holidays if d.year in YEARS and d.weekday() < 5]
    assert len(holidays) > 20
    for day in holidays:
        assert not CAL.is_workday(day), day


@pytest.mark.parametrize(
    "received, level, due",
    [
        # §12 branch level, 10 working days, across 国庆 2025 (Oct 1–8 off, Sep 28 and Oct 11 on).
        (date(2025, 9, 26), "branch", date(2025, 10, 16)),
        # §12 union level, 20 working days, same stretch.
        (date(2025, 9, 26), "union", date(2025, 10, 30)),
        # 春节 2025: Jan 28–Feb 4 off, Jan 26 (Sun) and Feb 8 (Sat) on.
        (date(2025, 1, 24), "union", date(2025, 2, 27)),
        # 春节 2026: Feb 15–23 off, Feb 14 and Feb 28 (Sat) on.
        (date(2026, 2, 10), "branch", date(2026, 3, 2)),
        (date(2026, 2, 10), "union", date(2026, 3, 16)),
        # 中秋 + 国庆 2026: Sep 25–27 and Oct 1–7 off, Sep 20 (Sun) and Oct 10 (Sat) on.
        (date(2026, 9, 18), "branch", date(2026, 10, 9)),
        (date(2026, 9, 18), "union", date(2026, 10, 22)),
    ],
)
def test_handling_deadlines_across_golden_weeks(received, level, due):
    assert handling_deadline(CAL, received, level) == (due, False)


def test_appeal_decision_30_working_days_across_national_day_2026():
    """§14: 30 working days after the application."""
    assert appeal_decision_deadline(CAL, date(2026, 9, 18)) == (date(2026, 11, 5), False)


def test_appeal_decision_30_working_days_across_spring_festival_2025():
    assert appeal_decision_deadline(CAL, date(2025, 1, 20)) == (date(2025, 3, 7), False)


@pytest.mark.parametrize(
    "received, due",
    [
        (date(2025, 10, 1), date(2025, 10, 21)),  # 国庆节 itself: counting starts Oct 9
        (date(2025, 10, 5), date(2025, 10, 21)),  # a holiday on a Sunday
        (date(2026, 2, 17), date(2026, 3, 6)),  # 春节 (a Tuesday off; Sat Feb 28 on)
        (date(2026, 1, 1), date(2026, 1, 15)),  # 元旦 2026 (Jan 1–3 off, Sun Jan 4 on)
    ],
)
def test_receipt_on_a_holiday_starts_counting_on_the_next_working_day(received, due):
    assert handling_deadline(CAL, received, "branch") == (due, False)


@pytest.mark.parametrize(
    "received, due",
    [
        (date(2025, 3, 8), date(2025, 3, 21)),  # Saturday
        (date(2025, 3, 9), date(2025, 3, 21)),  # Sunday
        (date(2025, 3, 7), date(2025, 3, 21)),  # Friday: the receipt day itself never counts
    ],
)
def test_receipt_on_a_weekend(received, due):
    assert handling_deadline(CAL, received, "branch") == (due, False)


def test_receipt_on_a_make_up_working_day_does_not_count_that_day():
    # Sun Sep 28 2025 is a working day, but the day of receipt never counts.
    assert handling_deadline(CAL, date(2025, 9, 28), "branch") == (date(2025, 10, 17), False)


def test_turn_of_the_year_into_unpublished_2027_is_provisional_not_an_error():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))  # why 2027 needs its own handling
    # 20 working days from Dec 18 2026 reach 2027: Monday–Friday there, provisional.
    assert handling_deadline(CAL, date(2026, 12, 18), "union") == (date(2027, 1, 15), True)
    assert handling_deadline(CAL, date(2026, 12, 18), "branch") == (date(2027, 1, 1), True)
    assert appeal_decision_deadline(CAL, date(2026, 12, 31)) == (date(2027, 2, 11), True)
    # Ending on Dec 31 2026 stays final.
    assert handling_deadline(CAL, date(2026, 12, 17), "branch") == (date(2026, 12, 31), False)
    # A receipt inside the unpublished year.
    assert handling_deadline(CAL, date(2027, 3, 1), "branch") == (date(2027, 3, 15), True)


def test_publishing_2027_makes_the_deadline_final_and_moves_it_past_the_holiday():
    """An administrator loads 2027 (元旦 Jan 1 off): the provisional date is recomputed."""
    with_2027 = WorkCalendar(
        overrides={**CAL.overrides, date(2027, 1, 1): False},
        published_years=CAL.published_years | {2027},
    )
    assert handling_deadline(with_2027, date(2026, 12, 18), "branch") == (date(2027, 1, 4), False)
    assert handling_deadline(with_2027, date(2026, 12, 18), "union") == (date(2027, 1, 18), False)


def test_unpublished_year_with_administrator_days_is_still_provisional():
    partial = WorkCalendar(overrides={**CAL.overrides, date(2027, 1, 1): False}, published_years=CAL.published_years)
    assert handling_deadline(partial, date(2026, 12, 18), "branch") == (date(2027, 1, 4), True)


@pytest.mark.parametrize(
    "received, last_day, provisional",
    [
        (date(2025, 9, 30), date(2025, 10, 15), False),  # calendar days: the holidays inside count
        (date(2026, 2, 13), date(2026, 2, 28), False),  # a Saturday, but a make-up working day (调休)
        (date(2025, 9, 20), date(2025, 10, 9), False),  # ends on 国庆 (10-05): the next working day
        (date(2025, 11, 1), date(2025, 11, 17), False),  # ends on a Sunday: Monday
        (date(2026, 12, 20), date(2027, 1, 4), True),  # into an unpublished year: provisional
        (date(2026, 12, 13), date(2026, 12, 28), False),
    ],
)
def test_appeal_window_is_15_calendar_days_ending_on_a_working_day(received, last_day, provisional):
    """§14 with Civil Code art. 203: 15 calendar days after the customer received the reply, the
    last day inclusive; a last day that is a holiday or rest day moves to the next working day."""
    assert appeal_window_end(CAL, received) == (last_day, provisional)


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(CAL, date(2025, 9, 30), date(2025, 10, 8)) == 0
    assert working_days_between(CAL, date(2025, 9, 30), date(2025, 10, 11)) == 3
    assert working_days_between(CAL, date(2025, 10, 11), date(2025, 10, 1)) == 0
