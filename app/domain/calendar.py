"""Working-day arithmetic for 限时处理 (§12, §13, §14), calendar passed in.

China's working days: Monday–Friday, minus public holidays, plus make-up working days (调休)
on weekends. ``WorkCalendar`` holds the dates that differ from the plain Monday–Friday rule
(or that an administrator confirmed) and the years whose official schedule is known
("published"). A count that touches an unpublished year uses Monday–Friday for the dates in it
and the result is marked provisional — never an error.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import FrozenSet, Mapping, NamedTuple

BRANCH_LEVEL_DAYS = 10  # §12(一)
UNION_LEVEL_DAYS = 20  # §12(二)
APPEAL_DECISION_DAYS = 30  # §14: working days for the superior body's decision
APPEAL_WINDOW_CALENDAR_DAYS = 15  # §14: calendar days for the customer to apply


@dataclass(frozen=True)
class WorkCalendar:
    """Known exceptions to Monday–Friday and the years whose schedule is published."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    published_years: FrozenSet[int] = frozenset()

    def is_workday(self, day: date) -> bool:
        """True when ``day`` is an official working day (Mon–Fri unless overridden)."""
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5

    def is_published(self, day: date) -> bool:
        """True when ``day``'s year has its official schedule in this calendar."""
        return day.year in self.published_years


PLAIN_WEEKDAYS = WorkCalendar()


class Deadline(NamedTuple):
    """A computed date and whether it rests on an unpublished year (临时)."""

    date: date
    provisional: bool


def add_working_days(calendar: WorkCalendar, start: date, days: int) -> Deadline:
    """The date ``days`` working days after ``start`` (``start`` itself never counts).

    A start on a day off simply begins counting with the next working day. ``days`` must be
    at least 1.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    provisional = False
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if not calendar.is_published(current):
            provisional = True
        if calendar.is_workday(current):
            counted += 1
    return Deadline(current, provisional)


def working_days_between(calendar: WorkCalendar, start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if calendar.is_workday(current):
            count += 1
    return count


def handling_days(level: str) -> int:
    """§12: 10 working days for a branch-level case, 20 for a union-level one."""
    return UNION_LEVEL_DAYS if level == "union" else BRANCH_LEVEL_DAYS


def handling_deadline(calendar: WorkCalendar, received: date, level: str) -> Deadline:
    """§12: 10 working days for branch-level, 20 for union-level cases, from the day of receipt."""
    return add_working_days(calendar, received, handling_days(level))


def appeal_decision_deadline(calendar: WorkCalendar, applied: date) -> Deadline:
    """§14: the superior body decides within 30 working days of the application."""
    return add_working_days(calendar, applied, APPEAL_DECISION_DAYS)


def appeal_window_end(calendar: WorkCalendar, start: date) -> Deadline:
    """§14: the customer may apply within 15 calendar days of receiving the reply (``start``: the
    reply day for a phone call or visit, the day the letter was received); the last day is
    inclusive, and when it is a statutory holiday or rest day the window ends on the next working
    day (Civil Code art. 203). Provisional when a day it rests on lies in an unpublished year."""
    last = start + timedelta(days=APPEAL_WINDOW_CALENDAR_DAYS)
    provisional = not calendar.is_published(last)
    while not calendar.is_workday(last):
        last += timedelta(days=1)
        provisional = provisional or not calendar.is_published(last)
    return Deadline(last, provisional)


def latest_extension(calendar: WorkCalendar, due: date, max_days: int) -> Deadline:
    """§13: the latest date an extension may reach, ``max_days`` working days after the deadline
    being extended (domain.md §10)."""
    return add_working_days(calendar, due, max(1, max_days))


def due_soon(calendar: WorkCalendar, today: date, due: date, within: int) -> bool:
    """True when ``due`` is today or within ``within`` working days from today (not yet past)."""
    if due < today:
        return False
    return working_days_between(calendar, today, due) <= within


# The national rules for banking complaints (《银行业保险业消费投诉处理管理办法》) give a
# calendar-day ceiling: a decision within 15 days of receipt, extendable to 30. It is an
# advisory clock beside the union's working-day deadline.
REGULATORY_CEILING_DAYS = 15
REGULATORY_CEILING_EXTENDED_DAYS = 30


def regulatory_ceiling(received: date, extended: bool, days: int = REGULATORY_CEILING_DAYS,
                       extended_days: int = REGULATORY_CEILING_EXTENDED_DAYS) -> date:
    """Last calendar day of the national ceiling for a complaint received on ``received``."""
    return received + timedelta(days=extended_days if extended else days)
