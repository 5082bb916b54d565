"""Staff Excel import: the template, good / bad / mixed files (all or nothing), file-level refusals, the report."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from approvals.models import OperationLog
from enterprises import organisation as rules
from enterprises.models import Department, Position, Staff
from safety.tenancy import scopes_disabled

HEADERS = [
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
]


def valid_id(serial: int) -> str:
    first17 = f"51050219900101{serial:03d}"
    return first17 + rules.id_check_character(first17)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def org(world):
    """acme: 生产部 > 一车间, 安全部 > 一车间 (the name twice), 办公室; positions 焊工, 电工."""
    with scopes_disabled():
        production = Department.objects.create(enterprise=world.acme, name="生产部")
        safety = Department.objects.create(enterprise=world.acme, name="安全部")
        workshop = Department.objects.create(enterprise=world.acme, name="一车间", level="workshop", parent=production)
        Department.objects.create(enterprise=world.acme, name="一车间", level="workshop", parent=safety)
        office = Department.objects.create(enterprise=world.acme, name="办公室")
        welder = Position.objects.create(enterprise=world.acme, name="焊工")
        Position.objects.create(enterprise=world.acme, name="电工")
        Staff.objects.create(enterprise=world.acme, name="老员工", id_number=valid_id(900))
    return {"production": production, "workshop": workshop, "office": office, "welder": welder}


def row(**cells) -> list:
    values = {
        "Name": "张三",
        "Gender": "男",
        "ID card number": valid_id(1),
        "Phone": "13800000000",
        "Department": "办公室",
        "Position": "焊工",
        "Hired on": "2024-03-01",
        "Holds certificates": "否",
        "Occupational exposure": "否",
        "Employed": "是",
    }
    values.update({k.replace("_", " "): v for k, v in cells.items()})
    return [values[h] for h in HEADERS]


def xlsx(rows: list[list], headers: list[str] | None = None, title: str = "Staff") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers if headers is not None else HEADERS)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def post(client, content: bytes, name: str = "staff.xlsx"):
    return client.post("/org/staff/import/", {"file": SimpleUploadedFile(name, content)})


def acme_names() -> set[str]:
    with scopes_disabled():
        return set(Staff.objects.filter(enterprise__name="阿克米化工有限公司").values_list("name", flat=True))


def errors_on_page(response) -> list[tuple[int, str, str]]:
    table = response.content.decode().split('data-testid="import-errors"')[1].split("</tbody>")[0]
    found = []
    for tr in table.split("<tr>")[2:]:
        cells = [c.split("</td>")[0] for c in tr.split("<td>")[1:]]
        found.append((int(cells[0]), cells[1], cells[2]))
    return found


# --------------------------------------------------------------------------------------------------------
# The template
# --------------------------------------------------------------------------------------------------------


def test_the_template_has_headers_an_example_and_instructions(world, login, org):
    r = login(world.alice).get("/org/staff/import/template/")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(r.content))
    staff, info = wb.worksheets
    header = [c.value for c in staff[1]]
    assert [h.rstrip(" *") for h in header] == HEADERS and header[0] == "Name *"
    example = [c.value for c in staff[2]]
    assert example[0] == "Example: Zhang San"
    rules.validate_id_number(example[2])
    assert staff["C3"].number_format == "@"  # ID numbers as text: Excel would round them
    text = "\n".join(str(c.value) for r_ in info.iter_rows() for c in r_ if c.value)
    for expected in ("生产部 / 一车间", "安全部 / 一车间", "办公室", "焊工", "电工", "Row 2 is an example"):
        assert expected in text


def test_the_template_imports_as_it_is_with_nothing_to_import(world, login, org):
    """The example row is skipped, so an untouched template says there is nothing to import."""
    c = login(world.alice)
    template = c.get("/org/staff/import/template/").content
    r = post(c, template)
    assert "no data rows" in r.content.decode()


def test_the_template_filled_in_imports(world, login, org):
    c = login(world.alice)
    wb = load_workbook(io.BytesIO(c.get("/org/staff/import/template/").content))
    ws = wb.worksheets[0]
    ws.append(row(Name="李雷", Department="生产部 / 一车间", ID_card_number=valid_id(5)))
    out = io.BytesIO()
    wb.save(out)
    assert post(c, out.getvalue()).status_code == 302
    assert "李雷" in acme_names() and "Example: Zhang San" not in acme_names()


# --------------------------------------------------------------------------------------------------------
# Good, bad and mixed files
# --------------------------------------------------------------------------------------------------------


def test_a_good_file_imports_every_row(world, login, org):
    c = login(world.alice)
    rows = [
        row(),
        row(
            Name="李四",
            Gender="female",
            ID_card_number="",
            Phone=13900000000,  # a number cell
            Department="生产部 / 一车间",
            Position="",
            Hired_on=datetime(2023, 7, 15),  # a real date cell
            Holds_certificates="yes",
            Occupational_exposure=True,
            Employed="",
        ),
        row(Name="王五", ID_card_number=valid_id(2).lower(), Department="", Hired_on="2022/01/05", Employed="否"),
    ]
    r = post(c, xlsx(rows), name="三人.xlsx")
    assert r.status_code == 302 and r["Location"] == "/org/staff/"
    assert "Imported 3 staff members" in c.get("/org/staff/").content.decode()
    with scopes_disabled():
        people = {s.name: s for s in Staff.objects.filter(enterprise=world.acme).select_related("department")}
    zs, ls, ww = people["张三"], people["李四"], people["王五"]
    assert (zs.gender, zs.department, zs.position, zs.hired_on) == (
        "male",
        org["office"],
        org["welder"],
        date(2024, 3, 1),
    )
    assert (zs.has_certificates, zs.occupational_exposure, zs.is_active) == (False, False, True)
    assert (ls.gender, ls.phone, ls.department, ls.position) == ("female", "13900000000", org["workshop"], None)
    assert (ls.hired_on, ls.has_certificates, ls.occupational_exposure, ls.is_active) == (
        date(2023, 7, 15),
        True,
        True,
        True,  # empty "employed" means yes
    )
    assert (ww.id_number, ww.department, ww.hired_on, ww.is_active) == (valid_id(2), None, date(2022, 1, 5), False)
    entry = OperationLog.objects.get(action="create", enterprise=world.acme, object_id="")
    assert entry.detail == "staff import from 三人.xlsx: 3 people" and entry.user_id == world.alice.user_id


BAD_ROWS = [
    pytest.param({"Name": ""}, "Name", "name is required", id="no-name"),
    pytest.param({"Name": "名" * 51}, "Name", "At most 50", id="long-name"),
    pytest.param({"Gender": "未知"}, "Gender", "male or female", id="gender"),
    pytest.param({"ID_card_number": "12345"}, "ID card number", "18 characters", id="id-length"),
    pytest.param({"ID_card_number": valid_id(1)[:-1] + "0"}, "ID card number", "check character", id="id-check"),
    pytest.param({"ID_card_number": 510502199001011234}, "ID card number", "stored as a number", id="id-number-cell"),
    pytest.param({"ID_card_number": valid_id(900)}, "ID card number", "老员工 already has", id="id-existing"),
    pytest.param({"Phone": "abc"}, "Phone", "mobile number", id="phone"),
    pytest.param({"Department": "不存在部"}, "Department", "no department named “不存在部”", id="unknown-dept"),
    pytest.param({"Department": "一车间"}, "Department", "安全部 / 一车间", id="ambiguous-dept"),
    pytest.param({"Department": "生产部 / 二车间"}, "Department", "no department “生产部 / 二车间”", id="bad-path"),
    pytest.param({"Position": "厨师"}, "Position", "no position named “厨师”", id="unknown-position"),
    pytest.param({"Hired_on": "2024-13-01"}, "Hired on", "not a date", id="bad-date"),
    pytest.param({"Hired_on": "上个月"}, "Hired on", "not a date", id="words-date"),
    pytest.param({"Employed": "也许"}, "Employed", "yes or no", id="bad-boolean"),
]


@pytest.mark.parametrize(("cells", "column", "message"), BAD_ROWS)
def test_each_bad_cell_is_reported_with_row_and_column(world, login, org, cells, column, message):
    c = login(world.alice)
    before = acme_names()
    r = post(c, xlsx([row(Name="好人", ID_card_number=valid_id(7)), row(**cells)]))
    assert r.status_code == 200
    errors = errors_on_page(r)
    assert [(n, col) for n, col, _m in errors] == [(3, column)]
    assert message in errors[0][2]
    assert acme_names() == before  # the good row did not go in either


def test_a_mixed_file_imports_nothing_and_reports_every_bad_row(world, login, org):
    c = login(world.alice)
    rows = [
        row(Name="好一", ID_card_number=valid_id(11)),  # row 2
        row(Name="", ID_card_number=valid_id(12), Department="不存在部"),  # row 3: two problems
        row(Name="好二", ID_card_number=valid_id(13)),  # row 4
        [None] * len(HEADERS),  # row 5: blank, skipped
        row(Name="重复", ID_card_number=valid_id(11)),  # row 6: the same ID as row 2
        row(Name="坏日期", ID_card_number=valid_id(14), Hired_on="31/02/2024"),  # row 7
    ]
    before = acme_names()
    r = post(c, xlsx(rows))
    body = r.content.decode()
    assert "Nothing was imported: 4 problems were found." in body
    errors = errors_on_page(r)
    assert [(n, col) for n, col, _m in errors] == [
        (3, "Name"),
        (3, "Department"),
        (6, "ID card number"),
        (7, "Hired on"),
    ]
    assert "row 2" in errors[2][2]
    assert acme_names() == before
    assert not OperationLog.objects.filter(action="create", object_id="").exists()

    # The downloadable report: every row as uploaded, an Errors column filled on the bad ones.
    report = c.get("/org/staff/import/errors/")
    ws = load_workbook(io.BytesIO(report.content)).active
    lines = list(ws.iter_rows(values_only=True))
    assert lines[0] == (*HEADERS, "Errors")
    by_name = {line[0] or "(no name)": line[-1] for line in lines[1:]}
    assert by_name["好一"] is None and by_name["好二"] is None
    assert "Name:" in by_name["(no name)"] and "Department:" in by_name["(no name)"]
    assert "same ID card number as row 2" in by_name["重复"]
    assert "not a date" in by_name["坏日期"]
    assert len(lines) == 6  # the blank row is not repeated


def test_the_fixed_report_imports(world, login, org):
    """Fix the marked rows in the report itself and upload it: its Errors column is ignored."""
    c = login(world.alice)
    post(
        c,
        xlsx(
            [row(Name="甲", ID_card_number=valid_id(21)), row(Name="乙", ID_card_number=valid_id(22), Position="厨师")]
        ),
    )
    wb = load_workbook(io.BytesIO(c.get("/org/staff/import/errors/").content))
    wb.active["F3"] = "电工"
    out = io.BytesIO()
    wb.save(out)
    assert post(c, out.getvalue()).status_code == 302
    assert {"甲", "乙"} <= acme_names()


def test_headers_in_chinese_are_read_too(world, login, org):
    with translation.override("zh-hans"):
        from enterprises.staff_excel import COLUMNS

        chinese = [str(col.label) for col in COLUMNS]
    r = post(login(world.alice), xlsx([row(Name="中文表头")], headers=chinese))
    assert r.status_code == 302 and "中文表头" in acme_names()


# --------------------------------------------------------------------------------------------------------
# Files refused as a whole
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "The submitted file is empty", id="empty"),
        pytest.param("name,id\n张三,1\n".encode(), "not an Excel .xlsx file", id="csv-renamed"),
        pytest.param(b"%PDF-1.4\n%%EOF\n", "not an Excel .xlsx file", id="pdf-renamed"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel 97", id="xls"),
        pytest.param(b"PK\x03\x04 a broken zip", "not an Excel .xlsx file", id="broken-zip"),
        pytest.param(
            xlsx([["张三", "男"]], headers=["姓名", "性别"]), "does not follow the staff template", id="wrong"
        ),
        pytest.param(xlsx([], headers=[]), "must hold the column headers", id="no-header"),
        pytest.param(xlsx([]), "no data rows", id="header-only"),
        pytest.param(xlsx([[None] * 10, [""] * 10]), "no data rows", id="blank-rows"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_with_a_clear_message(world, login, org, content, message):
    before = acme_names()
    r = post(login(world.alice), content)
    assert r.status_code == 200
    assert message in r.content.decode()
    assert acme_names() == before


def test_the_missing_columns_are_named(world, login, org):
    r = post(login(world.alice), xlsx([row()[:8]], headers=HEADERS[:8]))
    body = r.content.decode()
    assert "“Occupational exposure”" in body and "“Employed”" in body and "“Name”" not in body


def test_too_many_rows(world, login, org, settings):
    settings.STAFF_IMPORT_MAX_ROWS = 3
    rows = [row(Name=f"人{i}", ID_card_number=valid_id(100 + i)) for i in range(4)]
    c = login(world.alice)
    before = acme_names()
    r = post(c, xlsx(rows))
    assert "more than 3 rows" in r.content.decode()
    assert acme_names() == before
    assert post(c, xlsx(rows[:3])).status_code == 302


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("gov_alice", 403), ("charlie", 302)])
def test_who_may_import(world, login, org, who, status):
    r = post(login(getattr(world, who)), xlsx([row(Name="越权", Department="", Position="")]))
    assert r.status_code == status
    with scopes_disabled():
        imported = Staff.objects.filter(name="越权").values_list("enterprise__name", flat=True)
        assert list(imported) == (["贵阳远方公司"] if who == "charlie" else [])  # charlie's own enterprise


def test_charlie_cannot_use_acmes_department_names(world, login, org):
    r = post(login(world.charlie), xlsx([row(Name="越界")]))
    assert [(n, col) for n, col, _m in errors_on_page(r)] == [(2, "Department"), (2, "Position")]
