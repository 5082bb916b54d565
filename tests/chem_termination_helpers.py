"""Orders built directly with the models (the purchase and requisition UIs are not needed), and the race
harness, for tests/test_chem_termination*.py and tests/test_chem_ledger*.py.

    req = make_requisition(chem, status=S.LAB_REVIEW, last_reviewed_at=moment)
    pr = make_purchase_request(chem, make_round(chem, deadline=moment), status=S.DRAFT)
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from approvals.models import ReviewRecord
from chemicals.models import (
    OrderStatus,
    PaymentStatus,
    PurchaseRequest,
    PurchaseRound,
    Requisition,
    RequisitionLine,
)
from enterprises.models import Membership
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .chem_world import Chem
from .races import Outcome, run_together  # noqa: F401  (re-exported: the chemicals race tests import them here)

S = OrderStatus
_numbers = itertools.count(1)


def make_round(chem: Chem, *, deadline: datetime, opens_at: datetime | None = None) -> PurchaseRound:
    with scopes_disabled():
        return PurchaseRound.objects.create(
            enterprise=chem.uni.university,
            title=f"申购 {deadline:%Y-%m}",
            opens_at=opens_at or deadline - timedelta(days=30),
            deadline=deadline,
        )


def _order_fields(chem: Chem, prefix: str, status: str, fields: dict[str, Any]) -> dict[str, Any]:
    submitter = fields.pop("submitter", None) or chem.uni.s_active.user
    out = {
        "enterprise": chem.uni.university,
        "number": f"{prefix}{next(_numbers):06d}",
        "lab": fields.pop("lab", None) or chem.uni.organic,
        "submitter": submitter,
        "status": status,
        **fields,
    }
    return out


def _backdate(model, pk: int, created_at: datetime | None) -> None:
    if created_at is not None:
        with scopes_disabled():
            model.objects.filter(pk=pk).update(created_at=created_at)


def make_requisition(
    chem: Chem,
    *,
    status: str = S.LAB_REVIEW,
    source: str = Requisition.Source.CENTRE_VIRTUAL,
    created_at: datetime | None = None,
    **fields,
) -> Requisition:
    """A requisition in ``status``; pass last_reviewed_at / submitted_at / stocked_at / payment_status as needed."""
    with scopes_disabled():
        order = Requisition.objects.create(source=source, **_order_fields(chem, "SL", status, fields))
        RequisitionLine.objects.create(
            enterprise=chem.uni.university,
            requisition=order,
            chemical=chem.ethanol,
            package_size=Decimal("500"),
            package_count=1,
        )
    _backdate(Requisition, order.pk, created_at)
    return reload(order)


def make_stocked_requisition(chem: Chem, *, stocked_at: datetime, **fields) -> Requisition:
    fields.setdefault("payment_status", PaymentStatus.UNPAID)
    fields.setdefault("last_reviewed_at", stocked_at - timedelta(days=1))
    return make_requisition(chem, status=S.STOCKED, stocked_at=stocked_at, **fields)


def make_purchase_request(
    chem: Chem, round_: PurchaseRound, *, status: str = S.DRAFT, created_at: datetime | None = None, **fields
) -> PurchaseRequest:
    with scopes_disabled():
        order = PurchaseRequest.objects.create(round=round_, **_order_fields(chem, "SG", status, fields))
    _backdate(PurchaseRequest, order.pk, created_at)
    return reload(order)


def reload(obj):
    with scopes_disabled():
        return type(obj)._base_manager.get(pk=obj.pk)


def records_of(obj) -> list[ReviewRecord]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(type(obj)), subject_id=obj.pk
            ).order_by("created_at", "pk")
        )


# ---- races -------------------------------------------------------------------------------------------


def actor_of(membership_pk: int) -> Actor:
    """Built inside the thread, on the thread's own connection."""
    with scopes_disabled():
        m = Membership.objects.select_related("user", "enterprise", "department", "supervisor").get(pk=membership_pk)
    return Actor(user=m.user, membership=m)


def wait_for_lock_waiter(timeout: float = 10) -> bool:
    """Whether another session of this database is waiting on a row lock (polled on this connection)."""
    import time

    end = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < end:
            # Inside a transaction the activity view is a snapshot taken at first access: drop it each time.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


def now() -> datetime:
    return timezone.now()
