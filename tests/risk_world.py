"""Helpers of the risk area's tests (hazards area "risk"): points made through the services, Excel uploads."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from hazards import risk_excel, services
from hazards.models import RiskPoint
from safety.tenancy import scopes_disabled

from .factories import actor_for


def headers() -> list[str]:
    """The template's headers in the active language."""
    return [str(c.label) for c in risk_excel.COLUMNS]


def factor(description: str = "阀门泄漏", *measures: str, kind: str = "unsafe_condition", consequence: str = ""):
    return services.RiskFactorInput(
        kind=kind,
        description=description,
        consequence=consequence,
        measures=[services.RiskMeasureInput(description=m) for m in (measures or ("每班巡检",))],
    )


def make_point(
    membership,
    name: str = "液氯储罐区",
    *,
    place: str = "罐区",
    method: str = "lec",
    values: dict[str, Any] | None = None,
    factors: list | None = None,
    category: str = "facility",
    department=None,
    responsible: str = "张三",
) -> RiskPoint:
    """A risk point of the membership's enterprise, created by that (managing) member through the service."""
    return services.risk_point_create(
        actor=actor_for(membership),
        details=services.RiskPointDetails(
            category=category, name=name, place=place, department=department, responsible=responsible
        ),
        factors=factors or [factor()],
        grading=services.RiskGradingInput(method=method, values=values or {"l": "3", "e": "6", "c": "15"}),
    )


def points_of(enterprise) -> list[RiskPoint]:
    with scopes_disabled():
        return list(RiskPoint.objects.filter(enterprise=enterprise).order_by("name", "pk"))


def row(**cells: Any) -> list[Any]:
    """A data row in the template's column order from keyword cells (missing ones empty)."""
    return [cells.get(c.key) for c in risk_excel.COLUMNS]


def good_row(name: str = "甲醇储罐区", **cells: Any) -> list[Any]:
    base = {
        "category": "facility",
        "name": name,
        "place": "罐区",
        "factor_kind": "unsafe_condition",
        "factor": "呼吸阀失效",
        "measure": "每季度检查呼吸阀",
        "method": "LEC",
        "l": 3,
        "e": 6,
        "c": 15,
    }
    return row(**{**base, **cells})


def xlsx_upload(rows: Iterable[list[Any]], header_row: list[str] | None = None, name: str = "risk.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(header_row or headers())
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(
        name, out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def read_xlsx(content: bytes) -> list[list[Any]]:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English: the Chinese catalogue is filled in by translators as the work goes on."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
