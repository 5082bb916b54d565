"""The chemicals figures page in headless Chromium on a phone (zh-CN): the lab-safety officer sees the totals and
the per-lab bar chart, switches to the stock-limit tab and downloads it as Excel; the college administrator sees
its college's labs only."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from chemicals.models import Package
from enterprises.models import Department
from safety.tenancy import scopes_disabled

from .chem_world import build_chem, lab_store, make_package
from .test_chem_browser_flow import PHONE, TIMEOUT_MS, log_in, shot

pytestmark = pytest.mark.browser
URL = reverse("chemicals:figures")


@pytest.fixture
def expect():
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=TIMEOUT_MS)
    return _expect


@pytest.fixture
def page_for(browser, live_server, transactional_db):
    contexts = []

    def _new():
        ctx = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="zh-CN", accept_downloads=True)
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    yield _new
    for ctx in contexts:
        ctx.close()


def test_officer_reads_the_figures_and_exports_the_stock_limits(page_for, expect, world):
    chem = build_chem(world)
    uni = chem.uni
    now = timezone.now()
    S = Package.Status
    # 有机化学实验室 (limit 50 kg) holds 45 kg of methanol: near its limit. 微生物实验室 (another college) 1 L.
    for _ in range(9):
        make_package(lab_store(uni.organic), chem.methanol, "5", status=S.ISSUED, issued_at=now)
    make_package(lab_store(uni.microbio), chem.ethanol, "1000", status=S.ISSUED, issued_at=now)
    with scopes_disabled():
        Department.objects.filter(pk=uni.microbio.pk).update(stock_limit=Decimal("10"))

    page = page_for()
    log_in(page, expect, "officer")
    page.goto(URL)
    expect(page.get_by_test_id("total-issued")).to_have_text("46 kg")
    # Chart.js drew the per-lab chart on the open tab.
    canvas = page.get_by_test_id("chart-lab")
    expect(canvas).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('[data-testid=chart-lab]'))")
    labels = page.evaluate("() => Chart.getChart(document.querySelector('[data-testid=chart-lab]')).data.labels")
    assert labels == ["有机化学实验室", "微生物实验室"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "figures-01-officer")

    page.get_by_test_id("tab-limit").click()
    pane = page.get_by_test_id("pane-limit")
    expect(pane).to_be_visible()
    organic = pane.locator(f"[data-testid=limit-row][data-key='{uni.organic.pk}']")
    expect(organic).to_have_attribute("data-state", "near")
    expect(organic.get_by_test_id("limit-gauge")).to_have_attribute("aria-valuenow", "90.0")
    expect(pane.locator(f"[data-testid=limit-row][data-key='{uni.microbio.pk}']")).to_have_attribute("data-state", "ok")
    shot(page, "figures-02-limits")
    with page.expect_download() as download:
        pane.get_by_test_id("export-limit").click()
    assert re.search(r"\.xlsx$", download.value.suggested_filename)

    # The college administrator of 化学学院: its labs only.
    page = page_for()
    log_in(page, expect, "college_admin")
    page.goto(URL)
    expect(page.get_by_test_id("total-issued")).to_have_text("45 kg")
    expect(page.get_by_test_id("figures-lab").locator(f"[data-key='{uni.microbio.pk}']")).to_have_count(0)
    expect(page.get_by_test_id("figures-lab").locator(f"[data-key='{uni.organic.pk}']")).to_have_count(1)
