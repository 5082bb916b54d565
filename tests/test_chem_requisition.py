"""Requisitions (申领) through the services: the full flow for each store, the stock limit, availability, the
second custodian of highly toxic chemicals, and who decides each step.

People (tests.chem_world / tests.university_world): s_active (student of 有机化学实验室, supervisor t_alice) writes;
t_alice (the lab's head) reviews the lab step, college_admin (化学学院) the college step, officer (lab-safety office)
the office step; centre and centre2 are the chemicals service centre. 北校区 is pick-up only, 南校区 delivers.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from approvals.engine import TransitionRefused
from approvals.models import Decision, Node, Notification, ReviewRecord
from chemicals import selectors, services, stock
from chemicals.models import Package, PaymentStatus, Requisition, Store
from safety.tenancy import scopes_disabled

from .chem_requisition_helpers import (
    SRC,
    S,
    actor,
    approve_to_office,
    outsiders,
    packages_of,
    reload,
    review,
    stock_up,
    submit,
    write,
)
from .chem_world import build_chem, make_package

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]
P = Package.Status


@pytest.fixture
def chem(world):
    return build_chem(world)


def records_of(req: Requisition) -> list[ReviewRecord]:
    from django.contrib.contenttypes.models import ContentType

    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(Requisition), subject_id=req.pk
            ).order_by("created_at", "pk")
        )


# ---- the full flow, one store at a time ----------------------------------------------------------------------


def test_centre_physical_store_flow_with_payment_and_pickup(chem):
    north = stock_up(chem.north_store, chem.ethanol, "500", 3)
    stock_up(chem.south_store, chem.ethanol, "500", 2)  # another campus: not offered for 北校区
    req = write(chem, "s_active", SRC.CENTRE_PHYSICAL, [(chem.ethanol, "500", 2)], campus=chem.north, handover="pickup")
    assert (req.status, req.payment_status, req.handover) == (S.DRAFT, PaymentStatus.NOT_REQUIRED, "pickup")
    assert req.number.startswith("SL")

    req = approve_to_office(chem, req)
    assert req.status == S.APPROVED and req.step == 5

    # Not paid yet: nothing to issue.
    with pytest.raises(TransitionRefused, match="Stock the requisition first"):
        services.requisition_issue(actor=actor(chem, "centre"), pk=req.pk)

    with scopes_disabled():
        line = req.lines.get()
    chosen = [north[0].pk, north[2].pk]
    req = services.requisition_stock(
        actor=actor(chem, "centre"), pk=req.pk, unit_prices={line.pk: Decimal("18.50")}, packages={line.pk: chosen}
    )
    assert (req.status, req.payment_status, req.step) == (S.STOCKED, PaymentStatus.UNPAID, 6)
    reserved = packages_of(req)
    assert sorted(p.pk for p in reserved) == sorted(chosen)
    assert {p.status for p in reserved} == {P.RESERVED}
    assert reload(north[1]).status == P.IN_STOCK
    with scopes_disabled():
        assert Notification.objects.filter(recipient=chem.uni.s_active.user, title__contains="37.00").exists()

    # Stocked but unpaid, then awaiting confirmation: still not issued.
    with pytest.raises(TransitionRefused, match="not confirmed"):
        services.requisition_issue(actor=actor(chem, "centre"), pk=req.pk)
    req = services.requisition_pay(actor=actor(chem, "s_active"), pk=req.pk, reference="WX-20261124-001")
    assert req.payment_status == PaymentStatus.AWAITING_CONFIRMATION
    with pytest.raises(TransitionRefused, match="not confirmed"):
        services.requisition_issue(actor=actor(chem, "centre"), pk=req.pk)
    req = services.requisition_confirm_payment(actor=actor(chem, "centre"), pk=req.pk)
    assert req.payment_status == PaymentStatus.PAID

    req = services.requisition_issue(actor=actor(chem, "centre"), pk=req.pk)
    assert (req.status, req.step) == (S.COMPLETED, 7)
    assert req.issued_by == chem.centre.user and req.second_custodian is None
    issued = packages_of(req)
    assert {p.status for p in issued} == {P.ISSUED}
    assert {p.owner_lab_id for p in issued} == {chem.uni.organic.pk}
    assert {p.store.kind for p in issued} == {Store.Kind.LAB_ROOM}
    assert {p.store.lab_id for p in issued} == {chem.uni.organic.pk}
    assert reload(north[1]).status == P.IN_STOCK
    steps = [(r.node, r.decision, r.to_state) for r in records_of(req)]
    assert steps[-5:] == [
        (Node.LAB_SAFETY_OFFICE, Decision.APPROVE, S.APPROVED),
        (Node.SERVICE_CENTRE, Decision.STOCK, S.STOCKED),
        (Node.LAB, Decision.PAY, PaymentStatus.AWAITING_CONFIRMATION),
        (Node.SERVICE_CENTRE, Decision.CONFIRM, PaymentStatus.PAID),
        (Node.SERVICE_CENTRE, Decision.ISSUE, S.COMPLETED),
    ]


def test_centre_virtual_store_flow_stocks_new_packages_then_payment(chem):
    req = write(
        chem, "s_active", SRC.CENTRE_VIRTUAL, [(chem.permanganate, "500", 2)], campus=chem.south, handover="delivery"
    )
    req = approve_to_office(chem, req)
    with scopes_disabled():
        line = req.lines.get()
    req = services.requisition_stock(actor=actor(chem, "centre"), pk=req.pk, unit_prices={line.pk: Decimal("30")})
    created = packages_of(req)
    assert len(created) == 2
    assert {(p.status, p.store_id, p.owner_lab_id) for p in created} == {(P.RESERVED, chem.south_store.pk, None)}
    assert all(p.code.startswith("P") and p.size == Decimal("500") == p.remaining for p in created)
    assert req.payment_status == PaymentStatus.UNPAID

    services.requisition_pay(actor=actor(chem, "t_alice"), pk=req.pk)  # a teacher of the lab pays for it
    services.requisition_confirm_payment(actor=actor(chem, "centre"), pk=req.pk)
    req = services.requisition_issue(actor=actor(chem, "centre2"), pk=req.pk)
    assert req.status == S.COMPLETED
    assert {(p.status, p.owner_lab_id) for p in packages_of(req)} == {(P.ISSUED, chem.uni.organic.pk)}


def test_lab_store_flow_issues_at_once_without_payment(chem):
    own = stock_up(chem.organic_store, chem.acetone, "500", 2)
    req = write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)])
    assert req.campus is None and req.handover == ""
    req = approve_to_office(chem, req)
    assert req.payment_status == PaymentStatus.NOT_REQUIRED

    with pytest.raises(TransitionRefused, match="issued directly"):
        services.requisition_stock(actor=actor(chem, "centre"), pk=req.pk, unit_prices={})
    req = services.requisition_issue(actor=actor(chem, "centre"), pk=req.pk)
    assert (req.status, req.payment_status, req.step) == (S.COMPLETED, PaymentStatus.NOT_REQUIRED, 7)
    issued = packages_of(req)
    assert len(issued) == 1 and issued[0].pk == own[0].pk
    assert (issued[0].status, issued[0].owner_lab_id, issued[0].store.kind) == (
        P.ISSUED,
        chem.uni.organic.pk,
        Store.Kind.LAB_ROOM,
    )
    assert reload(own[1]).status == P.IN_STOCK and reload(own[1]).store_id == chem.organic_store.pk
    # Issued once: a second issue is refused, nothing else moves.
    with pytest.raises(TransitionRefused):
        services.requisition_issue(actor=actor(chem, "centre"), pk=req.pk)
    assert reload(own[1]).status == P.IN_STOCK


def test_a_lab_head_writes_and_the_lab_step_passes_at_once(chem):
    stock_up(chem.organic_store, chem.acetone, "500", 1)
    req = write(chem, "t_alice", SRC.LAB, [(chem.acetone, "500", 1)])
    req = submit(chem, req, "t_alice")
    assert req.status == S.COLLEGE_REVIEW


# ---- editing, withdrawing, rejecting ---------------------------------------------------------------------------


def test_edit_replaces_the_lines_and_only_draft_or_rejected_can_be_edited(chem):
    stock_up(chem.organic_store, chem.acetone, "500", 2)
    req = write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)])
    req = write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 2)], pk=req.pk)
    with scopes_disabled():
        assert [(line.chemical_id, line.package_count) for line in req.lines.all()] == [(chem.acetone.pk, 2)]
    with pytest.raises(PermissionDenied):  # the lab head may see it, but only its writer edits it
        write(chem, "t_alice", SRC.LAB, [(chem.acetone, "500", 1)], pk=req.pk)
    submit(chem, req)
    with pytest.raises(TransitionRefused, match="no longer be edited"):
        write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)], pk=req.pk)
    req = review(chem, req, "t_alice", approve=False, reason="数量太多")
    assert req.status == S.REJECTED
    with scopes_disabled():
        assert Notification.objects.filter(recipient=chem.uni.s_active.user, body__contains="数量太多").exists()
    req = write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)], pk=req.pk)
    req = submit(chem, req)
    assert req.status == S.LAB_REVIEW
    assert records_of(req)[-1].decision == Decision.RESUBMIT


def test_withdraw(chem):
    stock_up(chem.organic_store, chem.acetone, "500", 1)
    req = submit(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    with pytest.raises(PermissionDenied):
        services.requisition_withdraw(actor=actor(chem, "t_alice"), pk=req.pk)
    req = services.requisition_withdraw(actor=actor(chem, "s_active"), pk=req.pk)
    assert req.status == S.WITHDRAWN


@pytest.mark.parametrize(
    ("campus", "handover", "error"),
    [
        ("north", "delivery", "does not deliver"),  # 北校区: pick-up only
        ("north", "", "pick-up or delivery"),
        (None, "pickup", "campus"),
        ("south", "delivery", None),
        ("north", "pickup", None),
    ],
)
def test_pickup_or_delivery_by_campus(chem, campus, handover, error):
    campus_obj = getattr(chem, campus) if campus else None
    kwargs = dict(
        actor=actor(chem, "s_active"),
        source=SRC.CENTRE_VIRTUAL,
        campus_id=campus_obj.pk if campus_obj else None,
        handover=handover,
        lines=[{"chemical_id": chem.ethanol.pk, "package_size": "500", "package_count": 1}],
    )
    if error is None:
        assert services.requisition_save(**kwargs).handover == handover
    else:
        with pytest.raises(ValidationError, match=error):
            services.requisition_save(**kwargs)


def test_bad_lines_are_refused_with_the_line_number(chem):
    with pytest.raises(ValidationError, match="Line 2"):
        services.requisition_save(
            actor=actor(chem, "s_active"),
            source=SRC.LAB,
            lines=[
                {"chemical_id": chem.acetone.pk, "package_size": "500", "package_count": 1},
                {"chemical_id": chem.acetone.pk, "package_size": "500", "package_count": 0},
            ],
        )
    with pytest.raises(ValidationError, match="at least one"):
        services.requisition_save(actor=actor(chem, "s_active"), source=SRC.LAB, lines=[])


def test_centre_staff_and_college_admins_do_not_write_requisitions(chem):
    for who in ("centre", "college_admin", "officer"):
        with pytest.raises(PermissionDenied):
            write(chem, who, SRC.LAB, [(chem.acetone, "500", 1)])


# ---- the stock limit -------------------------------------------------------------------------------------------


def _hold(chem, litres: str, status: str = P.ISSUED, count: int = 1) -> list[Package]:
    """Methanol (L: a litre counts as a kilogram) the organic lab holds."""
    return [
        make_package(chem.organic_store, chem.methanol, litres, status=status, owner_lab=chem.uni.organic)
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    ("held", "requested", "allowed"),
    [
        ("30", 1, True),  # under: 30 + 10 = 40 of 50 kg
        ("40", 1, True),  # exactly at the limit after this requisition: 50 of 50
        ("40", 2, False),  # over: 60 of 50
        ("50", 1, False),  # the lab is at its limit: nothing more
    ],
)
def test_stock_limit_table(chem, held, requested, allowed):
    held_packages = _hold(chem, held)
    stock_up(chem.organic_store, chem.methanol, "10", 2)
    req = write(chem, "s_active", SRC.LAB, [(chem.methanol, "10", requested)])
    if allowed:
        assert submit(chem, req).status == S.LAB_REVIEW
    else:
        with pytest.raises(TransitionRefused) as refused:
            submit(chem, req)
        assert "stock limit" in refused.value.message
        assert held_packages[0].code in refused.value.message  # it names the package to close out
        assert reload(req).status == S.DRAFT


def test_used_up_but_not_collected_packages_still_count(chem):
    used_up = _hold(chem, "45", status=P.USED_UP)[0]
    stock_up(chem.organic_store, chem.methanol, "10", 1)
    req = write(chem, "s_active", SRC.LAB, [(chem.methanol, "10", 1)])
    with pytest.raises(TransitionRefused) as refused:
        submit(chem, req)
    assert used_up.code in refused.value.message
    # Collected as waste: the quota is free again.
    with scopes_disabled():
        Package.objects.filter(pk=used_up.pk).update(status=P.COLLECTED)
    assert submit(chem, req).status == S.LAB_REVIEW


def test_the_message_names_used_up_packages_first(chem):
    in_use = _hold(chem, "20", status=P.IN_USE)[0]
    used_up = _hold(chem, "30", status=P.USED_UP)[0]
    with scopes_disabled():
        check = stock.check_stock_limit(chem.uni.organic, Decimal("1"))
    assert not check.allowed
    assert check.message.index(used_up.code) < check.message.index(in_use.code)


def test_a_lab_without_a_limit_is_not_blocked(chem):
    from enterprises.models import Department

    with scopes_disabled():  # t_bob heads 分析化学实验室 (no stock limit): his own lab step passes
        Department.objects.filter(pk=chem.uni.analytic.pk).update(head=chem.uni.t_bob.user)
    stock_up(chem.analytic_store, chem.methanol, "10", 1)
    make_package(chem.analytic_store, chem.methanol, "500", status=P.ISSUED, owner_lab=chem.uni.analytic)
    req = write(chem, "t_bob", SRC.LAB, [(chem.methanol, "10", 1)])
    assert submit(chem, req, "t_bob").status == S.COLLEGE_REVIEW


# ---- availability in the chosen store -------------------------------------------------------------------------


def test_availability_in_the_lab_store_per_line(chem):
    stock_up(chem.organic_store, chem.acetone, "500", 2)
    stock_up(chem.analytic_store, chem.acetone, "500", 5)  # another lab's store does not count
    req = write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 3), (chem.ethanol, "500", 1)])
    with pytest.raises(TransitionRefused) as refused:
        submit(chem, req)
    message = refused.value.message
    assert "丙酮 500 mL: 3 requested, 2 available" in message
    assert "乙醇 500 mL: 1 requested, 0 available" in message


def test_availability_counts_what_requisitions_under_way_ask_for(chem):
    stock_up(chem.organic_store, chem.acetone, "500", 2)
    first = submit(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    assert first.status == S.LAB_REVIEW
    second = write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 2)])
    with pytest.raises(TransitionRefused, match="2 requested, 1 available .2 in stock, 1 asked for"):
        submit(chem, second)
    # Withdrawn: the first no longer claims its package.
    services.requisition_withdraw(actor=actor(chem, "s_active"), pk=first.pk)
    assert submit(chem, second).status == S.LAB_REVIEW


@pytest.mark.parametrize(("campus", "ok"), [("north", True), ("south", False)])
def test_availability_in_the_centre_store_is_per_campus(chem, campus, ok):
    stock_up(chem.north_store, chem.sodium_hydroxide, "500", 2)
    make_package(chem.north_store, chem.sodium_hydroxide, "500", status=P.RESERVED)  # reserved: not free
    req = write(
        chem, "s_active", SRC.CENTRE_PHYSICAL, [(chem.sodium_hydroxide, "500", 2)], campus=getattr(chem, campus)
    )
    if ok:
        assert submit(chem, req).status == S.LAB_REVIEW
    else:
        with pytest.raises(TransitionRefused, match="南校区"):
            submit(chem, req)


def test_the_virtual_store_offers_the_whole_catalogue(chem):
    req = write(chem, "s_active", SRC.CENTRE_VIRTUAL, [(chem.nitric_acid, "500", 4)])
    assert submit(chem, req).status == S.LAB_REVIEW


def test_stocking_refuses_a_package_reserved_elsewhere(chem):
    packages = stock_up(chem.north_store, chem.ethanol, "500", 2)
    req = approve_to_office(chem, write(chem, "s_active", SRC.CENTRE_PHYSICAL, [(chem.ethanol, "500", 1)]))
    with scopes_disabled():
        line = req.lines.get()
        Package.objects.filter(pk=packages[0].pk).update(status=P.RESERVED)
    with pytest.raises(TransitionRefused, match=f"{packages[0].code} is no longer in stock"):
        services.requisition_stock(
            actor=actor(chem, "centre"),
            pk=req.pk,
            unit_prices={line.pk: Decimal("1")},
            packages={line.pk: [packages[0].pk]},
        )
    # A wrong count, then the oldest free one when none is ticked.
    with pytest.raises(TransitionRefused, match="choose 1 packages"):
        services.requisition_stock(
            actor=actor(chem, "centre"),
            pk=req.pk,
            unit_prices={line.pk: Decimal("1")},
            packages={line.pk: [packages[0].pk, packages[1].pk]},
        )
    with pytest.raises(ValidationError, match="unit price"):
        services.requisition_stock(actor=actor(chem, "centre"), pk=req.pk, unit_prices={})
    req = services.requisition_stock(actor=actor(chem, "centre"), pk=req.pk, unit_prices={line.pk: Decimal("1")})
    assert [p.pk for p in packages_of(req)] == [packages[1].pk]


# ---- highly toxic: two custodians ------------------------------------------------------------------------------


def test_highly_toxic_issue_needs_a_second_custodian(chem):
    stock_up(chem.organic_store, chem.cyanide, "100", 1)
    req = approve_to_office(chem, write(chem, "s_active", SRC.LAB, [(chem.cyanide, "100", 1)]))
    centre = actor(chem, "centre")
    with pytest.raises(ValidationError, match="two custodians"):
        services.requisition_issue(actor=centre, pk=req.pk)
    with pytest.raises(ValidationError, match="not the issuer"):  # the issuer is not their own second custodian
        services.requisition_issue(actor=centre, pk=req.pk, second_custodian_id=chem.centre.user_id)
    with pytest.raises(ValidationError, match="not the issuer"):  # nor is a teacher
        services.requisition_issue(actor=centre, pk=req.pk, second_custodian_id=chem.uni.t_alice.user_id)
    assert reload(req).status == S.APPROVED
    assert {p.status for p in packages_of(req)} == set()  # nothing moved

    req = services.requisition_issue(actor=centre, pk=req.pk, second_custodian_id=chem.centre2.user_id)
    assert (req.status, req.issued_by_id, req.second_custodian_id) == (
        S.COMPLETED,
        chem.centre.user_id,
        chem.centre2.user_id,
    )
    last = records_of(req)[-1]
    assert last.reviewer_id == chem.centre.user_id
    assert "陈中心" in last.reason and "钱中心" in last.reason


def test_a_lab_safety_officer_may_be_the_second_custodian(chem):
    stock_up(chem.organic_store, chem.cyanide, "100", 1)
    req = approve_to_office(chem, write(chem, "s_active", SRC.LAB, [(chem.cyanide, "100", 1)]))
    req = services.requisition_issue(
        actor=actor(chem, "centre"), pk=req.pk, second_custodian_id=chem.uni.officer.user_id
    )
    assert req.second_custodian_id == chem.uni.officer.user_id


def test_second_custodian_choices_are_rescoped(chem):
    choices = set(selectors.second_custodian_choices(actor(chem, "centre")).values_list("username", flat=True))
    assert choices == {"centre2", "officer"}


# ---- who decides each step ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "who", "expected"),
    [
        ("lab", "t_alice", "ok"),  # the supervising teacher
        ("lab", "s_active", 403),
        ("lab", "college_admin", 403),
        ("lab", "officer", 403),
        ("lab", "t_bob", 404),  # another lab's teacher does not even see it
        ("lab", "life_admin", 404),
        ("college", "college_admin", "ok"),
        ("college", "t_alice", 403),
        ("college", "officer", 403),
        ("college", "life_admin", 404),  # another college's admin
        ("office", "officer", "ok"),
        ("office", "college_admin", 403),
        ("office", "centre", 403),
        ("office", "uni_admin", 403),
        ("office", "far_teacher", 404),
    ],
)
def test_who_may_review_each_step(chem, step, who, expected):
    outsiders(chem)
    stock_up(chem.organic_store, chem.acetone, "500", 1)
    req = submit(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    if step in ("college", "office"):
        req = review(chem, req, "t_alice")
    if step == "office":
        req = review(chem, req, "college_admin")
    person = getattr(chem.uni, who, None)
    if person is None:
        from enterprises.models import Membership

        with scopes_disabled():
            person = Membership.objects.get(user__username=who)
    from .factories import actor_for

    before = reload(req).status
    try:
        services.requisition_review(actor=actor_for(person), pk=req.pk, approve=True)
        outcome = "ok"
    except PermissionDenied:
        outcome = 403
    except Http404:
        outcome = 404
    assert outcome == expected
    if expected != "ok":
        assert reload(req).status == before


def test_a_rejection_needs_a_reason(chem):
    stock_up(chem.organic_store, chem.acetone, "500", 1)
    req = submit(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    with pytest.raises(TransitionRefused, match="reason"):
        review(chem, req, "t_alice", approve=False)


def test_only_the_centre_stocks_confirms_and_issues(chem):
    stock_up(chem.organic_store, chem.acetone, "500", 1)
    req = approve_to_office(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    for who in ("officer", "t_alice", "uni_admin"):
        with pytest.raises(PermissionDenied):
            services.requisition_issue(actor=actor(chem, who), pk=req.pk)
    with pytest.raises(Http404):
        services.requisition_issue(actor=chem.actor("far_teacher"), pk=req.pk)
    assert reload(req).status == S.APPROVED


def test_review_queue_and_centre_queue(chem):
    stock_up(chem.organic_store, chem.acetone, "500", 2)
    req = submit(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    from safety.tenancy import actor_scope

    def queue(who):
        a = actor(chem, who)
        with actor_scope(a):
            qs = selectors.requisitions_awaiting_review(a)
            return [] if qs is None else [r.pk for r in qs]

    assert queue("t_alice") == [req.pk]
    assert queue("college_admin") == [] and queue("officer") == []
    review(chem, req, "t_alice")
    assert queue("college_admin") == [req.pk] and queue("t_alice") == []
    review(chem, req, "college_admin")
    assert queue("officer") == [req.pk]
    review(chem, req, "officer")
    a = actor(chem, "centre")
    with actor_scope(a):
        assert [r.pk for r in selectors.requisition_centre_queue(a)] == [req.pk]
        assert selectors.requisition_centre_queue(actor(chem, "officer")) is None


def test_the_centre_sends_a_payment_back_with_a_reason(chem):
    req = approve_to_office(chem, write(chem, "s_active", SRC.CENTRE_VIRTUAL, [(chem.ethanol, "500", 1)]))
    with scopes_disabled():
        line = req.lines.get()
    services.requisition_stock(actor=actor(chem, "centre"), pk=req.pk, unit_prices={line.pk: Decimal("9")})
    with pytest.raises(PermissionDenied):  # the office sees it but does not pay for the lab
        services.requisition_pay(actor=actor(chem, "officer"), pk=req.pk)
    services.requisition_pay(actor=actor(chem, "s_active"), pk=req.pk, reference="WX-1")
    with pytest.raises(TransitionRefused, match="why"):
        services.requisition_reject_payment(actor=actor(chem, "centre"), pk=req.pk, reason=" ")
    req = services.requisition_reject_payment(actor=actor(chem, "centre"), pk=req.pk, reason="未查到到账记录")
    assert (req.status, req.payment_status, req.paid_at) == (S.STOCKED, PaymentStatus.UNPAID, None)
    with scopes_disabled():
        assert Notification.objects.filter(recipient=chem.uni.s_active.user, body="未查到到账记录").exists()
    with pytest.raises(TransitionRefused, match="not confirmed"):
        services.requisition_issue(actor=actor(chem, "centre"), pk=req.pk)
    services.requisition_pay(actor=actor(chem, "s_active"), pk=req.pk, reference="WX-2")
    services.requisition_confirm_payment(actor=actor(chem, "centre"), pk=req.pk)
    assert services.requisition_issue(actor=actor(chem, "centre"), pk=req.pk).status == S.COMPLETED
