"""The risk point form and the four-colour map in headless Chromium on a phone viewport: the method switch shows
only the chosen method's values, rows are added without losing input, and a click on the site plan places a point."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image, ImageDraw

from hazards.models import RiskPoint
from safety.tenancy import scopes_disabled

from .risk_world import make_point

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "risk"


@pytest.fixture
def expect():
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=TIMEOUT_MS)
    return _expect


@pytest.fixture
def page(browser, live_server, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, base_url=live_server.url, locale="en"
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx.new_page()
    ctx.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, expect, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill("pw-Secret-123")
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.url}])


def test_create_a_point_on_a_phone(world, page, expect):
    log_in(page, expect, "alice")
    page.goto(reverse("hazards:risk_point_create"))
    expect(page.locator("[data-risk-values=lec]")).to_be_visible()
    page.select_option("#id_method", "ls")
    expect(page.locator("[data-risk-values=lec]")).to_be_hidden()  # risk_form.js shows the chosen method only
    expect(page.locator("[data-risk-values=ls]")).to_be_visible()
    page.select_option("#id_category", "facility")
    page.fill("#id_name", "液氨储罐区")
    page.fill("#id_place", "罐区")
    page.select_option("#id_ls_l", "4")
    page.select_option("#id_ls_s", "5")
    page.fill("#id_factors-0-description", "法兰泄漏")
    page.fill("#id_factors-0-measures-0-description", "每班巡检")
    page.get_by_test_id("add-measure").first.click()  # a round trip: what was typed stays
    expect(page.locator("#id_factors-0-measures-2-description")).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("液氨储罐区")
    expect(page.locator("[data-risk-values=lec]")).to_be_hidden()
    expect(page.locator(".is-invalid")).to_have_count(0)
    page.fill("#id_factors-0-measures-2-description", "配备空气呼吸器")
    page.select_option("#id_factors-0-measures-2-kind", "emergency")
    shot(page, "form")
    page.get_by_test_id("risk-point-save").click()
    expect(page.get_by_test_id("risk-point-name")).to_have_text("液氨储罐区")
    expect(page.get_by_test_id("risk-level")).to_have_attribute("data-level", "major")  # 4 × 5 = 20
    shot(page, "detail")
    with scopes_disabled():
        point = RiskPoint.objects.get(name="液氨储罐区")
        assert point.factors.get().measures.count() == 2


def _plan() -> bytes:
    img = Image.new("RGB", (600, 400), "white")
    draw = ImageDraw.Draw(img)
    for x in range(20, 600, 120):
        draw.rectangle([x, 40, x + 90, 160], outline="black", width=3)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def test_place_a_point_by_clicking_on_the_plan(world, page, expect, tmp_path):
    point = make_point(world.alice, "液氯储罐区", values={"l": "10", "e": "6", "c": "7"})
    plan = tmp_path / "plan.png"
    plan.write_bytes(_plan())
    log_in(page, expect, "alice")
    page.goto(reverse("hazards:risk_map"))
    expect(page.get_by_test_id("no-site-plan")).to_be_visible()
    page.set_input_files("#id_image", str(plan))
    page.get_by_test_id("site-plan-save").click()
    expect(page.get_by_test_id("risk-map")).to_be_visible()
    page.select_option("#risk-map-pick", str(point.pk))
    # A person clicks on the plan they can see: wait until the image has loaded and has its size.
    page.wait_for_function(
        "() => { const i = document.querySelector('.risk-map-plan');"
        " return !!i && i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().height > 0; }"
    )
    box = page.locator(".risk-map-plan").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    expect(page.locator(f'[data-point="{point.pk}"]')).to_be_visible()
    with scopes_disabled():
        point.refresh_from_db()
    assert abs(float(point.map_x) - 25) < 2 and abs(float(point.map_y) - 50) < 2
    page.reload()
    dot = page.get_by_test_id("risk-dot")
    expect(dot).to_have_attribute("data-level", "major")
    shot(page, "map")
