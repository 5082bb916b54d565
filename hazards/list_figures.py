"""Inspection figures per department and per list (DOMAIN.md: points, due checks, done checks, coverage and
investigation rate) for a day, a week or a month: aggregates over an inspection-task queryset, one query each.

A task belongs to the period in which it came due (its ``period_start`` falls in it): every task is counted in
exactly one day, one week and one month, so the figures of the days of a month add up to the month's.

- points: risk points with a check due in the period;
- due: checks due; done: those of them done (missed ones are not);
- coverage: points checked at least once ÷ points; investigation rate: done ÷ due (None when nothing was due).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from .models import InspectionTask

GROUP_FIELDS = {"department": "risk_list__department_id", "list": "risk_list_id"}


@dataclass(frozen=True)
class Figures:
    points: int = 0
    due: int = 0
    done: int = 0
    checked_points: int = 0

    @staticmethod
    def _percent(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def coverage(self) -> float | None:
        """Per cent of the points checked at least once."""
        return self._percent(self.checked_points, self.points)

    @property
    def rate(self) -> float | None:
        """Investigation rate: per cent of the due checks done."""
        return self._percent(self.done, self.due)


def _aggregates(period: tuple[date, date], suffix: str = "") -> dict:
    in_period = Q(period_start__range=period)
    done = in_period & Q(status=InspectionTask.Status.DONE)
    return {
        f"points{suffix}": Count("risk_point", distinct=True, filter=in_period),
        f"due{suffix}": Count("pk", filter=in_period),
        f"done{suffix}": Count("pk", filter=done),
        f"checked_points{suffix}": Count("risk_point", distinct=True, filter=done),
    }


def _figures(row: dict, suffix: str = "") -> Figures:
    return Figures(
        points=row[f"points{suffix}"],
        due=row[f"due{suffix}"],
        done=row[f"done{suffix}"],
        checked_points=row[f"checked_points{suffix}"],
    )


def _window(tasks: QuerySet[InspectionTask], periods: list[tuple[date, date]]) -> QuerySet[InspectionTask]:
    # The outer range lets the (enterprise, period_start) index narrow the rows before the per-period filters.
    return tasks.filter(period_start__range=(periods[0][0], periods[-1][1]))


def period_figures(tasks: QuerySet[InspectionTask], period: tuple[date, date]) -> Figures:
    """The figures of every task of ``tasks`` for one period."""
    return _figures(tasks.aggregate(**_aggregates(period)))


def history(tasks: QuerySet[InspectionTask], periods: list[tuple[date, date]]) -> list[Figures]:
    """The figures of each period, in the order given: one query."""
    if not periods:
        return []
    aggregates: dict = {}
    for i, period in enumerate(periods):
        aggregates.update(_aggregates(period, f"_{i}"))
    row = _window(tasks, periods).aggregate(**aggregates)
    return [_figures(row, f"_{i}") for i in range(len(periods))]


def history_by(
    tasks: QuerySet[InspectionTask], group: str, periods: list[tuple[date, date]]
) -> dict[int, list[Figures]]:
    """{department or list id: the figures of each period} for every group with a task in the periods: one query."""
    field = GROUP_FIELDS[group]
    if not periods:
        return {}
    aggregates: dict = {}
    for i, period in enumerate(periods):
        aggregates.update(_aggregates(period, f"_{i}"))
    rows = _window(tasks, periods).order_by().values(field).annotate(**aggregates)
    return {row[field]: [_figures(row, f"_{i}") for i in range(len(periods))] for row in rows}
