"""Auto-termination (订单终止, seed 000 §3.3.2): the rules at their boundaries, the system's record, a second run,
released packages, the submitter's notification, the Celery task and its beat schedule.

Rules (chemicals.deadlines): a requisition awaiting the lab or the college, or rejected, more than 5 days after
its last review; a requisition stocked and unpaid more than 5 days after stocking; a purchase request not at the
office more than 2 days after its round's deadline. "More than": at exactly 5 (2) days it is still valid.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from approvals.models import Decision, Node, Notification, OperationLog
from chemicals import deadlines, services
from chemicals.models import (
    OrderStatus,
    Package,
    PaymentStatus,
    PurchaseRequest,
    PurchaseRound,
    Requisition,
    RequisitionLine,
)
from safety.tenancy import scopes_disabled

from .chem_termination_helpers import (
    make_purchase_request,
    make_requisition,
    make_round,
    make_stocked_requisition,
    records_of,
    reload,
)
from .chem_world import build_chem, make_package

S = OrderStatus
SH = ZoneInfo("Asia/Shanghai")
# Seed 000's record: last review 2022-11-18 10:53:45, terminated by the system at 2022-11-24 00:00:01.
T = datetime(2022, 11, 18, 10, 53, 45, tzinfo=SH)

JUST_BEFORE_5 = timedelta(days=4, hours=23, minutes=59)
EXACTLY_5 = timedelta(days=5)
JUST_AFTER_5 = timedelta(days=5, seconds=1)
FIVE_DAY_BOUNDARIES = [
    pytest.param(JUST_BEFORE_5, False, id="4d23h59m-kept"),
    pytest.param(EXACTLY_5, False, id="5d-kept"),
    pytest.param(JUST_AFTER_5, True, id="5d+1s-terminated"),
]
TWO_DAY_BOUNDARIES = [
    pytest.param(timedelta(days=1, hours=23, minutes=59), False, id="1d23h59m-kept"),
    pytest.param(timedelta(days=2), False, id="2d-kept"),
    pytest.param(timedelta(days=2, seconds=1), True, id="2d+1s-terminated"),
]


@pytest.fixture
def chem(world):
    return build_chem(world)


def sweep_at(moment: datetime, **kwargs) -> dict[str, int]:
    with time_machine.travel(moment, tick=False):
        return services.terminate_overdue_orders(**kwargs)


# ---- the pure rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.LAB_REVIEW, S.COLLEGE_REVIEW, S.REJECTED])
@pytest.mark.parametrize(("after", "overdue"), FIVE_DAY_BOUNDARIES)
def test_rule_requisition_not_at_office(status, after, overdue):
    order = Requisition(status=status, last_reviewed_at=T, submitted_at=T - timedelta(days=3), created_at=T)
    reason = deadlines.requisition_overdue(order, T + after)
    assert (reason is not None) is overdue


@pytest.mark.parametrize(("after", "overdue"), FIVE_DAY_BOUNDARIES)
def test_rule_requisition_stocked_unpaid(after, overdue):
    order = Requisition(
        status=S.STOCKED, payment_status=PaymentStatus.UNPAID, stocked_at=T, last_reviewed_at=T - timedelta(days=9)
    )
    assert (deadlines.requisition_overdue(order, T + after) is not None) is overdue


@pytest.mark.parametrize(
    ("status", "payment"),
    [
        (S.DRAFT, PaymentStatus.NOT_REQUIRED),
        (S.OFFICE_REVIEW, PaymentStatus.NOT_REQUIRED),
        (S.APPROVED, PaymentStatus.NOT_REQUIRED),
        (S.STOCKED, PaymentStatus.AWAITING_CONFIRMATION),
        (S.STOCKED, PaymentStatus.PAID),
        (S.COMPLETED, PaymentStatus.PAID),
        (S.WITHDRAWN, PaymentStatus.NOT_REQUIRED),
        (S.TERMINATED, PaymentStatus.NOT_REQUIRED),
    ],
)
def test_rule_requisition_never_for_other_states(status, payment):
    order = Requisition(status=status, payment_status=payment, last_reviewed_at=T, stocked_at=T, created_at=T)
    assert deadlines.requisition_overdue(order, T + timedelta(days=60)) is None


def test_rule_requisition_clock_falls_back_to_submission_then_creation():
    submitted = Requisition(status=S.LAB_REVIEW, submitted_at=T, created_at=T - timedelta(days=30))
    assert deadlines.requisition_overdue(submitted, T + JUST_BEFORE_5) is None
    assert deadlines.requisition_overdue(submitted, T + JUST_AFTER_5) is not None
    created = Requisition(status=S.REJECTED, created_at=T)
    assert deadlines.requisition_overdue(created, T + JUST_BEFORE_5) is None
    assert deadlines.requisition_overdue(created, T + JUST_AFTER_5) is not None


@pytest.mark.parametrize("status", [S.DRAFT, S.LAB_REVIEW, S.COLLEGE_REVIEW, S.REJECTED])
@pytest.mark.parametrize(("after", "overdue"), TWO_DAY_BOUNDARIES)
def test_rule_purchase_request_not_at_office(status, after, overdue):
    order = PurchaseRequest(status=status, round=PurchaseRound(deadline=T), created_at=T - timedelta(days=9))
    assert (deadlines.purchase_request_overdue(order, T + after) is not None) is overdue


@pytest.mark.parametrize("status", [S.OFFICE_REVIEW, S.APPROVED, S.STOCKED, S.COMPLETED, S.WITHDRAWN, S.TERMINATED])
def test_rule_purchase_request_never_once_at_office_or_closed(status):
    order = PurchaseRequest(status=status, round=PurchaseRound(deadline=T), created_at=T - timedelta(days=9))
    assert deadlines.purchase_request_overdue(order, T + timedelta(days=60)) is None


def test_reasons_name_the_last_review_time_and_the_validity():
    with translation.override("en"):
        order = Requisition(status=S.COLLEGE_REVIEW, last_reviewed_at=T)
        assert deadlines.requisition_overdue(order, T + JUST_AFTER_5) == (
            "Terminated by the system: not reviewed in time or not paid after stocking. "
            "Last review: 2022-11-18 10:53:45; reviews are valid for 5 days."
        )
        request = PurchaseRequest(
            status=S.LAB_REVIEW,
            round=PurchaseRound(deadline=datetime(2022, 12, 1, 18, 0, tzinfo=SH)),
            last_reviewed_at=T,
        )
        assert deadlines.purchase_request_overdue(request, datetime(2022, 12, 4, tzinfo=SH)) == (
            "Terminated by the system: the purchase request did not reach the lab-safety office within 2 days of "
            "the round's deadline (2022-12-01 18:00:00). Last review: 2022-11-18 10:53:45."
        )


# ---- the sweep at the boundaries ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.LAB_REVIEW, S.COLLEGE_REVIEW, S.REJECTED])
@pytest.mark.parametrize(("after", "terminated"), FIVE_DAY_BOUNDARIES)
def test_sweep_requisition_awaiting_review(chem, status, after, terminated):
    order = make_requisition(
        chem, status=status, last_reviewed_at=T, submitted_at=T - timedelta(days=1), created_at=T - timedelta(days=2)
    )
    result = sweep_at(T + after)
    assert reload(order).status == (S.TERMINATED if terminated else status)
    assert result["requisitions"] == int(terminated)
    assert len(records_of(order)) == int(terminated)


@pytest.mark.parametrize(("after", "terminated"), FIVE_DAY_BOUNDARIES)
def test_sweep_requisition_stocked_unpaid(chem, after, terminated):
    order = make_stocked_requisition(chem, stocked_at=T, last_reviewed_at=T - timedelta(days=20))
    result = sweep_at(T + after)
    assert reload(order).status == (S.TERMINATED if terminated else S.STOCKED)
    assert result["requisitions"] == int(terminated)


@pytest.mark.parametrize(("after", "terminated"), FIVE_DAY_BOUNDARIES)
def test_sweep_requisition_clock_from_submission_when_never_reviewed(chem, after, terminated):
    order = make_requisition(chem, status=S.LAB_REVIEW, submitted_at=T, created_at=T - timedelta(days=30))
    sweep_at(T + after)
    assert reload(order).status == (S.TERMINATED if terminated else S.LAB_REVIEW)


@pytest.mark.parametrize(
    ("status", "payment"),
    [
        (S.DRAFT, PaymentStatus.NOT_REQUIRED),
        (S.OFFICE_REVIEW, PaymentStatus.NOT_REQUIRED),
        (S.APPROVED, PaymentStatus.NOT_REQUIRED),
        (S.STOCKED, PaymentStatus.AWAITING_CONFIRMATION),
        (S.STOCKED, PaymentStatus.PAID),
        (S.COMPLETED, PaymentStatus.PAID),
        (S.WITHDRAWN, PaymentStatus.NOT_REQUIRED),
    ],
)
def test_sweep_leaves_requisitions_at_the_office_or_paid(chem, status, payment):
    order = make_requisition(
        chem, status=status, payment_status=payment, last_reviewed_at=T, stocked_at=T, created_at=T
    )
    assert sweep_at(T + timedelta(days=60))["requisitions"] == 0
    assert reload(order).status == status and records_of(order) == []


@pytest.mark.parametrize("status", [S.DRAFT, S.LAB_REVIEW, S.COLLEGE_REVIEW, S.REJECTED])
@pytest.mark.parametrize(("after", "terminated"), TWO_DAY_BOUNDARIES)
def test_sweep_purchase_request_after_round_deadline(chem, status, after, terminated):
    round_ = make_round(chem, deadline=T)
    # Reviewed just before the deadline: the purchase rule runs from the round's deadline, not the review.
    order = make_purchase_request(chem, round_, status=status, last_reviewed_at=T - timedelta(hours=1))
    result = sweep_at(T + after)
    assert reload(order).status == (S.TERMINATED if terminated else status)
    assert result["purchase_requests"] == int(terminated)


@pytest.mark.parametrize("status", [S.OFFICE_REVIEW, S.APPROVED, S.STOCKED, S.COMPLETED, S.WITHDRAWN])
def test_sweep_leaves_purchase_requests_at_the_office(chem, status):
    order = make_purchase_request(
        chem, make_round(chem, deadline=T), status=status, payment_status=PaymentStatus.UNPAID, stocked_at=T
    )
    assert sweep_at(T + timedelta(days=60)) == {"requisitions": 0, "purchase_requests": 0, "packages_released": 0}
    assert reload(order).status == status


def test_sweep_of_an_open_round_leaves_its_requests(chem):
    order = make_purchase_request(chem, make_round(chem, deadline=T + timedelta(days=10)), status=S.DRAFT)
    sweep_at(T + timedelta(days=11))
    assert reload(order).status == S.DRAFT


# ---- the record, the log, the notification -----------------------------------------------------------


def test_record_is_a_system_decision_at_the_office_as_in_seed_000(chem):
    order = make_requisition(chem, status=S.COLLEGE_REVIEW, last_reviewed_at=T, submitted_at=T - timedelta(hours=2))
    swept = datetime(2022, 11, 24, 0, 1, 0, tzinfo=SH)
    with translation.override("en"):
        sweep_at(swept)

    order = reload(order)
    assert order.status == S.TERMINATED and order.closed_at == swept
    [record] = records_of(order)
    assert record.is_system and record.reviewer_id is None and record.reviewer_name == ""
    assert (record.node, record.node_name, record.decision) == (
        Node.LAB_SAFETY_OFFICE,
        "Lab-safety office",
        Decision.TERMINATE,
    )
    assert (record.from_state, record.to_state) == (S.COLLEGE_REVIEW, S.TERMINATED)
    assert record.created_at == swept
    assert record.reason == (
        "Terminated by the system: not reviewed in time or not paid after stocking. "
        "Last review: 2022-11-18 10:53:45; reviews are valid for 5 days."
    )
    with scopes_disabled():
        [log] = OperationLog.objects.filter(object_id=str(order.pk), action=OperationLog.Action.TRANSITION)
        [notice] = Notification.objects.filter(recipient=chem.uni.s_active.user)
    assert (log.username, log.user_id, log.enterprise_id) == ("system", None, chem.uni.university.pk)
    assert log.detail.startswith("college_review → terminated")
    assert order.number in notice.title and "terminated" in notice.title
    assert notice.body == record.reason


def test_record_of_a_purchase_request_names_the_round_deadline(chem):
    deadline = datetime(2022, 12, 1, 18, 0, tzinfo=SH)
    order = make_purchase_request(chem, make_round(chem, deadline=deadline), status=S.REJECTED, last_reviewed_at=T)
    with translation.override("en"):
        sweep_at(deadline + timedelta(days=2, minutes=10))
    [record] = records_of(reload(order))
    assert record.is_system and record.node == Node.LAB_SAFETY_OFFICE and record.decision == Decision.TERMINATE
    assert "2022-12-01 18:00:00" in record.reason and "Last review: 2022-11-18 10:53:45" in record.reason
    with scopes_disabled():
        assert Notification.objects.filter(recipient=order.submitter, body=record.reason).count() == 1


def test_the_submitter_is_told_not_the_reviewers(chem):
    order = make_requisition(chem, status=S.LAB_REVIEW, last_reviewed_at=T, submitter=chem.uni.t_bob.user)
    sweep_at(T + JUST_AFTER_5)
    with scopes_disabled():
        assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["t_bob"]
    assert reload(order).status == S.TERMINATED


# ---- idempotence, batches ----------------------------------------------------------------------------


def test_second_run_terminates_nothing_more(chem):
    orders = [make_requisition(chem, status=s, last_reviewed_at=T) for s in (S.LAB_REVIEW, S.REJECTED)]
    orders.append(make_stocked_requisition(chem, stocked_at=T))
    orders.append(make_purchase_request(chem, make_round(chem, deadline=T), status=S.DRAFT))
    kept = make_requisition(chem, status=S.LAB_REVIEW, last_reviewed_at=T + timedelta(days=4))

    first = sweep_at(T + timedelta(days=6))
    assert (first["requisitions"], first["purchase_requests"]) == (3, 1)
    with scopes_disabled():
        counts = (Notification.objects.count(), OperationLog.objects.count())
    second = sweep_at(T + timedelta(days=6, minutes=5))
    assert second == {"requisitions": 0, "purchase_requests": 0, "packages_released": 0}
    assert all(len(records_of(o)) == 1 for o in orders)
    with scopes_disabled():
        assert (Notification.objects.count(), OperationLog.objects.count()) == counts
    assert reload(kept).status == S.LAB_REVIEW


def test_batches_walk_every_candidate(chem):
    orders = [make_requisition(chem, status=S.LAB_REVIEW, last_reviewed_at=T) for _ in range(7)]
    result = sweep_at(T + JUST_AFTER_5, batch_size=2)
    assert result["requisitions"] == 7
    assert {reload(o).status for o in orders} == {S.TERMINATED}


def test_explicit_now_is_the_clock(chem):
    order = make_requisition(chem, status=S.LAB_REVIEW, last_reviewed_at=T)
    assert services.terminate_overdue_orders(now=T + JUST_BEFORE_5)["requisitions"] == 0
    assert services.terminate_overdue_orders(now=T + JUST_AFTER_5)["requisitions"] == 1
    assert reload(order).status == S.TERMINATED


# ---- reserved packages go back ------------------------------------------------------------------------


def _reserve(chem, order: Requisition, store, n: int, owner_lab=None) -> list[Package]:
    with scopes_disabled():
        line = RequisitionLine.objects.filter(requisition=order).first()
    packages = [
        make_package(store, chem.ethanol, "500", status=Package.Status.RESERVED, owner_lab=owner_lab) for _ in range(n)
    ]
    with scopes_disabled():
        Package.objects.filter(pk__in=[p.pk for p in packages]).update(requisition_line=line)
    return packages


def test_stocked_requisition_releases_its_reserved_packages(chem):
    order = make_stocked_requisition(chem, stocked_at=T)
    reserved = _reserve(chem, order, chem.virtual_store, 2, owner_lab=chem.uni.organic)
    other = make_stocked_requisition(chem, stocked_at=T + timedelta(days=3))
    others = _reserve(chem, other, chem.virtual_store, 1, owner_lab=chem.uni.organic)

    result = sweep_at(T + JUST_AFTER_5)
    assert (result["requisitions"], result["packages_released"]) == (1, 2)
    for p in map(reload, reserved):
        assert (p.status, p.owner_lab_id, p.requisition_line_id, p.store_id) == (
            Package.Status.IN_STOCK,
            None,
            None,
            chem.virtual_store.pk,
        )
    [still] = map(reload, others)
    assert still.status == Package.Status.RESERVED and still.owner_lab_id == chem.uni.organic.pk


def test_lab_store_packages_stay_the_labs_when_released(chem):
    order = make_requisition(chem, status=S.LAB_REVIEW, last_reviewed_at=T, source=Requisition.Source.LAB)
    [package] = _reserve(chem, order, chem.organic_store, 1)
    assert sweep_at(T + JUST_AFTER_5)["packages_released"] == 1
    package = reload(package)
    assert (package.status, package.owner_lab_id, package.requisition_line_id) == (
        Package.Status.IN_STOCK,
        chem.uni.organic.pk,
        None,
    )


def test_issued_packages_are_not_touched(chem):
    order = make_stocked_requisition(chem, stocked_at=T)
    [package] = _reserve(chem, order, chem.virtual_store, 1, owner_lab=chem.uni.organic)
    with scopes_disabled():
        Package.objects.filter(pk=package.pk).update(status=Package.Status.ISSUED, remaining=Decimal("400"))
    assert sweep_at(T + JUST_AFTER_5) == {"requisitions": 1, "purchase_requests": 0, "packages_released": 0}
    assert reload(package).status == Package.Status.ISSUED


# ---- Celery ----------------------------------------------------------------------------------------------


def test_task_runs_the_sweep(chem):
    from chemicals import tasks

    order = make_requisition(chem, status=S.LAB_REVIEW, last_reviewed_at=T)
    assert tasks.terminate_overdue_orders.name == "chemicals.tasks.terminate_overdue_orders"
    with time_machine.travel(T + JUST_AFTER_5, tick=False):
        result = tasks.terminate_overdue_orders.apply().get()
    assert result == {"requisitions": 1, "purchase_requests": 0, "packages_released": 0}
    assert reload(order).status == S.TERMINATED


def test_beat_runs_it_daily_just_after_midnight_shanghai():
    entry = settings.CELERY_BEAT_SCHEDULE["chemicals-terminate-overdue-orders"]
    assert entry["task"] == "chemicals.tasks.terminate_overdue_orders"
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute, schedule.day_of_week) == ({0}, {1}, set(range(7)))
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE == "Asia/Shanghai"
