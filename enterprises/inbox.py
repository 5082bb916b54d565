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
from django.utils import timezone as _timezone  # noqa: E402

from . import expiry as _expiry  # noqa: E402
from . import selectors as _selectors  # noqa: E402
from .models import Licence, SuspensionApplication  # noqa: E402


def _expiry_subtitle(end, today) -> str:
    left = _expiry.days_left(end, today)
    if left < 0:
        return _("expired %(date)s (%(n)d days ago)") % {"date": end.isoformat(), "n": -left}
    return _("valid until %(date)s (%(n)d days left)") % {"date": end.isoformat(), "n": left}


def _expiring_licences(actor):
    if actor.enterprise is None or not actor.can("licences.manage"):
        return None
    return _selectors.expiring_licences_of_enterprise(actor, _timezone.localdate(), _expiry.reminder_window())


def _licence_item(licence: Licence) -> InboxItem:
    return InboxItem(
        title=str(licence),
        subtitle=_expiry_subtitle(licence.valid_until, _timezone.localdate()),
        url=reverse("enterprises:licence_edit", args=[licence.pk]),
    )


register(
    InboxProvider(
        key="licences_expiring",
        title=_("Licences expiring or expired"),
        queryset=_expiring_licences,
        item=_licence_item,
        list_url=lambda actor: reverse("enterprises:licences"),
    )
)


def _expiring_certificates(actor):
    # Certificates belong to the staff screens: the people who manage staff, and those told by the reminders.
    if actor.enterprise is None or not (actor.can("staff.manage") or actor.can("licences.manage")):
        return None
    return _selectors.expiring_certificates_of_enterprise(actor, _timezone.localdate(), _expiry.reminder_window())


def _staff_list_url() -> str:
    from django.urls import NoReverseMatch

    try:
        return reverse("enterprises:staff_list")  # the staff screens (area "organisation")
    except NoReverseMatch:
        return ""


def _certificate_item(certificate) -> InboxItem:
    from .services import certificate_url

    return InboxItem(
        title=f"{certificate.staff.name} · {certificate}",
        subtitle=_expiry_subtitle(certificate.expires_on, _timezone.localdate()),
        url=certificate_url(certificate),
    )


register(
    InboxProvider(
        key="certificates_expiring",
        title=_("Staff certificates expiring or expired"),
        queryset=_expiring_certificates,
        item=_certificate_item,
        list_url=lambda actor: _staff_list_url(),
    )
)


def _pending_suspensions(actor):
    if actor.body is None or not actor.has_role(*REVIEW_ROLES):
        return None
    # The owning body's own queue, like registrations; bodies above see them in their lists.
    return (
        SuspensionApplication.objects.filter(
            status=SuspensionApplication.Status.PENDING, enterprise__owning_body=actor.body
        )
        .select_related("enterprise")
        .order_by("submitted_at", "pk")
    )


register(
    InboxProvider(
        key="suspension_applications",
        title=_("Suspension and resumption applications awaiting review"),
        queryset=_pending_suspensions,
        item=lambda a: InboxItem(
            title=a.enterprise.name,
            subtitle=a.get_kind_display(),
            since=a.submitted_at,
            url=reverse("enterprises:gov_suspension_detail", args=[a.pk]),
        ),
        list_url=lambda actor: reverse("enterprises:gov_suspensions"),
    )
)


# ==== area: university ====
from .selectors import pending_activations_for  # noqa: E402

register(
    InboxProvider(
        key="student_activations",
        title=_("Students awaiting your activation"),
        # Submitted students who chose me as supervising teacher (None for anyone but a university's teacher).
        queryset=pending_activations_for,
        item=lambda m: InboxItem(
            title=m.user.display_name,
            subtitle=m.department.name if m.department_id else "",
            since=m.profile_completed_at,
            url=reverse("enterprises:student_activation", args=[m.pk]),
        ),
        list_url=lambda actor: reverse("enterprises:student_activations") + "?status=pending",
    )
)
