"""Chemicals figures (chemicals.selectors.chemical_figures, chemicals:figures): purchased, issued, in stock, used
and collected per lab, college and chemical over a date range; each lab's stock-limit usage; who sees what; the
page, its Excel exports and its fixed number of queries.

The data (``figures_data``), on 2026-06-15 (this year: 2026-01-01 … 2026-06-15), 西南示范大学:
    有机化学实验室 (化学学院, limit 50 kg):
        2 × 500 mL ethanol bought through a purchase request (received 2026-03-01, in the lab's store)
        sulfuric acid 500 mL issued 2026-04-01, in use, ledger: 100 mL on 2026-04-02 and 50 mL on 2026-04-03
        sodium hydroxide 500 g issued 2025-11-01, used up (ledger: 500 g on 2025-12-01, last year)
        permanganate 250 g issued 2025-10-01, collected as waste 2026-05-01
    分析化学实验室 (化学学院, no limit): methanol 2 L issued 2026-02-01, ledger 0.5 L on 2026-02-02
    微生物实验室 (生命科学学院): acetone 1000 mL in its store (received 2026-01-10, not through a purchase)
    outside every lab: cyanide in the centre's store; a package of another university.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from chemicals import selectors, stock
from chemicals.models import LedgerEntry, Package, PurchaseLine, PurchaseRequest, PurchaseRound
from enterprises.models import Department
from safety.tenancy import actor_scope, scopes_disabled

from .chem_world import Chem, build_chem, lab_store, make_package

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
URL = "/chemicals/figures/"
S = Package.Status


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def ledger(package: Package, on: date, quantity: str, user) -> LedgerEntry:
    with scopes_disabled():
        package.remaining -= Decimal(quantity)
        package.save(update_fields=["remaining"])
        return LedgerEntry.objects.create(
            enterprise_id=package.enterprise_id,
            package=package,
            used_on=on,
            quantity=Decimal(quantity),
            purpose="实验",
            user=user,
            remaining_after=package.remaining,
        )


def purchase_line(chem: Chem, lab: Department, chemical, size: str, count: int) -> PurchaseLine:
    uni = chem.uni
    with scopes_disabled():
        rnd, _ = PurchaseRound.objects.get_or_create(
            enterprise=uni.university,
            title="2026 第一季度",
            defaults={"opens_at": at(2026, 1, 1), "deadline": at(2026, 1, 31)},
        )
        n = PurchaseRequest.objects.count() + 1
        request = PurchaseRequest.objects.create(
            enterprise=uni.university,
            number=f"SG-T{n:04d}",
            lab=lab,
            submitter=uni.s_active.user,
            round=rnd,
            status="completed",
            payment_status="paid",
        )
        return PurchaseLine.objects.create(
            enterprise=uni.university,
            request=request,
            chemical=chemical,
            package_size=Decimal(size),
            package_count=count,
            received_count=count,
        )


def figures_data(chem: Chem) -> None:
    uni = chem.uni
    user = uni.s_active.user
    line = purchase_line(chem, uni.organic, chem.ethanol, "500", 2)
    for _ in range(2):
        make_package(chem.organic_store, chem.ethanol, "500", purchase_line=line, received_at=at(2026, 3, 1))
    acid = make_package(
        chem.organic_store,
        chem.sulfuric_acid,
        "500",
        status=S.IN_USE,
        issued_at=at(2026, 4, 1),
        received_at=at(2026, 1, 5),
    )
    ledger(acid, date(2026, 4, 2), "100", user)
    ledger(acid, date(2026, 4, 3), "50", user)
    soda = make_package(
        chem.organic_store,
        chem.sodium_hydroxide,
        "500",
        status=S.USED_UP,
        issued_at=at(2025, 11, 1),
        received_at=at(2025, 10, 1),
    )
    ledger(soda, date(2025, 12, 1), "500", user)
    make_package(
        chem.organic_store,
        chem.permanganate,
        "250",
        status=S.COLLECTED,
        issued_at=at(2025, 10, 1),
        collected_at=at(2026, 5, 1),
        received_at=at(2025, 9, 1),
        remaining="0",
    )
    methanol = make_package(
        chem.analytic_store, chem.methanol, "2", status=S.ISSUED, issued_at=at(2026, 2, 1), received_at=at(2026, 1, 20)
    )
    ledger(methanol, date(2026, 2, 2), "0.5", uni.t_bob.user)
    make_package(lab_store(uni.microbio), chem.acetone, "1000", received_at=at(2026, 1, 10))
    make_package(chem.north_store, chem.cyanide, "100", received_at=at(2026, 2, 1))
    make_package(chem.far_store, chem.ethanol, "500", received_at=at(2026, 2, 1))


@pytest.fixture
def chem(world) -> Chem:
    chem = build_chem(world)
    figures_data(chem)
    return chem


def figures(chem: Chem, who: str, **kw) -> selectors.ChemicalFigures:
    return selectors.chemical_figures(chem.actor(who), **kw)


def row(rows, label: str):
    found = [r for r in rows if r.label == label]
    assert len(found) == 1, f"{label} not in {[r.label for r in rows]}"
    return found[0]


def as_tuple(r) -> tuple:
    return tuple((getattr(r, m), getattr(r, f"{m}_n")) for m in selectors.FIGURE_MEASURES)


D = Decimal

# ---- the figures ------------------------------------------------------------------------------------------


def test_period_defaults_to_this_year():
    assert selectors.figures_period() == (date(2026, 1, 1), date(2026, 6, 15))
    assert selectors.figures_period(date(2025, 3, 1)) == (date(2025, 3, 1), date(2026, 6, 15))
    assert selectors.figures_period(None, date(2025, 5, 1)) == (date(2025, 1, 1), date(2025, 5, 1))


@pytest.mark.parametrize(
    ("lab", "expected"),
    [
        # (purchased, issued, in stock, used, collected): (kg, packages)
        (
            "有机化学实验室",
            (
                (D("1"), 2),  # 2 × 500 mL ethanol
                (D("0.5"), 1),  # sulfuric acid (sodium hydroxide and permanganate were issued last year)
                (D("1.35"), 4),  # ethanol 1 L + acid 0.35 L left + sodium hydroxide 0 (used up, still held)
                (D("0.15"), 1),  # acid 100 + 50 mL (sodium hydroxide's use was last year)
                (D("0.25"), 1),  # permanganate
            ),
        ),
        ("分析化学实验室", ((D(0), 0), (D("2"), 1), (D("1.5"), 1), (D("0.5"), 1), (D(0), 0))),
        ("微生物实验室", ((D(0), 0), (D(0), 0), (D("1"), 1), (D(0), 0), (D(0), 0))),
    ],
)
def test_per_lab_in_kilograms(chem, lab, expected):
    assert as_tuple(row(figures(chem, "officer").labs, lab)) == expected


def test_per_college_adds_up_its_labs(chem):
    f = figures(chem, "officer")
    chemistry = row(f.colleges, "化学学院")
    assert chemistry.labs == 2
    assert as_tuple(chemistry) == (
        (D("1"), 2),
        (D("2.5"), 2),
        (D("2.85"), 5),
        (D("0.65"), 2),
        (D("0.25"), 1),
    )
    assert as_tuple(row(f.colleges, "生命科学学院")) == ((D(0), 0), (D(0), 0), (D("1"), 1), (D(0), 0), (D(0), 0))
    assert as_tuple(f.total) == ((D("1"), 2), (D("2.5"), 2), (D("3.85"), 6), (D("0.65"), 2), (D("0.25"), 1))


def test_per_chemical_in_its_own_unit(chem):
    f = figures(chem, "officer")
    ethanol = row(f.chemicals, "乙醇")
    assert (ethanol.unit, ethanol.cas_number) == ("mL", "64-17-5")
    assert as_tuple(ethanol) == ((D("1000"), 2), (D(0), 0), (D("1000"), 2), (D(0), 0), (D(0), 0))
    assert as_tuple(row(f.chemicals, "硫酸")) == ((D(0), 0), (D("500"), 1), (D("350"), 1), (D("150"), 1), (D(0), 0))
    methanol = row(f.chemicals, "甲醇")
    assert methanol.unit == "L"
    assert as_tuple(methanol) == ((D(0), 0), (D("2"), 1), (D("1.5"), 1), (D("0.5"), 1), (D(0), 0))
    assert as_tuple(row(f.chemicals, "高锰酸钾"))[4] == (D("250"), 1)
    # The centre's own stock and the other university's package belong to no lab of this university.
    assert "氰化钾" not in [r.label for r in f.chemicals]


def test_a_purchased_package_not_yet_allocated_counts_for_the_requesting_lab(chem):
    """Stocked at the centre's virtual store with no owner lab yet: purchased for the lab, not yet its stock."""
    line = purchase_line(chem, chem.uni.analytic, chem.nitric_acid, "500", 1)
    make_package(chem.virtual_store, chem.nitric_acid, "500", purchase_line=line, received_at=at(2026, 6, 1))
    f = figures(chem, "officer")
    assert as_tuple(row(f.labs, "分析化学实验室"))[0] == (D("0.5"), 1)
    assert as_tuple(row(f.chemicals, "硝酸")) == ((D("500"), 1), (D(0), 0), (D(0), 0), (D(0), 0), (D(0), 0))


@pytest.mark.parametrize(
    ("date_from", "date_to", "organic"),
    [
        # Last year: sodium hydroxide and permanganate issued, sodium hydroxide used up.
        (
            date(2025, 1, 1),
            date(2025, 12, 31),
            ((D(0), 0), (D("0.75"), 2), (D("1.35"), 4), (D("0.5"), 1), (D(0), 0)),
        ),
        # Both ends are included, to the day.
        (date(2026, 4, 1), date(2026, 4, 2), ((D(0), 0), (D("0.5"), 1), (D("1.35"), 4), (D("0.1"), 1), (D(0), 0))),
        (date(2026, 4, 3), date(2026, 5, 1), ((D(0), 0), (D(0), 0), (D("1.35"), 4), (D("0.05"), 1), (D("0.25"), 1))),
    ],
)
def test_the_date_range_selects_what_happened_in_it(chem, date_from, date_to, organic):
    f = figures(chem, "officer", date_from=date_from, date_to=date_to)
    assert (f.date_from, f.date_to) == (date_from, date_to)
    assert as_tuple(row(f.labs, "有机化学实验室")) == organic


def test_stock_limit_usage_is_what_the_stock_limit_counts(chem):
    f = figures(chem, "officer")
    with scopes_disabled():
        labs = {lab.name: lab for lab in Department.objects.filter(enterprise=chem.uni.university, kind="lab")}
        expected = {name: stock.held_kg(lab) for name, lab in labs.items()}
    assert {r.label: r.held_kg for r in f.limits} == expected
    organic = row(f.limits, "有机化学实验室")
    # Held: sulfuric acid 0.5 + sodium hydroxide 0.5 (full sizes; the collected permanganate is freed).
    assert (organic.held_kg, organic.limit_kg, organic.percent, organic.state) == (D("1"), D("50"), D("2.0"), "ok")
    assert row(f.limits, "分析化学实验室").state == "none"
    assert f.limits[0].label == "有机化学实验室"  # the labs with a limit, fullest first


@pytest.mark.parametrize(
    ("limit", "state"),
    [("50", "ok"), ("1.25", "near"), ("1.001", "near"), ("1", "full"), ("0.5", "full"), (None, "none")],
)
def test_stock_limit_state(chem, limit, state):
    with scopes_disabled():
        Department.objects.filter(pk=chem.uni.organic.pk).update(stock_limit=limit)
    assert row(figures(chem, "officer").limits, "有机化学实验室").state == state


# ---- who sees what ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "labs"),
    [
        ("officer", {"有机化学实验室", "分析化学实验室", "微生物实验室"}),
        ("uni_admin", {"有机化学实验室", "分析化学实验室", "微生物实验室"}),
        ("centre", {"有机化学实验室", "分析化学实验室", "微生物实验室"}),
        ("college_admin", {"有机化学实验室", "分析化学实验室"}),  # 化学学院 only
        ("t_alice", set()),  # no figures feature
        ("s_active", set()),
        ("far_teacher", set()),
    ],
)
def test_who_sees_which_labs(chem, who, labs):
    f = figures(chem, who)
    assert {r.label for r in f.labs} == labs
    assert {r.label for r in f.limits} == labs


def test_college_admin_sees_only_its_college_s_chemicals(chem):
    f = figures(chem, "college_admin")
    assert "丙酮" not in [r.label for r in f.chemicals]  # 微生物实验室's
    assert [r.label for r in f.colleges] == ["化学学院"]
    assert f.total.in_stock == D("2.85")


def test_college_filter(chem):
    f = figures(chem, "officer", college_id=chem.uni.life.pk)
    assert [r.label for r in f.labs] == ["微生物实验室"]
    assert [r.label for r in f.chemicals] == ["丙酮"]
    # A college administrator asking for another college's labs gets none of them.
    assert figures(chem, "college_admin", college_id=chem.uni.life.pk).labs == []


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("officer", 200),
        ("uni_admin", 200),
        ("centre", 200),
        ("college_admin", 200),
        ("t_alice", 403),
        ("s_active", 403),
        ("far_teacher", 403),
    ],
)
def test_page_access(chem, login, who, status):
    member = getattr(chem.uni, who, None) or getattr(chem, who)
    assert login(member).get(URL).status_code == status


def test_page_access_of_an_enterprise_that_is_not_a_university(chem, login, world):
    assert login(world.charlie).get(URL).status_code == 403


def test_menu_entry(chem, login):
    assert reverse("chemicals:figures").encode() in login(chem.uni.officer).get("/").content
    assert reverse("chemicals:figures").encode() not in login(chem.uni.t_alice).get("/").content


# ---- the page and its exports ------------------------------------------------------------------------------


def test_page_shows_tabs_tables_totals_and_chart_data(chem, login):
    response = login(chem.uni.college_admin).get(URL)
    html = response.content.decode()
    for key in ("lab", "college", "chemical", "limit"):
        assert f'data-testid="figures-{key}"' in html
        assert f'data-testid="export-{key}"' in html
    assert 'data-testid="chart-lab"' in html
    assert "chart.umd.min.js" in html
    assert 'data-testid="total-in_stock">2.85 kg<' in html
    chart = response.context["chart"]["data"]["lab"]
    # The most active lab first: 分析化学实验室 moved 4 kg, 有机化学实验室 3.25 kg.
    assert chart["labels"] == ["分析化学实验室", "有机化学实验室"]
    assert chart["series"]["purchased"] == [0.0, 1.0]
    assert chart["series"]["in_stock"] == [1.5, 1.35]
    assert "微生物实验室" not in html


def test_page_reopens_on_the_tab_being_paged(chem, login):
    response = login(chem.uni.officer).get(URL + "?chemical-page=1")
    assert response.context["tab"] == "chemical"
    assert login(chem.uni.officer).get(URL + "?tab=limit").context["tab"] == "limit"
    assert login(chem.uni.officer).get(URL + "?tab=nonsense").context["tab"] == "lab"


def test_end_before_start_is_refused_with_a_message(chem, login):
    response = login(chem.uni.officer).get(URL + "?date_from=2026-05-01&date_to=2026-04-01")
    assert response.status_code == 200
    assert 'data-testid="form-error"' in response.content.decode()
    assert response.context["figures"].date_from == date(2026, 1, 1)  # the default period meanwhile


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [tuple(r) for r in book.active.iter_rows(values_only=True)]


@pytest.mark.parametrize(
    ("by", "label", "header", "value"),
    [
        ("lab", "有机化学实验室", "In stock (kg)", 1.35),
        ("college", "化学学院", "In stock (kg)", 2.85),
        ("chemical", "硫酸", "Used", 150.0),
        ("limit", "有机化学实验室", "Held (kg)", 1.0),
    ],
)
def test_each_table_exports_to_excel(chem, login, settings, by, label, header, value):
    settings.LANGUAGE_CODE = "en"
    c = login(chem.uni.officer)
    rows = _sheet(c.get(URL, {"by": by, "export": "xlsx", "date_from": "2026-01-01", "date_to": "2026-06-15"}))
    headers = rows[0]
    data = {r[0]: r for r in rows[1:]}
    assert data[label][headers.index(header)] == value


def test_export_follows_the_college_admin_s_scope(chem, login):
    rows = _sheet(login(chem.uni.college_admin).get(URL, {"by": "lab", "export": "xlsx"}))
    assert sorted(r[0] for r in rows[1:]) == ["分析化学实验室", "有机化学实验室"]


# ---- a fixed number of queries ---------------------------------------------------------------------------


def _grow(chem: Chem, n: int) -> None:
    """n more packages, each of its own lab × chemical, with a ledger entry and a purchase line."""
    uni = chem.uni
    chemicals = [chem.ethanol, chem.acetone, chem.sulfuric_acid, chem.sodium_hydroxide, chem.methanol]
    labs = [uni.organic, uni.analytic, uni.microbio]
    for i in range(n):
        lab, chemical = labs[i % 3], chemicals[i % 5]
        line = purchase_line(chem, lab, chemical, "100", 1)
        package = make_package(
            lab_store(lab), chemical, "100", status=S.IN_USE, purchase_line=line, issued_at=at(2026, 3, 1)
        )
        ledger(package, date(2026, 3, 2), "10", uni.s_active.user)


@pytest.mark.parametrize("n", [2, 30])
def test_the_selector_runs_three_queries(chem, django_assert_num_queries, n):
    _grow(chem, n)
    actor = chem.actor("officer")
    selectors.may_see_figures(actor)  # the actor's features, cached from here on as on a request
    with actor_scope(actor), django_assert_num_queries(3):
        f = selectors.chemical_figures(actor)
    assert f.total.purchased_n == 2 + n


@pytest.mark.parametrize("who", ["officer", "college_admin"])
def test_the_page_costs_a_fixed_number_of_queries(chem, login, who):
    """2 packages more, then 30 more: the same queries (and under the ceiling) either way."""
    c = login(getattr(chem.uni, who))
    counts = []
    for n in (2, 28):
        _grow(chem, n)
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(URL)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= PAGE_QUERIES, counts
    assert response.context["figures"].total.issued_n == {"officer": 32, "college_admin": 23}[who]


@pytest.mark.parametrize("n", [2, 30])
def test_the_page_stays_under_its_ceiling(chem, login, django_assert_max_num_queries, n):
    _grow(chem, n)
    c = login(chem.uni.officer)
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert c.get(URL).status_code == 200


PAGE_QUERIES = 25
