"""Purchase pages through the test client: rounds, the request form (search, adding rows keeps the input), the
request page (status guide, lines, review record), reviews, stock-in, payment, lists with filters and Excel,
the inbox and the menu; query counts of every list; isolation of the request pages by lab, college, university."""

from __future__ import annotations

import io
import itertools
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from approvals.models import Notification
from chemicals.models import (
    OrderStatus,
    Package,
    PaymentStatus,
    PoliceFiling,
    PurchaseLine,
    PurchaseRequest,
    PurchaseRound,
)
from safety.tenancy import scopes_disabled

from .chem_purchase_helpers import Purchase, build_purchase, packages_of, records_of, reload

S = OrderStatus
P = PaymentStatus
FEW, MANY = 2, 30
_n = itertools.count(1)


@pytest.fixture
def p(world) -> Purchase:
    return build_purchase(world)


@pytest.fixture
def as_(p, login):
    """as_("t_alice") → a client logged in as that member."""

    def _as(who: str) -> Client:
        return login(p.membership(who), Client())

    return _as


def url(name: str, *args) -> str:
    return reverse(f"chemicals:{name}", args=args)


def html(response) -> str:
    return response.content.decode()


def workbook_rows(response) -> list[tuple]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    ws = load_workbook(io.BytesIO(content), read_only=True).active
    return [tuple(c for c in row) for row in ws.iter_rows(values_only=True)]


# ---- rounds ------------------------------------------------------------------------------------------


def test_round_pages(p: Purchase, as_):
    c = as_("officer")
    page = c.get(url("purchase_round_create"))
    assert page.status_code == 200
    form = page.context["form"]
    suggested_open = form.initial["opens_at"]
    assert suggested_open > p.round.opens_at  # after this quarter's round: three months on
    assert (suggested_open - timezone.localtime(p.round.opens_at)).days in range(89, 93)

    start = timezone.localtime(p.round.deadline + timedelta(days=60)).replace(second=0, microsecond=0)
    response = c.post(
        url("purchase_round_create"),
        {
            "title": "下季度申购",
            "opens_at": start.strftime("%Y-%m-%dT%H:%M"),
            "deadline": (start + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
            "notice": "按需申购",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        round_ = PurchaseRound.objects.get(title="下季度申购")
        assert Notification.objects.filter(recipient=p.chem.uni.t_alice.user, title__contains="下季度申购").exists()
    assert round_.opens_at == start

    bad = c.post(
        url("purchase_round_edit", round_.pk),
        {"title": "x", "opens_at": start.strftime("%Y-%m-%dT%H:%M"), "deadline": start.strftime("%Y-%m-%dT%H:%M")},
    )
    assert bad.status_code == 400 and bad.context["form"].errors["deadline"]
    listing = html(c.get(url("purchase_rounds")))
    assert listing.count('data-testid="round-row"') == 2
    assert "下季度申购" in html(c.get(url("purchase_round_detail", round_.pk)))
    assert as_("officer").get(url("purchase_rounds") + "?export=xlsx").status_code == 200

    for who in ("t_alice", "s_active", "college_admin"):
        assert as_(who).get(url("purchase_round_create")).status_code == 403
        assert as_(who).get(url("purchase_round_detail", round_.pk)).status_code == 403
    assert as_("centre").get(url("purchase_round_detail", round_.pk)).status_code == 200  # central units read
    assert as_("centre").get(url("purchase_round_edit", round_.pk)).status_code == 403
    assert as_("far_teacher").get(url("purchase_round_detail", round_.pk)).status_code == 404


def test_round_page_lists_requests_by_status(p: Purchase, as_):
    p.advance(p.draft("s_active"), S.COLLEGE_REVIEW)
    p.advance(p.draft("t_carl"), S.LAB_REVIEW)
    p.draft("s_bob")  # a draft is not shown
    page = html(as_("officer").get(url("purchase_round_detail", p.round.pk)))
    counts = dict(re.findall(r'data-testid="round-count" data-status="(\w+)">[^<]*<span[^>]*>(\d+)<', page))
    assert counts == {"lab_review": "1", "college_review": "1"}
    assert page.count('data-testid="round-request"') == 2


# ---- writing a request -------------------------------------------------------------------------------


def line_post(prefix_total: int, rows: list[dict], **extra) -> dict:
    data = {
        "lines-TOTAL_FORMS": str(prefix_total),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "200",
        **extra,
    }
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"lines-{i}-{k}"] = v
    return data


def test_create_request_with_search_and_added_rows(p: Purchase, as_):
    c = as_("s_active")
    page = c.get(url("purchase_request_create"))
    assert page.status_code == 200
    assert "乙醇 · 64-17-5 · mL" in html(page)  # the search list, with the unit

    options = html(c.get(url("purchase_chemical_options") + "?lines-0-chemical=7664"))
    assert "硫酸 · 7664-93-9 · mL" in options and "乙醇" not in options
    assert "氰化钾" in html(c.get(url("purchase_chemical_options") + "?q=氰化"))

    base = {"round": p.round.pk, "lab": p.chem.uni.organic.pk, "purpose": "合成实验", "contact_phone": "13911112222"}
    typed = {"chemical": "乙醇 · 64-17-5 · mL", "package_size": "500", "package_count": "4", "specification": "AR"}
    added = c.post(url("purchase_request_create"), line_post(1, [typed], add_row="1", **base))
    assert added.status_code == 200
    body = html(added)
    assert body.count('data-testid="purchase-line"') == 2
    assert 'value="乙醇 · 64-17-5 · mL"' in body and 'value="AR"' in body and "合成实验" in body
    with scopes_disabled():
        assert not PurchaseRequest.objects.exists()

    second = {"chemical": "7664-93-9", "package_size": "2500", "package_count": "1", "note": "分析纯"}
    wrong = {"chemical": "不存在的试剂", "package_size": "1", "package_count": "1"}
    refused = c.post(url("purchase_request_create"), line_post(3, [typed, second, wrong], **base))
    assert refused.status_code == 400
    assert "不存在的试剂" in html(refused) and 'value="7664-93-9"' in html(refused)

    saved = c.post(url("purchase_request_create"), line_post(2, [typed, second], **base))
    assert saved.status_code == 302
    with scopes_disabled():
        order = PurchaseRequest.objects.get()
        lines = [(x.chemical.cas_number, x.package_size, x.package_count, x.specification) for x in order.lines.all()]
    assert (order.status, order.submitter_id, order.contact_phone) == (
        S.DRAFT,
        p.chem.uni.s_active.user_id,
        "13911112222",
    )
    assert lines == [("64-17-5", Decimal("500.000"), 4, "AR"), ("7664-93-9", Decimal("2500.000"), 1, "")]


def test_create_refuses_another_lab_and_people_without_a_lab(p: Purchase, as_):
    c = as_("s_active")
    typed = {"chemical": "64-17-5", "package_size": "500", "package_count": "1"}
    response = c.post(
        url("purchase_request_create"), line_post(1, [typed], round=p.round.pk, lab=p.chem.uni.analytic.pk)
    )
    assert response.status_code == 400 and "lab" in response.context["form"].errors
    for who in ("officer", "centre", "college_admin", "uni_admin"):
        assert as_(who).get(url("purchase_request_create")).status_code == 403


def test_edit_keeps_lines_and_is_closed_after_submission(p: Purchase, as_):
    order = p.draft("s_active", (p.chem.ethanol, "500", 2))
    c = as_("s_active")
    page = html(c.get(url("purchase_request_edit", order.pk)))
    assert 'value="乙醇 · 64-17-5 · mL"' in page and 'value="500.000"' in page
    typed = {"chemical": "64-17-5", "package_size": "1000", "package_count": "3"}
    assert c.post(url("purchase_request_edit", order.pk), line_post(1, [typed], purpose="改")).status_code == 302
    with scopes_disabled():
        assert [(x.package_size, x.package_count) for x in order.lines.all()] == [(Decimal("1000.000"), 3)]
    assert as_("t_alice").get(url("purchase_request_edit", order.pk)).status_code == 403
    p.advance(order, S.LAB_REVIEW)
    assert c.get(url("purchase_request_edit", order.pk)).status_code == 302


# ---- the request page and its steps -----------------------------------------------------------------


def test_request_page_and_review_through_the_pages(p: Purchase, as_):
    order = p.draft("s_active", (p.chem.ethanol, "500", 2))
    student = as_("s_active")
    page = html(student.get(url("purchase_request_detail", order.pk)))
    assert 'data-step="1"' in page and 'data-testid="purchase-line-row"' in page

    assert student.post(url("purchase_request_submit", order.pk)).status_code == 302
    page = html(student.get(url("purchase_request_detail", order.pk)))
    assert 'data-step="2"' in page and page.count('data-testid="review-record"') == 1
    assert 'data-testid="action-review"' not in page

    teacher = as_("t_alice")
    assert 'data-testid="action-review"' in html(teacher.get(url("purchase_request_detail", order.pk)))
    assert as_("t_carl").get(url("purchase_request_review", order.pk)).status_code == 403
    review = teacher.get(url("purchase_request_review", order.pk))
    assert review.status_code == 200 and review.context["form"].initial["seen_status"] == S.LAB_REVIEW

    no_reason = teacher.post(
        url("purchase_request_review", order.pk), {"decision": "reject", "seen_status": "lab_review"}
    )
    assert no_reason.status_code == 400 and reload(order).status == S.LAB_REVIEW
    rejected = teacher.post(
        url("purchase_request_review", order.pk),
        {"decision": "reject", "reason": "数量过多", "seen_status": "lab_review"},
    )
    assert rejected.status_code == 302 and reload(order).status == S.REJECTED
    page = html(student.get(url("purchase_request_detail", order.pk)))
    assert "数量过多" in page and 'class="card-footer text-danger order-closed-state"' in page
    assert 'data-testid="action-edit"' in page and 'data-testid="action-submit"' in page

    student.post(url("purchase_request_submit", order.pk))
    teacher.post(url("purchase_request_review", order.pk), {"decision": "approve", "seen_status": "lab_review"})
    assert reload(order).status == S.COLLEGE_REVIEW
    # A second look at the decided step: told who decided, no second record.
    again = teacher.post(url("purchase_request_review", order.pk), {"decision": "approve", "seen_status": "lab_review"})
    assert again.status_code == 302
    assert [r.decision for r in records_of(order)] == ["submit", "reject", "resubmit", "approve"]


def test_unpaid_block_shown_on_the_review_page(p: Purchase, as_):
    owing = p.stock_in(p.advance(p.draft("t_carl"), S.APPROVED))
    order = p.advance(p.draft("s_active"), S.LAB_REVIEW)
    c = as_("t_alice")
    page = html(c.get(url("purchase_request_review", order.pk)))
    assert 'data-testid="unpaid-warning"' in page and owing.number in page
    refused = c.post(
        url("purchase_request_review", order.pk),
        {"decision": "approve", "reason": "同意采购", "seen_status": "lab_review"},
    )
    assert refused.status_code == 400
    body = html(refused)
    assert owing.number in body and "同意采购" in body  # the message, and the input kept
    assert reload(order).status == S.LAB_REVIEW


def test_stock_in_pay_confirm_through_the_pages(p: Purchase, as_):
    chem = p.chem
    order = p.advance(p.draft("s_active", (chem.ethanol, "500", 2), (chem.acetone, "250", 1)), S.APPROVED)
    with scopes_disabled():
        first, second = order.lines.all()
    centre = as_("centre")
    assert as_("officer").get(url("purchase_request_stock_in", order.pk)).status_code == 403
    assert centre.get(url("purchase_request_stock_in", order.pk)).status_code == 200
    bad = centre.post(
        url("purchase_request_stock_in", order.pk),
        {
            "campus": chem.south.pk,
            f"received_{first.pk}": "2",
            f"price_{first.pk}": "",
            f"received_{second.pk}": "1",
            f"price_{second.pk}": "8",
        },
    )
    assert bad.status_code == 400 and reload(order).status == S.APPROVED
    done = centre.post(
        url("purchase_request_stock_in", order.pk),
        {
            "campus": chem.south.pk,
            f"received_{first.pk}": "2",
            f"price_{first.pk}": "15",
            f"received_{second.pk}": "1",
            f"price_{second.pk}": "8.5",
        },
    )
    assert done.status_code == 302
    assert {x.store_id for x in packages_of(order)} == {chem.south_store.pk}

    student = as_("s_active")
    pay = student.get(url("purchase_request_pay", order.pk))
    assert pay.status_code == 200
    body = html(pay)
    assert 'data-testid="payment-amount">¥ 38.50' in body and "data:image/svg+xml" in body and order.number in body
    pdf = student.get(url("purchase_payment_notice", order.pk))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert student.post(url("purchase_request_pay", order.pk), {"reference": ""}).status_code == 400
    assert student.post(url("purchase_request_pay", order.pk), {"reference": "WX-778"}).status_code == 302
    assert reload(order).payment_status == P.AWAITING_CONFIRMATION

    payments = html(centre.get(url("purchase_payments")))
    assert order.number in payments
    assert student.post(url("purchase_request_confirm_payment", order.pk)).status_code == 403
    assert centre.post(url("purchase_request_reject_payment", order.pk), {"reason": "未查到"}).status_code == 302
    assert reload(order).payment_status == P.UNPAID
    student.post(url("purchase_request_pay", order.pk), {"reference": "WX-779"})
    assert centre.post(url("purchase_request_confirm_payment", order.pk)).status_code == 302
    order = reload(order)
    assert (order.status, order.payment_status) == (S.COMPLETED, P.PAID)
    assert {x.store_id for x in packages_of(order)} == {chem.organic_store.pk}
    assert 'data-step="7"' in html(student.get(url("purchase_request_detail", order.pk)))


# ---- lists, aggregation, filings ---------------------------------------------------------------------


def test_request_list_filters_and_export(p: Purchase, as_):
    a = p.advance(p.draft("s_active"), S.COLLEGE_REVIEW)
    b = p.stock_in(p.advance(p.draft("s_bob"), S.APPROVED))
    c = as_("officer")
    everything = html(c.get(url("purchase_requests")))
    assert a.number in everything and b.number in everything
    by_status = html(c.get(url("purchase_requests") + "?status=college_review"))
    assert a.number in by_status and b.number not in by_status
    by_payment = html(c.get(url("purchase_requests") + "?payment_status=unpaid"))
    assert b.number in by_payment and a.number not in by_payment
    by_lab = html(c.get(url("purchase_requests") + f"?lab={p.chem.uni.analytic.pk}&round={p.round.pk}"))
    assert b.number in by_lab and a.number not in by_lab
    rows = workbook_rows(c.get(url("purchase_requests") + "?status=college_review&export=xlsx"))
    assert len(rows) == 2 and rows[1][0] == a.number

    student = html(as_("s_active").get(url("purchase_requests")))
    assert a.number in student and b.number not in student
    assert 'data-testid="open-round"' in student


def test_queues(p: Purchase, as_):
    lab_step = p.advance(p.draft("s_active"), S.LAB_REVIEW)
    approved = p.advance(p.draft("s_bob"), S.APPROVED)
    assert lab_step.number in html(as_("t_alice").get(url("purchase_reviews")))
    assert lab_step.number not in html(as_("officer").get(url("purchase_reviews")))
    assert approved.number in html(as_("centre").get(url("purchase_stock_in_queue")))
    assert as_("s_active").get(url("purchase_stock_in_queue")).status_code == 403
    assert as_("t_alice").get(url("purchase_payments")).status_code == 403
    inbox = html(as_("t_alice").get(reverse("approvals:inbox")))
    assert lab_step.number in inbox
    assert approved.number in html(as_("centre").get(reverse("approvals:inbox")))


def test_aggregation_page_and_excel(p: Purchase, as_):
    chem = p.chem
    p.advance(p.draft("s_active", (chem.ethanol, "500", 2), (chem.acetone, "250", 4)), S.APPROVED)
    p.advance(p.draft("s_bob", (chem.ethanol, "500", 3)), S.APPROVED)
    c = as_("officer")
    page = html(c.get(url("purchase_round_aggregate", p.round.pk)))
    rows = re.findall(
        r'data-cas="([\d-]+)" data-size="([\d.]+)" data-packages="(\d+)" data-quantity="([\dE+.]+)"', page
    )
    assert sorted(rows) == sorted([("64-17-5", "500", "5", "2.5E+3"), ("67-64-1", "250", "4", "1E+3")]) or sorted(
        rows
    ) == sorted([("64-17-5", "500", "5", "2500"), ("67-64-1", "250", "4", "1000")])
    sheet = workbook_rows(c.get(url("purchase_round_aggregate", p.round.pk) + "?export=xlsx"))
    by_cas = {r[2]: r for r in sheet[1:]}
    assert by_cas["64-17-5"][6:9] == (5, 2500, "分析化学实验室、有机化学实验室")
    assert by_cas["67-64-1"][4:8] == (250, "mL", 4, 1000)

    assert c.post(url("purchase_round_prepare_filings", p.round.pk)).status_code == 302
    with scopes_disabled():
        filing = PoliceFiling.objects.get()
    assert (filing.chemical_id, filing.quantity) == (chem.acetone.pk, Decimal("1000.000"))
    listing = html(c.get(url("purchase_police_filings") + f"?round={p.round.pk}"))
    assert listing.count('data-testid="filing-row"') == 1
    form = c.post(
        url("purchase_police_filing_record", filing.pk),
        {"filing_number": "备-001", "police_station": "江阳区公安分局", "filed_on": timezone.localdate().isoformat()},
    )
    assert form.status_code == 302 and reload(filing).status == PoliceFiling.Status.FILED
    assert c.post(url("purchase_round_tendered", p.round.pk)).status_code == 302
    assert reload(p.round).tendered_at is not None
    assert as_("centre").post(url("purchase_round_prepare_filings", p.round.pk)).status_code == 403
    assert as_("t_alice").get(url("purchase_round_aggregate", p.round.pk)).status_code == 403


# ---- isolation (besides tests/test_isolation.py's generated checks) ---------------------------------

PAGES = ["purchase_request_detail", "purchase_request_review", "purchase_request_pay", "purchase_request_edit"]


@pytest.mark.parametrize("who", ["s_bob", "t_bob", "life_admin", "far_teacher"])
@pytest.mark.parametrize("page", PAGES)
def test_outsiders_get_404(p: Purchase, as_, who, page):
    """Another lab's student and teacher, another college's administrator, another university: 404."""
    order = p.advance(p.draft("s_active"), S.COLLEGE_REVIEW)
    c = as_(who)
    assert c.get(url(page, order.pk)).status_code == 404
    assert c.post(url(page, order.pk), {"decision": "approve", "reference": "x"}).status_code == 404
    for action in ("purchase_request_submit", "purchase_request_withdraw", "purchase_request_confirm_payment"):
        assert c.post(url(action, order.pk)).status_code == 404
    assert reload(order).status == S.COLLEGE_REVIEW


def test_menu_entries(p: Purchase, as_):
    assert url("purchase_requests") in html(as_("s_active").get("/"))
    officer = html(as_("officer").get("/"))
    assert url("purchase_rounds") in officer and url("purchase_reviews") in officer
    centre = html(as_("centre").get("/"))
    assert url("purchase_payments") in centre and url("purchase_rounds") not in centre


# ---- query counts ------------------------------------------------------------------------------------


def grow(p: Purchase, n: int, status: str = S.COLLEGE_REVIEW, **fields) -> None:
    """Requests straight into the database (lines and all), spread over the chemistry college's labs."""
    uni = p.chem.uni
    with scopes_disabled():
        while PurchaseRequest.objects.filter(status=status).count() < n:
            i = next(_n)
            lab, who = (uni.organic, uni.s_active) if i % 2 else (uni.analytic, p.s_bob)
            order = PurchaseRequest.objects.create(
                enterprise=uni.university,
                number=f"SGQ{i:05d}",
                round=p.round,
                lab=lab,
                submitter=who.user,
                status=status,
                submitted_at=timezone.now(),
                **fields,
            )
            PurchaseLine.objects.create(
                enterprise=uni.university,
                request=order,
                chemical=p.chem.ethanol,
                package_size=500,
                package_count=i % 5 + 1,
            )


def _count(c: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(path)
    assert response.status_code == 200, f"{path} → {response.status_code}"
    return len(ctx.captured_queries)


LISTS = [
    ("officer", "purchase_requests", {}),
    ("s_active", "purchase_requests", {}),
    ("college_admin", "purchase_reviews", {}),
    ("centre", "purchase_stock_in_queue", {"status": S.APPROVED}),
    ("centre", "purchase_payments", {"status": S.STOCKED, "payment_status": P.AWAITING_CONFIRMATION}),
    ("officer", "purchase_round_aggregate", {"status": S.APPROVED}),
    ("officer", "purchase_round_detail", {}),
    ("officer", "purchase_rounds", {}),
    ("officer", "purchase_police_filings", {}),
]


@pytest.mark.parametrize(("who", "name", "fields"), LISTS, ids=[f"{n}-{w}" for w, n, _f in LISTS])
def test_list_query_counts_do_not_grow(p: Purchase, login, who, name, fields, django_assert_max_num_queries):
    c = login(p.membership(who), Client())
    path = url(name, p.round.pk) if name in ("purchase_round_aggregate", "purchase_round_detail") else url(name)
    fields = dict(fields)
    status = fields.pop("status", S.COLLEGE_REVIEW)

    def more(n: int) -> None:
        grow(p, n, status, **fields)
        with scopes_disabled():
            for i in range(PurchaseRound.objects.count(), n + 1):
                start = p.round.deadline + timedelta(days=100 * i)
                PurchaseRound.objects.create(
                    enterprise=p.chem.uni.university, title=f"R{i}", opens_at=start, deadline=start + timedelta(days=9)
                )
            for i, chemical in enumerate(
                [p.chem.acetone, p.chem.cyanide, p.chem.nitric_acid, p.chem.permanganate][: min(n, 4)]
            ):
                PoliceFiling.objects.get_or_create(
                    enterprise=p.chem.uni.university, round=p.round, chemical=chemical, defaults={"quantity": i + 1}
                )

    more(FEW)
    c.get(path)  # warm-up (sessions, content types)
    few = _count(c, path)
    more(MANY)
    with django_assert_max_num_queries(few):
        assert c.get(path).status_code == 200
    assert few <= 30
    if name == "purchase_requests" and who == "officer":
        assert html(c.get(path)).count('data-testid="purchase-row"') == 25  # a page of them


def test_packages_kept_in_the_centre_until_paid(p: Purchase):
    order = p.stock_in(p.advance(p.draft("s_active"), S.APPROVED))
    with scopes_disabled():
        assert not Package.objects.filter(store__lab=p.chem.uni.organic, purchase_line__request=order).exists()
