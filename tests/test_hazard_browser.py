"""Hidden hazards driven end to end in headless Chromium on a phone viewport.

1. bob (acme staff) registers a hazard with a photo from the "camera", reports its rectification with an
   after-photo; alice (acme's administrator, its reviewer) passes it; the hazard shows closed.
2. gov_alice (南城办's reviewer) registers an inspection finding against acme; alice rectifies it; gov_alice
   reviews it; closed.

Elements are found by data-testid, ids and names, never by translated text. Screenshots go to /tmp/shots/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from hazards.models import Hazard, HazardPhoto
from safety.tenancy import scopes_disabled

from .hazard_factories import tiny_png

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
def new_page(browser, live_server, transactional_db):
    """new_page() → a page in a fresh phone-sized browser context (own cookies) on the live server."""
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
    page.screenshot(path=str(SHOTS / f"hazards-{name}.png"), full_page=True)


def log_in(page, expect, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def camera_photo(name: str, colour: str) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": tiny_png(colour, (40, 30))}


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def status_of(page) -> str:
    return page.get_by_test_id("hazard-facts").get_by_test_id("hazard-status").get_attribute("data-status")


def report_rectification(page, expect, measures: str) -> None:
    page.get_by_test_id("action-report").click()
    expect(page.get_by_test_id("step-form")).to_have_attribute("data-hazard-ready", "1")
    page.locator("#id_measures").fill(measures)
    page.locator("#id_cost").fill("320")
    page.set_input_files("#id_after_photos", files=[camera_photo("after.png", "green")])
    expect(page.locator(".hazard-previews img")).to_have_count(1)  # the chosen photo is previewed
    page.get_by_test_id("step-submit").click()
    expect(page.get_by_test_id("hazard-facts").get_by_test_id("hazard-status")).to_have_attribute(
        "data-status", "reported"
    )


def review_pass(page, expect, opinion: str) -> None:
    page.get_by_test_id("action-review").click()
    page.locator("input[name=decision][value=yes]").check()
    page.locator("#id_reason").fill(opinion)
    page.get_by_test_id("step-submit").click()
    expect(page.get_by_test_id("hazard-facts").get_by_test_id("hazard-status")).to_have_attribute(
        "data-status", "closed"
    )


def test_register_rectify_and_pass_on_a_phone(new_page, expect, world):
    bob = new_page()
    log_in(bob, expect, "bob")
    bob.goto("/hazards/")
    bob.get_by_test_id("hazard-register").click()
    form = bob.get_by_test_id("hazard-form")
    expect(form).to_have_attribute("data-hazard-ready", "1")  # hazards.js has run
    bob.locator("#id_title").fill("消防通道被货物堵塞")
    bob.locator("#id_location").fill("二号仓库东门")
    # Choosing a major level shows the rectification plan and makes the kind "major" (hazards.js)…
    plan = form.locator('[data-hazard-section="plan"]')
    expect(plan).to_be_hidden()
    bob.select_option("#id_level", "major")
    expect(plan).to_be_visible()
    assert bob.input_value("#id_kind") == "major"
    # …and back to a general hazard rectified by a deadline.
    bob.select_option("#id_level", "general")
    expect(plan).to_be_hidden()
    assert bob.input_value("#id_kind") == "deadline"
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    bob.locator("#id_deadline_date").fill(day)
    bob.locator("#id_deadline_time").fill("16:30")
    bob.select_option("#id_responsible_user", str(world.bob.user.pk))
    bob.set_input_files("#id_before_photos", files=[camera_photo("hazard.png", "red")])
    assert fits_width(bob)
    shot(bob, "register")
    bob.get_by_test_id("hazard-save").click()
    expect(bob).to_have_url(re.compile(r"/hazards/\d+/$"))
    assert status_of(bob) == "registered"
    expect(bob.get_by_test_id("photos-before").get_by_test_id("hazard-photo")).to_have_count(1)
    assert bob.get_by_test_id("photos-before").locator("img").evaluate("img => img.naturalWidth") == 40
    with scopes_disabled():
        hazard = Hazard.objects.get(title="消防通道被货物堵塞")
    assert timezone.localtime(hazard.deadline).strftime("%Y-%m-%d %H:%M") == f"{day} 16:30"
    assert hazard.number in bob.get_by_test_id("hazard-number").inner_text()

    report_rectification(bob, expect, "货物已清走，划定禁停线")
    expect(bob.get_by_test_id("action-review")).to_have_count(0)  # bob (staff) does not review
    shot(bob, "reported")

    alice = new_page()
    log_in(alice, expect, "alice")
    expect(alice.get_by_test_id("inbox-count")).to_be_visible()  # the report awaits her review
    alice.goto(f"/hazards/{hazard.pk}/")
    review_pass(alice, expect, "复查合格")
    assert fits_width(alice)
    shot(alice, "closed")
    decisions = alice.get_by_test_id("review-records").get_by_test_id("review-record")
    expect(decisions).to_have_count(3)
    assert decisions.nth(2).get_attribute("data-decision") == "approve"
    with scopes_disabled():
        hazard = Hazard.objects.get(pk=hazard.pk)
        assert HazardPhoto.objects.filter(hazard=hazard, stage="after").count() == 1
    assert hazard.status == Hazard.Status.CLOSED and hazard.closed_on_time


def test_government_registers_enterprise_rectifies_government_reviews(new_page, expect, world):
    gov = new_page()
    log_in(gov, expect, "gov_alice")
    gov.goto("/gov/hazards/awaiting-review/")
    gov.get_by_test_id("gov-hazard-register").click()
    gov.select_option("#id_enterprise", str(world.acme.pk))
    gov.locator("#id_title").fill("安全出口上锁")
    gov.locator("#id_location").fill("办公楼一层")
    gov.locator("#id_responsible").fill("王主任")
    gov.locator("#id_deadline_date").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    gov.set_input_files("#id_before_photos", files=[camera_photo("exit.png", "orange")])
    gov.get_by_test_id("hazard-save").click()
    expect(gov).to_have_url(re.compile(r"/hazards/\d+/$"))
    with scopes_disabled():
        hazard = Hazard.objects.get(title="安全出口上锁")
    assert hazard.registered_by_body_id == world.nancheng_office.pk and status_of(gov) == "registered"
    expect(gov.get_by_test_id("action-report")).to_have_count(0)  # the enterprise rectifies

    alice = new_page()
    log_in(alice, expect, "alice")
    alice.goto("/hazards/?source=government")
    shot(alice, "list")
    alice.get_by_test_id("hazard-link").first.click()
    expect(alice.get_by_test_id("hazard-title")).to_have_text("安全出口上锁")
    expect(alice.get_by_test_id("action-edit")).to_have_count(0)  # the government's finding is not hers to edit
    report_rectification(alice, expect, "已拆除门锁，更换为推闩")
    expect(alice.get_by_test_id("action-review")).to_have_count(0)  # nor hers to review

    gov.goto("/gov/hazards/awaiting-review/")
    gov.get_by_test_id("hazard-link").first.click()
    shot(gov, "gov-review")
    review_pass(gov, expect, "现场复查合格")
    assert fits_width(gov)
    with scopes_disabled():
        assert Hazard.objects.get(pk=hazard.pk).status == Hazard.Status.CLOSED
