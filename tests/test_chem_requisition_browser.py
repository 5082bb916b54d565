"""A requisition from the lab's own store, end to end in headless Chromium on a phone viewport.

t_alice (head of 有机化学实验室) writes it (adding a row keeps what she chose) and submits it: her own lab step
passes at once. The college administrator and the lab-safety office approve from their review queues, the centre
issues it from its work list, and t_alice sees step 7 with the package issued to her lab. Elements are found by
data-testid, ids and names, never by translated text (the pages are in Chinese). Screenshots go to /tmp/shots/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chemicals.models import Package, Requisition
from safety.tenancy import scopes_disabled

from .chem_requisition_helpers import stock_up
from .chem_world import build_chem
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
    page.screenshot(path=str(SHOTS / f"requisition-{name}.png"), full_page=True)


def log_in(page, expect, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def approve_from_queue(page, expect, number: str) -> None:
    page.goto("/chemicals/requisitions/review/")
    page.locator(f"[data-testid=requisition-row][data-number='{number}']").get_by_test_id("requisition-link").click()
    page.get_by_test_id("action-review").click()
    page.locator("input[name=decision][value=approve]").check()
    page.get_by_test_id("review-submit").click()
    expect(page.get_by_test_id("requisition-status")).to_be_visible()


def test_teacher_requisitions_from_the_lab_store_and_sees_step_7(new_page, expect, world):
    chem = build_chem(world)
    own = stock_up(chem.organic_store, chem.acetone, "500", 2)
    item = f"{chem.acetone.pk}:500"

    teacher = new_page()
    log_in(teacher, expect, "t_alice")
    teacher.goto("/chemicals/requisitions/")
    teacher.get_by_test_id("requisition-new").click()
    form = teacher.get_by_test_id("requisition-form")
    expect(form.locator("#id_source")).to_have_value("lab")
    form.locator("#id_lines-0-item").select_option(item)
    form.locator("#id_lines-0-package_count").fill("1")
    form.get_by_test_id("add-row").click()
    expect(form.get_by_test_id("line-row")).to_have_count(2)
    expect(form.locator("#id_lines-0-item")).to_have_value(item)  # adding a row kept the choice
    expect(form.locator("#id_lines-0-package_count")).to_have_value("1")
    assert teacher.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(teacher, "form")
    form.get_by_test_id("requisition-save").click()
    expect(teacher.locator(".status-guide")).to_have_attribute("data-step", "1")
    teacher.get_by_test_id("action-submit").click()
    # Her own lab step passes at once: the college decides next.
    expect(teacher.locator(".status-guide")).to_have_attribute("data-step", "3")
    with scopes_disabled():
        number = Requisition.objects.get().number

    approve_from_queue(new_page_logged(new_page, expect, "college_admin"), expect, number)
    office = new_page_logged(new_page, expect, "officer")
    approve_from_queue(office, expect, number)
    expect(office.locator(".status-guide")).to_have_attribute("data-step", "5")

    centre = new_page_logged(new_page, expect, "centre")
    centre.goto("/chemicals/requisitions/centre/")
    centre.locator(f"[data-testid=requisition-row][data-number='{number}']").get_by_test_id("centre-action").click()
    centre.get_by_test_id("issue-submit").click()
    expect(centre.get_by_test_id("requisition-status")).to_have_attribute("data-status", "completed")

    teacher.reload()
    expect(teacher.locator(".status-guide")).to_have_attribute("data-step", "7")
    issued = teacher.get_by_test_id("assigned-package")
    expect(issued).to_have_count(1)
    expect(issued).to_have_attribute("data-status", "issued")
    decisions = teacher.get_by_test_id("review-records").get_by_test_id("review-record")
    expect(decisions).to_have_count(5)  # submitted, the lab step passing, college, office, issued
    shot(teacher, "completed")
    with scopes_disabled():
        statuses = sorted(Package.objects.filter(pk__in=[p.pk for p in own]).values_list("status", flat=True))
    assert statuses == [Package.Status.IN_STOCK, Package.Status.ISSUED]


def new_page_logged(new_page, expect, username: str):
    page = new_page()
    log_in(page, expect, username)
    return page
