"""The auto-termination under concurrency (PostgreSQL): two sweeps at once terminate each order once, and a
sweep racing a person's review ends one way or the other with a consistent record, whichever arrives first.

Threads have their own connections; hooks inside the services hold one side at its row lock while the other
arrives, so both orders of arrival are tested deterministically.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from approvals.engine import TransitionRefused
from approvals.models import Decision, Notification
from chemicals import deadlines, services, tiers
from chemicals.models import OrderStatus, Requisition
from safety.tenancy import scopes_disabled

from .chem_termination_helpers import (
    actor_of,
    make_purchase_request,
    make_requisition,
    make_round,
    make_stocked_requisition,
    now,
    records_of,
    reload,
    run_together,
    wait_for_lock_waiter,
)
from .chem_world import build_chem

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

S = OrderStatus
LONG_AGO = timedelta(days=6)


@pytest.fixture
def chem(world):
    return build_chem(world)


def test_two_sweeps_at_once_terminate_each_order_once(chem):
    past = now() - LONG_AGO
    orders = [make_requisition(chem, status=S.LAB_REVIEW, last_reviewed_at=past) for _ in range(14)]
    orders += [make_stocked_requisition(chem, stocked_at=past) for _ in range(6)]
    round_ = make_round(chem, deadline=now() - timedelta(days=3))
    orders += [make_purchase_request(chem, round_, status=S.COLLEGE_REVIEW) for _ in range(10)]

    outcome = run_together([lambda: services.terminate_overdue_orders(batch_size=3) for _ in range(2)])

    assert len(outcome.successes) == 2
    assert sum(r["requisitions"] for r in outcome.successes) == 20
    assert sum(r["purchase_requests"] for r in outcome.successes) == 10
    for order in orders:
        assert reload(order).status == S.TERMINATED
        [record] = records_of(order)
        assert record.decision == Decision.TERMINATE and record.is_system
    with scopes_disabled():
        assert Notification.objects.count() == 30
    assert services.terminate_overdue_orders() == {"requisitions": 0, "purchase_requests": 0, "packages_released": 0}


@pytest.fixture
def overdue_lab_review(chem):
    """A student's requisition awaiting the supervising teacher (t_alice), its last review six days ago."""
    return make_requisition(chem, status=S.LAB_REVIEW, last_reviewed_at=now() - LONG_AGO)


def test_review_first_then_the_sweep_leaves_the_order(chem, overdue_lab_review, monkeypatch):
    """The teacher holds the row (deciding) when the sweep runs: the sweep skips it; the approval commits and
    restarts the clock, so the next run leaves it too."""
    order = overdue_lab_review
    reviewing, go_on = threading.Event(), threading.Event()

    def hold(_order):  # runs inside order_review, with the row locked
        reviewing.set()
        assert go_on.wait(30)
        return None

    monkeypatch.setitem(tiers.REVIEW_CHECKS, Requisition, [hold])
    teacher = chem.uni.t_alice.pk
    result: dict = {}

    def review():
        try:
            result["order"] = tiers.order_review(actor=actor_of(teacher), model=Requisition, pk=order.pk, approve=True)
        except BaseException as exc:
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=review)
    thread.start()
    assert reviewing.wait(30)
    swept = services.terminate_overdue_orders()
    go_on.set()
    thread.join(30)
    assert "error" not in result, result.get("error")

    assert swept["requisitions"] == 0
    order = reload(order)
    assert order.status == S.COLLEGE_REVIEW
    assert services.terminate_overdue_orders()["requisitions"] == 0
    assert reload(order).status == S.COLLEGE_REVIEW
    assert [r.decision for r in records_of(order)] == [Decision.APPROVE]


def test_sweep_first_then_the_review_is_refused(chem, overdue_lab_review, monkeypatch):
    """The sweep holds the row when the teacher's decision arrives: the teacher waits for the lock, then finds
    the order terminated and is told so (TransitionRefused); the record holds the termination only."""
    order = overdue_lab_review
    sweeping = threading.Event()
    real_rule = deadlines.overdue_reason
    waited: dict = {}

    def slow_rule(row, moment):  # runs inside the sweep, with the row locked
        sweeping.set()
        waited["reviewer_blocked"] = wait_for_lock_waiter(timeout=15)
        return real_rule(row, moment)

    monkeypatch.setattr(deadlines, "overdue_reason", slow_rule)
    monkeypatch.setitem(tiers.REVIEW_CHECKS, Requisition, [])
    teacher = chem.uni.t_alice.pk
    result: dict = {}

    def review():
        try:
            assert sweeping.wait(30)
            tiers.order_review(actor=actor_of(teacher), model=Requisition, pk=order.pk, approve=True)
        except TransitionRefused as exc:
            result["refused"] = exc
        except BaseException as exc:
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=review)
    thread.start()
    swept = services.terminate_overdue_orders()
    thread.join(30)
    assert not thread.is_alive()

    assert waited["reviewer_blocked"], f"the reviewer never reached the row lock: {result!r}"
    assert "error" not in result, result.get("error")
    assert swept["requisitions"] == 1
    order = reload(order)
    assert order.status == S.TERMINATED
    assert order.get_status_display() in result["refused"].message
    [record] = records_of(order)
    assert record.decision == Decision.TERMINATE and record.is_system


def test_sweep_and_review_released_together_end_consistently(chem, overdue_lab_review, monkeypatch):
    """No hooks: whoever wins, the order and its record agree, and exactly one of the two took effect."""
    order = overdue_lab_review
    monkeypatch.setitem(tiers.REVIEW_CHECKS, Requisition, [])
    teacher = chem.uni.t_alice.pk
    outcome = run_together(
        [
            lambda: services.terminate_overdue_orders(),
            lambda: tiers.order_review(actor=actor_of(teacher), model=Requisition, pk=order.pk, approve=True),
        ]
    )
    order = reload(order)
    decisions = [r.decision for r in records_of(order)]
    if order.status == S.TERMINATED:
        assert decisions == [Decision.TERMINATE] and len(outcome.refusals) == 1
    else:
        assert order.status == S.COLLEGE_REVIEW and decisions == [Decision.APPROVE] and not outcome.refusals
