"""Rules of risk lists and of when their inspections come due (DOMAIN.md "Risk grading and control"): pure
functions, no database.

- A list is kept at a department level (enterprise / department / workshop / team / post) and must be the list
  of a department of that same level.
- Checks a day: 1–7, and more than one only for daily lists (a weekly list checked "three times a day" means
  nothing).
- Periods: yearly = the calendar year, quarterly = the calendar quarter, monthly = the calendar month, weekly =
  Monday to Sunday, daily = the day; a daily list "on workdays" has no period on Saturdays and Sundays.
  (Public holidays are not known to the platform: an enterprise closed on a holiday misses those checks.)
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Frequency

CHECKS_PER_DAY_MIN = 1
CHECKS_PER_DAY_MAX = 7
SATURDAY = 5  # date.weekday(): Monday is 0


def level_matches(list_level: str, department_level: str) -> bool:
    return bool(list_level) and list_level == department_level


def check_level(*, list_level: str, department_level: str, department_name: str, level_label) -> None:
    """Refuse a department of another level, saying what to choose instead."""
    if not level_matches(list_level, department_level):
        raise ValidationError(
            {
                "department": [
                    _(
                        "“%(department)s” is not at the “%(level)s” level: choose a department of that level, or "
                        "change the list's level to the department's."
                    )
                    % {"department": department_name, "level": level_label}
                ]
            }
        )


def checks_per_day_error(frequency: str, checks_per_day: int | None) -> str | None:
    """Why ``checks_per_day`` is wrong for ``frequency`` (a message), or None when it is right."""
    if checks_per_day is None or not CHECKS_PER_DAY_MIN <= checks_per_day <= CHECKS_PER_DAY_MAX:
        return _("Checks a day must be between %(min)d and %(max)d.") % {
            "min": CHECKS_PER_DAY_MIN,
            "max": CHECKS_PER_DAY_MAX,
        }
    if frequency != Frequency.DAILY and checks_per_day != 1:
        return _("Several checks a day only apply to daily lists: choose 1, or make the list daily.")
    return None


def check_checks_per_day(frequency: str, checks_per_day: int | None) -> None:
    message = checks_per_day_error(frequency, checks_per_day)
    if message:
        raise ValidationError({"checks_per_day": [message]})


def slots(frequency: str, checks_per_day: int) -> range:
    """The checks of one period: 1..checks_per_day for daily lists, a single one otherwise."""
    return range(1, (checks_per_day if frequency == Frequency.DAILY else 1) + 1)


def period_containing(frequency: str, on_date: date) -> tuple[date, date]:
    """The calendar period of ``frequency`` that contains ``on_date`` (first and last day, inclusive)."""
    if frequency == Frequency.YEARLY:
        return date(on_date.year, 1, 1), date(on_date.year, 12, 31)
    if frequency == Frequency.QUARTERLY:
        first_month = 3 * ((on_date.month - 1) // 3) + 1
        start = date(on_date.year, first_month, 1)
        return start, start + relativedelta(months=3) - timedelta(days=1)
    if frequency == Frequency.MONTHLY:
        start = on_date.replace(day=1)
        return start, start + relativedelta(months=1) - timedelta(days=1)
    if frequency == Frequency.WEEKLY:
        start = on_date - timedelta(days=on_date.weekday())
        return start, start + timedelta(days=6)
    if frequency == Frequency.DAILY:
        return on_date, on_date
    raise ValueError(f"unknown frequency {frequency!r}")


def is_rest_day(on_date: date) -> bool:
    return on_date.weekday() >= SATURDAY


def periods_due(frequency: str, workdays_only: bool, on_date: date) -> tuple[date, date] | None:
    """The period whose checks are due on ``on_date``, or None when nothing is due that day (a weekend day of a
    daily list kept on workdays only). ``workdays_only`` matters for daily lists alone."""
    if frequency == Frequency.DAILY and workdays_only and is_rest_day(on_date):
        return None
    return period_containing(frequency, on_date)


def next_due_date(frequency: str, workdays_only: bool, on_date: date) -> date:
    """The first day after ``on_date``'s period on which a new period comes due (the checklist's "next check")."""
    day = period_containing(frequency, on_date)[1] + timedelta(days=1)
    while periods_due(frequency, workdays_only, day) is None:
        day += timedelta(days=1)
    return day


# -- Periods of the figures (a day, a week or a month) ---------------------------------------------------------


class FigureUnit:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    CHOICES = (DAY, WEEK, MONTH)


_UNIT_FREQUENCY = {
    FigureUnit.DAY: Frequency.DAILY,
    FigureUnit.WEEK: Frequency.WEEKLY,
    FigureUnit.MONTH: Frequency.MONTHLY,
}


def figure_period(unit: str, on_date: date) -> tuple[date, date]:
    return period_containing(_UNIT_FREQUENCY[unit], on_date)


def figure_periods(unit: str, on_date: date, count: int) -> list[tuple[date, date]]:
    """``count`` consecutive periods of ``unit`` ending with the one containing ``on_date``, oldest first."""
    periods = [figure_period(unit, on_date)]
    while len(periods) < count:
        periods.insert(0, figure_period(unit, periods[0][0] - timedelta(days=1)))
    return periods
