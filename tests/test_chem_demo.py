"""The chemicals demo (chemicals.demo.seed_chemicals_demo, run by setup_demo / rundev): what it seeds, through the
services, and that a second run adds nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from approvals.models import ReviewRecord
from chemicals import selectors, stock
from chemicals.demo import seed_chemicals_demo
from chemicals.models import (
    Campus,
    Chemical,
    LedgerEntry,
    OrderStatus,
    Package,
    PaymentStatus,
    PurchaseRequest,
    PurchaseRound,
    Requisition,
    Store,
    UsedUpDeclaration,
    WasteCollection,
    WasteRoute,
)
from enterprises.demo_university import UNIVERSITY
from enterprises.models import Department, Enterprise, Membership
from safety.actors import Actor
from safety.tenancy import scopes_disabled

S = OrderStatus
MODELS = (
    Chemical,
    Campus,
    Store,
    Package,
    PurchaseRound,
    PurchaseRequest,
    Requisition,
    LedgerEntry,
    UsedUpDeclaration,
    WasteRoute,
    WasteCollection,
    ReviewRecord,
    Membership,
)


def counts() -> dict[str, int]:
    with scopes_disabled():
        return {model.__name__: model._base_manager.count() for model in MODELS}


@pytest.fixture
def demo(db):
    """setup_demo (reference data, organisations, the university's labs, then the chemicals demo)."""
    call_command("setup_demo", verbosity=0)
    with scopes_disabled():
        university = Enterprise.unscoped.get(name=UNIVERSITY)
    return university


def test_seeding_twice_adds_nothing(demo):
    first = counts()
    assert first["PurchaseRequest"] == 7 and first["Requisition"] == 5
    call_command("setup_demo", verbosity=0)
    assert seed_chemicals_demo() == {
        "accounts": 0,
        "chemicals": 0,
        "stores": 0,
        "routes": 0,
        "stock": 0,
        "purchase_requests": 0,
        "requisitions": 0,
    }
    assert counts() == first


def _orders(model, university) -> dict[str, tuple[str, str]]:
    with scopes_disabled():
        return {
            o.purpose: (o.status, o.payment_status)
            for o in model.objects.filter(enterprise=university, purpose__startswith="演示")
        }


def test_purchase_requests_at_every_step(demo):
    orders = _orders(PurchaseRequest, demo)
    assert sorted(status for status, _paid in orders.values()) == sorted(
        [S.DRAFT, S.LAB_REVIEW, S.COLLEGE_REVIEW, S.OFFICE_REVIEW, S.APPROVED, S.STOCKED, S.COMPLETED]
    )
    paid = {status: payment for status, payment in orders.values()}
    assert paid[S.STOCKED] == PaymentStatus.UNPAID
    assert paid[S.COMPLETED] == PaymentStatus.PAID
    with scopes_disabled():
        rnd = PurchaseRound.objects.get(enterprise=demo)
        assert rnd.is_open
        completed = PurchaseRequest.objects.get(enterprise=demo, status=S.COMPLETED)
        # Reviewed step by step, by the people of each node, then stocked, paid and confirmed.
        decisions = list(
            ReviewRecord.objects.filter(subject_type__model="purchaserequest", subject_id=completed.pk)
            .order_by("pk")
            .values_list("node", "decision")
        )
        assert decisions[0] == ("applicant", "submit")
        assert ("college", "approve") in decisions and ("lab_safety_office", "approve") in decisions
        assert ("lab", "pay") in decisions and ("service_centre", "confirm") in decisions
        # Its packages joined the lab's own store.
        packages = Package.objects.filter(purchase_line__request=completed)
        assert {p.store.kind for p in packages} <= {Store.Kind.LAB, Store.Kind.LAB_ROOM}
        assert {p.owner_lab.name for p in packages} == {"有机化学实验室"}


def test_requisitions_ledger_and_stock_limit(demo):
    orders = _orders(Requisition, demo)
    statuses = sorted(status for status, _paid in orders.values())
    assert statuses == sorted([S.COMPLETED, S.COMPLETED, S.LAB_REVIEW, S.OFFICE_REVIEW, S.STOCKED])
    with scopes_disabled():
        organic = Department.objects.get(enterprise=demo, name="有机化学实验室")
        analytic = Department.objects.get(enterprise=demo, name="分析化学实验室")
        assert LedgerEntry.objects.filter(package__owner_lab=organic).count() == 4
        assert UsedUpDeclaration.objects.filter(status=UsedUpDeclaration.Status.PENDING).count() == 1
        assert Package.objects.filter(owner_lab=organic, status=Package.Status.USED_UP).count() == 1
        # 分析化学实验室 is near its 30 kg limit: 25 kg held.
        assert stock.held_kg(analytic) == Decimal("25.000")
        assert analytic.stock_limit == Decimal("30")
        assert WasteCollection.objects.filter(enterprise=demo, status=WasteCollection.Status.OPEN).count() == 1
        routes = {r.name: r.stops for r in WasteRoute.objects.filter(enterprise=demo)}
        assert routes["北校区固定路线"][0] == "理科楼" and routes["南校区固定路线"][-1] == "水保所"
        student = Membership.objects.get(enterprise=demo, user__username="uni_student2")
        assert (student.status, student.department_id, student.supervisor.username) == (
            Membership.Status.ACTIVE,
            organic.pk,
            "uni_teacher",
        )
        # uni_student keeps its own flow: a fresh student awaiting activation.
        assert Membership.objects.get(enterprise=demo, user__username="uni_student").status == "pending"
        officer = Membership.objects.get(enterprise=demo, user__username="uni_safety")
    figures = selectors.chemical_figures(Actor(user=officer.user, membership=officer))
    limit = {row.label: row for row in figures.limits}["分析化学实验室"]
    assert limit.state == "near"
