"""Hazard screens: registration forms (enterprise and government), lists with filters and Excel export, photos
served through their scoped view, the rectification notice (PDF), the to-do inbox, query counts."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from approvals.inbox import inbox_sections
from enterprises.models import Department
from hazards import services
from hazards.models import Hazard, HazardPhoto, RiskPoint
from safety.tenancy import scopes_disabled

from .factories import actor_for
from .hazard_factories import add_photo, make_extension, make_hazard, make_listing, photo_upload, reload, tiny_png

S = Hazard.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def soon(days: int = 10) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# --------------------------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------------------------


def test_register_form_is_ready_for_a_phone_camera(world, login):
    html = login(world.bob).get("/hazards/new/").content.decode()
    photo_input = re.search(r'<input[^>]*name="before_photos"[^>]*>', html).group(0)
    for attr in ('type="file"', 'accept="image/*"', 'capture="environment"', "multiple"):
        assert attr in photo_input
    assert 'name="deadline_date"' in html and 'name="deadline_time"' in html and 'type="time"' in html
    assert "js/hazards.js" in html
    # The plan starts hidden for a general hazard (hazards.js shows it for a major one).
    assert re.search(r'data-hazard-section="plan"[^>]*hidden', html)


def test_register_through_the_form_with_a_photo(world, login):
    c = login(world.bob)
    response = c.post(
        "/hazards/new/",
        {
            "title": "灭火器过期",
            "location": "二号仓库",
            "source": "self",
            "level": "general",
            "kind": "deadline",
            "deadline_date": soon(),
            "deadline_time": "17:30",
            "responsible_user": world.alice.user.pk,
            "before_photos": [photo_upload("a.png"), photo_upload("b.png", "blue")],
        },
    )
    with scopes_disabled():
        hazard = Hazard.objects.get(title="灭火器过期")
        assert HazardPhoto.objects.filter(hazard=hazard, stage="before").count() == 2
    assert response.status_code == 302 and response["Location"] == f"/hazards/{hazard.pk}/"
    assert timezone.localtime(hazard.deadline).strftime("%H:%M") == "17:30"
    assert hazard.responsible_user_id == world.alice.user.pk and hazard.registered_by_id == world.bob.user.pk


def test_same_day_deadline_without_a_time_is_shown_inline_and_keeps_the_input(world, login):
    response = login(world.alice).post(
        "/hazards/new/",
        {
            "title": "电缆裸露",
            "description": "配电室东侧",
            "source": "self",
            "level": "general",
            "kind": "deadline",
            "deadline_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'name="deadline_time"[^>]*is-invalid|is-invalid[^>]*name="deadline_time"', html)
    assert 'value="电缆裸露"' in html and "配电室东侧" in html
    with scopes_disabled():
        assert not Hazard.objects.exists()


def test_a_major_hazard_without_its_plan_shows_the_plan_with_errors(world, login):
    response = login(world.alice).post(
        "/hazards/new/",
        {"title": "储罐泄漏", "source": "self", "level": "major", "kind": "major", "deadline_date": soon()},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert not re.search(r'data-hazard-section="plan"[^>]*hidden', html)
    assert html.count("is-invalid") >= len(services.HAZARD_PLAN_FIELDS)


def test_a_form_refuses_another_tenants_department(world, login):
    with scopes_disabled():
        foreign = Department.objects.create(enterprise=world.far, name="外部门")
    response = login(world.alice).post(
        "/hazards/new/",
        {
            "title": "x",
            "source": "self",
            "level": "general",
            "kind": "deadline",
            "deadline_date": soon(),
            "department": foreign.pk,
        },
    )
    assert response.status_code == 400
    with scopes_disabled():
        assert not Hazard.objects.exists()


def test_registration_prefilled_from_a_risk_point(world, login):
    with scopes_disabled():
        dept = Department.objects.create(enterprise=world.acme, name="储运部")
        point = RiskPoint.objects.create(
            enterprise=world.acme, category="place", name="甲类仓库", place="仓库区", department=dept, qr_token="hz-q"
        )
        foreign = RiskPoint.objects.create(enterprise=world.far, category="place", name="外部", qr_token="hz-f")
    html = login(world.bob).get(f"/hazards/new/?risk_point={point.pk}").content.decode()
    assert f'<option value="{point.pk}" selected>' in html and 'value="仓库区"' in html
    html = login(world.bob).get(f"/hazards/new/?risk_point={foreign.pk}").content.decode()
    assert "外部" not in html


def test_government_inspection_form_offers_its_jurisdiction_only(world, login):
    html = login(world.gov_alice).get("/gov/hazards/inspection/new/").content.decode()
    assert world.acme.name in html and world.other.name not in html and world.far.name not in html
    html = login(world.city_reviewer).get("/gov/hazards/inspection/new/").content.decode()
    assert world.acme.name in html and world.other.name in html and world.far.name not in html
    response = login(world.gov_alice).post(
        "/gov/hazards/inspection/new/",
        {"enterprise": world.far.pk, "title": "越权", "level": "general", "kind": "deadline", "deadline_date": soon()},
    )
    assert response.status_code == 400
    response = login(world.gov_alice).post(
        "/gov/hazards/inspection/new/",
        {
            "enterprise": world.acme.pk,
            "title": "安全出口锁闭",
            "level": "general",
            "kind": "deadline",
            "deadline_date": soon(),
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        hazard = Hazard.objects.get(title="安全出口锁闭")
    assert hazard.source == "government" and hazard.registered_by_body_id == world.nancheng_office.pk


def test_steps_through_the_pages(world, login):
    hazard = make_hazard(world.acme)
    alice = login(world.alice)
    response = alice.post(f"/hazards/{hazard.pk}/report/", {"measures": "已接地", "after_photos": [photo_upload()]})
    assert response.status_code == 302 and reload(hazard).status == S.REPORTED
    response = alice.post(f"/hazards/{hazard.pk}/review/", {"decision": "no", "reason": ""})
    assert response.status_code == 400 and reload(hazard).status == S.REPORTED
    response = alice.post(f"/hazards/{hazard.pk}/review/", {"decision": "yes", "reason": "合格"})
    assert response.status_code == 302 and reload(hazard).status == S.CLOSED
    response = alice.post(f"/hazards/{hazard.pk}/review/", {"decision": "no", "reason": "再看看"}, follow=True)
    assert response.status_code == 200 and reload(hazard).status == S.CLOSED  # final: the refusal is a message
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"
    html = alice.get(f"/hazards/{hazard.pk}/").content.decode()
    assert html.count('data-testid="review-record"') == 2 and 'data-testid="hazard-photo"' in html


def test_extension_through_the_pages(world, login):
    hazard = make_hazard(world.acme, status=S.OVERDUE, deadline=timezone.now() - timedelta(hours=2))
    alice = login(world.alice)
    response = alice.post(f"/hazards/{hazard.pk}/extension/", {"reason": "备件未到", "deadline_date": soon(5)})
    assert response.status_code == 302 and reload(hazard).status == S.EXTENSION_REQUESTED
    response = alice.post(
        f"/hazards/{hazard.pk}/extension/review/",
        {"decision": "yes", "deadline_date": soon(7), "deadline_time": "12:00"},
    )
    assert response.status_code == 302
    hazard = reload(hazard)
    assert hazard.status == S.RECTIFYING
    assert timezone.localtime(hazard.deadline).strftime("%Y-%m-%d %H:%M") == f"{soon(7)} 12:00"


def test_listing_and_delisting_through_the_pages(world, login):
    hazard = make_hazard(world.acme, level="major")
    response = login(world.gov_alice).post(
        f"/hazards/{hazard.pk}/supervise/", {"notice_number": "江安督〔2025〕3号", "notice": "30日内整改完毕"}
    )
    assert response.status_code == 302
    html = login(world.alice).get(f"/hazards/{hazard.pk}/").content.decode()
    assert "江安督〔2025〕3号" in html and 'data-testid="listed-badge"' in html
    with scopes_disabled():
        Hazard.objects.filter(pk=hazard.pk).update(status=S.CLOSED)
    login(world.alice).post(f"/hazards/{hazard.pk}/delisting/", {"reason": "已整改并验收"})
    response = login(world.gov_alice).post(f"/hazards/{hazard.pk}/delisting/decide/", {"decision": "yes"})
    assert response.status_code == 302
    html = login(world.alice).get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'data-status="delisted"' in html and 'data-testid="listed-badge"' not in html


def test_edit_page_after_the_report_sends_back(world, login):
    hazard = make_hazard(world.acme, status=S.REPORTED)
    response = login(world.alice).get(f"/hazards/{hazard.pk}/edit/")
    assert response.status_code == 302 and response["Location"] == f"/hazards/{hazard.pk}/"


# --------------------------------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------------------------------


def _numbers(html: str) -> set[str]:
    return set(re.findall(r'data-testid="hazard-link">([^<]+)<', html))


def test_enterprise_list_filters(world, login):
    with scopes_disabled():
        dept = Department.objects.create(enterprise=world.acme, name="生产部")
    open_ = make_hazard(world.acme, number="YH-A-1", department=dept)
    major = make_hazard(world.acme, number="YH-A-2", level="major", source="complaint")
    late = make_hazard(world.acme, number="YH-A-3", deadline=timezone.now() - timedelta(minutes=1))
    overdue = make_hazard(world.acme, number="YH-A-4", status=S.OVERDUE, deadline=timezone.now() - timedelta(days=1))
    gov = make_hazard(world.acme, number="YH-A-5", source="government", registered_by_body=world.nancheng_office)
    make_hazard(world.far, number="YH-F-1")
    c = login(world.bob)
    assert _numbers(c.get("/hazards/").content.decode()) == {h.number for h in (open_, major, late, overdue, gov)}
    assert _numbers(c.get("/hazards/?level=major").content.decode()) == {major.number}
    assert _numbers(c.get("/hazards/?overdue=yes").content.decode()) == {late.number, overdue.number}
    assert _numbers(c.get(f"/hazards/?department={dept.pk}").content.decode()) == {open_.number}
    assert _numbers(c.get("/hazards/?source=government").content.decode()) == {gov.number}
    assert _numbers(c.get("/hazards/?status=overdue").content.decode()) == {overdue.number}
    assert _numbers(c.get("/hazards/?q=A-3").content.decode()) == {late.number}


def test_enterprise_list_exports_what_it_shows(world, login):
    make_hazard(world.acme, number="YH-X-1", title="甲")
    make_hazard(world.acme, number="YH-X-2", title="乙", level="major")
    response = login(world.alice).get("/hazards/?level=major&export=xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert len(rows) == 2 and rows[1][0] == "YH-X-2" and rows[1][1] == "乙"


def test_government_review_list(world, login):
    mine = make_hazard(world.acme, number="YH-G-1", status=S.REPORTED, level="major")
    ours = make_hazard(
        world.acme, number="YH-G-2", status=S.EXTENSION_REQUESTED, registered_by_body=world.nancheng_office
    )
    make_hazard(world.acme, number="YH-G-3", status=S.REPORTED)  # the enterprise reviews it
    make_hazard(world.acme, number="YH-G-4", status=S.REGISTERED, level="major")  # nothing to review yet
    make_hazard(world.far, number="YH-G-5", status=S.REPORTED, level="major")  # another province
    expected = {mine.number, ours.number}
    for who in ("gov_alice", "gov_bob", "city_reviewer"):
        assert _numbers(login(getattr(world, who)).get("/gov/hazards/awaiting-review/").content.decode()) == expected
    assert _numbers(login(world.gov_charlie).get("/gov/hazards/awaiting-review/").content.decode()) == {"YH-G-5"}


@pytest.mark.parametrize(("url", "who"), [("/hazards/", "alice"), ("/gov/hazards/awaiting-review/", "gov_alice")])
def test_list_query_counts_are_flat(world, login, url, who):
    c = login(getattr(world, who))
    with scopes_disabled():
        dept = Department.objects.create(enterprise=world.acme, name="质检部")

    def grow(n: int) -> None:
        with scopes_disabled():
            have = Hazard.objects.count()
        for i in range(have, n):
            make_hazard(
                world.acme,
                status=S.REPORTED,
                level="major" if i % 2 else "general",
                registered_by_body=world.nancheng_office,
                department=dept,
                responsible_user=world.bob.user,
            )

    c.get(url)
    counts = []
    for n in (2, 30):
        grow(n)
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(url)
        assert response.status_code == 200
        assert len(_numbers(response.content.decode())) == min(n, 25)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] < 30


# --------------------------------------------------------------------------------------------------------------
# Photos, notice, inbox
# --------------------------------------------------------------------------------------------------------------


def test_photo_is_served_through_its_view_only(world, login):
    photo = add_photo(make_hazard(world.acme))
    for who in ("alice", "bob", "gov_alice", "gov_bob", "city_reviewer"):
        response = login(getattr(world, who)).get(f"/hazards/photos/{photo.pk}/")
        assert response.status_code == 200, who
        assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == tiny_png()
    for who in ("charlie", "gov_charlie"):
        assert login(getattr(world, who)).get(f"/hazards/photos/{photo.pk}/").status_code == 404


def _notice_hazard(world):
    hazard = make_hazard(
        world.acme,
        number="YH-2025-000042",
        title="液氨储罐安全阀失效",
        level="major",
        location="罐区",
        registered_by_body=world.nancheng_office,
        source="government",
    )
    make_listing(hazard, world.nancheng_office, notice_number="南安督〔2025〕7号")
    services.rectification_report(
        actor=actor_for(world.alice), hazard_id=hazard.pk, measures="更换安全阀并校验", after_photos=[photo_upload()]
    )
    return reload(hazard)


def test_rectification_notice_template(world):
    from hazards.views import hazard_notice_context

    hazard = _notice_hazard(world)
    with scopes_disabled():
        html = render_to_string(
            "hazards/hazards/notice_pdf.html", hazard_notice_context(actor_for(world.gov_alice), hazard, hazard.listing)
        )
    for text in (
        "YH-2025-000042",
        "液氨储罐安全阀失效",
        world.acme.name,
        world.acme.credit_code,
        "罐区",
        "更换安全阀并校验",
        "南安督〔2025〕7号",
        "设备部 张三",  # the plan
        timezone.localtime(hazard.deadline).strftime("%Y-%m-%d %H:%M"),
        world.alice.user.full_name,  # the review record
    ):
        assert text in html, text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_rectification_notice_pdf(world, login, tmp_path):
    hazard = _notice_hazard(world)
    response = login(world.alice).get(f"/hazards/{hazard.pk}/notice.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    path = tmp_path / "notice.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()
    flat = re.sub(r"\s+", "", text)
    for needle in ("YH-2025-000042", "液氨储罐安全阀失效", world.acme.name, "更换安全阀并校验", "南安督〔2025〕7号"):
        assert needle in flat, needle


def test_inbox_shows_what_awaits_each_person(world):
    awaiting = make_hazard(world.acme, status=S.REPORTED, number="YH-I-1")
    major = make_hazard(world.acme, status=S.REPORTED, level="major", number="YH-I-2")
    mine = make_hazard(world.acme, responsible_user=world.bob.user, number="YH-I-3")
    overdue = make_hazard(world.acme, status=S.OVERDUE, deadline=timezone.now() - timedelta(days=1), number="YH-I-4")
    used = make_hazard(world.acme, status=S.OVERDUE, deadline=timezone.now() - timedelta(days=1), number="YH-I-5")
    make_extension(used, status="refused")
    delisting = make_hazard(world.acme, status=S.CLOSED, level="major", number="YH-I-6")
    make_listing(delisting, world.nancheng_office, status="delisting_requested")

    def inbox(who: str) -> dict[str, set[str]]:
        actor = world.actor(who)
        from safety.tenancy import actor_scope

        with actor_scope(actor):
            return {
                s.provider.key: {i.title.split()[0] for i in s.items}
                for s in inbox_sections(actor)
                if s.provider.key.startswith("hazards")
            }

    assert inbox("alice") == {
        "hazards_enterprise_review": {awaiting.number},
        "hazards_overdue_extendable": {overdue.number},
    }
    assert inbox("bob") == {"hazards_to_rectify": {mine.number}}
    assert inbox("gov_alice") == {
        "hazards_government_review": {major.number},
        "hazards_delisting": {delisting.number},
    }
    assert inbox("city_reviewer") == {}  # the township's own queue; the city sees them in its review list
    assert inbox("gov_charlie") == {}


# --------------------------------------------------------------------------------------------------------------
# Photos survive a failed submission (a browser cannot refill a file input)
# --------------------------------------------------------------------------------------------------------------


def _kept_tokens(html: str) -> list[str]:
    return re.findall(r'name="(?:before|after)_photos_kept" value="([^"]+)"', html)


def _pending(tmp_path) -> list:
    folder = tmp_path / "hazards" / "pending"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_photos_are_kept_when_the_form_comes_back_with_errors(world, login, tmp_path):
    c = login(world.bob)
    data = {"title": "叉车灯损坏", "source": "self", "level": "general", "kind": "deadline"}
    response = c.post(
        "/hazards/new/", {**data, "deadline_date": timezone.localdate().isoformat(), "before_photos": [photo_upload()]}
    )
    assert response.status_code == 400
    tokens = _kept_tokens(response.content.decode())
    assert len(tokens) == 1 and len(_pending(tmp_path)) == 1
    # Someone else cannot use the token: alice's submission ignores it.
    other = login(world.alice, Client())
    other.post("/hazards/new/", {**data, "deadline_date": soon(), "before_photos_kept": tokens})
    with scopes_disabled():
        hazard = Hazard.objects.get()
        assert not HazardPhoto.objects.exists()
        hazard.delete()
    # bob fixes the deadline and sends the form again, without choosing the photo again.
    response = c.post("/hazards/new/", {**data, "deadline_date": soon(), "before_photos_kept": tokens})
    assert response.status_code == 302
    with scopes_disabled():
        photo = HazardPhoto.objects.get()
    assert photo.stage == "before" and photo.image.read() == tiny_png()
    assert _pending(tmp_path) == []


def test_after_photo_is_kept_on_the_report_form(world, login, tmp_path):
    hazard = make_hazard(world.acme)
    c = login(world.alice)
    response = c.post(f"/hazards/{hazard.pk}/report/", {"measures": "", "after_photos": [photo_upload()]})
    assert response.status_code == 400
    tokens = _kept_tokens(response.content.decode())
    response = c.post(f"/hazards/{hazard.pk}/report/", {"measures": "已修复", "after_photos_kept": tokens})
    assert response.status_code == 302 and reload(hazard).status == S.REPORTED
    with scopes_disabled():
        assert HazardPhoto.objects.filter(hazard=hazard, stage="after").count() == 1
    assert _pending(tmp_path) == []


def test_kept_photos_nobody_came_back_for_are_purged(world, tmp_path):
    import os
    import time

    from hazards import hazard_photos

    fresh = hazard_photos.stash([(photo_upload(), "png")], user=world.bob.user)
    stale = hazard_photos.stash([(photo_upload(), "png")], user=world.bob.user)
    old = time.time() - 2 * 86400
    os.utime(tmp_path / stale[0][1], (old, old))
    assert hazard_photos.purge_pending() == 1
    assert _pending(tmp_path) == [fresh[0][1].rsplit("/", 1)[-1]]
