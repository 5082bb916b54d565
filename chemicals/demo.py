"""Demo data of the chemicals service for 西北示范农林大学 (called by ``setup_demo`` after the university's labs and
accounts; idempotent: a second run adds nothing).

Everything goes through the services, as the people would do it, so the orders carry their review records,
numbers, notifications and operation log:

- the catalogue (chemicals.reference's starter fixture, plus the few chemicals used here if missing);
- campuses 北校区 (pick-up at 服务中心) and 南校区 (pick-up at 南校区库房, or delivery), the centre's physical store
  on each, its virtual store, and stock in them; the waste routes of seed 000 and the week's open collection;
- an open purchase round and purchase requests at every step: a draft, awaiting the supervising teacher, the
  college, the office, approved (awaiting stock-in), stocked and unpaid (分析化学实验室), completed (paid: the
  bottles are in 有机化学实验室's own store);
- requisitions: from the lab's own store awaiting the teacher; from the centre's store awaiting the office;
  stocked and awaiting payment; issued (有机化学实验室 records uses in the ledger, one package used up by the
  teacher and one declared by the student awaiting the teacher's review);
- 分析化学实验室 near its 30 kg stock limit (25 L of methanol issued to it).

uni_student2 (杨学生) is an active student of 有机化学实验室 supervised by uni_teacher (uni_student stays a fresh
student awaiting activation, for that flow).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from enterprises.demo_university import UNIVERSITY
from enterprises.models import Department, Enterprise, Membership
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .models import (
    Campus,
    Chemical,
    ControlledCategory,
    HazardClass,
    OrderStatus,
    Package,
    PurchaseRequest,
    PurchaseRound,
    Requisition,
    StorageGroup,
    Store,
    Unit,
    WasteCollection,
    WasteRoute,
)

DEMO_PASSWORD = "Safety#2026"
STUDENT = ("uni_student2", "杨学生")

# CAS → (Chinese name, English name, unit, storage group, controlled category, hazard classes): what the demo
# uses, created only where the starter catalogue does not have them.
CHEMICALS: dict[str, tuple] = {
    "64-17-5": ("乙醇", "Ethanol", Unit.MILLILITRE, StorageGroup.FLAMMABLE, "", [HazardClass.FLAMMABLE_LIQUID]),
    "67-56-1": (
        "甲醇",
        "Methanol",
        Unit.MILLILITRE,
        StorageGroup.FLAMMABLE,
        "",
        [HazardClass.FLAMMABLE_LIQUID, HazardClass.ACUTE_TOXICITY],
    ),
    "141-78-6": (
        "乙酸乙酯",
        "Ethyl acetate",
        Unit.MILLILITRE,
        StorageGroup.FLAMMABLE,
        "",
        [HazardClass.FLAMMABLE_LIQUID],
    ),
    "75-05-8": ("乙腈", "Acetonitrile", Unit.MILLILITRE, StorageGroup.FLAMMABLE, "", [HazardClass.FLAMMABLE_LIQUID]),
    "67-64-1": (
        "丙酮",
        "Acetone",
        Unit.MILLILITRE,
        StorageGroup.FLAMMABLE,
        ControlledCategory.PRECURSOR,
        [HazardClass.FLAMMABLE_LIQUID, HazardClass.EYE_DAMAGE],
    ),
    "7647-01-0": (
        "盐酸",
        "Hydrochloric acid",
        Unit.MILLILITRE,
        StorageGroup.ACID,
        ControlledCategory.PRECURSOR,
        [HazardClass.SKIN_CORROSION, HazardClass.CORROSIVE_TO_METALS],
    ),
    "7664-93-9": (
        "硫酸",
        "Sulfuric acid",
        Unit.MILLILITRE,
        StorageGroup.ACID,
        ControlledCategory.PRECURSOR,
        [HazardClass.SKIN_CORROSION, HazardClass.CORROSIVE_TO_METALS],
    ),
    "1310-73-2": ("氢氧化钠", "Sodium hydroxide", Unit.GRAM, StorageGroup.BASE, "", [HazardClass.SKIN_CORROSION]),
}

# Seed 000 (5.2): the fixed routes of the Thursday collection.
ROUTES = {
    "北校区": ("北校区固定路线", ["理科楼", "动科学院", "老昆虫馆", "动医学院", "食品葡酒楼", "旱研院"]),
    "南校区": ("南校区固定路线", ["农科楼", "三号教学楼", "林学院实验楼", "二号教学楼", "科研主楼", "水保所"]),
}


class _Demo:
    """The university, its people (as actors) and what the steps share."""

    def __init__(self, university: Enterprise, make_user: Callable[..., tuple]) -> None:
        self.university = university
        self.college = Department.objects.get(enterprise=university, kind=Department.Kind.COLLEGE, name="化学与药学院")
        self.organic = Department.objects.get(enterprise=university, parent=self.college, name="有机化学实验室")
        self.analytic = Department.objects.get(enterprise=university, parent=self.college, name="分析化学实验室")
        self.made_accounts = self._student(make_user)
        self.actors = {
            m.user.username: Actor(user=m.user, membership=m)
            for m in Membership.objects.filter(enterprise=university, status=Membership.Status.ACTIVE)
            .select_related("user", "enterprise", "department")
            .filter(user__username__in=("uni_safety", "uni_centre", "uni_college", "uni_teacher", "uni_teacher2"))
        } | {STUDENT[0]: self._actor(STUDENT[0])}
        self.chemicals: dict[str, Chemical] = {}
        self.stores: dict[str, Store] = {}
        self.campuses: dict[str, Campus] = {}

    def _actor(self, username: str) -> Actor:
        m = Membership.objects.select_related("user", "enterprise", "department").get(
            enterprise=self.university, user__username=username
        )
        return Actor(user=m.user, membership=m)

    def _student(self, make_user: Callable[..., tuple]) -> int:
        """An active student of 有机化学实验室 supervised by the lab head (uni_teacher)."""
        user, made = make_user(STUDENT[0], STUDENT[1], email=f"{STUDENT[0]}@localhost", phone="13900000003")
        supervisor = self.organic.head
        Membership.objects.get_or_create(
            user=user,
            enterprise=self.university,
            defaults={
                "role": Membership.Role.STUDENT,
                "status": Membership.Status.ACTIVE,
                "department": self.organic,
                "supervisor": supervisor,
                "profile_completed_at": timezone.now(),
            },
        )
        return int(made)

    def __getitem__(self, username: str) -> Actor:
        return self.actors[username]

    def chem(self, cas: str) -> Chemical:
        return self.chemicals[cas]


def _default_make_user(username: str, full_name: str, **extra) -> tuple[Any, bool]:
    user, made = get_user_model().objects.get_or_create(username=username, defaults={"full_name": full_name, **extra})
    if made:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user, made


def seed_chemicals_demo(make_user: Callable[..., tuple] | None = None) -> dict[str, int]:
    """Seed (or complete) the demo; returns what was created. Does nothing without the demo university."""
    with scopes_disabled():
        university = Enterprise.unscoped.filter(name=UNIVERSITY, is_university=True).first()
        if university is None or not Department.objects.filter(enterprise=university, name="有机化学实验室").exists():
            return {}
        demo = _Demo(university, make_user or _default_make_user)
        created = {"accounts": demo.made_accounts}
        created["chemicals"] = _catalogue(demo)
        created["stores"] = _campuses_and_stores(demo)
        created["routes"] = _waste(demo)
        created["stock"] = _centre_stock(demo)
        created["purchase_requests"] = _purchase_requests(demo)
        created["requisitions"] = _requisitions(demo)
    return created


# ---- catalogue, campuses, stores, waste ------------------------------------------------------------------


def _catalogue(demo: _Demo) -> int:
    from . import reference

    made = reference.load_chemicals().created
    for cas, (name_zh, name_en, unit, group, controlled, classes) in CHEMICALS.items():
        chemical, created = Chemical.objects.get_or_create(
            cas_number=cas,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "unit": unit,
                "storage_group": group,
                "controlled_category": controlled,
                "hazard_classes": classes,
            },
        )
        demo.chemicals[cas] = chemical
        made += int(created)
    return made


def _campuses_and_stores(demo: _Demo) -> int:
    from . import services

    centre = demo["uni_centre"]
    made = 0
    for name, delivers, pickup in (("北校区", False, "服务中心"), ("南校区", True, "南校区库房")):
        campus = Campus.objects.filter(enterprise=demo.university, name=name).first()
        if campus is None:
            campus = services.campus_save(actor=centre, name=name, delivers=delivers, pickup_point=pickup)
            made += 1
        demo.campuses[name] = campus
    for key, kind, name, campus in (
        ("north", Store.Kind.CENTRE_PHYSICAL, "服务中心北校区库房", demo.campuses["北校区"]),
        ("south", Store.Kind.CENTRE_PHYSICAL, "服务中心南校区库房", demo.campuses["南校区"]),
        ("virtual", Store.Kind.CENTRE_VIRTUAL, "服务中心虚拟库房", None),
    ):
        store = Store.objects.filter(enterprise=demo.university, name=name).first()
        if store is None:
            address = {"north": "北校区服务中心一楼", "south": "南校区库房"}.get(key, "")
            store = services.store_save(actor=centre, kind=kind, name=name, campus=campus, address=address)
            made += 1
        demo.stores[key] = store
    for lab in (demo.organic, demo.analytic):
        services.lab_store_for(lab)
    return made


def _waste(demo: _Demo) -> int:
    """Seed 000's two routes and this week's open collection (Thursday; registration closes Wednesday 23:59)."""
    from . import services, waste_schedule

    centre = demo["uni_centre"]
    made = 0
    for campus_name, (name, stops) in ROUTES.items():
        if not WasteRoute.objects.filter(enterprise=demo.university, name=name).exists():
            services.waste_route_save(actor=centre, campus_id=demo.campuses[campus_name].pk, name=name, stops=stops)
            made += 1
    if not WasteCollection.objects.filter(enterprise=demo.university, status=WasteCollection.Status.OPEN).exists():
        day = waste_schedule.next_collection_date(timezone.now())
        if not WasteCollection.objects.filter(enterprise=demo.university, collection_date=day).exists():
            services.waste_collection_save(actor=centre, collection_date=day, note="演示：本周四回收")
            made += 1
    return made


def _centre_stock(demo: _Demo) -> int:
    """The centre's own stock on both campuses (each class in its own cabinet: seed 002's segregation)."""
    from . import services

    centre = demo["uni_centre"]
    made = 0
    for store_key, cas, size, count, cabinet in (
        ("north", "1310-73-2", "500", 10, "碱类柜 B1"),
        ("north", "64-17-5", "500", 20, "易燃品柜 F1"),
        ("north", "141-78-6", "500", 8, "易燃品柜 F1"),
        ("north", "7647-01-0", "500", 6, "酸类柜 A1"),
        ("south", "67-56-1", "2500", 12, "易燃品柜 F2"),
        ("south", "75-05-8", "1000", 6, "易燃品柜 F2"),
    ):
        store, chemical = demo.stores[store_key], demo.chem(cas)
        # The centre's own stock (not bought for a lab), wherever it has gone since: stocked in once.
        if Package.objects.filter(enterprise=demo.university, chemical=chemical, purchase_line__isnull=True).exists():
            continue
        services.package_stock_in(
            actor=centre,
            chemical=chemical,
            store=store,
            size=Decimal(size),
            count=count,
            room="101",
            cabinet=cabinet,
            filing_number="陕公危备-演示-001" if chemical.is_controlled else "",
            police_station="杨陵区公安分局" if chemical.is_controlled else "",
        )
        made += count
    return made


# ---- purchase ------------------------------------------------------------------------------------------


def _open_round(demo: _Demo) -> PurchaseRound:
    from . import services

    now = timezone.now()
    found = PurchaseRound.objects.filter(enterprise=demo.university, opens_at__lte=now, deadline__gt=now).first()
    if found is not None:
        return found
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    opens = timezone.make_aware(datetime(today.year, today.month, today.day)) - timedelta(days=3)
    return services.purchase_round_create(
        actor=demo["uni_safety"],
        title=f"{today.year}年第{quarter}季度危化品申购意向征集",
        opens_at=opens,
        deadline=opens + timedelta(days=33),
        notice="演示：请各实验室在截止前提交申购，逾期未提交至实验室安全办公室的申购将自动终止。",
    )


def _purchase(demo: _Demo, round_: PurchaseRound, who: str, lab: Department, purpose: str, lines, upto: str):
    """One purchase request written by ``who`` and taken through the steps up to ``upto``."""
    from . import services

    actor = demo[who]
    order = services.purchase_request_create(
        actor=actor,
        round_id=round_.pk,
        lab_id=lab.pk,
        purpose=purpose,
        contact_phone=actor.user.phone or "13900000001",
        lines=[
            services.PurchaseLineData(chemical=demo.chem(cas), package_size=Decimal(size), package_count=count)
            for cas, size, count in lines
        ],
    )
    if upto == OrderStatus.DRAFT:
        return order
    services.purchase_request_submit(actor=actor, pk=order.pk)
    reviewers = {
        OrderStatus.LAB_REVIEW: demo["uni_teacher"] if lab == demo.organic else demo["uni_teacher2"],
        OrderStatus.COLLEGE_REVIEW: demo["uni_college"],
        OrderStatus.OFFICE_REVIEW: demo["uni_safety"],
    }
    reasons = {
        OrderStatus.LAB_REVIEW: "用量合理，同意。",
        OrderStatus.COLLEGE_REVIEW: "学院同意。",
        OrderStatus.OFFICE_REVIEW: "同意采购。",
    }
    order.refresh_from_db()
    while order.status in reviewers and order.status != upto:
        services.purchase_request_review(
            actor=reviewers[order.status], pk=order.pk, approve=True, reason=reasons[order.status]
        )
        order.refresh_from_db()
    if upto in (OrderStatus.STOCKED, OrderStatus.COMPLETED):
        centre = demo["uni_centre"]
        services.purchase_stock_in(
            actor=centre,
            pk=order.pk,
            campus_id=demo.campuses["北校区"].pk,
            lines=[
                services.StockInLineData(line_id=line.pk, received_count=line.package_count, unit_price=Decimal("35"))
                for line in order.lines.all()
            ],
        )
    if upto == OrderStatus.COMPLETED:
        services.purchase_pay(actor=actor, pk=order.pk, reference="演示支付 20260001")
        services.purchase_confirm_payment(actor=demo["uni_centre"], pk=order.pk)
    return order


def _purchase_requests(demo: _Demo) -> int:
    round_ = _open_round(demo)
    student, organic, analytic = STUDENT[0], demo.organic, demo.analytic
    made = 0
    # The completed one first: its payment is confirmed before the lab's other requests are reviewed (a lab with
    # an unpaid purchase order gets no further requests reviewed).
    for who, lab, purpose, lines, upto in (
        (
            "uni_teacher",
            organic,
            "演示：有机合成教学实验用溶剂（已完成）",
            [("64-17-5", "500", 6)],
            OrderStatus.COMPLETED,
        ),
        ("uni_teacher", organic, "演示：酸洗用硫酸（待中心入库）", [("7664-93-9", "500", 2)], OrderStatus.APPROVED),
        (
            student,
            organic,
            "演示：柱层析洗脱剂（待实验室安全办公室审核）",
            [("141-78-6", "500", 4)],
            OrderStatus.OFFICE_REVIEW,
        ),
        (
            "uni_teacher",
            organic,
            "演示：丙酮清洗玻璃器皿（待学院审核）",
            [("67-64-1", "500", 2)],
            OrderStatus.COLLEGE_REVIEW,
        ),
        (student, organic, "演示：重结晶用乙醇（待导师审核）", [("64-17-5", "500", 2)], OrderStatus.LAB_REVIEW),
        (student, organic, "演示：毕业论文实验试剂（草稿）", [("1310-73-2", "500", 1)], OrderStatus.DRAFT),
        (
            "uni_teacher2",
            analytic,
            "演示：液相色谱流动相（已入库，待付款）",
            [("75-05-8", "1000", 2)],
            OrderStatus.STOCKED,
        ),
    ):
        if PurchaseRequest.objects.filter(enterprise=demo.university, purpose=purpose).exists():
            continue
        _purchase(demo, round_, who, lab, purpose, lines, upto)
        made += 1
    return made


# ---- requisitions, ledger, stock limit -----------------------------------------------------------------


def _requisition(demo: _Demo, who: str, purpose: str, source: str, lines, upto: str, campus: str = "", handover=""):
    from . import services

    actor = demo[who]
    lab = demo.analytic if who == "uni_teacher2" else demo.organic
    order = services.requisition_save(
        actor=actor,
        source=source,
        lab_id=lab.pk,
        campus_id=demo.campuses[campus].pk if campus else None,
        handover=handover,
        purpose=purpose,
        contact_phone=actor.user.phone or "13900000001",
        lines=[
            {"chemical_id": demo.chem(cas).pk, "package_size": Decimal(size), "package_count": count}
            for cas, size, count in lines
        ],
    )
    if upto == OrderStatus.DRAFT:
        return order
    services.requisition_submit(actor=actor, pk=order.pk)
    reviewers = {
        OrderStatus.LAB_REVIEW: demo["uni_teacher"] if lab == demo.organic else demo["uni_teacher2"],
        OrderStatus.COLLEGE_REVIEW: demo["uni_college"],
        OrderStatus.OFFICE_REVIEW: demo["uni_safety"],
    }
    order.refresh_from_db()
    while order.status in reviewers and order.status != upto:
        services.requisition_review(actor=reviewers[order.status], pk=order.pk, approve=True, reason="同意。")
        order.refresh_from_db()
    if order.status != OrderStatus.APPROVED or upto == OrderStatus.APPROVED:
        return order
    centre = demo["uni_centre"]
    if source != Requisition.Source.LAB:
        services.requisition_stock(
            actor=centre, pk=order.pk, unit_prices={line.pk: Decimal("28") for line in order.lines.all()}
        )
        if upto == OrderStatus.STOCKED:
            return order
        services.requisition_pay(actor=actor, pk=order.pk, reference="演示支付 20260002")
        services.requisition_confirm_payment(actor=centre, pk=order.pk)
    services.requisition_issue(actor=centre, pk=order.pk)
    return order


def _ledger(demo: _Demo, order: Requisition) -> None:
    """Uses of the issued ethanol: the student records two uses and declares one bottle used up (awaiting the
    teacher); the teacher empties one bottle and declares it (a teacher's passes: used up, ready for waste)."""
    from . import services

    today = timezone.localdate()
    student, teacher = demo[STUDENT[0]], demo["uni_teacher"]
    packages = list(
        Package.objects.filter(requisition_line__requisition=order).select_related("chemical").order_by("code")
    )
    first, second, third = packages[:3]
    services.ledger_record_use(
        actor=student, package_id=first.pk, used_on=today, quantity=Decimal("120"), purpose="重结晶"
    )
    services.ledger_record_use(
        actor=student, package_id=first.pk, used_on=today, quantity=Decimal("80"), purpose="洗涤产物"
    )
    services.ledger_record_use(
        actor=student, package_id=second.pk, used_on=today, quantity=Decimal("500"), purpose="柱层析"
    )
    services.ledger_declare_used_up(actor=student, package_id=second.pk, note="已用完")
    services.ledger_record_use(
        actor=teacher, package_id=third.pk, used_on=today, quantity=Decimal("500"), purpose="教学实验"
    )
    services.ledger_declare_used_up(actor=teacher, package_id=third.pk, note="教学实验用完")


def _requisitions(demo: _Demo) -> int:
    lab_store, physical = Requisition.Source.LAB, Requisition.Source.CENTRE_PHYSICAL
    student = STUDENT[0]
    pickup, delivery = Requisition.Handover.PICKUP, Requisition.Handover.DELIVERY
    made = 0
    for who, purpose, source, lines, upto, campus, handover in (
        # From the lab's own store (the ethanol the completed purchase request brought): issued, then the ledger.
        (
            "uni_teacher",
            "演示：教学实验领用乙醇（已出库）",
            lab_store,
            [("64-17-5", "500", 3)],
            OrderStatus.COMPLETED,
            "",
            "",
        ),
        (student, "演示：领用乙醇（待导师审核）", lab_store, [("64-17-5", "500", 1)], OrderStatus.LAB_REVIEW, "", ""),
        (
            student,
            "演示：中心库房领用氢氧化钠（待实验室安全办公室审核）",
            physical,
            [("1310-73-2", "500", 1)],
            OrderStatus.OFFICE_REVIEW,
            "北校区",
            pickup,
        ),
        (
            "uni_teacher",
            "演示：中心库房领用盐酸（已备货，待付款）",
            physical,
            [("7647-01-0", "500", 1)],
            OrderStatus.STOCKED,
            "北校区",
            pickup,
        ),
        # 分析化学实验室 near its 30 kg limit: 10 × 2.5 L methanol (25 kg).
        (
            "uni_teacher2",
            "演示：液相色谱用甲醇（已出库，实验室接近库存上限）",
            physical,
            [("67-56-1", "2500", 10)],
            OrderStatus.COMPLETED,
            "南校区",
            delivery,
        ),
    ):
        if Requisition.objects.filter(enterprise=demo.university, purpose=purpose).exists():
            continue
        order = _requisition(demo, who, purpose, source, lines, upto, campus, handover)
        if upto == OrderStatus.COMPLETED and source == lab_store:
            _ledger(demo, order)
        made += 1
    return made
