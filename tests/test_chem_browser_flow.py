"""The chemicals service end to end in headless Chromium, each person on their own phone (zh-CN, as the labs use
it), from a purchase request to the empty bottle handed in for waste collection:

 1. the student writes a purchase request in the open round and submits it (status guide: step 1, then 2);
 2. the supervising teacher approves (step 3), the college (step 4), the lab-safety office (step 5);
 3. the centre stocks it in (step 6, paid: no); the student pays (awaiting confirmation); the centre confirms
    (step 7, paid: yes): the bottles are in the lab's own store;
 4. the student requisitions one bottle from the lab's own store; teacher, college and office approve; the centre
    issues it (step 7): it counts against the lab's stock limit (the gauge);
 5. the student records a use in the ledger and declares the bottle used up; the teacher accepts;
 6. the teacher registers the empty bottle for Thursday's waste collection: collected, the gauge frees its quota.

Elements are found by data-testid, ids and names, never by translated text; what a person reads (the payment
state) is compared with the Chinese label. Screenshots go to /tmp/shots/ (not committed).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from chemicals import selectors
from chemicals.models import (
    OrderStatus,
    Package,
    PaymentStatus,
    PurchaseRequest,
    PurchaseRound,
    Requisition,
    Store,
    UsedUpDeclaration,
)
from safety.tenancy import scopes_disabled

from .chem_waste_helpers import build_waste
from .university_world import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
SHOTS = Path("/tmp/shots")


@pytest.fixture
def expect():
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=TIMEOUT_MS)
    return _expect


@pytest.fixture
def new_page(browser, live_server, transactional_db):
    """new_page() → a page in a fresh phone-sized context (own cookies) on the live server."""
    contexts = []

    def _new():
        ctx = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            base_url=live_server.url,
            locale="zh-CN",
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    yield _new
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"chem-flow-{name}.png"), full_page=True)


def log_in(page, expect, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def zh(label) -> str:
    """What a person reads on the page (zh-CN browsers get 简体中文)."""
    with translation.override("zh-hans"):
        return str(label)


def guide_step(page) -> str:
    return page.locator(".status-guide").first.get_attribute("data-step")


def review(page, expect, url: str, decision: str = "approve", reason: str = "同意") -> None:
    page.goto(url)
    form = page.get_by_test_id("review-form")
    form.locator(f"input[name=decision][value={decision}]").check()
    form.locator("[name=reason]").fill(reason)
    form.get_by_test_id("review-submit").click()


def gauge_held(page) -> Decimal:
    return Decimal(page.get_by_test_id("stock-gauge").get_attribute("data-held"))


def _reload(obj):
    with scopes_disabled():
        return type(obj)._base_manager.get(pk=obj.pk)


def test_a_bottle_from_purchase_request_to_waste_collection(new_page, expect, world):
    w = build_waste(world)
    chem, uni = w.chem, w.chem.uni
    now = timezone.now()
    with scopes_disabled():
        PurchaseRound.objects.create(
            enterprise=uni.university,
            title="2026年第二季度危化品申购",
            opens_at=now - timedelta(days=1),
            deadline=now + timedelta(days=10),
        )
    ethanol = chem.ethanol

    # 1. The student writes the request (2 × 500 mL ethanol) in the open round and submits it.
    student = new_page()
    log_in(student, expect, "s_active")
    student.goto(reverse("chemicals:purchase_request_create"))
    form = student.get_by_test_id("purchase-form")
    form.locator("#id_purpose").fill("有机合成实验")
    line = form.get_by_test_id("purchase-line").first
    line.get_by_test_id("line-chemical").fill(ethanol.cas_number)
    line.get_by_test_id("line-size").fill("500")
    line.get_by_test_id("line-count").fill("2")
    form.get_by_test_id("purchase-save").click()
    expect(student).to_have_url(re.compile(r"/chemicals/purchase/\d+/$"))
    order_pk = int(re.search(r"/purchase/(\d+)/$", student.url).group(1))
    detail_url = reverse("chemicals:purchase_request_detail", args=[order_pk])
    assert guide_step(student) == "1"
    student.get_by_test_id("action-submit").click()
    expect(student.locator(".status-guide").first).to_have_attribute("data-step", "2")
    shot(student, "01-student-submitted")

    # 2. Teacher, college, office: each approves its step and sees the next one.
    review_url = reverse("chemicals:purchase_request_review", args=[order_pk])
    for username, step in (("t_alice", "3"), ("college_admin", "4"), ("officer", "5")):
        page = new_page()
        log_in(page, expect, username)
        page.goto(detail_url)
        expect(page.get_by_test_id("action-review")).to_be_visible()
        review(page, expect, review_url)
        page.goto(detail_url)
        expect(page.locator(".status-guide").first).to_have_attribute("data-step", step)
        expect(page.get_by_test_id("action-review")).to_have_count(0)
    assert _reload(PurchaseRequest(pk=order_pk)).status == OrderStatus.APPROVED

    # 3. The centre stocks it in on 北校区 at 30 yuan a bottle: the payment notice (paid: no).
    centre = new_page()
    log_in(centre, expect, "centre")
    centre.goto(detail_url)
    centre.get_by_test_id("action-stock-in").click()
    stock_in = centre.get_by_test_id("stock-in-form")
    stock_in.locator("#id_campus").select_option(str(chem.north.pk))
    expect(stock_in.get_by_test_id("received").first).to_have_value("2")
    stock_in.get_by_test_id("unit-price").first.fill("30")
    stock_in.get_by_test_id("stock-in-submit").click()
    expect(centre).to_have_url(re.compile(re.escape(detail_url) + "$"))
    expect(centre.locator(".status-guide").first).to_have_attribute("data-step", "6")
    expect(centre.get_by_test_id("payment-status")).to_contain_text(zh(PaymentStatus.UNPAID.label))

    # The student sees the payment due and pays (awaiting the centre's confirmation).
    student.goto(detail_url)
    expect(student.locator(".status-guide").first).to_have_attribute("data-step", "6")
    expect(student.get_by_test_id("purchase-amount")).to_have_text("60.00")
    student.get_by_test_id("action-pay").click()
    pay = student.get_by_test_id("pay-form")
    pay.locator("[name=reference]").fill("WX20260401001")
    pay.get_by_test_id("pay-submit").click()
    student.goto(detail_url)
    expect(student.get_by_test_id("payment-status")).to_contain_text(zh(PaymentStatus.AWAITING_CONFIRMATION.label))
    expect(student.get_by_test_id("action-pay")).to_have_count(0)
    shot(student, "02-student-paid")

    # The centre confirms receipt: completed, paid: yes.
    centre.goto(detail_url)
    centre.get_by_test_id("action-confirm-payment").click()
    centre.goto(detail_url)
    expect(centre.locator(".status-guide").first).to_have_attribute("data-step", "7")
    expect(centre.get_by_test_id("payment-status")).to_contain_text(zh(PaymentStatus.PAID.label))
    with scopes_disabled():
        bottles = list(Package.objects.filter(purchase_line__request_id=order_pk))
        assert [(p.store.kind, p.owner_lab_id, p.status) for p in bottles] == [
            (Store.Kind.LAB, uni.organic.pk, Package.Status.IN_STOCK)
        ] * 2

    # 4. The student requisitions one bottle from the lab's own store (no payment): its two bottles are offered.
    student.goto(reverse("chemicals:requisition_create"))
    form = student.get_by_test_id("requisition-form")
    form.locator("[name=source]").select_option(Requisition.Source.LAB)
    form.get_by_test_id("refresh-store").click()
    form = student.get_by_test_id("requisition-form")
    item = f"{ethanol.pk}:{selectors.rq_size_key(Decimal('500'))}"
    option = form.locator(f"[name=lines-0-item] option[value='{item}']")
    expect(option).to_have_count(1)
    expect(option).to_contain_text("2")
    form.locator("[name=lines-0-item]").select_option(item)
    form.locator("[name=lines-0-package_count]").fill("1")
    form.locator("[name=purpose]").fill("重结晶")
    form.get_by_test_id("requisition-save").click()
    expect(student).to_have_url(re.compile(r"/requisitions/\d+/$"))
    requisition_pk = int(re.search(r"/requisitions/(\d+)/$", student.url).group(1))
    requisition_url = reverse("chemicals:requisition_detail", args=[requisition_pk])
    assert guide_step(student) == "1"
    student.get_by_test_id("action-submit").click()
    expect(student.locator(".status-guide").first).to_have_attribute("data-step", "2")
    expect(student.get_by_test_id("payment")).to_have_count(0)  # the lab's own store: nothing to pay

    rq_review_url = reverse("chemicals:requisition_review", args=[requisition_pk])
    for username, step in (("t_alice", "3"), ("college_admin", "4"), ("officer", "5")):
        page = new_page()
        log_in(page, expect, username)
        review(page, expect, rq_review_url)
        page.goto(requisition_url)
        expect(page.locator(".status-guide").first).to_have_attribute("data-step", step)

    centre.goto(requisition_url)
    centre.get_by_test_id("action-issue").click()
    centre.get_by_test_id("issue-submit").click()
    centre.goto(requisition_url)
    expect(centre.locator(".status-guide").first).to_have_attribute("data-step", "7")
    expect(centre.get_by_test_id("assigned-package")).to_have_count(1)
    with scopes_disabled():
        bottle = Package.objects.get(requisition_line__requisition_id=requisition_pk)
        assert (bottle.status, bottle.owner_lab_id) == (Package.Status.ISSUED, uni.organic.pk)

    # The issued bottle now counts against the lab's stock limit: 0.5 kg of 50 kg.
    lab_url = reverse("chemicals:ledger_lab", args=[uni.organic.pk])
    student.goto(lab_url)
    assert gauge_held(student) == Decimal("0.5")
    card = student.locator(f"[data-testid=lab-package][data-code='{bottle.code}']")
    expect(card).to_have_attribute("data-status", Package.Status.ISSUED)
    shot(student, "03-student-lab-gauge")

    # 5. The student records a use (100 mL) and declares the bottle used up; the teacher accepts.
    card.get_by_test_id("lab-package-link").click()
    record = student.get_by_test_id("record-form")
    record.locator("[name=used_on]").fill(timezone.localdate().isoformat())
    record.locator("[name=quantity]").fill("100")
    record.locator("[name=purpose]").fill("重结晶")
    record.get_by_test_id("record-submit").click()
    expect(student.get_by_test_id("package-remaining").first).to_contain_text("400")
    expect(student.get_by_test_id("package-status").first).to_have_attribute("data-status", Package.Status.IN_USE)
    declare = student.get_by_test_id("declare-form")
    declare.locator("[name=note]").fill("已用完")
    declare.get_by_test_id("declare-submit").click()
    expect(student.get_by_test_id("declaration-status").first).to_have_attribute("data-status", "pending")
    expect(student.get_by_test_id("declaration-pending").first).to_be_visible()
    shot(student, "04-student-declared")

    with scopes_disabled():
        declaration = UsedUpDeclaration.objects.get(package=bottle)
    teacher = new_page()
    log_in(teacher, expect, "t_alice")
    # The supervisor's review of a ledger: one button per decision (no radio), the reason above them.
    teacher.goto(reverse("chemicals:ledger_declaration_review", args=[declaration.pk]))
    ledger_review = teacher.get_by_test_id("review-form")
    ledger_review.locator("[name=reason]").fill("确认用完")
    ledger_review.get_by_test_id("review-accept").click()
    teacher.goto(reverse("chemicals:ledger_package", args=[bottle.pk]))
    expect(teacher.get_by_test_id("package-status").first).to_have_attribute("data-status", Package.Status.USED_UP)
    teacher.goto(lab_url)
    assert gauge_held(teacher) == Decimal("0.5")  # empty, but not yet collected: it still counts

    # 6. The teacher registers the empty bottle (ticked by default) for the open collection on 北校区's route.
    teacher.goto(reverse("chemicals:waste_register"))
    waste = teacher.get_by_test_id("waste-form")
    waste.locator("[name=route]").select_option(str(w.north_route.pk))
    waste.locator("[name=building]").fill("理科楼")
    waste.locator("[name=room]").fill("305")
    expect(waste.locator(f"input[name=packages][value='{bottle.pk}']")).to_be_checked()
    waste.get_by_test_id("waste-submit").click()
    expect(teacher).to_have_url(re.compile(r"/chemicals/waste/registrations/\d+/$"))
    expect(teacher.get_by_test_id("registration-packages")).to_contain_text(bottle.code)
    shot(teacher, "05-teacher-waste")
    teacher.goto(lab_url)
    assert gauge_held(teacher) == Decimal("0")  # collected: the quota is free again
    expect(teacher.locator(f"[data-testid=lab-package][data-code='{bottle.code}']")).to_have_count(0)
    assert _reload(bottle).status == Package.Status.COLLECTED
