"""Tenant isolation, generated from the URL conf.

Every URL that takes an object id is found by walking the resolver (admin excluded). The view names the
model its id points at (``view_class.model`` for class-based views, ``isolation_model`` for function
views); ``WORLDS`` below knows how to make one such object belonging to tenant A (acme's township, 南城,
owning body 南城办). Then, for each outsider, GET and POST must answer 404 and write nothing, while the
owner reaches the same URL (so the 404 is about scope, not a broken URL).

Adding a view with an id: declare its model on the view, and add a ``WORLDS`` entry (plus ``OWNERS`` /
``EXTRA_OUTSIDERS`` / ``POST_BODIES`` if the defaults do not fit). The tests fail until you do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils import timezone

from approvals.models import Notification, NotificationDelivery, OperationLog, ReviewRecord
from enterprises.models import Enterprise, Membership
from safety.models import ExportJob
from safety.tenancy import scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory

# --------------------------------------------------------------------------------------------------------
# The URL walk
# --------------------------------------------------------------------------------------------------------

EXCLUDED_NAMESPACES = {"admin"}
ID_KWARG = re.compile(r"^(pk|.+_pk|.+_id)$")


@dataclass
class IdUrl:
    name: str | None  # namespaced URL name, e.g. "enterprises:gov_registration_detail"
    route: str  # the full route, for messages
    id_kwargs: list[str]  # kwargs that carry an object id
    other_kwargs: list[str]  # kwargs that do not (need a value from URL_EXTRA_KWARGS)
    model: type[models.Model] | None
    view: str  # dotted name of the view, for messages

    @property
    def label(self) -> str:
        return self.name or self.route


def _kwargs_of(pattern) -> tuple[list[str], set[str]]:
    """(kwarg names, those with an int converter) of one RoutePattern or RegexPattern."""
    converters = getattr(pattern, "converters", None)
    if converters is not None and converters:  # RoutePattern
        return list(converters), {k for k, c in converters.items() if isinstance(c, IntConverter)}
    regex = getattr(pattern, "regex", None)
    names = list(regex.groupindex) if regex is not None else []
    return names, set()


def _model_of(callback) -> type[models.Model] | None:
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return getattr(view_class, "model", None)
    return getattr(callback, "isolation_model", None)


def _view_name(callback) -> str:
    target = getattr(callback, "view_class", None) or callback
    return f"{target.__module__}.{target.__qualname__}"


def walk_id_urls(resolver: URLResolver | None = None) -> list[IdUrl]:
    found: list[IdUrl] = []

    def walk(res: URLResolver, prefix: str, namespaces: tuple[str, ...], kwargs: list[str], ints: set[str]):
        for p in res.url_patterns:
            names, int_names = _kwargs_of(p.pattern)
            all_kwargs, all_ints = kwargs + names, ints | int_names
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if p.namespace in EXCLUDED_NAMESPACES or p.app_name in EXCLUDED_NAMESPACES:
                    continue
                walk(p, route, namespaces + ((p.namespace,) if p.namespace else ()), all_kwargs, all_ints)
                continue
            assert isinstance(p, URLPattern)
            id_kwargs = [k for k in all_kwargs if k in all_ints or ID_KWARG.match(k)]
            if not id_kwargs:
                continue
            found.append(
                IdUrl(
                    name=":".join((*namespaces, p.name)) if p.name else None,
                    route=route,
                    id_kwargs=id_kwargs,
                    other_kwargs=[k for k in all_kwargs if k not in id_kwargs],
                    model=_model_of(p.callback),
                    view=_view_name(p.callback),
                )
            )

    walk(resolver or get_resolver(), "", (), [], set())
    return found


ID_URLS = walk_id_urls()

# --------------------------------------------------------------------------------------------------------
# The registry: how to make an object of tenant A for each model a URL points at
# --------------------------------------------------------------------------------------------------------


def _pending_registration(world) -> Enterprise:
    """A registration awaiting review in acme's township (南城, owning body 南城办), with its pending admin.

    Pending rather than acme itself, so an outsider's approve or reject that slipped through would change
    something we can see.
    """
    enterprise = EnterpriseFactory(
        status=Enterprise.Status.PENDING,
        owning_body=world.nancheng_office,
        region=world.nancheng,
        submitted_at=timezone.now(),
    )
    MembershipFactory(
        user=UserFactory(),
        enterprise=enterprise,
        role=Membership.Role.ENTERPRISE_ADMIN,
        status=Membership.Status.PENDING,
    )
    return enterprise


def _alice_notification(world) -> Notification:
    """An unread notification of alice (acme's administrator): personal, not merely tenant-owned."""
    with scopes_disabled():
        return Notification.objects.create(
            recipient=world.alice.user, title="审核通过：阿克米化工有限公司", body="alice only", url=""
        )


def _alice_export(world) -> ExportJob:
    """A finished Excel export of alice's (personal: only its user may watch or download it)."""
    job = ExportJob.objects.create(
        user=world.alice.user,
        membership=world.alice,
        list_key="approvals.views.OperationLogView",
        title="operation-log",
        status=ExportJob.Status.DONE,
        total=1,
        done=1,
        finished_at=timezone.now(),
    )
    job.file.save("operation-log.xlsx", ContentFile(b"PK\x03\x04 not really a workbook"), save=True)
    return job


WORLDS: dict[type[models.Model], Callable[[Any], models.Model]] = {
    Enterprise: _pending_registration,
    Notification: _alice_notification,
    ExportJob: _alice_export,
}

# Who may open the object (the positive control). Default: alice, acme's administrator.
OWNERS: dict[type[models.Model], str] = {
    Enterprise: "gov_alice",  # a registration is read by its owning body's reviewer
    Notification: "alice",
    ExportJob: "alice",
}

# Outsiders for every model: another tenant's admin, a government reviewer outside the jurisdiction.
OUTSIDERS = ("charlie", "gov_charlie")
# Personal objects: people of the same tenant (and the government above it) are outsiders too.
EXTRA_OUTSIDERS: dict[type[models.Model], tuple[str, ...]] = {
    Notification: ("bob", "gov_alice"),
    ExportJob: ("bob", "gov_alice"),
}

# The bodies an outsider POSTs (each one separately); default: an empty body.
POST_BODIES: dict[type[models.Model], list[dict[str, str]]] = {
    Enterprise: [
        {"action": "approve", "reason": "outsider"},
        {"action": "reject", "reason": "outsider"},
    ],
}

# Values for non-id kwargs of id URLs, by URL name: {"app:name": {"kwarg": "value"}}.
URL_EXTRA_KWARGS: dict[str, dict[str, Any]] = {}


# Per-URL overrides, by URL name ("app:name"), where one model is reached by URLs with different owners
# (a registration under review vs. an approved enterprise's file): they win over the per-model entries.
WORLDS_BY_URL: dict[str, Callable[[Any], models.Model]] = {}
OWNERS_BY_URL: dict[str, str] = {}
POST_BODIES_BY_URL: dict[str, list[dict[str, str]]] = {}

# ---- registry entries of issue 3's areas: each area adds to the dicts above in its own block ----
# ==== area: profile ====
# The government's enterprise file and its actions, on an approved enterprise of 南城办 (acme) with an active
# administrator (alice): a slipped-through delete, restore or password reset would show in the snapshot.


def _approved_enterprise(world) -> Enterprise:
    return world.acme


def _deleted_enterprise(world) -> Enterprise:
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=world.acme.pk).update(deleted_at=timezone.now(), deleted_reason="停业整顿")
    return world.acme


for _name in ("gov_enterprise_detail", "gov_enterprise_delete", "gov_enterprise_reset_password"):
    WORLDS_BY_URL[f"enterprises:{_name}"] = _approved_enterprise
    OWNERS_BY_URL[f"enterprises:{_name}"] = "gov_alice"
WORLDS_BY_URL["enterprises:gov_enterprise_restore"] = _deleted_enterprise
OWNERS_BY_URL["enterprises:gov_enterprise_restore"] = "gov_alice"
POST_BODIES_BY_URL["enterprises:gov_enterprise_delete"] = [{"reason": "outsider"}]
POST_BODIES_BY_URL["enterprises:gov_enterprise_reset_password"] = [{"account": "alice"}]
# ==== area: organisation ====
# Departments, positions, roles, user accounts, staff and certificates of acme, managed by alice. Registered per
# URL: the university area reaches Department and Membership through URLs of its own.


def _org_department(world):
    from enterprises.models import Department

    with scopes_disabled():
        return Department.objects.create(enterprise=world.acme, name="生产部", level=Department.Level.DEPARTMENT)


def _org_position(world):
    from enterprises.models import Position

    with scopes_disabled():
        return Position.objects.create(enterprise=world.acme, name="安全员")


def _org_role(world):
    from enterprises.models import Role

    with scopes_disabled():
        return Role.objects.create(enterprise=world.acme, name="安全检查", permissions=["staff.manage"])


def _org_staff(world):
    from enterprises.models import Staff

    with scopes_disabled():
        return Staff.objects.create(enterprise=world.acme, name="王五", id_number="11010519491231002X")


def _org_membership(world) -> Membership:
    """dave: an active staff account of acme (an outsider's disable, roles or password would show)."""
    with scopes_disabled():
        staff = _org_staff(world)
        return MembershipFactory(
            user=UserFactory(username="dave"), enterprise=world.acme, role=Membership.Role.STAFF, staff=staff
        )


def _org_certificate(world):
    """A certificate of acme's with an image, so the image URL has something to serve its owner."""
    import io

    from PIL import Image

    from enterprises.models import Certificate

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    with scopes_disabled():
        certificate = Certificate(
            enterprise=world.acme, staff=_org_staff(world), kind=Certificate.Kind.OTHER, number="ZS-0001"
        )
        certificate.image.save("0123abcd.png", ContentFile(buffer.getvalue()), save=False)
        certificate.save()
        return certificate


def _register_organisation_area() -> None:
    from enterprises.models import Certificate, Department, Position, Role, Staff

    by_url = {
        "department_edit": _org_department,
        "department_delete": _org_department,
        "position_edit": _org_position,
        "position_delete": _org_position,
        "role_edit": _org_role,
        "role_delete": _org_role,
        "user_edit": _org_membership,
        "user_status": _org_membership,
        "user_password": _org_membership,
        "staff_detail": _org_staff,
        "staff_edit": _org_staff,
        "staff_delete": _org_staff,
        "certificate_create": _org_staff,
        "certificate_edit": _org_certificate,
        "certificate_delete": _org_certificate,
        "certificate_image": _org_certificate,
    }
    for name, make in by_url.items():
        WORLDS_BY_URL[f"enterprises:{name}"] = make
    for model, make in (
        (Department, _org_department),
        (Position, _org_position),
        (Role, _org_role),
        (Membership, _org_membership),
        (Staff, _org_staff),
        (Certificate, _org_certificate),
    ):
        WORLDS.setdefault(model, make)
    # The owner (alice) POSTs the first body to this POST-only URL; outsiders POST both.
    POST_BODIES_BY_URL["enterprises:user_status"] = [{"action": "disable"}, {"action": "enable"}]
    POST_BODIES_BY_URL["enterprises:user_password"] = [
        {"password": "Outsider-Pass-2026", "password_again": "Outsider-Pass-2026"}
    ]
    POST_BODIES_BY_URL["enterprises:staff_edit"] = [{"name": "OUTSIDER"}]
    POST_BODIES_BY_URL["enterprises:certificate_edit"] = [{"kind": "other", "number": "OUTSIDER"}]
    POST_BODIES_BY_URL["enterprises:certificate_create"] = [{"kind": "other", "number": "OUTSIDER"}]


_register_organisation_area()


# ==== area: licences ====
def _acme_licence(world):
    """A dated licence of acme with a scan (PDF), so the scan URL has something to serve its owner."""
    from datetime import timedelta

    from enterprises.models import Licence

    with scopes_disabled():
        licence = Licence(
            enterprise=world.acme,
            kind=Licence.Kind.SAFETY_PRODUCTION,
            number="（川）WH安许证字〔2024〕0001",
            valid_until=timezone.localdate() + timedelta(days=10),
        )
        licence.scan.save("scan.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        licence.save()
        return licence


def _acme_suspension(world):
    """A pending suspension application of acme (an outsider's approve would change acme's status)."""
    from enterprises.models import SuspensionApplication

    with scopes_disabled():
        return SuspensionApplication.objects.create(
            enterprise=world.acme,
            kind=SuspensionApplication.Kind.SUSPENSION,
            reason="设备检修",
            start_date=timezone.localdate(),
            submitted_by=world.alice.user,
        )


def _register_licences_area() -> None:
    from enterprises.models import Licence, SuspensionApplication

    WORLDS[Licence] = _acme_licence
    WORLDS[SuspensionApplication] = _acme_suspension
    # A full, valid licence form: were an outsider's edit to slip through, the licence would change.
    POST_BODIES[Licence] = [{"kind": "other", "number": "OUTSIDER", "valid_until": "2031-01-01"}]
    OWNERS_BY_URL["enterprises:gov_suspension_detail"] = "gov_alice"  # the owning body's reviewer decides
    POST_BODIES_BY_URL["enterprises:gov_suspension_detail"] = [
        {"action": "approve", "reason": "outsider"},
        {"action": "reject", "reason": "outsider"},
    ]


_register_licences_area()


# ==== area: university ====
# acme turned into a university for the occasion: a lab (its head and stock limit) and a student awaiting the
# supervising teacher's decision. alice (acme's administrator) may open both; an outsider's approve, reject or
# lab change would show in the snapshot (membership statuses, review records, the lab's row).


def _acme_as_university(world) -> None:
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=world.acme.pk).update(is_university=True, industry="education")


def _uni_college(world):
    from enterprises.models import Department

    _acme_as_university(world)
    with scopes_disabled():
        return Department.objects.create(
            enterprise=world.acme, name="化学学院", kind=Department.Kind.COLLEGE, level=Department.Level.DEPARTMENT
        )


def _uni_lab(world):
    from decimal import Decimal

    from enterprises.models import Department

    college = _uni_college(world)
    with scopes_disabled():
        return Department.objects.create(
            enterprise=world.acme,
            parent=college,
            name="有机化学实验室",
            kind=Department.Kind.LAB,
            level=Department.Level.WORKSHOP,
            stock_limit=Decimal("10"),
        )


def _uni_pending_student(world) -> Membership:
    """A student of acme awaiting the decision of a teacher of acme (submitted: supervisor chosen)."""
    lab = _uni_lab(world)
    teacher = MembershipFactory(
        user=UserFactory(username="uni_iso_teacher"),
        enterprise=world.acme,
        role=Membership.Role.TEACHER,
        department=lab,
        profile_completed_at=timezone.now(),
    )
    return MembershipFactory(
        user=UserFactory(username="uni_iso_student"),
        enterprise=world.acme,
        role=Membership.Role.STUDENT,
        status=Membership.Status.PENDING,
        department=lab,
        supervisor=teacher.user,
        profile_completed_at=timezone.now(),
    )


def _register_university_area() -> None:
    from enterprises.models import Department

    WORLDS_BY_URL["enterprises:university_lab"] = _uni_lab
    OWNERS_BY_URL["enterprises:university_lab"] = "alice"
    POST_BODIES_BY_URL["enterprises:university_lab"] = [{"head": "", "stock_limit": "99"}]
    WORLDS_BY_URL["enterprises:student_activation"] = _uni_pending_student
    OWNERS_BY_URL["enterprises:student_activation"] = "alice"  # the university's administrator may look
    POST_BODIES_BY_URL["enterprises:student_activation"] = [
        {"action": "approve", "reason": "outsider"},
        {"action": "reject", "reason": "outsider"},
    ]
    WORLDS.setdefault(Department, _uni_lab)
    WORLDS.setdefault(Membership, _uni_pending_student)


_register_university_area()


# ==== area: hazards ====
# Hidden hazards of acme (owning body 南城办), each in the state its URL acts on, so the owner reaches the step
# (alice on the enterprise side, gov_alice for the government's steps) and an outsider's step that slipped through
# would show in the snapshot (the hazard's row, review records, the operation log).


def _hz_hazard(world, **fields):
    from .hazard_factories import make_hazard

    return make_hazard(world.acme, **fields)


def _hz_registered(world):
    return _hz_hazard(world)


def _hz_reported(world):
    return _hz_hazard(world, status="reported")


def _hz_overdue(world):
    from datetime import timedelta

    return _hz_hazard(world, status="overdue", deadline=timezone.now() - timedelta(days=1))


def _hz_extension_requested(world):
    from datetime import timedelta

    from .hazard_factories import make_extension

    hazard = _hz_hazard(world, status="extension_requested", deadline=timezone.now() - timedelta(days=1))
    make_extension(hazard)
    return hazard


def _hz_major(world):
    return _hz_hazard(world, level="major")


def _hz_listed_closed(world, listing_status: str = "listed"):
    from .hazard_factories import make_listing

    hazard = _hz_hazard(world, level="major", status="closed")
    make_listing(hazard, world.nancheng_office, status=listing_status)
    return hazard


def _hz_photo(world):
    from .hazard_factories import add_photo

    return add_photo(_hz_registered(world))


def _register_hazards_area() -> None:
    from datetime import timedelta

    from hazards.models import Hazard, HazardPhoto

    soon = (timezone.localdate() + timedelta(days=10)).isoformat()
    WORLDS.setdefault(Hazard, _hz_registered)
    WORLDS.setdefault(HazardPhoto, _hz_photo)
    by_url = {
        "hazard_detail": (_hz_registered, "alice", [{}]),
        "hazard_notice_pdf": (_hz_registered, "alice", [{}]),
        "hazard_edit": (
            _hz_registered,
            "alice",
            [{"title": "OUTSIDER", "level": "general", "kind": "deadline", "source": "self", "deadline_date": soon}],
        ),
        "hazard_delete": (_hz_registered, "alice", [{}]),
        "hazard_report": (_hz_registered, "alice", [{"measures": "OUTSIDER"}]),
        "hazard_review": (
            _hz_reported,
            "alice",
            [{"decision": "yes", "reason": "outsider"}, {"decision": "no", "reason": "outsider"}],
        ),
        "hazard_extension": (_hz_overdue, "alice", [{"reason": "outsider", "deadline_date": soon}]),
        "hazard_extension_review": (
            _hz_extension_requested,
            "alice",
            [{"decision": "yes", "deadline_date": soon}, {"decision": "no", "reason": "outsider"}],
        ),
        "hazard_supervise": (_hz_major, "gov_alice", [{"notice": "outsider", "notice_number": "X-1"}]),
        "hazard_delisting": (_hz_listed_closed, "alice", [{"reason": "outsider"}]),
        "hazard_delisting_decide": (
            lambda world: _hz_listed_closed(world, "delisting_requested"),
            "gov_alice",
            [{"decision": "yes", "reason": ""}, {"decision": "no", "reason": "outsider"}],
        ),
        "hazard_photo": (_hz_photo, "alice", [{}]),
    }
    for name, (make, owner, bodies) in by_url.items():
        WORLDS_BY_URL[f"hazards:{name}"] = make
        OWNERS_BY_URL[f"hazards:{name}"] = owner
        POST_BODIES_BY_URL[f"hazards:{name}"] = bodies


_register_hazards_area()


# ==== area: lists ====
# Risk lists of acme (owning body 南城办) in the state each URL acts on — a draft for the enterprise's pages, one sent
# for filing for the government's — and a due inspection task of a filed list. An outsider's submit, approval,
# filing or return that slipped through would show in the snapshot (the list's row, review records, the log).


def _ls_draft_list(world):
    from .lists_world import make_list, make_point

    return make_list(world.acme, [make_point(world.acme)])


def _ls_filing_list(world):
    from .lists_world import make_list, make_point

    return make_list(world.acme, [make_point(world.acme)], status="filing")


def _ls_due_task(world):
    from .lists_world import make_list, make_point, make_task

    point = make_point(world.acme)
    return make_task(make_list(world.acme, [point], status="filed", workdays_only=False), point)


def _register_lists_area() -> None:
    from hazards.models import InspectionTask, RiskList

    WORLDS.setdefault(RiskList, _ls_draft_list)
    WORLDS.setdefault(InspectionTask, _ls_due_task)
    by_url = {
        "risk_list_detail": (
            _ls_draft_list,
            "alice",
            [
                {"action": "submit"},
                {"action": "approve", "reason": "outsider"},
                {"action": "return", "reason": "outsider"},
                {"action": "send_for_filing"},
            ],
        ),
        "risk_list_edit": (_ls_draft_list, "alice", [{"name": "OUTSIDER", "level": "workshop", "frequency": "daily"}]),
        "risk_list_preview": (_ls_draft_list, "alice", [{}]),
        "risk_list_pdf": (_ls_draft_list, "alice", [{}]),
        "gov_risk_list_detail": (
            _ls_filing_list,
            "gov_alice",
            [{"action": "file", "reason": "outsider"}, {"action": "return", "reason": "outsider"}],
        ),
        "inspection_task_detail": (_ls_due_task, "alice", [{}]),
    }
    for name, (make, owner, bodies) in by_url.items():
        WORLDS_BY_URL[f"hazards:{name}"] = make
        OWNERS_BY_URL[f"hazards:{name}"] = owner
        POST_BODIES_BY_URL[f"hazards:{name}"] = bodies


_register_lists_area()


# ==== area: supervision ====
# A draft summary report and a random sample of 南城办 (gov_alice's body). Bodies own them, not tenants: an
# enterprise user or another province's reviewer reaches neither, and their rebuild / report / delete of the draft
# would show in the snapshot (the report's row, the operation log).


def _sv_summary_report(world):
    from datetime import date

    from hazards.models import SummaryReport

    return SummaryReport.objects.create(
        body=world.nancheng_office,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        figures={"total": {"found": 3, "closed": 1}},
    )


def _sv_sample(world):
    from hazards.models import EnterpriseSample

    return EnterpriseSample.objects.create(
        body=world.nancheng_office,
        purpose="季度抽查",
        criteria={"industry": "", "size_class": "", "region": None, "candidates": 1},
        seed="0" * 32,
        size=1,
        enterprise_ids=[world.acme.pk],
        drawn_by=world.gov_alice.user,
    )


def _register_supervision_area() -> None:
    from hazards.models import EnterpriseSample, SummaryReport

    WORLDS[SummaryReport] = _sv_summary_report
    WORLDS[EnterpriseSample] = _sv_sample
    OWNERS[SummaryReport] = "gov_alice"
    OWNERS[EnterpriseSample] = "gov_alice"
    POST_BODIES[SummaryReport] = [{"action": "report"}, {"action": "rebuild"}, {"action": "delete"}]


_register_supervision_area()


# ==== area: risk ====
# A graded risk point of acme (one factor, one measure) for the point's pages, printables and map position, and an
# enterprise risk grade with a PDF attachment. alice (acme's administrator) reaches them; an outsider's edit,
# re-grading or position that slipped through would change the point's row or the operation log (snapshot).


def _rk_point(world):
    from .risk_world import make_point

    return make_point(world.alice, "液氯储罐区")


def _rk_grade(world):
    from hazards.models import EnterpriseRiskGrade

    with scopes_disabled():
        grade = EnterpriseRiskGrade(enterprise=world.acme, grade="C", basis="第三方评估报告", set_by=world.alice.user)
        grade.attachment.save("0123abcd.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        grade.save()
        return grade


def _register_risk_area() -> None:
    from hazards.models import EnterpriseRiskGrade, RiskPoint

    WORLDS.setdefault(RiskPoint, _rk_point)
    WORLDS.setdefault(EnterpriseRiskGrade, _rk_grade)
    grading = {"method": "lec", "lec_l": "10", "lec_e": "10", "lec_c": "100", "reason": "outsider"}
    by_url = {
        "risk_point_detail": (_rk_point, [{}]),
        "risk_point_edit": (
            _rk_point,
            [
                {
                    **grading,
                    "category": "place",
                    "name": "OUTSIDER",
                    "factors-TOTAL_FORMS": "0",
                    "factors-INITIAL_FORMS": "0",
                }
            ],
        ),
        "risk_point_regrade": (_rk_point, [grading]),
        "risk_point_position": (_rk_point, [{"x": "50", "y": "50"}]),
        "risk_point_board": (_rk_point, [{}]),
        "risk_point_card": (_rk_point, [{}]),
        "risk_grade_attachment": (_rk_grade, [{}]),
    }
    for name, (make, bodies) in by_url.items():
        WORLDS_BY_URL[f"hazards:{name}"] = make
        OWNERS_BY_URL[f"hazards:{name}"] = "alice"
        POST_BODIES_BY_URL[f"hazards:{name}"] = bodies


_register_risk_area()


# ==== chemicals area: catalogue ====
# acme turned university with a campus, the centre's physical store and a package of the centre's own stock in a
# cabinet. alice (acme's administrator, a central role) reads them all, and keeps campuses and stores and moves
# packages through a custom role with the catalogue's and the centre's features. Catalogue entries are shared
# reference data: outsiders (no university membership) get 404 on a chemical's page too. An outsider's edit or
# move that slipped through would show in the snapshot (the row, the operation log).


def _cat_keeper_alice(world) -> None:
    from enterprises.models import Role

    _acme_as_university(world)
    with scopes_disabled():
        role = Role.objects.get_or_create(
            enterprise=world.acme,
            name="危化品库房管理",
            defaults={"permissions": ["chemicals.catalogue", "chemicals.centre"]},
        )[0]
        world.alice.custom_roles.add(role)


def _cat_chemical(world):
    from chemicals.models import Chemical, StorageGroup

    _acme_as_university(world)
    return Chemical.objects.get_or_create(
        cas_number="7664-93-9", defaults={"name_zh": "硫酸", "storage_group": StorageGroup.ACID, "unit": "mL"}
    )[0]


def _cat_campus(world):
    from chemicals.models import Campus

    _cat_keeper_alice(world)
    with scopes_disabled():
        campus, _ = Campus.objects.get_or_create(
            enterprise=world.acme, name="北校区", defaults={"pickup_point": "服务中心"}
        )
        return campus


def _cat_store(world):
    from chemicals.models import Store

    campus = _cat_campus(world)
    with scopes_disabled():
        return Store.objects.get_or_create(
            enterprise=world.acme,
            name="服务中心北校区库房",
            defaults={"kind": Store.Kind.CENTRE_PHYSICAL, "campus": campus},
        )[0]


def _cat_package(world):
    from decimal import Decimal

    from chemicals.models import Package

    store = _cat_store(world)
    chemical = _cat_chemical(world)
    with scopes_disabled():
        return Package.objects.create(
            enterprise=world.acme,
            code="ISO-CAT-1",
            chemical=chemical,
            size=Decimal("500"),
            remaining=Decimal("500"),
            store=store,
            room="101",
            cabinet="A1",
        )


def _register_catalogue_area() -> None:
    from chemicals.models import Campus, Chemical, Package, Store

    WORLDS.setdefault(Chemical, _cat_chemical)
    WORLDS.setdefault(Campus, _cat_campus)
    WORLDS.setdefault(Store, _cat_store)
    WORLDS.setdefault(Package, _cat_package)
    by_url = {
        "chemical_detail": (_cat_chemical, [{}]),
        "campus_edit": (_cat_campus, [{"name": "OUTSIDER", "delivers": "on"}]),
        "store_edit": (_cat_store, [{"name": "OUTSIDER", "people_exposed": "9"}]),
        "package_detail": (_cat_package, [{}]),
        "package_label": (_cat_package, [{}]),
        "package_move": (_cat_package, [{"store": "1", "cabinet": "OUTSIDER", "place_anyway": "on"}]),
    }
    for name, (make, bodies) in by_url.items():
        WORLDS_BY_URL[f"chemicals:{name}"] = make
        OWNERS_BY_URL[f"chemicals:{name}"] = "alice"
        POST_BODIES_BY_URL[f"chemicals:{name}"] = bodies


_register_catalogue_area()


# ==== chemicals area: purchase ====
# Purchase rounds, requests and police filings of acme turned university, each request in the state its URL acts
# on. alice (acme's administrator, a central role) reads them all; she heads the lab, wrote the requests and pays,
# and opens rounds and runs the centre's steps through a custom role with the order, rounds and centre features.
# An outsider's edit, submission, review, stock-in, payment or filing that slipped through would show in the
# snapshot (the row, review records, operation log, notifications).


def _pu_alice_buyer(world):
    """acme's lab headed by alice, who also holds the purchase features; returns the lab."""
    from enterprises.models import Department, Role

    lab = _uni_lab(world)
    with scopes_disabled():
        Department.objects.filter(pk=lab.pk).update(head=world.alice.user)
        role = Role.objects.get_or_create(
            enterprise=world.acme,
            name="危化品申购",
            defaults={"permissions": ["chemicals.order", "chemicals.rounds", "chemicals.centre"]},
        )[0]
        world.alice.custom_roles.add(role)
    return lab


def _pu_round(world):
    from datetime import timedelta

    from chemicals.models import PurchaseRound

    _pu_alice_buyer(world)
    with scopes_disabled():
        return PurchaseRound.objects.get_or_create(
            enterprise=world.acme,
            title="ISO 申购",
            defaults={"opens_at": timezone.now() - timedelta(days=1), "deadline": timezone.now() + timedelta(days=9)},
        )[0]


def _pu_request(world, status: str = "draft", **fields):
    from decimal import Decimal

    from chemicals.models import Campus, Chemical, Package, PurchaseLine, PurchaseRequest, Store

    round_ = _pu_round(world)
    lab = _pu_alice_buyer(world)
    stocked = status in ("stocked", "completed")
    with scopes_disabled():
        chemical = Chemical.objects.get_or_create(cas_number="64-17-5", defaults={"name_zh": "乙醇", "unit": "mL"})[0]
        campus = Campus.objects.get_or_create(enterprise=world.acme, name="北校区")[0]
        Store.objects.get_or_create(
            enterprise=world.acme,
            name="服务中心北校区库房",
            defaults={"kind": Store.Kind.CENTRE_PHYSICAL, "campus": campus},
        )
        order = PurchaseRequest.objects.create(
            enterprise=world.acme,
            number="SG-ISO-0001",
            round=round_,
            lab=lab,
            submitter=world.alice.user,
            status=status,
            stocked_at=timezone.now() if stocked else None,
            **fields,
        )
        line = PurchaseLine.objects.create(
            enterprise=world.acme,
            request=order,
            chemical=chemical,
            package_size=Decimal("500"),
            package_count=1,
            received_count=1 if stocked else 0,
            unit_price=Decimal("20") if stocked else None,
        )
        if stocked:
            Package.objects.create(
                enterprise=world.acme,
                code="ISO-PU-1",
                chemical=chemical,
                size=Decimal("500"),
                remaining=Decimal("500"),
                store=Store.objects.get(enterprise=world.acme, name="服务中心北校区库房"),
                owner_lab=lab,
                purchase_line=line,
            )
    return order


def _pu_filing(world):
    from decimal import Decimal

    from chemicals.models import Chemical, PoliceFiling

    round_ = _pu_round(world)
    with scopes_disabled():
        chemical = Chemical.objects.get_or_create(cas_number="67-64-1", defaults={"name_zh": "丙酮", "unit": "mL"})[0]
        return PoliceFiling.objects.create(
            enterprise=world.acme, round=round_, chemical=chemical, quantity=Decimal("1000")
        )


def _register_purchase_area() -> None:
    from datetime import timedelta
    from functools import partial

    from chemicals.models import PoliceFiling, PurchaseRequest, PurchaseRound

    WORLDS.setdefault(PurchaseRound, _pu_round)
    WORLDS.setdefault(PurchaseRequest, _pu_request)
    WORLDS.setdefault(PoliceFiling, _pu_filing)
    soon = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    later = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    lines = {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-0-chemical": "64-17-5"}
    by_url = {
        "purchase_round_detail": (_pu_round, [{}]),
        "purchase_round_edit": (_pu_round, [{"title": "OUTSIDER", "opens_at": soon, "deadline": later}]),
        "purchase_round_aggregate": (_pu_round, [{}]),
        "purchase_round_prepare_filings": (_pu_round, [{}]),
        "purchase_round_tendered": (_pu_round, [{}]),
        "purchase_police_filing_record": (
            _pu_filing,
            [{"filing_number": "OUTSIDER", "police_station": "OUTSIDER", "filed_on": "2020-01-01"}],
        ),
        "purchase_request_detail": (_pu_request, [{}]),
        "purchase_request_edit": (
            _pu_request,
            [{**lines, "lines-0-package_size": "1", "lines-0-package_count": "9", "purpose": "OUTSIDER"}],
        ),
        "purchase_request_submit": (_pu_request, [{}]),
        "purchase_request_withdraw": (partial(_pu_request, status="lab_review"), [{}]),
        "purchase_request_review": (
            partial(_pu_request, status="lab_review"),
            [
                {"decision": "approve", "seen_status": "lab_review"},
                {"decision": "reject", "reason": "outsider", "seen_status": "lab_review"},
            ],
        ),
        "purchase_request_stock_in": (partial(_pu_request, status="approved"), [{"campus": "1"}]),
        "purchase_request_pay": (
            partial(_pu_request, status="stocked", payment_status="unpaid"),
            [{"reference": "OUTSIDER"}],
        ),
        "purchase_payment_notice": (partial(_pu_request, status="stocked", payment_status="unpaid"), [{}]),
        "purchase_request_confirm_payment": (
            partial(_pu_request, status="stocked", payment_status="awaiting"),
            [{}],
        ),
        "purchase_request_reject_payment": (
            partial(_pu_request, status="stocked", payment_status="awaiting"),
            [{"reason": "outsider"}],
        ),
    }
    for name, (make, bodies) in by_url.items():
        WORLDS_BY_URL[f"chemicals:{name}"] = make
        OWNERS_BY_URL[f"chemicals:{name}"] = "alice"
        POST_BODIES_BY_URL[f"chemicals:{name}"] = bodies


_register_purchase_area()


# ==== chemicals area: requisition ====
# Requisitions of acme turned university, each in the state its URL acts on. alice (acme's administrator, a
# central role) reads them all; she wrote them (as the lab's head) and pays, and runs the centre's steps, through a
# custom role with the order and centre features. An outsider's submit, review, stock, payment or issue that
# slipped through would show in the snapshot (the row, review records, operation log, notifications).


def _rq_requisition(world, status: str = "draft", source: str = "centre_virtual", **fields):
    from decimal import Decimal

    from chemicals.models import Campus, Chemical, Package, Requisition, RequisitionLine, Store
    from enterprises.models import Department, Role

    lab = _uni_lab(world)
    with scopes_disabled():
        Department.objects.filter(pk=lab.pk).update(head=world.alice.user)
        role = Role.objects.get_or_create(
            enterprise=world.acme, name="危化品申领", defaults={"permissions": ["chemicals.order", "chemicals.centre"]}
        )[0]
        world.alice.custom_roles.add(role)
        chemical = Chemical.objects.get_or_create(cas_number="64-17-5", defaults={"name_zh": "乙醇", "unit": "mL"})[0]
        campus = Campus.objects.get_or_create(enterprise=world.acme, name="北校区")[0]
        store = Store.objects.get_or_create(
            enterprise=world.acme,
            name="服务中心北校区库房",
            defaults={"kind": Store.Kind.CENTRE_PHYSICAL, "campus": campus},
        )[0]
        requisition = Requisition.objects.create(
            enterprise=world.acme,
            number="SL-ISO-0001",
            lab=lab,
            submitter=world.alice.user,
            status=status,
            source=source,
            campus=campus,
            handover=Requisition.Handover.PICKUP,
            **fields,
        )
        line = RequisitionLine.objects.create(
            enterprise=world.acme,
            requisition=requisition,
            chemical=chemical,
            package_size=Decimal("500"),
            package_count=1,
            unit_price=Decimal("10"),
        )
        if status == "stocked":
            Package.objects.create(
                enterprise=world.acme,
                code="ISO-RQ-1",
                chemical=chemical,
                size=Decimal("500"),
                remaining=Decimal("500"),
                store=store,
                status=Package.Status.RESERVED,
                requisition_line=line,
            )
    return requisition


def _register_requisition_area() -> None:
    from functools import partial

    from chemicals.models import Requisition

    WORLDS.setdefault(Requisition, _rq_requisition)
    by_url = {
        "requisition_detail": (_rq_requisition, [{}]),
        "requisition_slip": (_rq_requisition, [{}]),
        "requisition_edit": (
            _rq_requisition,
            [{"source": "centre_virtual", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0", "purpose": "OUTSIDER"}],
        ),
        "requisition_submit": (_rq_requisition, [{}]),
        "requisition_withdraw": (partial(_rq_requisition, status="lab_review"), [{}]),
        "requisition_review": (
            partial(_rq_requisition, status="office_review"),
            [{"decision": "approve"}, {"decision": "reject", "reason": "outsider"}],
        ),
        "requisition_stock": (partial(_rq_requisition, status="approved"), [{}]),
        "requisition_pay": (
            partial(_rq_requisition, status="stocked", payment_status="unpaid"),
            [{"reference": "OUTSIDER"}],
        ),
        "requisition_payment": (
            partial(_rq_requisition, status="stocked", payment_status="awaiting"),
            [{"action": "confirm"}, {"action": "reject", "reason": "outsider"}],
        ),
        "requisition_issue": (partial(_rq_requisition, status="stocked", payment_status="paid"), [{}]),
    }
    for name, (make, bodies) in by_url.items():
        WORLDS_BY_URL[f"chemicals:{name}"] = make
        OWNERS_BY_URL[f"chemicals:{name}"] = "alice"
        POST_BODIES_BY_URL[f"chemicals:{name}"] = bodies


_register_requisition_area()


# ==== chemicals area: ledger ====
# A package issued to a lab of acme turned university, and a student's used-up declaration of it awaiting the
# supervising teacher. alice (acme's administrator, a central role) reads the pages; an outsider's use,
# declaration or decision that slipped through would show in the snapshot (the package or declaration row,
# review records, operation log, notifications).


def _lg_package(world):
    from datetime import timedelta
    from decimal import Decimal

    from chemicals.models import Chemical, Package, Store

    lab = _uni_lab(world)
    with scopes_disabled():
        chemical = Chemical.objects.get_or_create(cas_number="64-17-5", defaults={"name_zh": "乙醇", "unit": "mL"})[0]
        store = Store.objects.create(enterprise=world.acme, kind=Store.Kind.LAB, lab=lab, name="有机化学实验室库房")
        return Package.objects.create(
            enterprise=world.acme,
            code="ISO-LG-1",
            chemical=chemical,
            size=Decimal("500"),
            remaining=Decimal("500"),
            store=store,
            owner_lab=lab,
            status=Package.Status.ISSUED,
            issued_at=timezone.now() - timedelta(days=30),
        )


def _lg_declaration(world):
    from chemicals.models import UsedUpDeclaration

    package = _lg_package(world)
    teacher = MembershipFactory(
        user=UserFactory(username="lg_iso_teacher"),
        enterprise=world.acme,
        role=Membership.Role.TEACHER,
        department=package.owner_lab,
    )
    student = MembershipFactory(
        user=UserFactory(username="lg_iso_student"),
        enterprise=world.acme,
        role=Membership.Role.STUDENT,
        department=package.owner_lab,
        supervisor=teacher.user,
    )
    with scopes_disabled():
        return UsedUpDeclaration.objects.create(
            enterprise=world.acme, package=package, declared_by=student.user, reviewer=teacher.user
        )


def _register_ledger_area() -> None:
    from chemicals.models import Package, UsedUpDeclaration

    WORLDS.setdefault(Package, _lg_package)
    WORLDS.setdefault(UsedUpDeclaration, _lg_declaration)
    use = {"used_on": "2020-01-02", "quantity": "1", "purpose": "OUTSIDER"}
    by_url = {
        "ledger_lab": (_uni_lab, [{}]),
        "ledger_package": (_lg_package, [{}]),
        "ledger_package_pdf": (_lg_package, [{}]),
        "ledger_record": (_lg_package, [use]),
        "ledger_declare": (_lg_package, [{"note": "OUTSIDER"}]),
        "ledger_declaration_review": (
            _lg_declaration,
            [{"decision": "accept"}, {"decision": "reject", "reason": "outsider"}],
        ),
    }
    for name, (make, bodies) in by_url.items():
        WORLDS_BY_URL[f"chemicals:{name}"] = make
        OWNERS_BY_URL[f"chemicals:{name}"] = "alice"
        POST_BODIES_BY_URL[f"chemicals:{name}"] = bodies


_register_ledger_area()


# ==== chemicals area: waste ====
# Waste collection of acme turned university: a route, an open collection (deadline ahead), a lab's registration
# on it (with a collected package) and a barrel request. alice (acme's administrator, a central role) reads them;
# the centre's steps are hers through a custom role with the centre's feature; cancelling a registration is the
# lab's (its teacher, ``world.ws_teacher``). An outsider's mark-collected, cancel or delivery would show in the
# snapshot (statuses, review records, operation log, notifications).


def _ws_route(world):
    from chemicals.models import Campus, WasteRoute

    _acme_as_university(world)
    with scopes_disabled():
        campus = Campus.objects.get_or_create(enterprise=world.acme, name="北校区")[0]
        return WasteRoute.objects.get_or_create(
            enterprise=world.acme, name="北校区路线", defaults={"campus": campus, "stops": ["理科楼", "动科学院"]}
        )[0]


def _ws_centre_alice(world) -> None:
    """alice may run the centre's steps (a custom role with the centre's feature)."""
    from enterprises.models import Role

    with scopes_disabled():
        role = Role.objects.get_or_create(
            enterprise=world.acme, name="危化品服务中心", defaults={"permissions": ["chemicals.centre"]}
        )[0]
        world.alice.custom_roles.add(role)


def _ws_collection(world):
    from datetime import timedelta

    from chemicals.models import WasteCollection

    _ws_route(world)
    _ws_centre_alice(world)
    day = timezone.localdate() + timedelta(days=3)
    with scopes_disabled():
        return WasteCollection.objects.create(
            enterprise=world.acme,
            collection_date=day,
            registration_deadline=timezone.now() + timedelta(days=2),
            note="iso",
        )


def _ws_registration(world):
    from decimal import Decimal

    from chemicals.models import Chemical, Package, Store, WasteItem, WasteRegistration

    collection = _ws_collection(world)
    lab = _uni_lab(world)
    world.ws_teacher = MembershipFactory(
        user=UserFactory(username="ws_iso_teacher"),
        enterprise=world.acme,
        role=Membership.Role.TEACHER,
        department=lab,
        profile_completed_at=timezone.now(),
    )
    with scopes_disabled():
        registration = WasteRegistration.objects.create(
            enterprise=world.acme,
            collection=collection,
            lab=lab,
            route=_ws_route(world),
            building="理科楼",
            room="101",
            registered_by=world.ws_teacher.user,
            phone="13800000000",
        )
        WasteItem.objects.create(
            enterprise=world.acme, registration=registration, category=WasteItem.Category.CHEMICAL_LIQUID, quantity=1
        )
        store = Store.objects.create(enterprise=world.acme, name="有机化学实验室库房", kind=Store.Kind.LAB, lab=lab)
        chemical = Chemical.objects.get_or_create(cas_number="64-17-5", defaults={"name_zh": "乙醇", "unit": "mL"})[0]
        Package.objects.create(
            enterprise=world.acme,
            code="ISO-WASTE-1",
            chemical=chemical,
            size=Decimal("500"),
            remaining=Decimal("0"),
            store=store,
            owner_lab=lab,
            status=Package.Status.COLLECTED,
            collected_at=timezone.now(),
            waste_registration=registration,
        )
    return registration


def _ws_barrel_request(world):
    from chemicals.models import BarrelRequest, WasteItem

    route = _ws_route(world)
    _ws_centre_alice(world)
    lab = _uni_lab(world)
    with scopes_disabled():
        return BarrelRequest.objects.create(
            enterprise=world.acme,
            lab=lab,
            campus=route.campus,
            kind=WasteItem.Category.CHEMICAL_LIQUID,
            quantity=2,
            requested_by=world.alice.user,
        )


def _register_waste_area() -> None:
    from chemicals.models import BarrelRequest, WasteCollection, WasteRegistration, WasteRoute

    WORLDS.setdefault(WasteRoute, _ws_route)
    WORLDS.setdefault(WasteCollection, _ws_collection)
    WORLDS.setdefault(WasteRegistration, _ws_registration)
    WORLDS.setdefault(BarrelRequest, _ws_barrel_request)
    WORLDS_BY_URL["chemicals:waste_route_edit"] = lambda world: (_ws_centre_alice(world), _ws_route(world))[1]
    POST_BODIES_BY_URL["chemicals:waste_route_edit"] = [{"campus": "", "name": "outsider", "stops": "x"}]
    for name in ("waste_collection_detail", "waste_collection_edit", "waste_collection_collected"):
        OWNERS_BY_URL[f"chemicals:{name}"] = "alice"
    POST_BODIES_BY_URL["chemicals:waste_collection_edit"] = [{"collection_date": "2030-01-03", "note": "outsider"}]
    OWNERS_BY_URL["chemicals:waste_registration_detail"] = "alice"
    OWNERS_BY_URL["chemicals:waste_registration_cancel"] = "ws_teacher"
    for name in ("waste_barrel_deliver", "waste_barrel_cancel"):
        OWNERS_BY_URL[f"chemicals:{name}"] = "alice"


_register_waste_area()


# ==== chemicals area: termination ====


# ==== chemicals area: majorhazards ====
# A saved GB 18218 assessment of acme (a plain enterprise: any enterprise assesses its own units) and a centre's
# physical store of acme turned university (assessed from live inventory). alice (acme's administrator) opens
# both; an outsider's "save as a snapshot" would add an assessment and an operation-log entry (the snapshot).


def _mh_assessment(world):
    from decimal import Decimal

    from chemicals.models import HazardSourceAssessment, HazardSourceLine

    with scopes_disabled():
        assessment = HazardSourceAssessment.objects.create(
            enterprise=world.acme,
            name="甲类仓库",
            people_exposed=60,
            alpha=Decimal("1.5"),
            s_value=Decimal("10"),
            r_value=Decimal("30"),
            is_major=True,
            grade=3,
            assessed_by=world.alice.user,
        )
        HazardSourceLine.objects.create(
            enterprise=world.acme,
            assessment=assessment,
            name="二氧化硫",
            quantity_t=Decimal("200"),
            critical_quantity_t=Decimal("20"),
            beta=Decimal("2"),
        )
    return assessment


def _mh_store(world):
    from chemicals.models import Store

    _acme_as_university(world)
    with scopes_disabled():
        return Store.objects.create(enterprise=world.acme, name="北校区危化品库", kind=Store.Kind.CENTRE_PHYSICAL)


def _register_majorhazards_area() -> None:
    from chemicals.models import HazardSourceAssessment, Store

    for name in ("major_hazard_detail", "major_hazard_pdf"):
        WORLDS_BY_URL[f"chemicals:{name}"] = _mh_assessment
        OWNERS_BY_URL[f"chemicals:{name}"] = "alice"
    WORLDS_BY_URL["chemicals:major_hazard_store"] = _mh_store
    OWNERS_BY_URL["chemicals:major_hazard_store"] = "alice"
    POST_BODIES_BY_URL["chemicals:major_hazard_store"] = [{"people_exposed": "5"}]
    WORLDS.setdefault(HazardSourceAssessment, _mh_assessment)
    WORLDS.setdefault(Store, _mh_store)


_register_majorhazards_area()


# ==== chemicals area: figures ====


def outsiders_for(model: type[models.Model] | None) -> tuple[str, ...]:
    return OUTSIDERS + EXTRA_OUTSIDERS.get(model, ())


def _world_for(u: IdUrl, model: type[models.Model]) -> Callable[[Any], models.Model]:
    return WORLDS_BY_URL.get(u.name) or WORLDS[model]


def _owner_for(u: IdUrl, model: type[models.Model]) -> str:
    return OWNERS_BY_URL.get(u.name) or OWNERS.get(model, "alice")


def _post_bodies_for(u: IdUrl, model: type[models.Model]) -> list[dict[str, str]]:
    return POST_BODIES_BY_URL.get(u.name) or POST_BODIES.get(model, [{}])


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------


def _check_declared(u: IdUrl) -> type[models.Model]:
    if u.model is None:
        pytest.fail(
            f"URL {u.label!r} ({u.route}) takes an object id ({', '.join(u.id_kwargs)}) but its view {u.view} "
            "declares no model. Declare it so the isolation test can check the URL: class-based views set "
            "`model = TheModel` (see safety.views.ScopedObjectMixin); function views set "
            "`the_view.isolation_model = TheModel` after the definition (see approvals.views.notification_open).",
            pytrace=False,
        )
    if u.model not in WORLDS:
        pytest.fail(
            f"URL {u.label!r} points at {u.model.__module__}.{u.model.__name__}, which has no entry in "
            "tests/test_isolation.py WORLDS. Add a function that creates one such object belonging to tenant A "
            "(acme, in 南城办's jurisdiction) and returns it; add OWNERS / EXTRA_OUTSIDERS / POST_BODIES entries "
            "if the defaults do not fit.",
            pytrace=False,
        )
    if u.name is None:
        pytest.fail(f"URL {u.route} ({u.view}) takes an id but has no name: name it so it can be reversed.")
    missing = [k for k in u.other_kwargs if k not in URL_EXTRA_KWARGS.get(u.name, {})]
    if missing:
        pytest.fail(
            f"URL {u.name!r} also takes {', '.join(missing)}: add values to URL_EXTRA_KWARGS in "
            "tests/test_isolation.py.",
            pytrace=False,
        )
    return u.model


def _url_for(u: IdUrl, obj: models.Model) -> str:
    kwargs: dict[str, Any] = dict(URL_EXTRA_KWARGS.get(u.name, {}))
    for k in u.id_kwargs:
        if k == "pk" or len(u.id_kwargs) == 1:
            kwargs[k] = obj.pk
        else:  # e.g. <int:enterprise_pk>/…/<int:pk>: the parent's id from the object's own foreign key
            base = k.removesuffix("_pk").removesuffix("_id")
            kwargs[k] = getattr(obj, f"{base}_id", obj.pk)
    return reverse(u.name, kwargs=kwargs)


def _snapshot(obj: models.Model) -> dict[str, Any]:
    """Everything an outsider's request could have written."""
    with scopes_disabled():
        fresh = type(obj)._base_manager.get(pk=obj.pk)
        return {
            "object": {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields},
            "review_records": ReviewRecord.objects.count(),
            "transitions": OperationLog.objects.filter(action=OperationLog.Action.TRANSITION).count(),
            "operation_log": OperationLog.objects.count(),
            "notifications": sorted(Notification.objects.values_list("pk", "read_at")),
            "deliveries": NotificationDelivery.objects.count(),
            "memberships": sorted(Membership.objects.values_list("pk", "status")),
            "enterprises": sorted(Enterprise.unscoped.values_list("pk", "status", "owning_body_id", "region_id")),
        }


def _client_for(login, membership: Membership) -> Client:
    return login(membership, Client())


def _cases_with_outsiders():
    for u in ID_URLS:
        for who in outsiders_for(u.model):
            yield pytest.param(u, who, id=f"{u.label}-{who}")


def _url_params():
    return [pytest.param(u, id=u.label) for u in ID_URLS]


# --------------------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Files the WORLDS functions write (exports) go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path


def test_walk_finds_the_known_id_urls():
    names = {u.name for u in ID_URLS}
    known = {"enterprises:gov_registration_detail", "approvals:notification_open"}
    assert known <= names, f"the URL walk missed {sorted(known - names)}; found {sorted(filter(None, names))}"


def test_walk_skips_admin_and_id_free_urls():
    names = {u.name for u in ID_URLS}
    assert not any(n and n.startswith("admin:") for n in names)
    assert "enterprises:gov_registrations_tab" not in names  # <str:tab> is not an id


def test_walk_flags_a_view_that_declares_no_model():
    """The generator's own guard: an id URL without a declared model comes out with model None."""
    from django.urls import path

    class Conf:
        urlpatterns = [
            path("thing/<int:pk>/", lambda request, pk: None, name="thing"),
            path("box/<slug:box_id>/", lambda request, box_id: None, name="box"),
            path("plain/<str:tab>/", lambda request, tab: None, name="plain"),
        ]

    found = walk_id_urls(URLResolver(get_resolver().pattern.__class__(r"^/"), Conf))
    assert [(u.name, u.model) for u in found] == [("thing", None), ("box", None)]


@pytest.mark.parametrize("u", _url_params())
def test_every_id_url_declares_a_registered_model(u: IdUrl):
    _check_declared(u)


@pytest.mark.parametrize("u", _url_params())
def test_owner_reaches_the_url(u: IdUrl, world, login):
    """Positive control: the owner (or the reviewer of the jurisdiction) gets the page."""
    model = _check_declared(u)
    obj = _world_for(u, model)(world)
    owner = getattr(world, _owner_for(u, model))
    c = _client_for(login, owner)
    url = _url_for(u, obj)
    response = c.get(url)
    if response.status_code == 405:
        # A POST-only action (e.g. opening a notification marks it read): the owner's POST must work.
        response = c.post(url, _post_bodies_for(u, model)[0])
        assert response.status_code in (200, 302), f"owner POST {url} → {response.status_code}"
    else:
        assert response.status_code == 200, f"owner GET {url} → {response.status_code}"


@pytest.mark.parametrize(("u", "outsider"), list(_cases_with_outsiders()))
def test_outsider_gets_404_and_writes_nothing(u: IdUrl, outsider: str, world, login):
    model = _check_declared(u)
    obj = _world_for(u, model)(world)
    owner = getattr(world, _owner_for(u, model))
    url = _url_for(u, obj)
    # What GET answers regardless of the object: a POST-only view refuses GET with 405 for everyone,
    # owner included, before reading the object; that tells an outsider nothing.
    owner_get = _client_for(login, owner).get(url).status_code
    expected_get = 405 if owner_get == 405 else 404

    c = _client_for(login, getattr(world, outsider))
    before = _snapshot(obj)

    response = c.get(url)
    assert response.status_code == expected_get, f"{outsider} GET {url} → {response.status_code}"
    for body in _post_bodies_for(u, model):
        response = c.post(url, body)
        assert response.status_code == 404, f"{outsider} POST {url} {body} → {response.status_code}"
    # The neighbouring ids (probing) are no different.
    for probe in (obj.pk + 1000, 0):
        response = c.get(url.replace(f"/{obj.pk}/", f"/{probe}/"))
        assert response.status_code in (404, expected_get)

    assert _snapshot(obj) == before, f"{outsider}'s requests to {url} wrote something"
