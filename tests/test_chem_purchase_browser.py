"""A student writes a purchase request on a phone in headless Chromium: searches the catalogue, adds a second
row (the first row's input is kept), saves the draft, submits it and sees step 2 of the status guide; the
supervising teacher finds it in the to-do inbox and approves it, and the student sees step 3.

Elements are found by data-testid, ids and names, never by translated text. Screenshots go to /tmp/shots/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chemicals.models import OrderStatus, PurchaseRequest
from safety.tenancy import scopes_disabled

from .chem_purchase_helpers import build_purchase

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 8_000
SHOTS = Path("/tmp/shots")
PASSWORD = "pw-Secret-123"


@pytest.fixture
def expect():
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=TIMEOUT_MS)
    return _expect


@pytest.fixture
def new_context(browser, live_server, transactional_db):
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
        return ctx

    yield _new
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"purchase-{name}.png"), full_page=True)


def settle_htmx(page) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def log_in(page, expect, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_student_writes_and_submits_a_purchase_request(new_context, expect, world):
    p = build_purchase(world)

    student = new_context().new_page()
    log_in(student, expect, "s_active")
    student.goto("/chemicals/purchase/")
    expect(student.get_by_test_id("open-round")).to_be_visible()
    student.get_by_test_id("purchase-create").click()

    form = student.get_by_test_id("purchase-form")
    form.locator("#id_purpose").fill("有机合成实验")
    first = form.get_by_test_id("purchase-line").nth(0)
    # Typing searches the catalogue (htmx fills the list); the picked label carries the CAS number and unit.
    first.get_by_test_id("line-chemical").fill("乙醇")
    settle_htmx(student)
    expect(student.locator("#chemical-options option[value='乙醇 · 64-17-5 · mL']")).to_have_count(1)
    first.get_by_test_id("line-chemical").fill("乙醇 · 64-17-5 · mL")
    first.get_by_test_id("line-size").fill("500")
    first.get_by_test_id("line-count").fill("4")
    first.get_by_test_id("line-spec").fill("AR")

    form.get_by_test_id("add-row").click()
    expect(form.get_by_test_id("purchase-line")).to_have_count(2)
    first = form.get_by_test_id("purchase-line").nth(0)
    expect(first.get_by_test_id("line-chemical")).to_have_value("乙醇 · 64-17-5 · mL")
    expect(first.get_by_test_id("line-count")).to_have_value("4")
    expect(first.get_by_test_id("line-spec")).to_have_value("AR")
    expect(form.locator("#id_purpose")).to_have_value("有机合成实验")
    second = form.get_by_test_id("purchase-line").nth(1)
    second.get_by_test_id("line-chemical").fill("7664-93-9")
    second.get_by_test_id("line-size").fill("2500")
    second.get_by_test_id("line-count").fill("1")
    shot(student, "01-form-phone")
    form.get_by_test_id("purchase-save").click()

    expect(student.get_by_test_id("purchase-number")).to_be_visible()
    expect(student.locator(".status-guide")).to_have_attribute("data-step", "1")
    expect(student.get_by_test_id("purchase-line-row")).to_have_count(2)
    student.get_by_test_id("action-submit").click()

    guide = student.locator(".status-guide")
    expect(guide).to_have_attribute("data-step", "2")
    expect(guide.locator("li.list-group-item").nth(1)).to_have_class(re.compile(r"\bactive\b"))
    expect(guide.locator("li.active")).to_have_count(1)
    expect(student.get_by_test_id("review-record")).to_have_count(1)
    expect(student.get_by_test_id("action-submit")).to_have_count(0)
    assert student.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(student, "02-submitted-phone")
    with scopes_disabled():
        order = PurchaseRequest.objects.get(submitter=p.chem.uni.s_active.user)
    assert order.status == OrderStatus.LAB_REVIEW

    # The supervising teacher: the to-do inbox, the review page, approve.
    teacher = new_context().new_page()
    log_in(teacher, expect, "t_alice")
    expect(teacher.get_by_test_id("inbox-count")).to_have_text("1")
    teacher.goto(f"/chemicals/purchase/{order.pk}/review/")
    teacher.locator("input[name=decision][value=approve]").check()
    teacher.get_by_test_id("review-submit").click()
    expect(teacher.locator(".status-guide")).to_have_attribute("data-step", "3")

    student.reload()
    expect(student.locator(".status-guide")).to_have_attribute("data-step", "3")
    expect(student.get_by_test_id("review-record")).to_have_count(2)
