"""A student's account activation driven end to end in headless Chromium on a phone viewport.

The student logs in, lands on the profile page, completes it and chooses the supervising teacher (the lab
and teacher lists follow the chosen college through htmx); the teacher logs in, sees the to-do count and
approves; the student logs in again and gets the university home with the side menu. Elements are found by
data-testid, ids and names, never by translated text. Screenshots go to /tmp/shots/ (not committed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from enterprises.models import Membership

from .university_world import PASSWORD, build_uni

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


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"university-{name}.png"), full_page=True)


def settle_htmx(page) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def log_in(page, expect, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def decisions(page) -> list[str]:
    rows = page.get_by_test_id("review-records").get_by_test_id("review-record")
    return [rows.nth(i).get_attribute("data-decision") for i in range(rows.count())]


def test_student_picks_a_supervisor_who_approves_on_a_phone(new_context, expect, world):
    uni = build_uni(world)
    student_pk = uni.s_carol.pk

    # The student logs in: whatever the start page, the profile comes first, without the side menu.
    student = new_context().new_page()
    log_in(student, expect, "s_carol")
    expect(student).to_have_url(re.compile(r"/lab/profile/$"))
    expect(student.get_by_test_id("activation-state")).to_have_attribute("data-state", "draft")
    expect(student.get_by_test_id("side-menu")).to_have_count(0)
    student.goto("/inbox/")
    expect(student).to_have_url(re.compile(r"/lab/profile/$"))
    assert fits_width(student)

    form = student.get_by_test_id("profile-form")
    form.locator("#id_full_name").fill("卡萝")
    form.locator("#id_phone").fill("13912345678")
    form.locator("#id_email").fill("carol@example.com")
    # Choosing the college narrows the labs and regroups the teachers (htmx).
    form.locator("#id_college").select_option(str(uni.life.pk))
    settle_htmx(student)
    expect(form.locator(f"#id_lab option[value='{uni.microbio.pk}']")).to_have_count(1)
    expect(form.locator(f"#id_lab option[value='{uni.organic.pk}']")).to_have_count(0)
    form.locator("#id_college").select_option(str(uni.chemistry.pk))
    settle_htmx(student)
    expect(form.locator(f"#id_lab option[value='{uni.organic.pk}']")).to_have_count(1)
    expect(form.locator(f"#id_lab option[value='{uni.microbio.pk}']")).to_have_count(0)
    form.locator("#id_lab").select_option(str(uni.organic.pk))
    settle_htmx(student)
    # The lab's teacher is listed first, in its own group; other teachers stay choosable.
    first_group = form.locator("#id_supervisor optgroup").first
    expect(first_group.locator(f"option[value='{uni.t_alice.user_id}']")).to_have_count(1)
    expect(form.locator(f"#id_supervisor option[value='{uni.t_bob.user_id}']")).to_have_count(1)
    expect(form.locator(f"#id_supervisor option[value='{uni.far_teacher.user_id}']")).to_have_count(0)
    form.locator("#id_supervisor").select_option(str(uni.t_alice.user_id))
    assert fits_width(student)
    shot(student, "01-student-profile-phone")
    form.get_by_test_id("profile-submit").click()

    expect(student.get_by_test_id("activation-state")).to_have_attribute("data-state", "awaiting")
    expect(student.get_by_test_id("message")).to_be_visible()
    expect(student.get_by_test_id("supervisor")).to_have_text(uni.t_alice.user.display_name)
    assert decisions(student) == ["submit"]
    # The record names the student as just typed (the account had no name before).
    expect(student.locator("[data-testid=review-record][data-decision=submit]")).to_contain_text("卡萝")
    shot(student, "02-student-awaiting-phone")
    assert Membership.objects.get(pk=student_pk).supervisor_id == uni.t_alice.user_id

    # The teacher logs in: the to-do count, the inbox item, the decision page; approve.
    teacher = new_context().new_page()
    log_in(teacher, expect, "t_alice")
    expect(teacher.get_by_test_id("inbox-count")).to_have_text("1")
    teacher.get_by_test_id("inbox-link").click()
    activation_url = reverse("enterprises:student_activation", args=[student_pk])
    teacher.locator(f"[data-testid=inbox-section] a[href='{activation_url}']").click()
    expect(teacher).to_have_url(re.compile(rf"{activation_url}$"))
    expect(teacher.get_by_test_id("status")).to_have_attribute("data-status", "pending")
    expect(teacher.get_by_test_id("student-facts")).to_contain_text("13912345678")
    assert decisions(teacher) == ["submit"]
    assert fits_width(teacher)
    shot(teacher, "03-teacher-decision-phone")
    teacher.get_by_test_id("approve").click()
    expect(teacher.get_by_test_id("status")).to_have_attribute("data-status", "active")
    expect(teacher.get_by_test_id("approve-card")).to_have_count(0)
    assert decisions(teacher) == ["submit", "approve"]
    expect(teacher.get_by_test_id("inbox-count")).to_have_count(0)
    assert Membership.objects.get(pk=student_pk).status == Membership.Status.ACTIVE

    # The student logs in again: the university home, the side menu behind the phone's menu button.
    again = new_context().new_page()
    log_in(again, expect, "s_carol")
    expect(again).to_have_url(re.compile(r"/$"))
    expect(again.get_by_test_id("enterprise-name")).to_have_text(uni.university.name)
    expect(again.get_by_test_id("unread-count")).to_be_visible()
    assert fits_width(again)
    shot(again, "04-student-home-phone")
    menu = again.get_by_test_id("side-menu")
    expect(menu).to_be_hidden()
    again.locator("button[data-bs-toggle=offcanvas][data-bs-target='#sidebar']").click()
    expect(menu).to_be_visible()
    expect(again.locator("#sidebar")).not_to_have_class(re.compile(r"\bshowing\b"))  # slide-in finished
    expect(menu.locator(f"a[href='{reverse('home')}']")).to_have_class(re.compile(r"active"))
    expect(menu.locator(f"a[href='{reverse('approvals:inbox')}']")).to_be_visible()
    # The student's menu has no teacher's or manager's entries.
    expect(menu.locator(f"a[href='{reverse('enterprises:student_activations')}']")).to_have_count(0)
    again.screenshot(path=str(SHOTS / "university-05-student-menu-phone.png"))
