"""What the registry puts in the to-do inbox: registrations awaiting the owning body's review."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from approvals.inbox import InboxItem, InboxProvider, register

from .models import Enterprise
from .selectors import REVIEW_ROLES


def _pending_registrations(actor):
    if actor.body is None or not actor.has_role(*REVIEW_ROLES):
        return None
    # The owning body's own queue; bodies above see these in their lists, not as their to-do.
    return Enterprise.objects.filter(status=Enterprise.Status.PENDING, owning_body=actor.body).order_by("submitted_at")


register(
    InboxProvider(
        key="enterprise_registrations",
        title=_("Enterprise registrations awaiting review"),
        queryset=_pending_registrations,
        item=lambda e: InboxItem(
            title=e.name,
            subtitle=e.get_industry_display(),
            since=e.submitted_at,
            url=reverse("enterprises:gov_registration_detail", args=[e.pk]),
        ),
        list_url=lambda actor: reverse("enterprises:gov_registrations"),
    )
)


# ==== area: profile ====

# ==== area: organisation ====

# ==== area: licences ====

# ==== area: university ====
