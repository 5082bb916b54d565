"""Concurrent steps on one purchase request: exactly one wins and the record stays consistent.

Each thread builds its own actor on its own connection; a barrier releases them together so they meet at the
row lock. PostgreSQL only (conftest skips race tests elsewhere).
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest

from approvals.engine import TransitionRefused
from approvals.models import Decision
from chemicals import services
from chemicals.models import OrderStatus, PaymentStatus, PurchaseRequest
from enterprises.models import Membership
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .chem_purchase_helpers import Purchase, build_purchase, packages_of, records_of, reload
from .races import run_together as _run_together

# Only TransitionRefused counts as a refusal here: a ValidationError would be a failure.
run_together = partial(_run_together, refused=(TransitionRefused,))

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

S = OrderStatus


def actor_of(membership_pk: int) -> Actor:
    with scopes_disabled():
        m = Membership.objects.select_related("user", "enterprise").get(pk=membership_pk)
    return Actor(user=m.user, membership=m)


@pytest.fixture
def p(world) -> Purchase:
    return build_purchase(world)


@pytest.mark.parametrize(
    ("step", "reviewers"),
    [(S.COLLEGE_REVIEW, ("college_admin", "college_admin2")), (S.OFFICE_REVIEW, ("officer", "officer2"))],
)
@pytest.mark.parametrize("decisions", [(True, True), (True, False)], ids=["both-approve", "approve-and-reject"])
def test_two_reviewers_decide_one_step_at_once(p: Purchase, step, reviewers, decisions):
    order = p.advance(p.draft("s_active"), step)
    before = len(records_of(order))

    def decide(who: str, approve: bool):
        pk = p.membership(who).pk
        return lambda: services.purchase_request_review(
            actor=actor_of(pk), pk=order.pk, approve=approve, reason="意见", seen_status=step
        )

    outcome = run_together([decide(who, d) for who, d in zip(reviewers, decisions, strict=True)])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 1
    new = records_of(order)[before:]
    assert len(new) == 1, "one decision, one record"
    winner = reload(order)
    assert winner.status == (
        S.REJECTED
        if new[0].decision == Decision.REJECT
        else {S.COLLEGE_REVIEW: S.OFFICE_REVIEW, S.OFFICE_REVIEW: S.APPROVED}[step]
    )
    assert winner.get_status_display() in outcome.refusals[0].message  # the loser is told what happened


def test_two_stock_ins_at_once(p: Purchase):
    order = p.advance(p.draft("s_active", (p.chem.ethanol, "500", 3), (p.chem.acetone, "250", 2)), S.APPROVED)
    with scopes_disabled():
        lines = list(order.lines.all())
    centre = [p.chem.centre.pk, p.chem.centre2.pk]

    def stock(pk: int, price: str):
        return lambda: services.purchase_stock_in(
            actor=actor_of(pk),
            pk=order.pk,
            campus_id=p.chem.north.pk,
            lines=[services.StockInLineData(x.pk, x.package_count, Decimal(price)) for x in lines],
        )

    outcome = run_together([stock(centre[0], "10"), stock(centre[1], "11")])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 1
    packages = packages_of(order)
    assert len(packages) == 5 and len({x.code for x in packages}) == 5
    order = reload(order)
    assert (order.status, order.payment_status) == (S.STOCKED, PaymentStatus.UNPAID)
    assert [r.to_state for r in records_of(order)].count(S.STOCKED) == 1


def test_stock_ins_of_two_requests_at_once_get_distinct_codes(p: Purchase):
    a = p.advance(p.draft("s_active", (p.chem.ethanol, "500", 4)), S.APPROVED)
    b = p.advance(p.draft("s_bob", (p.chem.ethanol, "500", 4)), S.APPROVED)

    def stock(order: PurchaseRequest, pk: int):
        with scopes_disabled():
            lines = list(order.lines.all())
        return lambda: services.purchase_stock_in(
            actor=actor_of(pk),
            pk=order.pk,
            campus_id=p.chem.north.pk,
            lines=[services.StockInLineData(x.pk, x.package_count, Decimal("5")) for x in lines],
        )

    outcome = run_together([stock(a, p.chem.centre.pk), stock(b, p.chem.centre2.pk)])
    assert len(outcome.successes) == 2
    codes = [x.code for x in packages_of(a) + packages_of(b)]
    assert len(codes) == 8 and len(set(codes)) == 8


def test_two_payment_confirmations_at_once(p: Purchase):
    order = p.stock_in(p.advance(p.draft("s_active"), S.APPROVED))
    services.purchase_pay(actor=p.actor("s_active"), pk=order.pk, reference="R-1")

    def confirm(pk: int):
        return lambda: services.purchase_confirm_payment(actor=actor_of(pk), pk=order.pk)

    outcome = run_together([confirm(p.chem.centre.pk), confirm(p.chem.centre2.pk)])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 1
    order = reload(order)
    assert (order.status, order.payment_status) == (S.COMPLETED, PaymentStatus.PAID)
    assert {x.store_id for x in packages_of(order)} == {p.chem.organic_store.pk}
    assert [r.decision for r in records_of(order)].count(Decision.CONFIRM) == 1  # stock-in is Decision.STOCK
