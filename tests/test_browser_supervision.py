"""Government supervision in headless Chromium: the figures dashboard draws its charts under the CSP (no inline
script), the queue pages with next / previous, and a sample is drawn — as a township reviewer on a phone.

Screenshots go to /tmp/shots/ (not committed).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from hazards.models import EnterpriseSample, Hazard
from safety.tenancy import scopes_disabled

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 8_000
SHOTS = Path("/tmp/shots")
PASSWORD = "pw-Secret-123"  # tests.factories.UserFactory


@pytest.fixture
def page(browser, live_server, transactional_db):
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, base_url=live_server.url, locale="zh-CN"
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    p = ctx.new_page()
    p.console_errors = []
    p.on("console", lambda m: p.console_errors.append(m.text) if m.type == "error" else None)
    yield p
    ctx.close()


@pytest.fixture
def expect():
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=TIMEOUT_MS)
    return _expect


def log_in(page, expect, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def hazards(world, n: int) -> None:
    now = timezone.now()
    with scopes_disabled():
        for i in range(n):
            closed = i % 3 == 0
            Hazard.objects.create(
                enterprise=world.acme,
                title=f"隐患{i:02d}",
                number=f"YH-B-{i:03d}",
                level=Hazard.Level.MAJOR if i % 7 == 0 else Hazard.Level.GENERAL,
                kind=Hazard.Kind.MAJOR if i % 7 == 0 else Hazard.Kind.DEADLINE,
                found_at=now - timedelta(days=i * 3),
                deadline=now + timedelta(days=30 - i * 3),
                status=Hazard.Status.CLOSED if closed else Hazard.Status.RECTIFYING,
                closed_at=now if closed else None,
                closed_on_time=True if closed else None,
            )


def test_dashboard_draws_its_charts_under_the_csp(world, page, expect):
    hazards(world, 30)
    log_in(page, expect, world.gov_alice.user.username)
    page.goto("/gov/supervision/figures/?date_from=" + (timezone.localdate() - timedelta(days=120)).isoformat())
    expect(page.get_by_test_id("total-found")).to_have_text("30")
    for key in ("region", "industry", "month"):
        canvas = page.get_by_test_id(f"chart-{key}")
        expect(canvas).to_be_visible()
        # Chart.js attached a chart to the canvas: the page's own script ran (no inline script was needed).
        assert page.evaluate("(c) => !!Chart.getChart(c)", canvas.element_handle())
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "Refused" in e]
    shot(page, "supervision-dashboard")


def test_queue_pages_forward_and_back(world, page, expect):
    hazards(world, 40)  # 6 major (every 7th), 34 general: 25 + 9
    log_in(page, expect, world.gov_alice.user.username)
    page.goto("/gov/supervision/hazards/general/")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(25)
    first_page = rows.get_by_test_id("hazard-link").all_inner_texts()
    shot(page, "supervision-queue")
    page.get_by_test_id("page-next").click()
    expect(rows).to_have_count(9)
    second_page = rows.get_by_test_id("hazard-link").all_inner_texts()
    assert not set(first_page) & set(second_page)
    page.get_by_test_id("page-prev").click()
    expect(rows.first.get_by_test_id("hazard-link")).to_have_text(first_page[0])
    assert rows.get_by_test_id("hazard-link").all_inner_texts() == first_page


def test_draw_a_sample_on_a_phone(world, page, expect):
    log_in(page, expect, world.gov_alice.user.username)
    page.goto("/gov/supervision/samples/")
    form = page.get_by_test_id("sample-form")
    form.locator("#id_purpose").fill("二季度随机抽查")
    form.locator("#id_size").fill("1")
    page.get_by_test_id("sample-draw").click()
    expect(page.get_by_test_id("sample-seed")).to_be_visible()
    with scopes_disabled():
        sample = EnterpriseSample.objects.get()
    expect(page.get_by_test_id("sample-seed")).to_have_text(sample.seed)
    assert sample.enterprise_ids == [world.acme.pk]
    shot(page, "supervision-sample")
