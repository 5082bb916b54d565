"""The centre stocks packages in and places one next to an incompatible chemical, in headless Chromium on a
phone viewport: it sees the warning naming the packages already in the cabinet, confirms, and the package page
shows the new place. Elements are found by data-testid, ids and names, never by translated text. Screenshots go
to /tmp/shots/ (not committed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from approvals.models import OperationLog
from chemicals.models import Package
from safety.tenancy import scopes_disabled

from .chem_world import build_chem
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
def page(browser, live_server, transactional_db):
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, base_url=live_server.url, locale="zh-CN"
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx.new_page()
    ctx.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"chem-catalogue-{name}.png"), full_page=True)


def log_in(page, expect, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def stock_in(page, expect, *, chemical, store, count: int, cabinet: str) -> None:
    page.goto("/chemicals/packages/")
    page.get_by_test_id("package-stock-in").click()
    form = page.get_by_test_id("stock-in-form")
    form.locator("#id_chemical").select_option(str(chemical.pk))
    form.locator("#id_store").select_option(str(store.pk))
    form.locator("#id_size").fill("500")
    form.locator("#id_count").fill(str(count))
    form.locator("#id_room").fill("101")
    form.locator("#id_cabinet").fill(cabinet)
    form.get_by_test_id("package-save").click()
    expect(page).to_have_url(re.compile(rf"/chemicals/packages/\?store={store.pk}&chemical={chemical.pk}$"))
    expect(page.get_by_test_id("package-row")).to_have_count(count)


def test_centre_stocks_in_and_confirms_an_incompatible_placement(page, expect, world):
    chem = build_chem(world)
    log_in(page, expect, "centre")

    # Sulfuric acid (an acid) into cabinet A, sodium hydroxide (a base) into cabinet B.
    stock_in(page, expect, chemical=chem.sulfuric_acid, store=chem.north_store, count=2, cabinet="A")
    stock_in(page, expect, chemical=chem.sodium_hydroxide, store=chem.north_store, count=1, cabinet="B")
    shot(page, "stocked-in")
    with scopes_disabled():
        acids = sorted(Package.objects.filter(chemical=chem.sulfuric_acid).values_list("code", flat=True))
        base = Package.objects.get(chemical=chem.sodium_hydroxide)
    assert len(acids) == 2 and all(code.startswith("P") for code in acids)

    # The base's page: the controlled badge is absent, the move action is there.
    page.get_by_test_id("package-link").first.click()
    expect(page.get_by_test_id("package-code")).to_have_text(base.code)
    expect(page.get_by_test_id("package-cabinet")).to_have_text("B")
    page.get_by_test_id("action-move").click()

    # Into cabinet A, next to the acid: the warning names both acid packages and the package stays put.
    form = page.get_by_test_id("move-form")
    expect(form.locator("input[name=place_anyway]")).to_have_count(0)
    form.locator("#id_cabinet").fill("A")
    form.get_by_test_id("package-save").click()
    warning = page.get_by_test_id("clash-warning")
    expect(warning).to_be_visible()
    expect(warning.get_by_test_id("clash")).to_have_count(2)
    for code in acids:
        expect(warning.locator(f"[data-code='{code}']")).to_have_count(1)
    expect(page.get_by_test_id("current-location")).to_contain_text("101 / B")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "clash-warning")
    with scopes_disabled():
        base.refresh_from_db()
    assert base.cabinet == "B"

    # The input is kept; ticking "place anyway" and saving moves it, and the decision is recorded.
    form = page.get_by_test_id("move-form")
    expect(form.locator("#id_cabinet")).to_have_value("A")
    form.locator("input[name=place_anyway]").check()
    form.get_by_test_id("package-save").click()
    expect(page).to_have_url(re.compile(rf"/chemicals/packages/{base.pk}/$"))
    expect(page.get_by_test_id("package-cabinet")).to_have_text("A")
    shot(page, "moved")
    with scopes_disabled():
        base.refresh_from_db()
    assert (base.room, base.cabinet) == ("101", "A")
    log = OperationLog.objects.get(object_id=str(base.pk), action=OperationLog.Action.UPDATE)
    assert all(code in log.detail for code in acids)
