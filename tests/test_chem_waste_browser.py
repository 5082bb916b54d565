"""Waste collection end to end in headless Chromium on a phone viewport: a teacher registers a barrel of chemical
waste liquid and the lab's two empty packages (both ticked by default); the centre finds the lab on the route's
list of the collection. Elements are found by data-testid, ids and names, never by translated text. Screenshots
go to /tmp/shots/ (not committed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from chemicals.models import Package, WasteRegistration
from safety.tenancy import scopes_disabled

from .chem_waste_helpers import build_waste, held, in_use, kg, used_up
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


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"waste-{name}.png"), full_page=True)


def log_in(page, expect, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_teacher_registers_waste_and_the_centre_sees_it_on_the_route(new_context, expect, world):
    w = build_waste(world)
    lab = w.uni.organic
    empty = [used_up(lab, w.chem.sodium_hydroxide, "1000"), used_up(lab, w.chem.ethanol, "500")]
    kept = in_use(lab, w.chem.acetone, "500")
    assert held(lab) == kg("2.0")

    # The teacher: the form offers the two empty packages, both ticked; the one in use is not offered.
    teacher = new_context().new_page()
    log_in(teacher, expect, "t_alice")
    teacher.goto(reverse("chemicals:waste_register"))
    form = teacher.get_by_test_id("waste-form")
    boxes = form.get_by_test_id("waste-packages").locator("input[type=checkbox]")
    expect(boxes).to_have_count(2)
    for i in range(2):
        expect(boxes.nth(i)).to_be_checked()
    expect(form.locator(f"input[name=packages][value='{kept.pk}']")).to_have_count(0)
    expect(form.locator("#id_phone")).to_have_value("13800000000")
    assert fits_width(teacher)

    form.locator("#id_route").select_option(str(w.north_route.pk))
    form.locator("#id_building").fill("动科学院")
    form.locator("#id_room").fill("305")
    form.locator("#id_chemical_liquid").fill("1")
    shot(teacher, "1-form")
    form.get_by_test_id("waste-submit").click()

    expect(teacher).to_have_url(re.compile(r"/chemicals/waste/registrations/\d+/$"))
    expect(teacher.get_by_test_id("registration-status")).to_have_attribute("data-status", "registered")
    expect(teacher.get_by_test_id("registration-packages").locator("li[data-code]")).to_have_count(2)
    expect(teacher.get_by_test_id("registration-items").locator("tr[data-category='chemical_liquid']")).to_contain_text(
        "1"
    )
    shot(teacher, "2-registered")
    assert held(lab) == kg("0.5")  # the empty packages are stocked out: quota freed
    with scopes_disabled():
        registration = WasteRegistration.objects.get()
        assert sorted(registration.packages.values_list("pk", flat=True)) == sorted(p.pk for p in empty)
        assert set(Package.objects.filter(pk__in=[p.pk for p in empty]).values_list("status", flat=True)) == {
            Package.Status.COLLECTED
        }

    # The centre: the collection's north route lists the lab at its stop, with the barrel and the two packages.
    centre = new_context().new_page()
    log_in(centre, expect, "centre")
    centre.goto(reverse("chemicals:waste_collection_detail", args=[w.collection.pk]))
    north = centre.locator("[data-testid=route-list][data-route='北校区路线']")
    row = north.locator("[data-testid=route-row][data-lab='有机化学实验室']")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-building", "动科学院")
    expect(row.locator("td[data-category='chemical_liquid']")).to_have_text("1")
    expect(row.get_by_test_id("row-packages")).to_have_text("2")
    expect(centre.locator("[data-testid=route-list][data-route='南校区路线'] [data-testid=route-row]")).to_have_count(0)
    expect(north.get_by_test_id("route-pdf")).to_have_count(1)
    shot(centre, "3-centre-route")
