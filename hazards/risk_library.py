"""The shared library of typical risk points per industry (风险点库·系统选项), loaded from fixtures/.

``fixtures/shared_risk_points.json`` lists points as {industry, category, name, method, values, factors: [{kind,
description, consequence, measures: [{kind, description}]}]}. Loading matches rows on (industry, name): a second
run creates nothing and brings changed rows up to date, so the command can run on every deployment.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from . import grading
from .models import ControlMeasure, HazardFactor, RiskPoint, SharedRiskPoint

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "shared_risk_points.json"


def _check(entry: dict) -> None:
    """Fail loudly on a bad fixture row: the library is copied into enterprises' own data."""
    name = entry.get("name") or "?"
    if entry["category"] not in RiskPoint.Category.values:
        raise ValueError(f"{name}: unknown category {entry['category']!r}")
    if entry.get("method"):
        grading.grade(entry["method"], entry.get("values") or {})
    if not entry.get("factors"):
        raise ValueError(f"{name}: a typical risk point needs hazard factors")
    for factor in entry["factors"]:
        if factor["kind"] not in HazardFactor.Kind.values or not factor.get("description"):
            raise ValueError(f"{name}: bad factor {factor!r}")
        if not factor.get("measures"):
            raise ValueError(f"{name}: factor {factor['description']!r} has no control measure")
        for measure in factor["measures"]:
            if measure.get("kind", ControlMeasure.Kind.MANAGEMENT) not in ControlMeasure.Kind.values:
                raise ValueError(f"{name}: bad measure {measure!r}")


def load_shared_risk_points(path: Path | None = None) -> int:
    """Create or update the library's rows from the fixture; returns how many were new."""
    entries = json.loads((path or FIXTURE).read_text("utf-8"))
    created = 0
    with transaction.atomic():
        for entry in entries:
            _check(entry)
            _row, new = SharedRiskPoint.objects.update_or_create(
                industry=entry["industry"],
                name=entry["name"],
                defaults={
                    "category": entry["category"],
                    "factors": entry["factors"],
                    "method": entry.get("method", ""),
                    "values": entry.get("values") or {},
                },
            )
            created += int(new)
    return created
