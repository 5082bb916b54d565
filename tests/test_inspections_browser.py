"""The QR checklist on a phone (headless Chromium, 390×844): scan a point's code while logged out, log in, check
its items, lose the connection without losing what was entered, record the check with one item failed, and
register the hazard from the failed item — pre-filled with the point, the task and the location, with a photo
from the "camera" (area "hazards" builds the registration page).

Elements are found by data-testid, ids and names, never by translated text. Screenshots go to /tmp/shots/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from hazards.models import ControlMeasure, Hazard, InspectionResult, InspectionTask
from safety.tenancy import scopes_disabled

from .hazard_factories import tiny_png
from .lists_world import make_list, make_point, make_task

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 8_000
SHOTS = Path("/tmp/shots")
PASSWORD = "pw-Secret-123"  # tests/factories.UserFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def expect():
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=TIMEOUT_MS)
    return _expect


@pytest.fixture
def phone(browser, live_server, transactional_db):
    ctx = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
        locale="zh-CN",
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"lists-{name}.png"), full_page=True)


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_failed_qr_check_to_hazard_registration_on_a_phone(phone, expect, world):
    point = make_point(world.acme, "储罐区", place="罐区东侧")
    risk_list = make_list(world.acme, [point], status="filed", workdays_only=False, name="一车间日常检查")
    task = make_task(risk_list, point, timezone.localdate())
    with scopes_disabled():
        measures = list(ControlMeasure.objects.filter(factor__risk_point=point).order_by("factor_id", "pk"))
    checklist = reverse("hazards:inspection_checklist", args=[point.qr_token])
    page = phone.new_page()

    # The QR code is scanned by a phone that is not logged in: log in, and land on the checklist.
    page.goto(checklist)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill("bob")
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(checklist) + "$"))
    expect(page.get_by_test_id("checklist-item")).to_have_count(len(measures))
    assert fits_width(page)

    # Pass the first item, fail the second with a note; a reload (or a crash of the browser) keeps both.
    first, second, third = measures
    page.check(f"#id_m{first.pk}_0")
    page.check(f"#id_m{second.pk}_1")
    page.fill(f"#id_n{second.pk}", "接地线断开")
    submission_id = page.input_value("#id_submission_id")
    shot(page, "checklist")
    page.reload()
    expect(page.locator(f"#id_m{second.pk}_1")).to_be_checked()
    expect(page.locator(f"#id_m{first.pk}_0")).to_be_checked()
    expect(page.locator(f"#id_n{second.pk}")).to_have_value("接地线断开")
    assert page.input_value("#id_submission_id") == submission_id  # a retry is the same submission

    # The connection drops as the check is sent: nothing is recorded, and nothing entered is lost.
    page.check(f"#id_m{third.pk}_0")
    phone.set_offline(True)
    page.get_by_test_id("checklist-submit").click()
    page.wait_for_load_state()
    phone.set_offline(False)
    with scopes_disabled():
        assert InspectionTask.objects.get(pk=task.pk).status == "due"
    page.goto(checklist)
    expect(page.locator(f"#id_m{second.pk}_1")).to_be_checked()
    expect(page.locator(f"#id_m{third.pk}_0")).to_be_checked()
    expect(page.locator(f"#id_n{second.pk}")).to_have_value("接地线断开")

    # Sent again: recorded once, and the phone forgets the saved form.
    page.get_by_test_id("checklist-submit").click()
    expect(page).to_have_url(re.compile(r"/hazards/inspections/\d+/$"))
    expect(page.get_by_test_id("task-status")).to_have_attribute("data-status", "done")
    assert page.evaluate(f"localStorage.getItem('checklist:{task.pk}')") is None
    with scopes_disabled():
        assert list(InspectionResult.objects.filter(task=task).values_list("passed", flat=True)) == [True, False, True]
        assert InspectionTask.objects.get(pk=task.pk).submission_id.hex == submission_id.replace("-", "")
    register = page.get_by_test_id("register-hazard")
    expect(register).to_have_count(1)
    query = parse_qs(urlsplit(register.get_attribute("href")).query)
    assert query["risk_point"] == [str(point.pk)] and query["inspection_task"] == [str(task.pk)]
    assert query["title"] == [second.description] and query["location"] == ["罐区东侧"]
    assert fits_width(page)
    shot(page, "result")

    # Hazard registration (area "hazards"), pre-filled from the failed item, with a photo from the camera.
    register.click()
    expect(page).to_have_url(re.compile(r"/hazards/new/\?"))
    assert page.input_value("#id_risk_point") == str(point.pk)
    assert page.input_value("#id_location") == "罐区东侧"
    assert page.input_value("#id_inspection_task") == str(task.pk)
    camera = page.locator("#id_before_photos")
    assert camera.get_attribute("capture") == "environment" and camera.get_attribute("accept") == "image/*"
    if not page.input_value("#id_title"):  # the hazards area may not read the failed measure's text (yet)
        page.fill("#id_title", second.description)
    page.set_input_files(
        "#id_before_photos",
        files=[{"name": "ground.png", "mimeType": "image/png", "buffer": tiny_png("red", (40, 30))}],
    )
    shot(page, "register")
    page.get_by_test_id("hazard-save").click()
    expect(page).to_have_url(re.compile(r"/hazards/\d+/$"))
    with scopes_disabled():
        hazard = Hazard.objects.get(inspection_task=task)
    assert hazard.risk_point_id == point.pk and hazard.location == "罐区东侧"

    # The check's page lists the hazard registered from it.
    page.goto(reverse("hazards:inspection_task_detail", args=[task.pk]))
    expect(page.get_by_test_id("task-hazards")).to_contain_text(hazard.number)


def test_figures_chart_and_list_page_on_a_phone(phone, expect, world):
    point = make_point(world.acme, "泵房")
    risk_list = make_list(world.acme, [point], status="filed", workdays_only=False, name="泵房清单")
    today = timezone.localdate()
    make_task(risk_list, point, today, status="done")
    make_task(risk_list, point, today - timedelta(days=1), status="missed")
    page = phone.new_page()
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill("alice")
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    page.goto(reverse("hazards:inspection_figures") + "?unit=day&history=3")
    expect(page.get_by_test_id("figures-chart")).to_have_attribute("data-rendered", "1")  # Chart.js drew it
    expect(page.get_by_test_id("figures-group-row")).to_have_count(1)
    assert page.evaluate("document.getElementById('figures-chart').width") > 0
    shot(page, "figures")

    page.goto(reverse("hazards:risk_list_detail", args=[risk_list.pk]))
    expect(page.get_by_test_id("risk-list-status")).to_have_attribute("data-status", "filed")
    expect(page.get_by_test_id("review-records")).to_be_visible()
    assert fits_width(page)
    shot(page, "list")
