"""Risk points, risk lists and inspection tasks for the tests of area "lists" (other areas may import, read-only).

Rows are written with scopes disabled, straight into the state a test needs (no review record): tests of the
workflow itself go through hazards.services. Risk points normally come from the library screens of area "risk";
here they are made directly, with their hazard factors and control measures.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import date

from django.utils import timezone

from enterprises.models import Department
from hazards import list_rules
from hazards.models import ControlMeasure, HazardFactor, InspectionTask, RiskList, RiskListItem, RiskPoint
from safety.tenancy import scopes_disabled

_n = itertools.count(1)

MEASURES = ("储罐液位计完好", "静电接地线连接可靠", "消防器材在有效期内")


def make_department(enterprise, name: str | None = None, level: str = Department.Level.WORKSHOP, parent=None):
    with scopes_disabled():
        return Department.objects.create(
            enterprise=enterprise, name=name or f"车间{next(_n)}", level=level, parent=parent
        )


def make_point(
    enterprise,
    name: str | None = None,
    *,
    place: str = "罐区东侧",
    level: str = "high",
    department=None,
    measures: tuple[str, ...] = MEASURES,
) -> RiskPoint:
    """A graded point with one hazard factor per two measures (so factors and measures both show)."""
    with scopes_disabled():
        point = RiskPoint.objects.create(
            enterprise=enterprise,
            category=RiskPoint.Category.FACILITY,
            name=name or f"风险点{next(_n)}",
            place=place,
            department=department,
            level=level,
            qr_token=secrets.token_hex(16),
        )
        factor = None
        for i, text in enumerate(measures):
            if i % 2 == 0:
                factor = HazardFactor.objects.create(
                    enterprise=enterprise,
                    risk_point=point,
                    kind=HazardFactor.Kind.UNSAFE_CONDITION,
                    description=f"{point.name}危害因素{i // 2 + 1}",
                    consequence="火灾爆炸",
                )
            ControlMeasure.objects.create(enterprise=enterprise, factor=factor, description=text)
        return point


def make_list(
    enterprise,
    points: list[RiskPoint] = (),
    *,
    department=None,
    level: str = Department.Level.WORKSHOP,
    frequency: str = "daily",
    workdays_only: bool = True,
    checks_per_day: int = 1,
    status: str = RiskList.Status.DRAFT,
    name: str | None = None,
) -> RiskList:
    department = department or make_department(enterprise, level=level)
    with scopes_disabled():
        risk_list = RiskList.objects.create(
            enterprise=enterprise,
            name=name or f"风险清单{next(_n)}",
            level=level,
            department=department,
            frequency=frequency,
            workdays_only=workdays_only,
            checks_per_day=checks_per_day,
            status=status,
            filed_at=timezone.now() if status == RiskList.Status.FILED else None,
        )
        RiskListItem.objects.bulk_create(
            [
                RiskListItem(enterprise=enterprise, risk_list=risk_list, risk_point=p, order=i)
                for i, p in enumerate(points)
            ]
        )
        return risk_list


def make_task(risk_list: RiskList, point: RiskPoint, on: date | None = None, *, slot: int = 1, **fields):
    """The task of ``point`` on ``risk_list`` for the period containing ``on`` (default today)."""
    start, end = list_rules.period_containing(risk_list.frequency, on or timezone.localdate())
    with scopes_disabled():
        return InspectionTask.objects.create(
            enterprise_id=risk_list.enterprise_id,
            risk_list=risk_list,
            risk_point=point,
            period_start=start,
            period_end=end,
            slot=slot,
            **fields,
        )


def all_tasks() -> list[tuple]:
    """Every task row as comparable tuples (list, point, period, slot, status)."""
    with scopes_disabled():
        return sorted(
            InspectionTask.objects.values_list(
                "risk_list_id", "risk_point_id", "period_start", "period_end", "slot", "status"
            )
        )
