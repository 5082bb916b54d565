"""Auto-termination rules (订单终止, seed 000 §3.3.2): pure functions, no database access.

To keep abandoned orders from holding the centre's stock or the purchase round's progress, the system
terminates (daily, just after midnight; chemicals.services.terminate_overdue_orders):

- a requisition not yet submitted to the lab-safety office (awaiting the lab or the college, or rejected and
  not resubmitted) more than ``REQUISITION_REVIEW_VALIDITY`` after its last review (or submission);
- a requisition stocked by the centre and still unpaid (payment "No") more than ``REQUISITION_PAYMENT_PERIOD``
  after stocking (awaiting the centre's confirmation of a payment does not count as unpaid);
- a purchase request not yet at the office (draft, awaiting the lab or the college, or rejected) more than
  ``PURCHASE_AFTER_DEADLINE`` after its round's deadline.

"More than" is strict: at exactly five days the order is still valid (审核有效期:5天内). Each rule returns the
reason written to the review record (with the last review time, as in seed 000's record), or None.
The sweep selects candidates with ``candidates_q`` (the same rules as a database filter) and re-checks each
locked row with ``overdue_reason``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import tiers
from .models import OrderStatus, PaymentStatus, PurchaseRequest, Requisition, ThreeTierOrder

S = OrderStatus

# A review is valid for five days (审核有效期:5天内): an order not moved on by then is terminated.
REQUISITION_REVIEW_VALIDITY = timedelta(days=5)
# A stocked requisition must be paid within five days of stocking (备货后长时间未付款).
REQUISITION_PAYMENT_PERIOD = timedelta(days=5)
# A purchase request must reach the office within two days of its round's deadline (申购截止2天后).
PURCHASE_AFTER_DEADLINE = timedelta(days=2)

# Requisition states "not yet submitted to the office": the lab's and the college's steps, and rejected ones
# waiting to be fixed. A draft was never submitted: nobody reviewed it, so no review has expired.
REQUISITION_BEFORE_OFFICE = (S.LAB_REVIEW, S.COLLEGE_REVIEW, S.REJECTED)
# Purchase request states "not at the office": drafts included (the round is over, they can no longer go in).
PURCHASE_BEFORE_OFFICE = (S.DRAFT, S.LAB_REVIEW, S.COLLEGE_REVIEW, S.REJECTED)


def show(moment: datetime | None) -> str:
    """Local time as in seed 000's record: 2022-11-18 10:53:45."""
    if moment is None:
        return "-"
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i:s")


def requisition_overdue(order: Requisition, now: datetime) -> str | None:
    """The reason to terminate this requisition now, or None."""
    last = tiers.last_review_time(order)
    if order.status in REQUISITION_BEFORE_OFFICE:
        if now - last > REQUISITION_REVIEW_VALIDITY:
            return _reason_requisition(last, REQUISITION_REVIEW_VALIDITY)
        return None
    if order.status == S.STOCKED and order.payment_status == PaymentStatus.UNPAID and order.stocked_at is not None:
        if now - order.stocked_at > REQUISITION_PAYMENT_PERIOD:
            return _reason_requisition(last, REQUISITION_PAYMENT_PERIOD)
    return None


def purchase_request_overdue(order: PurchaseRequest, now: datetime) -> str | None:
    """The reason to terminate this purchase request now, or None."""
    if order.status not in PURCHASE_BEFORE_OFFICE:
        return None
    deadline = order.round.deadline
    if now - deadline > PURCHASE_AFTER_DEADLINE:
        return _(
            "Terminated by the system: the purchase request did not reach the lab-safety office within "
            "%(days)s days of the round's deadline (%(deadline)s). Last review: %(when)s."
        ) % {
            "days": PURCHASE_AFTER_DEADLINE.days,
            "deadline": show(deadline),
            "when": show(tiers.last_review_time(order)),
        }
    return None


def overdue_reason(order: ThreeTierOrder, now: datetime) -> str | None:
    if isinstance(order, Requisition):
        return requisition_overdue(order, now)
    if isinstance(order, PurchaseRequest):
        return purchase_request_overdue(order, now)
    raise TypeError(f"no termination rule for {type(order).__name__}")


def _reason_requisition(last: datetime, validity: timedelta) -> str:
    # Seed 000: 因订单长时间未完成审核或备货后长时间未付款,系统自动驳回该申领。,上次审核时间为:…,审核有效期:5天内
    return _(
        "Terminated by the system: not reviewed in time or not paid after stocking. Last review: %(when)s; "
        "reviews are valid for %(days)s days."
    ) % {"when": show(last), "days": validity.days}


def candidates_q(model: type[ThreeTierOrder], now: datetime) -> Q:
    """The rules above as a filter (each locked row is re-checked with overdue_reason all the same)."""
    if model is Requisition:
        expired = now - REQUISITION_REVIEW_VALIDITY
        # tiers.last_review_time: the last review, else the submission, else the creation.
        last_review_before = (
            Q(last_reviewed_at__lt=expired)
            | Q(last_reviewed_at__isnull=True, submitted_at__lt=expired)
            | Q(last_reviewed_at__isnull=True, submitted_at__isnull=True, created_at__lt=expired)
        )
        return (Q(status__in=REQUISITION_BEFORE_OFFICE) & last_review_before) | Q(
            status=S.STOCKED,
            payment_status=PaymentStatus.UNPAID,
            stocked_at__lt=now - REQUISITION_PAYMENT_PERIOD,
        )
    if model is PurchaseRequest:
        return Q(status__in=PURCHASE_BEFORE_OFFICE, round__deadline__lt=now - PURCHASE_AFTER_DEADLINE)
    raise TypeError(f"no termination rule for {model.__name__}")
