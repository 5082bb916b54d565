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
    # A soft-deleted enterprise is out of the review queue until restored (its file stays in "deleted").
    return Enterprise.objects.filter(deleted_at__isnull=True).select_related("owning_body", "region")


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
# Body admins and reviewers of the owning body or a body above it delete, restore and reset passwords; other
# government roles (inspectors, read-only leaders) only read the enterprise file.
ENTERPRISE_MANAGER_ROLES = REVIEW_ROLES
# Cap on map points per request: a province of enterprises would otherwise be one huge JSON.
MAP_POINT_LIMIT = 5000


def own_enterprise(actor: Actor) -> QuerySet[Enterprise]:
    """The actor's own enterprise (one row, or none: the scope is empty once the enterprise is soft-deleted)."""
    if actor.enterprise is None:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(pk=actor.enterprise.pk).select_related("owning_body", "region", "economic_class")


def enterprises_for_government(actor: Actor) -> QuerySet[Enterprise]:
    """Every enterprise of a government user's jurisdiction (the active scope), deleted ones included."""
    if actor.body is None:
        return Enterprise.objects.none()
    return Enterprise.objects.select_related("owning_body", "region", "economic_class")


def can_manage_enterprise(actor: Actor, enterprise: Enterprise) -> bool:
    """Soft delete, restore and password reset: admins and reviewers of the owning body or of a body above it."""
    body = actor.body
    if body is None or not actor.has_role(*ENTERPRISE_MANAGER_ROLES):
        return False
    owning = enterprise.owning_body
    return owning.pk == body.pk or owning.path.startswith(body.path)


def enterprise_admin_memberships(enterprise: Enterprise) -> list[Membership]:
    return list(
        Membership.objects.filter(enterprise=enterprise, role=Membership.Role.ENTERPRISE_ADMIN)
        .select_related("user")
        .order_by("user__username")
    )


def economic_classes_for_choice():
    from .models import EconomicClass

    return EconomicClass.objects.order_by("code")


def map_points(queryset: QuerySet[Enterprise], limit: int = MAP_POINT_LIMIT) -> tuple[list[dict], bool]:
    """(points, truncated) for the map: only the columns a marker needs, one query."""
    rows = list(
        queryset.filter(latitude__isnull=False, longitude__isnull=False)
        .order_by("pk")
        .values("pk", "name", "latitude", "longitude", "status", "size_class", "has_major_hazard_source")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


# ==== area: organisation ====

# Scoped reads of the organisation screens: the actor's own enterprise only (a government user manages none of
# it; it reads staff and certificates of its jurisdiction through the *_for_reading selectors).
from django.db.models import Count as OrgCount  # noqa: E402
from django.db.models import Prefetch as OrgPrefetch  # noqa: E402

from . import models as org_models  # noqa: E402
from . import organisation as org_rules  # noqa: E402


def _org_enterprise_id(actor: Actor) -> int | None:
    return actor.enterprise.pk if actor.enterprise is not None else None


def org_departments(actor: Actor) -> QuerySet[org_models.Department]:
    enterprise_id = _org_enterprise_id(actor)
    if enterprise_id is None:
        return org_models.Department.objects.none()
    return org_models.Department.objects.filter(enterprise_id=enterprise_id)


def org_department_list(actor: Actor) -> QuerySet[org_models.Department]:
    """Departments with their parent and how many staff and sub-departments each has (one query)."""
    return (
        org_departments(actor)
        .select_related("parent")
        .annotate(
            staff_count=OrgCount("staff", distinct=True),
            child_count=OrgCount("children", distinct=True),
        )
    )


def org_department_tree(actor: Actor) -> list[tuple[org_models.Department, int]]:
    """The whole tree, depth-first, each department with its depth: for indented choice lists."""
    return org_rules.tree_order(org_departments(actor))


def org_positions(actor: Actor) -> QuerySet[org_models.Position]:
    enterprise_id = _org_enterprise_id(actor)
    if enterprise_id is None:
        return org_models.Position.objects.none()
    return org_models.Position.objects.filter(enterprise_id=enterprise_id)


def org_position_list(actor: Actor) -> QuerySet[org_models.Position]:
    return org_positions(actor).annotate(staff_count=OrgCount("staff"))


def org_roles(actor: Actor) -> QuerySet[org_models.Role]:
    enterprise_id = _org_enterprise_id(actor)
    if enterprise_id is None:
        return org_models.Role.objects.none()
    return org_models.Role.objects.filter(enterprise_id=enterprise_id)


def org_role_list(actor: Actor) -> QuerySet[org_models.Role]:
    return org_roles(actor).annotate(member_count=OrgCount("memberships"))


def org_memberships(actor: Actor) -> QuerySet[Membership]:
    """The enterprise's user accounts (memberships keep a plain manager: filtered by enterprise here)."""
    enterprise_id = _org_enterprise_id(actor)
    if enterprise_id is None:
        return Membership.objects.none()
    return Membership.objects.filter(enterprise_id=enterprise_id)


def org_membership_list(actor: Actor) -> QuerySet[Membership]:
    return (
        org_memberships(actor)
        .select_related("user", "staff")
        .prefetch_related(OrgPrefetch("custom_roles", queryset=org_roles(actor).order_by("name")))
    )


def org_staff(actor: Actor) -> QuerySet[org_models.Staff]:
    enterprise_id = _org_enterprise_id(actor)
    if enterprise_id is None:
        return org_models.Staff.objects.none()
    return org_models.Staff.objects.filter(enterprise_id=enterprise_id)


def org_staff_list(actor: Actor) -> QuerySet[org_models.Staff]:
    return (
        org_staff(actor)
        .select_related("department", "position", "membership__user")
        .annotate(certificate_count=OrgCount("certificates"))
    )


def org_staff_without_account(actor: Actor, keep: int | None = None) -> QuerySet[org_models.Staff]:
    """Staff who have no platform account yet (plus ``keep``, the record a membership already has)."""
    from django.db.models import Q

    return org_staff(actor).filter(Q(membership__isnull=True) | Q(pk=keep)).select_related("department")


def staff_for_reading(actor: Actor) -> QuerySet[org_models.Staff]:
    """Staff an actor may open: its own enterprise's, or (government) those of its jurisdiction's enterprises."""
    if actor.enterprise is not None:
        return org_staff(actor)
    if actor.body is not None and actor.membership.is_active:
        return org_models.Staff.objects.all()  # the scope is the jurisdiction
    return org_models.Staff.objects.none()


def departments_for_reading(actor: Actor) -> QuerySet[org_models.Department]:
    """Departments an actor may read: its own enterprise's, or (government) its jurisdiction's (the scope)."""
    if actor.enterprise is not None:
        return org_models.Department.objects.filter(enterprise_id=actor.enterprise.pk)
    if actor.body is not None and actor.membership.is_active:
        return org_models.Department.objects.all()
    return org_models.Department.objects.none()


def certificates_for_reading(actor: Actor) -> QuerySet[org_models.Certificate]:
    if actor.enterprise is not None:
        return org_models.Certificate.objects.filter(enterprise_id=actor.enterprise.pk)
    if actor.body is not None and actor.membership.is_active:
        return org_models.Certificate.objects.all()
    return org_models.Certificate.objects.none()


def org_certificates(actor: Actor) -> QuerySet[org_models.Certificate]:
    enterprise_id = _org_enterprise_id(actor)
    if enterprise_id is None:
        return org_models.Certificate.objects.none()
    return org_models.Certificate.objects.filter(enterprise_id=enterprise_id)


def staff_account(staff: org_models.Staff) -> Membership | None:
    """The platform account attached to a staff record, if any."""
    return Membership.objects.filter(staff=staff).select_related("user").first()


# ==== area: licences ====
from datetime import date as _date  # noqa: E402

from . import expiry as _expiry  # noqa: E402
from .models import Certificate, Licence, SuspensionApplication  # noqa: E402

# Who is told about expiring documents and may see them in the to-do inbox (universities: the lab-safety office).
EXPIRY_RECIPIENT_ROLES = (
    Membership.Role.ENTERPRISE_ADMIN,
    Membership.Role.SAFETY_MANAGER,
    Membership.Role.LAB_SAFETY_OFFICER,
)


def licences_for_enterprise(actor: Actor) -> QuerySet[Licence]:
    """The actor's own enterprise's licences (the permission to manage them is checked by the caller)."""
    if actor.enterprise is None:
        return Licence.objects.none()
    return Licence.objects.filter(enterprise_id=actor.enterprise.pk)


def licences_for_actor(actor: Actor) -> QuerySet[Licence]:
    """Licences an actor may read: its own enterprise's, or (government) those of its jurisdiction."""
    if actor.body is not None:
        return Licence.objects.filter(enterprise__deleted_at__isnull=True).select_related("enterprise")
    return licences_for_enterprise(actor)


def licences_by_expiry(actor: Actor, state: str, today: _date, window: int) -> QuerySet[Licence]:
    """Government: the jurisdiction's licences that are expiring (``state="expiring"``) or expired."""
    if actor.body is None:
        return Licence.objects.none()
    q = _expiry.expiring_q(today, window) if state == "expiring" else _expiry.expired_q(today)
    return (
        Licence.objects.filter(q, enterprise__deleted_at__isnull=True)
        .select_related("enterprise", "enterprise__region")
        .order_by("valid_until", "pk")
    )


def certificates_by_expiry(actor: Actor, state: str, today: _date, window: int) -> QuerySet[Certificate]:
    """Government: the jurisdiction's staff certificates that are expiring or expired."""
    if actor.body is None:
        return Certificate.objects.none()
    kw = {"end": "expires_on", "long_term": None}
    q = _expiry.expiring_q(today, window, **kw) if state == "expiring" else _expiry.expired_q(today, **kw)
    return (
        Certificate.objects.filter(q, enterprise__deleted_at__isnull=True, staff__is_active=True)
        .select_related("enterprise", "enterprise__region", "staff")
        .order_by("expires_on", "pk")
    )


def expiring_licences_of_enterprise(actor: Actor, today: _date, window: int) -> QuerySet[Licence]:
    """The actor's enterprise's licences that are expiring or expired, soonest end first (the to-do inbox)."""
    return (
        licences_for_enterprise(actor)
        .filter(_expiry.expiring_q(today, window) | _expiry.expired_q(today))
        .order_by("valid_until", "pk")
    )


def expiring_certificates_of_enterprise(actor: Actor, today: _date, window: int) -> QuerySet[Certificate]:
    if actor.enterprise is None:
        return Certificate.objects.none()
    kw = {"end": "expires_on", "long_term": None}
    return (
        Certificate.objects.filter(enterprise_id=actor.enterprise.pk, staff__is_active=True)
        .filter(_expiry.expiring_q(today, window, **kw) | _expiry.expired_q(today, **kw))
        .select_related("staff")
        .order_by("expires_on", "pk")
    )


def expiry_recipients(enterprise_ids: set[int]) -> dict[int, list[User]]:
    """Enterprise id → the people told about its expiring documents (one query for a whole batch)."""
    found: dict[int, list[User]] = {}
    for m in (
        Membership.objects.filter(
            enterprise_id__in=enterprise_ids,
            role__in=EXPIRY_RECIPIENT_ROLES,
            status=Membership.Status.ACTIVE,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("pk")
    ):
        found.setdefault(m.enterprise_id, []).append(m.user)
    return found


def suspension_applications_for_enterprise(actor: Actor) -> QuerySet[SuspensionApplication]:
    if actor.enterprise is None:
        return SuspensionApplication.objects.none()
    return SuspensionApplication.objects.filter(enterprise_id=actor.enterprise.pk).select_related("submitted_by")


def suspension_applications_for_government(actor: Actor) -> QuerySet[SuspensionApplication]:
    """Applications of the jurisdiction (the active scope) for a government user; nothing for others."""
    if actor.body is None:
        return SuspensionApplication.objects.none()
    return SuspensionApplication.objects.select_related(
        "enterprise", "enterprise__region", "enterprise__owning_body", "submitted_by"
    )


def pending_suspension_application(enterprise: Enterprise) -> SuspensionApplication | None:
    return (
        SuspensionApplication.objects.filter(enterprise_id=enterprise.pk, status=SuspensionApplication.Status.PENDING)
        .order_by("-pk")
        .first()
    )


def can_review_suspension(actor: Actor, application: SuspensionApplication) -> bool:
    """The registration rule: reviewers and admins of the owning body or of a body above it."""
    return can_review_registration(actor, application.enterprise)


# ==== area: university ====
# University specifics (colleges > labs, lab heads and stock limits, lab users' profiles and activations).
# Membership has Django's plain manager, so every read below filters by the actor's own university itself.
from django.db.models import Count, Q  # noqa: E402

from safety.tenancy import scope  # noqa: E402

from .models import Department, User  # noqa: E402

# Who manages the whole university's colleges and labs, and sees every student's activation.
UNIVERSITY_MANAGER_ROLES = (Membership.Role.ENTERPRISE_ADMIN, Membership.Role.LAB_SAFETY_OFFICER)
LAB_USER_ROLES = (Membership.Role.TEACHER, Membership.Role.STUDENT)


def university_of(actor: Actor) -> Enterprise | None:
    """The university the actor works in as an active member, else None."""
    enterprise = actor.enterprise
    if enterprise is None or not enterprise.is_university or not actor.membership.is_active:
        return None
    return enterprise


def college_of(department: Department | None) -> Department | None:
    """The college a department belongs to: itself, or a lab's parent."""
    if department is None:
        return None
    if department.kind == Department.Kind.COLLEGE:
        return department
    if department.kind == Department.Kind.LAB:
        return department.parent
    return None


def actor_college(actor: Actor) -> Department | None:
    """A college administrator's college (its membership's department, or that lab's college)."""
    membership = actor.membership
    if membership is None or membership.department_id is None or not membership.enterprise_id:
        return None
    with scope(enterprise=[membership.enterprise_id]):  # the actor's own department: safe outside a request too
        department = Department.objects.select_related("parent").filter(pk=membership.department_id).first()
    return college_of(department)


def colleges_of(enterprise: Enterprise) -> QuerySet[Department]:
    # Built in the university's own scope: a student awaiting activation has no tenant scope yet, and
    # TenantManager reads the scope when the queryset is built.
    with scope(enterprise=[enterprise.pk]):
        return Department.objects.filter(enterprise=enterprise, kind=Department.Kind.COLLEGE).order_by(
            "order", "name", "pk"
        )


def labs_of(enterprise: Enterprise, college: Department | None = None) -> QuerySet[Department]:
    with scope(enterprise=[enterprise.pk]):
        qs = Department.objects.filter(
            enterprise=enterprise, kind=Department.Kind.LAB, parent__kind=Department.Kind.COLLEGE
        )
    if college is not None:
        qs = qs.filter(parent=college)
    return qs.select_related("parent").order_by("parent__order", "parent__name", "parent_id", "order", "name", "pk")


def university_labs(actor: Actor) -> QuerySet[Department]:
    """Every lab of the actor's university: what its insiders may address (others: 404)."""
    university = university_of(actor)
    if university is None:
        return Department._base_manager.none()  # no scope needed for nothing
    return labs_of(university).select_related("head")


def can_manage_lab(actor: Actor, lab: Department) -> bool:
    """University managers: every lab; a college administrator: its college's labs."""
    if university_of(actor) is None or not actor.can("labs.manage"):
        return False
    if actor.role == Membership.Role.COLLEGE_ADMIN:
        college = actor_college(actor)
        return college is not None and lab.parent_id == college.pk
    return True


def managed_colleges(actor: Actor) -> QuerySet[Department]:
    """Colleges shown on the colleges-and-labs page, with their lab counts."""
    university = university_of(actor)
    if university is None or not actor.can("labs.manage"):
        return Department._base_manager.none()  # no scope needed for nothing
    qs = colleges_of(university)
    if actor.role == Membership.Role.COLLEGE_ADMIN:
        college = actor_college(actor)
        qs = qs.filter(pk=college.pk) if college else qs.none()
    return qs.annotate(lab_count=Count("children", filter=Q(children__kind=Department.Kind.LAB)))


def managed_labs(actor: Actor) -> QuerySet[Department]:
    """Labs on the colleges-and-labs page, with head and active member counts (one query, however many)."""
    university = university_of(actor)
    if university is None or not actor.can("labs.manage"):
        return Department._base_manager.none()  # no scope needed for nothing
    qs = labs_of(university).select_related("head")
    if actor.role == Membership.Role.COLLEGE_ADMIN:
        college = actor_college(actor)
        qs = qs.filter(parent=college) if college else qs.none()
    active = Q(memberships__status=Membership.Status.ACTIVE)
    return qs.annotate(
        teacher_count=Count("memberships", filter=active & Q(memberships__role=Membership.Role.TEACHER)),
        student_count=Count("memberships", filter=active & Q(memberships__role=Membership.Role.STUDENT)),
    )


def university_teachers(enterprise: Enterprise) -> QuerySet[Membership]:
    """Active teachers of a university (their memberships, with user and lab)."""
    return (
        Membership.objects.filter(enterprise=enterprise, role=Membership.Role.TEACHER, status=Membership.Status.ACTIVE)
        .select_related("user", "department", "department__parent")
        .order_by("user__full_name", "user__username", "pk")
    )


def lab_head_candidates(lab: Department) -> QuerySet[User]:
    """Active teachers of the lab or of its college (any of its labs); the current head stays choosable."""
    college_id = lab.parent_id
    in_college = Q(memberships__department_id=college_id) | Q(memberships__department__parent_id=college_id)
    teachers = User.objects.filter(
        in_college,
        memberships__enterprise_id=lab.enterprise_id,
        memberships__role=Membership.Role.TEACHER,
        memberships__status=Membership.Status.ACTIVE,
    )
    return User.objects.filter(Q(pk__in=teachers.values("pk")) | Q(pk=lab.head_id)).order_by(
        "full_name", "username", "pk"
    )


def lab_membership_needing_profile(actor: Actor) -> Membership | None:
    """The membership that must go through /lab/profile/ before anything else, if any.

    A teacher working in a university without a completed profile; or a user with no active membership whose
    student membership of a university awaits activation (pending or rejected). Reads only what the
    middleware already loaded: no query per request.
    """
    membership = actor.membership
    if membership is not None:
        if (
            membership.role == Membership.Role.TEACHER
            and membership.is_active
            and membership.profile_completed_at is None
            and membership.enterprise_id
            and membership.enterprise.is_university
        ):
            return membership
        return None
    memberships = actor._cache.get("memberships")
    if memberships is None:
        memberships = memberships_for_user(actor.user)
    return next((m for m in memberships if _is_student_awaiting(m)), None)


def _is_student_awaiting(m: Membership) -> bool:
    return (
        m.role == Membership.Role.STUDENT
        and m.status in (Membership.Status.PENDING, Membership.Status.REJECTED)
        and m.enterprise_id is not None
        and m.enterprise.is_university
        and m.enterprise.deleted_at is None
    )


def lab_student_membership(user: User) -> Membership | None:
    """A user's student membership of a university (any status but disabled), read across tenants by the
    user's own membership (a student awaiting activation has no tenant scope)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Membership.objects.filter(
            user=user,
            role=Membership.Role.STUDENT,
            enterprise__is_university=True,
            enterprise__deleted_at__isnull=True,
        )
        .exclude(status=Membership.Status.DISABLED)
        .select_related("enterprise", "department", "department__parent", "supervisor")
        .order_by("pk")
        .first()
    )


def lab_student_queryset(user: User) -> QuerySet[Membership]:
    """What a student's own (re)submission locks: its student memberships of universities."""
    return Membership.objects.filter(user=user, role=Membership.Role.STUDENT, enterprise__is_university=True)


def university_students(actor: Actor) -> QuerySet[Membership]:
    """Every student of the actor's university: what its insiders may address (outsiders: 404)."""
    university = university_of(actor)
    if university is None:
        return Membership.objects.none()
    return Membership.objects.filter(enterprise=university, role=Membership.Role.STUDENT).select_related(
        "user", "department", "department__parent", "supervisor", "enterprise"
    )


def can_decide_activation(actor: Actor, student: Membership) -> bool:
    """Only the chosen supervising teacher decides."""
    return (
        actor.has_role(Membership.Role.TEACHER)
        and actor.enterprise is not None
        and student.enterprise_id == actor.enterprise.pk
        and student.supervisor_id is not None
        and student.supervisor_id == actor.user.pk
    )


def can_view_activation(actor: Actor, student: Membership) -> bool:
    """The supervisor; the university's managers; a college administrator for its college's students."""
    if can_decide_activation(actor, student):
        return True
    if university_of(actor) is None:
        return False
    if actor.has_role(*UNIVERSITY_MANAGER_ROLES):
        return True
    if actor.has_role(Membership.Role.COLLEGE_ADMIN):
        college = actor_college(actor)
        return college is not None and college_of(student.department) == college
    return False


def activations_for(actor: Actor) -> QuerySet[Membership]:
    """The student activations list: a teacher's own students; managers all; a college administrator its
    college's; anyone else nothing."""
    qs = university_students(actor)
    if actor.has_role(Membership.Role.TEACHER):
        return qs.filter(supervisor=actor.user)
    if actor.has_role(*UNIVERSITY_MANAGER_ROLES):
        return qs
    if actor.has_role(Membership.Role.COLLEGE_ADMIN):
        college = actor_college(actor)
        if college is None:
            return qs.none()
        return qs.filter(Q(department=college) | Q(department__parent=college))
    return qs.none()


def pending_activations_for(actor: Actor) -> QuerySet[Membership] | None:
    """The to-do: submitted students awaiting this teacher's decision (None: not a teacher)."""
    if university_of(actor) is None or not actor.has_role(Membership.Role.TEACHER):
        return None
    return (
        university_students(actor)
        .filter(status=Membership.Status.PENDING, supervisor=actor.user)
        .order_by("profile_completed_at", "pk")
    )
