"""Risk lists (风险清单): rules at the service, the workflow (submit → internal review → filing by the owning body),
who may take each step (alice / bob / charlie, gov_alice / gov_bob / gov_charlie, city_reviewer), the pages, the
inbox, notifications, preview / PDF / export, and query counts flat in the number of rows."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.engine import TransitionRefused
from approvals.inbox import inbox_sections
from approvals.models import Decision, Node, Notification, OperationLog, ReviewRecord
from enterprises.models import Department, Membership
from hazards import services
from hazards.models import InspectionTask, RiskList, RiskListItem
from safety.tenancy import scopes_disabled

from .factories import MembershipFactory, UserFactory, actor_for
from .lists_world import make_department, make_list, make_point

WEDNESDAY = "2026-11-25 10:00:00+08:00"


@pytest.fixture
def lists(world):
    """acme's workshop and team, two points of its library, and a point of `far` (charlie's)."""

    class L:
        workshop = make_department(world.acme, "一车间", Department.Level.WORKSHOP)
        team = make_department(world.acme, "甲班", Department.Level.TEAM)
        tank = make_point(world.acme, "储罐区", place="罐区东侧")
        pump = make_point(world.acme, "泵房", place="泵房一层", level="general")
        far_point = make_point(world.far, "远方风险点")
        far_department = make_department(world.far, "远方车间")

    return L


def details(lists, **overrides) -> services.RiskListDetails:
    values = {
        "name": "一车间日常检查清单",
        "level": "workshop",
        "department": lists.workshop,
        "frequency": "daily",
        "workdays_only": True,
        "checks_per_day": 2,
        "risk_points": [lists.tank, lists.pump],
    }
    values.update(overrides)
    return services.RiskListDetails(**values)


def records(risk_list) -> list[tuple[str, str, str, str]]:
    from django.contrib.contenttypes.models import ContentType

    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(RiskList), subject_id=risk_list.pk
            ).values_list("node", "decision", "from_state", "to_state")
        )


def status_of(risk_list) -> str:
    with scopes_disabled():
        return RiskList.objects.get(pk=risk_list.pk).status


def items_of(risk_list) -> list[int]:
    with scopes_disabled():
        return list(RiskListItem.objects.filter(risk_list=risk_list).values_list("risk_point_id", flat=True))


# -- Creating and editing ----------------------------------------------------------------------------------------


def test_alice_creates_a_draft_with_its_items_in_order(world, lists):
    risk_list = services.risk_list_create(actor=world.actor("alice"), details=details(lists))
    assert risk_list.status == RiskList.Status.DRAFT
    assert items_of(risk_list) == [lists.tank.pk, lists.pump.pk]
    with scopes_disabled():
        assert OperationLog.objects.filter(action="create", object_id=str(risk_list.pk)).count() == 1


@pytest.mark.parametrize("who", ["bob", "gov_alice"])
def test_only_list_managers_create(world, lists, who):
    with pytest.raises(PermissionDenied):
        services.risk_list_create(actor=world.actor(who), details=details(lists))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"level": "team"}, "department"),  # a team list of a workshop
        ({"level": "post"}, "department"),
        ({"name": "  "}, "name"),
        ({"level": "county"}, "level"),
        ({"frequency": "hourly"}, "frequency"),
        ({"frequency": "weekly", "checks_per_day": 3}, "checks_per_day"),
        ({"checks_per_day": 8}, "checks_per_day"),
        ({"checks_per_day": 0}, "checks_per_day"),
    ],
)
def test_the_rules_of_a_list_are_checked_on_their_fields(world, lists, overrides, field):
    with pytest.raises(ValidationError) as exc:
        services.risk_list_create(actor=world.actor("alice"), details=details(lists, **overrides))
    assert field in exc.value.message_dict


def test_a_team_list_of_a_team_is_fine(world, lists):
    risk_list = services.risk_list_create(
        actor=world.actor("alice"), details=details(lists, level="team", department=lists.team)
    )
    assert risk_list.department_id == lists.team.pk


def test_another_enterprises_department_or_points_are_refused(world, lists):
    with pytest.raises(ValidationError) as exc:
        services.risk_list_create(actor=world.actor("alice"), details=details(lists, department=lists.far_department))
    assert "department" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.risk_list_create(actor=world.actor("alice"), details=details(lists, risk_points=[lists.far_point]))
    assert "risk_points" in exc.value.message_dict


def test_update_changes_items_and_is_refused_once_submitted(world, lists):
    alice = world.actor("alice")
    risk_list = services.risk_list_create(actor=alice, details=details(lists))
    services.risk_list_update(
        actor=alice, risk_list_id=risk_list.pk, details=details(lists, risk_points=[lists.pump], name="新名称")
    )
    assert items_of(risk_list) == [lists.pump.pk]
    services.risk_list_submit(actor=alice, risk_list_id=risk_list.pk)
    with pytest.raises(TransitionRefused):
        services.risk_list_update(actor=alice, risk_list_id=risk_list.pk, details=details(lists))
    assert items_of(risk_list) == [lists.pump.pk]


# -- The workflow ---------------------------------------------------------------------------------------------


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_whole_workflow_with_its_review_record_and_notifications(world, lists):
    alice, gov_alice = world.actor("alice"), world.actor("gov_alice")
    risk_list = services.risk_list_create(actor=alice, details=details(lists))
    services.risk_list_submit(actor=alice, risk_list_id=risk_list.pk)
    with scopes_disabled():
        assert Notification.objects.filter(recipient=world.alice.user, url__contains=f"/lists/{risk_list.pk}/").exists()
    services.risk_list_approve(actor=alice, risk_list_id=risk_list.pk, reason="同意")
    services.risk_list_send_for_filing(actor=alice, risk_list_id=risk_list.pk)
    with scopes_disabled():
        told = Notification.objects.filter(recipient=world.gov_alice.user)
        assert told.count() == 1 and risk_list.name in told.get().title
        assert not InspectionTask.objects.exists()  # not filed yet: no tasks
    filed = services.risk_list_file(actor=gov_alice, risk_list_id=risk_list.pk)
    assert filed.status == RiskList.Status.FILED and filed.filed_at is not None
    assert records(risk_list) == [
        (Node.ENTERPRISE, Decision.SUBMIT, "draft", "submitted"),
        (Node.ENTERPRISE, Decision.APPROVE, "submitted", "approved"),
        (Node.ENTERPRISE, Decision.SUBMIT, "approved", "filing"),
        (Node.TOWNSHIP, Decision.APPROVE, "filing", "filed"),
    ]
    with scopes_disabled():
        # Filing makes today's tasks at once: two points × two checks a day.
        assert InspectionTask.objects.filter(risk_list=risk_list, period_start="2026-11-25").count() == 4
        assert Notification.objects.filter(recipient=world.alice.user, title__contains=risk_list.name).count() >= 3


def test_return_needs_a_reason_and_resubmission_is_recorded_as_such(world, lists):
    alice = world.actor("alice")
    risk_list = services.risk_list_create(actor=alice, details=details(lists))
    services.risk_list_submit(actor=alice, risk_list_id=risk_list.pk)
    with pytest.raises(ValidationError):
        services.risk_list_return(actor=alice, risk_list_id=risk_list.pk, reason=" ")
    services.risk_list_return(actor=alice, risk_list_id=risk_list.pk, reason="缺少泵房措施")
    assert status_of(risk_list) == RiskList.Status.RETURNED
    services.risk_list_update(actor=alice, risk_list_id=risk_list.pk, details=details(lists, name="改后"))
    services.risk_list_submit(actor=alice, risk_list_id=risk_list.pk)
    assert [r[1] for r in records(risk_list)] == [Decision.SUBMIT, Decision.RETURN, Decision.RESUBMIT]


def test_the_owning_body_returns_and_the_enterprise_starts_over(world, lists):
    risk_list = make_list(world.acme, [lists.tank], department=lists.workshop, status="filing")
    services.risk_list_return_filing(actor=world.actor("gov_alice"), risk_list_id=risk_list.pk, reason="频次不足")
    assert status_of(risk_list) == RiskList.Status.RETURNED
    assert records(risk_list) == [(Node.TOWNSHIP, Decision.RETURN, "filing", "returned")]
    with scopes_disabled():
        assert Notification.objects.filter(recipient=world.alice.user, body__contains="频次不足").exists()


def test_submitting_needs_items_and_a_department_still_at_the_level(world, lists):
    alice = world.actor("alice")
    empty = make_list(world.acme, [], department=lists.workshop)
    with pytest.raises(ValidationError):
        services.risk_list_submit(actor=alice, risk_list_id=empty.pk)
    moved = make_list(world.acme, [lists.tank], department=lists.workshop)
    with scopes_disabled():
        Department.objects.filter(pk=lists.workshop.pk).update(level=Department.Level.DEPARTMENT)
    with pytest.raises(ValidationError) as exc:
        services.risk_list_submit(actor=alice, risk_list_id=moved.pk)
    assert "department" in exc.value.message_dict
    assert status_of(empty) == status_of(moved) == RiskList.Status.DRAFT


def test_a_decision_already_taken_is_refused_with_who_took_it(world, lists):
    alice = world.actor("alice")
    risk_list = make_list(world.acme, [lists.tank], department=lists.workshop, status="submitted")
    services.risk_list_approve(actor=alice, risk_list_id=risk_list.pk)
    with pytest.raises(TransitionRefused) as exc:
        services.risk_list_approve(actor=alice, risk_list_id=risk_list.pk)
    assert world.alice.user.display_name in exc.value.message


def test_each_side_returns_only_from_its_own_step(world, lists):
    filing = make_list(world.acme, [lists.tank], department=lists.workshop, status="filing")
    with pytest.raises(TransitionRefused):
        services.risk_list_return(actor=world.actor("alice"), risk_list_id=filing.pk, reason="内部退回")
    submitted = make_list(world.acme, [lists.tank], department=lists.workshop, status="submitted")
    with pytest.raises(Http404):  # the government never sees a list before it is sent for filing
        services.risk_list_return_filing(actor=world.actor("gov_alice"), risk_list_id=submitted.pk, reason="x")
    assert status_of(filing) == RiskList.Status.FILING and status_of(submitted) == RiskList.Status.SUBMITTED


STEPS = {
    # step: (state before, service, kwargs, state after)
    "submit": ("draft", services.risk_list_submit, {}, "submitted"),
    "approve": ("submitted", services.risk_list_approve, {}, "approved"),
    "return": ("submitted", services.risk_list_return, {"reason": "退回"}, "returned"),
    "send_for_filing": ("approved", services.risk_list_send_for_filing, {}, "filing"),
    "file": ("filing", services.risk_list_file, {}, "filed"),
    "return_filing": ("filing", services.risk_list_return_filing, {"reason": "退回"}, "returned"),
}
PERMISSIONS = [
    ("submit", "alice", "ok"),
    ("submit", "bob", 403),
    ("submit", "charlie", 404),
    ("submit", "gov_alice", 404),
    ("approve", "alice", "ok"),
    ("approve", "bob", 403),
    ("approve", "charlie", 404),
    ("return", "alice", "ok"),
    ("return", "bob", 403),
    ("return", "gov_charlie", 404),
    ("send_for_filing", "alice", "ok"),
    ("send_for_filing", "bob", 403),
    ("send_for_filing", "charlie", 404),
    ("file", "gov_alice", "ok"),
    ("file", "city_reviewer", "ok"),  # a body above the owning body
    ("file", "gov_bob", 403),  # read-only leader
    ("file", "gov_charlie", 404),  # another province
    ("file", "alice", 404),  # the enterprise does not file its own list
    ("file", "charlie", 404),
    ("return_filing", "gov_alice", "ok"),
    ("return_filing", "gov_bob", 403),
    ("return_filing", "gov_charlie", 404),
    ("return_filing", "alice", 404),
]


@time_machine.travel(WEDNESDAY, tick=False)
@pytest.mark.parametrize(("step", "who", "expected"), PERMISSIONS)
def test_who_may_take_each_step(world, lists, step, who, expected):
    before, service, kwargs, after = STEPS[step]
    risk_list = make_list(world.acme, [lists.tank], department=lists.workshop, status=before)
    call = lambda: service(actor=world.actor(who), risk_list_id=risk_list.pk, **kwargs)  # noqa: E731
    if expected == "ok":
        call()
        assert status_of(risk_list) == after
        return
    with pytest.raises(PermissionDenied if expected == 403 else Http404):
        call()
    assert status_of(risk_list) == before
    assert records(risk_list) == []


def test_a_safety_manager_reviews_and_staff_with_a_custom_review_role_too(world, lists):
    from enterprises.models import Role

    manager = MembershipFactory(user=UserFactory(), enterprise=world.acme, role=Membership.Role.SAFETY_MANAGER)
    with scopes_disabled():
        role = Role.objects.create(enterprise=world.acme, name="清单审核", permissions=["risk_lists.review"])
    world.bob.custom_roles.add(role)
    first = make_list(world.acme, [lists.tank], department=lists.workshop, status="submitted")
    second = make_list(world.acme, [lists.tank], department=lists.workshop, status="submitted")
    services.risk_list_approve(actor=actor_for(manager), risk_list_id=first.pk)
    services.risk_list_approve(actor=actor_for(world.bob), risk_list_id=second.pk)
    assert status_of(first) == status_of(second) == RiskList.Status.APPROVED


# -- Pages ----------------------------------------------------------------------------------------------------


def form_data(lists, **overrides) -> dict:
    data = {
        "name": "页面清单",
        "level": "workshop",
        "department": str(lists.workshop.pk),
        "frequency": "daily",
        "workdays_only": "1",
        "checks_per_day": "1",
        "risk_points": [str(lists.tank.pk), str(lists.pump.pk)],
    }
    data.update(overrides)
    return data


def test_create_page_saves_a_draft(world, lists, login):
    c = login(world.alice)
    assert c.get(reverse("hazards:risk_list_create")).status_code == 200
    response = c.post(reverse("hazards:risk_list_create"), form_data(lists))
    assert response.status_code == 302
    with scopes_disabled():
        risk_list = RiskList.objects.get(name="页面清单")
    assert response.url == reverse("hazards:risk_list_detail", args=[risk_list.pk])
    assert sorted(items_of(risk_list)) == sorted([lists.tank.pk, lists.pump.pk])


def test_a_level_mismatch_is_explained_on_the_form_and_the_input_kept(world, lists, login):
    c = login(world.alice)
    response = c.post(reverse("hazards:risk_list_create"), form_data(lists, level="team", name="保留的名称"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "一车间" in html and "is-invalid" in html
    assert 'value="保留的名称"' in html
    assert html.count("checked") >= 2  # the chosen points stay chosen
    with scopes_disabled():
        assert not RiskList.objects.exists()


def test_several_checks_a_day_only_for_daily_lists_on_the_form(world, lists, login):
    response = login(world.alice).post(
        reverse("hazards:risk_list_create"), form_data(lists, frequency="monthly", checks_per_day="3")
    )
    assert response.status_code == 400
    assert "id_checks_per_day" in response.content.decode()
    assert response.context["form"].errors["checks_per_day"]


def test_department_choices_are_the_enterprises_own(world, lists, login):
    response = login(world.alice).get(reverse("hazards:risk_list_create"))
    form = response.context["form"]
    assert set(form.fields["department"].queryset) == {lists.workshop, lists.team}
    assert set(form.fields["risk_points"].queryset) == {lists.tank, lists.pump}
    response = login(world.alice).post(
        reverse("hazards:risk_list_create"),
        form_data(lists, department=str(lists.far_department.pk), risk_points=[str(lists.far_point.pk)]),
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"department", "risk_points"}


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("gov_alice", 403), ("charlie", 200)])
def test_create_page_for_others(world, lists, login, who, status):
    # charlie manages his own enterprise's lists: the page is his (with his own departments only).
    response = login(getattr(world, who)).get(reverse("hazards:risk_list_create"))
    assert response.status_code == status
    if status == 200:
        assert list(response.context["form"].fields["department"].queryset) == [lists.far_department]


def test_copy_from_another_list_of_the_enterprise(world, lists, login):
    source = make_list(world.acme, [lists.pump, lists.tank], department=lists.workshop, frequency="weekly")
    c = login(world.alice)
    response = c.get(reverse("hazards:risk_list_create"), {"copy_from": source.pk})
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["frequency"] == "weekly" and set(initial["risk_points"]) == {lists.pump.pk, lists.tank.pk}
    assert source.name in initial["name"]
    response = c.post(
        reverse("hazards:risk_list_create"),
        form_data(lists, name="复制的清单", frequency="weekly", copy_from=str(source.pk)),
    )
    assert response.status_code == 302
    with scopes_disabled():
        copy = RiskList.objects.get(name="复制的清单")
        log = OperationLog.objects.get(action="create", object_id=str(copy.pk))
    assert f"copied from list {source.pk}" in log.detail
    assert set(items_of(copy)) == set(items_of(source))


def test_copy_from_another_enterprises_list_is_not_found(world, lists, login):
    theirs = make_list(world.far, [lists.far_point], department=lists.far_department, level="workshop")
    c = login(world.alice)
    assert c.get(reverse("hazards:risk_list_create"), {"copy_from": theirs.pk}).status_code == 404
    assert c.get(reverse("hazards:risk_list_create"), {"copy_from": "x"}).status_code == 404


def test_edit_page_only_for_drafts_and_returned_lists(world, lists, login):
    c = login(world.alice)
    draft = make_list(world.acme, [lists.tank], department=lists.workshop)
    assert c.get(reverse("hazards:risk_list_edit", args=[draft.pk])).status_code == 200
    response = c.post(reverse("hazards:risk_list_edit", args=[draft.pk]), form_data(lists, name="改名"))
    assert response.status_code == 302
    with scopes_disabled():
        assert RiskList.objects.get(pk=draft.pk).name == "改名"
    filed = make_list(world.acme, [lists.tank], department=lists.workshop, status="filed")
    response = c.post(reverse("hazards:risk_list_edit", args=[filed.pk]), form_data(lists, name="不许改"))
    assert response.status_code == 302 and response.url == reverse("hazards:risk_list_detail", args=[filed.pk])
    with scopes_disabled():
        assert RiskList.objects.get(pk=filed.pk).name != "不许改"
    assert login(world.bob, Client()).get(reverse("hazards:risk_list_edit", args=[draft.pk])).status_code == 403


def test_detail_page_actions_follow_status_and_permission(world, lists, login):
    risk_list = make_list(world.acme, [lists.tank], department=lists.workshop)
    url = reverse("hazards:risk_list_detail", args=[risk_list.pk])
    alice = login(world.alice)
    html = alice.get(url).content.decode()
    assert 'data-testid="action-submit"' in html and 'data-testid="action-edit"' in html
    assert "储罐液位计完好" in html  # the point's measures are on the page
    bob = login(world.bob, Client())
    html = bob.get(url).content.decode()
    assert 'data-testid="action-submit"' not in html
    assert bob.post(url, {"action": "submit"}).status_code == 403
    assert alice.post(url, {"action": "submit"}).status_code == 302
    assert status_of(risk_list) == RiskList.Status.SUBMITTED
    html = alice.get(url).content.decode()
    assert 'data-testid="action-approve"' in html and 'data-decision="submit"' in html
    response = alice.post(url, {"action": "return", "reason": ""})
    assert response.status_code == 400 and status_of(risk_list) == RiskList.Status.SUBMITTED
    alice.post(url, {"action": "approve", "reason": "同意"})
    assert status_of(risk_list) == RiskList.Status.APPROVED
    alice.post(url, {"action": "approve"})  # already decided: a message, nothing changes
    assert status_of(risk_list) == RiskList.Status.APPROVED
    alice.post(url, {"action": "send_for_filing"})
    assert status_of(risk_list) == RiskList.Status.FILING


def test_government_page_files_and_returns(world, lists, login):
    risk_list = make_list(world.acme, [lists.tank], department=lists.workshop, status="filing")
    url = reverse("hazards:gov_risk_list_detail", args=[risk_list.pk])
    gov_bob = login(world.gov_bob, Client())
    html = gov_bob.get(url).content.decode()
    assert "储罐区" in html and 'data-testid="action-file"' not in html
    assert gov_bob.post(url, {"action": "file"}).status_code == 403
    assert login(world.gov_charlie, Client()).get(url).status_code == 404
    gov_alice = login(world.gov_alice, Client())
    assert 'data-testid="action-file"' in gov_alice.get(url).content.decode()
    assert gov_alice.post(url, {"action": "return", "reason": ""}).status_code == 400
    assert gov_alice.post(url, {"action": "file", "reason": "已备案"}).status_code == 302
    assert status_of(risk_list) == RiskList.Status.FILED
    html = gov_alice.get(url).content.decode()
    assert 'data-testid="action-file"' not in html and "已备案" in html


def test_government_keeps_seeing_what_it_returned_but_not_internal_returns(world, lists, login):
    sent = make_list(world.acme, [lists.tank], department=lists.workshop, name="退回的清单", status="approved")
    services.risk_list_send_for_filing(actor=world.actor("alice"), risk_list_id=sent.pk)
    url = reverse("hazards:gov_risk_list_detail", args=[sent.pk])
    gov_alice = login(world.gov_alice)
    response = gov_alice.post(url, {"action": "return", "reason": "频次不足"})
    assert response.status_code == 302 and response.url == url
    html = gov_alice.get(url).content.decode()
    assert 'data-status="returned"' in html and "频次不足" in html and 'data-testid="action-file"' not in html
    every = gov_alice.get(reverse("hazards:gov_risk_lists_tab", args=["all"])).content.decode()
    assert "退回的清单" in every
    internal = make_list(world.acme, [lists.tank], department=lists.workshop, name="内部退回", status="submitted")
    services.risk_list_return(actor=world.actor("alice"), risk_list_id=internal.pk, reason="内部")
    assert gov_alice.get(reverse("hazards:gov_risk_list_detail", args=[internal.pk])).status_code == 404
    assert "内部退回" not in gov_alice.get(reverse("hazards:gov_risk_lists_tab", args=["all"])).content.decode()


def test_government_queue_shows_only_lists_sent_to_it(world, lists, login):
    make_list(world.acme, [lists.tank], department=lists.workshop, name="草稿清单")
    make_list(world.acme, [lists.tank], department=lists.workshop, name="待备案清单", status="filing")
    make_list(world.acme, [lists.tank], department=lists.workshop, name="已备案清单", status="filed")
    make_list(world.far, [lists.far_point], department=lists.far_department, name="远方清单", status="filing")
    gov_alice = login(world.gov_alice)
    filing = gov_alice.get(reverse("hazards:gov_risk_lists")).content.decode()
    assert "待备案清单" in filing and "已备案清单" not in filing and "草稿清单" not in filing
    every = gov_alice.get(reverse("hazards:gov_risk_lists_tab", args=["all"])).content.decode()
    assert "待备案清单" in every and "已备案清单" in every and "草稿清单" not in every and "远方清单" not in every
    assert "待备案清单" in login(world.city_reviewer, Client()).get(reverse("hazards:gov_risk_lists")).content.decode()
    charlie_view = login(world.gov_charlie, Client()).get(reverse("hazards:gov_risk_lists")).content.decode()
    assert "远方清单" in charlie_view and "待备案清单" not in charlie_view
    assert login(world.alice, Client()).get(reverse("hazards:gov_risk_lists")).status_code == 403
    assert gov_alice.get(reverse("hazards:gov_risk_lists_tab", args=["nope"])).status_code == 404


def test_enterprise_list_page(world, lists, login):
    make_list(world.acme, [lists.tank, lists.pump], department=lists.workshop, name="阿克米清单")
    make_list(world.far, [lists.far_point], department=lists.far_department, name="远方清单")
    html = login(world.alice).get(reverse("hazards:risk_lists")).content.decode()
    assert "阿克米清单" in html and "远方清单" not in html and 'data-testid="risk-list-new"' in html
    bob = login(world.bob, Client()).get(reverse("hazards:risk_lists")).content.decode()
    assert "阿克米清单" in bob and 'data-testid="risk-list-new"' not in bob
    assert "阿克米清单" not in login(world.charlie, Client()).get(reverse("hazards:risk_lists")).content.decode()
    assert login(world.gov_alice, Client()).get(reverse("hazards:risk_lists")).status_code == 403
    response = login(world.alice, Client()).get(reverse("hazards:risk_lists"), {"export": "xlsx"})
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]


def test_inbox_of_each_reviewer(world, lists):
    make_list(world.acme, [lists.tank], department=lists.workshop, name="待审清单", status="submitted")
    make_list(world.acme, [lists.tank], department=lists.workshop, name="待备案清单", status="filing")

    def titles(who):
        with scopes_disabled():
            actor = world.actor(who)
        from safety.tenancy import actor_scope

        with actor_scope(actor):
            return [i.title for s in inbox_sections(actor) if s.provider.key.startswith("risk_lists") for i in s.items]

    assert titles("alice") == ["待审清单"]
    assert titles("bob") == []
    assert titles("gov_alice") == [f"{world.acme.name} · 待备案清单"]
    assert titles("gov_bob") == []
    assert titles("city_reviewer") == []  # the owning body's to-do; bodies above see it in their queue
    assert titles("gov_charlie") == []


def test_preview_and_pdf(world, lists, login):
    risk_list = make_list(world.acme, [lists.tank], department=lists.workshop)
    alice = login(world.alice)
    html = alice.get(reverse("hazards:risk_list_preview", args=[risk_list.pk])).content.decode()
    assert "储罐区" in html and "静电接地线连接可靠" in html and "risk-high" in html
    response = alice.get(reverse("hazards:risk_list_pdf", args=[risk_list.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    gov_alice = login(world.gov_alice, Client())
    assert gov_alice.get(reverse("hazards:risk_list_pdf", args=[risk_list.pk])).status_code == 404  # a draft
    with scopes_disabled():
        RiskList.objects.filter(pk=risk_list.pk).update(status="filing")
    assert gov_alice.get(reverse("hazards:risk_list_pdf", args=[risk_list.pk])).status_code == 200


# -- Query counts ---------------------------------------------------------------------------------------------


def _count(c: Client, url: str) -> int:
    c.get(url)  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow_lists(world, lists, n: int, status: str, start: int) -> None:
    for i in range(start, n):
        make_list(world.acme, [lists.tank, lists.pump], department=lists.workshop, status=status, name=f"清单{i:03d}")


@pytest.mark.parametrize(
    ("who", "url_name", "status"),
    [("alice", "hazards:risk_lists", "submitted"), ("gov_alice", "hazards:gov_risk_lists", "filing")],
)
def test_list_query_counts_are_flat(world, lists, login, who, url_name, status):
    c = login(getattr(world, who))
    url = reverse(url_name)
    _grow_lists(world, lists, 2, status, 0)
    few = _count(c, url)
    _grow_lists(world, lists, 30, status, 2)
    many = _count(c, url)
    assert few == many, f"{url}: {few} queries with 2 lists, {many} with 30"
    assert c.get(url).content.decode().count("清单0") >= 25


@pytest.mark.parametrize(
    ("frequency", "workdays_only", "checks", "shown"),
    [
        ("daily", True, 1, "Daily on workdays (Monday to Friday)"),
        ("daily", False, 3, "Daily, weekends included × 3"),
        ("weekly", True, 1, "Weekly"),
        ("yearly", False, 1, "Yearly"),
    ],
)
def test_how_the_frequency_reads(frequency, workdays_only, checks, shown):
    from django.utils import translation

    from hazards.tables import risk_list_frequency

    risk_list = RiskList(frequency=frequency, workdays_only=workdays_only, checks_per_day=checks)
    with translation.override("en"):
        assert risk_list_frequency(risk_list) == shown
