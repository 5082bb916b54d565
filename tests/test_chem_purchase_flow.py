"""Purchase requests (申购) through the services: the full flow from a student's draft to the packages in the lab's
own store, the lab head's own request, rejection and resubmission, the round's window, the unpaid-order block,
who reviews each step, stock-in and payment rules, aggregation for tendering and police filings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from approvals.engine import TransitionRefused
from approvals.models import Decision, Node, Notification
from chemicals import selectors, services, tiers
from chemicals.models import OrderStatus, Package, PaymentStatus, PoliceFiling, PurchaseRequest, Store
from safety.tenancy import scopes_disabled

from .chem_purchase_helpers import Purchase, build_purchase, make_round, packages_of, records_of, reload

pytestmark = pytest.mark.usefixtures("english_messages")

S = OrderStatus
P = PaymentStatus


@pytest.fixture
def p(world) -> Purchase:
    return build_purchase(world)


def notifications(membership, title_part: str = "") -> list[Notification]:
    with scopes_disabled():
        qs = Notification.objects.filter(recipient=membership.user)
        return [n for n in qs if title_part in n.title]


# ---- the full flow ------------------------------------------------------------------------------------


def test_full_flow_student_to_lab_store(p: Purchase):
    chem, uni = p.chem, p.chem.uni
    order = p.draft("s_active", (chem.ethanol, "500", 3), (chem.acetone, "250", 2))
    assert order.status == S.DRAFT and order.number.startswith("SG")
    assert reload(order).step == 1

    order = services.purchase_request_submit(actor=p.actor("s_active"), pk=order.pk)
    assert (order.status, order.step) == (S.LAB_REVIEW, 2)
    assert notifications(uni.t_alice, order.number), "the supervising teacher is told"

    order = services.purchase_request_review(actor=p.actor("t_alice"), pk=order.pk, approve=True)
    assert order.status == S.COLLEGE_REVIEW
    assert notifications(uni.college_admin, order.number) and notifications(p.college_admin2, order.number)
    order = services.purchase_request_review(actor=p.actor("college_admin"), pk=order.pk, approve=True)
    assert order.status == S.OFFICE_REVIEW
    order = services.purchase_request_review(actor=p.actor("officer"), pk=order.pk, approve=True, reason="同意")
    assert (order.status, order.step) == (S.APPROVED, 5)
    assert notifications(chem.centre, order.number), "the centre is told to stock in"

    order = p.stock_in(order, price="12.50")
    assert (order.status, order.payment_status, order.step) == (S.STOCKED, P.UNPAID, 6)
    packages = packages_of(order)
    assert len(packages) == 5
    assert {pk.store_id for pk in packages} == {chem.north_store.pk}
    assert {pk.owner_lab_id for pk in packages} == {uni.organic.pk}
    assert {pk.status for pk in packages} == {Package.Status.IN_STOCK}
    assert len({pk.code for pk in packages}) == 5 and all(pk.code.startswith("P") for pk in packages)
    assert all(pk.remaining == pk.size for pk in packages)
    with scopes_disabled():
        assert selectors.purchase_amount(order) == Decimal("62.50")
    notice = notifications(uni.s_active, "62.50")
    assert notice and "payment-notice.pdf" in notice[0].body
    assert notifications(uni.t_alice, "62.50"), "the lab head gets the payment notice too"

    order = services.purchase_pay(actor=p.actor("s_active"), pk=order.pk, reference="WX20260101")
    assert (order.payment_status, order.payment_reference) == (P.AWAITING_CONFIRMATION, "WX20260101")
    assert notifications(chem.centre, "Payment to confirm") or notifications(chem.centre, order.number)

    order = services.purchase_confirm_payment(actor=p.actor("centre"), pk=order.pk)
    assert (order.status, order.payment_status, order.step) == (S.COMPLETED, P.PAID, 7)
    packages = packages_of(order)
    assert {pk.store.kind for pk in packages} == {Store.Kind.LAB}
    assert {pk.store.lab_id for pk in packages} == {uni.organic.pk}
    assert {pk.store_id for pk in packages} == {chem.organic_store.pk}, "the lab's existing store is reused"
    assert {pk.status for pk in packages} == {Package.Status.IN_STOCK}

    steps = [(r.node, r.decision, r.to_state) for r in records_of(order)]
    assert steps == [
        (Node.APPLICANT, Decision.SUBMIT, S.LAB_REVIEW),
        (Node.LAB, Decision.APPROVE, S.COLLEGE_REVIEW),
        (Node.COLLEGE, Decision.APPROVE, S.OFFICE_REVIEW),
        (Node.LAB_SAFETY_OFFICE, Decision.APPROVE, S.APPROVED),
        (Node.SERVICE_CENTRE, Decision.STOCK, S.STOCKED),
        (Node.LAB, Decision.PAY, P.AWAITING_CONFIRMATION),
        (Node.SERVICE_CENTRE, Decision.CONFIRM, P.PAID),
    ]


def test_payment_confirmation_creates_the_lab_store_when_missing(p: Purchase):
    chem, uni = p.chem, p.chem.uni
    order = p.advance(p.draft("s_bob", (chem.sodium_hydroxide, "500", 1)), S.APPROVED)
    with scopes_disabled():
        Store.objects.filter(lab=uni.analytic).delete()
    order = p.stock_in(order)
    services.purchase_pay(actor=p.actor("s_bob"), pk=order.pk, reference="R1")
    services.purchase_confirm_payment(actor=p.actor("centre"), pk=order.pk)
    (package,) = packages_of(order)
    assert (package.store.kind, package.store.lab_id) == (Store.Kind.LAB, uni.analytic.pk)


def test_lab_head_passes_the_lab_step(p: Purchase):
    order = p.draft("t_alice", (p.chem.ethanol, "500", 1))
    order = services.purchase_request_submit(actor=p.actor("t_alice"), pk=order.pk)
    assert order.status == S.COLLEGE_REVIEW
    lab_record = records_of(order)[1]
    assert (lab_record.node, lab_record.decision, lab_record.to_state) == (Node.LAB, Decision.APPROVE, S.COLLEGE_REVIEW)
    assert lab_record.reason  # recorded as passed because the head submitted it


def test_teacher_of_the_lab_goes_to_the_head(p: Purchase):
    order = services.purchase_request_submit(actor=p.actor("t_carl"), pk=p.draft("t_carl").pk)
    assert order.status == S.LAB_REVIEW
    assert p.reviewer_for(order) == "t_alice"


def test_reject_with_reason_notifies_and_resubmit_works(p: Purchase):
    uni = p.chem.uni
    order = p.advance(p.draft("s_active"), S.COLLEGE_REVIEW)
    with pytest.raises(TransitionRefused):
        services.purchase_request_review(actor=p.actor("college_admin"), pk=order.pk, approve=False, reason="  ")
    order = services.purchase_request_review(
        actor=p.actor("college_admin"), pk=order.pk, approve=False, reason="规格写错了"
    )
    assert (order.status, order.step) == (S.REJECTED, 0)
    told = notifications(uni.s_active, order.number)
    assert any("规格写错了" in n.body for n in told)

    services.purchase_request_update(
        actor=p.actor("s_active"),
        pk=order.pk,
        lines=[services.PurchaseLineData(chemical=p.chem.ethanol, package_size=Decimal("2500"), package_count=1)],
        purpose="改正规格",
    )
    order = services.purchase_request_submit(actor=p.actor("s_active"), pk=order.pk)
    assert order.status == S.LAB_REVIEW
    assert records_of(order)[-1].decision == Decision.RESUBMIT
    with scopes_disabled():
        assert [(x.package_size, x.package_count) for x in order.lines.all()] == [(Decimal("2500.000"), 1)]


def test_only_drafts_and_rejected_requests_are_edited(p: Purchase):
    order = p.advance(p.draft("s_active"), S.LAB_REVIEW)
    line = services.PurchaseLineData(chemical=p.chem.ethanol, package_size=Decimal("1"), package_count=1)
    with pytest.raises(TransitionRefused):
        services.purchase_request_update(actor=p.actor("s_active"), pk=order.pk, lines=[line])
    with pytest.raises(PermissionDenied):  # the supervising teacher sees it but did not write it
        services.purchase_request_update(actor=p.actor("t_alice"), pk=order.pk, lines=[line])


def test_withdraw(p: Purchase):
    order = p.advance(p.draft("s_active"), S.LAB_REVIEW)
    order = services.purchase_request_withdraw(actor=p.actor("s_active"), pk=order.pk)
    assert order.status == S.WITHDRAWN


def test_create_rules(p: Purchase):
    chem = p.chem
    line = [services.PurchaseLineData(chemical=chem.ethanol, package_size=Decimal("500"), package_count=1)]
    with pytest.raises(ValidationError) as exc:  # another lab
        services.purchase_request_create(
            actor=p.actor("s_active"), round_id=p.round.pk, lab_id=chem.uni.analytic.pk, lines=line
        )
    assert "lab" in exc.value.message_dict
    with pytest.raises(ValidationError):  # no lines
        services.purchase_request_create(
            actor=p.actor("s_active"), round_id=p.round.pk, lab_id=chem.uni.organic.pk, lines=[]
        )
    closed = make_round(
        chem, opens_at=timezone.now() - timedelta(days=60), deadline=timezone.now() - timedelta(days=40)
    )
    with pytest.raises(ValidationError) as exc:
        services.purchase_request_create(
            actor=p.actor("s_active"), round_id=closed.pk, lab_id=chem.uni.organic.pk, lines=line
        )
    assert "round" in exc.value.message_dict
    for who in ("officer", "centre", "college_admin"):  # no chemicals.order
        with pytest.raises(PermissionDenied):
            services.purchase_request_create(
                actor=p.actor(who), round_id=p.round.pk, lab_id=chem.uni.organic.pk, lines=line
            )


# ---- the round's window -----------------------------------------------------------------------------

OPENS = timezone.datetime(2026, 4, 1, 8, 0, tzinfo=timezone.get_fixed_timezone(480))
DEADLINE = timezone.datetime(2026, 4, 15, 18, 0, tzinfo=timezone.get_fixed_timezone(480))


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (OPENS - timedelta(days=3), False),  # before
        (OPENS - timedelta(seconds=1), False),  # a second before it opens
        (OPENS, True),  # the opening instant
        (OPENS + timedelta(days=7), True),  # inside
        (DEADLINE - timedelta(seconds=1), True),  # the last second
        (DEADLINE, False),  # the deadline itself is closed
        (DEADLINE + timedelta(days=1), False),  # after
    ],
)
def test_submit_only_inside_the_window(p: Purchase, moment, allowed):
    round_ = make_round(p.chem, opens_at=OPENS, deadline=DEADLINE, title="2026年第2季度")
    with time_machine.travel(OPENS + timedelta(hours=1), tick=False):
        order = p.draft("s_active", round_=round_)
    with time_machine.travel(moment, tick=False):
        if allowed:
            assert services.purchase_request_submit(actor=p.actor("s_active"), pk=order.pk).status == S.LAB_REVIEW
        else:
            with pytest.raises(TransitionRefused) as exc:
                services.purchase_request_submit(actor=p.actor("s_active"), pk=order.pk)
            assert "2026-04-01 08:00" in exc.value.message and "2026-04-15 18:00" in exc.value.message
            assert reload(order).status == S.DRAFT


def test_resubmission_after_the_deadline_is_refused(p: Purchase):
    round_ = make_round(p.chem, opens_at=OPENS, deadline=DEADLINE)
    with time_machine.travel(OPENS + timedelta(days=1), tick=False):
        order = p.draft("s_active", round_=round_)
        order = p.advance(order, S.COLLEGE_REVIEW)
        services.purchase_request_review(actor=p.actor("college_admin"), pk=order.pk, approve=False, reason="补充用途")
    with time_machine.travel(DEADLINE + timedelta(hours=1), tick=False):
        with pytest.raises(TransitionRefused, match="closed"):
            services.purchase_request_submit(actor=p.actor("s_active"), pk=order.pk)


def test_reviews_continue_after_the_deadline(p: Purchase):
    """The window limits submission only: steps already submitted are decided after the deadline."""
    round_ = make_round(p.chem, opens_at=OPENS, deadline=DEADLINE)
    with time_machine.travel(OPENS + timedelta(days=1), tick=False):
        order = p.advance(p.draft("s_active", round_=round_), S.LAB_REVIEW)
    with time_machine.travel(DEADLINE + timedelta(hours=1), tick=False):
        assert p.advance(order, S.APPROVED).status == S.APPROVED


# ---- the unpaid-order block -------------------------------------------------------------------------


@pytest.fixture
def unpaid(p: Purchase) -> PurchaseRequest:
    """A stocked, unpaid purchase order of 有机化学实验室."""
    return p.stock_in(p.advance(p.draft("t_carl", (p.chem.ethanol, "500", 1)), S.APPROVED))


@pytest.mark.parametrize("step", [S.LAB_REVIEW, S.COLLEGE_REVIEW, S.OFFICE_REVIEW])
def test_unpaid_order_blocks_reviews_of_the_lab(p: Purchase, step):
    order = p.advance(p.draft("s_active"), step)
    unpaid_order = p.stock_in(p.advance(p.draft("t_carl", (p.chem.ethanol, "500", 1)), S.APPROVED))
    with pytest.raises(TransitionRefused) as exc:
        services.purchase_request_review(actor=p.actor(p.reviewer_for(order)), pk=order.pk, approve=True)
    message = exc.value.message
    assert unpaid_order.number in message and "有机化学实验室" in message and "pay" in message
    assert reload(order).status == step
    # A rejection is still possible: the block stops approvals only.
    services.purchase_request_review(actor=p.actor(p.reviewer_for(order)), pk=order.pk, approve=False, reason="先付款")


def test_awaiting_confirmation_still_blocks_and_paid_releases(p: Purchase, unpaid):
    order = p.advance(p.draft("s_active"), S.LAB_REVIEW)
    services.purchase_pay(actor=p.actor("t_carl"), pk=unpaid.pk, reference="R-1")
    with pytest.raises(TransitionRefused, match=unpaid.number):
        services.purchase_request_review(actor=p.actor("t_alice"), pk=order.pk, approve=True)
    services.purchase_confirm_payment(actor=p.actor("centre"), pk=unpaid.pk)
    assert services.purchase_request_review(actor=p.actor("t_alice"), pk=order.pk, approve=True).status == (
        S.COLLEGE_REVIEW
    )


def test_unpaid_order_of_another_lab_does_not_block(p: Purchase):
    p.stock_in(p.advance(p.draft("s_bob", (p.chem.ethanol, "500", 1)), S.APPROVED))  # 分析化学实验室 owes
    order = p.advance(p.draft("s_active"), S.LAB_REVIEW)
    assert p.advance(order, S.APPROVED).status == S.APPROVED


# ---- who reviews each step --------------------------------------------------------------------------

# (step, actor, outcome): "ok" decides it; 403 sees the request but does not decide; 404 does not see it.
WHO = [
    (S.LAB_REVIEW, "t_alice", "ok"),  # the student's supervising teacher (and the lab head)
    (S.LAB_REVIEW, "t_carl", 403),  # another teacher of the same lab
    (S.LAB_REVIEW, "t_bob", 404),  # a teacher of another lab
    (S.LAB_REVIEW, "college_admin", 403),  # not yet the college's step
    (S.LAB_REVIEW, "officer", 403),
    (S.LAB_REVIEW, "s_active", 403),  # the submitter
    (S.COLLEGE_REVIEW, "college_admin", "ok"),
    (S.COLLEGE_REVIEW, "college_admin2", "ok"),
    (S.COLLEGE_REVIEW, "life_admin", 404),  # another college's administrator
    (S.COLLEGE_REVIEW, "t_alice", 403),
    (S.COLLEGE_REVIEW, "officer", 403),
    (S.COLLEGE_REVIEW, "centre", 403),
    (S.OFFICE_REVIEW, "officer", "ok"),
    (S.OFFICE_REVIEW, "officer2", "ok"),
    (S.OFFICE_REVIEW, "centre", 403),
    (S.OFFICE_REVIEW, "uni_admin", 403),
    (S.OFFICE_REVIEW, "college_admin", 403),
    (S.OFFICE_REVIEW, "s_active", 403),
    (S.OFFICE_REVIEW, "s_bob", 404),  # another lab's student
    (S.OFFICE_REVIEW, "far_teacher", 404),  # another university
]


@pytest.mark.parametrize(("step", "who", "outcome"), WHO)
def test_who_reviews_each_step(p: Purchase, step, who, outcome):
    order = p.advance(p.draft("s_active"), step)
    decide = lambda: services.purchase_request_review(actor=p.actor(who), pk=order.pk, approve=True)  # noqa: E731
    if outcome == "ok":
        assert decide().status != step
        return
    with pytest.raises(PermissionDenied if outcome == 403 else Http404):
        decide()
    assert reload(order).status == step
    assert len(records_of(order)) == [S.LAB_REVIEW, S.COLLEGE_REVIEW, S.OFFICE_REVIEW].index(step) + 1


def test_reviewing_a_decided_step_names_who_decided(p: Purchase):
    order = p.advance(p.draft("s_active"), S.COLLEGE_REVIEW)
    services.purchase_request_review(actor=p.actor("college_admin"), pk=order.pk, approve=True)
    with pytest.raises(TransitionRefused, match="college_admin"):
        services.purchase_request_review(
            actor=p.actor("college_admin2"), pk=order.pk, approve=False, reason="晚了", seen_status=S.COLLEGE_REVIEW
        )


# ---- stock-in and payment ---------------------------------------------------------------------------


def test_stock_in_rules(p: Purchase):
    chem = p.chem
    order = p.advance(p.draft("s_active", (chem.ethanol, "500", 2), (chem.cyanide, "100", 1)), S.APPROVED)
    with scopes_disabled():
        first, second = order.lines.all()
    stock_in = lambda lines, campus=chem.north.pk, who="centre": services.purchase_stock_in(  # noqa: E731
        actor=p.actor(who), pk=order.pk, campus_id=campus, lines=lines
    )
    with pytest.raises(PermissionDenied):
        stock_in([services.StockInLineData(first.pk, 2, Decimal("1"))], who="officer")
    with pytest.raises(ValidationError):  # more than requested
        stock_in([services.StockInLineData(first.pk, 3, Decimal("1"))])
    with pytest.raises(ValidationError):  # no price
        stock_in([services.StockInLineData(first.pk, 2, None)])
    with pytest.raises(ValidationError):  # nothing received
        stock_in([services.StockInLineData(first.pk, 0, None)])
    with pytest.raises(ValidationError):  # a campus of another university
        with scopes_disabled():
            far_campus = chem.far_store.campus_id
        stock_in([services.StockInLineData(first.pk, 2, Decimal("1"))], campus=far_campus)
    assert reload(order).status == S.APPROVED and not packages_of(order)

    # Only part arrived: the missing line is not charged.
    order = stock_in(
        [services.StockInLineData(first.pk, 1, Decimal("30")), services.StockInLineData(second.pk, 0, None)]
    )
    assert order.status == S.STOCKED
    assert [(x.chemical_id, x.store_id) for x in packages_of(order)] == [(chem.ethanol.pk, chem.north_store.pk)]
    with scopes_disabled():
        assert selectors.purchase_amount(order) == Decimal("30.00")
    with pytest.raises(TransitionRefused):  # stocked already
        stock_in([services.StockInLineData(first.pk, 1, Decimal("30"))])


def test_payment_rules(p: Purchase, unpaid):
    with pytest.raises(ValidationError):
        services.purchase_pay(actor=p.actor("t_carl"), pk=unpaid.pk, reference=" ")
    with pytest.raises(PermissionDenied):  # the centre does not pay for the lab
        services.purchase_pay(actor=p.actor("centre"), pk=unpaid.pk, reference="R")
    with pytest.raises(Http404):  # another lab
        services.purchase_pay(actor=p.actor("s_bob"), pk=unpaid.pk, reference="R")
    order = services.purchase_pay(actor=p.actor("t_alice"), pk=unpaid.pk, reference="R-7")  # the lab head pays too
    with pytest.raises(PermissionDenied):
        services.purchase_confirm_payment(actor=p.actor("t_alice"), pk=order.pk)
    with pytest.raises(TransitionRefused):
        services.purchase_reject_payment(actor=p.actor("centre"), pk=order.pk, reason="")
    order = services.purchase_reject_payment(actor=p.actor("centre"), pk=order.pk, reason="未到账")
    assert (order.status, order.payment_status) == (S.STOCKED, P.UNPAID)
    assert any(n.body == "未到账" for n in notifications(p.t_carl, order.number))
    assert {x.store_id for x in packages_of(order)} == {p.chem.north_store.pk}, "still in the centre's store"
    services.purchase_pay(actor=p.actor("t_carl"), pk=order.pk, reference="R-8")
    assert services.purchase_confirm_payment(actor=p.actor("centre"), pk=order.pk).status == S.COMPLETED


# ---- rounds, aggregation, police filings ------------------------------------------------------------


def test_round_create_notifies_teachers_and_checks_the_window(p: Purchase):
    uni = p.chem.uni
    start = p.round.deadline + timedelta(days=80)
    round_ = services.purchase_round_create(
        actor=p.actor("officer"),
        title="下季度",
        opens_at=start,
        deadline=start + timedelta(days=14),
        notice="请按需申购",
    )
    for teacher in (uni.t_alice, uni.t_bob, p.t_carl):
        assert notifications(teacher, "下季度"), teacher
    assert not notifications(uni.s_active, "下季度") and not notifications(uni.far_teacher, "下季度")
    with pytest.raises(ValidationError) as exc:  # overlaps
        services.purchase_round_create(
            actor=p.actor("officer"),
            title="重叠",
            opens_at=start + timedelta(days=1),
            deadline=start + timedelta(days=20),
        )
    assert "opens_at" in exc.value.message_dict
    with pytest.raises(ValidationError):  # deadline before opening
        services.purchase_round_create(
            actor=p.actor("officer"),
            title="x",
            opens_at=start + timedelta(days=100),
            deadline=start + timedelta(days=99),
        )
    with pytest.raises(PermissionDenied):
        services.purchase_round_create(
            actor=p.actor("t_alice"),
            title="x",
            opens_at=start + timedelta(days=200),
            deadline=start + timedelta(days=210),
        )
    services.purchase_round_update(
        actor=p.actor("officer"),
        pk=round_.pk,
        title="下季度（延期）",
        opens_at=start,
        deadline=start + timedelta(days=21),
    )
    assert reload(round_).title == "下季度（延期）"


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [
        (None, "2026-02-10 09:00", ("2026-04-01 00:00", "2026-04-15 00:00")),  # first round: next quarter
        (None, "2026-11-30 09:00", ("2027-01-01 00:00", "2027-01-15 00:00")),
        (("2026-03-01 08:00", "2026-03-20 18:00"), "2026-03-25 09:00", ("2026-06-01 08:00", "2026-06-20 18:00")),
        (("2025-06-01 08:00", "2025-06-20 18:00"), "2026-03-25 09:00", ("2026-06-01 08:00", "2026-06-20 18:00")),
    ],
)
def test_next_round_window_every_three_months(p: Purchase, last, now, expected):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    parse = lambda s: datetime.strptime(s, "%Y-%m-%d %H:%M").replace(tzinfo=tz)  # noqa: E731
    with scopes_disabled():
        type(p.round).objects.all().delete()
    if last:
        make_round(p.chem, opens_at=parse(last[0]), deadline=parse(last[1]))
    with scopes_disabled():
        _title, opens, deadline = selectors.next_round_window(p.actor("officer"), now=parse(now))
    assert (
        timezone.localtime(opens).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M"),
    ) == expected


def test_aggregation_by_chemical_and_size(p: Purchase):
    chem = p.chem
    a = p.advance(p.draft("s_active", (chem.ethanol, "500", 2), (chem.acetone, "250", 4)), S.APPROVED)
    p.advance(p.draft("s_bob", (chem.ethanol, "500", 3), (chem.ethanol, "2500", 1)), S.APPROVED)
    p.advance(p.draft("t_carl", (chem.ethanol, "500", 50)), S.OFFICE_REVIEW)  # not approved: left out
    rejected = p.advance(p.draft("t_alice", (chem.acetone, "250", 9)), S.OFFICE_REVIEW)
    services.purchase_request_review(actor=p.actor("officer"), pk=rejected.pk, approve=False, reason="重复")
    p.stock_in(a)  # stocked requests still count
    with scopes_disabled():
        rows = selectors.round_aggregation(p.round)
        totals = selectors.round_chemical_totals(p.round, controlled_only=True)
    got = [(r.cas_number, r.package_size, r.packages, r.quantity, r.labs) for r in rows]
    assert got == [
        ("67-64-1", Decimal("250.000"), 4, Decimal("1000.000"), ["有机化学实验室"]),
        ("64-17-5", Decimal("500.000"), 5, Decimal("2500.000"), ["分析化学实验室", "有机化学实验室"]),
        ("64-17-5", Decimal("2500.000"), 1, Decimal("2500.000"), ["分析化学实验室"]),
    ]
    assert totals == {chem.acetone.pk: Decimal("1000.000")}  # ethanol is not controlled


def test_police_filings(p: Purchase):
    chem = p.chem
    first = p.advance(p.draft("s_active", (chem.acetone, "500", 2), (chem.ethanol, "500", 1)), S.APPROVED)
    first = p.stock_in(first)  # stocked before the filing exists
    with pytest.raises(PermissionDenied):
        services.police_filings_prepare(actor=p.actor("centre"), round_id=p.round.pk)
    (filing,) = services.police_filings_prepare(actor=p.actor("officer"), round_id=p.round.pk)
    assert (filing.chemical_id, filing.quantity, filing.status) == (chem.acetone.pk, Decimal("1000.000"), "pending")
    acetone_packages = [x for x in packages_of(first) if x.chemical_id == chem.acetone.pk]
    assert {x.police_filing_id for x in acetone_packages} == {filing.pk}

    p.advance(p.draft("s_bob", (chem.acetone, "500", 1), (chem.cyanide, "50", 2)), S.APPROVED)
    filings = services.police_filings_prepare(actor=p.actor("officer"), round_id=p.round.pk)
    assert sorted((f.chemical_id, f.quantity) for f in filings) == sorted(
        [(chem.acetone.pk, Decimal("1500.000")), (chem.cyanide.pk, Decimal("100.000"))]
    )
    with pytest.raises(ValidationError) as exc:
        services.police_filing_record(
            actor=p.actor("officer"), pk=filing.pk, filing_number="", police_station="", filed_on=None
        )
    assert set(exc.value.message_dict) == {"filing_number", "police_station", "filed_on"}
    filing = services.police_filing_record(
        actor=p.actor("officer"),
        pk=filing.pk,
        filing_number="川公备2026-018",
        police_station="泸州市公安局",
        filed_on=timezone.localdate(),
    )
    assert (filing.status, filing.filed_by_id) == (PoliceFiling.Status.FILED, p.chem.uni.officer.user_id)
    # A filed filing keeps its quantity; packages stocked in later get the round's filing.
    services.police_filings_prepare(actor=p.actor("officer"), round_id=p.round.pk)
    assert reload(filing).quantity == Decimal("1500.000")
    with scopes_disabled():
        late = PurchaseRequest.objects.get(submitter=p.s_bob.user)
    late = p.stock_in(late)
    assert {x.police_filing_id for x in packages_of(late) if x.chemical_id == chem.acetone.pk} == {filing.pk}
    assert {x.police_filing.chemical_id for x in packages_of(late) if x.chemical_id == chem.cyanide.pk} == {
        chem.cyanide.pk
    }


# ---- who sees what (services and selectors) --------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("s_active", True),
        ("t_alice", True),  # supervisor and lab head
        ("t_carl", True),  # a teacher of the lab
        ("college_admin", True),
        ("officer", True),
        ("centre", True),
        ("uni_admin", True),
        ("s_bob", False),  # another lab's student
        ("t_bob", False),  # another lab's teacher
        ("life_admin", False),  # another college's administrator
        ("far_teacher", False),  # another university
    ],
)
def test_visibility(p: Purchase, who, sees):
    order = p.advance(p.draft("s_active"), S.COLLEGE_REVIEW)
    with scopes_disabled():
        visible = selectors.purchase_requests_for(p.actor(who)).filter(pk=order.pk).exists()
    assert visible is sees
    if not sees:
        with pytest.raises(Http404):
            services.purchase_request_withdraw(actor=p.actor(who), pk=order.pk)


def test_awaiting_review_queues(p: Purchase):
    lab_step = p.advance(p.draft("s_active"), S.LAB_REVIEW)
    college_step = p.advance(p.draft("t_alice"), S.COLLEGE_REVIEW)
    office_step = p.advance(p.draft("s_bob"), S.OFFICE_REVIEW)
    with scopes_disabled():
        queue = lambda who: set(selectors.purchase_review_queue(p.actor(who)).values_list("pk", flat=True))  # noqa: E731
        assert queue("t_alice") == {lab_step.pk}
        assert queue("college_admin") == {college_step.pk}
        assert queue("life_admin") == set()
        assert queue("officer") == {office_step.pk}
        assert queue("s_active") == set()
    assert tiers.may_review(p.actor("officer"), reload(office_step))
