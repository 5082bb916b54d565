"""Purchase rounds and requests for tests/test_chem_purchase*.py, on top of tests/chem_world.py.

p = build_purchase(world)           # chem world + an open round + more reviewers
order = p.draft("s_active", (p.chem.ethanol, "500", 2))
p.advance(order, S.APPROVED)        # through the services, each step by its real reviewer
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from approvals.models import ReviewRecord
from chemicals import services
from chemicals.models import Chemical, OrderStatus, Package, PurchaseRequest, PurchaseRound
from enterprises.models import Membership
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .chem_world import Chem, build_chem
from .factories import actor_for
from .university_world import member, teacher

S = OrderStatus


@dataclass
class Purchase:
    chem: Chem
    round: PurchaseRound
    officer2: Membership  # a second lab-safety officer (races at the office step)
    college_admin2: Membership  # a second administrator of 化学学院 (races at the college step)
    life_admin: Membership  # the administrator of 生命科学学院: another college
    t_carl: Membership  # another teacher of 有机化学实验室, not its head
    s_bob: Membership  # a student of 分析化学实验室 supervised by t_bob

    def actor(self, name: str) -> Actor:
        if hasattr(self, name) and isinstance(getattr(self, name), Membership):
            return actor_for(getattr(self, name))
        return self.chem.actor(name)

    def membership(self, name: str) -> Membership:
        if hasattr(self, name) and isinstance(getattr(self, name), Membership):
            return getattr(self, name)
        if hasattr(self.chem.uni, name):
            return getattr(self.chem.uni, name)
        return getattr(self.chem, name)

    def draft(self, who: str, *lines: tuple[Chemical, str, int], lab=None, round_=None) -> PurchaseRequest:
        """A draft written through the service by ``who`` for its own lab (or ``lab``)."""
        actor = self.actor(who)
        lab = lab or self.membership(who).department
        return services.purchase_request_create(
            actor=actor,
            round_id=(round_ or self.round).pk,
            lab_id=lab.pk,
            lines=[
                services.PurchaseLineData(chemical=c, package_size=Decimal(size), package_count=n)
                for c, size, n in (lines or ((self.chem.ethanol, "500", 2),))
            ],
            purpose="有机合成",
        )

    def reviewer_for(self, order: PurchaseRequest) -> str:
        order = reload(order)
        if order.status == S.LAB_REVIEW:
            return {self.chem.uni.t_alice.user_id: "t_alice", self.chem.uni.t_bob.user_id: "t_bob"}[
                _lab_reviewer_id(order)
            ]
        if order.status == S.COLLEGE_REVIEW:
            return "college_admin" if order.lab.parent_id == self.chem.uni.chemistry.pk else "life_admin"
        return "officer"

    def advance(self, order: PurchaseRequest, target: str) -> PurchaseRequest:
        """Submit (if needed) and approve step by step until ``target`` (lab review … approved)."""
        steps = [S.LAB_REVIEW, S.COLLEGE_REVIEW, S.OFFICE_REVIEW, S.APPROVED]
        order = reload(order)
        if order.status in (S.DRAFT, S.REJECTED):
            order = services.purchase_request_submit(actor=actor_for(_membership_of(order)), pk=order.pk)
        while order.status != target:
            assert order.status in steps[:-1], f"cannot advance from {order.status} to {target}"
            order = services.purchase_request_review(
                actor=self.actor(self.reviewer_for(order)), pk=order.pk, approve=True
            )
        return order

    def stock_in(self, order: PurchaseRequest, price: str = "25.50", received: int | None = None) -> PurchaseRequest:
        with scopes_disabled():
            lines = list(order.lines.all())
        return services.purchase_stock_in(
            actor=self.actor("centre"),
            pk=order.pk,
            campus_id=self.chem.north.pk,
            lines=[
                services.StockInLineData(line.pk, line.package_count if received is None else received, Decimal(price))
                for line in lines
            ],
        )


def _membership_of(order: PurchaseRequest) -> Membership:
    with scopes_disabled():
        return Membership.objects.select_related("enterprise", "user").get(
            user_id=order.submitter_id, enterprise_id=order.enterprise_id
        )


def _lab_reviewer_id(order: PurchaseRequest) -> int:
    from chemicals import tiers

    with scopes_disabled():
        return tiers.lab_reviewer(order).pk


def reload(obj):
    with scopes_disabled():
        return type(obj)._base_manager.get(pk=obj.pk)


def records_of(order: PurchaseRequest) -> list[ReviewRecord]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(PurchaseRequest), subject_id=order.pk
            ).order_by("created_at", "pk")
        )


def packages_of(order: PurchaseRequest) -> list[Package]:
    with scopes_disabled():
        return list(Package.objects.filter(purchase_line__request=order).select_related("store").order_by("code"))


def make_round(chem: Chem, *, opens_at: datetime, deadline: datetime, title: str = "") -> PurchaseRound:
    with scopes_disabled():
        return PurchaseRound.objects.create(
            enterprise=chem.uni.university,
            title=title or f"申购 {opens_at:%Y-%m-%d}",
            opens_at=opens_at,
            deadline=deadline,
        )


def build_purchase(world) -> Purchase:
    chem = build_chem(world)
    uni = chem.uni
    now = timezone.now()
    round_ = make_round(chem, opens_at=now - timedelta(days=3), deadline=now + timedelta(days=11), title="本季度申购")
    with scopes_disabled():
        t_bob = uni.t_bob
    return Purchase(
        chem=chem,
        round=round_,
        officer2=member(uni.university, "officer2", Membership.Role.LAB_SAFETY_OFFICER, full_name="欧处长"),
        college_admin2=member(
            uni.university, "college_admin2", Membership.Role.COLLEGE_ADMIN, department=uni.chemistry, full_name="柯院"
        ),
        life_admin=member(uni.university, "life_admin", Membership.Role.COLLEGE_ADMIN, department=uni.life),
        t_carl=teacher(uni.university, "t_carl", uni.organic, full_name="卡老师"),
        s_bob=member(
            uni.university,
            "s_bob",
            Membership.Role.STUDENT,
            department=uni.analytic,
            supervisor=t_bob.user,
            profile_completed_at=now,
            full_name="薄同学",
        ),
    )
