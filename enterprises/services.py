"""Every write of the enterprise registry: keyword-only functions that check, lock, change, record."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import audit
from approvals.engine import Notice, perform_transition, record_review
from approvals.models import Decision, Node, OperationLog
from approvals.notify import notify
from safety.tenancy import actor_scope, scope

from . import selectors
from .models import Enterprise, Membership, Region, SupervisoryBody, User

if TYPE_CHECKING:
    from safety.actors import Actor


@dataclass
class RegistrationDetails:
    """What the applicant states about the enterprise (editable again after a rejection)."""

    name: str
    credit_code: str
    owning_body: SupervisoryBody
    region: Region
    industry: str
    contact_name: str
    contact_phone: str
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    is_university: bool = False


@dataclass
class ApplicantAccount:
    username: str
    password: str
    full_name: str
    email: str = ""


# Fields a reviewer may correct at approval (DOMAIN.md: owning body, region, map point, industry).
CORRECTABLE_FIELDS = ("owning_body", "region", "latitude", "longitude", "industry")


def _check_unique(details: RegistrationDetails, exclude_pk: int | None = None) -> None:
    others = Enterprise.unscoped.exclude(pk=exclude_pk) if exclude_pk else Enterprise.unscoped.all()
    errors: dict[str, list[str]] = {}
    if others.filter(name=details.name).exists():
        errors["name"] = [
            _(
                "An enterprise named “%(name)s” is already registered. If it is yours, ask its administrator "
                "for an account instead of registering again."
            )
            % {"name": details.name}
        ]
    if others.filter(credit_code=details.credit_code).exists():
        errors["credit_code"] = [_("This unified social credit code is already registered.")]
    if errors:
        raise ValidationError(errors)


def _check_region_in_jurisdiction(details: RegistrationDetails) -> None:
    body_region = details.owning_body.region
    if not details.region.path.startswith(body_region.path):
        raise ValidationError(
            {
                "region": [
                    _("The region must lie within the owning body's jurisdiction (%(region)s).")
                    % {"region": body_region.name}
                ]
            }
        )


def _apply_details(enterprise: Enterprise, details: RegistrationDetails) -> None:
    for f in fields(details):
        setattr(enterprise, f.name, getattr(details, f.name))
    enterprise.credit_code = enterprise.credit_code.strip().upper()


def _registration_notices(enterprise: Enterprise, resubmitted: bool) -> list[Notice]:
    title = (_("Registration resubmitted: %(name)s") if resubmitted else _("New registration: %(name)s")) % {
        "name": enterprise.name
    }
    return [
        Notice(
            recipients=selectors.registration_reviewers(enterprise),
            title=title,
            body=_("An enterprise registration awaits your review."),
            url=reverse("enterprises:gov_registration_detail", args=[enterprise.pk]),
        )
    ]


def enterprise_register(*, actor: Actor, details: RegistrationDetails, account: ApplicantAccount) -> Enterprise:
    """Self-registration: the enterprise (awaiting review) and its administrator's account, not yet active."""
    details.credit_code = details.credit_code.strip().upper()
    _check_region_in_jurisdiction(details)
    _check_unique(details)
    if User.objects.filter(username__iexact=account.username).exists():
        raise ValidationError({"username": [_("This user name is taken; choose another.")]})
    try:
        with transaction.atomic():
            enterprise = Enterprise(status=Enterprise.Status.PENDING, submitted_at=timezone.now())
            _apply_details(enterprise, details)
            enterprise.full_clean(validate_unique=False, validate_constraints=False)
            enterprise.save()
            with scope(enterprise=[enterprise.pk]):  # the new tenant's own scope, nothing wider
                _register_rest(actor, enterprise, details, account)
    except IntegrityError:
        # Two people registering the same name or code at the same moment: the loser gets the clear message.
        _check_unique(details)
        if User.objects.filter(username__iexact=account.username).exists():
            raise ValidationError({"username": [_("This user name is taken; choose another.")]}) from None
        raise
    return enterprise


def _register_rest(actor: Actor, enterprise: Enterprise, details: RegistrationDetails, account: ApplicantAccount):
    user = User.objects.create_user(
        username=account.username,
        password=account.password,
        full_name=account.full_name,
        email=account.email,
        phone=details.contact_phone,
    )
    Membership.objects.create(
        user=user, enterprise=enterprise, role=Membership.Role.ENTERPRISE_ADMIN, status=Membership.Status.PENDING
    )
    applicant = _applicant_actor(actor, user)
    record_review(
        actor=applicant,
        subject=enterprise,
        node=Node.APPLICANT,
        node_name=enterprise.name,
        decision=Decision.SUBMIT,
        to_state=enterprise.status,
    )
    audit.log_operation(actor=applicant, action=OperationLog.Action.CREATE, obj=enterprise)
    for notice in _registration_notices(enterprise, resubmitted=False):
        notify(recipients=notice.recipients, title=notice.title, body=notice.body, url=notice.url)


def _applicant_actor(actor: Actor, user: User) -> Actor:
    from safety.actors import Actor as ActorClass

    return ActorClass(user=user, ip=actor.ip)


def registration_resubmit(*, actor: Actor, details: RegistrationDetails) -> Enterprise:
    """The applicant fixes a rejected registration and sends it back for review."""
    current = selectors.registration_for_applicant(actor.user)
    if current is None:
        raise PermissionDenied(_("You have no registration to resubmit."))
    details.credit_code = details.credit_code.strip().upper()
    _check_region_in_jurisdiction(details)
    _check_unique(details, exclude_pk=current.pk)

    def apply(enterprise: Enterprise) -> None:
        _apply_details(enterprise, details)
        enterprise.corrected_fields = {}
        enterprise.submitted_at = timezone.now()
        enterprise.full_clean(validate_unique=False, validate_constraints=False)

    return perform_transition(
        actor=actor,
        queryset=selectors.applicant_registration_queryset(actor.user),
        pk=current.pk,
        transition="resubmit",
        node=Node.APPLICANT,
        node_name=details.name,
        decision=Decision.RESUBMIT,
        before_save=apply,
        notices=lambda e: _registration_notices(e, resubmitted=True),
    )


def _registrations_queryset(actor: Actor):
    """The reviewer's registrations, built in the actor's own scope: a service may be called with no scope open
    (Celery, shell, tests), and TenantManager reads the scope when the queryset is built."""
    with actor_scope(actor):
        return selectors.registrations_for_actor(actor)


def _node_for(body: SupervisoryBody) -> str:
    return {
        SupervisoryBody.Kind.TOWNSHIP: Node.TOWNSHIP,
        SupervisoryBody.Kind.PARK: Node.TOWNSHIP,
        SupervisoryBody.Kind.COUNTY: Node.COUNTY,
        SupervisoryBody.Kind.CITY: Node.CITY,
    }.get(body.kind, Node.OWNING_BODY)


def _corrections_to_apply(enterprise: Enterprise, corrections: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changed = {}
    for name, new in corrections.items():
        if name not in CORRECTABLE_FIELDS or new in (None, ""):
            continue
        old = getattr(enterprise, name)
        if old != new:
            changed[name] = (old, new)
    return changed


def _display(value: Any) -> str:
    # Official (Chinese) names, not the reviewer's interface language: the record must read the same for all.
    if value is None:
        return ""
    return value.name if isinstance(value, (Region, SupervisoryBody)) else str(value)


def registration_approve(
    *, actor: Actor, enterprise_id: int, corrections: dict[str, Any] | None = None, reason: str = ""
) -> Enterprise:
    """Approve a registration, applying the reviewer's corrections; the administrator account becomes active."""
    corrections = corrections or {}

    def apply(enterprise: Enterprise) -> None:
        changed = _corrections_to_apply(enterprise, corrections)
        for name, (old, new) in changed.items():
            setattr(enterprise, name, new)
            enterprise.corrected_fields[name] = {"from": _display(old), "to": _display(new)}
        if "region" in changed or "owning_body" in changed:
            # A correction may not move the registration out of what this reviewer supervises.
            if actor.body is not None and not selectors.can_review_registration(actor, enterprise):
                raise ValidationError(
                    {"owning_body": [_("Choose %(body)s or a body it supervises.") % {"body": actor.body.name}]}
                )
            if actor.body is not None and not enterprise.region.path.startswith(actor.body.region.path):
                raise ValidationError(
                    {
                        "region": [
                            _("The region must lie within your jurisdiction (%(region)s).")
                            % {"region": actor.body.region.name}
                        ]
                    }
                )
            if not enterprise.region.path.startswith(enterprise.owning_body.region.path):
                raise ValidationError(
                    {
                        "region": [
                            _("The region must lie within the owning body's jurisdiction (%(region)s).")
                            % {"region": enterprise.owning_body.region.name}
                        ]
                    }
                )
        enterprise.reviewed_at = timezone.now()
        Membership.objects.filter(
            enterprise=enterprise, role=Membership.Role.ENTERPRISE_ADMIN, status=Membership.Status.PENDING
        ).update(status=Membership.Status.ACTIVE)

    def notices(enterprise: Enterprise) -> list[Notice]:
        return [
            Notice(
                recipients=selectors.enterprise_admins(enterprise),
                title=_("Registration approved: %(name)s") % {"name": enterprise.name},
                body=_("Your enterprise registration was approved. You can now use the platform."),
                url=reverse("home"),
            )
        ]

    body = actor.body
    return perform_transition(
        actor=actor,
        queryset=_registrations_queryset(actor),
        pk=enterprise_id,
        transition="approve",
        node=_node_for(body) if body else Node.OWNING_BODY,
        node_name=body.name if body else "",
        decision=Decision.APPROVE,
        reason=reason,
        check=lambda e: selectors.can_review_registration(actor, e),
        before_save=apply,
        notices=notices,
    )


def registration_reject(*, actor: Actor, enterprise_id: int, reason: str) -> Enterprise:
    """Reject with a reason; the applicant is told why, fixes and resubmits."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for rejection: the applicant needs it to fix the form.")]})

    def notices(enterprise: Enterprise) -> list[Notice]:
        return [
            Notice(
                recipients=selectors.enterprise_admins(enterprise),
                title=_("Registration rejected: %(name)s") % {"name": enterprise.name},
                # The message ends the reason with its own full stop: drop the reviewer's, or it shows "。。".
                body=_("Reason: %(reason)s. Please correct the registration and resubmit it.")
                % {"reason": reason.rstrip("。．.!！?？ ")},
                url=reverse("enterprises:registration_status"),
            )
        ]

    def stamp(enterprise: Enterprise) -> None:
        enterprise.reviewed_at = timezone.now()

    body = actor.body
    return perform_transition(
        actor=actor,
        queryset=_registrations_queryset(actor),
        pk=enterprise_id,
        transition="reject",
        transition_kwargs={"reason": reason},
        node=_node_for(body) if body else Node.OWNING_BODY,
        node_name=body.name if body else "",
        decision=Decision.REJECT,
        reason=reason,
        check=lambda e: selectors.can_review_registration(actor, e),
        before_save=stamp,
        notices=notices,
    )


# ==== area: profile ====

# ==== area: organisation ====

# ==== area: licences ====

# ==== area: university ====
