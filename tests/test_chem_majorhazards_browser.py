"""A major hazard source assessment typed in headless Chromium on a phone viewport.

alice (acme's administrator: a plain chemical company, not a university) opens the new assessment, types one
substance, picks the other from the catalogue (the page fills in its Q and β), adds a row without losing what
she typed, calculates, reads S, R and the grade on the page, and saves. Elements are found by data-testid and
ids, never by translated text. Screenshots go to /tmp/shots/ (not committed).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from chemicals.models import HazardSourceAssessment, Unit
from safety.tenancy import scopes_disabled

from .chem_world import chemical
from .university_world import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 8_000
SHOTS = Path("/tmp/shots")


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


def log_in(page, expect, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"majorhazards-{name}.png"), full_page=True)


def test_alice_assesses_two_substances_on_a_phone(new_context, expect, world):
    methanol = chemical("67-56-1", "甲醇", unit=Unit.LITRE, critical_quantity_t=Decimal("500"), gb18218_category="W5.3")
    page = new_context().new_page()
    log_in(page, expect, "alice")
    page.goto(reverse("chemicals:major_hazard_list"))
    page.get_by_test_id("mh-new").click()
    expect(page).to_have_url(re.compile(r"/hazard-sources/new/$"))

    form = page.get_by_test_id("mh-form")
    form.locator("#id_name").fill("甲类仓库")
    form.locator("#id_people_exposed").fill("60")
    form.locator("#id_lines-0-name").fill("二氧化硫")
    form.locator("#id_lines-0-q").fill("200")
    form.locator("#id_lines-0-critical").fill("20")
    form.locator("#id_lines-0-beta").fill("2")
    # From the catalogue: the page fills in the name, Q and β, which stay editable.
    form.locator("#id_lines-1-chemical").select_option(str(methanol.pk))
    expect(form.locator("#id_lines-1-name")).to_have_value("甲醇")
    expect(form.locator("#id_lines-1-critical")).to_have_value("500")
    expect(form.locator("#id_lines-1-beta")).to_have_value("1")
    form.locator("#id_lines-1-q").fill("300")

    # Another row: nothing typed is lost.
    form.get_by_test_id("mh-add-line").click()
    expect(page.get_by_test_id("mh-line")).to_have_count(3)
    expect(form.locator("#id_name")).to_have_value("甲类仓库")
    expect(form.locator("#id_lines-0-q")).to_have_value("200")
    expect(form.locator("#id_lines-1-chemical")).to_have_value(str(methanol.pk))
    expect(form.locator("#id_lines-1-q")).to_have_value("300")
    expect(form.locator("#id_lines-2-q")).to_have_value("")

    form.get_by_test_id("mh-calculate").click()
    result = page.get_by_test_id("mh-result")
    expect(result.get_by_test_id("mh-step-line")).to_have_count(2)
    # S = 200/20 + 300/500 = 10.6 ≥ 1; α = 1.5 (60 people); R = 1.5 × (2 × 10 + 1 × 0.6) = 30.9: grade 3.
    expect(result.get_by_test_id("mh-s")).to_have_text("10.6000")
    expect(result.get_by_test_id("mh-identified")).to_have_attribute("data-major", "1")
    expect(result.get_by_test_id("mh-alpha-row")).to_have_text("50–99")
    expect(result.get_by_test_id("mh-r")).to_have_text("30.9000")
    expect(result.get_by_test_id("mh-grade")).to_have_attribute("data-grade", "3")
    expect(result.get_by_test_id("mh-grade-row")).to_contain_text("10 ≤ R < 50")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "01-result-phone")

    result.get_by_test_id("mh-save").click()
    expect(page).to_have_url(re.compile(r"/hazard-sources/\d+/$"))
    expect(page.get_by_test_id("mh-record-name")).to_have_text("甲类仓库")
    expect(page.get_by_test_id("mh-grade").first).to_have_attribute("data-grade", "3")
    expect(page.get_by_test_id("mh-r")).to_have_text("30.9000")
    with scopes_disabled():
        saved = HazardSourceAssessment.objects.get()
        line_count = saved.lines.count()
    assert (saved.s_value, saved.r_value, saved.grade) == (Decimal("10.6000"), Decimal("30.9000"), 3)
    assert line_count == 2
