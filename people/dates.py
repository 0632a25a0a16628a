"""Dates of people: an age on a day, the day some years ago."""

from __future__ import annotations

import datetime

from django.utils import timezone


def years_ago(years: int, today: datetime.date | None = None) -> datetime.date:
    """The date `years` years before `today` (29 February becomes 28 February)."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def age_on(birth_date: datetime.date | None, today: datetime.date | None = None) -> int | None:
    if birth_date is None:
        return None
    today = today or timezone.localdate()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
