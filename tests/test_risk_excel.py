"""Risk points in Excel: the template, the import (every row checked, all or nothing, a per-row report), the export
in the same format (round trip) and the import/export log."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from approvals.models import OperationLog
from enterprises.models import Department
from hazards import risk_excel, services
from hazards.models import ControlMeasure, HazardFactor, RiskGrading, RiskPoint, TransferLog
from safety.tenancy import scopes_disabled

from .factories import actor_for
from .risk_world import english, factor, good_row, make_point, points_of, read_xlsx, row, xlsx_upload  # noqa: F401

IMPORT = reverse("hazards:risk_import")


def _department(enterprise, name, parent=None):
    with scopes_disabled():
        return Department.objects.create(enterprise=enterprise, name=name, parent=parent)


def _import(world, login, rows, who="alice", **kwargs):
    return login(getattr(world, who)).post(IMPORT, {"file": xlsx_upload(rows, **kwargs)})


def _library(enterprise) -> list[tuple]:
    """Everything a point holds that the file carries, comparable across enterprises."""
    with scopes_disabled():
        points = RiskPoint.objects.filter(enterprise=enterprise).select_related("department").order_by("name", "place")
        return [
            (
                p.category,
                p.name,
                p.place,
                p.department.name if p.department else "",
                p.responsible,
                p.method,
                p.value_l,
                p.value_e,
                p.value_c,
                p.value_s,
                p.score,
                p.level,
                [
                    (f.kind, f.description, f.consequence, [(m.kind, m.description) for m in f.measures.order_by("pk")])
                    for f in HazardFactor.objects.filter(risk_point=p).order_by("pk")
                ],
            )
            for p in points
        ]


# ---- the template ----


def test_template_has_the_columns_and_instructions(world, login):
    _department(world.acme, "储运部")
    response = login(world.alice).get(reverse("hazards:risk_import_template"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    header = [c.value for c in wb.worksheets[0][1]]
    assert header == [str(c.label) for c in risk_excel.COLUMNS]
    assert header[:12] == [
        "Category",
        "Risk point",
        "Place",
        "Department",
        "Factor kind",
        "Hazard factor",
        "Control measure",
        "Grading method",
        "L",
        "E",
        "C",
        "S",
    ]
    instructions = "\n".join(str(c.value) for r in wb.worksheets[1].iter_rows() for c in r if c.value)
    assert "储运部" in instructions
    assert "0.5 — very unlikely, conceivable" in instructions
    assert "160 < D ≤ 320: High risk (orange)" in instructions


def test_the_untouched_template_imports_nothing(world, login):
    c = login(world.alice)
    template = c.get(reverse("hazards:risk_import_template")).content
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = c.post(IMPORT, {"file": SimpleUploadedFile("t.xlsx", template)})
    assert response.status_code == 400
    assert "no data rows" in response.content.decode()  # the example rows are skipped
    assert points_of(world.acme) == []


# ---- a good file ----


def test_good_import(world, login):
    production = _department(world.acme, "生产部")
    workshop = _department(world.acme, "一车间", parent=production)
    _department(world.acme, "一车间", parent=_department(world.acme, "维修部"))  # a second 一车间: needs the path
    rows = [
        good_row("甲醇储罐区", department="生产部", responsible="王五", consequence="火灾", measure_kind="Management"),
        good_row("甲醇储罐区", factor_kind="", factor="", measure="罐区配置泡沫灭火系统", measure_kind="emergency"),
        good_row(
            "甲醇储罐区",
            category="",
            method="",
            l=None,
            e=None,
            c=None,
            factor_kind="Environment",
            factor="雷击、静电积聚",
            measure="防雷接地每年检测两次",
        ),
        good_row(
            "冲压岗位",
            category="Post",
            place="",
            department="生产部 / 一车间",
            method="LS",
            l=4,
            e=None,
            c=None,
            s=4,
            factor_kind="unsafe_act",
            factor="手伸入模具区",
            measure="使用专用工具取件",
            measure_kind="Personal protection",
        ),
    ]
    response = _import(world, login, rows)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _library(world.acme) == [
        (
            "post",
            "冲压岗位",
            "",
            "一车间",
            "",
            "ls",
            Decimal("4"),
            None,
            None,
            Decimal("4"),
            Decimal("16"),
            "high",
            [("unsafe_act", "手伸入模具区", "", [("ppe", "使用专用工具取件")])],
        ),
        (
            "facility",
            "甲醇储罐区",
            "罐区",
            "生产部",
            "王五",
            "lec",
            Decimal("3"),
            Decimal("6"),
            Decimal("15"),
            None,
            Decimal("270"),
            "high",
            [
                (
                    "unsafe_condition",
                    "呼吸阀失效",
                    "火灾",
                    [("management", "每季度检查呼吸阀"), ("emergency", "罐区配置泡沫灭火系统")],
                ),
                ("environment", "雷击、静电积聚", "", [("management", "防雷接地每年检测两次")]),
            ],
        ),
    ]
    with scopes_disabled():
        assert RiskPoint.objects.get(name="冲压岗位").department_id == workshop.pk
        assert RiskGrading.objects.filter(enterprise=world.acme).count() == 2
        assert len({p.qr_token for p in RiskPoint.objects.all()}) == 2
        log = TransferLog.objects.get(enterprise=world.acme)
        assert (log.kind, log.subject, log.file_name, log.rows, log.errors, log.succeeded) == (
            "import",
            "risk_points",
            "risk.xlsx",
            4,
            0,
            True,
        )
        assert OperationLog.objects.filter(action="create", detail__contains="risk point import").exists()


def test_headers_in_chinese_and_in_another_order_are_read(world, login):
    from django.utils import translation

    with translation.override("zh-hans"):
        headers = [str(c.label) for c in risk_excel.COLUMNS]
    order = list(reversed(range(len(headers))))
    values = good_row("乙炔瓶库")
    response = _import(world, login, [[values[i] for i in order]], header_row=[headers[i] for i in order])
    assert response.status_code == 302
    assert [p.name for p in points_of(world.acme)] == ["乙炔瓶库"]


# ---- bad rows: every problem reported with its row and column ----


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"name": ""}, "Risk point", "name is required"),
        ({"name": "x" * 101}, "Risk point", "At most 100"),
        ({"category": ""}, "Category", "category is required"),
        ({"category": "工厂"}, "Category", "is not a category"),
        ({"department": "不存在的部门"}, "Department", "no department named"),
        ({"factor_kind": ""}, "Factor kind", "Give the factor's kind"),
        ({"factor_kind": "天灾"}, "Factor kind", "is not a factor kind"),
        ({"factor": ""}, "Hazard factor", "Describe the hazard factor"),
        ({"factor_kind": "", "factor": ""}, "Hazard factor", "required on a risk point's first row"),
        ({"measure": ""}, "Control measure", "has no control measure"),
        ({"measure_kind": "祈祷"}, "Measure kind", "is not a measure kind"),
        ({"method": ""}, "Grading method", "required on a risk point's first row"),
        ({"method": "ABC"}, "Grading method", "is not a grading method"),
        ({"l": 2}, "L", "not a valid LEC value of L"),
        ({"e": 4}, "E", "not a valid LEC value of E"),
        ({"c": 50}, "C", "not a valid LEC value of C"),
        ({"c": None}, "C", "C is required"),
        ({"c": "很大"}, "C", "not a number"),
        ({"s": 3}, "S", "not used by LEC"),
        ({"method": "LS", "l": 6, "e": None, "c": None, "s": 1}, "L", "not a valid LS value of L"),
        ({"method": "LS", "l": 3, "e": 6, "c": None, "s": 3}, "E", "not used by LS"),
        ({"responsible": "x" * 51}, "Person responsible", "At most 50"),
    ],
)
def test_bad_row(world, login, cells, column, words):
    response = _import(world, login, [good_row(**cells)])
    assert response.status_code == 400
    errors = response.context["result"].errors
    assert [(e.row, e.column) for e in errors] == [(2, column)], errors
    assert words in errors[0].message
    assert points_of(world.acme) == []


def test_mixed_file_imports_nothing_and_reports_every_bad_row(world, login):
    rows = [
        good_row("好点一"),
        good_row("坏点一", l=7),  # row 3
        good_row("好点二", method="LS", l=2, e=None, c=None, s=5),
        good_row("坏点二", measure=""),  # row 5
        good_row("好点三"),
        good_row("坏点三", category="工厂", department="无此部门"),  # row 7: two problems
        good_row("好点一", factor="另一个因素", method="LS", l=1, e=None, c=None, s=1),  # row 8: contradicts row 2
    ]
    response = _import(world, login, rows)
    assert response.status_code == 400
    errors = [(e.row, e.column) for e in response.context["result"].errors]
    assert errors == [
        (3, "L"),
        (5, "Control measure"),
        (7, "Category"),
        (7, "Department"),
        (8, "Grading method"),  # E and C are empty: they follow row 2
        (8, "L"),
        (8, "S"),
    ]
    html = response.content.decode()
    assert html.count('data-testid="import-error"') == len(errors)
    assert points_of(world.acme) == []
    with scopes_disabled():
        assert not HazardFactor.objects.exists() and not ControlMeasure.objects.exists()
        log = TransferLog.objects.get(enterprise=world.acme)
        assert (log.kind, log.rows, log.errors, log.succeeded) == ("import", 7, 7, False)

    report = login(world.alice).get(reverse("hazards:risk_import_report"))
    assert report.status_code == 200
    sheet = read_xlsx(report.content)
    assert sheet[0][-2:] == ["Row", "Errors"]
    by_row = {r[-2]: r[-1] for r in sheet[1:]}
    assert by_row[2] is None and by_row[4] is None
    assert "L:" in by_row[3] and "Control measure:" in by_row[5] and "Department:" in by_row[7]


def test_a_point_already_in_the_library_is_refused(world, login):
    make_point(world.alice, "甲醇储罐区", place="罐区")
    response = _import(world, login, [good_row("甲醇储罐区"), good_row("甲醇储罐区", place="装车台")])
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["result"].errors] == [(2, "Risk point")]
    assert "already in the risk point library" in response.context["result"].errors[0].message
    assert len(points_of(world.acme)) == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "submitted file is empty"),  # the form's own check
        (b"\xd0\xcf\x11\xe0old excel", "old Excel 97"),
        (b"name,place\n", "not an Excel .xlsx file"),
        (b"PK\x03\x04broken", "not an Excel .xlsx file"),
    ],
)
def test_unreadable_files(world, login, content, words):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = login(world.alice).post(IMPORT, {"file": SimpleUploadedFile("x.xlsx", content)})
    assert response.status_code == 400
    assert words in response.content.decode()
    if content:
        with scopes_disabled():
            log = TransferLog.objects.get(enterprise=world.acme)
            assert (log.succeeded, log.errors, log.file_name) == (False, 1, "x.xlsx")


def test_missing_columns_are_named(world, login):
    headers = [str(c.label) for c in risk_excel.COLUMNS if c.key not in ("measure", "s")]
    response = _import(world, login, [["x"] * len(headers)], header_row=headers)
    assert response.status_code == 400
    html = response.content.decode()
    assert "“Control measure”" in html and "“S”" in html


def test_row_limit(world, login, settings):
    settings.RISK_IMPORT_MAX_ROWS = 2
    response = _import(world, login, [good_row(f"点{i}") for i in range(3)])
    assert response.status_code == 400 and "more than 2 rows" in response.content.decode()


def test_bob_may_not_import(world, login):
    assert _import(world, login, [good_row()], who="bob").status_code == 403
    assert points_of(world.acme) == []


# ---- export, and the round trip ----


def test_export_round_trips_into_another_enterprise(world, login):
    for enterprise in (world.acme, world.far):
        parent = _department(enterprise, "生产部")
        _department(enterprise, "一车间", parent=parent)
        _department(enterprise, "一车间", parent=_department(enterprise, "维修部"))
    with scopes_disabled():
        workshop = Department.objects.get(enterprise=world.acme, name="一车间", parent__name="生产部")
        production = Department.objects.get(enterprise=world.acme, name="生产部")
    make_point(
        world.alice,
        "液氯储罐区",
        department=production,
        values={"l": "0.5", "e": "10", "c": "100"},
        factors=[
            factor("阀门泄漏", "每班巡检", "配备呼吸器", consequence="中毒"),
            factor("违章装卸", "持证上岗", kind="unsafe_act"),
        ],
    )
    post = make_point(
        world.alice, "冲压岗位", place="", category="post", method="ls", values={"l": 5, "s": 5}, department=workshop
    )
    services.risk_point_update(  # a measure of another kind, to see kinds survive the trip
        actor=actor_for(world.alice),
        point_id=post.pk,
        details=services.RiskPointDetails(category="post", name="冲压岗位", place="", department=workshop),
        factors=[
            services.RiskFactorInput(
                kind="environment",
                description="噪声",
                measures=[services.RiskMeasureInput(description="佩戴耳塞", kind="ppe")],
            )
        ],
    )
    response = login(world.alice).get(reverse("hazards:risk_export"))
    assert response.status_code == 200
    exported = read_xlsx(response.content)
    assert exported[0] == [str(c.label) for c in risk_excel.COLUMNS]
    assert len(exported) == 1 + 3 + 1  # header, 3 measures of 液氯储罐区, 1 of 冲压岗位
    assert "生产部 / 一车间" in [r[3] for r in exported]  # an ambiguous department name goes out as its path

    from django.core.files.uploadedfile import SimpleUploadedFile

    again = login(world.charlie).post(IMPORT, {"file": SimpleUploadedFile("back.xlsx", response.content)})
    assert again.status_code == 302, again.content.decode()[:3000]
    assert _library(world.far) == _library(world.acme)
    with scopes_disabled():
        assert TransferLog.objects.get(enterprise=world.acme).kind == "export"
        assert TransferLog.objects.get(enterprise=world.far).kind == "import"


def test_export_follows_the_filters_and_is_logged(world, login):
    make_point(world.alice, "高风险点", values={"l": "3", "e": "6", "c": "15"})
    make_point(world.alice, "低风险点", values={"l": "1", "e": "1", "c": "1"})
    response = login(world.bob).get(reverse("hazards:risk_export"), {"level": "low"})
    assert [r[1] for r in read_xlsx(response.content)[1:]] == ["低风险点"]
    with scopes_disabled():
        log = TransferLog.objects.get(enterprise=world.acme)
        assert (log.kind, log.subject, log.rows, log.user) == ("export", "risk_points", 1, world.bob.user)
        assert OperationLog.objects.filter(action="export", enterprise_id=world.acme.pk).exists()


def test_transfer_log_page_shows_own_entries_only(world, login):
    _import(world, login, [good_row()])
    _import(world, login, [good_row("坏", l=2)])
    login(world.charlie).get(reverse("hazards:risk_export"))
    c = login(world.bob)
    page = c.get(reverse("hazards:risk_transfer_log"))
    rows = list(page.context["table"].data)
    assert [(r.kind, r.succeeded) for r in rows] == [("import", False), ("import", True)]
    failed = c.get(reverse("hazards:risk_transfer_log"), {"succeeded": "false"}).context["table"].data
    assert [(r.kind, r.errors) for r in failed] == [("import", 1)]
    assert c.get(reverse("hazards:risk_transfer_log"), {"export": "xlsx"}).status_code == 200
