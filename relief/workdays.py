"""Deadlines in working days, on the Chinese holiday and make-up-workday calendar.

`chinese-calendar` knows the State Council's holiday arrangements only for years already published.
For a later year we count Monday to Friday and say so (`exact=False`), so a page can warn that the
deadline may move when the year's calendar is announced.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import chinese_calendar


@dataclass(frozen=True)
class Deadline:
    date: datetime.date
    exact: bool  # False when some day was counted as a plain weekday

    def __str__(self) -> str:
        return self.date.isoformat()


def is_working_day(day: datetime.date) -> tuple[bool, bool]:
    """(is it a working day, is the answer from the official calendar)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: datetime.date, days: int) -> Deadline:
    """The date `days` working days after `start` (the start day itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, exact, counted = start, True, 0
    while counted < days:
        day += datetime.timedelta(days=1)
        working, known = is_working_day(day)
        exact = exact and known
        if working:
            counted += 1
    return Deadline(day, exact)


def working_days_between(start: datetime.date, end: datetime.date) -> tuple[int, bool]:
    """Working days after `start` up to and including `end`, and whether every day was known."""
    count, exact, day = 0, True, start
    while day < end:
        day += datetime.timedelta(days=1)
        working, known = is_working_day(day)
        exact = exact and known
        count += working
    return count, exact
