"""The demo university's colleges, labs and lab users (called by ``setup_demo``; idempotent).

西北示范农林大学: 化学与药学院 > 有机化学实验室 (head uni_teacher, limit 50 kg) and 分析化学实验室 (head
uni_teacher2, limit 30 kg), plus the lab-safety office and the chemicals service centre. uni_teacher and
uni_teacher2 have completed their profiles; uni_student is a fresh student awaiting activation (nothing submitted
yet), so logging in as uni_student starts the activation flow. Re-running changes nothing already set.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.utils import timezone

UNIVERSITY = "西北示范农林大学"


def setup_demo_university(make_user: Callable[..., tuple]) -> int:
    """Run with scopes disabled (setup_demo does). ``make_user(username, full_name, **extra)`` → (user, made).
    Returns the number of accounts created."""
    from .models import AcademicTitle, Department, Enterprise, Membership

    university = Enterprise.unscoped.filter(name=UNIVERSITY, is_university=True).first()
    if university is None:
        return 0

    def unit(name: str, kind: str, parent: Department | None = None) -> Department:
        level = Department.Level.WORKSHOP if kind == Department.Kind.LAB else Department.Level.DEPARTMENT
        department, _made = Department.objects.get_or_create(
            enterprise=university, parent=parent, name=name, defaults={"kind": kind, "level": level}
        )
        return department

    college = unit("化学与药学院", Department.Kind.COLLEGE)
    organic = unit("有机化学实验室", Department.Kind.LAB, college)
    analytic = unit("分析化学实验室", Department.Kind.LAB, college)
    office = unit("实验室与设备管理处", Department.Kind.LAB_SAFETY_OFFICE)
    centre = unit("实验危化品服务中心", Department.Kind.SERVICE_CENTRE)

    teacher2, created = make_user("uni_teacher2", "韩老师", email="uni_teacher2@localhost", phone="13900000002")
    Membership.objects.get_or_create(user=teacher2, enterprise=university, defaults={"role": Membership.Role.TEACHER})
    # Teachers with a completed profile, each heading a lab (only what is still unset).
    for username, lab, title, limit in (
        ("uni_teacher", organic, AcademicTitle.ASSOCIATE_PROFESSOR, Decimal("50")),
        ("uni_teacher2", analytic, AcademicTitle.LECTURER, Decimal("30")),
    ):
        m = Membership.objects.select_related("user").filter(
            user__username=username, enterprise=university, role=Membership.Role.TEACHER
        )
        m = m.first()
        if m is None:
            continue
        if m.profile_completed_at is None:
            m.department, m.title, m.profile_completed_at = lab, title, timezone.now()
            m.save(update_fields=["department", "title", "profile_completed_at"])
            if not m.user.phone:
                m.user.phone = "13900000001"
                m.user.save(update_fields=["phone"])
        if lab.head_id is None:
            lab.head = m.user
        if lab.stock_limit is None:
            lab.stock_limit = limit
        lab.save(update_fields=["head", "stock_limit"])
    # Central units and the college administrator's college.
    for username, department in (("uni_safety", office), ("uni_centre", centre), ("uni_college", college)):
        Membership.objects.filter(user__username=username, enterprise=university, department__isnull=True).update(
            department=department
        )
    # The demo student starts as a real one does: pending, no supervisor, nothing submitted.
    Membership.objects.filter(
        user__username="uni_student",
        enterprise=university,
        role=Membership.Role.STUDENT,
        status=Membership.Status.ACTIVE,
        supervisor__isnull=True,
        profile_completed_at__isnull=True,
    ).update(status=Membership.Status.PENDING)
    return int(created)
