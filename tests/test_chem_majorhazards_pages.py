"""Major hazard source pages (GB 18218-2018): any enterprise assesses its units by hand; a university also
assesses its stores from live inventory.

alice (acme's administrator, a plain chemical company) assesses and saves; bob (acme staff, without the
feature) gets 403; charlie (another enterprise) gets 404 on acme's record. In the university: the lab-safety
officer assesses a centre store from its packages; a teacher without the feature gets 403, another
university's teacher 404.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import OperationLog
from chemicals import gb18218, selectors, services
from chemicals.models import Chemical, HazardSourceAssessment, HazardSourceLine, Package, Store, Unit
from safety.exports import EXCEL_MIME
from safety.tenancy import scopes_disabled

from .chem_world import build_chem, chemical, make_package, store

NEW = reverse("chemicals:major_hazard_new")
LIST = reverse("chemicals:major_hazard_list")
STORES = reverse("chemicals:major_hazard_stores")


def body(rows: list[dict[str, str]], *, name="甲类仓库", kind="storage", people="60", **extra) -> dict[str, str]:
    data = {
        "name": name,
        "unit_kind": kind,
        "people_exposed": people,
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        for key in ("chemical", "name", "q", "critical", "beta"):
            data[f"lines-{i}-{key}"] = row.get(key, "")
    data.update(extra)
    return data


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"  # the messages asserted below are the English source strings


def saved_assessments() -> list[HazardSourceAssessment]:
    with scopes_disabled():
        return list(HazardSourceAssessment.objects.order_by("pk"))


def saved_lines(assessment: HazardSourceAssessment) -> list[HazardSourceLine]:
    with scopes_disabled():
        return list(HazardSourceLine.objects.filter(assessment=assessment).order_by("pk"))


@pytest.fixture
def methanol(db) -> Chemical:
    return chemical("67-56-1", "甲醇", unit=Unit.LITRE, critical_quantity_t=Decimal("500"), gb18218_category="W5.3")


SO2 = {"name": "二氧化硫", "q": "200", "critical": "20", "beta": "2"}


def text(response) -> str:
    return response.content.decode()


def by_testid(html: str, name: str) -> str:
    """The text of the first element with this data-testid."""
    m = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html)
    assert m, f"no {name} on the page"
    return m.group(1).strip()


# ---- a plain enterprise assesses by hand ----------------------------------------------------------------


def test_alice_calculates_step_by_step_then_saves(world, login, methanol):
    c = login(world.alice)
    assert c.get(NEW).status_code == 200
    rows = [SO2, {"chemical": str(methanol.pk), "q": "300"}]  # methanol: Q and β from the catalogue

    page = c.post(NEW, body(rows, calculate="1"))
    assert page.status_code == 200
    html = text(page)
    # Step 1: each line; S = 10 + 0.6; α from the 50–99 row; R = 1.5 × (20 + 0.6); grade 3 (10 ≤ R < 50).
    assert html.count('data-testid="mh-step-line"') == 2
    assert "10.0000 + 0.6000" in html
    assert by_testid(html, "mh-s") == "10.6000"
    assert 'data-testid="mh-identified" data-major="1"' in html
    assert by_testid(html, "mh-alpha") == "1.5"
    assert "1.5 × (20.0000 + 0.6000) = 1.5 × 20.6000" in html
    assert by_testid(html, "mh-r") == "30.9000"
    assert 'data-grade="3"' in html
    assert "10 ≤ R &lt; 50" in html
    assert 'value="500"' in html and 'value="1"' in html  # the catalogue's Q and β now show in the row
    assert not saved_assessments()  # calculating saves nothing

    saved = c.post(NEW, body(rows, save="1"))
    [assessment] = saved_assessments()
    assert saved.status_code == 302 and saved["Location"] == reverse(
        "chemicals:major_hazard_detail", args=[assessment.pk]
    )
    assert (assessment.enterprise_id, assessment.name, assessment.unit_kind) == (world.acme.pk, "甲类仓库", "storage")
    assert (assessment.s_value, assessment.alpha, assessment.r_value) == (
        Decimal("10.6000"),
        Decimal("1.50"),
        Decimal("30.9000"),
    )
    assert assessment.is_major and assessment.grade == 3 and assessment.store is None
    assert assessment.assessed_by == world.alice.user
    lines = saved_lines(assessment)
    assert [(x.name, x.chemical_id, x.quantity_t, x.critical_quantity_t, x.beta) for x in lines] == [
        ("二氧化硫", None, Decimal("200"), Decimal("20"), Decimal("2")),
        ("甲醇", methanol.pk, Decimal("300"), Decimal("500"), Decimal("1")),
    ]
    with scopes_disabled():
        assert OperationLog.objects.filter(action=OperationLog.Action.CREATE, object_id=str(assessment.pk)).exists()

    detail = text(c.get(saved["Location"]))
    assert by_testid(detail, "mh-record-name") == "甲类仓库"
    assert by_testid(detail, "mh-s") == "10.6000" and by_testid(detail, "mh-r") == "30.9000"
    assert 'data-grade="3"' in detail


def test_a_unit_below_the_threshold_is_not_graded(world, login):
    c = login(world.alice)
    html = text(
        c.post(NEW, body([{"name": "硫化氢", "q": "2", "critical": "5", "beta": "5"}], people="0", calculate="1"))
    )
    assert by_testid(html, "mh-s") == "0.4000"
    assert 'data-major="0"' in html and 'data-grade=""' in html
    c.post(NEW, body([{"name": "硫化氢", "q": "2", "critical": "5", "beta": "5"}], people="0", save="1"))
    [a] = saved_assessments()
    assert (a.is_major, a.grade, a.alpha, a.r_value) == (False, None, Decimal("0.50"), Decimal("1.0000"))


def test_adding_a_line_keeps_what_was_typed(world, login, methanol):
    c = login(world.alice)
    page = c.post(NEW, body([SO2, {"chemical": str(methanol.pk), "q": "3"}], name="罐区", add_line="1"))
    assert page.status_code == 200
    html = text(page)
    assert html.count('data-testid="mh-line"') == 3
    assert 'value="罐区"' in html and 'value="二氧化硫"' in html and 'value="200"' in html
    assert f'<option value="{methanol.pk}" selected data-name="甲醇" data-q="500" data-beta="1">' in html
    assert "invalid-feedback" not in html and 'data-testid="mh-result"' not in html  # no errors, no result yet
    assert 'name="lines-TOTAL_FORMS" value="3"' in html


@pytest.mark.parametrize(
    ("rows", "extra", "message"),
    [
        (
            [{"name": "氨", "q": "1", "critical": "0", "beta": "2"}],
            {},
            "Ensure this value is greater than or equal to 0.001",
        ),
        ([{"name": "氨", "q": "-1", "critical": "10", "beta": "2"}], {}, "greater than or equal to 0"),
        ([{"name": "氨", "critical": "10", "beta": "2"}], {}, "Enter the quantity present, in tonnes."),
        ([{"q": "1", "critical": "10", "beta": "2"}], {}, "Enter the substance&#x27;s name or choose it"),
        ([{"name": "不明物", "q": "1"}], {}, "Enter the critical quantity Q"),
        ([{"name": "不明物", "q": "1", "critical": "10"}], {}, "Enter the correction factor β"),
        ([{}, {}], {}, "Enter at least one hazardous chemical with its quantity."),
        ([SO2], {"people_exposed": "-3"}, "greater than or equal to 0"),
        ([{"name": "氨", "q": "1.00001", "critical": "10", "beta": "2"}], {}, "no more than 4 decimal places"),
    ],
)
def test_bad_input_is_refused_with_the_input_kept(world, login, rows, extra, message):
    c = login(world.alice)
    response = c.post(NEW, {**body(rows, calculate="1", name="仓库一"), **extra})
    assert response.status_code == 400
    html = text(response)
    assert message in html
    assert 'value="仓库一"' in html
    assert not saved_assessments()


def test_the_service_computes_the_results_itself(world):
    """Whatever a caller believes, the saved S, R and grade come from the lines."""
    a = services.hazard_source_assessment_create(
        actor=world.actor("alice"),
        name="车间",
        unit_kind=HazardSourceAssessment.UnitKind.PRODUCTION,
        people_exposed=100,
        lines=[gb18218.Line(name="氨", q=Decimal("300"), Q=Decimal("10"), beta=Decimal("2"))],
    )
    assert (a.s_value, a.r_value, a.grade, a.alpha) == (Decimal("30"), Decimal("120"), 1, Decimal("2"))


def test_the_service_refuses_what_a_record_cannot_hold(world):
    from django.core.exceptions import PermissionDenied, ValidationError

    alice = world.actor("alice")
    with pytest.raises(ValidationError, match="at least one"):
        services.hazard_source_assessment_create(actor=alice, name="A", unit_kind="storage", people_exposed=1, lines=[])
    with pytest.raises(ValidationError, match="greater than 0"):
        services.hazard_source_assessment_create(
            actor=alice,
            name="A",
            unit_kind="storage",
            people_exposed=1,
            lines=[gb18218.Line(name="氨", q=Decimal("1"), Q=Decimal("0"), beta=Decimal("2"))],
        )
    with pytest.raises(ValidationError, match="decimal places"):
        services.hazard_source_assessment_create(
            actor=alice,
            name="A",
            unit_kind="storage",
            people_exposed=1,
            lines=[gb18218.Line(name="氨", q=Decimal("1.00001"), Q=Decimal("10"), beta=Decimal("2"))],
        )
    with pytest.raises(PermissionDenied):
        services.hazard_source_assessment_create(
            actor=world.actor("bob"),
            name="A",
            unit_kind="storage",
            people_exposed=1,
            lines=[gb18218.Line(name="氨", q=Decimal("1"), Q=Decimal("10"), beta=Decimal("2"))],
        )
    assert not saved_assessments()


def _saved(world, name="甲类仓库") -> HazardSourceAssessment:
    return services.hazard_source_assessment_create(
        actor=world.actor("alice"),
        name=name,
        unit_kind="storage",
        people_exposed=60,
        lines=[gb18218.Line(name="二氧化硫", q=Decimal("200"), Q=Decimal("20"), beta=Decimal("2"))],
    )


def test_record_pdf(world, login):
    a = _saved(world)
    response = login(world.alice).get(reverse("chemicals:major_hazard_pdf", args=[a.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_bob_without_the_feature_gets_403(world, login):
    a = _saved(world)
    c = login(world.bob)
    for url in (
        LIST,
        NEW,
        reverse("chemicals:major_hazard_detail", args=[a.pk]),
        reverse("chemicals:major_hazard_pdf", args=[a.pk]),
    ):
        assert c.get(url).status_code == 403, url
    assert c.post(NEW, body([SO2], save="1")).status_code == 403
    assert len(saved_assessments()) == 1


def test_charlie_gets_404_on_acmes_record(world, login):
    a = _saved(world)
    c = login(world.charlie)
    assert c.get(reverse("chemicals:major_hazard_detail", args=[a.pk])).status_code == 404
    assert c.get(reverse("chemicals:major_hazard_pdf", args=[a.pk])).status_code == 404
    # charlie's own list (far is an enterprise too) does not show acme's record
    html = text(c.get(LIST))
    assert "甲类仓库" not in html and 'data-testid="mh-assessment-row"' not in html


def test_menu_entry_follows_the_feature(world, login):
    assert LIST in text(login(world.alice, Client()).get("/"))
    assert LIST not in text(login(world.bob, Client()).get("/"))


def test_list_filters_and_exports(world, login):
    _saved(world, "甲类仓库")
    services.hazard_source_assessment_create(
        actor=world.actor("alice"),
        name="乙类仓库",
        unit_kind="storage",
        people_exposed=0,
        lines=[gb18218.Line(name="氨", q=Decimal("1"), Q=Decimal("10"), beta=Decimal("2"))],
    )
    c = login(world.alice)
    html = text(c.get(LIST))
    assert html.count('data-testid="mh-assessment-row"') == 2
    majors = text(c.get(LIST + "?is_major=true"))
    assert "甲类仓库" in majors and "乙类仓库" not in majors
    assert "乙类仓库" in text(c.get(LIST + "?grade=&is_major=false"))
    export = c.get(LIST + "?export=xlsx")
    assert export.status_code == 200 and export["Content-Type"] == EXCEL_MIME


def _measure(c: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_list_query_count_does_not_grow_with_rows(world, login):
    c = login(world.alice, Client())
    for i in range(2):
        _saved(world, f"仓库{i}")
    c.get(LIST)  # warm-up
    few = _measure(c, LIST)
    for i in range(2, 30):
        _saved(world, f"仓库{i}")
    many = _measure(c, LIST)
    assert len(few) <= 20, "\n".join(few)
    assert len(many) == len(few), "\n".join(many)
    assert text(c.get(LIST)).count('data-testid="mh-assessment-row"') == 25  # a page


# ---- a university's stores, from live inventory --------------------------------------------------------


@pytest.fixture
def chem(world):
    return build_chem(world)


@pytest.fixture
def phosgene(db) -> Chemical:
    """Table 1: Q = 0.3 t; no β in the catalogue, so table 3 gives 20 (by CAS)."""
    return chemical("75-44-5", "碳酰氯", unit=Unit.KILOGRAM, critical_quantity_t=Decimal("0.3"))


def stock_north_store(chem, phosgene) -> None:
    """In the north store: 400 kg of phosgene in stock / reserved / issued (counted), 40 kg used up and 40 kg
    collected (not counted); 7.5 L of methanol; ethanol (no critical quantity: not counted). Phosgene in the
    south store does not count here."""
    s = chem.north_store
    for status in (Package.Status.IN_STOCK, Package.Status.RESERVED, Package.Status.ISSUED):
        make_package(s, phosgene, "100", status=status)
    make_package(s, phosgene, "100", status=Package.Status.IN_USE, remaining="100")
    make_package(s, phosgene, "40", status=Package.Status.USED_UP, remaining="0")
    make_package(s, phosgene, "40", status=Package.Status.COLLECTED, remaining="0")
    for _i in range(3):
        make_package(s, chem.methanol, "2.5")
    make_package(s, chem.ethanol, "500")
    make_package(s, chem.ethanol, "500")
    make_package(chem.south_store, phosgene, "100")
    with scopes_disabled():
        Store.objects.filter(pk=s.pk).update(people_exposed=120)


def test_inventory_sums_live_packages_per_chemical(chem, phosgene):
    stock_north_store(chem, phosgene)
    with scopes_disabled():
        inventory = selectors.major_hazard_store_inventory(Store.objects.get(pk=chem.north_store.pk))
    rows = {r.chemical.name_zh: r for r in inventory.rows}
    assert set(rows) == {"碳酰氯", "甲醇"}
    assert (rows["碳酰氯"].packages, rows["碳酰氯"].line.q, rows["碳酰氯"].line.Q, rows["碳酰氯"].line.beta) == (
        4,
        Decimal("0.4000"),
        Decimal("0.3"),
        Decimal("20"),
    )
    assert (rows["甲醇"].packages, rows["甲醇"].kilograms, rows["甲醇"].line.q) == (
        3,
        Decimal("7.5"),
        Decimal("0.0075"),
    )
    assert rows["甲醇"].line.beta == 1 and not rows["甲醇"].beta_assumed
    assert (inventory.other_chemicals, inventory.other_packages) == (1, 2)  # ethanol


def test_officer_assesses_a_store_from_live_inventory_and_saves_a_snapshot(chem, phosgene, login):
    stock_north_store(chem, phosgene)
    c = login(chem.uni.officer)
    url = reverse("chemicals:major_hazard_store", args=[chem.north_store.pk])
    html = text(c.get(url))
    # S = 0.4/0.3 + 0.0075/500 = 1.3333 + 0.0000(15); α = 2 (120 people); R = 2 × (26.6666… + 0.000015) = 53.33…
    assert html.count('data-testid="mh-inventory-row"') == 2
    assert by_testid(html, "mh-s") == "1.3333"
    assert by_testid(html, "mh-alpha") == "2.0"
    assert by_testid(html, "mh-r") == "53.3333"
    assert 'data-grade="2"' in html
    # Fewer people around: α = 1.0, R = 26.66…: grade 3.
    assert 'data-grade="3"' in text(c.get(url + "?people_exposed=20"))

    make_package(chem.north_store, phosgene, "100")  # arrives before saving: the snapshot reads it again
    response = c.post(url, {"people_exposed": "120"})
    [a] = saved_assessments()
    assert response.status_code == 302 and response["Location"] == reverse("chemicals:major_hazard_detail", args=[a.pk])
    assert (a.store_id, a.name, a.unit_kind, a.people_exposed) == (
        chem.north_store.pk,
        chem.north_store.name,
        "storage",
        120,
    )
    assert a.s_value == Decimal("1.6666") and a.grade == 2  # 0.5/0.3: R = 2 × 33.33… = 66.67
    assert a.enterprise_id == chem.uni.university.pk
    lines = {x.name: x for x in saved_lines(a)}
    assert lines["碳酰氯"].quantity_t == Decimal("0.5") and lines["碳酰氯"].chemical_id == phosgene.pk
    detail = text(c.get(response["Location"]))
    assert by_testid(detail, "mh-record-store").startswith(chem.north_store.name)


def test_store_pages_for_the_wrong_people(chem, login):
    url = reverse("chemicals:major_hazard_store", args=[chem.north_store.pk])
    assert login(chem.uni.far_teacher, Client()).get(url).status_code == 404  # another university
    assert login(chem.uni.t_alice, Client()).get(url).status_code == 403  # a teacher: no such feature
    assert login(chem.uni.t_alice, Client()).post(url, {"people_exposed": "1"}).status_code == 403
    virtual = reverse("chemicals:major_hazard_store", args=[chem.virtual_store.pk])
    assert login(chem.uni.officer, Client()).get(virtual).status_code == 404  # an account, not a place
    assert not saved_assessments()


def test_a_plain_enterprise_has_no_stores_page(world, login):
    assert login(world.alice).get(STORES).status_code == 404


def test_lab_rooms_are_seen_by_their_labs_only(chem):
    uni = chem.uni
    organic_room = store(uni.university, "有机实验室 101", Store.Kind.LAB_ROOM, lab=uni.organic)
    analytic_room = store(uni.university, "分析实验室 201", Store.Kind.LAB_ROOM, lab=uni.analytic)
    with scopes_disabled():
        by_officer = set(selectors.major_hazard_stores(uni.actor("officer")).values_list("pk", flat=True))
        by_t_bob = set(selectors.major_hazard_stores(uni.actor("t_bob")).values_list("pk", flat=True))
    centre = {chem.north_store.pk, chem.south_store.pk}
    assert by_officer == centre | {organic_room.pk, analytic_room.pk}
    assert by_t_bob == centre | {analytic_room.pk}


def test_stores_list_and_its_query_count(chem, login):
    c = login(chem.uni.officer, Client())
    html = text(c.get(STORES))
    assert html.count('data-testid="mh-store-row"') == 2
    assert reverse("chemicals:major_hazard_store", args=[chem.north_store.pk]) in html
    few = _measure(c, STORES)
    for i in range(28):
        store(chem.uni.university, f"实验室房间{i:02d}", Store.Kind.LAB_ROOM, lab=chem.uni.organic)
    many = _measure(c, STORES)
    assert len(many) == len(few), "\n".join(many)
    assert c.get(STORES + "?export=xlsx")["Content-Type"] == EXCEL_MIME
