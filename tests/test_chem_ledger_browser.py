"""The ledger end to end in headless Chromium on a phone: the student records a use from the lab's packages page,
declares the package used up; the supervising teacher sees the to-do, accepts; the package shows "Used up".

Elements are found by data-testid, ids and names; the status shown is checked against the page's language
(Chinese) through the model's own label. Screenshots go to /tmp/shots/ (not committed).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from chemicals.models import LedgerEntry, Package, UsedUpDeclaration
from safety.tenancy import scopes_disabled

from .chem_ledger_helpers import issued_package
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
    page.screenshot(path=str(SHOTS / f"ledger-{name}.png"), full_page=True)


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def zh(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


def test_student_records_declares_and_the_teacher_accepts_on_a_phone(new_context, expect, world):
    chem = build_chem(world)
    package = issued_package(chem, size="500")
    other = issued_package(chem, chemical=chem.sodium_hydroxide, size="250")

    # The student opens "my lab's packages": the gauge and the lab's packages, each with a quick form.
    student = new_context().new_page()
    log_in(student, expect, "s_active")
    student.goto(reverse("chemicals:ledger_home"))
    expect(student).to_have_url(re.compile(rf"{reverse('chemicals:ledger_lab', args=[chem.uni.organic.pk])}$"))
    expect(student.get_by_test_id("stock-gauge")).to_have_attribute("data-held", "0.750")
    expect(student.get_by_test_id("lab-package")).to_have_count(2)
    card = student.locator(f"[data-testid=lab-package][data-code='{package.code}']")
    card.get_by_test_id("quick-record").locator("summary").click()
    card.locator(f"#id_{package.pk}_used_on").fill(timezone.localdate().isoformat())
    card.locator(f"#id_{package.pk}_quantity").fill("480")
    card.locator(f"#id_{package.pk}_purpose").fill("格氏反应溶剂")
    assert fits_width(student)
    shot(student, "01-quick-record-phone")
    card.get_by_test_id("quick-record-submit").click()

    card = student.locator(f"[data-testid=lab-package][data-code='{package.code}']")
    expect(card).to_have_attribute("data-status", Package.Status.IN_USE)
    expect(card.get_by_test_id("package-remaining")).to_have_text(re.compile(r"^20 "))
    expect(student.get_by_test_id("message")).to_be_visible()
    with scopes_disabled():
        [entry] = LedgerEntry.objects.filter(package=package)
    assert (entry.quantity, entry.remaining_after, entry.user.username) == (Decimal("480"), Decimal("20"), "s_active")

    # Asking for more than remains is refused, with the input kept.
    student.goto(reverse("chemicals:ledger_package", args=[package.pk]))
    form = student.get_by_test_id("record-form")
    form.locator("#id_quantity").fill("30")
    form.locator("#id_purpose").fill("补加")
    form.get_by_test_id("record-submit").click()
    expect(student.locator("#id_quantity")).to_have_value("30")
    expect(student.locator(".invalid-feedback, .errorlist").first).to_contain_text("20")

    # The rest goes into the waste liquid; the student declares the package used up.
    student.goto(reverse("chemicals:ledger_package", args=[package.pk]))
    student.get_by_test_id("declare-form").locator("#id_note").fill("空瓶待回收")
    student.get_by_test_id("declare-submit").click()
    expect(student.get_by_test_id("declaration-pending")).to_be_visible()
    expect(student.get_by_test_id("declaration-status")).to_have_attribute("data-status", "pending")
    expect(student.get_by_test_id("declare-form")).to_have_count(0)
    shot(student, "02-declared-phone")

    # The supervising teacher: the to-do count, the queue, the package's ledger, accept.
    teacher = new_context().new_page()
    log_in(teacher, expect, "t_alice")
    expect(teacher.get_by_test_id("inbox-count")).to_have_text("1")
    teacher.goto(reverse("chemicals:ledger_reviews"))
    teacher.get_by_test_id("ledger-review-link").click()
    expect(teacher.get_by_test_id("package-entry")).to_have_count(1)
    expect(teacher.get_by_test_id("package-entry")).to_contain_text("格氏反应溶剂")
    assert fits_width(teacher)
    shot(teacher, "03-teacher-review-phone")
    teacher.get_by_test_id("review-accept").click()
    expect(teacher).to_have_url(re.compile(rf"{reverse('chemicals:ledger_reviews')}$"))
    expect(teacher.get_by_test_id("ledger-review-row")).to_have_count(0)
    expect(teacher.get_by_test_id("inbox-count")).to_have_count(0)

    # Back on the lab's page: the package shows "Used up" and still counts against the limit.
    student.goto(reverse("chemicals:ledger_lab", args=[chem.uni.organic.pk]))
    card = student.locator(f"[data-testid=lab-package][data-code='{package.code}']")
    status = card.get_by_test_id("package-status")
    expect(status).to_have_attribute("data-status", Package.Status.USED_UP)
    expect(status).to_have_text(zh(Package.Status.USED_UP.label))
    expect(card.get_by_test_id("quick-record")).to_have_count(0)
    expect(student.get_by_test_id("stock-gauge")).to_have_attribute("data-held", "0.750")
    expect(
        student.locator(f"[data-testid=lab-package][data-code='{other.code}'] [data-testid=quick-record]")
    ).to_have_count(1)
    shot(student, "04-used-up-phone")
    with scopes_disabled():
        assert UsedUpDeclaration.objects.get(package=package).status == UsedUpDeclaration.Status.ACCEPTED
