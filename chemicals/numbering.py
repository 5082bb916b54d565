"""Order numbers and package codes: a prefix, the day, a sequence per university and day
(SG20261124-0001 purchase request, SL… requisition, P… package). Allocated under a lock on the
university's row, so two people submitting at once never get the same number; the unique constraints
back it up."""

from __future__ import annotations

from django.db.models import Model
from django.utils import timezone

from enterprises.models import Enterprise

PURCHASE_REQUEST = "SG"
REQUISITION = "SL"
PACKAGE = "P"


def next_numbers(*, enterprise_id: int, model: type[Model], field: str, prefix: str, count: int = 1) -> list[str]:
    """``count`` fresh numbers; call inside transaction.atomic()."""
    # no_key: a FOR NO KEY UPDATE lock serialises numbering without blocking rows that reference the enterprise.
    list(Enterprise.unscoped.select_for_update(no_key=True).filter(pk=enterprise_id).values_list("pk", flat=True))
    stem = f"{prefix}{timezone.localdate():%Y%m%d}-"
    existing = model._base_manager.filter(enterprise_id=enterprise_id, **{f"{field}__startswith": stem}).values_list(
        field, flat=True
    )
    start = max((int(n[len(stem) :]) for n in existing if n[len(stem) :].isdigit()), default=0)
    return [f"{stem}{start + i:04d}" for i in range(1, count + 1)]


def next_number(*, enterprise_id: int, model: type[Model], field: str, prefix: str) -> str:
    return next_numbers(enterprise_id=enterprise_id, model=model, field=field, prefix=prefix, count=1)[0]
