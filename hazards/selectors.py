"""Scoped reads of dual prevention."""

from __future__ import annotations

# ==== area: risk ====
# isort: split
# Risk points (风险点库), the shared library, the import/export log, the enterprise risk grade and the site plan:
# the actor's own enterprise only (government reading of risk data belongs to the supervision side).
from django.db.models import Count as _RkCount  # noqa: E402
from django.db.models import Prefetch as _RkPrefetch  # noqa: E402
from django.db.models import QuerySet as _RkQuerySet  # noqa: E402

from enterprises.models import Department as _RkDepartment  # noqa: E402

from .models import ControlMeasure as _RkControlMeasure  # noqa: E402
from .models import EnterpriseRiskGrade as _RkEnterpriseRiskGrade  # noqa: E402
from .models import HazardFactor as _RkHazardFactor  # noqa: E402
from .models import RiskGrading as _RkRiskGrading  # noqa: E402
from .models import RiskList as _RkRiskList  # noqa: E402
from .models import RiskListItem as _RkRiskListItem  # noqa: E402
from .models import RiskPoint as _RkRiskPoint  # noqa: E402
from .models import SharedRiskPoint as _RkSharedRiskPoint  # noqa: E402
from .models import SitePlan as _RkSitePlan  # noqa: E402
from .models import TransferLog as _RkTransferLog  # noqa: E402


def _risk_enterprise_id(actor) -> int | None:
    if actor.enterprise is None or actor.membership is None or not actor.membership.is_active:
        return None
    return actor.enterprise.pk


def risk_may_view(actor) -> bool:
    from .features import RISK_POINTS_MANAGE, RISK_POINTS_VIEW

    return _risk_enterprise_id(actor) is not None and (actor.can(RISK_POINTS_VIEW) or actor.can(RISK_POINTS_MANAGE))


def risk_may_manage(actor) -> bool:
    from .features import RISK_POINTS_MANAGE

    return _risk_enterprise_id(actor) is not None and actor.can(RISK_POINTS_MANAGE)


def risk_points_for_actor(actor) -> _RkQuerySet[_RkRiskPoint]:
    """The actor's enterprise's risk points (nothing for anyone else: an outsider's id is a 404)."""
    enterprise_id = _risk_enterprise_id(actor)
    if enterprise_id is None:
        return _RkRiskPoint.objects.none()
    return _RkRiskPoint.objects.filter(enterprise_id=enterprise_id)


def risk_point_list(actor) -> _RkQuerySet[_RkRiskPoint]:
    """The library page: department and factor count in the same query (flat in the number of rows)."""
    return (
        risk_points_for_actor(actor)
        .select_related("department")
        .annotate(factor_count=_RkCount("factors", distinct=True))
    )


def risk_points_with_factors(queryset: _RkQuerySet[_RkRiskPoint]) -> _RkQuerySet[_RkRiskPoint]:
    """Points with their factors and measures prefetched in order (printables, export, detail)."""
    return queryset.select_related("department").prefetch_related(
        _RkPrefetch(
            "factors",
            queryset=_RkHazardFactor.objects.order_by("pk").prefetch_related(
                _RkPrefetch("measures", queryset=_RkControlMeasure.objects.order_by("pk"))
            ),
        )
    )


def risk_point_gradings(point: _RkRiskPoint) -> list[_RkRiskGrading]:
    return list(
        _RkRiskGrading.objects.filter(risk_point=point).select_related("graded_by").order_by("-graded_at", "-pk")
    )


def risk_departments(actor) -> _RkQuerySet[_RkDepartment]:
    """Departments a risk point may belong to: the actor's enterprise's."""
    enterprise_id = _risk_enterprise_id(actor)
    if enterprise_id is None:
        return _RkDepartment.objects.none()
    return _RkDepartment.objects.filter(enterprise_id=enterprise_id)


def risk_shared_points(actor, industry: str | None = None) -> _RkQuerySet[_RkSharedRiskPoint]:
    """The shared library for the actor's enterprise's industry (platform data: not tenant-scoped)."""
    if _risk_enterprise_id(actor) is None:
        return _RkSharedRiskPoint.objects.none()
    return _RkSharedRiskPoint.objects.filter(industry=industry or actor.enterprise.industry)


def risk_transfer_logs(actor) -> _RkQuerySet[_RkTransferLog]:
    enterprise_id = _risk_enterprise_id(actor)
    if enterprise_id is None:
        return _RkTransferLog.objects.none()
    return _RkTransferLog.objects.filter(enterprise_id=enterprise_id).select_related("user")


def risk_enterprise_grades(actor) -> _RkQuerySet[_RkEnterpriseRiskGrade]:
    """The enterprise risk grade history, latest first (the first row is the current grade)."""
    enterprise_id = _risk_enterprise_id(actor)
    if enterprise_id is None:
        return _RkEnterpriseRiskGrade.objects.none()
    return _RkEnterpriseRiskGrade.objects.filter(enterprise_id=enterprise_id).select_related("set_by")


def risk_site_plan(actor) -> _RkSitePlan | None:
    enterprise_id = _risk_enterprise_id(actor)
    if enterprise_id is None:
        return None
    return _RkSitePlan.objects.filter(enterprise_id=enterprise_id).first()


def risk_points_in_use(points) -> list[_RkRiskListItem]:
    """List entries that keep these points from being deleted: lists past their draft (under review or filed)."""
    return list(
        _RkRiskListItem.objects.filter(risk_point__in=points)
        .exclude(risk_list__status__in=(_RkRiskList.Status.DRAFT, _RkRiskList.Status.RETURNED))
        .select_related("risk_point", "risk_list")
        .order_by("risk_point__name", "risk_list__name")
    )


def risk_points_to_regrade(actor) -> _RkQuerySet[_RkRiskPoint] | None:
    """Inbox: points flagged for re-grading after a hazard on them was closed (for those who may grade)."""
    if not risk_may_manage(actor):
        return None
    return risk_points_for_actor(actor).filter(needs_regrading=True).order_by("updated_at", "pk")


# ==== area: lists ====
# isort: split
# Risk lists (风险清单) and inspections: scoped reads and who may take which step. Enterprise users read their own
# enterprise's; government users the lists sent to them for filing in their jurisdiction (the active scope).
from datetime import date as _LsDate  # noqa: E402
from typing import TYPE_CHECKING as _LS_TYPE_CHECKING  # noqa: E402

from django.contrib.contenttypes.models import ContentType as _LsContentType  # noqa: E402
from django.db.models import Exists as _LsExists  # noqa: E402
from django.db.models import OuterRef as _LsOuterRef  # noqa: E402
from django.db.models import Prefetch as _LsPrefetch  # noqa: E402
from django.db.models import Q as _LsQ  # noqa: E402
from django.db.models import QuerySet as _LsQuerySet  # noqa: E402

from approvals.models import ReviewRecord as _LsReviewRecord  # noqa: E402
from enterprises.models import Department as _LsDepartment  # noqa: E402
from enterprises.models import Membership as _LsMembership  # noqa: E402

from . import list_rules as _ls_rules  # noqa: E402
from .features import INSPECTIONS_PERFORM, RISK_LISTS_MANAGE, RISK_LISTS_REVIEW  # noqa: E402
from .models import ControlMeasure as _LsControlMeasure  # noqa: E402
from .models import Hazard as _LsHazard  # noqa: E402
from .models import HazardFactor as _LsHazardFactor  # noqa: E402
from .models import InspectionResult as _LsInspectionResult  # noqa: E402
from .models import InspectionTask as _LsInspectionTask  # noqa: E402
from .models import RiskList as _LsRiskList  # noqa: E402
from .models import RiskListItem as _LsRiskListItem  # noqa: E402
from .models import RiskPoint as _LsRiskPoint  # noqa: E402

if _LS_TYPE_CHECKING:
    from safety.actors import Actor

# Filing is decided by reviewers and administrators of the owning body or of a body above it.
RISK_LIST_FILING_ROLES = (_LsMembership.Role.REVIEWER, _LsMembership.Role.BODY_ADMIN)
# What the government sees: lists sent to it, and those it filed (drafts stay the enterprise's business).
RISK_LIST_GOV_STATUSES = (_LsRiskList.Status.FILING, _LsRiskList.Status.FILED)
# Roles told that a list awaits internal review (those the review feature defaults to).
RISK_LIST_REVIEWER_ROLES = (_LsMembership.Role.ENTERPRISE_ADMIN, _LsMembership.Role.SAFETY_MANAGER)
_LS_LIST_RELATED = ("department", "enterprise", "enterprise__owning_body")


def _ls_member(actor: Actor) -> bool:
    return actor.enterprise is not None and actor.membership is not None and actor.membership.is_active


def risk_list_may_view(actor: Actor) -> bool:
    return _ls_member(actor) and any(actor.can(f) for f in (RISK_LISTS_MANAGE, RISK_LISTS_REVIEW, INSPECTIONS_PERFORM))


def risk_list_may_manage(actor: Actor) -> bool:
    return _ls_member(actor) and actor.can(RISK_LISTS_MANAGE)


def risk_list_may_review(actor: Actor) -> bool:
    return _ls_member(actor) and actor.can(RISK_LISTS_REVIEW)


def risk_list_may_file(actor: Actor, risk_list: _LsRiskList) -> bool:
    body = actor.body
    if body is None or not actor.has_role(*RISK_LIST_FILING_ROLES):
        return False
    owning = risk_list.enterprise.owning_body
    return owning.pk == body.pk or owning.path.startswith(body.path)


def inspection_may_perform(actor: Actor) -> bool:
    return _ls_member(actor) and actor.can(INSPECTIONS_PERFORM)


def risk_lists_for_enterprise(actor: Actor) -> _LsQuerySet[_LsRiskList]:
    """The actor's own enterprise's lists (nothing for those without a list feature)."""
    if not risk_list_may_view(actor):
        return _LsRiskList.objects.none()
    return _LsRiskList.objects.filter(enterprise_id=actor.enterprise.pk).select_related(*_LS_LIST_RELATED)


def risk_lists_for_government(actor: Actor) -> _LsQuerySet[_LsRiskList]:
    """Lists of the jurisdiction (the active scope) sent for filing, filed, or returned after they had been sent
    (the body keeps seeing what it returned; and a filing that loses the race to a return is refused with who
    decided, not a 404)."""
    if actor.body is None or not actor.membership.is_active:
        return _LsRiskList.objects.none()
    # Correlated on the subject: the outer query is already scoped, so the plain manager is enough here.
    sent = _LsReviewRecord._base_manager.filter(
        subject_type=_LsContentType.objects.get_for_model(_LsRiskList),
        subject_id=_LsOuterRef("pk"),
        to_state=_LsRiskList.Status.FILING,
    )
    return _LsRiskList.objects.filter(
        _LsQ(status__in=RISK_LIST_GOV_STATUSES) | _LsQ(status=_LsRiskList.Status.RETURNED) & _LsExists(sent)
    ).select_related(*_LS_LIST_RELATED, "enterprise__region")


def risk_lists_for_actor(actor: Actor) -> _LsQuerySet[_LsRiskList]:
    """Either side's lists: for pages both read (the preview and the PDF)."""
    return risk_lists_for_government(actor) if actor.body is not None else risk_lists_for_enterprise(actor)


def risk_list_items(risk_list: _LsRiskList) -> list[_LsRiskListItem]:
    """The list's points with their factors and measures: four queries, whatever the size."""
    factors = _LsHazardFactor.objects.filter(enterprise_id=risk_list.enterprise_id).prefetch_related(
        _LsPrefetch("measures", queryset=_LsControlMeasure.objects.filter(enterprise_id=risk_list.enterprise_id))
    )
    return list(
        _LsRiskListItem.objects.filter(risk_list_id=risk_list.pk, enterprise_id=risk_list.enterprise_id)
        .select_related("risk_point", "risk_point__department")
        .prefetch_related(_LsPrefetch("risk_point__factors", queryset=factors))
    )


def risk_list_point_choices(actor: Actor) -> _LsQuerySet[_LsRiskPoint]:
    """The enterprise's risk point library, as list items are chosen from it."""
    if actor.enterprise is None:
        return _LsRiskPoint.objects.none()
    return _LsRiskPoint.objects.filter(enterprise_id=actor.enterprise.pk).select_related("department")


def risk_list_department_choices(actor: Actor) -> _LsQuerySet[_LsDepartment]:
    if actor.enterprise is None:
        return _LsDepartment.objects.none()
    return _LsDepartment.objects.filter(enterprise_id=actor.enterprise.pk)


def risk_list_reviewers(enterprise_id: int) -> list:
    return [
        m.user
        for m in _LsMembership.objects.filter(
            enterprise_id=enterprise_id, role__in=RISK_LIST_REVIEWER_ROLES, status=_LsMembership.Status.ACTIVE
        ).select_related("user")
    ]


def risk_lists_awaiting_review(actor: Actor) -> _LsQuerySet[_LsRiskList] | None:
    """The inbox of an enterprise reviewer: lists submitted for internal review."""
    if not risk_list_may_review(actor):
        return None
    return (
        _LsRiskList.objects.filter(enterprise_id=actor.enterprise.pk, status=_LsRiskList.Status.SUBMITTED)
        .select_related("department")
        .order_by("created_at", "pk")
    )


def risk_lists_awaiting_filing(actor: Actor) -> _LsQuerySet[_LsRiskList] | None:
    """The inbox of an owning body's reviewer: lists sent to it for filing (bodies above see them in their lists,
    not as their to-do, as with registrations)."""
    if actor.body is None or not actor.has_role(*RISK_LIST_FILING_ROLES):
        return None
    return (
        _LsRiskList.objects.filter(status=_LsRiskList.Status.FILING, enterprise__owning_body=actor.body)
        .select_related("enterprise")
        .order_by("created_at", "pk")
    )


# -- Inspections ----------------------------------------------------------------------------------------------


def inspection_tasks_for_enterprise(actor: Actor) -> _LsQuerySet[_LsInspectionTask]:
    if not risk_list_may_view(actor):
        return _LsInspectionTask.objects.none()
    return _LsInspectionTask.objects.filter(enterprise_id=actor.enterprise.pk).select_related(
        "risk_list", "risk_list__department", "risk_point", "done_by"
    )


def inspection_point_by_token(actor: Actor, qr_token: str) -> _LsRiskPoint | None:
    """The point a QR code names, if it is the actor's own enterprise's (anyone else: None, shown as 404)."""
    if actor.enterprise is None or not qr_token:
        return None
    return (
        _LsRiskPoint.objects.filter(enterprise_id=actor.enterprise.pk, qr_token=qr_token)
        .select_related("department")
        .first()
    )


def inspection_due_tasks(point: _LsRiskPoint, today: _LsDate) -> list[_LsInspectionTask]:
    """The point's checks open today, of its filed lists: earliest slot first."""
    return list(
        _LsInspectionTask.objects.filter(
            enterprise_id=point.enterprise_id,
            risk_point_id=point.pk,
            status=_LsInspectionTask.Status.DUE,
            risk_list__status=_LsRiskList.Status.FILED,
            period_start__lte=today,
            period_end__gte=today,
        )
        .select_related("risk_list")
        .order_by("period_end", "risk_list__name", "risk_list_id", "slot")
    )


def inspection_next_due(point: _LsRiskPoint, today: _LsDate) -> _LsDate | None:
    """When the point next comes due on one of its filed lists (None: it is on no filed list)."""
    lists = _LsRiskList.objects.filter(
        enterprise_id=point.enterprise_id, status=_LsRiskList.Status.FILED, items__risk_point_id=point.pk
    ).values_list("frequency", "workdays_only")
    days = [_ls_rules.next_due_date(frequency, workdays_only, today) for frequency, workdays_only in lists]
    return min(days) if days else None


def inspection_measures(point: _LsRiskPoint) -> list[_LsControlMeasure]:
    """The checklist items of a point: its control measures, factor by factor."""
    return list(
        _LsControlMeasure.objects.filter(enterprise_id=point.enterprise_id, factor__risk_point_id=point.pk)
        .select_related("factor")
        .order_by("factor_id", "pk")
    )


def inspection_results(task: _LsInspectionTask) -> list[_LsInspectionResult]:
    return list(_LsInspectionResult.objects.filter(enterprise_id=task.enterprise_id, task_id=task.pk).order_by("pk"))


def inspection_task_hazards(task: _LsInspectionTask) -> list:
    """Hazards registered from this check (the hazards area sets Hazard.inspection_task)."""
    return list(_LsHazard.objects.filter(enterprise_id=task.enterprise_id, inspection_task_id=task.pk).order_by("pk"))


# ==== area: hazards ====
# isort: split
# Hidden hazards: scoped reads, and who may take which step. Every predicate takes a hazard the actor already
# reached through hazards_for_actor (its scope), so jurisdiction is settled before these run.
from dataclasses import dataclass as _hz_dataclass  # noqa: E402
from typing import TYPE_CHECKING as _HZ_TYPE_CHECKING  # noqa: E402

from django.db.models import Q as _HzQ  # noqa: E402
from django.db.models import QuerySet as _HzQuerySet  # noqa: E402

from enterprises.models import Enterprise as _HzEnterprise  # noqa: E402
from enterprises.models import Membership as _HzMembership  # noqa: E402
from enterprises.models import User as _HzUser  # noqa: E402

from .features import HAZARD_RECTIFY, HAZARD_REGISTER, HAZARD_REVIEW, HAZARD_VIEW  # noqa: E402
from .models import Hazard, HazardPhoto, SupervisedListing  # noqa: E402

if _HZ_TYPE_CHECKING:
    from safety.actors import Actor

_HZ_ROLE = _HzMembership.Role
# Government: reviewers and body administrators decide; inspectors register what they find on inspection.
HAZARD_GOV_REVIEW_ROLES = (_HZ_ROLE.REVIEWER, _HZ_ROLE.BODY_ADMIN)
HAZARD_GOV_INSPECT_ROLES = (_HZ_ROLE.REVIEWER, _HZ_ROLE.BODY_ADMIN, _HZ_ROLE.INSPECTOR)
# Enterprise people told about hazards that have no person responsible, or that went overdue.
HAZARD_ENTERPRISE_MANAGER_ROLES = (_HZ_ROLE.ENTERPRISE_ADMIN, _HZ_ROLE.SAFETY_MANAGER, _HZ_ROLE.LAB_SAFETY_OFFICER)
HAZARD_ENTERPRISE_REVIEW_ROLES = (_HZ_ROLE.ENTERPRISE_ADMIN, _HZ_ROLE.SAFETY_MANAGER)
HAZARD_AWAITING_REVIEW = (Hazard.Status.REPORTED, Hazard.Status.EXTENSION_REQUESTED)
HAZARD_TO_RECTIFY = (Hazard.Status.REGISTERED, Hazard.Status.RECTIFYING)
_HAZARD_RELATED = (
    "enterprise",
    "enterprise__owning_body",
    "department",
    "responsible_user",
    "registered_by_body",
)


def _hz_member_of(actor: Actor, enterprise_id: int) -> bool:
    return (
        actor.enterprise is not None
        and actor.membership is not None
        and actor.membership.is_active
        and actor.enterprise.pk == enterprise_id
    )


def _hz_covers(body, other) -> bool:
    """Is ``other`` (a body, or None) this body or one below it?"""
    return other is not None and other.path.startswith(body.path)


def _hz_gov(actor: Actor, roles: tuple[str, ...]) -> bool:
    return actor.body is not None and actor.has_role(*roles)


def hazards_for_actor(actor: Actor) -> _HzQuerySet[Hazard]:
    """Hazards the actor may open: its own enterprise's (with the view feature), or its jurisdiction's (the active
    scope). Build it inside the actor's scope (services do: see hazards.services)."""
    if actor.enterprise is not None:
        if not (actor.membership.is_active and actor.can(HAZARD_VIEW)):
            return Hazard.objects.none()
        return Hazard.objects.filter(enterprise_id=actor.enterprise.pk).select_related(*_HAZARD_RELATED)
    if actor.body is not None and actor.membership.is_active:
        return Hazard.objects.select_related(*_HAZARD_RELATED)
    return Hazard.objects.none()


def hazard_photos_for_actor(actor: Actor) -> _HzQuerySet[HazardPhoto]:
    return HazardPhoto.objects.filter(hazard__in=hazards_for_actor(actor).values("pk"))


def hazard_photos_of(hazard: Hazard) -> list[HazardPhoto]:
    return list(HazardPhoto.objects.filter(hazard_id=hazard.pk, enterprise_id=hazard.enterprise_id))


def hazard_listing(hazard: Hazard) -> SupervisedListing | None:
    return SupervisedListing.objects.filter(hazard_id=hazard.pk).select_related("body").first()


def hazard_enterprises_for_inspection(actor: Actor) -> _HzQuerySet[_HzEnterprise]:
    """Enterprises a government user may register an inspection finding against: approved ones of its
    jurisdiction (the active scope) that are not deleted."""
    if not _hz_gov(actor, HAZARD_GOV_INSPECT_ROLES):
        return _HzEnterprise.objects.none()
    return _HzEnterprise.objects.filter(status=_HzEnterprise.Status.APPROVED, deleted_at__isnull=True).order_by("name")


def hazard_responsible_choices(enterprise_id: int) -> _HzQuerySet[_HzUser]:
    """Active accounts of one enterprise: who may be made responsible for its hazard."""
    return (
        _HzUser.objects.filter(
            memberships__enterprise_id=enterprise_id, memberships__status=_HzMembership.Status.ACTIVE
        )
        .distinct()
        .order_by("full_name", "username")
    )


# -- Who may do what ------------------------------------------------------------------------------------------


def hazard_may_register(actor: Actor) -> bool:
    if actor.enterprise is not None:
        # A soft-deleted enterprise's people see nothing, and register nothing either.
        return actor.membership.is_active and actor.enterprise.deleted_at is None and actor.can(HAZARD_REGISTER)
    return _hz_gov(actor, HAZARD_GOV_INSPECT_ROLES)


def hazard_may_review(actor: Actor, hazard: Hazard) -> bool:
    """Who reviews (DOMAIN.md): the government for major hazards and for every hazard a body registered —
    reviewers and administrators of the owning body, of the registering body, or of a body above either; the
    enterprise (its reviewers) for its own general hazards. Each side is refused the other's."""
    if hazard.government_reviews:
        if not _hz_gov(actor, HAZARD_GOV_REVIEW_ROLES):
            return False
        return _hz_covers(actor.body, hazard.enterprise.owning_body) or _hz_covers(
            actor.body, hazard.registered_by_body
        )
    return _hz_member_of(actor, hazard.enterprise_id) and actor.can(HAZARD_REVIEW)


def hazard_may_rectify(actor: Actor, hazard: Hazard) -> bool:
    """Report rectification and request an extension: the enterprise rectifies, whoever registered the hazard —
    its person responsible, or anyone with the rectify feature."""
    if not _hz_member_of(actor, hazard.enterprise_id):
        return False
    return hazard.responsible_user_id == actor.user.pk or actor.can(HAZARD_RECTIFY)


def hazard_may_edit(actor: Actor, hazard: Hazard) -> bool:
    """Edit or delete (while registered): a body's finding by that body (or one above it); the enterprise's own
    by its registrant or anyone with the rectify feature."""
    if hazard.registered_by_body_id is not None:
        return _hz_gov(actor, HAZARD_GOV_INSPECT_ROLES) and _hz_covers(actor.body, hazard.registered_by_body)
    if not _hz_member_of(actor, hazard.enterprise_id):
        return False
    return hazard.registered_by_id == actor.user.pk or actor.can(HAZARD_RECTIFY)


def hazard_may_list(actor: Actor, hazard: Hazard) -> bool:
    return _hz_gov(actor, HAZARD_GOV_REVIEW_ROLES) and hazard.level == Hazard.Level.MAJOR


def hazard_may_request_delisting(actor: Actor, hazard: Hazard) -> bool:
    return _hz_member_of(actor, hazard.enterprise_id) and actor.can(HAZARD_RECTIFY)


def hazard_may_decide_delisting(actor: Actor, listing: SupervisedListing) -> bool:
    return _hz_gov(actor, HAZARD_GOV_REVIEW_ROLES) and _hz_covers(actor.body, listing.body)


@_hz_dataclass(frozen=True)
class HazardActions:
    """What the actor may do to a hazard now (the detail page shows exactly these)."""

    report: bool = False
    review: bool = False
    request_extension: bool = False
    review_extension: bool = False
    edit: bool = False
    supervise: bool = False
    request_delisting: bool = False
    decide_delisting: bool = False
    # Open, past its deadline, not yet marked overdue by the sweep: nothing to report any more.
    deadline_passed: bool = False

    @property
    def any(self) -> bool:
        return any(
            (
                self.report,
                self.review,
                self.request_extension,
                self.review_extension,
                self.edit,
                self.supervise,
                self.request_delisting,
                self.decide_delisting,
            )
        )


def hazard_actions(actor: Actor, hazard: Hazard, listing: SupervisedListing | None) -> HazardActions:
    S = Hazard.Status
    status = hazard.status
    past = hazard.is_past_deadline
    has_extension = status == S.OVERDUE and hazard_has_extension(hazard)
    return HazardActions(
        report=status in HAZARD_TO_RECTIFY and not past and hazard_may_rectify(actor, hazard),
        review=status == S.REPORTED and hazard_may_review(actor, hazard),
        request_extension=status == S.OVERDUE and not has_extension and hazard_may_rectify(actor, hazard),
        review_extension=status == S.EXTENSION_REQUESTED and hazard_may_review(actor, hazard),
        edit=status == S.REGISTERED and not past and hazard_may_edit(actor, hazard),
        supervise=listing is None and status != S.CLOSED and hazard_may_list(actor, hazard),
        request_delisting=(
            listing is not None
            and listing.status == SupervisedListing.Status.LISTED
            and status == S.CLOSED
            and hazard_may_request_delisting(actor, hazard)
        ),
        decide_delisting=(
            listing is not None
            and listing.status == SupervisedListing.Status.DELISTING_REQUESTED
            and hazard_may_decide_delisting(actor, listing)
        ),
        deadline_passed=status in Hazard.OPEN_STATES and past,
    )


def hazard_has_extension(hazard: Hazard) -> bool:
    from .models import ExtensionRequest

    return ExtensionRequest.objects.filter(hazard_id=hazard.pk).exists()


# -- Queues -----------------------------------------------------------------------------------------------------


def hazards_awaiting_enterprise_review(actor: Actor) -> _HzQuerySet[Hazard] | None:
    """The enterprise's general hazards it registered itself, awaiting its decision (report or extension)."""
    if actor.enterprise is None or not (actor.membership.is_active and actor.can(HAZARD_REVIEW)):
        return None
    return hazards_for_actor(actor).filter(
        status__in=HAZARD_AWAITING_REVIEW, level=Hazard.Level.GENERAL, registered_by_body__isnull=True
    )


def _hz_government_reviews_q() -> _HzQ:
    return _HzQ(level=Hazard.Level.MAJOR) | _HzQ(registered_by_body__isnull=False)


def hazards_awaiting_government_review(actor: Actor, *, own_body_only: bool = False) -> _HzQuerySet[Hazard] | None:
    """Hazards awaiting a decision this government user may take: those of enterprises its body owns or that it
    registered — or, with ``own_body_only=False``, of any body below it too (the to-do inbox shows the body's own
    queue; the list shows everything it may decide)."""
    if not _hz_gov(actor, HAZARD_GOV_REVIEW_ROLES):
        return None
    body = actor.body
    if own_body_only:
        mine = _HzQ(enterprise__owning_body_id=body.pk) | _HzQ(registered_by_body_id=body.pk)
    else:
        mine = _HzQ(enterprise__owning_body__path__startswith=body.path) | _HzQ(
            registered_by_body__path__startswith=body.path
        )
    return hazards_for_actor(actor).filter(_hz_government_reviews_q(), mine, status__in=HAZARD_AWAITING_REVIEW)


def hazards_awaiting_government_review_in_jurisdiction(actor: Actor) -> _HzQuerySet[Hazard]:
    """Every hazard of the jurisdiction awaiting a government decision (for read-only roles)."""
    if actor.body is None:
        return Hazard.objects.none()
    return hazards_for_actor(actor).filter(_hz_government_reviews_q(), status__in=HAZARD_AWAITING_REVIEW)


def delistings_awaiting_decision(actor: Actor, *, own_body_only: bool = False) -> _HzQuerySet[SupervisedListing] | None:
    if not _hz_gov(actor, HAZARD_GOV_REVIEW_ROLES):
        return None
    qs = SupervisedListing.objects.filter(status=SupervisedListing.Status.DELISTING_REQUESTED)
    if own_body_only:
        return qs.filter(body_id=actor.body.pk).select_related("hazard")
    return qs.filter(body__path__startswith=actor.body.path).select_related("hazard")


def hazards_to_rectify_by(actor: Actor) -> _HzQuerySet[Hazard] | None:
    """The actor's own hazards (person responsible) that await rectification."""
    if actor.enterprise is None or not actor.membership.is_active:
        return None
    return hazards_for_actor(actor).filter(responsible_user_id=actor.user.pk, status__in=HAZARD_TO_RECTIFY)


def hazards_overdue_extendable(actor: Actor) -> _HzQuerySet[Hazard] | None:
    """Overdue hazards whose one extension request is still unused, for those who may request it."""
    if actor.enterprise is None or not actor.membership.is_active:
        return None
    qs = hazards_for_actor(actor).filter(status=Hazard.Status.OVERDUE, extension__isnull=True)
    if actor.can(HAZARD_RECTIFY):
        return qs
    return qs.filter(responsible_user_id=actor.user.pk)


# -- Who is told ------------------------------------------------------------------------------------------------


def _hz_users(memberships) -> list[_HzUser]:
    return [m.user for m in memberships.select_related("user").order_by("pk")]


def hazard_enterprise_reviewers(enterprise_id: int) -> list[_HzUser]:
    """Who reviews an enterprise's general hazards: its administrators and safety managers, and anyone whose
    custom role grants the review feature."""
    return _hz_users(
        _HzMembership.objects.filter(enterprise_id=enterprise_id, status=_HzMembership.Status.ACTIVE)
        .filter(
            _HzQ(role__in=HAZARD_ENTERPRISE_REVIEW_ROLES) | _HzQ(custom_roles__permissions__contains=[HAZARD_REVIEW])
        )
        .distinct()
    )


def hazard_government_reviewers(hazard: Hazard) -> list[_HzUser]:
    """The reviewers of the owning body (and of the registering body, when a body registered the hazard)."""
    bodies = {hazard.enterprise.owning_body_id, hazard.registered_by_body_id} - {None}
    return _hz_users(
        _HzMembership.objects.filter(
            body_id__in=bodies, role__in=HAZARD_GOV_REVIEW_ROLES, status=_HzMembership.Status.ACTIVE
        )
    )


def hazard_reviewers(hazard: Hazard) -> list[_HzUser]:
    if hazard.government_reviews:
        return hazard_government_reviewers(hazard)
    return hazard_enterprise_reviewers(hazard.enterprise_id)


def hazard_enterprise_managers(enterprise_id: int) -> list[_HzUser]:
    return _hz_users(
        _HzMembership.objects.filter(
            enterprise_id=enterprise_id, role__in=HAZARD_ENTERPRISE_MANAGER_ROLES, status=_HzMembership.Status.ACTIVE
        )
    )


def hazard_rectifiers(hazard: Hazard) -> list:
    """The people who must act on a hazard's rectification: its person responsible and whoever reported it last;
    the enterprise's managers when nobody is named."""
    people = [u for u in (hazard.responsible_user, hazard.rectified_by) if u is not None]
    if hazard.registered_by is not None and hazard.registered_by_body_id is None:
        people.append(hazard.registered_by)
    return people or hazard_enterprise_managers(hazard.enterprise_id)


def delisting_deciders(listing: SupervisedListing) -> list[_HzUser]:
    return _hz_users(
        _HzMembership.objects.filter(
            body_id=listing.body_id, role__in=HAZARD_GOV_REVIEW_ROLES, status=_HzMembership.Status.ACTIVE
        )
    )


# ==== area: supervision ====
# isort: split
# Government supervision: the jurisdiction's hazard queues and figures, summary reports up the body tree, random
# samples and the differentiated-supervision lists of enterprises. Hazards and enterprises are read in the actor's
# scope (its jurisdiction: build these inside it); reports and samples belong to bodies and are filtered by body.
from datetime import date as _sv_date  # noqa: E402
from datetime import datetime as _sv_datetime  # noqa: E402
from datetime import timedelta as _sv_timedelta  # noqa: E402
from typing import TYPE_CHECKING as _SV_TYPE_CHECKING  # noqa: E402

from django.core.exceptions import PermissionDenied as _SvPermissionDenied  # noqa: E402
from django.db.models import Count as _SvCount  # noqa: E402
from django.db.models import Exists as _SvExists  # noqa: E402
from django.db.models import IntegerField as _SvIntegerField  # noqa: E402
from django.db.models import Max as _SvMax  # noqa: E402
from django.db.models import OuterRef as _SvOuterRef  # noqa: E402
from django.db.models import Q as _SvQ  # noqa: E402
from django.db.models import QuerySet as _SvQuerySet  # noqa: E402
from django.db.models import Subquery as _SvSubquery  # noqa: E402
from django.db.models.functions import Coalesce as _SvCoalesce  # noqa: E402
from django.utils import timezone as _sv_timezone  # noqa: E402
from django.utils.translation import gettext as _sv_  # noqa: E402

from enterprises.models import Enterprise as _SvEnterprise  # noqa: E402
from enterprises.models import IndustryCategory as _SvIndustry  # noqa: E402
from enterprises.models import Membership as _SvMembership  # noqa: E402
from enterprises.models import SupervisoryBody as _SvBody  # noqa: E402

from .models import EnterpriseSample, SummaryReport  # noqa: E402
from .models import Hazard as _SvHazard  # noqa: E402
from .models import SupervisedListing as _SvListing  # noqa: E402
from .supervision import found_between as _sv_found_between  # noqa: E402

if _SV_TYPE_CHECKING:
    from safety.actors import Actor

_SV_ROLE = _SvMembership.Role
# Build, rebuild and report a body's summary table: its reviewers and administrators (leaders only read).
SUPERVISION_REPORT_ROLES = (_SV_ROLE.REVIEWER, _SV_ROLE.BODY_ADMIN)
# Draw a random sample of enterprises for inspection: whoever plans inspections.
SUPERVISION_SAMPLE_ROLES = (_SV_ROLE.REVIEWER, _SV_ROLE.BODY_ADMIN, _SV_ROLE.INSPECTOR)

SUPERVISION_QUEUE_TABS = ("major", "general", "overdue", "listed", "review")
SUPERVISION_LISTED_STATES = (_SvListing.Status.LISTED, _SvListing.Status.DELISTING_REQUESTED)
# Still to be rectified: every state but closed (overdue and awaiting an extension included).
SUPERVISION_NOT_CLOSED = _SvQ(status__in=[s for s in _SvHazard.Status.values if s != _SvHazard.Status.CLOSED])


def supervision_government_only(actor: Actor) -> None:
    """Government pages: a 403 for everyone else (enterprise users, inactive body members)."""
    if actor.body is None or not actor.membership.is_active:
        raise _SvPermissionDenied(_sv_("This page is for government users."))


def supervision_may_report(actor: Actor) -> bool:
    return actor.body is not None and actor.has_role(*SUPERVISION_REPORT_ROLES)


def supervision_may_sample(actor: Actor) -> bool:
    return actor.body is not None and actor.has_role(*SUPERVISION_SAMPLE_ROLES)


def supervision_parent_body(body: _SvBody) -> _SvBody | None:
    """The body a summary is reported to (None for a root body). By path: the node's cached parent may be stale."""
    if body.depth <= 1:
        return None
    return _SvBody.objects.filter(path=body.path[: (body.depth - 1) * _SvBody.steplen]).first()


def supervision_overdue_q(now: _sv_datetime | None = None) -> _SvQ:
    """Overdue: marked so (or awaiting the one extension), or open and past the deadline before the sweep ran."""
    now = now or _sv_timezone.now()
    return _SvQ(status__in=(_SvHazard.Status.OVERDUE, _SvHazard.Status.EXTENSION_REQUESTED)) | _SvQ(
        status__in=_SvHazard.OPEN_STATES, deadline__lt=now
    )


def supervision_government_review_q() -> _SvQ:
    """_SvHazard.government_reviews, awaiting a decision (a rectification report or the extension request)."""
    return (_SvQ(level=_SvHazard.Level.MAJOR) | _SvQ(registered_by_body__isnull=False)) & _SvQ(
        status__in=(_SvHazard.Status.REPORTED, _SvHazard.Status.EXTENSION_REQUESTED)
    )


def supervision_hazards(actor: Actor) -> _SvQuerySet[_SvHazard]:
    """Every hazard of the jurisdiction (the active scope), for figures and queues."""
    supervision_government_only(actor)
    return _SvHazard.objects.all()


def supervision_queue(actor: Actor, tab: str, *, now: _sv_datetime | None = None) -> _SvQuerySet[_SvHazard]:
    """One government queue of the jurisdiction, newest found first (the keyset order)."""
    qs = supervision_hazards(actor).select_related("enterprise", "enterprise__region")
    if tab == "major":
        qs = qs.filter(level=_SvHazard.Level.MAJOR)
    elif tab == "general":
        qs = qs.filter(level=_SvHazard.Level.GENERAL)
    elif tab == "overdue":
        qs = qs.filter(supervision_overdue_q(now))
    elif tab == "listed":
        qs = qs.filter(listing__status__in=SUPERVISION_LISTED_STATES).select_related("listing", "listing__body")
    elif tab == "review":
        qs = qs.filter(supervision_government_review_q())
    else:
        raise ValueError(f"unknown queue {tab!r}")
    return qs.order_by("-found_at", "-pk")


# -- Enterprises of the jurisdiction (differentiated supervision) ---------------------------------------------------


def supervision_enterprises(actor: Actor) -> _SvQuerySet[_SvEnterprise]:
    """Approved, not deleted enterprises of the jurisdiction (the active scope)."""
    supervision_government_only(actor)
    return (
        _SvEnterprise.objects.filter(status=_SvEnterprise.Status.APPROVED, deleted_at__isnull=True)
        .select_related("region", "owning_body")
        .order_by("name", "pk")
    )


def _sv_open_major(enterprise_ref="pk"):
    return _SvHazard.objects.filter(
        SUPERVISION_NOT_CLOSED, enterprise_id=_SvOuterRef(enterprise_ref), level=_SvHazard.Level.MAJOR
    )


KEY_ENTERPRISE_REASONS = ("major_source", "hazardous_chemicals", "open_major")


def key_enterprise_reason_q(reason: str) -> _SvQ:
    """One reason to be a key enterprise, over key_enterprises() rows (which carry the open-major alias)."""
    return {
        "major_source": _SvQ(has_major_hazard_source=True),
        "hazardous_chemicals": _SvQ(industry=_SvIndustry.HAZARDOUS_CHEMICALS),
        "open_major": _SvQ(_sv_has_open_major=True),
    }[reason]


def key_enterprises(actor: Actor, reason: str = "") -> _SvQuerySet[_SvEnterprise]:
    """重点企业: a major hazard source, the hazardous-chemicals industry, or major hazards not yet closed — one of
    them (``reason``) or any. Each row carries its number of open major hazards (a per-row subquery: computed for
    the rows shown, not for the whole jurisdiction)."""
    qs = supervision_enterprises(actor).alias(_sv_has_open_major=_SvExists(_sv_open_major()))
    if reason in KEY_ENTERPRISE_REASONS:
        qs = qs.filter(key_enterprise_reason_q(reason))
    else:
        any_reason = _SvQ()
        for each in KEY_ENTERPRISE_REASONS:
            any_reason |= key_enterprise_reason_q(each)
        qs = qs.filter(any_reason)
    counted = _sv_open_major().order_by().values("enterprise_id").annotate(n=_SvCount("pk")).values("n")
    return qs.annotate(open_major=_SvCoalesce(_SvSubquery(counted, output_field=_SvIntegerField()), 0))


def zero_hazard_enterprises(actor: Actor, start: _sv_date, end: _sv_date) -> _SvQuerySet[_SvEnterprise]:
    """Enterprises that reported no hazard found in start..end (local days): none registered by the enterprise
    itself (a body's inspection findings are not the enterprise's own reporting). Each row carries when it last
    reported one."""
    own = _SvHazard.objects.filter(enterprise_id=_SvOuterRef("pk"), registered_by_body__isnull=True)
    last = own.order_by("-found_at").values("found_at")[:1]
    return (
        supervision_enterprises(actor)
        .filter(~_SvExists(_sv_found_between(own, start, end)))
        .annotate(last_reported_at=_SvSubquery(last))
    )


def inactive_enterprises(actor: Actor, days: int, *, now: _sv_datetime | None = None) -> _SvQuerySet[_SvEnterprise]:
    """Enterprises not using the system: no login by any of their active accounts in the last ``days`` days (the
    accounts' last_login, which Django sets on every login). Each row carries its latest login (None: never)."""
    since = (now or _sv_timezone.now()) - _sv_timedelta(days=days)
    accounts = _SvMembership.objects.filter(enterprise_id=_SvOuterRef("pk"), status=_SvMembership.Status.ACTIVE)
    latest = accounts.order_by().values("enterprise_id").annotate(m=_SvMax("user__last_login")).values("m")
    return (
        supervision_enterprises(actor)
        .filter(~_SvExists(accounts.filter(user__last_login__gte=since)))
        .annotate(last_login=_SvSubquery(latest))
    )


# -- Summary reports and samples (owned by bodies) ------------------------------------------------------------------


def summary_reports_own(actor: Actor) -> _SvQuerySet[SummaryReport]:
    supervision_government_only(actor)
    return SummaryReport.objects.filter(body_id=actor.body.pk).select_related("body", "reported_by")


def summary_reports_received(actor: Actor) -> _SvQuerySet[SummaryReport]:
    """Reports the bodies directly below the actor's have reported up to it."""
    supervision_government_only(actor)
    body = actor.body
    return SummaryReport.objects.filter(
        body__path__startswith=body.path, body__depth=body.depth + 1, reported_at__isnull=False
    ).select_related("body", "reported_by")


def summary_reports_for_actor(actor: Actor) -> _SvQuerySet[SummaryReport]:
    """What a body may open: its own reports (drafts included) and those reported up to it. Others: none (404)."""
    if actor.body is None or not actor.membership.is_active:
        return SummaryReport.objects.none()
    body = actor.body
    received = _SvQ(body__path__startswith=body.path, body__depth=body.depth + 1, reported_at__isnull=False)
    return SummaryReport.objects.filter(_SvQ(body_id=body.pk) | received).select_related(
        "body", "body__region", "reported_by"
    )


def samples_for_actor(actor: Actor) -> _SvQuerySet[EnterpriseSample]:
    """Samples drawn by the actor's body or a body below it. Others: none (404)."""
    if actor.body is None or not actor.membership.is_active:
        return EnterpriseSample.objects.none()
    return EnterpriseSample.objects.filter(body__path__startswith=actor.body.path).select_related("body", "drawn_by")


def sample_candidates(body: _SvBody, criteria: dict) -> list[int]:
    """Ids of the enterprises a sample is drawn from: approved, not deleted, in the body's jurisdiction, matching
    the criteria (industry, size class, region subtree), ordered by id. Read across tenants on purpose: the same
    body's jurisdiction whoever re-checks the draw (the body itself or one above it)."""
    from enterprises.models import Region

    qs = _SvEnterprise.unscoped.in_jurisdiction(body).filter(
        status=_SvEnterprise.Status.APPROVED, deleted_at__isnull=True
    )
    if criteria.get("industry"):
        qs = qs.filter(industry=criteria["industry"])
    if criteria.get("size_class"):
        qs = qs.filter(size_class=criteria["size_class"])
    if criteria.get("region"):
        region = Region.objects.filter(pk=criteria["region"]).first()
        qs = qs.filter(region.subtree_q("region__")) if region is not None else qs.none()
    return list(qs.order_by("pk").values_list("pk", flat=True))
