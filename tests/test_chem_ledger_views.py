"""The ledger pages: the lab's packages with the stock-limit gauge and quick "record use" forms, a package's
ledger (record, declare used up, PDF), the lab's ledger list (filters, Excel), the supervisor's review queue;
who reaches them (another lab's, another college's, another university's → 404) and their query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chemicals.models import LedgerEntry, Package, UsedUpDeclaration
from enterprises.models import Membership
from safety.exports import EXCEL_MIME
from safety.tenancy import scopes_disabled

from .chem_ledger_helpers import issued_package, pending_declaration, remaining
from .chem_termination_helpers import reload
from .chem_world import build_chem
from .university_world import student

P = Package.Status
D = UsedUpDeclaration.Status


@pytest.fixture
def chem(world):
    return build_chem(world)


@pytest.fixture
def as_(chem, login, client):
    """as_("t_alice") → the test client logged in as that person."""

    def _as(who: str):
        client.logout()
        member = getattr(chem.uni, who, None) or getattr(chem, who)
        return login(member, client)

    return _as


def entries(package: Package, n: int, user) -> None:
    with scopes_disabled():
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                enterprise_id=package.enterprise_id,
                package=package,
                used_on=timezone.localdate() - timedelta(days=i % 5),
                quantity=Decimal("1"),
                purpose=f"实验{i}",
                user=user,
                remaining_after=package.size - i - 1,
            )
            for i in range(n)
        )


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx)


# ---- the lab's packages and the gauge ---------------------------------------------------------------


def test_lab_people_land_on_their_lab(chem, as_):
    response = as_("s_active").get(reverse("chemicals:ledger_home"))
    assert response.status_code == 302 and response["Location"] == reverse(
        "chemicals:ledger_lab", args=[chem.uni.organic.pk]
    )


def test_college_admin_chooses_among_the_colleges_labs(chem, as_):
    response = as_("college_admin").get(reverse("chemicals:ledger_home"))
    assert response.status_code == 200
    assert [lab.name for lab in response.context["labs"]] == ["分析化学实验室", "有机化学实验室"]


def test_lab_page_shows_the_gauge_and_the_packages_that_count(chem, as_):
    in_use = issued_package(chem, size="2500", status=P.IN_USE, remaining="1200")  # 2.5 kg
    used_up = issued_package(chem, chemical=chem.sodium_hydroxide, size="500", status=P.USED_UP, remaining="0")
    issued_package(chem, status=P.COLLECTED)  # collected as waste: no longer counts
    issued_package(chem, lab=chem.uni.analytic)  # another lab's
    response = as_("s_active").get(reverse("chemicals:ledger_lab", args=[chem.uni.organic.pk]))
    assert response.status_code == 200
    gauge = response.context["gauge"]
    assert (gauge["held_kg"], gauge["limit_kg"], gauge["percent"]) == (Decimal("3.000"), Decimal("50.000"), 6)
    html = response.content.decode()
    assert 'data-testid="stock-gauge"' in html and 'data-held="3.000"' in html
    codes = [p.code for p, _form in response.context["rows"]]
    assert sorted(codes) == sorted([in_use.code, used_up.code])
    forms = {p.code: form for p, form in response.context["rows"]}
    assert forms[in_use.code] is not None and forms[used_up.code] is None  # a used-up package takes no uses
    assert f'id="id_{in_use.pk}_quantity"' in html  # one form per package, distinct ids
    assert "1200 mL" in html and "2500 mL" in html


def test_lab_page_gauge_at_the_limit_is_red(chem, as_):
    with scopes_disabled():
        type(chem.uni.organic).objects.filter(pk=chem.uni.organic.pk).update(stock_limit=Decimal("1"))
    issued_package(chem, size="1500")
    response = as_("t_alice").get(reverse("chemicals:ledger_lab", args=[chem.uni.organic.pk]))
    assert response.context["gauge"]["percent"] == 100 and response.context["gauge"]["level"] == "danger"


def test_lookers_get_the_page_without_forms(chem, as_):
    issued_package(chem)
    response = as_("college_admin").get(reverse("chemicals:ledger_lab", args=[chem.uni.organic.pk]))
    assert response.status_code == 200
    assert all(form is None for _p, form in response.context["rows"])


@pytest.mark.parametrize("who", ["t_bob", "far_teacher"])
def test_another_labs_teacher_gets_404_everywhere(chem, as_, who):
    package = issued_package(chem)
    declaration = pending_declaration(package, chem.uni.s_active.user, chem.uni.t_alice.user)
    client = as_(who)
    for name, pk in [
        ("chemicals:ledger_lab", chem.uni.organic.pk),
        ("chemicals:ledger_package", package.pk),
        ("chemicals:ledger_record", package.pk),
        ("chemicals:ledger_declare", package.pk),
        ("chemicals:ledger_package_pdf", package.pk),
        ("chemicals:ledger_declaration_review", declaration.pk),
    ]:
        url = reverse(name, args=[pk])
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"used_on": timezone.localdate(), "quantity": "1", "purpose": "x"}).status_code == 404
    assert remaining(package) == Decimal("500") and reload(declaration).status == D.PENDING


def test_another_colleges_admin_gets_404(chem, as_):
    life_admin = student(chem.uni.university, "life_admin", status=Membership.Status.ACTIVE)
    with scopes_disabled():
        Membership.objects.filter(pk=life_admin.pk).update(role=Membership.Role.COLLEGE_ADMIN, department=chem.uni.life)
    package = issued_package(chem)
    client = as_("college_admin")
    assert client.get(reverse("chemicals:ledger_package", args=[package.pk])).status_code == 200
    client.logout()
    client.force_login(life_admin.user)
    assert client.get(reverse("chemicals:ledger_package", args=[package.pk])).status_code == 404
    assert client.get(reverse("chemicals:ledger_lab", args=[chem.uni.organic.pk])).status_code == 404


# ---- recording through the pages ---------------------------------------------------------------------


def test_quick_record_goes_back_to_the_lab_page(chem, as_):
    package = issued_package(chem)
    lab_url = reverse("chemicals:ledger_lab", args=[chem.uni.organic.pk])
    response = as_("s_active").post(
        reverse("chemicals:ledger_record", args=[package.pk]),
        {"used_on": timezone.localdate().isoformat(), "quantity": "25.5", "purpose": "柱层析", "next": lab_url},
    )
    assert response.status_code == 302 and response["Location"] == lab_url
    assert remaining(package) == Decimal("474.5") and reload(package).status == P.IN_USE


def test_over_use_keeps_the_input_and_says_what_remains(chem, as_):
    package = issued_package(chem, remaining="30")
    response = as_("s_active").post(
        reverse("chemicals:ledger_record", args=[package.pk]),
        {"used_on": timezone.localdate().isoformat(), "quantity": "45", "purpose": "柱层析"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "quantity" in form.errors and "30" in form.errors["quantity"][0]
    html = response.content.decode()
    assert 'value="45"' in html and 'value="柱层析"' in html
    assert remaining(package) == Decimal("30")


def test_record_page_works_alone(chem, as_):
    package = issued_package(chem)
    response = as_("s_active").get(reverse("chemicals:ledger_record", args=[package.pk]))
    assert response.status_code == 200 and 'data-testid="record-form"' in response.content.decode()
    response = as_("officer").get(reverse("chemicals:ledger_record", args=[package.pk]))
    assert response.status_code == 200 and 'data-testid="record-not-allowed"' in response.content.decode()
    assert (
        as_("officer")
        .post(
            reverse("chemicals:ledger_record", args=[package.pk]),
            {"used_on": timezone.localdate().isoformat(), "quantity": "1", "purpose": "x"},
        )
        .status_code
        == 403
    )


# ---- declaring and reviewing through the pages --------------------------------------------------------


def test_declare_and_review_through_the_pages(chem, as_):
    package = issued_package(chem)
    response = as_("s_active").post(reverse("chemicals:ledger_declare", args=[package.pk]), {"note": "已用完"})
    assert response.status_code == 302
    with scopes_disabled():
        declaration = UsedUpDeclaration.objects.get(package=package)
    assert declaration.status == D.PENDING

    teacher = as_("t_alice")
    queue = teacher.get(reverse("chemicals:ledger_reviews"))
    assert queue.status_code == 200 and package.code in queue.content.decode()
    review_url = reverse("chemicals:ledger_declaration_review", args=[declaration.pk])
    page = teacher.get(review_url)
    assert page.status_code == 200 and page.context["form"] is not None
    refused = teacher.post(review_url, {"decision": "reject", "reason": ""})
    assert refused.status_code == 400 and "reason" in refused.context["form"].errors
    accepted = teacher.post(review_url, {"decision": "accept"})
    assert accepted.status_code == 302 and accepted["Location"] == reverse("chemicals:ledger_reviews")
    assert reload(package).status == P.USED_UP

    ledger = as_("s_active").get(reverse("chemicals:ledger_package", args=[package.pk]))
    html = ledger.content.decode()
    assert 'data-status="used_up"' in html and 'data-status="accepted"' in html
    assert ledger.context["form"] is None and ledger.context["declare_form"] is None


def test_others_see_the_review_page_without_the_form(chem, as_):
    declaration = pending_declaration(issued_package(chem), chem.uni.s_active.user, chem.uni.t_alice.user)
    response = as_("college_admin").get(reverse("chemicals:ledger_declaration_review", args=[declaration.pk]))
    assert response.status_code == 200 and response.context["form"] is None
    assert (
        as_("college_admin")
        .post(reverse("chemicals:ledger_declaration_review", args=[declaration.pk]), {"decision": "accept"})
        .status_code
        == 403
    )
    assert reload(declaration).status == D.PENDING


def test_review_queue_is_for_teachers(chem, as_):
    assert as_("s_active").get(reverse("chemicals:ledger_reviews")).status_code == 403
    assert as_("officer").get(reverse("chemicals:ledger_reviews")).status_code == 403


# ---- the ledger list, Excel, PDF ----------------------------------------------------------------------


def test_ledger_list_filters_and_exports(chem, as_):
    mine = issued_package(chem, status=P.IN_USE)
    theirs = issued_package(chem, lab=chem.uni.analytic, status=P.IN_USE, chemical=chem.sodium_hydroxide)
    entries(mine, 3, chem.uni.s_active.user)
    entries(theirs, 2, chem.uni.t_bob.user)

    page = as_("s_active").get(reverse("chemicals:ledger_entries"))
    assert page.status_code == 200
    assert {r.record.package_id for r in page.context["table"].page.object_list} == {mine.pk}
    assert "lab" not in page.context["filter"].form.fields  # one lab: nothing to choose

    college = as_("college_admin")
    both = college.get(reverse("chemicals:ledger_entries"))
    assert len(both.context["table"].page.object_list) == 5
    only = college.get(reverse("chemicals:ledger_entries"), {"lab": chem.uni.analytic.pk})
    assert {r.record.package_id for r in only.context["table"].page.object_list} == {theirs.pk}
    by_name = college.get(reverse("chemicals:ledger_entries"), {"q": "氢氧化钠"})
    assert len(by_name.context["table"].page.object_list) == 2
    export = college.get(reverse("chemicals:ledger_entries"), {"q": "氢氧化钠", "export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"] == EXCEL_MIME

    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3 and all(theirs.code in row for row in rows[1:])


def test_ledger_pdf(chem, as_):
    package = issued_package(chem, status=P.IN_USE)
    entries(package, 3, chem.uni.s_active.user)
    response = as_("t_alice").get(reverse("chemicals:ledger_package_pdf", args=[package.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# ---- query counts: they do not grow with the rows -----------------------------------------------------


def test_lab_page_queries_do_not_grow(chem, as_, django_assert_max_num_queries):
    client = as_("s_active")
    url = reverse("chemicals:ledger_lab", args=[chem.uni.organic.pk])
    for _ in range(2):
        issued_package(chem)
    few = queries(client, url)
    for _ in range(28):
        issued_package(chem, status=P.IN_USE)
    with django_assert_max_num_queries(few):
        client.get(url)
    assert queries(client, url) == few


def test_ledger_list_queries_do_not_grow(chem, as_, django_assert_max_num_queries):
    client = as_("college_admin")
    url = reverse("chemicals:ledger_entries")
    entries(issued_package(chem, status=P.IN_USE), 2, chem.uni.s_active.user)
    few = queries(client, url)
    for i in range(14):
        package = issued_package(chem, lab=chem.uni.analytic if i % 2 else chem.uni.organic, status=P.IN_USE)
        entries(package, 2, chem.uni.t_bob.user if i % 2 else chem.uni.t_alice.user)
    with django_assert_max_num_queries(few):
        client.get(url)
    assert queries(client, url) == few


def test_review_queue_queries_do_not_grow(chem, as_, django_assert_max_num_queries):
    client = as_("t_alice")
    url = reverse("chemicals:ledger_reviews")
    for _ in range(2):
        pending_declaration(issued_package(chem), chem.uni.s_active.user, chem.uni.t_alice.user)
    few = queries(client, url)
    for _ in range(28):
        pending_declaration(issued_package(chem), chem.uni.s_active.user, chem.uni.t_alice.user)
    with django_assert_max_num_queries(few):
        client.get(url)
    assert queries(client, url) == few


def test_package_page_queries_do_not_grow(chem, as_):
    client = as_("s_active")
    package = issued_package(chem, status=P.IN_USE)
    url = reverse("chemicals:ledger_package", args=[package.pk])
    entries(package, 2, chem.uni.s_active.user)
    few = queries(client, url)
    entries(package, 28, chem.uni.t_alice.user)
    assert queries(client, url) == few


def test_menu_shows_the_ledger_pages(chem, as_):
    html = as_("t_alice").get(reverse("chemicals:ledger_entries")).content.decode()
    for name in ("chemicals:ledger_home", "chemicals:ledger_entries", "chemicals:ledger_reviews"):
        assert f'href="{reverse(name)}"' in html
    student_html = as_("s_active").get(reverse("chemicals:ledger_entries")).content.decode()
    assert f'href="{reverse("chemicals:ledger_reviews")}"' not in student_html
