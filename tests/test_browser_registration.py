"""Enterprise self-registration driven end to end in headless Chromium on a phone viewport.

Elements are found by data-testid, ids, names and roles, never by translated text (the Chinese
catalogue is still being written); assertions are on data the test typed, on statuses via
data-testid / data-decision, and on `<html lang>` for the language.

Screenshots of key pages go to /tmp/shots/ (not committed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import reverse

from approvals.models import Notification
from enterprises.models import Enterprise, Membership
from enterprises.validators import CREDIT_CODE_CHARSET, credit_code_check_character
from safety.tenancy import scopes_disabled

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 8_000
SHOTS = Path("/tmp/shots")
REVIEWER_PASSWORD = "pw-Secret-123"


def credit_code(n: int) -> str:
    base = f"91510502MA{n:07d}"
    return base + credit_code_check_character(base)


@dataclass
class Applicant:
    name: str
    code: str
    username: str
    industry: str = "machinery"
    address: str = "江阳区南城街道大河街 8 号"
    latitude: str = "28.871234"
    longitude: str = "105.443210"
    contact_name: str = "张三"
    contact_phone: str = "13800001111"
    full_name: str = "张三"
    email: str = "zhangsan@example.com"
    password: str = "Huo-Guo-Safe-2024"
    password2: str | None = None


@pytest.fixture
def expect():
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=TIMEOUT_MS)
    return _expect


@pytest.fixture
def new_context(browser, live_server, transactional_db):
    """new_context() → a fresh phone-sized browser context (own cookies) on the live server."""
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


def shot(page, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    if full_page:
        # A sticky navbar is drawn where the page is scrolled to: start from the top for a clean capture.
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def settle_htmx(page) -> None:
    """Wait until no htmx request is in flight (a no-op on pages without htmx requests)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def fill_registration(page, world, a: Applicant) -> None:
    page.fill("#id_name", a.name)
    page.fill("#id_credit_code", a.code)
    page.select_option("#id_industry", a.industry)
    page.select_option("#id_owning_body", str(world.nancheng_office.pk))
    settle_htmx(page)  # choosing the body reloads the region options (htmx): pick the region after that
    page.select_option("#id_region", str(world.nancheng.pk))
    settle_htmx(page)
    page.fill("#id_address", a.address)
    page.fill("#id_latitude", a.latitude)
    page.fill("#id_longitude", a.longitude)
    page.fill("#id_contact_name", a.contact_name)
    page.fill("#id_contact_phone", a.contact_phone)
    page.fill("#id_username", a.username)
    page.fill("#id_full_name", a.full_name)
    page.fill("#id_email", a.email)
    page.fill("#id_password1", a.password)
    page.fill("#id_password2", a.password2 if a.password2 is not None else a.password)
    settle_htmx(page)
    assert page.input_value("#id_region") == str(world.nancheng.pk)


def submit_registration(page) -> None:
    page.get_by_test_id("registration-form").locator("button[type=submit]").click()


def log_in(page, expect, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(password)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def switch_language(page, expect, code: str) -> None:
    page.get_by_test_id("language-menu").click()
    page.locator(f"button[name=language][value={code}]").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def decisions(page) -> list[str]:
    rows = page.get_by_test_id("review-records").get_by_test_id("review-record")
    return [rows.nth(i).get_attribute("data-decision") for i in range(rows.count())]


def enterprise_named(name: str) -> Enterprise:
    with scopes_disabled():
        return Enterprise.unscoped.get(name=name)


def fits_width(page) -> bool:
    """No horizontal scrolling of the page itself (wide tables scroll inside .table-responsive)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_register_reject_resubmit_approve_on_a_phone_in_chinese(new_context, expect, world):
    a = Applicant(name="泸州江阳安泰机械有限公司", code=credit_code(9000001), username="antai_admin")
    reason = "营业执照照片不清楚，联系电话不对：请核实后重新提交。"

    # The applicant registers (Chinese is the default language).
    applicant = new_context().new_page()
    applicant.goto("/register/")
    expect(applicant.locator("html")).to_have_attribute("lang", "zh-CN")
    assert fits_width(applicant)
    fill_registration(applicant, world, a)
    shot(applicant, "01-register-form-phone")
    submit_registration(applicant)

    expect(applicant).to_have_url(re.compile(r"/register/status/$"))
    expect(applicant.get_by_test_id("message")).to_be_visible()
    state = applicant.get_by_test_id("registration-state")
    expect(state).to_have_class(re.compile(r"alert-warning"))
    expect(state).to_contain_text(world.nancheng_office.name)
    expect(applicant.locator("h1")).to_contain_text(a.name)
    expect(applicant.get_by_test_id("resubmit-form")).to_have_count(0)
    assert decisions(applicant) == ["submit"]
    assert fits_width(applicant)
    shot(applicant, "02-status-pending-phone")

    enterprise = enterprise_named(a.name)
    assert enterprise.status == Enterprise.Status.PENDING
    assert enterprise.credit_code == a.code

    # The township reviewer logs in (another browser), sees the inbox badge, opens the registration, rejects.
    reviewer = new_context().new_page()
    log_in(reviewer, expect, "gov_alice", REVIEWER_PASSWORD)
    badge = reviewer.get_by_test_id("inbox-count")
    expect(badge).to_be_visible()
    assert int(badge.inner_text()) >= 1
    reviewer.get_by_test_id("inbox-link").click()
    reviewer.locator("[data-testid=inbox-section] a", has_text=a.name).click()
    expect(reviewer).to_have_url(re.compile(rf"/gov/registration/{enterprise.pk}/$"))
    expect(reviewer.get_by_test_id("status")).to_have_class(re.compile(r"text-bg-warning"))
    expect(reviewer.locator("h1")).to_contain_text(a.name)
    assert fits_width(reviewer)
    shot(reviewer, "03-gov-detail-pending-phone")

    reject_card = reviewer.get_by_test_id("reject-card")
    reject_card.locator("textarea[name=reason]").fill(reason)
    reject_card.get_by_test_id("reject").click()
    expect(reviewer.get_by_test_id("status")).to_have_class(re.compile(r"text-bg-danger"))
    expect(reviewer.get_by_test_id("message")).to_contain_text(a.name)
    expect(reviewer.get_by_test_id("reject-card")).to_have_count(0)
    expect(reviewer.get_by_test_id("approve-card")).to_have_count(0)
    expect(reviewer.get_by_test_id("review-records")).to_contain_text(reason)

    # The applicant reloads: the reason is shown, the form comes back filled in; fix phone and address.
    applicant.reload()
    expect(applicant.get_by_test_id("registration-state")).to_have_class(re.compile(r"alert-danger"))
    expect(applicant.get_by_test_id("reject-reason")).to_have_text(reason)
    form = applicant.get_by_test_id("resubmit-form")
    expect(form.locator("#id_name")).to_have_value(a.name)
    expect(form.locator("#id_credit_code")).to_have_value(a.code)
    expect(form.locator("#id_contact_phone")).to_have_value(a.contact_phone)
    expect(form.locator("#id_owning_body")).to_have_value(str(world.nancheng_office.pk))
    expect(form.locator("#id_region")).to_have_value(str(world.nancheng.pk))
    assert fits_width(applicant)
    shot(applicant, "04-status-rejected-resubmit-form-phone")
    new_phone, new_address = "0830-3123456", "江阳区南城街道大河街 18 号"
    form.locator("#id_contact_phone").fill(new_phone)
    form.locator("#id_address").fill(new_address)
    form.locator("button[type=submit]").click()

    expect(applicant.get_by_test_id("registration-state")).to_have_class(re.compile(r"alert-warning"))
    expect(applicant.get_by_test_id("message")).to_be_visible()
    expect(applicant.get_by_test_id("resubmit-form")).to_have_count(0)
    facts = applicant.locator("dl.facts")
    expect(facts).to_contain_text(new_phone)
    expect(facts).to_contain_text(new_address)
    assert decisions(applicant) == ["submit", "reject", "resubmit"]

    # The reviewer finds it in the pending list and approves it, correcting the industry.
    reviewer.goto("/gov/registrations/pending/")
    reviewer.get_by_role("link", name=a.name).click()
    expect(reviewer).to_have_url(re.compile(rf"/gov/registration/{enterprise.pk}/$"))
    expect(reviewer.get_by_test_id("status")).to_have_class(re.compile(r"text-bg-warning"))
    expect(reviewer.locator("dl.facts")).to_contain_text(new_phone)
    approve_card = reviewer.get_by_test_id("approve-card")
    expect(approve_card.locator("select[name=industry]")).to_have_value(a.industry)
    approve_card.locator("select[name=industry]").select_option("hazardous_chemicals")
    approve_card.locator("textarea[name=reason]").fill("材料齐全，行业类别更正为危险化学品。")
    approve_card.get_by_test_id("approve").click()
    expect(reviewer.get_by_test_id("status")).to_have_class(re.compile(r"text-bg-success"))
    expect(reviewer.get_by_test_id("message")).to_contain_text(a.name)
    expect(reviewer.get_by_test_id("approve-card")).to_have_count(0)
    expect(reviewer.locator("dl.facts dd.corrected")).to_have_count(1)
    shot(reviewer, "05-gov-detail-approved-phone")

    with scopes_disabled():
        enterprise.refresh_from_db()
    assert enterprise.status == Enterprise.Status.APPROVED
    assert enterprise.industry == "hazardous_chemicals"
    assert enterprise.corrected_fields["industry"]["to"] == "hazardous_chemicals"
    assert enterprise.contact_phone == new_phone

    # The status page now lists the whole review record.
    applicant.reload()
    expect(applicant.get_by_test_id("registration-state")).to_have_class(re.compile(r"alert-success"))
    assert decisions(applicant) == ["submit", "reject", "resubmit", "approve"]
    expect(applicant.locator("[data-testid=review-record][data-decision=reject]")).to_contain_text(reason)
    expect(applicant.locator("[data-testid=review-record][data-decision=approve]")).to_contain_text(
        world.nancheng_office.name
    )
    # On a phone every record's reason is on screen, not in a column scrolled out of view.
    reason_cell = applicant.locator("[data-testid=review-record][data-decision=reject] td.reason")
    box = reason_cell.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    shot(applicant, "06-status-approved-records-phone")

    # The enterprise administrator logs in: its home, the side menu, the approval notification.
    admin = new_context().new_page()
    log_in(admin, expect, a.username, a.password)
    expect(admin.get_by_test_id("enterprise-name")).to_have_text(a.name)
    expect(admin.locator("html")).to_have_attribute("lang", "zh-CN")
    assert fits_width(admin)
    shot(admin, "07-enterprise-home-phone")

    # On a phone the side menu sits in the offcanvas: hidden until the menu button opens it.
    menu = admin.get_by_test_id("side-menu")
    expect(menu).to_be_hidden()
    admin.locator("button[data-bs-toggle=offcanvas][data-bs-target='#sidebar']").click()
    expect(menu).to_be_visible()
    expect(admin.locator("#sidebar")).to_have_class(re.compile(r"\bshow\b"))
    expect(admin.locator("#sidebar")).not_to_have_class(re.compile(r"\bshowing\b"))  # slide-in finished
    expect(menu.locator(f"a[href='{reverse('approvals:notifications')}']")).to_be_visible()
    expect(menu.locator(f"a[href='{reverse('home')}']")).to_have_class(re.compile(r"active"))
    shot(admin, "08-enterprise-offcanvas-menu-phone", full_page=False)
    admin.locator("#sidebar .btn-close").click()
    expect(menu).to_be_hidden()

    user = Membership.objects.get(enterprise=enterprise, role=Membership.Role.ENTERPRISE_ADMIN).user
    approval = Notification.objects.get(recipient=user, url=reverse("home"))
    assert a.name in approval.title
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    badge = admin.get_by_test_id("unread-count")
    expect(badge).to_have_text(str(unread))
    assert unread >= 1
    admin.get_by_test_id("notifications-link").click()
    expect(admin.get_by_test_id("notification").filter(has_text=approval.title)).to_have_count(1)
    rejection = admin.get_by_test_id("notification").filter(has_text=reason.rstrip("。"))
    expect(rejection).to_have_count(1)
    assert "。。" not in rejection.inner_text()  # the reason's own full stop is not doubled
    shot(admin, "09-notifications-phone")


def test_register_and_approve_in_english(new_context, expect, world):
    a = Applicant(name="Luzhou Harbour Machinery Co., Ltd.", code=credit_code(9000002), username="harbour_admin")

    applicant = new_context().new_page()
    applicant.goto("/register/")
    expect(applicant.locator("html")).to_have_attribute("lang", "zh-CN")
    switch_language(applicant, expect, "en")
    expect(applicant).to_have_url(re.compile(r"/register/$"))
    submit = applicant.get_by_test_id("registration-form").locator("button[type=submit]")
    expect(submit).to_have_text("Submit registration")
    expect(applicant.locator("label[for=id_name]")).to_contain_text("Enterprise name")
    fill_registration(applicant, world, a)
    shot(applicant, "10-register-form-english-phone")
    submit.click()
    expect(applicant).to_have_url(re.compile(r"/register/status/$"))
    expect(applicant.locator("html")).to_have_attribute("lang", "en")
    expect(applicant.get_by_test_id("registration-state")).to_have_class(re.compile(r"alert-warning"))
    expect(applicant.get_by_test_id("registration-state")).to_contain_text("Awaiting review by")
    assert decisions(applicant) == ["submit"]

    reviewer = new_context().new_page()
    reviewer.goto("/accounts/login/")
    switch_language(reviewer, expect, "en")
    log_in(reviewer, expect, "gov_alice", REVIEWER_PASSWORD)
    expect(reviewer.locator("html")).to_have_attribute("lang", "en")
    reviewer.goto("/gov/registrations/pending/")
    reviewer.get_by_role("link", name=a.name).click()
    expect(reviewer.get_by_test_id("approve")).to_have_text("Approve registration")
    reviewer.get_by_test_id("approve").click()
    expect(reviewer.get_by_test_id("status")).to_have_class(re.compile(r"text-bg-success"))
    expect(reviewer.get_by_test_id("message")).to_contain_text(f"Approved: {a.name}")

    # The applicant's browser is already logged in as the administrator: home is now the enterprise home.
    applicant.goto("/")
    expect(applicant.get_by_test_id("enterprise-name")).to_have_text(a.name)
    expect(applicant.locator("html")).to_have_attribute("lang", "en")
    expect(applicant.get_by_test_id("unread-count")).to_be_visible()
    shot(applicant, "11-enterprise-home-english-phone")
    assert enterprise_named(a.name).status == Enterprise.Status.APPROVED


def test_inline_errors_keep_what_was_typed(new_context, expect, world):
    good = credit_code(9000003)
    wrong_char = next(c for c in CREDIT_CODE_CHARSET if c != good[-1])
    a = Applicant(
        name="南城错填测试有限公司",
        code=good[:-1] + wrong_char,
        username="typo_admin",
        password="Huo-Guo-Safe-2024",
        password2="Huo-Guo-Safe-2025",
    )

    page = new_context().new_page()
    page.goto("/register/")
    fill_registration(page, world, a)
    page.check("#id_is_university")
    submit_registration(page)

    expect(page).to_have_url(re.compile(r"/register/$"))
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    invalid = page.eval_on_selector_all(".is-invalid", "els => els.map(e => e.id)")
    feedback = page.eval_on_selector_all(".invalid-feedback", "els => els.map(e => e.textContent.trim())")
    assert invalid == ["id_credit_code", "id_password2"], feedback
    expect(page.locator(".invalid-feedback")).to_have_count(2)

    def feedback_for(field_id: str):
        return page.locator("div.mb-3", has=page.locator(f"#{field_id}")).locator(".invalid-feedback")

    expect(feedback_for("id_credit_code")).to_be_visible()
    expect(feedback_for("id_credit_code")).to_contain_text(good[-1])  # names the expected check character
    expect(page.locator("#id_credit_code")).to_have_class(re.compile(r"is-invalid"))
    expect(feedback_for("id_password2")).to_be_visible()
    expect(page.locator("#id_password2")).to_have_class(re.compile(r"is-invalid"))
    expect(page.locator("#id_name")).not_to_have_class(re.compile(r"is-invalid"))

    # Nothing typed is lost, passwords included.
    expected = {
        "id_name": a.name,
        "id_credit_code": a.code,
        "id_industry": a.industry,
        "id_owning_body": str(world.nancheng_office.pk),
        "id_region": str(world.nancheng.pk),
        "id_address": a.address,
        "id_latitude": a.latitude,
        "id_longitude": a.longitude,
        "id_contact_name": a.contact_name,
        "id_contact_phone": a.contact_phone,
        "id_username": a.username,
        "id_full_name": a.full_name,
        "id_email": a.email,
        "id_password1": a.password,
        "id_password2": a.password2,
    }
    for field_id, value in expected.items():
        expect(page.locator(f"#{field_id}")).to_have_value(value)
    expect(page.locator("#id_is_university")).to_be_checked()
    assert fits_width(page)
    shot(page, "12-register-errors-phone")

    # Fixing the two fields is enough: the form goes through.
    page.fill("#id_credit_code", good)
    page.fill("#id_password2", a.password)
    submit_registration(page)
    expect(page).to_have_url(re.compile(r"/register/status/$"))
    assert enterprise_named(a.name).is_university
