"""The three-tier audit shared by purchase requests and requisitions (chemicals.tiers): who sees an order, who
decides each step, submission (a lab head's own order passes the lab step), rejection with a reason, payment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from approvals.engine import TransitionRefused
from approvals.models import Decision, Node, Notification, ReviewRecord
from chemicals import numbering, tiers
from chemicals.models import (
    OrderStatus,
    PaymentStatus,
    PurchaseLine,
    PurchaseRequest,
    PurchaseRound,
    Requisition,
    RequisitionLine,
)
from safety.tenancy import scopes_disabled

from .chem_world import build_chem

pytestmark = pytest.mark.usefixtures("english_messages")

S = OrderStatus


@pytest.fixture
def chem(world):
    return build_chem(world)


def make_request(chem, submitter="s_active", lab=None, status=S.DRAFT, **extra) -> PurchaseRequest:
    uni = chem.uni
    with scopes_disabled():
        now = timezone.now()
        rnd = PurchaseRound.objects.create(
            enterprise=uni.university,
            title="2026 Q4",
            opens_at=now - timedelta(days=1),
            deadline=now + timedelta(days=9),
        )
        order = PurchaseRequest.objects.create(
            enterprise=uni.university,
            round=rnd,
            number=f"SG-T-{PurchaseRequest.objects.count() + 1}",
            lab=lab or uni.organic,
            submitter=getattr(uni, submitter).user,
            status=status,
            **extra,
        )
        PurchaseLine.objects.create(
            enterprise=uni.university, request=order, chemical=chem.ethanol, package_size=500, package_count=2
        )
    return order


def make_requisition(chem, submitter="t_bob", lab=None, status=S.DRAFT) -> Requisition:
    uni = chem.uni
    with scopes_disabled():
        order = Requisition.objects.create(
            enterprise=uni.university,
            number=f"SL-T-{Requisition.objects.count() + 1}",
            lab=lab or uni.analytic,
            submitter=getattr(uni, submitter).user,
            source=Requisition.Source.LAB,
            status=status,
        )
        RequisitionLine.objects.create(
            enterprise=uni.university, requisition=order, chemical=chem.acetone, package_size=500, package_count=1
        )
    return order


def records(order) -> list[tuple[str, str]]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(order), subject_id=order.pk
            ).values_list("node", "decision")
        )


def fresh(order):
    with scopes_disabled():
        return type(order)._base_manager.get(pk=order.pk)


# --------------------------------------------------------------------------------------------- submission


def test_a_student_submits_to_the_supervising_teacher(chem):
    order = make_request(chem)
    tiers.order_submit(actor=chem.actor("s_active"), model=PurchaseRequest, pk=order.pk)
    order = fresh(order)
    assert order.status == S.LAB_REVIEW and order.step == 2
    assert tiers.lab_reviewer(order) == chem.uni.t_alice.user
    assert records(order) == [(Node.APPLICANT, Decision.SUBMIT)]
    with scopes_disabled():
        assert Notification.objects.filter(recipient=chem.uni.t_alice.user).count() == 1


def test_the_lab_heads_own_order_passes_the_lab_step(chem):
    order = make_request(chem, submitter="t_alice")
    tiers.order_submit(actor=chem.actor("t_alice"), model=PurchaseRequest, pk=order.pk)
    order = fresh(order)
    assert order.status == S.COLLEGE_REVIEW
    assert records(order) == [(Node.APPLICANT, Decision.SUBMIT), (Node.LAB, Decision.APPROVE)]
    with scopes_disabled():
        assert Notification.objects.filter(recipient=chem.uni.college_admin.user).count() == 1


def test_a_teacher_who_is_not_the_head_goes_to_the_lab_head(chem):
    from .chem_world import make_package

    make_package(chem.organic_store, chem.acetone, "500")  # the lab's own store has it
    order = make_requisition(chem, submitter="t_bob", lab=chem.uni.organic)
    tiers.order_submit(actor=chem.actor("t_bob"), model=Requisition, pk=order.pk)
    order = fresh(order)
    assert order.status == S.LAB_REVIEW
    assert tiers.lab_reviewer(order) == chem.uni.t_alice.user


def test_only_the_submitter_submits_and_only_with_lines(chem):
    order = make_request(chem)
    with pytest.raises(PermissionDenied):
        tiers.order_submit(actor=chem.actor("t_alice"), model=PurchaseRequest, pk=order.pk)
    with scopes_disabled():
        order.lines.all().delete()
    with pytest.raises(TransitionRefused, match="at least one"):
        tiers.order_submit(actor=chem.actor("s_active"), model=PurchaseRequest, pk=order.pk)


# ------------------------------------------------------------------------------------------------ reviews

STEPS = [
    # (status, actor, may decide)
    (S.LAB_REVIEW, "t_alice", True),  # the student's supervisor
    (S.LAB_REVIEW, "t_bob", False),
    (S.LAB_REVIEW, "college_admin", False),
    (S.LAB_REVIEW, "officer", False),
    (S.COLLEGE_REVIEW, "college_admin", True),
    (S.COLLEGE_REVIEW, "t_alice", False),
    (S.COLLEGE_REVIEW, "officer", False),
    (S.OFFICE_REVIEW, "officer", True),
    (S.OFFICE_REVIEW, "college_admin", False),
    (S.OFFICE_REVIEW, "centre", False),
    (S.OFFICE_REVIEW, "s_active", False),
    (S.APPROVED, "officer", False),
]


@pytest.mark.parametrize("status, who, allowed", STEPS)
def test_who_decides_each_step(chem, status, who, allowed):
    order = make_request(chem, status=status)
    assert tiers.may_review(chem.actor(who), order) is allowed


def test_another_colleges_admin_does_not_decide(chem):
    from .university_world import member

    other_admin = member(chem.uni.university, "life_admin", "college_admin", department=chem.uni.life)
    order = make_request(chem, status=S.COLLEGE_REVIEW)
    from .factories import actor_for

    assert not tiers.may_review(actor_for(other_admin), order)
    with pytest.raises(Http404):
        tiers.order_review(actor=actor_for(other_admin), model=PurchaseRequest, pk=order.pk, approve=True)


def test_the_three_tiers_in_order(chem):
    order = make_request(chem)
    tiers.order_submit(actor=chem.actor("s_active"), model=PurchaseRequest, pk=order.pk)
    for who, expected in (("t_alice", S.COLLEGE_REVIEW), ("college_admin", S.OFFICE_REVIEW), ("officer", S.APPROVED)):
        order = tiers.order_review(actor=chem.actor(who), model=PurchaseRequest, pk=order.pk, approve=True)
        assert fresh(order).status == expected
    assert [r[0] for r in records(order)] == [Node.APPLICANT, Node.LAB, Node.COLLEGE, Node.LAB_SAFETY_OFFICE]


def test_a_reviewer_who_is_not_the_one_gets_403(chem):
    order = make_request(chem, status=S.LAB_REVIEW)
    with pytest.raises(PermissionDenied):
        tiers.order_review(actor=chem.actor("officer"), model=PurchaseRequest, pk=order.pk, approve=True)
    assert fresh(order).status == S.LAB_REVIEW


def test_rejection_needs_a_reason_and_tells_the_submitter(chem):
    order = make_request(chem, status=S.COLLEGE_REVIEW)
    with pytest.raises(TransitionRefused, match="reason"):
        tiers.order_review(actor=chem.actor("college_admin"), model=PurchaseRequest, pk=order.pk, approve=False)
    tiers.order_review(
        actor=chem.actor("college_admin"), model=PurchaseRequest, pk=order.pk, approve=False, reason="数量过多"
    )
    order = fresh(order)
    assert order.status == S.REJECTED and order.step == 0
    with scopes_disabled():
        note = Notification.objects.get(recipient=chem.uni.s_active.user)
    assert "数量过多" in note.body
    # Fixed and submitted again: back to the lab step, recorded as a resubmission.
    tiers.order_submit(actor=chem.actor("s_active"), model=PurchaseRequest, pk=order.pk)
    assert fresh(order).status == S.LAB_REVIEW
    assert records(order)[-1] == (Node.APPLICANT, Decision.RESUBMIT)


def test_a_decided_step_cannot_be_decided_twice(chem):
    order = make_request(chem, status=S.OFFICE_REVIEW)
    tiers.order_review(actor=chem.actor("officer"), model=PurchaseRequest, pk=order.pk, approve=True)
    with pytest.raises(TransitionRefused):
        tiers.order_review(actor=chem.actor("officer"), model=PurchaseRequest, pk=order.pk, approve=False, reason="x")


# ---------------------------------------------------------------------------------------------- visibility

VISIBILITY = [
    ("s_active", True),  # own order
    ("t_alice", True),  # the lab's head and supervisor
    ("t_bob", False),  # another lab
    ("college_admin", True),  # the lab's college
    ("officer", True),
    ("centre", True),
    ("uni_admin", True),
    ("far_teacher", False),  # another university
]


@pytest.mark.parametrize("who, sees", VISIBILITY)
def test_who_sees_an_order(chem, who, sees):
    order = make_request(chem)
    actor = chem.actor(who)
    from safety.tenancy import actor_scope

    with actor_scope(actor):
        assert tiers.orders_for(actor, PurchaseRequest).filter(pk=order.pk).exists() is sees


def test_a_student_sees_only_their_own_orders(chem):
    mine = make_request(chem)
    teachers = make_request(chem, submitter="t_alice")
    actor = chem.actor("s_active")
    from safety.tenancy import actor_scope

    with actor_scope(actor):
        assert list(tiers.orders_for(actor, PurchaseRequest)) == [mine]
    assert teachers.pk != mine.pk


def test_awaiting_review_lists_each_reviewers_queue(chem):
    at_lab = make_request(chem, status=S.LAB_REVIEW)
    at_college = make_request(chem, status=S.COLLEGE_REVIEW)
    at_office = make_request(chem, status=S.OFFICE_REVIEW)
    from safety.tenancy import actor_scope

    for who, expected in (("t_alice", [at_lab]), ("college_admin", [at_college]), ("officer", [at_office])):
        actor = chem.actor(who)
        with actor_scope(actor):
            assert list(tiers.awaiting_review(actor, PurchaseRequest)) == expected
    assert tiers.awaiting_review(chem.actor("s_active"), PurchaseRequest) is None


# ------------------------------------------------------------------------------------------------- payment


def test_payment_no_awaiting_yes_with_the_kinds_follow_up(chem, monkeypatch):
    order = make_request(chem, status=S.STOCKED, payment_status=PaymentStatus.UNPAID)
    followed = []
    monkeypatch.setitem(tiers.PAYMENT_CONFIRMED, PurchaseRequest, lambda actor, o: followed.append(o.pk))
    with pytest.raises(PermissionDenied):  # the centre does not pay for the lab
        tiers.order_pay(actor=chem.actor("centre"), model=PurchaseRequest, pk=order.pk)
    tiers.order_pay(actor=chem.actor("s_active"), model=PurchaseRequest, pk=order.pk, reference="ALI-123")
    assert fresh(order).payment_status == PaymentStatus.AWAITING_CONFIRMATION
    with pytest.raises(PermissionDenied):  # only the centre confirms
        tiers.order_confirm_payment(actor=chem.actor("t_alice"), model=PurchaseRequest, pk=order.pk)
    with pytest.raises(TransitionRefused):
        tiers.order_reject_payment(actor=chem.actor("centre"), model=PurchaseRequest, pk=order.pk, reason="")
    tiers.order_reject_payment(actor=chem.actor("centre"), model=PurchaseRequest, pk=order.pk, reason="未到账")
    assert fresh(order).payment_status == PaymentStatus.UNPAID
    tiers.order_pay(actor=chem.actor("t_alice"), model=PurchaseRequest, pk=order.pk, reference="ALI-124")
    tiers.order_confirm_payment(actor=chem.actor("centre"), model=PurchaseRequest, pk=order.pk)
    order = fresh(order)
    assert order.payment_status == PaymentStatus.PAID and order.payment_reference == "ALI-124"
    assert followed == [order.pk]
    assert records(order)[-1] == (Node.SERVICE_CENTRE, Decision.CONFIRM)


def test_numbers_are_sequential_per_university_and_day(chem):
    from django.db import transaction

    with scopes_disabled(), transaction.atomic():
        first = numbering.next_numbers(
            enterprise_id=chem.uni.university.pk, model=PurchaseRequest, field="number", prefix="SG", count=2
        )
    stem = f"SG{timezone.localdate():%Y%m%d}-"
    assert first == [f"{stem}0001", f"{stem}0002"]
    make_request(chem).__class__  # noqa: B018
    with scopes_disabled():
        PurchaseRequest.objects.filter(number__startswith="SG-T").update(number=f"{stem}0007")
        with transaction.atomic():
            assert (
                numbering.next_number(
                    enterprise_id=chem.uni.university.pk, model=PurchaseRequest, field="number", prefix="SG"
                )
                == f"{stem}0008"
            )
    assert Decimal("1")  # keeps the import honest for the stock tests below


# --------------------------------------------------------------------------------------------- stock limit

LIMIT_CASES = [
    # (held packages (size mL of ethanol, status), requested kg, allowed)
    ([], "50", True),  # exactly the limit (50 kg)
    ([], "50.001", False),
    ([("1000", "issued"), ("1000", "used_up")], "48", True),
    ([("1000", "issued"), ("1000", "used_up")], "48.5", False),  # used up, not collected: still counts
    ([("1000", "collected"), ("1000", "in_stock")], "50", True),  # collected / still in a store: does not count
]


@pytest.mark.parametrize("held, requested, allowed", LIMIT_CASES)
def test_stock_limit(chem, held, requested, allowed):
    from chemicals import stock

    from .chem_world import make_package

    room = chem.organic_store
    for size, status in held:
        make_package(room, chem.ethanol, size, status=status, owner_lab=chem.uni.organic)
    with scopes_disabled():
        check = stock.check_stock_limit(chem.uni.organic, Decimal(requested))
    assert check.allowed is allowed
    if not allowed:
        assert "50" in check.message and chem.uni.organic.name in check.message
        if held:
            # The used-up package is named first: closing it out frees quota fastest.
            assert check.to_close_out[0].status == "used_up"


def test_the_lab_page_shows_how_much_of_the_stock_limit_is_used(chem, login):
    # Whoever sets a lab's limit sees what the lab holds now (packages not yet collected count by full size).
    from django.urls import reverse

    from .chem_world import make_package

    make_package(chem.organic_store, chem.ethanol, "500", status="issued", owner_lab=chem.uni.organic)
    make_package(chem.organic_store, chem.ethanol, "1000", status="used_up", owner_lab=chem.uni.organic)
    make_package(chem.organic_store, chem.ethanol, "1000", status="collected", owner_lab=chem.uni.organic)
    page = login(chem.uni.officer).get(reverse("enterprises:university_lab", args=[chem.uni.organic.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-held="1.500"' in html and 'data-limit="50.000"' in html
    assert page.context["gauge"]["percent"] == 3 and page.context["gauge"]["level"] == "success"


GAUGE_LEVELS = [("0", None, None, "success"), ("40", "50", 80, "warning"), ("50", "50", 100, "danger")]


@pytest.mark.parametrize("held, limit, percent, level", GAUGE_LEVELS)
def test_gauge_levels(chem, held, limit, percent, level):
    from chemicals import stock

    from .chem_world import make_package

    lab = chem.uni.analytic
    with scopes_disabled():
        type(lab).objects.filter(pk=lab.pk).update(stock_limit=None if limit is None else Decimal(limit))
        lab.refresh_from_db()
    if held != "0":
        make_package(chem.analytic_store, chem.methanol, held, status="issued", owner_lab=lab)
    with scopes_disabled():
        gauge = stock.gauge(lab)
    assert (gauge["held_kg"], gauge["percent"], gauge["level"]) == (Decimal(held), percent, level)
