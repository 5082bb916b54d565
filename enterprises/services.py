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
import secrets  # noqa: E402

from django.contrib.auth import password_validation  # noqa: E402

from approvals.engine import lock_subject  # noqa: E402

from . import sizing  # noqa: E402

# What the enterprise edits itself (一企一档). Name, credit code, owning body, region, industry category and the
# university flag are registration facts: the owning body corrects them at review, the enterprise does not.
PROFILE_FIELDS = (
    "economic_class",
    "employees",
    "revenue",
    "assets",
    "has_major_hazard_source",
    "production_area",
    "products",
    "business_scope",
    "description",
    "legal_representative",
    "legal_representative_phone",
    "principal",
    "principal_phone",
    "contact_name",
    "contact_phone",
    "address",
    "latitude",
    "longitude",
)


def _stored(enterprise: Enterprise, name: str) -> Any:
    # Foreign keys compare by id: no query, and an unsaved-but-equal instance counts as unchanged.
    field = enterprise._meta.get_field(name)
    return getattr(enterprise, field.attname)


def _incoming(enterprise: Enterprise, name: str, value: Any) -> Any:
    field = enterprise._meta.get_field(name)
    return getattr(value, "pk", value) if field.is_relation else value


def enterprise_profile_update(*, actor: Actor, enterprise_id: int, data: dict[str, Any]) -> Enterprise:
    """The enterprise edits its own profile; the size class is recomputed from what is saved.

    ``data`` holds profile fields only (PROFILE_FIELDS); anything else is a programming error, not input.
    """
    unknown = sorted(set(data) - set(PROFILE_FIELDS))
    if unknown:
        raise ValueError(f"not profile fields: {', '.join(unknown)}")
    with actor_scope(actor), transaction.atomic():
        enterprise = lock_subject(selectors.own_enterprise(actor), enterprise_id)  # outsiders: 404
        if not actor.can("profile.edit"):
            raise PermissionDenied(_("You may not edit the enterprise profile."))
        changed = [
            n for n in PROFILE_FIELDS if n in data and _stored(enterprise, n) != _incoming(enterprise, n, data[n])
        ]
        for name in changed:
            setattr(enterprise, name, data[name])
        if {"latitude", "longitude"} & set(changed):
            # The point shown is no longer the reviewer's: drop the "corrected by the reviewer" mark.
            enterprise.corrected_fields = {
                k: v for k, v in enterprise.corrected_fields.items() if k not in ("latitude", "longitude")
            }
        enterprise.size_class = sizing.size_class_for(enterprise) or ""
        enterprise.full_clean(validate_unique=False, validate_constraints=False)
        enterprise.save(update_fields=[*changed, "size_class", "corrected_fields", "updated_at"])
        if changed:
            audit.log_operation(
                actor=actor, action=OperationLog.Action.UPDATE, obj=enterprise, detail="changed: " + ", ".join(changed)
            )
    return enterprise


def _government_enterprise(actor: Actor, enterprise_id: int) -> Enterprise:
    """Lock an enterprise of the actor's jurisdiction (outsiders: 404), then check the power (insiders: 403)."""
    enterprise = lock_subject(selectors.enterprises_for_government(actor), enterprise_id)
    if not selectors.can_manage_enterprise(actor, enterprise):
        raise PermissionDenied(
            _("Only administrators and reviewers of the owning body or a body above it may do this.")
        )
    return enterprise


def enterprise_soft_delete(*, actor: Actor, enterprise_id: int, reason: str) -> Enterprise:
    """Soft delete by the owning body (restorable): the enterprise's users see nothing until it is restored."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for deleting the enterprise.")]})
    with actor_scope(actor), transaction.atomic():
        enterprise = _government_enterprise(actor, enterprise_id)
        if enterprise.deleted_at is not None:
            raise ValidationError(_("This enterprise is already deleted."))
        enterprise.deleted_at = timezone.now()
        enterprise.deleted_reason = reason
        enterprise.save(update_fields=["deleted_at", "deleted_reason", "updated_at"])
        audit.log_operation(actor=actor, action=OperationLog.Action.DELETE, obj=enterprise, detail=reason)
    return enterprise


def enterprise_restore(*, actor: Actor, enterprise_id: int) -> Enterprise:
    """Undo a soft delete; the reason it was deleted stays in the operation log."""
    with actor_scope(actor), transaction.atomic():
        enterprise = _government_enterprise(actor, enterprise_id)
        if enterprise.deleted_at is None:
            raise ValidationError(_("This enterprise is not deleted."))
        enterprise.deleted_at = None
        enterprise.deleted_reason = ""
        enterprise.save(update_fields=["deleted_at", "deleted_reason", "updated_at"])
        audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=enterprise, detail="restored")
    return enterprise


# Unambiguous characters only (no 0/O, 1/l/I): the password is read off a screen and typed or dictated.
_PASSWORD_CLASSES = ("ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "#%+=?@")
TEMPORARY_PASSWORD_LENGTH = 14


def generate_temporary_password(user: User | None = None) -> str:
    """A strong random password with every character class, accepted by the configured validators."""
    alphabet = "".join(_PASSWORD_CLASSES)
    rng = secrets.SystemRandom()
    while True:
        chars = [secrets.choice(c) for c in _PASSWORD_CLASSES]
        chars += [secrets.choice(alphabet) for _i in range(TEMPORARY_PASSWORD_LENGTH - len(chars))]
        rng.shuffle(chars)
        password = "".join(chars)
        try:
            password_validation.validate_password(password, user)
        except ValidationError:  # e.g. too similar to the user name: astronomically rare, draw again
            continue
        return password


def enterprise_admin_password_reset(*, actor: Actor, enterprise_id: int, username: str) -> tuple[User, str]:
    """The owning body sets a temporary password for one of the enterprise's administrators.

    Returns (user, password) for the caller to show once; the password is neither stored in clear nor logged.
    Nothing else changes: the administrator's sessions end with the old password (Django's session hash).
    """
    with actor_scope(actor), transaction.atomic():
        enterprise = _government_enterprise(actor, enterprise_id)
        membership = next(
            (m for m in selectors.enterprise_admin_memberships(enterprise) if m.user.get_username() == username), None
        )
        if membership is None:
            raise ValidationError({"account": [_("Choose one of this enterprise's administrators.")]})
        user = User.objects.select_for_update().get(pk=membership.user_id)
        password = generate_temporary_password(user)
        user.set_password(password)
        user.save(update_fields=["password"])
        _clear_lockout_on_commit(user.get_username())
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.PASSWORD,
            obj=user,
            enterprise_id=enterprise.pk,
            detail=f"temporary password set for {user.get_username()} of {enterprise.name}",
        )
    return user, password


# ==== area: organisation ====

# Departments, positions, roles, user accounts (memberships) and staff with certificates. Each write checks the
# actor's feature once, opens the actor's scope, locks what it changes and leaves an operation-log entry.
import collections.abc as org_abc  # noqa: E402
import dataclasses as org_dataclasses  # noqa: E402
import datetime as org_dt  # noqa: E402

import django.http as org_http  # noqa: E402
import django_fsm as org_fsm  # noqa: E402
from django.contrib.auth import password_validation as org_password_validation  # noqa: E402
from django.core import validators as org_django_validators  # noqa: E402

from approvals import engine as org_engine  # noqa: E402
from safety import features as org_features  # noqa: E402

from . import image_uploads, staff_excel  # noqa: E402
from . import models as org_models  # noqa: E402
from . import organisation as org_rules  # noqa: E402
from . import validators as org_validators  # noqa: E402

# Other areas of this shared file import some of the same names (models, helpers): everything here is reached
# through these module aliases, so no name is bound twice (ruff F811).


def _org_enterprise(actor: Actor, feature: str) -> Enterprise:
    """The actor's own enterprise, if the actor may use ``feature`` there; PermissionDenied otherwise."""
    enterprise = actor.enterprise
    with actor_scope(actor):  # custom roles are tenant rows: read them in the actor's own scope
        # A soft-deleted enterprise's users see nothing (empty scope), and they change nothing either.
        allowed = enterprise is not None and enterprise.deleted_at is None and actor.can(feature)
    if not allowed:
        raise PermissionDenied(
            _("This needs the permission “%(feature)s”.") % {"feature": org_features.FEATURES[feature].label}
        )
    return enterprise


def _org_lock_enterprise(enterprise: Enterprise) -> None:
    """Serialise the checks that span rows (unique ID numbers) within one enterprise: its row is the lock."""
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).exists()


def _org_shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _org_apply(obj: Any, values: dict[str, Any]) -> str:
    """Set the changed values on ``obj``; the operation log's detail: "field: old → new; …"."""
    changes = []
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes.append(f"{name}: {_org_shown(old)} → {_org_shown(new)}")
            setattr(obj, name, new)
    return "; ".join(changes)


def _org_raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


# ---- departments ----


def _org_department_errors(
    enterprise: Enterprise,
    tree: dict[int, org_models.Department],
    *,
    pk: int | None,
    name: str,
    parent_id: int | None,
    level: str,
    kind: str,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    parent = None
    if not name:
        errors["name"] = [_("The name is required.")]
    if parent_id is not None:
        parent = tree.get(parent_id)
        if parent is None:
            errors["parent"] = [_("Choose a parent department of this enterprise.")]
        elif pk is not None and org_rules.creates_cycle({d.pk: d.parent_id for d in tree.values()}, pk, parent_id):
            errors["parent"] = [_("A department cannot be moved under itself or one of its own sub-departments.")]
    if level not in org_models.Department.Level.values:
        errors["level"] = [_("Choose a level.")]
    else:
        if parent is not None and not org_rules.level_fits(parent.level, level):
            errors["level"] = [
                _(
                    "A %(child)s cannot sit under a %(parent)s: a department's level cannot be above its parent's "
                    "(enterprise > department > workshop > team > post)."
                )
                % {
                    "child": org_models.Department.Level(level).label,
                    "parent": org_models.Department.Level(parent.level).label,
                }
            ]
        if pk is not None:
            above = [d for d in tree.values() if d.parent_id == pk and not org_rules.level_fits(level, d.level)]
            if above:
                errors.setdefault("level", []).append(
                    _(
                        "“%(child)s” (%(child_level)s) sits under this department, and a sub-department's level "
                        "cannot be above its parent's: change it first."
                    )
                    % {"child": above[0].name, "child_level": org_models.Department.Level(above[0].level).label}
                )
    if kind not in org_models.Department.Kind.values:
        errors["kind"] = [_("Choose a kind.")]
    elif kind != org_models.Department.Kind.GENERAL and not enterprise.is_university:
        errors["kind"] = [_("Only a university's departments are colleges, labs or central units.")]
    if name and any(d.name == name and d.parent_id == parent_id and d.pk != pk for d in tree.values()):
        errors["name"] = [_("There is already a department named “%(name)s” under the same parent.") % {"name": name}]
    return errors


def _org_locked_departments(enterprise: Enterprise) -> dict[int, org_models.Department]:
    # Trees are small: locking the whole tree serialises moves, so two concurrent moves cannot make a loop.
    return {
        d.pk: d for d in org_models.Department.objects.select_for_update().filter(enterprise=enterprise).order_by("pk")
    }


def department_create(
    *,
    actor: Actor,
    name: str,
    level: str,
    parent_id: int | None = None,
    kind: str = org_models.Department.Kind.GENERAL,
    order: int = 0,
) -> org_models.Department:
    """A new department of the actor's enterprise, under ``parent_id`` (None: at the top)."""
    enterprise = _org_enterprise(actor, "organisation.manage")
    name = (name or "").strip()
    with actor_scope(actor), transaction.atomic():
        tree = _org_locked_departments(enterprise)
        errors = _org_department_errors(
            enterprise, tree, pk=None, name=name, parent_id=parent_id, level=level, kind=kind
        )
        if errors:
            raise ValidationError(errors)
        department = org_models.Department.objects.create(
            enterprise=enterprise, name=name, parent_id=parent_id, level=level, kind=kind, order=order
        )
        audit.log_operation(actor=actor, action=OperationLog.Action.CREATE, obj=department)
    return department


def department_update(
    *,
    actor: Actor,
    department_id: int,
    name: str,
    level: str,
    parent_id: int | None = None,
    kind: str = org_models.Department.Kind.GENERAL,
    order: int = 0,
) -> org_models.Department:
    """Rename, move (never under itself or its own sub-departments), re-level or re-order a department."""
    enterprise = _org_enterprise(actor, "organisation.manage")
    name = (name or "").strip()
    with actor_scope(actor), transaction.atomic():
        tree = _org_locked_departments(enterprise)
        department = tree.get(department_id)
        if department is None:
            raise org_http.Http404
        errors = _org_department_errors(
            enterprise, tree, pk=department.pk, name=name, parent_id=parent_id, level=level, kind=kind
        )
        if errors:
            raise ValidationError(errors)
        detail = _org_apply(
            department, {"name": name, "parent_id": parent_id, "level": level, "kind": kind, "order": order}
        )
        if detail:
            department.save()
            audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=department, detail=detail)
    return department


def department_delete(*, actor: Actor, department_id: int) -> None:
    """Delete an empty department: refused while it has sub-departments, staff or users."""
    enterprise = _org_enterprise(actor, "organisation.manage")
    with actor_scope(actor), transaction.atomic():
        tree = _org_locked_departments(enterprise)
        department = tree.get(department_id)
        if department is None:
            raise org_http.Http404
        children = sum(1 for d in tree.values() if d.parent_id == department.pk)
        if children:
            raise ValidationError(
                _("“%(name)s” has %(n)d sub-departments: move or delete them first.")
                % {"name": department.name, "n": children}
            )
        staff = org_models.Staff.objects.filter(department=department).count()
        if staff:
            raise ValidationError(
                _("%(n)d staff members belong to “%(name)s”: move them to another department first.")
                % {"name": department.name, "n": staff}
            )
        users = Membership.objects.filter(department=department).count()
        if users:
            raise ValidationError(
                _("%(n)d user accounts belong to “%(name)s”: move them to another department first.")
                % {"name": department.name, "n": users}
            )
        audit.log_operation(actor=actor, action=OperationLog.Action.DELETE, obj=department)
        department.delete()


# ---- positions ----


def _org_position_errors(enterprise: Enterprise, *, pk: int | None, name: str) -> dict[str, list[str]]:
    if not name:
        return {"name": [_("The name is required.")]}
    if org_models.Position.objects.filter(enterprise=enterprise, name=name).exclude(pk=pk).exists():
        return {"name": [_("There is already a position named “%(name)s”.") % {"name": name}]}
    return {}


def position_create(*, actor: Actor, name: str, order: int = 0) -> org_models.Position:
    enterprise = _org_enterprise(actor, "organisation.manage")
    name = (name or "").strip()
    with actor_scope(actor):
        if errors := _org_position_errors(enterprise, pk=None, name=name):
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                position = org_models.Position.objects.create(enterprise=enterprise, name=name, order=order)
                audit.log_operation(actor=actor, action=OperationLog.Action.CREATE, obj=position)
        except IntegrityError:  # the same name created at the same moment: the unique constraint decided
            _org_raise_if(_org_position_errors(enterprise, pk=None, name=name))
            raise
    return position


def position_update(*, actor: Actor, position_id: int, name: str, order: int = 0) -> org_models.Position:
    enterprise = _org_enterprise(actor, "organisation.manage")
    name = (name or "").strip()
    with actor_scope(actor):
        try:
            with transaction.atomic():
                position = org_engine.lock_subject(
                    org_models.Position.objects.filter(enterprise=enterprise), position_id
                )
                if errors := _org_position_errors(enterprise, pk=position.pk, name=name):
                    raise ValidationError(errors)
                detail = _org_apply(position, {"name": name, "order": order})
                if detail:
                    position.save()
                    audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=position, detail=detail)
        except IntegrityError:
            _org_raise_if(_org_position_errors(enterprise, pk=position_id, name=name))
            raise
    return position


def position_delete(*, actor: Actor, position_id: int) -> None:
    """Delete a position nobody holds (refused while staff hold it: their records would lose it silently)."""
    enterprise = _org_enterprise(actor, "organisation.manage")
    with actor_scope(actor), transaction.atomic():
        position = org_engine.lock_subject(org_models.Position.objects.filter(enterprise=enterprise), position_id)
        holders = org_models.Staff.objects.filter(position=position).count()
        if holders:
            raise ValidationError(
                _("%(n)d staff members hold the position “%(name)s”: change their position first.")
                % {"name": position.name, "n": holders}
            )
        audit.log_operation(actor=actor, action=OperationLog.Action.DELETE, obj=position)
        position.delete()


# ---- roles (permission sets) ----


def _org_clean_permissions(codes: org_abc.Iterable[str]) -> list[str]:
    """Registered feature codes only, each once, in the registry's order."""
    wanted = set(codes or ())
    unknown = sorted(wanted - set(org_features.FEATURES))
    if unknown:
        raise ValidationError({"permissions": [_("Unknown permissions: %(codes)s.") % {"codes": ", ".join(unknown)}]})
    return [code for code in org_features.FEATURES if code in wanted]


def _org_role_errors(enterprise: Enterprise, *, pk: int | None, name: str) -> dict[str, list[str]]:
    if not name:
        return {"name": [_("The name is required.")]}
    if org_models.Role.objects.filter(enterprise=enterprise, name=name).exclude(pk=pk).exists():
        return {"name": [_("There is already a role named “%(name)s”.") % {"name": name}]}
    return {}


def role_create(*, actor: Actor, name: str, permissions: org_abc.Iterable[str] = ()) -> org_models.Role:
    enterprise = _org_enterprise(actor, "organisation.manage")
    name = (name or "").strip()
    codes = _org_clean_permissions(permissions)
    with actor_scope(actor):
        if errors := _org_role_errors(enterprise, pk=None, name=name):
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                role = org_models.Role.objects.create(enterprise=enterprise, name=name, permissions=codes)
                audit.log_operation(actor=actor, action=OperationLog.Action.CREATE, obj=role, detail=", ".join(codes))
        except IntegrityError:
            _org_raise_if(_org_role_errors(enterprise, pk=None, name=name))
            raise
    return role


def role_update(*, actor: Actor, role_id: int, name: str, permissions: org_abc.Iterable[str] = ()) -> org_models.Role:
    """Rename a role or change its permission set; its users' powers change with it."""
    enterprise = _org_enterprise(actor, "organisation.manage")
    name = (name or "").strip()
    codes = _org_clean_permissions(permissions)
    with actor_scope(actor):
        try:
            with transaction.atomic():
                role = org_engine.lock_subject(org_models.Role.objects.filter(enterprise=enterprise), role_id)
                if errors := _org_role_errors(enterprise, pk=role.pk, name=name):
                    raise ValidationError(errors)
                detail = _org_apply(role, {"name": name, "permissions": codes})
                if detail:
                    role.save()
                    audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=role, detail=detail)
        except IntegrityError:
            _org_raise_if(_org_role_errors(enterprise, pk=role_id, name=name))
            raise
    return role


def role_delete(*, actor: Actor, role_id: int) -> None:
    """Delete a role; its users keep their platform role and their other roles."""
    enterprise = _org_enterprise(actor, "organisation.manage")
    with actor_scope(actor), transaction.atomic():
        role = org_engine.lock_subject(org_models.Role.objects.filter(enterprise=enterprise), role_id)
        users = ", ".join(m.user.get_username() for m in role.memberships.select_related("user").order_by("pk"))
        audit.log_operation(
            actor=actor, action=OperationLog.Action.DELETE, obj=role, detail=f"users: {users}" if users else ""
        )
        role.delete()


# ---- user accounts (one per person, attached to a staff record) ----

ORG_ADMIN_ROLE = Membership.Role.ENTERPRISE_ADMIN


def _org_check_platform_role(actor: Actor, enterprise: Enterprise, role: str) -> None:
    if role not in org_rules.platform_roles(enterprise.is_university):
        raise ValidationError({"role": [_("Choose one of the roles offered.")]})
    if role == ORG_ADMIN_ROLE and not actor.has_role(ORG_ADMIN_ROLE):
        raise PermissionDenied(_("Only an enterprise administrator may make someone an administrator."))


def _org_custom_roles(enterprise: Enterprise, role_ids: org_abc.Iterable[int]) -> list[org_models.Role]:
    ids = {int(pk) for pk in role_ids or ()}
    roles = list(org_models.Role.objects.filter(enterprise=enterprise, pk__in=ids))
    if len(roles) != len(ids):
        raise ValidationError({"custom_roles": [_("Choose roles of this enterprise.")]})
    return roles


def _org_check_staff_free(staff: org_models.Staff, exclude_membership: int | None = None) -> None:
    taken = Membership.objects.filter(staff=staff).exclude(pk=exclude_membership).select_related("user").first()
    if taken is not None:
        raise ValidationError(
            {
                "staff": [
                    _("%(name)s already has an account (%(username)s): one person, one account.")
                    % {"name": staff.name, "username": taken.user.get_username()}
                ]
            }
        )


def _org_username_taken(username: str) -> bool:
    return User.objects.filter(username__iexact=username).exists()


def _org_username_error(username: str) -> ValidationError:
    return ValidationError(
        {"username": [_("The user name “%(username)s” is taken; choose another.") % {"username": username}]}
    )


def _org_checked_password(password: str, user: User) -> str:
    try:
        org_password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    return password


def user_create(
    *,
    actor: Actor,
    staff_id: int,
    username: str,
    role: str,
    password: str = "",
    email: str = "",
    custom_role_ids: org_abc.Iterable[int] = (),
) -> tuple[Membership, str | None]:
    """A platform account for a staff member: (the membership, the generated password or None).

    Without a password one is generated; the caller shows it once. One person, one account: a staff record
    with an account, or a user name that exists, is refused with a message saying so.
    """
    enterprise = _org_enterprise(actor, "organisation.manage")
    username = (username or "").strip()
    email = (email or "").strip()
    _org_check_platform_role(actor, enterprise, role)
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from None
    if email:
        try:
            org_django_validators.validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": exc.messages}) from None
    with actor_scope(actor):
        try:
            with transaction.atomic():
                staff = org_engine.lock_subject(org_models.Staff.objects.filter(enterprise=enterprise), staff_id)
                _org_check_staff_free(staff)
                if _org_username_taken(username):
                    raise _org_username_error(username)
                roles = _org_custom_roles(enterprise, custom_role_ids)
                user = User(username=username, email=email, full_name=staff.name, phone=staff.phone)
                generated = None if password else org_rules.generate_password()
                user.set_password(_org_checked_password(password, user) if password else generated)
                user.save()
                membership = Membership.objects.create(
                    user=user,
                    enterprise=enterprise,
                    role=role,
                    # A student starts pending: the supervising teacher activates them (DOMAIN "Lab users").
                    status=Membership.Status.PENDING if role == Membership.Role.STUDENT else Membership.Status.ACTIVE,
                    staff=staff,
                )
                membership.custom_roles.set(roles)
                audit.log_operation(
                    actor=actor,
                    action=OperationLog.Action.CREATE,
                    obj=membership,
                    detail=f"user: {username}; staff: {staff.name}; role: {role}; "
                    f"roles: {', '.join(r.name for r in roles) or '—'}",
                )
        except IntegrityError:
            # Two administrators creating the same account at once: the loser gets the same clear message.
            if _org_username_taken(username):
                raise _org_username_error(username) from None
            from safety.tenancy import scopes_disabled

            with scopes_disabled():
                _org_check_staff_free(org_models.Staff.objects.get(pk=staff_id))
            raise
    return membership, generated


def _org_lock_memberships(enterprise: Enterprise, membership_id: int) -> tuple[Membership, list[Membership]]:
    """Lock the target membership and every administrator's (in id order, so concurrent changes queue up):
    the last-administrator rule reads them all."""
    from django.db.models import Q

    locked = list(
        Membership.objects.select_for_update()
        .filter(Q(pk=membership_id) | Q(role=ORG_ADMIN_ROLE), enterprise=enterprise)
        .order_by("pk")
    )
    target = next((m for m in locked if m.pk == membership_id), None)
    if target is None:
        raise org_http.Http404
    return target, locked


def _org_keeps_an_admin(locked: list[Membership], target: Membership) -> bool:
    return any(m.role == ORG_ADMIN_ROLE and m.is_active for m in locked if m.pk != target.pk)


def _org_last_admin_message() -> str:
    return _(
        "An enterprise must keep at least one active administrator: make someone else an administrator before "
        "you change or disable this account."
    )


def _org_check_touching_admin(actor: Actor, target: Membership) -> None:
    if target.role == ORG_ADMIN_ROLE and not actor.has_role(ORG_ADMIN_ROLE):
        raise PermissionDenied(_("Only an enterprise administrator may change an administrator's account."))


def membership_update(
    *,
    actor: Actor,
    membership_id: int,
    role: str,
    custom_role_ids: org_abc.Iterable[int] = (),
    staff_id: int | None = None,
) -> Membership:
    """Change a user's platform role, custom roles (角色) and staff record."""
    enterprise = _org_enterprise(actor, "organisation.manage")
    _org_check_platform_role(actor, enterprise, role)
    with actor_scope(actor), transaction.atomic():
        target, locked = _org_lock_memberships(enterprise, membership_id)
        _org_check_touching_admin(actor, target)
        if (
            target.role == ORG_ADMIN_ROLE
            and role != ORG_ADMIN_ROLE
            and target.is_active
            and not _org_keeps_an_admin(locked, target)
        ):
            raise ValidationError({"role": [_org_last_admin_message()]})
        roles = _org_custom_roles(enterprise, custom_role_ids)
        staff = None
        if staff_id is not None:
            staff = org_engine.lock_subject(org_models.Staff.objects.filter(enterprise=enterprise), staff_id)
            _org_check_staff_free(staff, exclude_membership=target.pk)
        before_roles = sorted(target.custom_roles.values_list("name", flat=True))
        detail = _org_apply(target, {"role": role, "staff_id": staff.pk if staff else None})
        target.save()
        target.custom_roles.set(roles)
        after_roles = sorted(r.name for r in roles)
        if before_roles != after_roles:
            change = f"roles: {', '.join(before_roles) or '—'} → {', '.join(after_roles) or '—'}"
            detail = f"{detail}; {change}" if detail else change
        if detail:
            audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=target, detail=detail)
    return target


def membership_set_active(*, actor: Actor, membership_id: int, active: bool) -> Membership:
    """Disable a user's membership (they lose access to this enterprise; the account stays) or enable it again.

    Users are never deleted: their names stay on every record they made.
    """
    enterprise = _org_enterprise(actor, "organisation.manage")
    with actor_scope(actor), transaction.atomic():
        target, locked = _org_lock_memberships(enterprise, membership_id)
        _org_check_touching_admin(actor, target)
        before = target.status
        transition = target.enable if active else target.disable
        if not org_fsm.can_proceed(transition):
            message = (
                _("This account is %(status)s, so it cannot be enabled.")
                if active
                else _("This account is %(status)s, so it cannot be disabled.")
            )
            raise ValidationError(message % {"status": target.get_status_display().lower()})
        if not active and target.role == ORG_ADMIN_ROLE and not _org_keeps_an_admin(locked, target):
            raise ValidationError(_org_last_admin_message())
        transition()
        target.save(update_fields=["status"])
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.TRANSITION,
            obj=target,
            detail=f"{target.user.get_username()}: {before} → {target.status}",
        )
    return target


def membership_reset_password(*, actor: Actor, membership_id: int, password: str = "") -> str | None:
    """Set a member's password (or a generated one, returned to be shown once).

    Refused for someone who also belongs to another organisation or runs the platform: one enterprise's
    administrator must not take over an account that opens other organisations' data.
    """
    enterprise = _org_enterprise(actor, "organisation.manage")
    with actor_scope(actor), transaction.atomic():
        target = org_engine.lock_subject(
            Membership.objects.filter(enterprise=enterprise).select_related("user"), membership_id
        )
        _org_check_touching_admin(actor, target)
        user = User.objects.select_for_update().get(pk=target.user_id)
        if user.is_superuser or user.is_staff or Membership.objects.filter(user=user).exclude(pk=target.pk).exists():
            raise ValidationError(
                _(
                    "%(username)s also belongs to another organisation, so only they can change their password "
                    "(“Forgot password” on the log-in page)."
                )
                % {"username": user.get_username()}
            )
        generated = None if password else org_rules.generate_password()
        user.set_password(_org_checked_password(password, user) if password else generated)
        user.save(update_fields=["password"])
        _clear_lockout_on_commit(user.get_username())
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.PASSWORD,
            obj=target,
            detail=f"password of {user.get_username()} reset by an administrator",
        )
    return generated


# ---- staff ----


@dataclass
class StaffDetails:
    """What the enterprise records about a person (企业人员)."""

    name: str
    gender: str = ""
    id_number: str = ""
    phone: str = ""
    department: org_models.Department | None = None
    position: org_models.Position | None = None
    hired_on: org_dt.date | None = None
    has_certificates: bool = False
    occupational_exposure: bool = False
    is_active: bool = True

    def values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _org_staff_errors(enterprise: Enterprise, details: StaffDetails, exclude_pk: int | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    details.name = (details.name or "").strip()
    details.id_number = org_rules.normalise_id_number(details.id_number)
    details.phone = (details.phone or "").strip()
    if not details.name:
        errors["name"] = [_("The name is required.")]
    if details.gender and details.gender not in org_models.Staff.Gender.values:
        errors["gender"] = [_("Choose male or female, or leave it empty.")]
    if details.id_number:
        try:
            org_rules.validate_id_number(details.id_number)
        except ValidationError as exc:
            errors["id_number"] = exc.messages
        else:
            holder = (
                org_models.Staff.objects.filter(enterprise=enterprise, id_number=details.id_number)
                .exclude(pk=exclude_pk)
                .first()
            )
            if holder is not None:
                errors["id_number"] = [
                    _("%(name)s already has this ID card number on the staff list.") % {"name": holder.name}
                ]
    if details.phone:
        try:
            org_validators.validate_phone(details.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    for name in ("department", "position"):
        value = getattr(details, name)
        if value is not None and value.enterprise_id != enterprise.pk:
            errors[name] = [_("Choose one of this enterprise's.")]
    return errors


def staff_create(*, actor: Actor, details: StaffDetails) -> org_models.Staff:
    enterprise = _org_enterprise(actor, "staff.manage")
    with actor_scope(actor), transaction.atomic():
        _org_lock_enterprise(enterprise)
        if errors := _org_staff_errors(enterprise, details, exclude_pk=None):
            raise ValidationError(errors)
        staff = org_models.Staff.objects.create(enterprise=enterprise, **details.values())
        audit.log_operation(actor=actor, action=OperationLog.Action.CREATE, obj=staff)
    return staff


def staff_update(*, actor: Actor, staff_id: int, details: StaffDetails) -> org_models.Staff:
    enterprise = _org_enterprise(actor, "staff.manage")
    with actor_scope(actor), transaction.atomic():
        _org_lock_enterprise(enterprise)
        staff = org_engine.lock_subject(org_models.Staff.objects.filter(enterprise=enterprise), staff_id)
        if errors := _org_staff_errors(enterprise, details, exclude_pk=staff.pk):
            raise ValidationError(errors)
        values = details.values()
        for name in ("department", "position"):  # compare ids: no query for the old related rows
            related = values.pop(name)
            values[f"{name}_id"] = related.pk if related else None
        detail = _org_apply(staff, values)
        if detail:
            staff.save()
            audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=staff, detail=detail)
    return staff


def _org_delete_files_on_commit(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(delete)


def staff_delete(*, actor: Actor, staff_id: int) -> None:
    """Delete a staff record and its certificates; refused while the person has an active account."""
    enterprise = _org_enterprise(actor, "staff.manage")
    with actor_scope(actor), transaction.atomic():
        staff = org_engine.lock_subject(org_models.Staff.objects.filter(enterprise=enterprise), staff_id)
        account = Membership.objects.filter(staff=staff).select_related("user").first()
        if account is not None and account.status != Membership.Status.DISABLED:
            raise ValidationError(
                _("%(name)s has a platform account (%(username)s): disable the account first.")
                % {"name": staff.name, "username": account.user.get_username()}
            )
        images = [n for n in org_models.Certificate.objects.filter(staff=staff).values_list("image", flat=True) if n]
        audit.log_operation(actor=actor, action=OperationLog.Action.DELETE, obj=staff)
        staff.delete()
        _org_delete_files_on_commit(images)


# ---- certificates ----


@dataclass
class CertificateDetails:
    kind: str
    number: str
    operation_type: str = ""
    issued_by: str = ""
    issued_on: org_dt.date | None = None
    expires_on: org_dt.date | None = None

    def values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _org_certificate_errors(details: CertificateDetails) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    details.number = (details.number or "").strip()
    details.operation_type = (details.operation_type or "").strip()
    details.issued_by = (details.issued_by or "").strip()
    if details.kind not in org_models.Certificate.Kind.values:
        errors["kind"] = [_("Choose a kind.")]
    if not details.number:
        errors["number"] = [_("The certificate number is required.")]
    if details.kind == org_models.Certificate.Kind.SPECIAL_OPERATIONS and not details.operation_type:
        errors["operation_type"] = [
            _("A special-operations certificate names its operation type, e.g. electrical work or welding.")
        ]
    if details.issued_on and details.expires_on and details.expires_on < details.issued_on:
        errors["expires_on"] = [_("The expiry date is before the issue date.")]
    return errors


def _org_store_image(certificate: org_models.Certificate, image) -> None:
    try:
        extension = image_uploads.validate_image(image)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from None
    image.name = image_uploads.random_name(extension)
    certificate.image = image


def certificate_create(
    *, actor: Actor, staff_id: int, details: CertificateDetails, image=None
) -> org_models.Certificate:
    """A certificate of a staff member, with an optional image (checked, stored under a random name)."""
    enterprise = _org_enterprise(actor, "staff.manage")
    if errors := _org_certificate_errors(details):
        raise ValidationError(errors)
    with actor_scope(actor), transaction.atomic():
        staff = org_engine.lock_subject(org_models.Staff.objects.filter(enterprise=enterprise), staff_id)
        certificate = org_models.Certificate(enterprise=enterprise, staff=staff, **details.values())
        if image:
            _org_store_image(certificate, image)
        certificate.save()
        if not staff.has_certificates:
            staff.has_certificates = True
            staff.save(update_fields=["has_certificates", "updated_at"])
        audit.log_operation(
            actor=actor, action=OperationLog.Action.CREATE, obj=certificate, detail=f"staff: {staff.name}"
        )
    return certificate


def certificate_update(
    *, actor: Actor, certificate_id: int, details: CertificateDetails, image=None, remove_image: bool = False
) -> org_models.Certificate:
    """Change a certificate; a new image replaces the old one, whose file goes once the change commits."""
    enterprise = _org_enterprise(actor, "staff.manage")
    if errors := _org_certificate_errors(details):
        raise ValidationError(errors)
    with actor_scope(actor), transaction.atomic():
        certificate = org_engine.lock_subject(
            org_models.Certificate.objects.filter(enterprise=enterprise), certificate_id
        )
        old_image = certificate.image.name or ""
        values = details.values()
        if details.expires_on != certificate.expires_on:
            # A renewal restarts the reminders; a correction within the same stage sends nothing twice.
            computed = expiry.reminder_stage_for(
                details.expires_on, details.expires_on is None, timezone.localdate(), expiry.reminder_window()
            )
            values["reminder_stage"] = expiry.stage_after_edit(certificate.reminder_stage, computed)
        detail = _org_apply(certificate, values)
        if image:
            _org_store_image(certificate, image)
            detail = f"{detail}; image replaced" if detail else "image replaced"
        elif remove_image and old_image:
            certificate.image = None
            detail = f"{detail}; image removed" if detail else "image removed"
        if detail:
            certificate.save()
            audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=certificate, detail=detail)
        if old_image and certificate.image.name != old_image:
            _org_delete_files_on_commit([old_image])
    return certificate


def certificate_delete(*, actor: Actor, certificate_id: int) -> None:
    enterprise = _org_enterprise(actor, "staff.manage")
    with actor_scope(actor), transaction.atomic():
        certificate = org_engine.lock_subject(
            org_models.Certificate.objects.filter(enterprise=enterprise), certificate_id
        )
        image = certificate.image.name or ""
        audit.log_operation(actor=actor, action=OperationLog.Action.DELETE, obj=certificate)
        certificate.delete()
        _org_delete_files_on_commit([image] if image else [])


# ---- staff import ----


@dataclass
class StaffImportResult:
    """What an import did: ``created`` people, or (nothing written) every row's problems."""

    sheet: staff_excel.Sheet
    created: int = 0
    errors: list[staff_excel.RowError] = org_dataclasses.field(default_factory=list)


def staff_import(*, actor: Actor, upload, filename: str = "") -> StaffImportResult:
    """Import the staff of an Excel file made from the template: every row is checked first, and either all
    rows go in or none does. A file that cannot be read at all raises ValidationError on ``file``."""
    enterprise = _org_enterprise(actor, "staff.manage")
    try:
        sheet = staff_excel.read_sheet(upload)
    except staff_excel.ImportFileError as exc:
        raise ValidationError({"file": [exc.message]}) from None
    with actor_scope(actor), transaction.atomic():
        _org_lock_enterprise(enterprise)  # no other import or edit slips a duplicate ID number in between
        lookups = staff_excel.Lookups(
            departments=list(org_models.Department.objects.filter(enterprise=enterprise)),
            positions=list(org_models.Position.objects.filter(enterprise=enterprise)),
            existing_ids=dict(
                org_models.Staff.objects.filter(enterprise=enterprise)
                .exclude(id_number="")
                .values_list("id_number", "name")
            ),
        )
        rows, errors = staff_excel.check_rows(sheet, lookups)
        if errors:
            return StaffImportResult(sheet=sheet, errors=errors)
        created = org_models.Staff.objects.bulk_create(
            [org_models.Staff(enterprise=enterprise, **values) for values in rows]
        )
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE,
            enterprise_id=enterprise.pk,
            detail=f"staff import{f' from {filename}' if filename else ''}: {len(created)} people",
        )
    return StaffImportResult(sheet=sheet, created=len(created))


# ==== area: licences ====
# Licences (资质证照), the daily expiry reminders of licences and staff certificates, and suspension /
# resumption (停产 / 复工) applications reviewed by the owning body.
from datetime import date  # noqa: E402

from django.core.files.storage import default_storage  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.urls import NoReverseMatch  # noqa: E402

from approvals.engine import TransitionRefused  # noqa: E402
from safety.tenancy import scopes_disabled  # noqa: E402

from . import expiry, scans  # noqa: E402
from .models import Certificate, Licence, OperatingStatus, ReminderStage, SuspensionApplication  # noqa: E402

LICENCE_FEATURE = "licences.manage"
SUSPENSION_FEATURE = "suspension.apply"
EXPIRY_BATCH = 100


@dataclass
class LicenceDetails:
    """What the enterprise states about a licence. Exactly one of ``valid_until`` and ``long_term``."""

    kind: str
    number: str
    name: str = ""
    issued_by: str = ""
    scope: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    long_term: bool = False


def check_licence_dates(details: LicenceDetails) -> None:
    """The rules of the dates, with messages for the form (which runs this too)."""
    message = None
    if details.long_term and details.valid_until is not None:
        message = _("A long-term licence has no end date: clear “valid until”, or untick “long-term” if it expires.")
    elif not details.long_term and details.valid_until is None:
        message = _("Give the last day the licence is valid, or tick “long-term” if it never expires.")
    elif details.valid_from and details.valid_until and details.valid_until < details.valid_from:
        message = _("“Valid until” cannot be before “valid from”.")
    if message:
        raise ValidationError({"valid_until": [message]})


def _actor_can(actor: Actor, feature: str) -> bool:
    # Custom roles are tenant rows: read them in the actor's own scope (a service may run with none open).
    with actor_scope(actor):
        return actor.enterprise is not None and actor.can(feature)


def _require_licence_manager(actor: Actor) -> None:
    if not _actor_can(actor, LICENCE_FEATURE):
        raise PermissionDenied(_("You may not manage this enterprise's licences."))


def _scan_extension(upload) -> str:
    try:
        return scans.validate_scan(upload)
    except ValidationError as exc:
        raise ValidationError({"scan": exc.messages}) from None


def _stage_after_edit(licence: Licence) -> str:
    computed = expiry.reminder_stage_for(
        licence.valid_until, licence.long_term, timezone.localdate(), expiry.reminder_window()
    )
    return expiry.stage_after_edit(licence.reminder_stage, computed)


def _apply_licence(licence: Licence, details: LicenceDetails, scan, ext: str | None, stored: list[str]) -> None:
    for f in fields(details):
        setattr(licence, f.name, getattr(details, f.name))
    licence.full_clean(exclude=["scan"])
    if scan is not None:
        licence.scan.save(scans.random_name(ext), scan, save=False)
        stored.append(licence.scan.name)


def _forget_files(names: list[str]) -> None:
    """Files written by a transaction that then failed: nothing points at them."""
    for name in names:
        default_storage.delete(name)


def _delete_file_on_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


def licence_create(*, actor: Actor, details: LicenceDetails, scan=None) -> Licence:
    """Add a licence to the actor's enterprise, with an optional scan (PDF or image, checked by content)."""
    _require_licence_manager(actor)
    check_licence_dates(details)
    ext = _scan_extension(scan) if scan is not None else None
    stored: list[str] = []
    try:
        with actor_scope(actor), transaction.atomic():
            licence = Licence(enterprise_id=actor.enterprise.pk, reminder_stage=ReminderStage.NONE)
            _apply_licence(licence, details, scan, ext, stored)
            licence.save()
            audit.log_operation(actor=actor, action=OperationLog.Action.CREATE, obj=licence)
    except BaseException:
        _forget_files(stored)
        raise
    return licence


def _lock_licence(actor: Actor, licence_id: int) -> Licence:
    from approvals.engine import lock_subject

    return lock_subject(selectors.licences_for_enterprise(actor), licence_id)


def licence_update(
    *, actor: Actor, licence_id: int, details: LicenceDetails, scan=None, remove_scan: bool = False
) -> Licence:
    """Edit a licence; a new scan replaces the old one. A renewal (new end date) resets the reminder stage."""
    _require_licence_manager(actor)
    check_licence_dates(details)
    ext = _scan_extension(scan) if scan is not None else None
    stored: list[str] = []
    try:
        with actor_scope(actor), transaction.atomic():
            licence = _lock_licence(actor, licence_id)
            changed = [f.name for f in fields(details) if getattr(licence, f.name) != getattr(details, f.name)]
            old_scan = licence.scan.name or ""
            _apply_licence(licence, details, scan, ext, stored)
            if {"valid_until", "long_term"} & set(changed):
                licence.reminder_stage = _stage_after_edit(licence)
            if scan is not None or (remove_scan and old_scan):
                if scan is None:
                    licence.scan = ""
                changed.append("scan")
                _delete_file_on_commit(old_scan)
            licence.save()
            audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=licence, detail=", ".join(changed))
    except BaseException:
        _forget_files(stored)
        raise
    return licence


def licence_delete(*, actor: Actor, licence_id: int) -> None:
    _require_licence_manager(actor)
    with actor_scope(actor), transaction.atomic():
        licence = _lock_licence(actor, licence_id)
        audit.log_operation(actor=actor, action=OperationLog.Action.DELETE, obj=licence)
        _delete_file_on_commit(licence.scan.name or "")
        licence.delete()


# -- Expiry reminders: the daily job (enterprises.tasks.sweep_expiry_reminders) ------------------------------


@dataclass
class SweepResult:
    """What one run of the expiry job did: stages changed and reminders sent, per kind of document."""

    licences_changed: int = 0
    licences_notified: int = 0
    certificates_changed: int = 0
    certificates_notified: int = 0


def _days_phrase(end: date, today: date) -> str:
    from django.utils.translation import ngettext

    left = (end - today).days
    if left < 0:
        return ngettext("expired %(n)d day ago", "expired %(n)d days ago", -left) % {"n": -left}
    if left == 0:
        return _("expires today")
    return ngettext("expires in %(n)d day", "expires in %(n)d days", left) % {"n": left}


def _licence_notice(licence: Licence, stage: str, today: date) -> Notice:
    what = {"kind": licence.get_kind_display(), "number": licence.number}
    title = (
        _("Licence expired: %(kind)s %(number)s")
        if stage == ReminderStage.EXPIRED
        else _("Licence expiring: %(kind)s %(number)s")
    ) % what
    body = _("%(kind)s No. %(number)s is valid until %(date)s (%(phrase)s). Renew it and update the record.") % {
        **what,
        "date": licence.valid_until.isoformat(),
        "phrase": _days_phrase(licence.valid_until, today),
    }
    return Notice(recipients=(), title=title, body=body, url=reverse("enterprises:licence_edit", args=[licence.pk]))


# Pages of the staff screens a certificate reminder may link to, best first (built by the organisation area).
CERTIFICATE_URL_NAMES = ("enterprises:certificate_edit", "enterprises:staff_detail", "enterprises:staff_edit")


def certificate_url(certificate: Certificate) -> str:
    for name in CERTIFICATE_URL_NAMES:
        pk = certificate.pk if name.startswith("enterprises:certificate") else certificate.staff_id
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return reverse("approvals:inbox")


def _certificate_notice(certificate: Certificate, stage: str, today: date) -> Notice:
    what = {"staff": certificate.staff.name, "kind": certificate.get_kind_display(), "number": certificate.number}
    title = (
        _("Certificate expired: %(staff)s, %(kind)s %(number)s")
        if stage == ReminderStage.EXPIRED
        else _("Certificate expiring: %(staff)s, %(kind)s %(number)s")
    ) % what
    body = _("%(staff)s's %(kind)s certificate No. %(number)s is valid until %(date)s (%(phrase)s).") % {
        **what,
        "date": certificate.expires_on.isoformat(),
        "phrase": _days_phrase(certificate.expires_on, today),
    }
    return Notice(recipients=(), title=title, body=body, url=certificate_url(certificate))


def _sweep(model, *, end: str, long_term: str | None, related: tuple[str, ...], extra: Q, notice, today, window, batch):
    """Bring every row whose stored stage differs from its computed one up to date, a batch at a time.

    Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED and re-checked after the lock, so two runs at once
    (or one run twice) never handle a row twice; the stage update and the in-app notification commit together.
    A stage reached going forward is notified once; a stage going back (a renewal saved elsewhere) is only
    recorded, so the next expiry is reminded again.
    """
    # Soft-deleted enterprises are left alone: their people see nothing, and must not be sent reminders.
    todo = model.objects.filter(
        expiry.stage_behind_or_stale_q(today, window, end=end, long_term=long_term),
        extra,
        enterprise__deleted_at__isnull=True,
    )
    changed = notified = 0
    while True:
        with transaction.atomic():
            rows = list(
                todo.select_for_update(skip_locked=True, of=("self",)).select_related(*related).order_by("pk")[:batch]
            )
            if not rows:
                break
            recipients = selectors.expiry_recipients({r.enterprise_id for r in rows})
            updated = []
            for row in rows:
                new = expiry.reminder_stage_for(
                    getattr(row, end), bool(long_term and getattr(row, long_term)), today, window
                )
                old = row.reminder_stage
                if new == old:  # another run got here first
                    continue
                row.reminder_stage = new
                updated.append(row)
                if expiry.is_ahead(new, old):
                    n = notice(row, new, today)
                    notify(recipients=recipients.get(row.enterprise_id, []), title=n.title, body=n.body, url=n.url)
                    notified += 1
            model.objects.bulk_update(updated, ["reminder_stage"])
        changed += len(updated)
        if not updated:  # nothing left that this run can change (the rest is locked by another run)
            break
    return changed, notified


def expiry_reminders_sweep(
    *, today: date | None = None, window: int | None = None, batch: int = EXPIRY_BATCH
) -> SweepResult:
    """The daily job: update licences' and certificates' reminder stages and notify each stage once.

    Runs as the system, across tenants; idempotent, and safe to run twice or twice at once.
    """
    today = today or timezone.localdate()
    window = expiry.reminder_window() if window is None else window
    result = SweepResult()
    with scopes_disabled():
        result.licences_changed, result.licences_notified = _sweep(
            Licence,
            end="valid_until",
            long_term="long_term",
            related=("enterprise",),
            extra=Q(),
            notice=_licence_notice,
            today=today,
            window=window,
            batch=batch,
        )
        result.certificates_changed, result.certificates_notified = _sweep(
            Certificate,
            end="expires_on",
            long_term=None,
            related=("enterprise", "staff"),
            extra=Q(staff__is_active=True),  # a certificate of someone who has left reminds nobody
            notice=_certificate_notice,
            today=today,
            window=window,
            batch=batch,
        )
    return result


# -- Suspension and resumption (停产 / 复工) ------------------------------------------------------------------


@dataclass
class SuspensionDetails:
    kind: str
    reason: str
    start_date: date
    end_date: date | None = None


def _check_suspension_details(details: SuspensionDetails) -> None:
    errors: dict[str, list[str]] = {}
    if not (details.reason or "").strip():
        errors["reason"] = [_("Give the reason: the owning body decides on it.")]
    if details.kind not in SuspensionApplication.Kind.values:
        errors["kind"] = [_("Choose suspension or resumption.")]
    if details.end_date is not None:
        if details.kind == SuspensionApplication.Kind.RESUMPTION:
            errors["end_date"] = [_("A resumption has only a start date: leave “until” empty.")]
        elif details.end_date < details.start_date:
            errors["end_date"] = [_("“Until” cannot be before “from”.")]
    if errors:
        raise ValidationError(errors)


def _check_suspension_allowed(enterprise: Enterprise, kind: str) -> None:
    """One pending application at a time; a suspension only when operating, a resumption only when suspended."""
    pending = selectors.pending_suspension_application(enterprise)
    if pending is not None:
        raise ValidationError(
            _(
                "Your %(kind)s application of %(date)s is still awaiting review by %(body)s. Wait for its decision "
                "before applying again."
            )
            % {
                "kind": pending.get_kind_display().lower(),
                "date": timezone.localtime(pending.submitted_at).strftime("%Y-%m-%d"),
                "body": enterprise.owning_body.name,
            },
            code="pending",
        )
    if kind == SuspensionApplication.Kind.SUSPENSION and enterprise.operating_status != OperatingStatus.OPERATING:
        raise ValidationError(
            {"kind": [_("Your enterprise is already suspended: apply for resumption when you restart work.")]}
        )
    if kind == SuspensionApplication.Kind.RESUMPTION and enterprise.operating_status != OperatingStatus.SUSPENDED:
        raise ValidationError({"kind": [_("Your enterprise is operating: only a suspension can be applied for.")]})


def suspension_apply(*, actor: Actor, details: SuspensionDetails) -> SuspensionApplication:
    """The enterprise applies to suspend or resume work; its owning body's reviewers are told."""
    if not _actor_can(actor, SUSPENSION_FEATURE):
        raise PermissionDenied(_("You may not apply for suspension or resumption."))
    _check_suspension_details(details)
    with actor_scope(actor), transaction.atomic():
        # The enterprise row is the lock that keeps two applications from both being "the only pending one".
        enterprise = (
            Enterprise.objects.select_for_update(of=("self",)).select_related("owning_body").get(pk=actor.enterprise.pk)
        )
        _check_suspension_allowed(enterprise, details.kind)
        application = SuspensionApplication.objects.create(
            enterprise=enterprise,
            kind=details.kind,
            reason=details.reason.strip(),
            start_date=details.start_date,
            end_date=details.end_date,
            submitted_by=actor.user,
        )
        record_review(
            actor=actor,
            subject=application,
            node=Node.ENTERPRISE,
            node_name=enterprise.name,
            decision=Decision.SUBMIT,
            reason=application.reason,
            to_state=application.status,
        )
        audit.log_operation(actor=actor, action=OperationLog.Action.CREATE, obj=application)
        notify(
            recipients=selectors.registration_reviewers(enterprise),
            title=(
                _("Suspension application: %(name)s")
                if application.kind == SuspensionApplication.Kind.SUSPENSION
                else _("Resumption application: %(name)s")
            )
            % {"name": enterprise.name},
            body=_("An application awaits your review."),
            url=reverse("enterprises:gov_suspension_detail", args=[application.pk]),
        )
    return application


def _suspensions_queryset(actor: Actor):
    with actor_scope(actor):
        return selectors.suspension_applications_for_government(actor)


def _decision_notice(application: SuspensionApplication, approved: bool, reason: str) -> Notice:
    what = {"kind": application.get_kind_display(), "date": application.start_date.isoformat()}
    if approved:
        title = _("%(kind)s approved (from %(date)s)") % what
        body = _("The owning body approved your application.")
    else:
        title = _("%(kind)s rejected (from %(date)s)") % what
        body = _("Reason: %(reason)s.") % {"reason": reason.rstrip("。．.!！?？ ")}
    return Notice(
        recipients=selectors.enterprise_admins(application.enterprise),
        title=title,
        body=body,
        url=reverse("enterprises:suspension_detail", args=[application.pk]),
    )


def suspension_approve(*, actor: Actor, application_id: int, reason: str = "") -> SuspensionApplication:
    """Approve: the enterprise's operating status changes in the same transaction (its row locked too)."""

    def apply(application: SuspensionApplication) -> None:
        enterprise = Enterprise.objects.select_for_update(of=("self",)).get(pk=application.enterprise_id)
        suspending = application.kind == SuspensionApplication.Kind.SUSPENSION
        before = OperatingStatus.OPERATING if suspending else OperatingStatus.SUSPENDED
        after = OperatingStatus.SUSPENDED if suspending else OperatingStatus.OPERATING
        if enterprise.operating_status != before:
            raise TransitionRefused(
                _("The enterprise is already “%(status)s”; this application can only be rejected.")
                % {"status": enterprise.get_operating_status_display()}
            )
        enterprise.operating_status = after
        enterprise.save(update_fields=["operating_status", "updated_at"])
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.UPDATE,
            obj=enterprise,
            detail=f"operating_status: {before} → {after}",
        )
        application.enterprise = enterprise
        application.reviewed_at = timezone.now()

    body = actor.body
    return perform_transition(
        actor=actor,
        queryset=_suspensions_queryset(actor),
        pk=application_id,
        transition="approve",
        node=_node_for(body) if body else Node.OWNING_BODY,
        node_name=body.name if body else "",
        decision=Decision.APPROVE,
        reason=reason,
        check=lambda a: selectors.can_review_suspension(actor, a),
        before_save=apply,
        notices=lambda a: [_decision_notice(a, approved=True, reason=reason)],
    )


def suspension_reject(*, actor: Actor, application_id: int, reason: str) -> SuspensionApplication:
    """Reject with a reason; the operating status stays as it is."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for rejection: the enterprise needs it.")]})

    def stamp(application: SuspensionApplication) -> None:
        application.reviewed_at = timezone.now()

    body = actor.body
    return perform_transition(
        actor=actor,
        queryset=_suspensions_queryset(actor),
        pk=application_id,
        transition="reject",
        transition_kwargs={"reason": reason},
        node=_node_for(body) if body else Node.OWNING_BODY,
        node_name=body.name if body else "",
        decision=Decision.REJECT,
        reason=reason,
        check=lambda a: selectors.can_review_suspension(actor, a),
        before_save=stamp,
        notices=lambda a: [_decision_notice(a, approved=False, reason=reason)],
    )


# ==== area: university ====
# University specifics: colleges and labs (heads, stock limits), lab users' first-login profiles and the
# student activation decided by the supervising teacher (DOMAIN.md "Lab users"; seed 000, 注册及审核).
from approvals import engine as review_engine  # noqa: E402

from .models import Department  # noqa: E402


@dataclass
class LabProfile:
    """What a teacher or student states on first login. ``department``: a lab; a teacher may give a college."""

    full_name: str
    phone: str
    email: str
    department: Department
    title: str = ""


def _check_lab_department(enterprise: Enterprise, department: Department, *, lab_required: bool) -> None:
    kinds = (Department.Kind.LAB,) if lab_required else (Department.Kind.LAB, Department.Kind.COLLEGE)
    if department.enterprise_id != enterprise.pk or department.kind not in kinds:
        field = "lab" if lab_required or department.kind == Department.Kind.LAB else "college"
        raise ValidationError({field: [_("Choose one of this university's labs.")]})


def _apply_lab_profile(actor: Actor, membership: Membership, profile: LabProfile) -> None:
    user = membership.user
    user.full_name = profile.full_name.strip()
    user.phone = profile.phone.strip()
    user.email = profile.email.strip()
    user.save(update_fields=["full_name", "phone", "email"])
    if actor.user.pk == user.pk:
        # The actor's own user object (request.user) names the review record and the log: give it the new name.
        actor.user.full_name, actor.user.phone, actor.user.email = user.full_name, user.phone, user.email
    membership.department = profile.department
    membership.title = profile.title


def lab_profile_complete(*, actor: Actor, profile: LabProfile) -> Membership:
    """A teacher completes (or later corrects) the profile; the first completion opens the full menu."""
    membership = actor.membership
    if membership is None or not actor.has_role(Membership.Role.TEACHER) or selectors.university_of(actor) is None:
        raise PermissionDenied(_("Only a university's teachers complete a teacher profile."))
    _check_lab_department(actor.enterprise, profile.department, lab_required=False)
    with actor_scope(actor), transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        first = membership.profile_completed_at is None
        _apply_lab_profile(actor, membership, profile)
        if first:
            membership.profile_completed_at = timezone.now()
        membership.save(update_fields=["department", "title", "profile_completed_at"])
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.UPDATE,
            obj=membership,
            detail=("profile completed" if first else "profile updated") + f": {profile.department.name}",
        )
    # The request's actor carries the membership it was built with: keep it true for the rest of the request.
    actor.membership.profile_completed_at = membership.profile_completed_at
    actor.membership.department = membership.department
    return membership


def _check_supervisor(enterprise: Enterprise, student: User, supervisor: User) -> None:
    if supervisor.pk == student.pk or not selectors.university_teachers(enterprise).filter(user=supervisor).exists():
        raise ValidationError({"supervisor": [_("Choose an active teacher of your university.")]})


def _activation_request_notices(membership: Membership, resubmitted: bool) -> list[Notice]:
    name = membership.user.display_name
    title = (
        _("Student activation resubmitted: %(name)s") if resubmitted else _("Student activation request: %(name)s")
    ) % {"name": name}
    return [
        Notice(
            recipients=[membership.supervisor],
            title=title,
            body=_("%(name)s chose you as supervising teacher. Approve or reject the account activation.")
            % {"name": name},
            url=reverse("enterprises:student_activation", args=[membership.pk]),
        )
    ]


def student_activation_submit(*, actor: Actor, profile: LabProfile, supervisor: User) -> Membership:
    """A student completes the profile and asks the chosen supervising teacher to activate the account.

    First time (pending, no supervisor yet): a "submit" review record. After a rejection: the
    ``request_activation_again`` transition (a "resubmit" record), to the same or another teacher.
    """
    current = selectors.lab_student_membership(actor.user)
    if current is None or current.status not in (Membership.Status.PENDING, Membership.Status.REJECTED):
        raise PermissionDenied(_("You have no student account awaiting activation."))
    university = current.enterprise
    _check_lab_department(university, profile.department, lab_required=True)
    _check_supervisor(university, actor.user, supervisor)

    def apply(membership: Membership) -> None:
        _apply_lab_profile(actor, membership, profile)
        membership.supervisor = supervisor
        membership.profile_completed_at = timezone.now()

    if current.status == Membership.Status.REJECTED:
        return perform_transition(
            actor=actor,
            queryset=selectors.lab_student_queryset(actor.user).select_related("user"),
            pk=current.pk,
            transition="request_activation_again",
            node=Node.APPLICANT,
            node_name=profile.department.name,
            decision=Decision.RESUBMIT,
            before_save=apply,
            notices=lambda m: _activation_request_notices(m, resubmitted=True),
        )
    # Pending: only a first submission (no supervisor yet) is taken; a submitted request waits for its teacher.
    with scope(enterprise=[university.pk]), transaction.atomic():
        membership = review_engine.lock_subject(
            selectors.lab_student_queryset(actor.user).select_related("user"), current.pk
        )
        if membership.status != Membership.Status.PENDING or membership.supervisor_id is not None:
            raise review_engine.TransitionRefused(review_engine.already_decided_message(membership, "status"))
        apply(membership)
        membership.save()
        record_review(
            actor=actor,
            subject=membership,
            node=Node.APPLICANT,
            node_name=profile.department.name,
            decision=Decision.SUBMIT,
            to_state=membership.status,
        )
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.UPDATE,
            obj=membership,
            detail=f"activation requested from {supervisor.get_username()}",
        )
        for notice in _activation_request_notices(membership, resubmitted=False):
            notify(recipients=notice.recipients, title=notice.title, body=notice.body, url=notice.url)
    return membership


def _supervisor_unit(actor: Actor) -> str:
    department = actor.membership.department if actor.membership and actor.membership.department_id else None
    return department.name if department else (actor.enterprise.name if actor.enterprise else "")


def student_activation_approve(*, actor: Actor, membership_id: int, reason: str = "") -> Membership:
    """The supervising teacher activates the student's account."""

    def notices(membership: Membership) -> list[Notice]:
        return [
            Notice(
                recipients=[membership.user],
                title=_("Your account is activated"),
                body=_("%(teacher)s approved your activation. You can now use the platform.")
                % {"teacher": actor.display_name},
                url=reverse("home"),
            )
        ]

    return perform_transition(
        actor=actor,
        queryset=selectors.university_students(actor),
        pk=membership_id,
        transition="approve_activation",
        node=Node.SUPERVISOR,
        node_name=_supervisor_unit(actor),
        decision=Decision.APPROVE,
        reason=reason.strip(),
        check=lambda m: selectors.can_decide_activation(actor, m),
        notices=notices,
    )


def student_activation_reject(*, actor: Actor, membership_id: int, reason: str) -> Membership:
    """The supervising teacher refuses, with the reason; the student may choose again and resubmit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason: the student needs it to choose again.")]})

    def notices(membership: Membership) -> list[Notice]:
        return [
            Notice(
                recipients=[membership.user],
                title=_("Your activation was rejected"),
                body=_("Reason: %(reason)s. You may choose a supervising teacher again and resubmit.")
                % {"reason": reason.rstrip("。．.!！?？ ")},
                url=reverse("enterprises:lab_profile"),
            )
        ]

    return perform_transition(
        actor=actor,
        queryset=selectors.university_students(actor),
        pk=membership_id,
        transition="reject_activation",
        transition_kwargs={"reason": reason},
        node=Node.SUPERVISOR,
        node_name=_supervisor_unit(actor),
        decision=Decision.REJECT,
        reason=reason,
        check=lambda m: selectors.can_decide_activation(actor, m),
        notices=notices,
    )


def _fmt_limit(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.normalize():f}"


def lab_update(*, actor: Actor, lab_id: int, head: User | None, stock_limit: Decimal | None) -> Department:
    """Set a lab's head teacher and stock limit (university managers; a college administrator: its labs)."""
    stock_limit = None if stock_limit is None else Decimal(str(stock_limit))
    if stock_limit is not None and stock_limit < 0:
        raise ValidationError({"stock_limit": [_("The stock limit cannot be negative.")]})
    with actor_scope(actor), transaction.atomic():
        if selectors.university_of(actor) is None or not actor.can("labs.manage"):
            raise PermissionDenied(_("You may not manage labs."))
        lab = review_engine.lock_subject(selectors.university_labs(actor), lab_id)
        if not selectors.can_manage_lab(actor, lab):
            raise PermissionDenied(_("This lab belongs to another college."))
        if head is not None and head.pk != lab.head_id:
            if not selectors.lab_head_candidates(lab).filter(pk=head.pk).exists():
                raise ValidationError({"head": [_("Choose an active teacher of this lab's college.")]})
        changes = []
        if head != lab.head:
            changes.append(f"head: {lab.head or '—'} → {head or '—'}")
        if stock_limit != lab.stock_limit:
            changes.append(f"stock limit: {_fmt_limit(lab.stock_limit)} → {_fmt_limit(stock_limit)}")
        if not changes:
            return lab
        new_head = head is not None and head.pk != lab.head_id
        lab.head, lab.stock_limit = head, stock_limit
        lab.save(update_fields=["head", "stock_limit"])
        audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=lab, detail="; ".join(changes))
        if new_head:
            notify(
                recipients=[head],
                title=_("You are now the head of %(lab)s") % {"lab": lab.name},
                body=_("Purchase requests and requisitions of the lab come to you for the lab's review."),
                url=reverse("home"),
            )
    return lab


def _clear_lockout_on_commit(username: str) -> None:
    """A password set by an administrator also lifts a login lockout (django-axes): the person is usually
    locked out because they forgot the old one."""
    from axes.utils import reset

    transaction.on_commit(lambda: reset(username=username))
