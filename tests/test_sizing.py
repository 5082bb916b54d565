"""Size class (企业划型, 统计上大中小微型企业划分办法 2017) and the GB/T 4754-2017 economic classes.

The expected thresholds below are transcribed again from seed 004's table (not imported from the code), so a typo
in enterprises.sizing.THRESHOLDS fails here. Every sector, every indicator, every bound: the value at the bound
reaches the class, one unit below it drops to the next class.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from enterprises.models import EconomicClass, SizeClass
from enterprises.reference import load_economic_classes
from enterprises.sizing import SECTION_DIVISIONS, THRESHOLDS, Sector, indicators_for, section_of, sector_for, size_class

L, M, S, MI = SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL, SizeClass.MICRO

# Seed 004, 划型名称 table: sector → indicator → lower bounds of (large, medium, small). Units: persons, 万元.
SEED_TABLE: dict[str, dict[str, tuple[int, int, int]]] = {
    "agriculture": {"revenue": (20000, 500, 50)},  # 农、林、牧、渔业 Y
    "industry": {"employees": (1000, 300, 20), "revenue": (40000, 2000, 300)},  # 工业*
    "construction": {"revenue": (80000, 6000, 300), "assets": (80000, 5000, 300)},  # 建筑业 Y, Z
    "wholesale": {"employees": (200, 20, 5), "revenue": (40000, 5000, 1000)},  # 批发业
    "retail": {"employees": (300, 50, 10), "revenue": (20000, 500, 100)},  # 零售业
    "transport": {"employees": (1000, 300, 20), "revenue": (30000, 3000, 200)},  # 交通运输业*
    "storage": {"employees": (200, 100, 20), "revenue": (30000, 1000, 100)},  # 仓储业
    "postal": {"employees": (1000, 300, 20), "revenue": (30000, 2000, 100)},  # 邮政业
    "accommodation": {"employees": (300, 100, 10), "revenue": (10000, 2000, 100)},  # 住宿业
    "catering": {"employees": (300, 100, 10), "revenue": (10000, 2000, 100)},  # 餐饮业
    "information_transmission": {"employees": (2000, 100, 10), "revenue": (100000, 1000, 100)},  # 信息传输业*
    "software_it": {"employees": (300, 100, 10), "revenue": (10000, 1000, 50)},  # 软件和信息技术服务业
    "real_estate_development": {"revenue": (200000, 1000, 100), "assets": (10000, 5000, 2000)},  # 房地产开发经营
    "property_management": {"employees": (1000, 300, 100), "revenue": (5000, 1000, 500)},  # 物业管理
    "leasing_business": {"employees": (300, 100, 10), "assets": (120000, 8000, 100)},  # 租赁和商务服务业
    "other": {"employees": (300, 100, 10)},  # 其他未列明行业*
}
# The smallest step below a bound: one person; one fen of 10k yuan is 0.01 (the fields' precision).
STEP = {"employees": 1, "revenue": Decimal("0.01"), "assets": Decimal("0.01")}
CLASSES = (L, M, S)
NEXT = {L: M, M: S, S: MI}


def test_the_table_is_the_seeds_table():
    assert {s.value: {i.value: b for i, b in t.items()} for s, t in THRESHOLDS.items()} == SEED_TABLE
    assert set(SEED_TABLE) == {s.value for s in Sector}


def _values(sector: str, **overrides) -> dict:
    """Every listed indicator at its large bound (so it never limits), the unlisted ones absent."""
    values = {"employees": None, "revenue": None, "assets": None}
    for indicator, bounds in SEED_TABLE[sector].items():
        values[indicator] = bounds[0]
    values.update(overrides)
    return values


def _boundary_cases():
    for sector, table in SEED_TABLE.items():
        for indicator, bounds in table.items():
            for position, cls in enumerate(CLASSES):
                bound = bounds[position]
                yield pytest.param(sector, indicator, bound, cls, id=f"{sector}-{indicator}-{bound}-is-{cls}")
                below = bound - STEP[indicator]
                yield pytest.param(
                    sector, indicator, below, NEXT[cls], id=f"{sector}-{indicator}-{below}-is-{NEXT[cls]}"
                )


@pytest.mark.parametrize(("sector", "indicator", "value", "expected"), list(_boundary_cases()))
def test_every_bound_of_every_sector(sector, indicator, value, expected):
    assert size_class(sector, **_values(sector, **{indicator: value})) == expected


@pytest.mark.parametrize("sector", list(SEED_TABLE))
def test_zero_is_micro_and_huge_is_large(sector):
    zeros = {i: 0 for i in SEED_TABLE[sector]}
    assert size_class(sector, **_values(sector, **zeros)) == MI
    huge = {i: 10**9 for i in SEED_TABLE[sector]}
    assert size_class(sector, **_values(sector, **huge)) == L


# "划型须同时满足所列两个指标的下限，否则下划一档；微型企业只须满足所列指标中的一项即可。"
@pytest.mark.parametrize(
    ("employees", "revenue", "expected", "why"),
    [
        (1000, 40000, L, "both at the large bounds"),
        (1000, 39999, M, "employees large, revenue medium: drops one class"),
        (999, 40000, M, "revenue large, employees medium: drops one class"),
        (1000, 2000, M, "both reach medium"),
        (1000, 300, S, "large and small: the highest class both reach is small"),
        (300, 1999, S, "medium and small"),
        (20, 300, S, "both at the small bounds"),
        (5000, 299, MI, "one indicator below the small bound is enough for micro"),
        (19, 10**6, MI, "the other indicator alone, below the small bound"),
        (0, 0, MI, "nothing"),
    ],
)
def test_both_bounds_are_needed_and_micro_needs_one(employees, revenue, expected, why):
    assert size_class(Sector.INDUSTRY, employees, Decimal(revenue), None) == expected, why


@pytest.mark.parametrize(
    ("sector", "employees", "revenue", "assets", "expected"),
    [
        # Single-indicator sectors: the unlisted indicators are ignored, given or missing.
        (Sector.AGRICULTURE, None, Decimal("500"), None, M),
        (Sector.AGRICULTURE, 5, Decimal("20000"), Decimal("1"), L),
        (Sector.OTHER, 300, None, None, L),
        (Sector.OTHER, 99, Decimal("999999"), Decimal("999999"), S),
        # Two-indicator sectors that do not use employees.
        (Sector.CONSTRUCTION, None, Decimal("6000"), Decimal("5000"), M),
        (Sector.REAL_ESTATE_DEVELOPMENT, 10**5, Decimal("200000"), Decimal("4999.99"), S),
        (Sector.LEASING_BUSINESS, 300, None, Decimal("120000"), L),
    ],
)
def test_unlisted_indicators_are_ignored(sector, employees, revenue, assets, expected):
    assert size_class(sector, employees, revenue, assets) == expected


@pytest.mark.parametrize(
    ("sector", "employees", "revenue", "assets"),
    [
        (None, 10, Decimal(10), Decimal(10)),  # no sector (no economic class, or too coarse)
        ("", 10, Decimal(10), Decimal(10)),
        (Sector.INDUSTRY, None, Decimal(10), None),  # a listed indicator missing …
        (Sector.INDUSTRY, 10, None, None),
        (Sector.INDUSTRY, 5, None, None),  # … even when the known one alone would already make it micro
        (Sector.CONSTRUCTION, 10, Decimal(10), None),
        (Sector.AGRICULTURE, 10, None, Decimal(10)),
        (Sector.OTHER, None, Decimal(10), Decimal(10)),
        (Sector.LEASING_BUSINESS, 10, Decimal(10), None),
    ],
)
def test_missing_data_gives_none(sector, employees, revenue, assets):
    assert size_class(sector, employees, revenue, assets) is None


def test_negative_values_are_refused():
    with pytest.raises(ValueError, match="revenue"):
        size_class(Sector.INDUSTRY, 10, Decimal("-1"), None)


def test_indicators_for():
    assert indicators_for(Sector.AGRICULTURE) == ("revenue",)
    assert indicators_for("construction") == ("revenue", "assets")
    assert indicators_for(None) == ()


# --------------------------------------------------------------------------------------------------------
# Economic class → sector
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("A", Sector.AGRICULTURE),
        ("01", Sector.AGRICULTURE),
        ("05", Sector.AGRICULTURE),
        ("B", Sector.INDUSTRY),
        ("06", Sector.INDUSTRY),
        ("1011", Sector.INDUSTRY),  # 石灰石、石膏开采 (seed 004's example for Luzhou's non-coal mines)
        ("C", Sector.INDUSTRY),
        ("26", Sector.INDUSTRY),
        ("1512", Sector.INDUSTRY),  # 白酒制造
        ("43", Sector.INDUSTRY),
        ("D", Sector.INDUSTRY),
        ("46", Sector.INDUSTRY),
        ("E", Sector.CONSTRUCTION),
        ("47", Sector.CONSTRUCTION),
        ("50", Sector.CONSTRUCTION),
        ("51", Sector.WHOLESALE),
        ("5162", Sector.WHOLESALE),  # 石油及制品批发: petrol stations (seed 004)
        ("52", Sector.RETAIL),
        ("53", Sector.TRANSPORT),
        ("54", Sector.TRANSPORT),
        ("58", Sector.TRANSPORT),
        ("59", Sector.STORAGE),
        ("591", Sector.TRANSPORT),  # 装卸搬运 goes with transport (the rule's footnote)
        ("5910", Sector.TRANSPORT),
        ("594", Sector.STORAGE),
        ("5942", Sector.STORAGE),  # 危险化学品仓储
        ("599", Sector.STORAGE),
        ("60", Sector.POSTAL),
        ("61", Sector.ACCOMMODATION),
        ("62", Sector.CATERING),
        ("63", Sector.INFORMATION_TRANSMISSION),
        ("64", Sector.INFORMATION_TRANSMISSION),
        ("65", Sector.SOFTWARE_IT),
        ("701", Sector.REAL_ESTATE_DEVELOPMENT),
        ("7010", Sector.REAL_ESTATE_DEVELOPMENT),
        ("702", Sector.PROPERTY_MANAGEMENT),
        ("7020", Sector.PROPERTY_MANAGEMENT),
        ("703", Sector.OTHER),
        ("7040", Sector.OTHER),
        ("7090", Sector.OTHER),
        ("L", Sector.LEASING_BUSINESS),
        ("71", Sector.LEASING_BUSINESS),
        ("72", Sector.LEASING_BUSINESS),
        ("J", Sector.OTHER),
        ("66", Sector.OTHER),
        ("M", Sector.OTHER),
        ("73", Sector.OTHER),
        ("83", Sector.OTHER),
        ("T", Sector.OTHER),
        ("97", Sector.OTHER),
        ("K7010", Sector.REAL_ESTATE_DEVELOPMENT),  # the lettered form of a code
        (" 7020 ", Sector.PROPERTY_MANAGEMENT),
        # Too coarse to tell the sector.
        ("F", None),
        ("G", None),
        ("H", None),
        ("I", None),
        ("K", None),
        ("70", None),
        # Not codes of the standard.
        ("", None),
        (None, None),
        ("00", None),
        ("98", None),
        ("U", None),
        ("X1", None),
    ],
)
def test_sector_for(code, expected):
    assert sector_for(code) == expected


def test_sector_for_accepts_an_economic_class():
    assert sector_for(EconomicClass(code="7020", name="物业管理", level="class")) == Sector.PROPERTY_MANAGEMENT


@pytest.mark.parametrize(("code", "section"), [("A", "A"), ("05", "A"), ("06", "B"), ("2614", "C"), ("97", "T")])
def test_section_of(code, section):
    assert section_of(code) == section


# --------------------------------------------------------------------------------------------------------
# The fixture and its loader
# --------------------------------------------------------------------------------------------------------

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "economic_classes.json"

# Spot checks of official names (GB/T 4754-2017), including the 2017 renamings.
OFFICIAL_NAMES = {
    "A": "农、林、牧、渔业",
    "05": "农、林、牧、渔专业及辅助性活动",
    "11": "开采专业及辅助性活动",
    "25": "石油、煤炭及其他燃料加工业",
    "26": "化学原料和化学制品制造业",
    "F": "批发和零售业",
    "51": "批发业",
    "52": "零售业",
    "G": "交通运输、仓储和邮政业",
    "58": "多式联运和运输代理业",
    "59": "装卸搬运和仓储业",
    "60": "邮政业",
    "61": "住宿业",
    "62": "餐饮业",
    "63": "电信、广播电视和卫星传输服务",
    "65": "软件和信息技术服务业",
    "K": "房地产业",
    "7010": "房地产开发经营",
    "7020": "物业管理",
    "L": "租赁和商务服务业",
    "79": "土地管理业",
    "97": "国际组织",
}


def _walk(nodes, parent=None):
    for node in nodes:
        yield node, parent
        yield from _walk(node.get("children") or [], node)


def test_fixture_has_every_section_and_division():
    nodes = json.loads(FIXTURE.read_text("utf-8"))
    assert [n["code"] for n in nodes] == list("ABCDEFGHIJKLMNOPQRST")
    divisions = [(node, parent) for node, parent in _walk(nodes) if len(node["code"]) == 2]
    assert [d["code"] for d, _p in divisions] == [f"{i:02d}" for i in range(1, 98)]
    for division, section in divisions:
        assert int(division["code"]) in SECTION_DIVISIONS[section["code"]], division
    for node, parent in _walk(nodes):
        if parent is not None and len(node["code"]) > 2:
            assert node["code"].startswith(parent["code"]) and len(node["code"]) == len(parent["code"]) + 1


def test_every_fixture_class_below_a_section_has_a_sector_except_the_mixed_ones():
    nodes = json.loads(FIXTURE.read_text("utf-8"))
    coarse = {n["code"] for n, _p in _walk(nodes) if sector_for(n["code"]) is None}
    assert coarse == {"F", "G", "H", "I", "K", "70"}


def test_loader_is_idempotent_and_builds_the_tree(db):
    first = load_economic_classes()
    assert first == EconomicClass.objects.count()
    assert EconomicClass.objects.filter(level=EconomicClass.Level.SECTION).count() == 20
    assert EconomicClass.objects.filter(level=EconomicClass.Level.DIVISION).count() == 97
    names = dict(EconomicClass.objects.filter(code__in=OFFICIAL_NAMES).values_list("code", "name"))
    assert names == OFFICIAL_NAMES
    c7010 = EconomicClass.objects.select_related("parent__parent__parent").get(code="7010")
    assert (c7010.level, c7010.parent.code, c7010.parent.parent.code, c7010.parent.parent.parent.code) == (
        "class",
        "701",
        "70",
        "K",
    )
    assert c7010.section_code == "K"

    assert load_economic_classes() == 0  # a second load adds nothing …
    assert EconomicClass.objects.count() == first
    EconomicClass.objects.filter(code="52").update(name="改错的名字")
    load_economic_classes()  # … and puts a changed name back
    assert EconomicClass.objects.get(code="52").name == "零售业"


def test_load_reference_data_loads_the_economic_classes_once(db):
    from io import StringIO

    from django.core.management import call_command

    first, second = StringIO(), StringIO()
    call_command("load_reference_data", stdout=first)
    call_command("load_reference_data", stdout=second)
    total = EconomicClass.objects.count()
    assert f"{total} new economic classes" in first.getvalue()
    assert "0 new economic classes" in second.getvalue()


def test_load_reference_data_loads_the_chemicals_catalogue_once(db):
    # A deployment without the demo still gets the starter catalogue of lab chemicals.
    from io import StringIO

    from django.core.management import call_command

    from chemicals.models import Chemical

    first, second = StringIO(), StringIO()
    call_command("load_reference_data", stdout=first)
    total = Chemical.objects.count()
    call_command("load_reference_data", stdout=second)
    assert total > 50
    assert f"{total} new and 0 updated chemicals" in first.getvalue()
    assert "0 new and 0 updated chemicals" in second.getvalue()
    assert Chemical.objects.count() == total
