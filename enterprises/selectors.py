"""Scoped reads for the enterprise registry. Views read through these, never through managers directly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import Enterprise, Membership, Region, SupervisoryBody

if TYPE_CHECKING:
    from safety.actors import Actor

    from .models import User

REVIEW_ROLES = (Membership.Role.REVIEWER, Membership.Role.BODY_ADMIN)


def memberships_for_user(user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user)
        .select_related("enterprise", "body", "body__region")
        .order_by("created_at", "pk")
    )


def registrations_for_actor(actor: Actor) -> QuerySet[Enterprise]:
    """Registrations a government user may see: its jurisdiction (the active scope). Others: none."""
    if actor.body is None:
        return Enterprise.objects.none()
    return Enterprise.objects.select_related("owning_body", "region")


def registration_for_applicant(user: User) -> Enterprise | None:
    """The enterprise a user applied to register, whatever its status (the applicant has no tenant scope
    until approval, so this reads across tenants, filtered by the applicant's own membership)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Enterprise.unscoped.filter(memberships__user=user, memberships__role=Membership.Role.ENTERPRISE_ADMIN)
        .select_related("owning_body", "region")
        .order_by("-pk")
        .first()
    )


def applicant_registration_queryset(user: User) -> QuerySet[Enterprise]:
    return Enterprise.unscoped.filter(memberships__user=user, memberships__role=Membership.Role.ENTERPRISE_ADMIN)


def can_review_registration(actor: Actor, enterprise: Enterprise) -> bool:
    """Reviewers and admins of the owning body or of a body above it (township, county or city may review)."""
    body = actor.body
    if body is None or not actor.has_role(*REVIEW_ROLES):
        return False
    owning = enterprise.owning_body
    return owning.pk == body.pk or owning.path.startswith(body.path)


def registration_reviewers(enterprise: Enterprise) -> list[User]:
    """The people told that a registration awaits review: the owning body's reviewers and admins."""
    return [
        m.user
        for m in Membership.objects.filter(
            body_id=enterprise.owning_body_id, role__in=REVIEW_ROLES, status=Membership.Status.ACTIVE
        ).select_related("user")
    ]


def enterprise_admins(enterprise: Enterprise) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(enterprise=enterprise, role=Membership.Role.ENTERPRISE_ADMIN).select_related(
            "user"
        )
    ]


def bodies_for_registration() -> QuerySet[SupervisoryBody]:
    return SupervisoryBody.objects.filter(accepts_registrations=True).select_related("region").order_by("path")


def regions_for_choice() -> QuerySet[Region]:
    return Region.objects.order_by("path")


def bodies_under(body: SupervisoryBody) -> QuerySet[SupervisoryBody]:
    return SupervisoryBody.objects.filter(path__startswith=body.path).order_by("path")


def regions_under(region: Region) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=region.path).order_by("path")


# ==== area: profile ====

# ==== area: organisation ====

# ==== area: licences ====

# ==== area: university ====
