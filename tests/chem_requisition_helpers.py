"""Requisitions driven through the services, for tests/test_chem_requisition*.py.

    chem = build_chem(world)
    req = write(chem, "s_active", Requisition.Source.LAB, [(chem.acetone, "500", 1)])
    approve_to_office(chem, req)            # submit, lab → college → office: APPROVED

The organic lab (head t_alice, stock limit 50 kg) is the requisitioning lab: s_active (its student, supervised
by t_alice) writes, t_alice reviews the lab step, college_admin the college step, officer the office step.
"""

from __future__ import annotations

from decimal import Decimal

from chemicals import services
from chemicals.models import Chemical, OrderStatus, Package, Requisition
from enterprises.models import Membership
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .chem_world import Chem
from .university_world import member, student

S = OrderStatus
SRC = Requisition.Source


def actor(chem: Chem, name: str) -> Actor:
    return chem.actor(name)


def write(
    chem: Chem,
    who: str,
    source: str,
    lines: list[tuple[Chemical, str, int]],
    *,
    campus=None,
    handover: str = "",
    pk: int | None = None,
) -> Requisition:
    if source != SRC.LAB:
        campus = campus or chem.north
        handover = handover or Requisition.Handover.PICKUP
    return services.requisition_save(
        actor=actor(chem, who),
        pk=pk,
        source=source,
        campus_id=campus.pk if campus else None,
        handover=handover,
        purpose="实验课",
        contact_phone="13800000001",
        lines=[{"chemical_id": c.pk, "package_size": size, "package_count": n} for c, size, n in lines],
    )


def submit(chem: Chem, req: Requisition, who: str = "s_active") -> Requisition:
    return services.requisition_submit(actor=actor(chem, who), pk=req.pk)


def review(chem: Chem, req: Requisition, who: str, approve: bool = True, reason: str = "") -> Requisition:
    return services.requisition_review(actor=actor(chem, who), pk=req.pk, approve=approve, reason=reason)


def approve_to_office(chem: Chem, req: Requisition, submitter: str = "s_active") -> Requisition:
    """Submit and pass the three steps (the lab step is t_alice's, or passes at once when she submitted)."""
    req = submit(chem, req, submitter)
    if req.status == S.LAB_REVIEW:
        req = review(chem, req, "t_alice")
    req = review(chem, req, "college_admin")
    return review(chem, req, "officer")


def reload(obj):
    with scopes_disabled():
        return type(obj)._base_manager.get(pk=obj.pk)


def packages_of(req: Requisition) -> list[Package]:
    with scopes_disabled():
        return list(Package.objects.filter(requisition_line__requisition=req).select_related("store").order_by("code"))


def stock_up(store, chemical: Chemical, size: str, count: int, **extra) -> list[Package]:
    from .chem_world import make_package

    return [make_package(store, chemical, size, **extra) for _ in range(count)]


def outsiders(chem: Chem) -> dict[str, Membership]:
    """Another lab's student and teacher, another college's admin, another university's teacher."""
    uni = chem.uni
    return {
        "s_other": student(
            uni.university,
            "s_other",
            status=Membership.Status.ACTIVE,
            department=uni.analytic,
            supervisor=uni.t_bob.user,
        ),
        "t_bob": uni.t_bob,
        "life_admin": member(uni.university, "life_admin", Membership.Role.COLLEGE_ADMIN, department=uni.life),
        "far_teacher": uni.far_teacher,
    }


def kg(value: str) -> Decimal:
    return Decimal(value)
