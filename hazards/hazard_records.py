"""The review record (审核记录) of a hazard and of its supervised listing, each step named in the reader's language.

A record stores the decision and the states it moved between; the step ("Rectification reported", "Marked
overdue", …) is worked out when shown, so every reader sees it in their own language.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from approvals.models import ReviewRecord
from approvals.selectors import review_records_for

from .models import Hazard, SupervisedListing

H = Hazard.Status
L = SupervisedListing.Status

_TO_OVERDUE = _("Marked overdue: the deadline passed")

STEPS = {
    ("", H.REGISTERED): _("Registered"),
    ("", H.CLOSED): _("Registered, fixed on the spot"),
    (H.REGISTERED, H.REPORTED): _("Rectification reported"),
    (H.RECTIFYING, H.REPORTED): _("Rectification reported again"),
    (H.REPORTED, H.CLOSED): _("Rectification passed review"),
    (H.REPORTED, H.RECTIFYING): _("Rectification failed review"),
    (H.REGISTERED, H.OVERDUE): _TO_OVERDUE,
    (H.REPORTED, H.OVERDUE): _TO_OVERDUE,
    (H.RECTIFYING, H.OVERDUE): _TO_OVERDUE,
    (H.OVERDUE, H.EXTENSION_REQUESTED): _("Extension requested"),
    (H.EXTENSION_REQUESTED, H.RECTIFYING): _("Extension approved"),
    (H.EXTENSION_REQUESTED, H.OVERDUE): _("Extension refused"),
    ("", L.LISTED): _("Listed for supervision"),
    (L.LISTED, L.DELISTING_REQUESTED): _("Delisting applied for"),
    (L.DELISTING_REQUESTED, L.DELISTED): _("Delisted"),
    (L.DELISTING_REQUESTED, L.LISTED): _("Delisting refused"),
}


def step_of(record: ReviewRecord) -> str:
    return str(STEPS.get((record.from_state, record.to_state), record.get_decision_display()))


def records_of(*subjects) -> list[ReviewRecord]:
    """The records of a hazard (and of its listing), oldest first, each with ``step`` set."""
    records = [r for s in subjects if s is not None for r in review_records_for(s)]
    records.sort(key=lambda r: (r.created_at, r.pk))
    for r in records:
        r.step = step_of(r)
    return records
