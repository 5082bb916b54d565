from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from safety.tenancy import scopes_disabled

from .models import Notification, OperationLog, ReviewRecord

if TYPE_CHECKING:
    from django.db import models

    from safety.actors import Actor


def review_records_for(subject: models.Model, *, scoped: bool = True) -> list[ReviewRecord]:
    """The review record of one subject, oldest first.

    ``scoped=False`` only where the caller has already established the actor may see the subject by other
    means (an applicant before its tenant is active).
    """

    def fetch() -> list[ReviewRecord]:
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
            ).select_related("reviewer")
        )

    if scoped:
        return fetch()
    with scopes_disabled():
        return fetch()


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def operation_log_for(actor: Actor) -> QuerySet[OperationLog]:
    """An enterprise admin reads its tenant's log; a government user its jurisdiction's and its bodies'."""
    from enterprises.models import Enterprise, Membership

    qs = OperationLog.objects.select_related("enterprise", "body")
    if actor.is_platform_admin:
        return qs
    if actor.enterprise is not None and actor.has_role(Membership.Role.ENTERPRISE_ADMIN):
        return qs.filter(enterprise_id=actor.enterprise.pk)
    body = actor.body
    if body is not None and actor.membership.is_active:
        return qs.filter(
            Q(enterprise__in=Enterprise.unscoped.in_jurisdiction(body).values("pk"))
            | Q(body__path__startswith=body.path)
        )
    return qs.none()
