"""Requisition pages: the form (store choices, adding rows keeps the input), the page (status guide, lines,
packages, payment, review record), review, the centre's stock / payment / issue pages, the slip PDF, lists with
filters and Excel, isolation (another lab's, college's, university's people get 404) and query counts."""

from __future__ import annotations

import subprocess
import tempfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chemicals.models import Package, PaymentStatus, PoliceFiling, Requisition
from safety.tenancy import scopes_disabled

from .chem_requisition_helpers import SRC, S, approve_to_office, outsiders, packages_of, reload, stock_up, submit, write
from .chem_termination_helpers import make_requisition
from .chem_world import build_chem, make_package

pytestmark = pytest.mark.django_db
P = Package.Status


@pytest.fixture
def chem(world):
    return build_chem(world)


def client_for(login, membership) -> Client:
    return login(membership, Client())


def url(name: str, req=None) -> str:
    return reverse(f"chemicals:{name}", args=[req.pk] if req is not None else [])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def english(c: Client) -> Client:
    c.cookies["django_language"] = "en"
    return c


# ---- the form ------------------------------------------------------------------------------------------------


def test_the_form_offers_the_lab_store_with_counts_and_add_row_keeps_the_input(chem, login):
    stock_up(chem.organic_store, chem.acetone, "500", 3)
    stock_up(chem.organic_store, chem.ethanol, "2500", 1)
    stock_up(chem.analytic_store, chem.cyanide, "100", 1)  # another lab's store: not offered
    c = english(client_for(login, chem.uni.s_active))
    page = c.get(url("requisition_create") + "?source=lab")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{chem.acetone.pk}:500"' in html and "(3 available)" in html
    assert f'value="{chem.ethanol.pk}:2500"' in html
    assert f'value="{chem.cyanide.pk}:100"' not in html

    data = {
        "source": "lab",
        "lab": chem.uni.organic.pk,
        "purpose": "有机合成",
        "contact_phone": "13900000000",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-item": f"{chem.acetone.pk}:500",
        "lines-0-package_count": "2",
        "add_row": "1",
    }
    grown = c.post(url("requisition_create"), data)
    assert grown.status_code == 200
    html = grown.content.decode()
    assert html.count('data-testid="line-row"') == 2
    assert f'<option value="{chem.acetone.pk}:500" selected>' in html
    assert "有机合成" in html and 'value="13900000000"' in html
    with scopes_disabled():
        assert not Requisition.objects.exists()  # nothing saved by "add a row"

    data.pop("add_row")
    data.update({"lines-TOTAL_FORMS": "2", "lines-1-item": f"{chem.ethanol.pk}:2500", "lines-1-package_count": "1"})
    saved = c.post(url("requisition_create"), data)
    assert saved.status_code == 302
    with scopes_disabled():
        req = Requisition.objects.get()
        assert [(line.chemical_id, line.package_size, line.package_count) for line in req.lines.all()] == [
            (chem.acetone.pk, Decimal("500"), 2),
            (chem.ethanol.pk, Decimal("2500"), 1),
        ]
    detail = c.get(saved["Location"])
    assert b'data-step="1"' in detail.content
    submitted = c.post(url("requisition_submit", req), follow=True)
    assert reload(req).status == S.LAB_REVIEW
    assert b'data-step="2"' in submitted.content


def test_the_physical_store_is_offered_per_campus_and_delivery_only_where_the_centre_delivers(chem, login):
    stock_up(chem.north_store, chem.sodium_hydroxide, "500", 2)
    stock_up(chem.south_store, chem.permanganate, "500", 1)
    c = english(client_for(login, chem.uni.s_active))
    base = {
        "source": "centre_physical",
        "lab": chem.uni.organic.pk,
        "campus": chem.north.pk,
        "handover": "delivery",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
    }
    shown = c.post(url("requisition_create"), {**base, "refresh": "1"}).content.decode()
    assert f'value="{chem.sodium_hydroxide.pk}:500"' in shown
    assert f'value="{chem.permanganate.pk}:500"' not in shown  # 南校区's stock
    refused = c.post(
        url("requisition_create"),
        {**base, "lines-0-item": f"{chem.sodium_hydroxide.pk}:500", "lines-0-package_count": "1"},
    )
    assert refused.status_code == 400
    assert "does not deliver on 北校区" in refused.content.decode()
    south = c.post(url("requisition_create"), {**base, "campus": chem.south.pk, "refresh": "1"}).content.decode()
    assert f'value="{chem.permanganate.pk}:500"' in south


def test_the_virtual_store_offers_the_catalogue(chem, login):
    c = english(client_for(login, chem.uni.s_active))
    html = c.get(url("requisition_create") + "?source=centre_virtual").content.decode()
    assert 'name="lines-0-chemical"' in html and 'name="lines-0-package_size"' in html
    assert "氰化钾" in html


def test_edit_shows_the_lines_and_only_the_writer_may(chem, login):
    stock_up(chem.organic_store, chem.acetone, "500", 1)
    req = write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)])
    mine = client_for(login, chem.uni.s_active).get(url("requisition_edit", req))
    assert mine.status_code == 200
    assert f'<option value="{chem.acetone.pk}:500" selected>' in mine.content.decode()
    assert client_for(login, chem.uni.t_alice).get(url("requisition_edit", req)).status_code == 403


def test_a_refused_submit_shows_the_stock_limit_message(chem, login):
    held = make_package(chem.organic_store, chem.methanol, "50", status=P.ISSUED, owner_lab=chem.uni.organic)
    stock_up(chem.organic_store, chem.methanol, "1", 1)
    req = write(chem, "s_active", SRC.LAB, [(chem.methanol, "1", 1)])
    c = english(client_for(login, chem.uni.s_active))
    page = c.post(url("requisition_submit", req), follow=True)
    text = " ".join(messages_of(page))
    assert "stock limit" in text and held.code in text
    assert reload(req).status == S.DRAFT


# ---- review and the centre's pages --------------------------------------------------------------------------


def test_review_page(chem, login):
    stock_up(chem.organic_store, chem.acetone, "500", 1)
    req = submit(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    alice = client_for(login, chem.uni.t_alice)
    page = alice.get(url("requisition_review", req))
    assert b'data-testid="review-form"' in page.content
    bounced = alice.post(url("requisition_review", req), {"decision": "reject", "reason": ""})
    assert bounced.status_code == 400 and reload(req).status == S.LAB_REVIEW
    assert alice.post(url("requisition_review", req), {"decision": "approve"}).status_code == 302
    assert reload(req).status == S.COLLEGE_REVIEW
    # The lab head may still look, but the step is not hers: no form, and a POST is refused.
    page = alice.get(url("requisition_review", req))
    assert b'data-testid="not-your-step"' in page.content
    assert alice.post(url("requisition_review", req), {"decision": "approve"}).status_code == 403


def test_physical_store_through_the_pages_stock_pay_confirm_issue_and_slip(chem, login):
    north = stock_up(chem.north_store, chem.acetone, "500", 2)
    filing = None
    with scopes_disabled():
        filing = PoliceFiling.objects.create(
            enterprise=chem.uni.university,
            chemical=chem.acetone,
            quantity=Decimal("1000"),
            status=PoliceFiling.Status.FILED,
            filing_number="GA-2026-0042",
            police_station="南城派出所",
        )
        Package.objects.filter(pk__in=[p.pk for p in north]).update(police_filing=filing)
    req = approve_to_office(chem, write(chem, "s_active", SRC.CENTRE_PHYSICAL, [(chem.acetone, "500", 1)]))
    centre = english(client_for(login, chem.centre))
    work = centre.get(url("requisition_centre"))
    assert req.number in work.content.decode()
    stock_page = centre.get(url("requisition_stock", req))
    assert stock_page.status_code == 200
    with scopes_disabled():
        line = req.lines.get()
    html = stock_page.content.decode()
    assert north[0].code in html and north[1].code in html
    done = centre.post(
        url("requisition_stock", req), {f"price_{line.pk}": "12.5", f"packages_{line.pk}": [str(north[1].pk)]}
    )
    assert done.status_code == 302
    req = reload(req)
    assert (req.status, req.payment_status) == (S.STOCKED, PaymentStatus.UNPAID)
    assert [p.pk for p in packages_of(req)] == [north[1].pk]

    student = english(client_for(login, chem.uni.s_active))
    detail = student.get(url("requisition_detail", req)).content.decode()
    assert 'data-testid="payment-qr"' in detail and "12.50" in detail
    assert student.post(url("requisition_pay", req), {"reference": "ZFB-001"}).status_code == 302
    assert reload(req).payment_status == PaymentStatus.AWAITING_CONFIRMATION
    assert 'data-testid="action-confirm-payment"' in centre.get(url("requisition_detail", req)).content.decode()
    centre.post(url("requisition_payment", req), {"action": "confirm"})
    assert reload(req).payment_status == PaymentStatus.PAID

    assert centre.get(url("requisition_issue", req)).status_code == 200
    assert centre.post(url("requisition_issue", req), {}).status_code == 302
    req = reload(req)
    assert req.status == S.COMPLETED
    assert {p.status for p in packages_of(req)} == {P.ISSUED}

    slip = centre.get(url("requisition_slip", req))
    assert slip["Content-Type"] == "application/pdf"
    text = _pdf_text(slip.content)
    assert north[1].code in text and "GA-2026-0042" in text and req.number in text


def _pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True).stdout


def test_highly_toxic_issue_page_requires_a_second_custodian(chem, login):
    stock_up(chem.organic_store, chem.cyanide, "100", 1)
    req = approve_to_office(chem, write(chem, "s_active", SRC.LAB, [(chem.cyanide, "100", 1)]))
    centre = english(client_for(login, chem.centre))
    page = centre.get(url("requisition_issue", req)).content.decode()
    assert 'data-testid="toxic-warning"' in page
    assert f'value="{chem.centre2.user_id}"' in page and f'value="{chem.uni.officer.user_id}"' in page
    assert f'value="{chem.centre.user_id}"' not in page  # not the issuer
    assert centre.post(url("requisition_issue", req), {}).status_code == 400
    assert reload(req).status == S.APPROVED
    assert centre.post(url("requisition_issue", req), {"second_custodian": chem.centre.user_id}).status_code == 400
    assert centre.post(url("requisition_issue", req), {"second_custodian": chem.centre2.user_id}).status_code == 302
    req = reload(req)
    assert req.second_custodian_id == chem.centre2.user_id
    detail = centre.get(url("requisition_detail", req)).content.decode()
    assert 'data-testid="second-custodian"' in detail and "钱中心" in detail
    text = _pdf_text(centre.get(url("requisition_slip", req)).content)
    assert "钱中心" in text and "陈中心" in text


# ---- isolation -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("s_active", 200),
        ("t_alice", 200),
        ("college_admin", 200),
        ("officer", 200),
        ("centre", 200),
        ("uni_admin", 200),
        ("s_other", 404),  # another lab's student
        ("t_bob", 404),  # another lab's teacher
        ("life_admin", 404),  # another college's admin
        ("far_teacher", 404),  # another university
    ],
)
def test_who_sees_a_requisition(chem, login, who, status):
    others = outsiders(chem)
    req = write(chem, "s_active", SRC.CENTRE_VIRTUAL, [(chem.ethanol, "500", 1)])
    person = others.get(who) or getattr(chem.uni, who, None) or getattr(chem, who)
    c = client_for(login, person)
    for name in ("requisition_detail", "requisition_review", "requisition_slip"):
        assert c.get(url(name, req)).status_code == status, name


@pytest.mark.parametrize("who", ["s_other", "t_bob", "life_admin", "far_teacher"])
def test_outsiders_post_nothing(chem, login, who):
    others = outsiders(chem)
    stock_up(chem.north_store, chem.ethanol, "500", 1)
    drafted = write(chem, "s_active", SRC.CENTRE_PHYSICAL, [(chem.ethanol, "500", 1)])
    approved = approve_to_office(chem, write(chem, "s_active", SRC.CENTRE_PHYSICAL, [(chem.ethanol, "500", 1)]))
    c = client_for(login, others[who])
    for name, req, body in [
        ("requisition_edit", drafted, {"source": "lab"}),
        ("requisition_submit", drafted, {}),
        ("requisition_withdraw", drafted, {}),
        ("requisition_review", approved, {"decision": "approve"}),
        ("requisition_stock", approved, {}),
        ("requisition_pay", approved, {}),
        ("requisition_payment", approved, {"action": "confirm"}),
        ("requisition_issue", approved, {}),
    ]:
        assert c.post(url(name, req), body).status_code == 404, name
    assert reload(drafted).status == S.DRAFT and reload(approved).status == S.APPROVED
    assert packages_of(approved) == []


def test_lists_show_only_what_the_person_may_see(chem, login):
    others = outsiders(chem)
    mine = make_requisition(chem, status=S.LAB_REVIEW)
    theirs = make_requisition(chem, status=S.LAB_REVIEW, lab=chem.uni.analytic, submitter=chem.uni.t_bob.user)
    life = make_requisition(chem, status=S.COLLEGE_REVIEW, lab=chem.uni.microbio, submitter=chem.uni.t_bob.user)

    def listed(membership, name="requisition_list"):
        html = client_for(login, membership).get(url(name)).content.decode()
        return {r.number for r in (mine, theirs, life) if f'data-number="{r.number}"' in html}

    assert listed(chem.uni.s_active) == {mine.number}
    assert listed(chem.uni.t_bob) == {theirs.number, life.number}  # t_bob submitted both
    assert listed(chem.uni.college_admin) == {mine.number, theirs.number}
    assert listed(others["life_admin"]) == {life.number}
    assert listed(chem.uni.officer) == {mine.number, theirs.number, life.number}
    assert listed(chem.uni.t_alice, "requisition_review_queue") == {mine.number}
    assert listed(others["life_admin"], "requisition_review_queue") == {life.number}
    assert listed(chem.uni.far_teacher) == set()  # another university: its own (empty) list
    assert client_for(login, chem.uni.t_alice).get(url("requisition_centre")).status_code == 403


def test_list_filters_and_excel(chem, login):
    a = make_requisition(chem, status=S.STOCKED, payment_status=PaymentStatus.UNPAID)
    b = make_requisition(chem, status=S.COMPLETED, source=SRC.LAB)
    c = client_for(login, chem.uni.officer)
    for query, expected in [
        ({"source": "lab"}, {b.number}),
        ({"status": "stocked"}, {a.number}),
        ({"payment_status": "unpaid"}, {a.number}),
        ({"lab": chem.uni.organic.pk}, {a.number, b.number}),
        ({"lab": chem.uni.analytic.pk}, set()),
        ({"q": a.number}, {a.number}),
    ]:
        html = c.get(url("requisition_list"), query).content.decode()
        assert {r.number for r in (a, b) if f'data-number="{r.number}"' in html} == expected, query
    export = c.get(url("requisition_list"), {"source": "lab", "export": "xlsx"})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True))
    assert any(b.number in row for row in rows) and not any(a.number in row for row in rows)


def test_inbox_and_menu(chem, login):
    stock_up(chem.organic_store, chem.acetone, "500", 1)
    req = submit(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    c = english(client_for(login, chem.uni.t_alice))
    inbox = c.get(reverse("approvals:inbox")).content.decode()
    assert "Requisitions awaiting your review" in inbox and req.number in inbox
    home = c.get(reverse("home")).content.decode()
    assert url("requisition_list") in home and url("requisition_review_queue") in home
    assert url("requisition_centre") not in home
    centre_home = client_for(login, chem.centre).get(reverse("home")).content.decode()
    assert url("requisition_centre") in centre_home


# ---- query counts --------------------------------------------------------------------------------------------

FEW, MANY = 2, 30


def _grow(chem, n: int) -> None:
    with scopes_disabled():
        have = Requisition.objects.count()
    for i in range(have, n):
        make_requisition(
            chem,
            status=S.APPROVED if i % 2 else S.OFFICE_REVIEW,
            source=SRC.CENTRE_VIRTUAL if i % 3 else SRC.LAB,
            campus=chem.north if i % 3 else None,
        )


def _queries(c: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("officer", "requisition_list"),
        ("officer", "requisition_review_queue"),
        ("centre", "requisition_centre"),
        ("s_active", "requisition_list"),
    ],
)
def test_list_queries_do_not_grow_with_rows(chem, login, who, name):
    person = getattr(chem.uni, who, None) or getattr(chem, who)
    c = client_for(login, person)
    _grow(chem, FEW)
    few = _queries(c, url(name))
    _grow(chem, MANY)
    many = _queries(c, url(name))
    assert many <= few, f"{name}: {few} queries for {FEW} rows, {many} for {MANY}"
    assert few <= 30
