"""Waste collection beside tests/chem_world.py, for tests/test_chem_waste*.py.

    w = build_waste(world)     # the chemicals world (w.chem), seed 000's two routes, an open collection

Routes (seed 000): 北校区路线 理科楼 → 动科学院 → 老昆虫馆 → 动医学院 → 食品葡酒楼 → 旱研院;
南校区路线 农科楼 → 三号教学楼 → 林学院实验楼 → 二号教学楼 → 科研主楼 → 水保所. The far university has a route too
(its own campus), so the scheduler serves both universities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from chemicals import services, waste_schedule
from chemicals.models import Campus, Chemical, Package, WasteCollection, WasteItem, WasteRegistration, WasteRoute
from enterprises.models import Department, Membership
from safety.tenancy import scopes_disabled

from .chem_world import Chem, build_chem, lab_store, make_package
from .university_world import teacher

NORTH_STOPS = ["理科楼", "动科学院", "老昆虫馆", "动医学院", "食品葡酒楼", "旱研院"]
SOUTH_STOPS = ["农科楼", "三号教学楼", "林学院实验楼", "二号教学楼", "科研主楼", "水保所"]

C = WasteItem.Category


@dataclass
class Waste:
    chem: Chem
    north_route: WasteRoute
    south_route: WasteRoute
    far_route: WasteRoute
    collection: WasteCollection | None

    def actor(self, name: str):
        return self.chem.actor(name)

    @property
    def uni(self):
        return self.chem.uni


def route(enterprise, campus: Campus, name: str, stops: list[str]) -> WasteRoute:
    with scopes_disabled():
        return WasteRoute.objects.create(enterprise=enterprise, campus=campus, name=name, stops=stops)


def collection(enterprise, collection_date: date, **extra) -> WasteCollection:
    extra.setdefault("registration_deadline", waste_schedule.default_deadline(collection_date))
    with scopes_disabled():
        return WasteCollection.objects.create(enterprise=enterprise, collection_date=collection_date, **extra)


def build_waste(world, *, open_collection: bool = True, now: datetime | None = None) -> Waste:
    chem = build_chem(world)
    uni = chem.uni
    with scopes_disabled():
        far_campus = Campus.objects.get(enterprise=uni.far_university)
    north = route(uni.university, chem.north, "北校区路线", NORTH_STOPS)
    south = route(uni.university, chem.south, "南校区路线", SOUTH_STOPS)
    far = route(uni.far_university, far_campus, "远方路线", ["远方楼"])
    found = None
    if open_collection:
        found = collection(uni.university, waste_schedule.next_collection_date(now))
    return Waste(chem=chem, north_route=north, south_route=south, far_route=far, collection=found)


def used_up(lab: Department, chemical: Chemical, size: str = "1000", **extra) -> Package:
    """An empty package of the lab: used up (ledger accepted), awaiting waste collection."""
    extra.setdefault("status", Package.Status.USED_UP)
    return make_package(lab_store(lab), chemical, size, remaining="0", **extra)


def in_use(lab: Department, chemical: Chemical, size: str = "500", **extra) -> Package:
    return make_package(lab_store(lab), chemical, size, status=Package.Status.IN_USE, **extra)


def lab_teacher(university, username: str, lab: Department) -> Membership:
    return teacher(university, username, lab, full_name=username)


def register(
    w: Waste,
    who: str,
    lab: Department,
    *,
    packages: list[Package] = (),
    quantities: dict[str, int] | None = None,
    building: str = "动科学院",
    route: WasteRoute | None = None,
    room: str = "201",
    actor=None,
    collection_id: int | None = None,
) -> WasteRegistration:
    return services.waste_register(
        actor=actor or w.actor(who),
        collection_id=collection_id or w.collection.pk,
        lab_id=lab.pk,
        route_id=(route or w.north_route).pk,
        building=building,
        room=room,
        phone="13900000000",
        quantities=quantities if quantities is not None else {C.CHEMICAL_LIQUID: 1},
        package_ids=[p.pk for p in packages],
    )


def reload(obj):
    with scopes_disabled():
        return type(obj)._base_manager.get(pk=obj.pk)


def held(lab: Department) -> Decimal:
    """The lab's stock-limit load (chemicals.stock.held_kg), read as the system."""
    from chemicals import stock

    with scopes_disabled():
        return stock.held_kg(lab)


def kg(value: str) -> Decimal:
    return Decimal(value).quantize(Decimal("0.001"))
