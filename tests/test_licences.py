"""Licences (资质证照): the expiry rule, the form's "exactly one" rule, scans checked by content, the enterprise's
pages and the government's expiring / expired lists, with their permissions, exports and query counts."""

from __future__ import annotations

import io
import itertools
import re
from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from PIL import Image

from approvals.models import OperationLog
from enterprises import expiry, scans, services
from enterprises.forms import LicenceForm
from enterprises.models import Certificate, Enterprise, Licence, Membership, ReminderStage, Staff
from enterprises.services import LicenceDetails
from safety.menus import menu_for
from safety.tenancy import scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory, actor_for

S = ReminderStage
TODAY = date(2026, 3, 10)
# 09:00 in Shanghai: the local date is TODAY whatever the server's clock zone.
NOW = "2026-03-10 09:00:00+08:00"
_numbers = itertools.count(1)


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------


def make_licence(enterprise: Enterprise, *, days: int | None = 100, long_term: bool = False, **extra) -> Licence:
    """A licence ending ``days`` after TODAY (negative: already expired), or long-term."""
    fields = {
        "kind": Licence.Kind.SAFETY_PRODUCTION,
        "number": f"（川）WH安许证字〔2026〕{next(_numbers):04d}",
        "valid_until": None if long_term else TODAY + timedelta(days=days),
        "long_term": long_term,
        **extra,
    }
    with scopes_disabled():
        return Licence.objects.create(enterprise=enterprise, **fields)


def make_certificate(enterprise: Enterprise, *, days: int | None, staff_name: str = "张师傅", **extra) -> Certificate:
    with scopes_disabled():
        staff = Staff.objects.create(enterprise=enterprise, name=staff_name)
        return Certificate.objects.create(
            enterprise=enterprise,
            staff=staff,
            kind=extra.pop("kind", Certificate.Kind.SPECIAL_OPERATIONS),
            number=f"T{next(_numbers):08d}",
            expires_on=None if days is None else TODAY + timedelta(days=days),
            **extra,
        )


def details(**overrides) -> LicenceDetails:
    fields = {
        "kind": Licence.Kind.BUSINESS,
        "number": f"91510502MA{next(_numbers):08d}",
        "valid_until": date(2030, 1, 1),
    }
    fields.update(overrides)
    return LicenceDetails(**fields)


def png_bytes(size=(8, 8), fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def english(c: Client) -> Client:
    c.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return c


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def on_today():
    with time_machine.travel(NOW, tick=False):
        yield


# --------------------------------------------------------------------------------------------------------
# The rule: reminder_stage_for, a table
# --------------------------------------------------------------------------------------------------------

STAGE_TABLE = [
    # (valid_until, long_term, today, window, expected)
    (None, True, TODAY, 30, S.NONE),
    (TODAY - timedelta(days=500), True, TODAY, 30, S.NONE),  # long-term wins over any date
    (None, False, TODAY, 30, S.NONE),  # no end date (a certificate without one): never reminded
    (TODAY + timedelta(days=365), False, TODAY, 30, S.NONE),
    (TODAY + timedelta(days=31), False, TODAY, 30, S.NONE),  # one day outside the window
    (TODAY + timedelta(days=30), False, TODAY, 30, S.EXPIRING),  # the first day of the window
    (TODAY + timedelta(days=29), False, TODAY, 30, S.EXPIRING),
    (TODAY + timedelta(days=1), False, TODAY, 30, S.EXPIRING),
    (TODAY, False, TODAY, 30, S.EXPIRING),  # the last valid day is still valid: expiring, not expired
    (TODAY - timedelta(days=1), False, TODAY, 30, S.EXPIRED),  # the day after the end date
    (TODAY - timedelta(days=400), False, TODAY, 30, S.EXPIRED),
    (TODAY, False, TODAY, 0, S.EXPIRING),  # window 0: expiring on the last day only
    (TODAY + timedelta(days=1), False, TODAY, 0, S.NONE),
    (TODAY + timedelta(days=90), False, TODAY, 90, S.EXPIRING),
    (TODAY + timedelta(days=91), False, TODAY, 90, S.NONE),
    (date(2024, 3, 1), False, date(2024, 2, 29), 1, S.EXPIRING),  # across a leap day
    (date(2024, 3, 2), False, date(2024, 2, 29), 1, S.NONE),
    (date(2026, 12, 31), False, date(2027, 1, 1), 30, S.EXPIRED),  # across a year end
]


@pytest.mark.parametrize(("valid_until", "long_term", "today", "window", "expected"), STAGE_TABLE)
def test_reminder_stage_for(valid_until, long_term, today, window, expected):
    assert expiry.reminder_stage_for(valid_until, long_term, today, window) == expected


def test_reminder_stage_for_refuses_a_negative_window():
    with pytest.raises(ValueError):
        expiry.reminder_stage_for(TODAY, False, TODAY, -1)


STAGE_AFTER_EDIT = [
    # (stored, computed from the new dates, stored after the edit): back when renewed, never forward
    (S.NONE, S.NONE, S.NONE),
    (S.NONE, S.EXPIRING, S.NONE),  # the job will send the "expiring" reminder
    (S.NONE, S.EXPIRED, S.NONE),
    (S.EXPIRING, S.NONE, S.NONE),  # renewed
    (S.EXPIRING, S.EXPIRING, S.EXPIRING),  # corrected within the window: no second reminder
    (S.EXPIRING, S.EXPIRED, S.EXPIRING),
    (S.EXPIRED, S.NONE, S.NONE),  # renewed
    (S.EXPIRED, S.EXPIRING, S.EXPIRING),  # renewed for a short while: reminded again when it expires
    (S.EXPIRED, S.EXPIRED, S.EXPIRED),
]


@pytest.mark.parametrize(("stored", "computed", "expected"), STAGE_AFTER_EDIT)
def test_stage_after_edit(stored, computed, expected):
    assert expiry.stage_after_edit(stored, computed) == expected


@pytest.mark.parametrize(("offset", "expected"), [(-3, -3), (0, 0), (7, 7), (None, None)])
def test_days_left(offset, expected):
    end = None if offset is None else TODAY + timedelta(days=offset)
    assert expiry.days_left(end, TODAY) == expected


@pytest.mark.parametrize("window", [0, 1, 30])
def test_the_sql_filters_agree_with_the_rule(world, window):
    """Lists and the job select with SQL; every date around the window boundaries lands where the rule says."""
    licences = [make_licence(world.acme, days=d) for d in range(-3, window + 4)]
    licences.append(make_licence(world.acme, long_term=True))
    with scopes_disabled():
        qs = Licence.objects.filter(enterprise=world.acme)
        by_sql = {
            S.EXPIRED: set(qs.filter(expiry.expired_q(TODAY)).values_list("pk", flat=True)),
            S.EXPIRING: set(qs.filter(expiry.expiring_q(TODAY, window)).values_list("pk", flat=True)),
            S.NONE: set(qs.filter(expiry.valid_q(TODAY, window)).values_list("pk", flat=True)),
        }
        stale = set(qs.filter(expiry.stage_behind_or_stale_q(TODAY, window)).values_list("pk", flat=True))
    by_rule = {stage: set() for stage in S}
    for lic in licences:
        by_rule[expiry.reminder_stage_for(lic.valid_until, lic.long_term, TODAY, window)].add(lic.pk)
    assert by_sql == by_rule
    # Every row is stored as NONE: exactly the expiring and expired ones are the job's work.
    assert stale == by_rule[S.EXPIRING] | by_rule[S.EXPIRED]


# --------------------------------------------------------------------------------------------------------
# Exactly one of "valid until" and "long-term": form, service, database
# --------------------------------------------------------------------------------------------------------

FORM_TABLE = [
    # (valid_until, long_term, valid_from, ok, message fragment on valid_until)
    ("2030-01-01", False, "", True, ""),
    ("", True, "", True, ""),
    ("2030-01-01", True, "", False, "long-term licence has no end date"),
    ("", False, "", False, "or tick “long-term”"),
    ("2030-01-01", False, "2030-01-02", False, "cannot be before"),
    ("2030-01-01", False, "2030-01-01", True, ""),
]


@pytest.mark.parametrize(("valid_until", "long_term", "valid_from", "ok", "message"), FORM_TABLE)
def test_licence_form_exactly_one_end(valid_until, long_term, valid_from, ok, message):
    from django.utils import translation

    data = {"kind": "business", "number": "No. 1", "valid_until": valid_until, "valid_from": valid_from}
    if long_term:
        data["long_term"] = "on"
    with translation.override("en"):
        form = LicenceForm(data)
        assert form.is_valid() is ok, form.errors
        if not ok:
            assert message in " ".join(form.errors["valid_until"])


@pytest.mark.parametrize(
    ("valid_until", "long_term", "ok"),
    [(date(2030, 1, 1), False, True), (None, True, True), (date(2030, 1, 1), True, False), (None, False, False)],
)
def test_the_service_and_the_database_refuse_both_or_neither(world, valid_until, long_term, ok):
    alice = actor_for(world.alice)
    d = details(valid_until=valid_until, long_term=long_term)
    if ok:
        assert services.licence_create(actor=alice, details=d).pk
    else:
        with pytest.raises(ValidationError) as exc:
            services.licence_create(actor=alice, details=d)
        assert "valid_until" in exc.value.error_dict
    # The check constraint is the last line: a write that skips the service fails too.
    with scopes_disabled(), transaction.atomic():
        if ok:
            Licence.objects.create(
                enterprise=world.acme, kind="other", number="x", valid_until=valid_until, long_term=long_term
            )
        else:
            with pytest.raises(IntegrityError):
                Licence.objects.create(
                    enterprise=world.acme, kind="other", number="x", valid_until=valid_until, long_term=long_term
                )


def test_the_form_page_says_exactly_one(world, login):
    c = english(login(world.alice))
    html = c.get("/org/licences/new/").content.decode()
    assert "exactly one of the two" in html
    assert "never both and never neither" in html


# --------------------------------------------------------------------------------------------------------
# Scans: the type comes from the content
# --------------------------------------------------------------------------------------------------------

SCAN_TABLE = [
    # (id, file name, content, accepted extension or None)
    ("pdf", "licence.pdf", PDF, ".pdf"),
    ("png", "licence.png", png_bytes(), ".png"),
    ("jpeg", "photo.JPG", png_bytes(fmt="JPEG"), ".jpg"),
    ("png-named-pdf", "licence.pdf", png_bytes(), ".png"),  # the name lies; the content decides
    ("pdf-named-jpg", "licence.jpg", PDF, ".pdf"),
    ("html-named-pdf", "licence.pdf", b"<html><script>alert(1)</script></html>", None),
    ("text-named-png", "licence.png", b"just some text, not an image", None),
    ("truncated-png", "licence.png", png_bytes((64, 64))[:40], None),
    ("gif", "licence.gif", png_bytes(fmt="GIF"), None),  # a real image, but not a scan format we keep
    ("pdf-lookalike", "licence.pdf", b"% PDF-1.4 not quite", None),
    ("exe-named-pdf", "licence.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, None),
    ("empty", "licence.pdf", b"", None),
]


@pytest.mark.parametrize(("name", "content", "ext"), [pytest.param(*row[1:], id=row[0]) for row in SCAN_TABLE])
def test_validate_scan(name, content, ext):
    f = upload(name, content)
    if ext is None:
        with pytest.raises(ValidationError):
            scans.validate_scan(f, max_bytes=1024 * 1024)
    else:
        assert scans.validate_scan(f, max_bytes=1024 * 1024) == ext
        assert f.tell() == 0  # left ready to be stored


@pytest.mark.parametrize(("size", "ok"), [(1000, True), (1001, False)])
def test_scan_size_limit_is_a_setting(settings, size, ok):
    settings.LICENCE_SCAN_MAX_BYTES = 1000
    f = upload("big.pdf", PDF + b"0" * (size - len(PDF)))
    if ok:
        assert scans.validate_scan(f) == ".pdf"
    else:
        with pytest.raises(ValidationError) as exc:
            scans.validate_scan(f)
        assert exc.value.code == "too_big"


def test_a_decompression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 8×8 = 64 pixels pass, 16×16 = 256 are a "bomb"
    assert scans.validate_scan(upload("ok.png", png_bytes((8, 8))), max_bytes=10**6) == ".png"
    with pytest.raises(ValidationError):
        scans.validate_scan(upload("bomb.png", png_bytes((16, 16))), max_bytes=10**6)


def test_a_scan_is_stored_under_a_random_name(world, media):
    with time_machine.travel(NOW, tick=False):
        licence = services.licence_create(
            actor=actor_for(world.alice), details=details(), scan=upload("../../etc/营业执照 final.pdf", PDF)
        )
    name = licence.scan.name
    assert re.fullmatch(r"licences/2026/03/[0-9a-f]{32}\.pdf", name), name
    assert default_storage.exists(name)
    assert (media / name).read_bytes() == PDF


def test_a_refused_scan_stores_nothing_and_saves_nothing(world, media):
    with pytest.raises(ValidationError) as exc:
        services.licence_create(actor=actor_for(world.alice), details=details(), scan=upload("x.pdf", b"<html>"))
    assert "scan" in exc.value.error_dict
    with scopes_disabled():
        assert not Licence.objects.exists()
    assert not list(media.rglob("*.*"))


def test_a_failed_save_leaves_no_orphan_file(world, media):
    """The file is written inside the transaction; when the row cannot be saved, the file goes too."""
    with pytest.raises(ValidationError):
        services.licence_create(
            actor=actor_for(world.alice), details=details(kind="no-such-kind"), scan=upload("x.pdf", PDF)
        )
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_replacing_and_removing_a_scan_deletes_the_old_file_on_commit(world, media, django_capture_on_commit_callbacks):
    alice = actor_for(world.alice)
    licence = services.licence_create(actor=alice, details=details(), scan=upload("a.pdf", PDF))
    first = licence.scan.name
    with django_capture_on_commit_callbacks(execute=True):
        licence = services.licence_update(
            actor=alice,
            licence_id=licence.pk,
            details=details(number=licence.number),
            scan=upload("b.png", png_bytes()),
        )
    second = licence.scan.name
    assert second.endswith(".png") and second != first
    assert not default_storage.exists(first) and default_storage.exists(second)
    with django_capture_on_commit_callbacks(execute=True):
        licence = services.licence_update(
            actor=alice, licence_id=licence.pk, details=details(number=licence.number), remove_scan=True
        )
    assert not licence.scan and not default_storage.exists(second)


# --------------------------------------------------------------------------------------------------------
# Services: permission, log, delete
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "allowed"), [("alice", True), ("bob", False), ("gov_alice", False)])
def test_who_may_create_a_licence(world, who, allowed):
    actor = world.actor(who)
    if allowed:
        licence = services.licence_create(actor=actor, details=details())
        assert licence.enterprise_id == world.acme.pk
        with scopes_disabled():
            assert OperationLog.objects.filter(action="create", object_id=str(licence.pk)).count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.licence_create(actor=actor, details=details())


def test_a_custom_role_grants_licences_manage(world):
    from enterprises.models import Role

    with scopes_disabled():
        role = Role.objects.create(enterprise=world.acme, name="证照管理员", permissions=["licences.manage"])
        world.bob.custom_roles.add(role)
    assert services.licence_create(actor=actor_for(world.bob), details=details()).pk


def test_update_logs_what_changed_and_delete_logs_and_removes(world, media, django_capture_on_commit_callbacks):
    alice = actor_for(world.alice)
    licence = services.licence_create(actor=alice, details=details(), scan=upload("a.pdf", PDF))
    services.licence_update(
        actor=alice, licence_id=licence.pk, details=details(number=licence.number, issued_by="泸州市应急管理局")
    )
    with scopes_disabled():
        update = OperationLog.objects.get(action="update", object_id=str(licence.pk))
    assert update.detail == "issued_by"
    with django_capture_on_commit_callbacks(execute=True):
        services.licence_delete(actor=alice, licence_id=licence.pk)
    with scopes_disabled():
        assert not Licence.objects.filter(pk=licence.pk).exists()
        assert OperationLog.objects.filter(action="delete", object_id=str(licence.pk)).count() == 1
    assert not default_storage.exists(licence.scan.name)


def test_another_enterprise_cannot_touch_the_licence(world):
    from django.http import Http404

    licence = make_licence(world.acme)
    charlie = actor_for(world.charlie)
    with pytest.raises(Http404):
        services.licence_update(actor=charlie, licence_id=licence.pk, details=details())
    with pytest.raises(Http404):
        services.licence_delete(actor=charlie, licence_id=licence.pk)
    with scopes_disabled():
        assert Licence.objects.filter(pk=licence.pk, number=licence.number).exists()


# --------------------------------------------------------------------------------------------------------
# Views: permission tables (alice / bob / charlie and the government)
# --------------------------------------------------------------------------------------------------------

PAGE_PERMISSIONS = [
    # (page, who, expected status)
    ("list", "alice", 200),
    ("list", "bob", 403),
    ("list", "charlie", 200),  # charlie's own (empty) list
    ("list", "gov_alice", 403),
    ("new", "alice", 200),
    ("new", "bob", 403),
    ("new", "gov_alice", 403),
    ("edit", "alice", 200),
    ("edit", "bob", 403),
    ("edit", "charlie", 404),
    ("edit", "gov_alice", 404),
    ("delete", "alice", 200),
    ("delete", "bob", 403),
    ("delete", "charlie", 404),
    ("scan", "alice", 200),
    ("scan", "bob", 403),
    ("scan", "charlie", 404),
    ("scan", "gov_alice", 200),  # the government of the jurisdiction may read the scan
    ("scan", "gov_bob", 200),
    ("scan", "city_reviewer", 200),
    ("scan", "gov_charlie", 404),
]


def _page_url(page: str, licence: Licence) -> str:
    return {
        "list": "/org/licences/",
        "new": "/org/licences/new/",
        "edit": f"/org/licences/{licence.pk}/",
        "delete": f"/org/licences/{licence.pk}/delete/",
        "scan": f"/licences/{licence.pk}/scan/",
    }[page]


@pytest.mark.parametrize(("page", "who", "status"), PAGE_PERMISSIONS)
def test_licence_page_permissions(world, login, media, page, who, status):
    licence = services.licence_create(actor=actor_for(world.alice), details=details(), scan=upload("a.pdf", PDF))
    r = login(getattr(world, who)).get(_page_url(page, licence))
    assert r.status_code == status
    if page == "list" and status == 200 and who != "alice":
        assert licence.number not in r.content.decode()


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("charlie", 404), ("gov_alice", 404)])
def test_forbidden_posts_change_nothing(world, login, who, status):
    licence = make_licence(world.acme)
    c = login(getattr(world, who))
    body = {"kind": "other", "number": "CHANGED", "valid_until": "2031-01-01"}
    assert c.post(f"/org/licences/{licence.pk}/", body).status_code == status
    assert c.post(f"/org/licences/{licence.pk}/delete/").status_code == status
    with scopes_disabled():
        assert Licence.objects.get(pk=licence.pk).number == licence.number


def test_the_scan_is_served_inline_with_its_real_type(world, login, media):
    licence = services.licence_create(
        actor=actor_for(world.alice), details=details(), scan=upload("x.pdf", png_bytes())
    )
    r = login(world.gov_alice).get(f"/licences/{licence.pk}/scan/")
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert b"".join(r.streaming_content) == png_bytes()
    r = login(world.alice).get(f"/licences/{licence.pk}/scan/?download=1")
    assert r["Content-Disposition"].startswith("attachment")


def test_no_scan_is_a_404_and_media_urls_are_not_the_way(world, login, media):
    licence = make_licence(world.acme)
    assert login(world.alice).get(f"/licences/{licence.pk}/scan/").status_code == 404
    assert not django_settings.DEBUG  # media/ is only served by Django in DEBUG; production serves scans here


def test_create_and_edit_through_the_pages(world, login, media):
    c = english(login(world.alice))
    r = c.post(
        "/org/licences/new/",
        {
            "kind": "operating",
            "name": "危险化学品经营许可证",
            "number": "泸市应急经字〔2026〕001",
            "issued_by": "泸州市应急管理局",
            "scope": "汽油、柴油",
            "valid_from": "2026-01-01",
            "valid_until": "2029-12-31",
            "scan": upload("scan.png", png_bytes(), "image/png"),
        },
    )
    assert r.status_code == 302 and r["Location"] == "/org/licences/"
    with scopes_disabled():
        licence = Licence.objects.get(enterprise=world.acme)
    assert (licence.kind, licence.valid_until, licence.scan.name.endswith(".png")) == (
        "operating",
        date(2029, 12, 31),
        True,
    )
    page = c.get(f"/org/licences/{licence.pk}/").content.decode()
    assert 'value="2029-12-31"' in page and "泸市应急经字〔2026〕001" in page
    assert 'data-testid="current-scan"' in page
    r = c.post(
        f"/org/licences/{licence.pk}/",
        {"kind": "operating", "number": licence.number, "long_term": "on", "remove_scan": "on"},
    )
    assert r.status_code == 302
    licence.refresh_from_db()
    assert licence.long_term and licence.valid_until is None and not licence.scan


def test_a_fake_upload_keeps_the_input_and_says_why(world, login, media):
    c = english(login(world.alice))
    r = c.post(
        "/org/licences/new/",
        {
            "kind": "business",
            "number": "KEEP-ME-123",
            "valid_until": "2030-05-01",
            "scan": upload("scan.pdf", b"<html>not a pdf</html>", "application/pdf"),
        },
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "Upload a PDF or a JPEG or PNG image" in html
    assert 'value="KEEP-ME-123"' in html and 'value="2030-05-01"' in html
    with scopes_disabled():
        assert not Licence.objects.exists()


def test_other_errors_ask_to_choose_the_file_again(world, login, media):
    c = english(login(world.alice))
    r = c.post(
        "/org/licences/new/",
        {
            "kind": "business",
            "number": "N1",
            "valid_until": "2030-05-01",
            "long_term": "on",
            "scan": upload("scan.pdf", PDF),
        },
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "choose the file again" in html and "long-term licence has no end date" in html


# --------------------------------------------------------------------------------------------------------
# The enterprise's list: states, filters, export
# --------------------------------------------------------------------------------------------------------


@pytest.fixture
def four_states(world):
    return {
        "valid": make_licence(world.acme, days=200, number="VALID-1"),
        "expiring": make_licence(world.acme, days=5, number="EXPIRING-1"),
        "expired": make_licence(world.acme, days=-5, number="EXPIRED-1"),
        "long_term": make_licence(world.acme, long_term=True, kind=Licence.Kind.BUSINESS, number="LONG-1"),
    }


@pytest.mark.parametrize("state", ["valid", "expiring", "expired", "long_term"])
def test_state_filter(world, login, four_states, on_today, state):
    html = login(world.alice).get("/org/licences/", {"state": state}).content.decode()
    shown = {k for k, lic in four_states.items() if lic.number in html}
    assert shown == {state}


def test_kind_and_text_filters(world, login, four_states, on_today):
    c = login(world.alice)
    html = c.get("/org/licences/", {"kind": "business"}).content.decode()
    assert "LONG-1" in html and "VALID-1" not in html
    html = c.get("/org/licences/", {"q": "expir"}).content.decode()
    assert "EXPIRING-1" in html and "EXPIRED-1" in html and "VALID-1" not in html


def test_export_has_the_filtered_rows_with_state_and_days(world, login, four_states, on_today):
    c = english(login(world.alice))
    r = c.get("/org/licences/", {"export": "xlsx"})
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.values)
    header, body = rows[0], rows[1:]
    assert "Scan" not in header and "" not in header  # links and buttons stay on screen
    by_number = {row[header.index("Licence number")]: row for row in body}
    assert set(by_number) == {"VALID-1", "EXPIRING-1", "EXPIRED-1", "LONG-1"}
    assert by_number["EXPIRING-1"][header.index("Days left")] == 5
    assert by_number["EXPIRED-1"][header.index("Days left")] == -5
    assert by_number["EXPIRED-1"][header.index("State")] == "Expired"
    assert by_number["LONG-1"][header.index("Valid until")] == "Long-term"
    r = c.get("/org/licences/", {"export": "xlsx", "state": "expiring"})
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.values)
    assert [row[header.index("Licence number")] for row in rows[1:]] == ["EXPIRING-1"]


# --------------------------------------------------------------------------------------------------------
# Government lists: the jurisdiction's expiring and expired documents
# --------------------------------------------------------------------------------------------------------


@pytest.fixture
def spread(world):
    """Expiring and expired licences and certificates in acme (南城), other (龙马潭) and far (贵阳)."""
    deleted = EnterpriseFactory(
        name="已删除企业", owning_body=world.nancheng_office, region=world.nancheng, deleted_at="2026-01-01T00:00Z"
    )
    return {
        "acme_expiring": make_licence(world.acme, days=3, number="ACME-EXPIRING"),
        "acme_expired": make_licence(world.acme, days=-12, number="ACME-EXPIRED"),
        "acme_valid": make_licence(world.acme, days=90, number="ACME-VALID"),
        "acme_long": make_licence(world.acme, long_term=True, number="ACME-LONG"),
        "other_expiring": make_licence(world.other, days=20, number="OTHER-EXPIRING", kind=Licence.Kind.MINING),
        "far_expiring": make_licence(world.far, days=1, number="FAR-EXPIRING"),
        "deleted_expired": make_licence(deleted, days=-1, number="DELETED-EXPIRED"),
        "cert_expiring": make_certificate(world.acme, days=10, staff_name="焊工甲"),
        "cert_expired": make_certificate(world.acme, days=-40, staff_name="电工乙"),
        "cert_far": make_certificate(world.far, days=-40, staff_name="远方丙"),
    }


GOV_LISTS = [
    # (who, url, numbers or staff names expected)
    ("gov_alice", "/gov/licences/expiring/", {"ACME-EXPIRING"}),
    ("gov_alice", "/gov/licences/expired/", {"ACME-EXPIRED"}),
    ("gov_bob", "/gov/licences/expired/", {"ACME-EXPIRED"}),  # read-only leaders read these lists
    ("city_reviewer", "/gov/licences/expiring/", {"ACME-EXPIRING", "OTHER-EXPIRING"}),
    ("gov_charlie", "/gov/licences/expiring/", {"FAR-EXPIRING"}),
    ("gov_alice", "/gov/licences/expiring/certificates/", {"焊工甲"}),
    ("gov_alice", "/gov/licences/expired/certificates/", {"电工乙"}),
    ("gov_charlie", "/gov/licences/expired/certificates/", {"远方丙"}),
]
EVERY_MARK = {
    "ACME-EXPIRING",
    "ACME-EXPIRED",
    "ACME-VALID",
    "ACME-LONG",
    "OTHER-EXPIRING",
    "FAR-EXPIRING",
    "DELETED-EXPIRED",
    "焊工甲",
    "电工乙",
    "远方丙",
}


@pytest.mark.parametrize(("who", "url", "expected"), GOV_LISTS)
def test_government_expiry_lists_show_the_jurisdiction_only(world, login, spread, on_today, who, url, expected):
    r = login(getattr(world, who)).get(url)
    assert r.status_code == 200
    html = r.content.decode()
    assert {m for m in EVERY_MARK if m in html} == expected


def test_government_list_columns_and_days_overdue(world, login, spread, on_today):
    c = english(login(world.gov_alice))
    r = c.get("/gov/licences/expired/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.values)
    header = rows[0]
    for column in (
        "Enterprise",
        "Region",
        "Industry category",
        "Kind",
        "Licence number",
        "Valid until",
        "Days overdue",
        "Operating status",
    ):
        assert column in header
    [row] = rows[1:]
    assert row[header.index("Enterprise")] == world.acme.name
    assert row[header.index("Days overdue")] == 12
    assert row[header.index("Region")] == world.nancheng.name
    r = c.get("/gov/licences/expiring/certificates/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.values)
    assert rows[0][rows[0].index("Days left")] == "Days left"
    assert rows[1][rows[0].index("Days left")] == 10
    assert rows[1][rows[0].index("Staff member")] == "焊工甲"


GOV_FILTERS = [
    ({"region": "longmatan"}, {"OTHER-EXPIRING"}),
    ({"region": "nancheng"}, {"ACME-EXPIRING"}),
    ({"industry": "hazardous_chemicals"}, {"ACME-EXPIRING"}),
    ({"industry": "machinery"}, {"OTHER-EXPIRING"}),
    ({"kind": "mining"}, {"OTHER-EXPIRING"}),
    ({"enterprise": "阿克米"}, {"ACME-EXPIRING"}),
    ({"operating_status": "suspended"}, set()),
]


@pytest.mark.parametrize(("params", "expected"), GOV_FILTERS)
def test_government_list_filters(world, login, spread, on_today, params, expected):
    params = dict(params)
    if "region" in params:
        params["region"] = getattr(world, params["region"]).pk
    html = login(world.city_reviewer).get("/gov/licences/expiring/", params).content.decode()
    assert {m for m in EVERY_MARK if m in html} == expected


def test_enterprise_filter_by_credit_code(world, login, spread, on_today):
    html = login(world.city_reviewer).get("/gov/licences/expiring/", {"enterprise": world.other.credit_code})
    assert {m for m in EVERY_MARK if m in html.content.decode()} == {"OTHER-EXPIRING"}


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("alice", "/gov/licences/expiring/", 403),
        ("alice", "/gov/licences/expired/certificates/", 403),
        ("gov_alice", "/gov/licences/soon/", 404),
        ("gov_alice", "/gov/licences/", 200),
    ],
)
def test_government_lists_are_for_government_users(world, login, who, url, status):
    assert login(getattr(world, who)).get(url).status_code == status


def test_region_filter_offers_only_the_jurisdiction(world, login):
    html = login(world.gov_alice).get("/gov/licences/expiring/").content.decode()
    assert world.nancheng.name in html or world.nancheng.name_en in html
    assert world.guiyang.name not in html and world.longmatan.name not in html


# --------------------------------------------------------------------------------------------------------
# Inbox and menus
# --------------------------------------------------------------------------------------------------------


def test_inbox_lists_expiring_and_expired_documents_for_managers(world, login, spread, on_today):
    sam = MembershipFactory(
        user=UserFactory(username="sam"), enterprise=world.acme, role=Membership.Role.SAFETY_MANAGER
    )
    for member in (world.alice, sam):
        html = login(member, Client()).get("/inbox/").content.decode()
        assert "ACME-EXPIRING" in html and "ACME-EXPIRED" in html
        assert "ACME-VALID" not in html and "ACME-LONG" not in html
        assert "焊工甲" in html and "电工乙" in html
        assert "OTHER-EXPIRING" not in html and "远方丙" not in html
    html = login(world.bob, Client()).get("/inbox/").content.decode()
    assert "ACME-EXPIRING" not in html and "焊工甲" not in html


def test_menus(world):
    from safety.tenancy import actor_scope

    def entries(who):
        actor = world.actor(who)
        with actor_scope(actor):  # as in a request: custom roles are read in the actor's scope
            return {(e.url_name, e.args) for e in menu_for(actor)}

    mine = {("enterprises:licences", ()), ("enterprises:suspensions", ())}
    assert mine <= entries("alice")
    assert not mine & entries("bob")
    gov = {
        ("enterprises:gov_licences_expiry", ("expiring",)),
        ("enterprises:gov_licences_expiry", ("expired",)),
        ("enterprises:gov_suspensions", ()),
    }
    assert gov <= entries("gov_alice") and gov <= entries("gov_bob")
    for who in ("alice", "gov_alice"):
        actor = world.actor(who)
        with actor_scope(actor):
            assert all(entry.url for entry in menu_for(actor))  # every entry reverses


# --------------------------------------------------------------------------------------------------------
# Query counts: flat in the number of rows
# --------------------------------------------------------------------------------------------------------

FEW, MANY = 2, 30
COUNTED_PAGES = [
    ("alice", "/org/licences/"),
    ("alice", "/org/licences/?state=expiring"),
    ("alice", "/inbox/"),
    ("alice", "/"),
    ("gov_alice", "/gov/licences/expiring/"),
    ("gov_alice", "/gov/licences/expired/"),
    ("city_reviewer", "/gov/licences/expiring/"),
    ("gov_alice", "/gov/licences/expiring/certificates/"),
    ("gov_alice", "/gov/licences/expired/certificates/"),
]


class Documents:
    def __init__(self, world) -> None:
        self.world, self.n = world, 0
        self.enterprises = [world.acme] + [
            EnterpriseFactory(owning_body=world.nancheng_office, region=world.nancheng) for _ in range(3)
        ]

    def grow_to(self, n: int) -> None:
        while self.n < n:
            i = self.n
            enterprise = self.world.acme if i % 2 else self.enterprises[i % len(self.enterprises)]
            make_licence(enterprise, days=(i % 20) - 10, scan=f"licences/2026/03/{i:032x}.pdf" if i % 3 else "")
            make_certificate(enterprise, days=(i % 20) - 10, staff_name=f"员工{i}")
            self.n += 1


def _measure(c: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        r = c.get(url)
    assert r.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize(("who", "url"), COUNTED_PAGES)
def test_list_query_counts_are_flat(world, login, on_today, who, url):
    from approvals.inbox import providers

    docs = Documents(world)
    c = login(getattr(world, who))
    docs.grow_to(FEW)
    c.get(url)
    few = _measure(c, url)
    docs.grow_to(MANY)
    many = _measure(c, url)
    # The inbox shows a few items and COUNTs a section only once it overflows: at most one query per provider.
    allowance = len(providers()) if url in ("/inbox/", "/") else 0
    assert len(few) <= len(many) <= len(few) + allowance, "\n".join(many)
    docs.grow_to(MANY * 2)
    assert len(_measure(c, url)) == len(many)
    assert len(many) <= 25


# --------------------------------------------------------------------------------------------------------
# Admin (support): scoped like every tenant model
# --------------------------------------------------------------------------------------------------------


def test_admin_changelist_is_scoped_for_staff(world, login):
    from django.contrib.auth.models import Permission

    user = world.alice.user
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_licence", "view_suspensionapplication"]))
    make_licence(world.acme, number="ACME-ADMIN")
    make_licence(world.far, number="FAR-ADMIN")
    html = login(world.alice).get("/admin/enterprises/licence/").content.decode()
    assert "ACME-ADMIN" in html and "FAR-ADMIN" not in html
    assert login(world.alice).get("/admin/enterprises/suspensionapplication/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/org/licences/",
        "/org/licences/new/",
        "/org/licences/1/",
        "/org/licences/1/delete/",
        "/licences/1/scan/",
        "/org/suspension/",
        "/org/suspension/apply/",
        "/org/suspension/1/",
        "/gov/licences/expiring/",
        "/gov/licences/expired/certificates/",
        "/gov/suspensions/all/",
        "/gov/suspension/1/",
    ],
)
def test_anonymous_users_are_sent_to_log_in(client, db, url):
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
