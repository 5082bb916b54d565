"""Risk point library: the form (factors with measures), grading and its history, batch delete, the shared
library, and who may do what (alice manages, bob views, charlie is elsewhere)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from approvals.models import OperationLog
from enterprises.models import Department, Membership
from hazards import services
from hazards.models import (
    ControlMeasure,
    HazardFactor,
    RiskGrading,
    RiskList,
    RiskListItem,
    RiskPoint,
    SharedRiskPoint,
    TransferLog,
)
from hazards.risk_library import load_shared_risk_points
from safety.tenancy import scopes_disabled

from .factories import MembershipFactory, UserFactory, actor_for
from .risk_world import english, factor, make_point, points_of  # noqa: F401  (english: autouse)

LIST = reverse("hazards:risk_point_list")
CREATE = reverse("hazards:risk_point_create")


def _department(enterprise, name="生产部"):
    with scopes_disabled():
        return Department.objects.create(enterprise=enterprise, name=name)


def form_data(**overrides) -> dict[str, str]:
    """A valid create form: one factor with two measures (plus a blank extra factor and blank measure rows)."""
    data = {
        "category": "facility",
        "name": "液氨储罐区",
        "place": "罐区",
        "department": "",
        "responsible": "李四",
        "method": "lec",
        "lec_l": "6",
        "lec_e": "6",
        "lec_c": "15",
        "ls_l": "",
        "ls_s": "",
        "reason": "首次评估",
        "factors-TOTAL_FORMS": "2",
        "factors-INITIAL_FORMS": "0",
        "factors-0-kind": "unsafe_condition",
        "factors-0-description": "储罐法兰泄漏",
        "factors-0-consequence": "中毒",
        "factors-0-measures-TOTAL_FORMS": "3",
        "factors-0-measures-INITIAL_FORMS": "0",
        "factors-0-measures-0-kind": "management",
        "factors-0-measures-0-description": "每班巡检法兰",
        "factors-0-measures-1-kind": "emergency",
        "factors-0-measures-1-description": "配备空气呼吸器",
        "factors-0-measures-2-kind": "management",
        "factors-0-measures-2-description": "",
        "factors-1-kind": "unsafe_act",
        "factors-1-description": "",
        "factors-1-consequence": "",
        "factors-1-measures-TOTAL_FORMS": "2",
        "factors-1-measures-INITIAL_FORMS": "0",
        "factors-1-measures-0-kind": "management",
        "factors-1-measures-0-description": "",
        "factors-1-measures-1-kind": "management",
        "factors-1-measures-1-description": "",
    }
    data.update(overrides)
    return data


# ---- create: grading computed on the server, factors and measures, history ----


def test_create_with_factors_measures_and_grading(world, login):
    c = login(world.alice)
    response = c.post(CREATE, form_data(score="1", level="low"))  # a forged score and level are ignored
    assert response.status_code == 302, response.content.decode()[:2000]
    [point] = points_of(world.acme)
    assert response["Location"] == reverse("hazards:risk_point_detail", args=[point.pk])
    assert (point.method, point.score, point.level) == ("lec", Decimal("540"), "major")  # 6 × 6 × 15
    assert (point.value_l, point.value_e, point.value_c, point.value_s) == (6, 6, 15, None)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", point.qr_token)
    with scopes_disabled():
        [f] = HazardFactor.objects.filter(risk_point=point)
        assert (f.kind, f.description, f.consequence) == ("unsafe_condition", "储罐法兰泄漏", "中毒")
        assert [(m.kind, m.description) for m in ControlMeasure.objects.filter(factor=f).order_by("pk")] == [
            ("management", "每班巡检法兰"),
            ("emergency", "配备空气呼吸器"),
        ]
        [g] = RiskGrading.objects.filter(risk_point=point)
        assert (g.method, g.values, g.score, g.level, g.reason) == (
            "lec",
            {"l": "6", "e": "6", "c": "15"},
            Decimal("540"),
            "major",
            "首次评估",
        )
        assert g.graded_by == world.alice.user
        assert OperationLog.objects.filter(action="create", object_id=str(point.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"lec_l": "2"}, "lec_l", "2"),  # not in the L value set
        ({"lec_c": ""}, "lec_c", "required"),
        ({"method": "ls", "ls_l": "6", "ls_s": "1"}, "ls_l", "valid choice"),
        ({"method": "ls", "ls_l": "3", "ls_s": ""}, "ls_s", "required"),
        ({"name": ""}, "name", "required"),
        ({"category": "nope"}, "category", "valid choice"),
    ],
)
def test_invalid_grading_or_details_keep_the_input(world, login, overrides, field, words):
    response = login(world.alice).post(CREATE, form_data(**overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors and words in " ".join(form.errors[field])
    assert "储罐法兰泄漏" in response.content.decode()  # nothing typed is lost
    assert points_of(world.acme) == []


def test_ls_grading(world, login):
    response = login(world.alice).post(CREATE, form_data(method="ls", lec_l="", lec_e="", lec_c="", ls_l="4", ls_s="4"))
    assert response.status_code == 302
    [point] = points_of(world.acme)
    assert (point.method, point.score, point.level, point.value_e) == ("ls", Decimal("16"), "high", None)


def test_a_factor_without_a_measure_is_refused_by_name(world, login):
    data = form_data()
    data.update({"factors-0-measures-0-description": "", "factors-0-measures-1-description": ""})
    response = login(world.alice).post(CREATE, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "储罐法兰泄漏" in html and "has no control measure" in html
    assert points_of(world.acme) == []


def test_measures_without_a_factor_are_refused(world, login):
    data = form_data()
    data["factors-1-measures-0-description"] = "孤立的措施"
    response = login(world.alice).post(CREATE, data)
    assert response.status_code == 400
    assert "Describe the hazard factor these measures belong to" in response.content.decode()
    assert points_of(world.acme) == []


def test_a_point_needs_a_factor(world, login):
    data = form_data()
    data.update({"factors-0-description": "", "factors-0-consequence": "", "factors-0-kind": "unsafe_act"})
    data.update({"factors-0-measures-0-description": "", "factors-0-measures-1-description": ""})
    data.update({"factors-0-measures-1-kind": "management"})
    response = login(world.alice).post(CREATE, data)
    assert response.status_code == 400
    assert "needs at least one hazard factor" in response.content.decode()


def test_the_service_refuses_a_factor_without_measures_too(world):
    bare = services.RiskFactorInput(kind="unsafe_act", description="违章操作", measures=[])
    with pytest.raises(ValidationError) as exc:
        make_point(world.alice, factors=[factor(), bare])
    assert any("违章操作" in m and "no control measure" in m for m in exc.value.message_dict["factors"])
    assert points_of(world.acme) == []


@pytest.mark.parametrize(("button", "value"), [("add_factor", "1"), ("add_measure", "0")])
def test_adding_rows_keeps_everything_typed(world, login, button, value):
    data = form_data(**{button: value})
    response = login(world.alice).post(CREATE, data)
    assert response.status_code == 200
    editor = response.context["editor"]
    if button == "add_factor":
        assert len(editor.factors.forms) == 3
        assert len(editor.measures[2].forms) == 2
    else:
        assert len(editor.measures[0].forms) == 4
    html = response.content.decode()
    assert "储罐法兰泄漏" in html and "每班巡检法兰" in html and "液氨储罐区" in html
    assert "is-invalid" not in html  # a new row is not an error
    assert points_of(world.acme) == []


def test_department_is_rescoped(world, login):
    own = _department(world.acme)
    foreign = _department(world.far, "外厂部门")
    c = login(world.alice)
    response = c.post(CREATE, form_data(department=str(foreign.pk)))
    assert response.status_code == 400 and "department" in response.context["form"].errors
    assert c.post(CREATE, form_data(department=str(own.pk))).status_code == 302
    assert points_of(world.acme)[0].department_id == own.pk
    with pytest.raises(ValidationError):
        make_point(world.alice, name="另一个", department=foreign)


# ---- edit and re-grading ----


def _edit_data(point) -> dict[str, str]:
    """The edit form as the page sends it back: the point's factors and measures, plus one blank measure row."""
    with scopes_disabled():
        [f] = HazardFactor.objects.filter(risk_point=point)
        measures = list(ControlMeasure.objects.filter(factor=f).order_by("pk"))
    data = {
        "category": point.category,
        "name": point.name,
        "place": point.place,
        "department": "",
        "responsible": point.responsible,
        "method": "lec",
        "lec_l": "3",
        "lec_e": "6",
        "lec_c": "15",
        "reason": "",
        "factors-TOTAL_FORMS": "1",
        "factors-INITIAL_FORMS": "1",
        "factors-0-id": str(f.pk),
        "factors-0-kind": f.kind,
        "factors-0-description": f.description,
        "factors-0-consequence": "",
        "factors-0-measures-TOTAL_FORMS": str(len(measures) + 1),
        "factors-0-measures-INITIAL_FORMS": str(len(measures)),
    }
    for i, m in enumerate(measures):
        data.update(
            {
                f"factors-0-measures-{i}-id": str(m.pk),
                f"factors-0-measures-{i}-kind": m.kind,
                f"factors-0-measures-{i}-description": m.description,
            }
        )
    data.update({f"factors-0-measures-{len(measures)}-kind": "management"})
    return data


def test_edit_keeps_rows_and_records_a_changed_grading(world, login):
    point = make_point(world.alice)  # LEC 3 × 6 × 15 = 270, high
    with scopes_disabled():
        RiskPoint.objects.filter(pk=point.pk).update(needs_regrading=True)
        measure_pk = ControlMeasure.objects.get(factor__risk_point=point).pk
    c = login(world.alice)
    url = reverse("hazards:risk_point_edit", args=[point.pk])
    assert c.get(url).status_code == 200

    same = _edit_data(point)
    same["factors-0-measures-1-description"] = "新增措施"
    assert c.post(url, same).status_code == 302
    with scopes_disabled():
        point.refresh_from_db()
        assert RiskGrading.objects.filter(risk_point=point).count() == 1  # same values: not a re-grading
        assert point.needs_regrading  # …so the flag stays
        assert ControlMeasure.objects.filter(pk=measure_pk).exists()  # kept in place (inspection results point at it)
        assert ControlMeasure.objects.filter(factor__risk_point=point).count() == 2

    changed = _edit_data(point)
    changed.update({"lec_l": "10", "reason": "工艺变更"})
    assert c.post(url, changed).status_code == 302
    with scopes_disabled():
        point.refresh_from_db()
        assert (point.score, point.level, point.needs_regrading) == (Decimal("900"), "major", False)
        latest = RiskGrading.objects.filter(risk_point=point).order_by("-pk").first()
        assert (latest.level, latest.reason) == ("major", "工艺变更")
        assert RiskGrading.objects.filter(risk_point=point).count() == 2


def test_edit_can_delete_a_measure_and_a_stale_id_is_refused(world, login):
    point = make_point(world.alice, factors=[factor("泄漏", "措施一", "措施二")])
    c = login(world.alice)
    url = reverse("hazards:risk_point_edit", args=[point.pk])
    with scopes_disabled():
        f = HazardFactor.objects.get(risk_point=point)
        m1, m2 = ControlMeasure.objects.filter(factor=f).order_by("pk")
    data = {
        **{k: v for k, v in form_data().items() if not k.startswith("factors")},
        "name": point.name,
        "factors-TOTAL_FORMS": "1",
        "factors-INITIAL_FORMS": "1",
        "factors-0-id": str(f.pk),
        "factors-0-kind": f.kind,
        "factors-0-description": f.description,
        "factors-0-measures-TOTAL_FORMS": "2",
        "factors-0-measures-INITIAL_FORMS": "2",
        "factors-0-measures-0-id": str(m1.pk),
        "factors-0-measures-0-kind": "management",
        "factors-0-measures-0-description": m1.description,
        "factors-0-measures-0-DELETE": "on",
        "factors-0-measures-1-id": str(m2.pk),
        "factors-0-measures-1-kind": "management",
        "factors-0-measures-1-description": m2.description,
    }
    assert c.post(url, data).status_code == 302
    with scopes_disabled():
        assert list(ControlMeasure.objects.filter(factor=f).values_list("pk", flat=True)) == [m2.pk]
    data["factors-0-measures-0-id"] = "999999"  # a measure that is not this factor's
    data.pop("factors-0-measures-0-DELETE")
    response = c.post(url, data)
    assert response.status_code == 400 and "reload the page" in response.content.decode()


def test_regrade_always_records_and_clears_the_flag(world, login):
    point = make_point(world.alice)
    with scopes_disabled():
        RiskPoint.objects.filter(pk=point.pk).update(needs_regrading=True)
    c = login(world.alice)
    url = reverse("hazards:risk_point_regrade", args=[point.pk])
    assert c.get(url).status_code == 200
    body = {"method": "lec", "lec_l": "3", "lec_e": "6", "lec_c": "15", "reason": "隐患关闭后复评"}
    assert c.post(url, {**body, "reason": ""}).status_code == 400  # a re-grading says why
    assert c.post(url, body).status_code == 302
    with scopes_disabled():
        point.refresh_from_db()
        assert not point.needs_regrading
        assert RiskGrading.objects.filter(risk_point=point).count() == 2
        assert RiskGrading.objects.filter(risk_point=point).order_by("-pk").first().reason == "隐患关闭后复评"


def test_inbox_lists_points_to_regrade_for_managers(world, login):
    point = make_point(world.alice)
    with scopes_disabled():
        RiskPoint.objects.filter(pk=point.pk).update(needs_regrading=True)
    assert point.name in login(world.alice).get(reverse("approvals:inbox")).content.decode()
    assert point.name not in login(world.bob).get(reverse("approvals:inbox")).content.decode()


# ---- batch delete ----


def test_batch_delete_confirms_then_deletes_and_logs(world, login):
    a, b, keep = (make_point(world.alice, name=n) for n in ("甲", "乙", "丙"))
    foreign = make_point(world.charlie, name="外厂风险点")
    c = login(world.alice)
    url = reverse("hazards:risk_point_batch_delete")
    ids = [str(a.pk), str(b.pk), str(foreign.pk)]
    response = c.post(url, {"ids": ids})
    assert response.status_code == 200
    items = {p.name for p in response.context["points"]}
    assert items == {"甲", "乙"}  # the foreign id is not even shown
    assert len(points_of(world.acme)) == 3  # nothing deleted yet

    response = c.post(url, {"ids": ids, "confirm": "1"})
    assert response.status_code == 302
    assert [p.name for p in points_of(world.acme)] == ["丙"]
    assert [p.name for p in points_of(world.far)] == ["外厂风险点"]
    with scopes_disabled():
        logged = set(OperationLog.objects.filter(action="delete").values_list("object_id", flat=True))
        assert logged == {str(a.pk), str(b.pk)}
        assert not HazardFactor.objects.filter(risk_point_id__in=[a.pk, b.pk]).exists()
    assert keep.pk


@pytest.mark.parametrize(
    ("status", "deletable"), [("draft", True), ("returned", True), ("submitted", False), ("filed", False)]
)
def test_points_on_a_list_under_review_or_filed_are_kept(world, login, status, deletable):
    point = make_point(world.alice)
    department = _department(world.acme)
    with scopes_disabled():
        risk_list = RiskList.objects.create(
            enterprise=world.acme,
            name="车间清单",
            level="department",
            department=department,
            frequency="daily",
            status=status,
        )
        RiskListItem.objects.create(enterprise=world.acme, risk_list=risk_list, risk_point=point)
    response = login(world.alice).post(
        reverse("hazards:risk_point_batch_delete"), {"ids": [str(point.pk)], "confirm": "1"}
    )
    if deletable:
        assert response.status_code == 302 and points_of(world.acme) == []
    else:
        assert response.status_code == 400
        assert "车间清单" in response.content.decode()
        assert points_of(world.acme) == [point]


# ---- the shared library ----


def test_fixture_loads_idempotently(db):
    with scopes_disabled():
        first = load_shared_risk_points()
        assert first >= 30
        assert load_shared_risk_points() == 0
        for industry in ("hazardous_chemicals", "machinery", "construction"):
            assert SharedRiskPoint.objects.filter(industry=industry).count() >= 10
        for shared in SharedRiskPoint.objects.all():  # every typical factor comes with measures
            assert shared.factors and all(f["measures"] for f in shared.factors)


def test_copy_from_the_shared_library(world, login):
    with scopes_disabled():
        load_shared_risk_points()
        chlorine = SharedRiskPoint.objects.get(industry="hazardous_chemicals", name="液氯储罐区")
        press = SharedRiskPoint.objects.get(industry="machinery", name="冲压机")
    department = _department(world.acme)
    c = login(world.alice)
    page = c.get(reverse("hazards:risk_shared_library")).content.decode()
    assert "液氯储罐区" in page and "冲压机" not in page  # acme's industry only

    response = c.post(
        reverse("hazards:risk_shared_library"),
        {"ids": [str(chlorine.pk), str(press.pk)], "department": str(department.pk)},
    )
    assert response.status_code == 302
    [point] = points_of(world.acme)  # the machinery point of another industry is not copied
    assert (point.name, point.department_id, point.level, point.score) == ("液氯储罐区", department.pk, "major", 720)
    with scopes_disabled():
        factors = list(HazardFactor.objects.filter(risk_point=point).order_by("pk"))
        assert [f.description for f in factors] == [f["description"] for f in chlorine.factors]
        assert [m.description for m in factors[0].measures.order_by("pk")] == [
            m["description"] for m in chlorine.factors[0]["measures"]
        ]
        assert RiskGrading.objects.filter(risk_point=point).count() == 1
        log = TransferLog.objects.get(enterprise=world.acme)
        assert (log.kind, log.subject, log.rows) == ("import", "shared_library", 1)

    again = c.post(reverse("hazards:risk_shared_library"), {"ids": [str(chlorine.pk)]}, follow=True)
    assert "液氯储罐区" in again.content.decode()  # named as skipped
    assert len(points_of(world.acme)) == 1


def test_shared_library_filters_and_export(world, login):
    with scopes_disabled():
        load_shared_risk_points()
    c = login(world.alice)
    url = reverse("hazards:risk_shared_library")
    names = [p.name for p in c.get(url, {"category": "operation"}).context["table"].data]
    assert names and "动火作业" in names and "液氯储罐区" not in names
    assert [p.name for p in c.get(url, {"q": "液氯"}).context["table"].data] == ["液氯储罐区"]
    assert c.get(url, {"export": "xlsx", "q": "液氯"}).status_code == 200


def test_copy_needs_a_selection(world, login):
    response = login(world.alice).post(reverse("hazards:risk_shared_library"), {"ids": []})
    assert response.status_code == 400 and "Select at least one" in response.content.decode()


# ---- permissions: alice manages, bob views, charlie is elsewhere, government users are not here ----


def _urls(point) -> dict[str, str]:
    return {
        "detail": reverse("hazards:risk_point_detail", args=[point.pk]),
        "edit": reverse("hazards:risk_point_edit", args=[point.pk]),
        "regrade": reverse("hazards:risk_point_regrade", args=[point.pk]),
        "board": reverse("hazards:risk_point_board", args=[point.pk]),
    }


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("alice", "list", 200),
        ("alice", "create", 200),
        ("alice", "library", 200),
        ("alice", "import", 200),
        ("alice", "detail", 200),
        ("alice", "edit", 200),
        ("alice", "regrade", 200),
        ("bob", "list", 200),
        ("bob", "detail", 200),
        ("bob", "log", 200),
        ("bob", "grade", 200),
        ("bob", "map", 200),
        ("bob", "create", 403),
        ("bob", "library", 403),
        ("bob", "import", 403),
        ("bob", "template", 403),
        ("bob", "edit", 403),
        ("bob", "regrade", 403),
        ("charlie", "detail", 404),
        ("charlie", "edit", 404),
        ("charlie", "regrade", 404),
        ("charlie", "board", 404),
        ("gov_alice", "list", 403),
        ("gov_alice", "detail", 404),
        ("gov_alice", "map", 403),
    ],
)
def test_get_permissions(world, login, who, url, status):
    point = make_point(world.alice)
    urls = {
        "list": LIST,
        "create": CREATE,
        "library": reverse("hazards:risk_shared_library"),
        "import": reverse("hazards:risk_import"),
        "template": reverse("hazards:risk_import_template"),
        "log": reverse("hazards:risk_transfer_log"),
        "grade": reverse("hazards:risk_grade"),
        "map": reverse("hazards:risk_map"),
        **_urls(point),
    }
    assert login(getattr(world, who)).get(urls[url]).status_code == status


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("create", form_data()),
        ("edit", form_data()),
        ("regrade", {"method": "lec", "lec_l": "10", "lec_e": "10", "lec_c": "100", "reason": "bob"}),
        ("delete", {"ids": "PK", "confirm": "1"}),
        ("position", {"x": "10", "y": "10"}),
        ("library", {"ids": []}),
        ("grade", {"grade": "D", "basis": "bob"}),
        ("map", {}),
    ],
)
def test_bob_may_not_write(world, login, url, body):
    point = make_point(world.alice)
    urls = {
        "create": CREATE,
        "edit": reverse("hazards:risk_point_edit", args=[point.pk]),
        "regrade": reverse("hazards:risk_point_regrade", args=[point.pk]),
        "delete": reverse("hazards:risk_point_batch_delete"),
        "position": reverse("hazards:risk_point_position", args=[point.pk]),
        "library": reverse("hazards:risk_shared_library"),
        "grade": reverse("hazards:risk_grade"),
        "map": reverse("hazards:risk_map"),
    }
    body = {k: (str(point.pk) if v == "PK" else v) for k, v in body.items()}
    c = login(world.bob)  # logging in is logged: count after it
    before = (RiskGrading.objects, OperationLog.objects, TransferLog.objects)
    with scopes_disabled():
        counts = [m.count() for m in before]
    assert c.post(urls[url], body).status_code == 403
    with scopes_disabled():
        assert [m.count() for m in before] == counts
        point.refresh_from_db()
        assert (point.name, point.level, point.map_x) == ("液氯储罐区", "high", None)


def test_services_check_the_feature(world):
    point = make_point(world.alice)
    with pytest.raises(PermissionDenied):
        make_point(world.bob, name="bob 的点")
    with pytest.raises(PermissionDenied):
        services.risk_points_delete(actor=actor_for(world.bob), point_ids=[point.pk])
    with pytest.raises(PermissionDenied):
        services.risk_point_regrade(
            actor=actor_for(world.gov_alice),
            point_id=point.pk,
            grading=services.RiskGradingInput(method="lec", values={"l": 1, "e": 1, "c": 1}),
        )


def test_safety_manager_manages_and_a_custom_role_can_grant_it(world, login):
    from enterprises.models import Role

    manager = MembershipFactory(
        user=UserFactory(username="sm"), enterprise=world.acme, role=Membership.Role.SAFETY_MANAGER
    )
    assert login(manager).get(CREATE).status_code == 200
    with scopes_disabled():
        role = Role.objects.create(enterprise=world.acme, name="风险管理员", permissions=["risk.manage"])
        world.bob.custom_roles.add(role)
    assert login(world.bob).get(CREATE).status_code == 200


def test_list_filters(world, login):
    department = _department(world.acme)
    make_point(world.alice, name="高风险", values={"l": "3", "e": "6", "c": "15"}, department=department)
    low = make_point(world.alice, name="低风险", place="仓库", values={"l": "1", "e": "1", "c": "1"}, category="place")
    with scopes_disabled():
        RiskPoint.objects.filter(pk=low.pk).update(needs_regrading=True)
    c = login(world.bob)

    def names(**params) -> list[str]:
        return [p.name for p in c.get(LIST, params).context["table"].data]

    assert names() == ["低风险", "高风险"]
    assert names(level="high") == ["高风险"]
    assert names(level="low") == ["低风险"]
    assert names(category="place") == ["低风险"]
    assert names(department=department.pk) == ["高风险"]
    assert names(needs_regrading="true") == ["低风险"]
    assert names(q="仓库") == ["低风险"]


def test_list_export_is_logged(world, login):
    make_point(world.alice)
    response = login(world.bob).get(LIST, {"export": "xlsx"})
    assert response.status_code == 200
    with scopes_disabled():
        log = TransferLog.objects.get(enterprise=world.acme)
        assert (log.kind, log.subject, log.rows, log.user) == ("export", "risk_point_list", 1, world.bob.user)
