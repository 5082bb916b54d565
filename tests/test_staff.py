"""Staff records and their certificates: rules, validated image uploads, the scoped image view, the list."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook
from PIL import Image

from approvals.models import OperationLog
from enterprises import services
from enterprises.models import Certificate, Department, Membership, Position, Staff
from safety.tenancy import scopes_disabled

from .factories import MembershipFactory, UserFactory

ID_A = "11010519491231002X"
ID_B = "110105194912310038"  # the next serial number, with its check character


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    """English messages; uploaded files in a temporary folder."""
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        yield


def image_bytes(fmt: str = "PNG", size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_staff(enterprise, name="张三", **extra) -> Staff:
    with scopes_disabled():
        return Staff.objects.create(enterprise=enterprise, name=name, **extra)


def reload(obj):
    with scopes_disabled():
        return type(obj)._base_manager.get(pk=obj.pk)


def details(**kw) -> services.StaffDetails:
    return services.StaffDetails(**{"name": "张三", **kw})


def cert(**kw) -> services.CertificateDetails:
    return services.CertificateDetails(**{"kind": "safety_manager", "number": "AQ-001", **kw})


# --------------------------------------------------------------------------------------------------------
# Staff rules
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({}, None),
        ({"id_number": ID_A.lower(), "phone": "0830-1234567", "gender": "female"}, None),
        ({"name": "  "}, "name"),
        ({"id_number": "123"}, "id_number"),
        ({"id_number": "110105194912310021"}, "id_number"),  # wrong check character
        ({"phone": "call me"}, "phone"),
        ({"gender": "other"}, "gender"),
    ],
)
def test_staff_fields_are_checked(world, fields, error_field):
    alice = world.actor("alice")
    if error_field is None:
        staff = services.staff_create(actor=alice, details=details(**fields))
        assert staff.id_number == fields.get("id_number", "").upper()
        return
    with pytest.raises(ValidationError) as exc:
        services.staff_create(actor=alice, details=details(**fields))
    assert error_field in exc.value.message_dict


@pytest.mark.parametrize(
    ("existing_in", "ok"),
    [("acme", False), ("far", True)],  # unique within the enterprise only
)
def test_id_numbers_are_unique_within_the_enterprise(world, existing_in, ok):
    make_staff(getattr(world, existing_in), "李四", id_number=ID_A)
    if ok:
        services.staff_create(actor=world.actor("alice"), details=details(id_number=ID_A))
        return
    with pytest.raises(ValidationError) as exc:
        services.staff_create(actor=world.actor("alice"), details=details(id_number=ID_A))
    assert "李四 already has this ID card number" in exc.value.message_dict["id_number"][0]


def test_editing_keeps_ones_own_id_number_and_logs_the_change(world):
    alice = world.actor("alice")
    staff = services.staff_create(actor=alice, details=details(id_number=ID_A))
    services.staff_update(actor=alice, staff_id=staff.pk, details=details(id_number=ID_A, occupational_exposure=True))
    assert reload(staff).occupational_exposure is True
    entry = OperationLog.objects.filter(action="update", object_id=str(staff.pk)).get()
    assert entry.detail == "occupational_exposure: no → yes"


def test_another_enterprises_department_is_refused(world):
    with scopes_disabled():
        theirs = Department.objects.create(enterprise=world.far, name="远方部门")
    with pytest.raises(ValidationError) as exc:
        services.staff_create(actor=world.actor("alice"), details=details(department=theirs))
    assert "department" in exc.value.message_dict


@pytest.mark.parametrize(
    ("account", "ok"),
    [(None, True), ("active", False), ("disabled", True)],
)
def test_a_person_with_an_active_account_is_not_deleted(world, account, ok):
    staff = make_staff(world.acme)
    if account:
        MembershipFactory(user=UserFactory(username="zs"), enterprise=world.acme, staff=staff, status=account)
    if ok:
        services.staff_delete(actor=world.actor("alice"), staff_id=staff.pk)
        with scopes_disabled():
            assert not Staff.objects.filter(pk=staff.pk).exists()
        if account:
            assert Membership.objects.get(user__username="zs").staff_id is None  # the account stays
    else:
        with pytest.raises(ValidationError) as exc:
            services.staff_delete(actor=world.actor("alice"), staff_id=staff.pk)
        assert "disable the account first" in exc.value.messages[0]


# --------------------------------------------------------------------------------------------------------
# Certificates and their images
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({}, None),
        ({"kind": "special_operations", "operation_type": "电工作业"}, None),
        ({"kind": "special_operations"}, "operation_type"),
        ({"number": " "}, "number"),
        ({"kind": "driving"}, "kind"),
        ({"issued_on": date(2024, 5, 1), "expires_on": date(2024, 4, 30)}, "expires_on"),
        ({"issued_on": date(2024, 5, 1), "expires_on": date(2024, 5, 1)}, None),
    ],
)
def test_certificate_fields(world, fields, error_field):
    staff = make_staff(world.acme)
    alice = world.actor("alice")
    if error_field is None:
        services.certificate_create(actor=alice, staff_id=staff.pk, details=cert(**fields))
        assert reload(staff).has_certificates is True  # a certificate on file sets the flag
        return
    with pytest.raises(ValidationError) as exc:
        services.certificate_create(actor=alice, staff_id=staff.pk, details=cert(**fields))
    assert error_field in exc.value.message_dict


def _fake_files():
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    truncated = image_bytes("PNG", (64, 64))[:60]
    return [
        pytest.param("scan.png", pdf, "not a JPEG, PNG or WebP image", id="pdf-renamed-png"),
        pytest.param("scan.jpg", b"just some text, honestly an image", "not a JPEG, PNG or WebP image", id="text"),
        pytest.param("scan.png", truncated, "not a JPEG, PNG or WebP image", id="truncated-png"),
        pytest.param("scan.gif", image_bytes("GIF"), "this one is GIF", id="gif"),
        pytest.param("scan.bmp", image_bytes("BMP"), "this one is BMP", id="bmp"),
        pytest.param("empty.png", b"", "empty", id="empty"),
    ]


@pytest.mark.parametrize(("name", "content", "message"), _fake_files())
def test_fake_or_unsupported_images_are_refused(world, name, content, message):
    staff = make_staff(world.acme)
    with pytest.raises(ValidationError) as exc:
        services.certificate_create(
            actor=world.actor("alice"), staff_id=staff.pk, details=cert(), image=upload(name, content)
        )
    assert message in exc.value.message_dict["image"][0]
    with scopes_disabled():
        assert not Certificate.objects.exists()


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_real_images_are_stored_under_a_random_name(world, fmt, ext):
    staff = make_staff(world.acme)
    certificate = services.certificate_create(
        actor=world.actor("alice"),
        staff_id=staff.pk,
        details=cert(),
        image=upload("张三 身份证 ../../etc.gif", image_bytes(fmt), "application/octet-stream"),
    )
    name = reload(certificate).image.name
    assert name.startswith("certificates/") and name.endswith(f".{ext}")
    stem = name.rsplit("/", 1)[-1].split(".")[0]
    assert len(stem) == 32 and all(c in "0123456789abcdef" for c in stem)  # nothing of the user's file name
    assert default_storage.exists(name)


def test_the_size_limit_is_a_setting(world, settings):
    settings.CERTIFICATE_IMAGE_MAX_BYTES = 500
    staff = make_staff(world.acme)
    big = image_bytes("PNG", (300, 300))
    assert len(big) > 500
    with pytest.raises(ValidationError) as exc:
        services.certificate_create(
            actor=world.actor("alice"), staff_id=staff.pk, details=cert(), image=upload("big.png", big)
        )
    assert "at most 500" in exc.value.message_dict["image"][0]


def test_the_upload_form_shows_the_problem_inline_and_keeps_the_input(world, login):
    staff = make_staff(world.acme)
    r = login(world.alice).post(
        f"/org/staff/{staff.pk}/certificates/new/",
        {"kind": "other", "number": "ZS-9", "image": upload("scan.png", b"%PDF-1.4 not an image")},
    )
    body = r.content.decode()
    assert r.status_code == 200 and "not a JPEG, PNG or WebP image" in body and 'value="ZS-9"' in body
    with scopes_disabled():
        assert not Certificate.objects.exists()


def test_replacing_and_removing_an_image_deletes_the_old_file(world, django_capture_on_commit_callbacks):
    staff = make_staff(world.acme)
    alice = world.actor("alice")
    with django_capture_on_commit_callbacks(execute=True):
        c = services.certificate_create(
            actor=alice, staff_id=staff.pk, details=cert(), image=upload("a.png", image_bytes())
        )
    first = reload(c).image.name
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_update(
            actor=alice, certificate_id=c.pk, details=cert(), image=upload("b.jpg", image_bytes("JPEG"))
        )
    second = reload(c).image.name
    assert second != first and not default_storage.exists(first) and default_storage.exists(second)
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_update(actor=alice, certificate_id=c.pk, details=cert(), remove_image=True)
    assert not reload(c).image and not default_storage.exists(second)
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_update(
            actor=alice, certificate_id=c.pk, details=cert(), image=upload("c.png", image_bytes())
        )
    third = reload(c).image.name
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_delete(actor=alice, staff_id=staff.pk)
    assert not default_storage.exists(third)  # deleting the person deletes the files
    actions = list(
        OperationLog.objects.filter(object_id=str(c.pk), object_type="certificate")
        .order_by("pk")
        .values_list("detail", flat=True)
    )
    assert "image replaced" in actions[1] and "image removed" in actions[2]


@pytest.fixture
def pictured(world):
    staff = make_staff(world.acme, "持证人")
    return services.certificate_create(
        actor=world.actor("alice"), staff_id=staff.pk, details=cert(), image=upload("x.jpg", image_bytes("JPEG"))
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("alice", 200),
        ("gov_alice", 200),  # the owning body checks certificates (read-only)
        ("bob", 403),  # of acme, without staff.manage
        ("charlie", 404),
        ("gov_charlie", 404),
    ],
)
def test_the_image_is_served_only_through_the_scoped_view(world, login, pictured, who, status):
    r = login(getattr(world, who)).get(f"/org/certificates/{pictured.pk}/image/")
    assert r.status_code == status
    if status == 200:
        assert r["Content-Type"] == "image/jpeg"
        assert r["X-Content-Type-Options"] == "nosniff"
        assert b"".join(r.streaming_content).startswith(b"\xff\xd8")


def test_media_files_have_no_public_url(world, client, pictured, settings):
    assert settings.DEBUG is False
    assert client.get(f"/{settings.MEDIA_URL}{pictured.image.name}").status_code == 404


@pytest.mark.parametrize(
    ("who", "status", "editable"), [("alice", 200, True), ("gov_alice", 200, False), ("bob", 403, None)]
)
def test_staff_detail_page(world, login, pictured, who, status, editable):
    r = login(getattr(world, who)).get(f"/org/staff/{pictured.staff_id}/")
    assert r.status_code == status
    if status == 200:
        body = r.content.decode()
        assert "持证人" in body and "AQ-001" in body and f"/org/certificates/{pictured.pk}/image/" in body
        assert ("add-certificate" in body) is editable


# --------------------------------------------------------------------------------------------------------
# The list: filters and the Excel export
# --------------------------------------------------------------------------------------------------------


@pytest.fixture
def people(world):
    with scopes_disabled():
        production = Department.objects.create(enterprise=world.acme, name="生产部")
        workshop = Department.objects.create(enterprise=world.acme, name="一车间", level="workshop", parent=production)
        office = Department.objects.create(enterprise=world.acme, name="办公室")
        welder = Position.objects.create(enterprise=world.acme, name="焊工")
    make_staff(
        world.acme,
        "甲",
        department=workshop,
        position=welder,
        has_certificates=True,
        id_number=ID_A,
        hired_on=date(2020, 1, 2),
        gender="male",
    )
    make_staff(world.acme, "乙", department=production, occupational_exposure=True, phone="13800000001")
    make_staff(world.acme, "丙", department=office, is_active=False)
    make_staff(world.far, "外人")
    return {"production": production, "workshop": workshop, "office": office, "welder": welder}


def _names(page: str) -> set[str]:
    return {n for n in ("甲", "乙", "丙", "外人") if f">{n}</a>" in page}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"甲", "乙", "丙"}),
        ("q=甲", {"甲"}),
        (f"q={ID_A.lower()}", {"甲"}),
        ("q=13800000001", {"乙"}),
        ("department={production}", {"甲", "乙"}),  # with its sub-departments
        ("department={workshop}", {"甲"}),
        ("position={welder}", {"甲"}),
        ("has_certificates=true", {"甲"}),
        ("occupational_exposure=true", {"乙"}),
        ("is_active=false", {"丙"}),
        ("is_active=true&has_certificates=false", {"乙"}),
    ],
)
def test_staff_list_filters(world, login, people, query, expected):
    query = query.format(**{k: v.pk for k, v in people.items()})
    page = login(world.alice).get(f"/org/staff/?{query}").content.decode()
    assert _names(page) == expected


def test_the_list_masks_id_numbers_and_the_export_reads_back(world, login, people):
    c = login(world.alice)
    page = c.get("/org/staff/").content.decode()
    assert ID_A not in page and "1101**********002X" in page
    r = c.get("/org/staff/?q=甲&export=xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True))
    header = rows[0]
    assert header[:10] == (
        "Name",
        "Gender",
        "ID card number",
        "Phone",
        "Department",
        "Position",
        "Hired on",
        "Holds certificates",
        "Occupational exposure",
        "Employed",
    )
    row = dict(zip(header, rows[1], strict=True))
    assert len(rows) == 2
    assert row["Name"] == "甲" and row["ID card number"] == ID_A and row["Gender"] == "Male"
    assert row["Department"] == "生产部 / 一车间" and row["Position"] == "焊工"
    assert row["Hired on"].date() == date(2020, 1, 2)
    assert (row["Holds certificates"], row["Occupational exposure"], row["Employed"]) == ("Yes", "No", "Yes")
    entry = OperationLog.objects.get(action="export")
    assert entry.enterprise_id == world.acme.pk and "staff" in entry.detail


def test_an_exported_list_imports_again_into_another_enterprise_shape(world, login, people):
    """The export's headers are the template's: after deleting the people, the export brings them back."""
    c = login(world.alice)
    exported = b"".join(c.get("/org/staff/?export=xlsx").streaming_content)
    with scopes_disabled():
        Staff.objects.filter(enterprise=world.acme).delete()
    r = c.post("/org/staff/import/", {"file": upload("staff.xlsx", exported, "application/octet-stream")})
    assert r.status_code == 302, r.content.decode()[:2000]
    with scopes_disabled():
        back = {s.name: s for s in Staff.objects.filter(enterprise=world.acme)}
    assert set(back) == {"甲", "乙", "丙"}
    assert back["甲"].department == people["workshop"] and back["甲"].id_number == ID_A
    assert back["丙"].is_active is False and back["乙"].occupational_exposure is True


def test_staff_create_screen_keeps_input_on_errors(world, login):
    r = login(world.alice).post("/org/staff/new/", {"name": "王五", "id_number": "12345", "phone": "13800000000"})
    body = r.content.decode()
    assert r.status_code == 200 and 'value="王五"' in body and "18 characters" in body
    r = login(world.alice).post("/org/staff/new/", {"name": "王五", "id_number": ID_B, "is_active": "on"})
    with scopes_disabled():
        staff = Staff.objects.get(name="王五")
    assert r["Location"] == f"/org/staff/{staff.pk}/"
    assert staff.is_active and staff.id_number == ID_B


def test_clearing_the_department_is_logged_once(world):
    with scopes_disabled():
        office = Department.objects.create(enterprise=world.acme, name="办公室")
    alice = world.actor("alice")
    staff = services.staff_create(actor=alice, details=details(department=office))
    services.staff_update(actor=alice, staff_id=staff.pk, details=details(department=None))
    assert reload(staff).department_id is None
    entry = OperationLog.objects.get(action="update", object_id=str(staff.pk))
    assert entry.detail == f"department_id: {office.pk} → —"
