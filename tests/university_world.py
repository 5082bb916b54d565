"""A university beside conftest's world, for the university tests (tests/test_university*.py).

西南示范大学 (in 南城, owning body 南城办, so gov_alice's jurisdiction):
    化学学院 > 有机化学实验室 (head: t_alice), 分析化学实验室
    生命科学学院 > 微生物实验室
People: uni_admin (enterprise admin), officer (lab-safety office), college_admin (化学学院), t_alice (teacher,
profile done, 有机化学实验室), t_bob (teacher, profile done, 分析化学实验室), t_new (teacher, first login),
s_carol (student, pending, nothing submitted yet), s_active (student, active, supervisor t_alice).
Another university (西北远方大学, in 贵阳) has far_teacher and its own college and lab.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from enterprises.models import AcademicTitle, Department, Enterprise, Membership
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory, actor_for

PASSWORD = "pw-Secret-123"  # tests.factories.UserFactory's


@dataclass
class Uni:
    university: Enterprise
    chemistry: Department
    organic: Department
    analytic: Department
    life: Department
    microbio: Department
    uni_admin: Membership
    officer: Membership
    college_admin: Membership
    t_alice: Membership
    t_bob: Membership
    t_new: Membership
    s_carol: Membership
    s_active: Membership
    far_university: Enterprise
    far_college: Department
    far_lab: Department
    far_teacher: Membership

    def actor(self, name: str) -> Actor:
        m = getattr(self, name)
        if m.status != Membership.Status.ACTIVE:
            return student_actor(m)
        return actor_for(m)


def student_actor(m: Membership) -> Actor:
    """What the middleware builds for a user whose only membership is not active: no membership at all."""
    return Actor(user=m.user, ip="10.9.8.7")


def department(enterprise: Enterprise, name: str, kind: str, parent: Department | None = None, **extra) -> Department:
    level = Department.Level.DEPARTMENT if kind == Department.Kind.COLLEGE else Department.Level.WORKSHOP
    with scopes_disabled():
        return Department.objects.create(
            enterprise=enterprise, name=name, kind=kind, parent=parent, level=level, **extra
        )


def member(enterprise: Enterprise, username: str, role: str, **extra) -> Membership:
    user = UserFactory(username=username, full_name=extra.pop("full_name", username), phone="13800000000")
    return MembershipFactory(user=user, enterprise=enterprise, role=role, **extra)


def teacher(enterprise: Enterprise, username: str, lab: Department | None, **extra) -> Membership:
    return member(
        enterprise,
        username,
        Membership.Role.TEACHER,
        department=lab,
        title=AcademicTitle.LECTURER,
        profile_completed_at=timezone.now(),
        **extra,
    )


def student(enterprise: Enterprise, username: str, **extra) -> Membership:
    extra.setdefault("status", Membership.Status.PENDING)
    return member(enterprise, username, Membership.Role.STUDENT, **extra)


def build_uni(world) -> Uni:
    university = EnterpriseFactory(
        name="西南示范大学",
        owning_body=world.nancheng_office,
        region=world.nancheng,
        industry="education",
        is_university=True,
    )
    chemistry = department(university, "化学学院", Department.Kind.COLLEGE)
    organic = department(university, "有机化学实验室", Department.Kind.LAB, chemistry, stock_limit=Decimal("50"))
    analytic = department(university, "分析化学实验室", Department.Kind.LAB, chemistry)
    life = department(university, "生命科学学院", Department.Kind.COLLEGE)
    microbio = department(university, "微生物实验室", Department.Kind.LAB, life)
    t_alice = teacher(university, "t_alice", organic, full_name="艾老师")
    with scopes_disabled():
        Department.objects.filter(pk=organic.pk).update(head=t_alice.user)
        organic.refresh_from_db()
    far_university = EnterpriseFactory(
        name="西北远方大学", owning_body=world.guiyang_bureau, region=world.nanming, is_university=True
    )
    far_college = department(far_university, "远方化学院", Department.Kind.COLLEGE)
    far_lab = department(far_university, "远方实验室", Department.Kind.LAB, far_college)
    return Uni(
        university=university,
        chemistry=chemistry,
        organic=organic,
        analytic=analytic,
        life=life,
        microbio=microbio,
        uni_admin=member(university, "uni_admin", Membership.Role.ENTERPRISE_ADMIN),
        officer=member(university, "officer", Membership.Role.LAB_SAFETY_OFFICER),
        college_admin=member(university, "college_admin", Membership.Role.COLLEGE_ADMIN, department=chemistry),
        t_alice=t_alice,
        t_bob=teacher(university, "t_bob", analytic, full_name="鲍老师"),
        t_new=member(university, "t_new", Membership.Role.TEACHER),
        s_carol=student(university, "s_carol", full_name=""),
        s_active=student(
            university,
            "s_active",
            status=Membership.Status.ACTIVE,
            department=organic,
            supervisor=t_alice.user,
            profile_completed_at=timezone.now(),
        ),
        far_university=far_university,
        far_college=far_college,
        far_lab=far_lab,
        far_teacher=teacher(far_university, "far_teacher", far_lab),
    )


def anonymous() -> Actor:
    return Actor(user=AnonymousUser())
