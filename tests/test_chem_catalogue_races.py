"""Concurrent writes of the catalogue area: two incompatible packages placed into one cabinet at the same moment
(the target store's row lock makes the second see the first), two stock-ins at once (distinct codes), two
first uses of a lab's store (one store). Each thread has its own connection; a barrier releases them together.
PostgreSQL only (conftest skips race tests elsewhere)."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest

from chemicals import services
from chemicals.models import Package, Store
from safety.tenancy import actor_scope, scopes_disabled

from .chem_world import build_chem, make_package
from .races import run_together as _run_together

# The refusal raced for here is the storage-rule clash.
run_together = partial(_run_together, refused=(services.PlacementClash,))

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def test_two_incompatible_packages_placed_into_one_cabinet_at_once(world):
    chem = build_chem(world)
    with scopes_disabled():
        acid = make_package(chem.north_store, chem.sulfuric_acid, room="101", cabinet="A")
        base = make_package(chem.north_store, chem.sodium_hydroxide, room="101", cabinet="B")

    def move(package):
        return lambda: services.package_move(
            actor=chem.actor("centre"), pk=package.pk, store=chem.north_store, room="101", cabinet="C"
        )

    outcome = run_together([move(acid), move(base)])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 1
    with scopes_disabled():
        in_c = list(Package.objects.filter(store=chem.north_store, cabinet="C").values_list("pk", flat=True))
    assert in_c == [outcome.successes[0].pk]
    assert [c.package.pk for c in outcome.refusals[0].clashes] == in_c


def test_two_stock_ins_at_once_get_distinct_codes(world):
    chem = build_chem(world)

    def stock_in(cabinet: str):
        return lambda: services.package_stock_in(
            actor=chem.actor("centre"),
            chemical=chem.ethanol,
            store=chem.north_store,
            size=Decimal("500"),
            count=3,
            room="101",
            cabinet=cabinet,
        )

    outcome = run_together([stock_in("A"), stock_in("B")])
    assert len(outcome.successes) == 2
    with scopes_disabled():
        codes = list(Package.objects.filter(chemical=chem.ethanol).values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 6


def test_first_use_of_a_labs_store_twice_at_once_makes_one(world):
    chem = build_chem(world)
    lab = chem.uni.microbio

    def first_use():
        with actor_scope(chem.actor("centre")):
            return services.lab_room_store_for(lab).pk

    outcome = run_together([first_use, first_use, first_use])
    assert len(set(outcome.successes)) == 1
    with scopes_disabled():
        assert Store.objects.filter(lab=lab, kind=Store.Kind.LAB_ROOM).count() == 1
