"""The lab's stock limit (库存上限): packages the lab holds and has not had collected as waste count against
it, by their full size in kilograms (a litre counts as a kilogram). Closing out a package (ledger accepted,
then collected as waste) is what frees quota."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from enterprises.models import Department

from .models import Package, Unit


def _kg_expression():
    from django.db.models import Case, When

    kg = DecimalField(max_digits=14, decimal_places=6)
    return Case(
        When(
            chemical__unit__in=(Unit.GRAM, Unit.MILLILITRE),
            then=ExpressionWrapper(F("size") / 1000, output_field=kg),
        ),
        default=F("size"),
        output_field=kg,
    )


def held_packages(lab: Department):
    """Packages that count against the lab's limit: issued to it and not yet collected as waste."""
    return Package.objects.filter(enterprise_id=lab.enterprise_id, owner_lab=lab, status__in=Package.HELD_BY_LAB)


def held_kg(lab: Department) -> Decimal:
    total = held_packages(lab).aggregate(
        total=Coalesce(
            Sum(_kg_expression()), Value(Decimal(0)), output_field=DecimalField(max_digits=14, decimal_places=6)
        )
    )["total"]
    return Decimal(total).quantize(Decimal("0.001"))


@dataclass
class StockCheck:
    lab: Department
    limit_kg: Decimal | None
    held_kg: Decimal
    requested_kg: Decimal
    # Packages to close out first: used up and not yet collected, then in use with the least left.
    to_close_out: list[Package] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.limit_kg is None or self.held_kg + self.requested_kg <= self.limit_kg

    @property
    def message(self) -> str:
        if self.allowed:
            return ""
        codes = ", ".join(p.code for p in self.to_close_out[:10]) or _("none yet: ask the lab-safety office")
        return _(
            "%(lab)s is at its stock limit: it holds %(held)s kg of a %(limit)s kg limit and this requisition adds "
            "%(requested)s kg. Close out packages first (record their use, declare them used up, register them "
            "for waste collection): %(codes)s."
        ) % {
            "lab": self.lab.name,
            "held": self.held_kg,
            "limit": self.limit_kg,
            "requested": self.requested_kg.quantize(Decimal("0.001")),
            "codes": codes,
        }


def check_stock_limit(lab: Department, requested_kg: Decimal) -> StockCheck:
    held = held_kg(lab)
    check = StockCheck(lab=lab, limit_kg=lab.stock_limit, held_kg=held, requested_kg=Decimal(requested_kg))
    if not check.allowed:
        packages = held_packages(lab).select_related("chemical").order_by("-status", "remaining", "code")
        used_up = [p for p in packages if p.status == Package.Status.USED_UP]
        rest = [p for p in packages if p.status != Package.Status.USED_UP]
        check.to_close_out = used_up + rest
    return check


def gauge(lab: Department) -> dict:
    """The stock-limit gauge shown on the lab's pages: what it holds (kg) of its limit, a percentage (capped at
    100) and a Bootstrap colour (warning from 80 %, danger at the limit)."""
    held = held_kg(lab)
    limit = lab.stock_limit
    percent = None
    if limit:
        percent = min(Decimal(100), held * 100 / limit).quantize(Decimal("1"))
    level = "success"
    if percent is not None and percent >= 100:
        level = "danger"
    elif percent is not None and percent >= 80:
        level = "warning"
    return {"held_kg": held, "limit_kg": limit, "percent": percent, "level": level}
