"""Printables of the risk area (notice board, post risk card, control ledger, four-colour map), the site plan and
map positions, and the enterprise risk grade with its attachment."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from hazards import views
from hazards.models import EnterpriseRiskGrade, RiskPoint, SitePlan
from safety.tenancy import actor_scope, scopes_disabled

from .factories import actor_for
from .risk_world import english, factor, make_point  # noqa: F401  (english: autouse)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _png(size=(40, 30), colour="white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def _request(world, who="alice"):
    request = RequestFactory().get("/")
    request.actor = actor_for(getattr(world, who))
    request.user = request.actor.user
    return request


def _chlorine(world):
    return make_point(
        world.alice,
        "液氯储罐区",
        place="罐区",
        values={"l": "10", "e": "6", "c": "7"},  # 420: major
        factors=[
            factor("阀门法兰泄漏", "每班巡检阀门", consequence="中毒"),
            factor("装卸违章", "持证上岗", kind="unsafe_act"),
        ],
    )


def _with_emergency_measure(world, point):
    from hazards import services

    services.risk_point_update(
        actor=actor_for(world.alice),
        point_id=point.pk,
        details=services.RiskPointDetails(
            category=point.category, name=point.name, place=point.place, responsible="张三"
        ),
        factors=[
            services.RiskFactorInput(
                kind="unsafe_condition",
                description="阀门法兰泄漏",
                measures=[
                    services.RiskMeasureInput(description="每班巡检阀门"),
                    services.RiskMeasureInput(description="入口配备正压式空气呼吸器", kind="emergency"),
                    services.RiskMeasureInput(description="佩戴防毒面具", kind="ppe"),
                ],
            )
        ],
    )


# ---- the notice board and the post card ----


@pytest.mark.parametrize("template", ["pdf/board.html", "pdf/card.html"])
def test_board_and_card_html_show_the_point(world, template):
    point = _chlorine(world)
    _with_emergency_measure(world, point)
    request = _request(world)
    with actor_scope(request.actor):
        from hazards import selectors

        points = selectors.risk_points_with_factors(RiskPoint.objects.filter(pk=point.pk))
        context = views.risk_board_context(request, points)
        html = views.risk_render_printable(template, context, request)
    [board] = context["boards"]
    assert board["check_url"] == f"http://testserver/hazards/check/{point.qr_token}/"
    assert "液氯储罐区" in html and "罐区" in html and "张三" in html
    assert "Major risk (red)" in html and "#d7000f" in html  # the level and its colour band
    assert board["qr"].startswith("data:image/svg+xml") and board["qr"] in html
    assert "阀门法兰泄漏" in html and "每班巡检阀门" in html
    assert "入口配备正压式空气呼吸器" in html  # emergency measures have their own heading
    assert html.index("Emergency measures") < html.index("入口配备正压式空气呼吸器")
    assert "佩戴防毒面具" in html


@pytest.mark.parametrize("name", ["hazards:risk_point_board", "hazards:risk_point_card"])
def test_board_and_card_pdfs(world, login, name):
    point = _chlorine(world)
    response = login(world.bob).get(reverse(name, args=[point.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_boards_of_a_place(world, login):
    _chlorine(world)
    make_point(world.alice, "装车台", place="装车区")
    request = _request(world)
    request.GET = request.GET.copy()
    request.GET["q"] = "罐区"
    with actor_scope(request.actor):
        points = list(views._rk_filtered_points(request))
    assert [p.name for p in points] == ["液氯储罐区"]
    response = login(world.alice).get(reverse("hazards:risk_boards"), {"q": "罐区"})
    assert response.content.startswith(b"%PDF")
    empty = login(world.alice).get(reverse("hazards:risk_boards"), {"q": "无此地点"})
    assert empty.status_code == 302


def test_the_qr_path_is_the_checklist_of_the_lists_area(world):
    """The code must open /hazards/check/<token>/ (built by the lists area), resolved if it exists."""
    point = _chlorine(world)
    assert views.risk_check_url(None, point) == f"/hazards/check/{point.qr_token}/"


# ---- the control ledger ----


def test_ledger_html_and_pdf(world, login):
    point = _chlorine(world)
    make_point(world.alice, "岗位A", place="", category="post", method="ls", values={"l": 2, "s": 2})
    make_point(world.charlie, "外厂风险点")
    request = _request(world)
    with actor_scope(request.actor):
        from hazards import selectors

        points = selectors.risk_points_with_factors(selectors.risk_points_for_actor(request.actor)).order_by("name")
        html = views.risk_render_printable("pdf/ledger.html", views.risk_ledger_context(request, points), request)
    assert "液氯储罐区" in html and "岗位A" in html and "外厂风险点" not in html
    assert "阀门法兰泄漏" in html and "装卸违章" in html and "持证上岗" in html
    assert 'rowspan="2"' in html  # the point's cells span its two factors
    assert "Major risk (red)" in html and "Low risk (blue)" in html
    assert ">420<" in html
    assert point.qr_token not in html
    response = login(world.bob).get(reverse("hazards:risk_ledger"), {"level": "major"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


# ---- site plan, positions, the four-colour map ----


def test_site_plan_upload_positions_and_map(world, login, django_capture_on_commit_callbacks):
    point = _chlorine(world)
    other = make_point(world.alice, "仓库", values={"l": "1", "e": "1", "c": "1"})
    c = login(world.alice)
    map_url = reverse("hazards:risk_map")
    assert "No site plan yet" in c.get(map_url).content.decode()

    bad = c.post(map_url, {"image": SimpleUploadedFile("plan.png", b"%PDF-1.4 not an image")})
    assert bad.status_code == 400 and "not a JPEG, PNG or WebP image" in bad.content.decode()
    assert c.post(map_url, {"image": SimpleUploadedFile("厂区.png", _png())}).status_code == 302
    with scopes_disabled():
        plan = SitePlan.objects.get(enterprise=world.acme)
        assert plan.image.name.startswith("site-plans/") and "厂区" not in plan.image.name
        first_file = plan.image.name

    position = reverse("hazards:risk_point_position", args=[point.pk])
    response = c.post(position, {"x": "25.5", "y": "40"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json() == {"id": point.pk, "x": "25.5", "y": "40"}
    assert c.post(position, {"x": "120", "y": "40"}, HTTP_ACCEPT="application/json").status_code == 400
    assert c.post(position, {"x": "10"}, HTTP_ACCEPT="application/json").status_code == 400
    assert c.post(reverse("hazards:risk_point_position", args=[other.pk]), {"x": "80", "y": "10"}).status_code == 302
    with scopes_disabled():
        point.refresh_from_db()
        assert (point.map_x, point.map_y) == (Decimal("25.50"), Decimal("40.00"))

    page = login(world.bob).get(map_url)
    html = page.content.decode()
    assert html.count('data-testid="risk-dot"') == 2
    assert "left:25.5%;top:40%;background:#d7000f" in html  # major: red
    assert 'data-level="low"' in html
    assert "risk-map-pick" not in html  # bob views only

    image = login(world.bob).get(reverse("hazards:risk_site_plan_image"))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert login(world.charlie).get(reverse("hazards:risk_site_plan_image")).status_code == 404  # far has none

    request = _request(world, "bob")
    with actor_scope(request.actor):
        context = views.risk_map_context(request, for_pdf=True)
        pdf_html = views.risk_render_printable("pdf/map.html", context, request)
    assert context["image"].startswith("data:image/png;base64,")
    assert "液氯储罐区" in pdf_html and "#d7000f" in pdf_html
    assert login(world.bob).get(reverse("hazards:risk_map_pdf")).content.startswith(b"%PDF")

    # A new plan replaces the old one (and its file).
    c = login(world.alice)  # the one test client was bob's meanwhile
    with django_capture_on_commit_callbacks(execute=True):
        assert c.post(map_url, {"image": SimpleUploadedFile("v2.png", _png((60, 40)))}).status_code == 302
    with scopes_disabled():
        plan.refresh_from_db()
        assert plan.image.name != first_file
        from django.core.files.storage import default_storage

        assert not default_storage.exists(first_file)
    # Taking a point off the map.
    c.post(position, {"x": "", "y": ""})
    with scopes_disabled():
        point.refresh_from_db()
        assert point.map_x is None and point.map_y is None


def test_map_pdf_without_a_plan(world, login):
    _chlorine(world)
    response = login(world.alice).get(reverse("hazards:risk_map_pdf"))
    assert response.content.startswith(b"%PDF")


# ---- the enterprise risk grade ----


GRADE = reverse("hazards:risk_grade")


def test_enterprise_grade_history_and_attachment(world, login, settings):
    c = login(world.alice)
    assert "No enterprise risk grade" in c.get(GRADE).content.decode()
    pdf = SimpleUploadedFile("评估报告.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n")
    assert c.post(GRADE, {"grade": "C", "basis": "2024年第三方风险评估报告", "attachment": pdf}).status_code == 302
    assert (
        c.post(
            GRADE, {"grade": "B", "basis": "监管部门认定", "attachment": SimpleUploadedFile("a.png", _png())}
        ).status_code
        == 302
    )

    with scopes_disabled():
        latest, first = EnterpriseRiskGrade.objects.filter(enterprise=world.acme).order_by("-set_at", "-pk")
    assert (latest.grade, first.grade) == ("B", "C")
    assert first.attachment.name.endswith(".pdf") and "评估报告" not in first.attachment.name
    page = login(world.bob).get(GRADE)
    assert page.context["current"].pk == latest.pk
    assert [r.grade for r in page.context["table"].data] == ["B", "C"]
    assert page.context["form"] is None  # bob views only

    download = login(world.bob).get(reverse("hazards:risk_grade_attachment", args=[first.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert login(world.charlie).get(reverse("hazards:risk_grade_attachment", args=[first.pk])).status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"grade": "E", "basis": "x"}, "grade", "valid choice"),
        ({"grade": "A", "basis": ""}, "basis", "required"),
        ({"grade": "A", "basis": "x", "attachment": ("x.pdf", b"just text")}, "attachment", "neither"),
        ({"grade": "A", "basis": "x", "attachment": ("big.pdf", b"%PDF-" + b"0" * 2000)}, "attachment", "limit"),
    ],
)
def test_enterprise_grade_is_checked(world, login, settings, body, field, words):
    settings.LICENCE_SCAN_MAX_BYTES = 1000
    if "attachment" in body:
        name, content = body["attachment"]
        body = {**body, "attachment": SimpleUploadedFile(name, content)}
    response = login(world.alice).post(GRADE, body)
    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors[field])
    with scopes_disabled():
        assert not EnterpriseRiskGrade.objects.exists()
