"""Chemicals beside the university of tests/university_world.py, for tests/test_chem_*.py.

    chem = build_chem(world)      # builds the university too (chem.uni is tests.university_world.Uni)

西南示范大学 gets two campuses (北校区: pick-up at 服务中心; 南校区: delivered), the centre's physical store per
campus, the centre's virtual store, each lab's own store; a centre staff member (centre), a second centre staff
member (centre2, the second custodian of highly toxic chemicals) and a small catalogue: ethanol (flammable, g),
acetone (precursor, mL), sulfuric acid (acid, precursor, mL), sodium hydroxide (base, g), potassium permanganate
(oxidiser, precursor, g), potassium cyanide (highly toxic, g), methanol (GB 18218 Q = 500 t), nitric acid
(explosive precursor, oxidiser). The far university gets its own physical store.

Helpers: lab_store(lab) / lab_room_store(lab) (the services' get-or-create), make_package(store, chemical, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chemicals.models import (
    Campus,
    Chemical,
    ControlledCategory,
    HazardClass,
    Package,
    StorageGroup,
    Store,
    Unit,
)
from enterprises.models import Department, Membership
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .factories import actor_for
from .university_world import Uni, build_uni, member


@dataclass
class Chem:
    uni: Uni
    north: Campus
    south: Campus
    north_store: Store
    south_store: Store
    virtual_store: Store
    organic_store: Store
    analytic_store: Store
    far_store: Store
    centre: Membership
    centre2: Membership
    ethanol: Chemical
    acetone: Chemical
    sulfuric_acid: Chemical
    sodium_hydroxide: Chemical
    permanganate: Chemical
    cyanide: Chemical
    methanol: Chemical
    nitric_acid: Chemical

    def actor(self, name: str) -> Actor:
        if hasattr(self.uni, name):
            return self.uni.actor(name)
        return actor_for(getattr(self, name))


def chemical(cas: str, name_zh: str, **extra) -> Chemical:
    chem, _ = Chemical.objects.get_or_create(cas_number=cas, defaults={"name_zh": name_zh, **extra})
    return chem


def catalogue() -> dict[str, Chemical]:
    return {
        "ethanol": chemical(
            "64-17-5",
            "乙醇",
            name_en="Ethanol",
            formula="C2H6O",
            hazard_classes=[HazardClass.FLAMMABLE_LIQUID],
            storage_group=StorageGroup.FLAMMABLE,
            unit=Unit.MILLILITRE,
        ),
        "acetone": chemical(
            "67-64-1",
            "丙酮",
            name_en="Acetone",
            hazard_classes=[HazardClass.FLAMMABLE_LIQUID, HazardClass.EYE_DAMAGE],
            storage_group=StorageGroup.FLAMMABLE,
            controlled_category=ControlledCategory.PRECURSOR,
            unit=Unit.MILLILITRE,
        ),
        "sulfuric_acid": chemical(
            "7664-93-9",
            "硫酸",
            name_en="Sulfuric acid",
            hazard_classes=[HazardClass.SKIN_CORROSION, HazardClass.CORROSIVE_TO_METALS],
            storage_group=StorageGroup.ACID,
            controlled_category=ControlledCategory.PRECURSOR,
            unit=Unit.MILLILITRE,
        ),
        "sodium_hydroxide": chemical(
            "1310-73-2",
            "氢氧化钠",
            name_en="Sodium hydroxide",
            hazard_classes=[HazardClass.SKIN_CORROSION],
            storage_group=StorageGroup.BASE,
            unit=Unit.GRAM,
        ),
        "permanganate": chemical(
            "7722-64-7",
            "高锰酸钾",
            name_en="Potassium permanganate",
            hazard_classes=[HazardClass.OXIDISER, HazardClass.AQUATIC],
            storage_group=StorageGroup.OXIDISER,
            controlled_category=ControlledCategory.PRECURSOR,
            unit=Unit.GRAM,
        ),
        "cyanide": chemical(
            "151-50-8",
            "氰化钾",
            name_en="Potassium cyanide",
            hazard_classes=[HazardClass.ACUTE_TOXICITY, HazardClass.AQUATIC],
            storage_group=StorageGroup.TOXIC,
            controlled_category=ControlledCategory.HIGHLY_TOXIC,
            unit=Unit.GRAM,
            critical_quantity_t=Decimal("5"),
            beta=Decimal("4"),
            gb18218_category="J1",
        ),
        "methanol": chemical(
            "67-56-1",
            "甲醇",
            name_en="Methanol",
            hazard_classes=[HazardClass.FLAMMABLE_LIQUID, HazardClass.ACUTE_TOXICITY],
            storage_group=StorageGroup.FLAMMABLE,
            unit=Unit.LITRE,
            critical_quantity_t=Decimal("500"),
            beta=Decimal("1"),
        ),
        "nitric_acid": chemical(
            "7697-37-2",
            "硝酸",
            name_en="Nitric acid",
            hazard_classes=[HazardClass.OXIDISER, HazardClass.SKIN_CORROSION],
            storage_group=StorageGroup.OXIDISER,
            controlled_category=ControlledCategory.EXPLOSIVE_PRECURSOR,
            unit=Unit.MILLILITRE,
        ),
    }


def store(enterprise, name: str, kind: str, **extra) -> Store:
    with scopes_disabled():
        return Store.objects.create(enterprise=enterprise, name=name, kind=kind, **extra)


def lab_store(lab: Department) -> Store:
    """The lab's own (virtual) store, created on first use (chemicals.services.lab_store_for)."""
    from chemicals import services

    with scopes_disabled():
        return services.lab_store_for(lab)


def lab_room_store(lab: Department) -> Store:
    """Where the lab's issued packages sit, created on first use (chemicals.services.lab_room_store_for)."""
    from chemicals import services

    with scopes_disabled():
        return services.lab_room_store_for(lab)


def make_package(
    store: Store,
    chemical: Chemical,
    size: str | Decimal = "500",
    *,
    code: str | None = None,
    status: str = Package.Status.IN_STOCK,
    owner_lab: Department | None = None,
    remaining: str | Decimal | None = None,
    **extra,
) -> Package:
    with scopes_disabled():
        n = Package.objects.filter(enterprise_id=store.enterprise_id).count() + 1
        return Package.objects.create(
            enterprise_id=store.enterprise_id,
            code=code or f"PT{store.enterprise_id}-{n:05d}",
            chemical=chemical,
            size=Decimal(size),
            remaining=Decimal(size if remaining is None else remaining),
            store=store,
            status=status,
            owner_lab=owner_lab if owner_lab is not None else store.lab,
            **extra,
        )


def build_chem(world) -> Chem:
    uni = build_uni(world)
    university = uni.university
    chems = catalogue()
    with scopes_disabled():
        north = Campus.objects.create(enterprise=university, name="北校区", pickup_point="服务中心")
        south = Campus.objects.create(enterprise=university, name="南校区", delivers=True, pickup_point="南校区库房")
        far_campus = Campus.objects.create(enterprise=uni.far_university, name="远方校区")
    return Chem(
        uni=uni,
        north=north,
        south=south,
        north_store=store(university, "服务中心北校区库房", Store.Kind.CENTRE_PHYSICAL, campus=north),
        south_store=store(university, "服务中心南校区库房", Store.Kind.CENTRE_PHYSICAL, campus=south),
        virtual_store=store(university, "服务中心虚拟库房", Store.Kind.CENTRE_VIRTUAL),
        organic_store=lab_store(uni.organic),
        analytic_store=lab_store(uni.analytic),
        far_store=store(uni.far_university, "远方库房", Store.Kind.CENTRE_PHYSICAL, campus=far_campus),
        centre=member(university, "centre", Membership.Role.CENTRE_STAFF, full_name="陈中心"),
        centre2=member(university, "centre2", Membership.Role.CENTRE_STAFF, full_name="钱中心"),
        **chems,
    )
