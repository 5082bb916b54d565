"""The chemicals catalogue area: CAS numbers, the starter catalogue and its loader, the storage rules, labs'
stores, package scoping, the centre's stock-in, placing / moving packages, lists' query counts, the label PDF,
campuses and stores, the admin."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals.models import OperationLog
from chemicals import reference, services, storage_rules
from chemicals.models import (
    Campus,
    Chemical,
    ControlledCategory,
    HazardClass,
    LedgerEntry,
    Package,
    PoliceFiling,
    StorageGroup,
    Store,
    Unit,
)
from chemicals.validators import validate_cas_number
from enterprises.models import Department, Membership
from safety.tenancy import scopes_disabled

from .chem_world import build_chem, lab_store, make_package
from .university_world import department, member

G = StorageGroup
FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "chemicals.json"


@pytest.fixture
def chem(world):
    return build_chem(world)


def _client(login, membership) -> Client:
    return login(membership, Client())


# ---- CAS numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("7732-18-5", None),  # water
        ("64-17-5", None),  # ethanol
        ("50-00-0", None),  # formaldehyde: a zero check digit
        ("7732－18－5", None),  # full-width hyphens pasted from a Chinese document
        (" 7732-18-5 ", None),  # spaces around
        ("7732-18-4", "cas_check_digit"),
        ("64-17-6", "cas_check_digit"),
        ("7732185", "cas_format"),  # no hyphens
        ("7732_18_5", "cas_format"),
        ("1-18-5", "cas_format"),  # the first part has 2–7 digits
        ("12345678-18-5", "cas_format"),
        ("7732-1-5", "cas_format"),
        ("abc-de-f", "cas_format"),
        ("", "cas_format"),
        ("07732-18-5", "cas_format"),  # a leading zero
    ],
)
def test_cas_number_rule(value, code):
    if code is None:
        validate_cas_number(value)
        return
    with pytest.raises(ValidationError) as exc:
        validate_cas_number(value)
    assert exc.value.code == code


def test_wrong_check_digit_says_which_digit_is_expected():
    with pytest.raises(ValidationError) as exc:
        validate_cas_number("7732-18-4")
    assert "5" in exc.value.messages[0] and "7732-18-4" in exc.value.messages[0]


# ---- the starter catalogue ------------------------------------------------------------------------------------


def _fixture_rows() -> list[dict]:
    return json.loads(FIXTURE.read_text("utf-8"))


def test_fixture_has_about_fifty_valid_distinct_entries():
    rows = _fixture_rows()
    assert len(rows) >= 50
    assert all(r["model"] == "chemicals.chemical" for r in rows)
    cas = [r["fields"]["cas_number"] for r in rows]
    assert len(set(cas)) == len(cas), "a CAS number appears twice"
    assert len({r["pk"] for r in rows}) == len(rows)
    for r in rows:
        f = r["fields"]
        validate_cas_number(f["cas_number"])  # every CAS number passes its check digit
        assert f["cas_number"] == f["cas_number"].strip() and "－" not in f["cas_number"]
        assert f["name_zh"] and f["name_en"], f
        assert set(f["hazard_classes"]) <= set(HazardClass.values), f
        assert f["storage_group"] in StorageGroup.values, f
        assert f["controlled_category"] in ControlledCategory.values, f
        assert f["unit"] in Unit.values, f
        # β and the category come with a critical quantity, never alone.
        if f["critical_quantity_t"] is None:
            assert f["beta"] is None and not f["gb18218_category"], f


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("氰化钾", ControlledCategory.HIGHLY_TOXIC),
        ("氰化钠", ControlledCategory.HIGHLY_TOXIC),
        ("三氧化二砷", ControlledCategory.HIGHLY_TOXIC),
        ("氯化汞", ControlledCategory.HIGHLY_TOXIC),
        ("叠氮化钠", ControlledCategory.HIGHLY_TOXIC),
        ("硫酸", ControlledCategory.PRECURSOR),
        ("盐酸", ControlledCategory.PRECURSOR),
        ("丙酮", ControlledCategory.PRECURSOR),
        ("甲苯", ControlledCategory.PRECURSOR),
        ("乙醚", ControlledCategory.PRECURSOR),
        ("三氯甲烷", ControlledCategory.PRECURSOR),
        ("高锰酸钾", ControlledCategory.PRECURSOR),
        ("硝酸", ControlledCategory.EXPLOSIVE_PRECURSOR),
        ("过氧化氢溶液", ControlledCategory.EXPLOSIVE_PRECURSOR),
        ("高氯酸", ControlledCategory.EXPLOSIVE_PRECURSOR),
        ("硝酸钾", ControlledCategory.EXPLOSIVE_PRECURSOR),
        ("硝酸银", ControlledCategory.EXPLOSIVE_PRECURSOR),
        ("乙醇", ControlledCategory.NONE),
        ("氢氧化钠", ControlledCategory.NONE),
    ],
)
def test_fixture_controlled_categories(name, category):
    by_name = {r["fields"]["name_zh"]: r["fields"] for r in _fixture_rows()}
    assert by_name[name]["controlled_category"] == category


@pytest.mark.parametrize(
    ("cas", "q", "beta"),
    [
        ("67-56-1", "500", "1"),  # 甲醇
        ("71-43-2", "50", "1"),  # 苯
        ("108-88-3", "500", "1"),  # 甲苯
        ("67-64-1", "500", "1"),  # 丙酮
        ("64-17-5", "500", "1"),  # 乙醇
        ("60-29-7", "10", "1.5"),  # 乙醚: flammable liquid category 1 (W5.1)
        ("7782-50-5", "5", "4"),  # 氯: table 3
        ("7664-41-7", "10", "2"),  # 氨: table 3
        ("7440-23-5", "10", "1"),  # 钠
        ("7647-01-0", None, None),  # 盐酸: the table names anhydrous hydrogen chloride only
        ("151-50-8", None, None),  # 氰化钾: not named; its category was left open
    ],
)
def test_fixture_gb18218_figures(cas, q, beta):
    by_cas = {r["fields"]["cas_number"]: r["fields"] for r in _fixture_rows()}
    f = by_cas[cas]
    assert (f["critical_quantity_t"], f["beta"]) == (q, beta)


def test_loader_adds_then_changes_nothing(db):
    first = reference.load_chemicals()
    assert first.created == len(_fixture_rows()) and first.updated == 0
    second = reference.load_chemicals()
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(_fixture_rows()))
    assert Chemical.objects.count() == len(_fixture_rows())
    methanol = Chemical.objects.get(cas_number="67-56-1")
    assert (methanol.name_zh, methanol.critical_quantity_t, methanol.beta) == ("甲醇", Decimal("500"), Decimal("1"))


def test_loader_updates_by_cas_and_leaves_admins_own_chemicals(db):
    reference.load_chemicals()
    Chemical.objects.filter(cas_number="67-64-1").update(name_zh="旧名", critical_quantity_t=None)
    own = Chemical.objects.create(cas_number="7732-18-5", name_zh="水")
    result = reference.load_chemicals()
    assert (result.created, result.updated) == (0, 1)
    acetone = Chemical.objects.get(cas_number="67-64-1")
    assert (acetone.name_zh, acetone.critical_quantity_t) == ("丙酮", Decimal("500"))
    own.refresh_from_db()
    assert own.name_zh == "水"


def test_loader_matches_chemicals_made_before_it(chem):
    """The test world's small catalogue (other pks) is brought in line, not duplicated."""
    before = chem.acetone.pk
    reference.load_chemicals()
    assert Chemical.objects.filter(cas_number="67-64-1").count() == 1
    assert Chemical.objects.get(cas_number="67-64-1").pk == before


# ---- storage rules ---------------------------------------------------------------------------------------

EXPECTED_PAIRS = {
    frozenset((G.ACID, G.BASE)),
    frozenset((G.ACID, G.OXIDISER)),
    frozenset((G.ACID, G.TOXIC)),
    frozenset((G.ACID, G.WATER_REACTIVE)),
    frozenset((G.BASE, G.WATER_REACTIVE)),
    frozenset((G.OXIDISER, G.FLAMMABLE)),
    frozenset((G.OXIDISER, G.TOXIC)),
    frozenset((G.OXIDISER, G.WATER_REACTIVE)),
    frozenset((G.FLAMMABLE, G.WATER_REACTIVE)),
    frozenset((G.COMPRESSED_GAS, G.FLAMMABLE)),
    frozenset((G.COMPRESSED_GAS, G.OXIDISER)),
    *(frozenset((G.EXPLOSIVE, other)) for other in StorageGroup.values if other != G.EXPLOSIVE),
}


@pytest.mark.parametrize(
    ("a", "b"),
    [pytest.param(a, b, id=f"{a}-{b}") for a, b in itertools.combinations_with_replacement(StorageGroup.values, 2)],
)
def test_storage_rule_for_each_pair(a, b):
    clash = frozenset((a, b)) in EXPECTED_PAIRS
    assert (storage_rules.group_clash(a, b) is not None) == clash
    assert (storage_rules.group_clash(b, a) is not None) == clash  # symmetric
    if clash:
        assert str(storage_rules.group_clash(a, b)) == str(storage_rules.group_clash(b, a))


def test_storage_table_is_symmetric_and_no_group_clashes_with_itself():
    for a, row in storage_rules.INCOMPATIBLE.items():
        assert a not in row
        for b in row:
            assert storage_rules.INCOMPATIBLE[b][a] == row[b]
    assert set(storage_rules.INCOMPATIBLE) == set(StorageGroup.values)


class _Chem:
    def __init__(self, group, classes=()):
        self.storage_group, self.hazard_classes, self.name_zh = group, list(classes), group


class _Pkg:
    def __init__(self, code, chemical, store_id=1, room="101", cabinet="A"):
        self.code, self.chemical, self.store_id, self.room, self.cabinet = code, chemical, store_id, room, cabinet


@pytest.mark.parametrize(
    ("a", "b", "clash"),
    [
        ([HazardClass.FLAMMABLE_GAS], [HazardClass.OXIDISING_GAS], True),
        ([HazardClass.OXIDISING_GAS], [HazardClass.FLAMMABLE_GAS, HazardClass.GAS_UNDER_PRESSURE], True),
        ([HazardClass.FLAMMABLE_GAS], [HazardClass.FLAMMABLE_GAS], False),
        ([HazardClass.GAS_UNDER_PRESSURE], [HazardClass.OXIDISING_GAS], False),
    ],
)
def test_gases_clash_by_hazard_class(a, b, clash):
    x, y = _Chem(G.COMPRESSED_GAS, a), _Chem(G.COMPRESSED_GAS, b)
    assert (storage_rules.chemical_clash(x, y) is not None) == clash
    assert (storage_rules.chemical_clash(y, x) is not None) == clash


@pytest.mark.parametrize(
    ("where", "clash"),
    [
        ({}, True),  # same store, room and cabinet
        ({"cabinet": "B"}, False),
        ({"room": "102"}, False),
        ({"store_id": 2}, False),
        ({"cabinet": " A "}, True),  # spaces do not make another cabinet
    ],
)
def test_clashes_only_in_the_same_cabinet(where, clash):
    acid = _Chem(G.ACID)
    base_package = _Pkg("P1", _Chem(G.BASE), **{"store_id": 1, "room": "101", "cabinet": "A", **where})
    found = storage_rules.clashes(acid, [base_package], store_id=1, room="101", cabinet="A")
    assert [c.package.code for c in found] == (["P1"] if clash else [])


def test_clashes_list_every_incompatible_package_with_its_reason():
    packages = [_Pkg("B1", _Chem(G.BASE)), _Pkg("F1", _Chem(G.FLAMMABLE)), _Pkg("T1", _Chem(G.TOXIC))]
    found = storage_rules.clashes(_Chem(G.ACID), packages, store_id=1, room="101", cabinet="A")
    assert [c.package.code for c in found] == ["B1", "T1"]
    assert all(str(c.reason) for c in found)
    assert storage_rules.clashes(_Chem(G.GENERAL), packages, store_id=1, room="101", cabinet="A") == []


# ---- labs' stores ----------------------------------------------------------------------------------------------


def test_lab_stores_are_made_once(chem):
    lab = chem.uni.microbio
    with scopes_disabled():
        own = services.lab_store_for(lab)
        room = services.lab_room_store_for(lab)
        assert (own.kind, own.name, own.lab_id) == (Store.Kind.LAB, "微生物实验室库房", lab.pk)
        assert (room.kind, room.name, room.lab_id) == (Store.Kind.LAB_ROOM, "微生物实验室实验室", lab.pk)
        assert services.lab_store_for(lab) == own and services.lab_room_store_for(lab) == room
        assert Store.objects.filter(lab=lab).count() == 2
        # The world's lab store (made by tests.chem_world.lab_store) is found, not duplicated.
        assert services.lab_store_for(chem.uni.organic) == chem.organic_store


def test_lab_store_name_taken_by_another_store_gets_a_suffix(chem):
    lab = chem.uni.microbio
    with scopes_disabled():
        Store.objects.create(enterprise=chem.uni.university, name="微生物实验室实验室", kind=Store.Kind.CENTRE_VIRTUAL)
        room = services.lab_room_store_for(lab)
    assert room.name == f"微生物实验室实验室（{lab.pk}）" and room.lab_id == lab.pk


def test_lab_store_inside_the_actors_scope(chem):
    """Other areas call it inside a service, in the university's scope."""
    from safety.tenancy import actor_scope

    with actor_scope(chem.actor("centre")):
        assert services.lab_store_for(chem.uni.analytic) == chem.analytic_store


# ---- package scoping -----------------------------------------------------------------------------------------


@pytest.fixture
def packages(chem):
    with scopes_disabled():
        organic = make_package(chem.organic_store, chem.ethanol, "500", status=Package.Status.ISSUED)
        analytic = make_package(chem.analytic_store, chem.acetone, "500", status=Package.Status.ISSUED)
        centre = make_package(chem.north_store, chem.sulfuric_acid, "500", room="101", cabinet="A")
        far = make_package(chem.far_store, chem.ethanol, "500")
        life_lab = department(chem.uni.university, "细胞实验室", Department.Kind.LAB, chem.uni.life)
        life = make_package(lab_store(life_lab), chem.ethanol, "500")
    return {"organic": organic, "analytic": analytic, "centre": centre, "far": far, "life": life}


def _life_admin(chem) -> Membership:
    return member(chem.uni.university, "life_admin", Membership.Role.COLLEGE_ADMIN, department=chem.uni.life)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("t_alice", {"organic"}),
        ("s_active", {"organic"}),
        ("t_bob", {"analytic"}),
        ("college_admin", {"organic", "analytic"}),
        ("life_admin", {"life"}),
        ("officer", {"organic", "analytic", "centre", "life"}),
        ("centre", {"organic", "analytic", "centre", "life"}),
        ("uni_admin", {"organic", "analytic", "centre", "life"}),
        ("far_teacher", set()),
    ],
)
def test_package_scoping(chem, packages, login, who, sees):
    membership = _life_admin(chem) if who == "life_admin" else getattr(chem.uni, who, None) or getattr(chem, who)
    c = _client(login, membership)
    for name, package in packages.items():
        status = c.get(reverse("chemicals:package_detail", args=[package.pk])).status_code
        assert status == (200 if name in sees else 404), f"{who} → {name}: {status}"
    html = c.get(reverse("chemicals:package_list")).content.decode()
    listed = {name for name, p in packages.items() if f'data-code="{p.code}"' in html}
    assert listed == sees


def test_outsiders_get_no_catalogue(chem, world, login):
    c = _client(login, world.charlie)
    assert c.get(reverse("chemicals:catalogue")).status_code == 403
    assert c.get(reverse("chemicals:package_list")).status_code == 403
    assert c.get(reverse("chemicals:chemical_detail", args=[chem.ethanol.pk])).status_code == 404


# ---- stock-in ----------------------------------------------------------------------------------------------------


def _stock_in(chem, **extra) -> list[Package]:
    fields = {
        "chemical": chem.sulfuric_acid,
        "store": chem.north_store,
        "size": Decimal("500"),
        "count": 3,
        "room": "101",
        "cabinet": "A",
        **extra,
    }
    return services.package_stock_in(actor=chem.actor("centre"), **fields)


def test_stock_in_creates_numbered_packages(chem):
    made = _stock_in(chem)
    stem = f"P{timezone.localdate():%Y%m%d}-"
    assert [p.code for p in made] == [f"{stem}0001", f"{stem}0002", f"{stem}0003"]
    more = _stock_in(chem, count=2)
    assert [p.code for p in more] == [f"{stem}0004", f"{stem}0005"]
    with scopes_disabled():
        stored = Package.objects.filter(code__startswith=stem)
        assert stored.count() == 5
        p = stored.get(code=f"{stem}0001")
    assert (p.store, p.room, p.cabinet, p.owner_lab, p.status) == (
        chem.north_store,
        "101",
        "A",
        None,
        Package.Status.IN_STOCK,
    )
    assert p.size == p.remaining == Decimal("500")
    assert OperationLog.objects.filter(object_id=str(made[0].pk), action=OperationLog.Action.CREATE).exists()


def test_stock_in_through_the_page(chem, login):
    c = _client(login, chem.centre)
    url = reverse("chemicals:package_stock_in")
    assert c.get(url).status_code == 200
    response = c.post(
        url,
        {
            "chemical": chem.ethanol.pk,
            "store": chem.north_store.pk,
            "size": "500",
            "count": "2",
            "room": "101",
            "cabinet": "B",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Package.objects.filter(chemical=chem.ethanol, cabinet="B").count() == 2


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"store": "virtual_store"}, "store"),
        ({"count": 0}, "count"),
        ({"count": 201}, "count"),
        ({"size": Decimal("0")}, "size"),
    ],
)
def test_stock_in_refusals(chem, extra, field):
    if extra.get("store") == "virtual_store":
        extra = {"store": chem.virtual_store}
    with pytest.raises(ValidationError) as exc:
        _stock_in(chem, **extra)
    assert field in exc.value.error_dict
    with scopes_disabled():
        assert not Package.objects.filter(chemical=chem.sulfuric_acid).exists()


def test_only_the_centre_stocks_in(chem, login):
    with pytest.raises(PermissionDenied):
        services.package_stock_in(
            actor=chem.actor("t_alice"), chemical=chem.ethanol, store=chem.north_store, size=Decimal("1"), count=1
        )
    assert _client(login, chem.uni.t_alice).get(reverse("chemicals:package_stock_in")).status_code == 403
    assert _client(login, chem.uni.officer).get(reverse("chemicals:package_stock_in")).status_code == 403


def test_stock_in_of_a_controlled_chemical_with_a_new_filing(chem, login):
    made = _stock_in(chem, count=2, filing_number="泸公备2026-001", police_station="江阳分局")
    with scopes_disabled():
        filing = PoliceFiling.objects.get(filing_number="泸公备2026-001")
    assert (filing.chemical, filing.status, filing.quantity) == (chem.sulfuric_acid, "filed", Decimal("1000"))
    assert all(p.police_filing_id == filing.pk for p in made)
    html = _client(login, chem.centre).get(reverse("chemicals:package_detail", args=[made[0].pk])).content.decode()
    assert 'data-filed="yes"' in html and "泸公备2026-001" in html


def test_controlled_chemical_without_filing_shows_not_filed(chem, login):
    made = _stock_in(chem, count=1)
    assert made[0].police_filing_id is None
    html = _client(login, chem.centre).get(reverse("chemicals:package_detail", args=[made[0].pk])).content.decode()
    assert 'data-filed="no"' in html


def test_stock_in_filing_of_another_chemical_is_refused(chem):
    with scopes_disabled():
        filing = PoliceFiling.objects.create(
            enterprise=chem.uni.university,
            chemical=chem.acetone,
            quantity=Decimal("1"),
            status=PoliceFiling.Status.FILED,
            filing_number="X-1",
        )
    with pytest.raises(ValidationError) as exc:
        _stock_in(chem, police_filing=filing)
    assert "police_filing" in exc.value.error_dict


def test_stock_in_next_to_incompatible_chemicals_needs_confirming(chem):
    _stock_in(chem, count=1)  # sulfuric acid in 101/A
    with pytest.raises(services.PlacementClash) as exc:
        _stock_in(chem, chemical=chem.sodium_hydroxide, count=1)
    assert [c.package.chemical for c in exc.value.clashes] == [chem.sulfuric_acid]
    made = _stock_in(chem, chemical=chem.sodium_hydroxide, count=1, place_anyway=True)
    log = OperationLog.objects.get(object_id=str(made[0].pk), action=OperationLog.Action.CREATE)
    assert "硫酸" in log.detail


# ---- placing and moving ----------------------------------------------------------------------------------------


@pytest.fixture
def placed(chem):
    """Sulfuric acid in 101/A of the north store; sodium hydroxide in 101/B; ethanol in 101/C."""
    with scopes_disabled():
        acid = make_package(chem.north_store, chem.sulfuric_acid, room="101", cabinet="A")
        base = make_package(chem.north_store, chem.sodium_hydroxide, room="101", cabinet="B")
        ethanol = make_package(chem.north_store, chem.ethanol, room="101", cabinet="C")
    return {"acid": acid, "base": base, "ethanol": ethanol}


def _move_url(package) -> str:
    return reverse("chemicals:package_move", args=[package.pk])


def test_move_into_an_incompatible_cabinet_warns_and_keeps_the_package(chem, placed, login):
    c = _client(login, chem.centre)
    body = {"store": chem.north_store.pk, "room": "101", "cabinet": "A", "shelf": "2"}
    response = c.post(_move_url(placed["base"]), body)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="clash-warning"' in html and f'data-code="{placed["acid"].code}"' in html
    assert 'name="place_anyway"' in html
    with scopes_disabled():
        placed["base"].refresh_from_db()
    assert placed["base"].cabinet == "B"
    assert not OperationLog.objects.filter(object_id=str(placed["base"].pk)).exists()


def test_move_with_confirmation_is_recorded(chem, placed, login):
    c = _client(login, chem.centre)
    body = {"store": chem.north_store.pk, "room": "101", "cabinet": "A", "shelf": "2", "place_anyway": "on"}
    response = c.post(_move_url(placed["base"]), body)
    assert response.status_code == 302
    with scopes_disabled():
        placed["base"].refresh_from_db()
    assert (placed["base"].cabinet, placed["base"].shelf) == ("A", "2")
    log = OperationLog.objects.get(object_id=str(placed["base"].pk), action=OperationLog.Action.UPDATE)
    assert placed["acid"].code in log.detail and "101 / B" in log.detail and "101 / A" in log.detail


def test_move_next_to_compatible_chemicals_needs_no_confirmation(chem, placed):
    moved = services.package_move(
        actor=chem.actor("centre"), pk=placed["ethanol"].pk, store=chem.north_store, room="101", cabinet="B"
    )
    assert moved.cabinet == "B"
    log = OperationLog.objects.get(object_id=str(moved.pk))
    assert "anyway" not in log.detail


def test_move_to_the_same_place_is_refused(chem, placed):
    with pytest.raises(ValidationError):
        services.package_move(
            actor=chem.actor("centre"), pk=placed["acid"].pk, store=chem.north_store, room="101", cabinet="A"
        )


@pytest.fixture
def lab_package(chem):
    with scopes_disabled():
        room = services.lab_room_store_for(chem.uni.organic)
        return make_package(room, chem.ethanol, status=Package.Status.ISSUED, owner_lab=chem.uni.organic)


def test_the_labs_teacher_moves_within_its_labs_stores(chem, lab_package, login):
    c = _client(login, chem.uni.t_alice)
    assert c.get(_move_url(lab_package)).status_code == 200
    response = c.post(_move_url(lab_package), {"store": lab_package.store_id, "room": "B201", "cabinet": "柜1"})
    assert response.status_code == 302
    with scopes_disabled():
        lab_package.refresh_from_db()
    assert (lab_package.room, lab_package.cabinet) == ("B201", "柜1")
    # The centre's stores are not the teacher's to fill.
    response = c.post(_move_url(lab_package), {"store": chem.north_store.pk, "room": "101", "cabinet": "A"})
    assert response.status_code == 400
    with pytest.raises(ValidationError):
        services.package_move(actor=chem.actor("t_alice"), pk=lab_package.pk, store=chem.north_store)


@pytest.mark.parametrize(("who", "status"), [("t_bob", 404), ("far_teacher", 404), ("s_active", 403)])
def test_others_may_not_move_a_labs_package(chem, lab_package, login, who, status):
    c = _client(login, getattr(chem.uni, who))
    assert c.get(_move_url(lab_package)).status_code == status
    assert c.post(_move_url(lab_package), {"store": lab_package.store_id, "cabinet": "X"}).status_code == status
    with scopes_disabled():
        lab_package.refresh_from_db()
    assert lab_package.cabinet == ""


def test_a_lab_cannot_move_what_is_still_in_its_virtual_store(chem, login):
    with scopes_disabled():
        paid = make_package(chem.organic_store, chem.ethanol)  # paid for, not yet requisitioned
    c = _client(login, chem.uni.t_alice)
    assert c.get(reverse("chemicals:package_detail", args=[paid.pk])).status_code == 200
    assert c.get(_move_url(paid)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.package_move(actor=chem.actor("t_alice"), pk=paid.pk, store=chem.organic_store, cabinet="X")


def test_a_lab_cannot_move_the_centres_stock(chem, placed, login):
    assert _client(login, chem.uni.t_alice).get(_move_url(placed["acid"])).status_code == 404
    assert _client(login, chem.uni.officer).get(_move_url(placed["acid"])).status_code == 200


# ---- package page, label ----------------------------------------------------------------------------------------


def test_package_page_shows_location_ledger_and_two_locks(chem, login):
    with scopes_disabled():
        package = make_package(
            services.lab_room_store_for(chem.uni.organic),
            chem.cyanide,
            "100",
            status=Package.Status.IN_USE,
            owner_lab=chem.uni.organic,
            remaining="90",
            room="B201",
            cabinet="剧毒柜",
            shelf="1",
        )
        LedgerEntry.objects.create(
            enterprise=chem.uni.university,
            package=package,
            used_on=timezone.localdate(),
            quantity=Decimal("10"),
            purpose="合成实验",
            user=chem.uni.t_alice.user,
            remaining_after=Decimal("90"),
        )
    html = _client(login, chem.uni.t_alice).get(reverse("chemicals:package_detail", args=[package.pk])).content.decode()
    assert 'data-testid="two-locks-badge"' in html
    assert "剧毒柜" in html and "合成实验" in html and 'data-testid="ledger-entry"' in html
    assert 'data-filed="no"' in html  # highly toxic is controlled: no filing yet
    assert 'data-testid="action-move"' in html  # the lab's teacher may place it


def test_uncontrolled_package_has_no_badges(chem, placed, login):
    html = _client(login, chem.centre).get(reverse("chemicals:package_detail", args=[placed["base"].pk])).content
    assert b"two-locks-badge" not in html and b'data-testid="police-filing"' not in html


def test_label_pdf_renders(chem, placed, login):
    response = _client(login, chem.centre).get(reverse("chemicals:package_label", args=[placed["acid"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# ---- catalogue page ----------------------------------------------------------------------------------------------


def _rows(html: str) -> set[str]:
    import re

    return set(re.findall(r'data-testid="chemical-row" data-cas="([^"]+)"', html))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"64-17-5", "67-64-1", "7664-93-9", "1310-73-2", "7722-64-7", "151-50-8", "67-56-1", "7697-37-2"}),
        ("q=硫酸", {"7664-93-9"}),
        ("q=Acetone", {"67-64-1"}),
        ("q=7664－93", {"7664-93-9"}),  # full-width hyphen, a prefix of the CAS number
        ("q=C2H6O", {"64-17-5"}),
        ("controlled=highly_toxic", {"151-50-8"}),
        ("controlled=precursor", {"67-64-1", "7664-93-9", "7722-64-7"}),
        ("controlled=any", {"67-64-1", "7664-93-9", "7722-64-7", "151-50-8", "7697-37-2"}),
        ("controlled=none", {"64-17-5", "1310-73-2", "67-56-1"}),
        ("storage_group=acid", {"7664-93-9"}),
        ("hazard_class=oxidiser", {"7722-64-7", "7697-37-2"}),
    ],
)
def test_catalogue_search_and_filters(chem, login, query, expected):
    html = _client(login, chem.uni.s_active).get(reverse("chemicals:catalogue") + "?" + query).content.decode()
    assert _rows(html) == expected


def _sheet_values(response) -> set[str]:
    import io

    from openpyxl import load_workbook

    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return {str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None}


def test_catalogue_exports_what_the_filters_select(chem, login):
    c = _client(login, chem.uni.t_alice)
    values = _sheet_values(c.get(reverse("chemicals:catalogue") + "?controlled=highly_toxic&export=xlsx"))
    assert "151-50-8" in values and "氰化钾" in values
    assert "64-17-5" not in values


def test_package_list_exports_to_excel(chem, placed, login):
    values = _sheet_values(_client(login, chem.centre).get(reverse("chemicals:package_list") + "?export=xlsx"))
    assert {placed["acid"].code, placed["base"].code} <= values
    assert any("101 / A" in v for v in values)


def test_chemical_page(chem, placed, login):
    html = _client(login, chem.centre).get(reverse("chemicals:chemical_detail", args=[chem.sulfuric_acid.pk]))
    html = html.content.decode()
    assert "7664-93-9" in html and 'data-category="precursor"' in html
    assert 'data-testid="incompatible-groups"' in html and "服务中心北校区库房" in html
    cyanide = _client(login, chem.uni.s_active).get(reverse("chemicals:chemical_detail", args=[chem.cyanide.pk]))
    assert b"two-locks-badge" in cyanide.content


def test_inactive_chemicals_are_hidden_from_members(chem, login):
    Chemical.objects.filter(pk=chem.methanol.pk).update(is_active=False)
    url = reverse("chemicals:chemical_detail", args=[chem.methanol.pk])
    assert _client(login, chem.uni.t_alice).get(url).status_code == 404
    assert _client(login, chem.centre).get(url).status_code == 200


# ---- query counts ----------------------------------------------------------------------------------------------

FEW, MANY = 2, 30


def _measure(c: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow_packages(chem, n: int) -> None:
    with scopes_disabled():
        while Package.objects.filter(enterprise=chem.uni.university).count() < n:
            i = Package.objects.filter(enterprise=chem.uni.university).count()
            store, lab = [(chem.north_store, None), (chem.organic_store, chem.uni.organic)][i % 2]
            chemical = [chem.ethanol, chem.cyanide, chem.sulfuric_acid][i % 3]
            make_package(store, chemical, "100", owner_lab=lab, cabinet=f"C{i % 4}")


def _grow_chemicals(n: int) -> None:
    codes = itertools.count(1)
    while Chemical.objects.count() < n:
        head = f"{100 + next(codes)}"
        digits = head + "00"
        check = sum(int(d) * i for i, d in enumerate(reversed(digits), start=1)) % 10
        Chemical.objects.get_or_create(
            cas_number=f"{head}-00-{check}", defaults={"name_zh": f"化学品{head}", "hazard_classes": ["aquatic"]}
        )


@pytest.mark.parametrize(
    ("who", "url", "grow"),
    [
        pytest.param("centre", "/chemicals/packages/", "packages", id="packages-centre"),
        pytest.param("t_alice", "/chemicals/packages/", "packages", id="packages-teacher"),
        pytest.param("centre", "/chemicals/packages/?controlled=any&status=in_stock", "packages", id="packages-filter"),
        pytest.param("s_active", "/chemicals/catalogue/", "chemicals", id="catalogue"),
        pytest.param("centre", "/chemicals/stores/", "stores", id="stores"),
    ],
)
def test_list_query_count_does_not_grow(chem, login, django_assert_max_num_queries, who, url, grow):
    membership = getattr(chem.uni, who, None) or getattr(chem, who)
    c = _client(login, membership)

    def grow_to(n: int) -> None:
        if grow == "packages":
            _grow_packages(chem, n)
        elif grow == "chemicals":
            _grow_chemicals(n)
        else:
            with scopes_disabled():
                for i in range(n):
                    Store.objects.get_or_create(
                        enterprise=chem.uni.university,
                        name=f"库房{i:02d}",
                        defaults={"kind": Store.Kind.CENTRE_PHYSICAL, "campus": chem.north},
                    )

    grow_to(FEW)
    c.get(url)  # warm-up
    few = _measure(c, url)
    grow_to(MANY)
    with django_assert_max_num_queries(few):
        c.get(url)
    assert few <= 25


# ---- campuses and stores ------------------------------------------------------------------------------------------


def test_officer_creates_and_edits_a_campus(chem, login):
    c = _client(login, chem.uni.officer)
    assert c.get(reverse("chemicals:campus_list")).status_code == 200
    response = c.post(reverse("chemicals:campus_create"), {"name": "东校区", "pickup_point": ""})
    assert response.status_code == 400  # neither delivered nor a pick-up point
    assert 'name="pickup_point"' in response.content.decode()
    with scopes_disabled():
        assert not Campus.objects.filter(name="东校区").exists()
    response = c.post(reverse("chemicals:campus_create"), {"name": "东校区", "delivers": "on"})
    assert response.status_code == 302
    with scopes_disabled():
        campus = Campus.objects.get(enterprise=chem.uni.university, name="东校区")
    assert campus.delivers
    response = c.post(
        reverse("chemicals:campus_edit", args=[campus.pk]), {"name": "东校区", "pickup_point": "东区服务点"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        campus.refresh_from_db()
    assert (campus.delivers, campus.pickup_point) == (False, "东区服务点")
    response = c.post(reverse("chemicals:campus_create"), {"name": "北校区", "delivers": "on"})
    assert response.status_code == 400  # a second 北校区


def test_stores_kept_by_the_centre(chem, login):
    c = _client(login, chem.centre)
    create = reverse("chemicals:store_create")
    assert c.post(create, {"kind": "centre_physical", "name": "化学楼库房", "people_exposed": "0"}).status_code == 400
    response = c.post(
        create, {"kind": "centre_physical", "name": "化学楼库房", "campus": chem.south.pk, "people_exposed": "30"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        store = Store.objects.get(enterprise=chem.uni.university, name="化学楼库房")
    assert (store.kind, store.campus, store.people_exposed) == (Store.Kind.CENTRE_PHYSICAL, chem.south, 30)
    # One centre virtual store per university (the world has it already).
    assert c.post(create, {"kind": "centre_virtual", "name": "第二虚拟库", "people_exposed": "0"}).status_code == 400
    response = c.post(
        reverse("chemicals:store_edit", args=[chem.organic_store.pk]),
        {"name": "有机化学实验室库房", "address": "理科楼 B201", "people_exposed": "5"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        chem.organic_store.refresh_from_db()
    assert (chem.organic_store.kind, chem.organic_store.address) == (Store.Kind.LAB, "理科楼 B201")


def test_labs_do_not_keep_stores(chem, login):
    c = _client(login, chem.uni.t_alice)
    assert c.get(reverse("chemicals:store_list")).status_code == 403
    assert c.get(reverse("chemicals:campus_create")).status_code == 403
    assert c.get(reverse("chemicals:store_edit", args=[chem.north_store.pk])).status_code == 403
    far = _client(login, chem.uni.far_teacher)
    assert far.get(reverse("chemicals:store_edit", args=[chem.north_store.pk])).status_code == 404
    assert far.get(reverse("chemicals:campus_edit", args=[chem.north.pk])).status_code == 404


def test_menu_entries(chem, login):
    centre = _client(login, chem.centre).get("/").content.decode()
    for url in ("/chemicals/catalogue/", "/chemicals/packages/", "/chemicals/stores/", "/chemicals/campuses/"):
        assert url in centre
    teacher = _client(login, chem.uni.t_alice).get("/").content.decode()
    assert "/chemicals/catalogue/" in teacher and "/chemicals/packages/" in teacher
    assert "/chemicals/stores/" not in teacher


# ---- admin ---------------------------------------------------------------------------------------------------------


def test_admin_chemical_form_checks_and_tidies_the_cas_number(db):
    from chemicals.admin import ChemicalAdminForm

    base = {"name_zh": "水", "storage_group": "general", "unit": "g", "controlled_category": ""}
    wrong = ChemicalAdminForm(data={**base, "cas_number": "7732-18-4"})
    assert not wrong.is_valid()
    assert "5" in wrong.errors["cas_number"][0]
    form = ChemicalAdminForm(data={**base, "cas_number": "7732－18－5", "hazard_classes": ["aquatic"]})
    assert form.is_valid(), form.errors
    chemical = form.save()
    assert (chemical.cas_number, chemical.hazard_classes) == ("7732-18-5", ["aquatic"])


def test_admin_store_list_is_scoped(chem, login):
    from django.contrib.auth.models import Permission

    user = chem.centre.user
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_store", "view_chemical"]))
    c = _client(login, chem.centre)
    html = c.get("/admin/chemicals/store/").content.decode()
    assert "服务中心北校区库房" in html and "远方库房" not in html
    html = c.get("/admin/chemicals/chemical/?q=7664-93-9").content.decode()
    assert "硫酸" in html and "乙醇" not in html
