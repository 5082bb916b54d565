"""Packages a lab holds, for tests/test_chem_ledger*.py (the world is tests.chem_world.build_chem)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from chemicals.models import Chemical, Package, UsedUpDeclaration
from enterprises.models import Department
from safety.tenancy import scopes_disabled

from .chem_world import Chem, lab_store, make_package


def issued_package(
    chem: Chem,
    *,
    lab: Department | None = None,
    chemical: Chemical | None = None,
    size: str = "500",
    remaining: str | None = None,
    status: str = Package.Status.ISSUED,
    issued_days_ago: int = 10,
) -> Package:
    """A package handed to the lab (issued ten days ago), sitting in the lab's store."""
    lab = lab or chem.uni.organic
    return make_package(
        lab_store(lab),
        chemical or chem.ethanol,
        size,
        status=status,
        owner_lab=lab,
        remaining=remaining,
        issued_at=timezone.now() - timedelta(days=issued_days_ago),
    )


def pending_declaration(package: Package, student, teacher) -> UsedUpDeclaration:
    with scopes_disabled():
        return UsedUpDeclaration.objects.create(
            enterprise_id=package.enterprise_id, package=package, declared_by=student, reviewer=teacher
        )


def remaining(package: Package) -> Decimal:
    with scopes_disabled():
        return Package.objects.get(pk=package.pk).remaining
