"""University specifics: the first-login redirect, teachers' profiles, students' activation by the supervising
teacher, colleges and labs (heads, stock limits). Services first, then the HTTP views and the permission tables."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from approvals import inbox
from approvals.engine import TransitionRefused
from approvals.models import Decision, Node, Notification, OperationLog, ReviewRecord
from enterprises import selectors, services
from enterprises.models import AcademicTitle, Department, Membership
from enterprises.services import LabProfile
from safety.menus import menu_for
from safety.tenancy import actor_scope, scopes_disabled

from .factories import MembershipFactory, UserFactory, actor_for
from .university_world import Uni, build_uni, student, student_actor, teacher

PROFILE_URL = "/lab/profile/"


@pytest.fixture
def uni(world) -> Uni:
    return build_uni(world)


def reload(m: Membership) -> Membership:
    return Membership.objects.select_related("user", "department", "supervisor").get(pk=m.pk)


def records_of(m: Membership) -> list[ReviewRecord]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(Membership), subject_id=m.pk
            ).order_by("created_at", "pk")
        )


def todo_count(actor) -> int:
    with actor_scope(actor):  # as in a request: the inbox providers read in the actor's scope
        return inbox.inbox_count(actor)


def todo_sections(actor) -> list:
    with actor_scope(actor):
        return inbox.inbox_sections(actor)


def sheet_values(response) -> list[list]:
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def profile(lab: Department, **overrides) -> LabProfile:
    fields = {"full_name": "卡萝", "phone": "13912345678", "email": "carol@example.com", "department": lab}
    fields.update(overrides)
    return LabProfile(**fields)


def submit(uni: Uni, m: Membership | None = None, supervisor: Membership | None = None, lab=None) -> Membership:
    m = m or uni.s_carol
    return services.student_activation_submit(
        actor=student_actor(m), profile=profile(lab or uni.organic), supervisor=(supervisor or uni.t_alice).user
    )


def student_client(m: Membership) -> Client:
    c = Client()
    c.force_login(m.user)
    return c


def client_for(login, uni: Uni, name: str) -> Client:
    m = getattr(uni, name)
    if m.status != Membership.Status.ACTIVE:
        return student_client(m)
    return login(m, Client())


def form_data(lab: Department, supervisor: Membership | None = None, **overrides) -> dict:
    data = {
        "full_name": "卡萝",
        "phone": "13912345678",
        "email": "carol@example.com",
        "college": str(lab.parent_id),
        "lab": str(lab.pk),
    }
    if supervisor is not None:
        data["supervisor"] = str(supervisor.user_id)
    data.update(overrides)
    return data


# ------------------------------------------------------------------------------------ first-login redirect


@pytest.mark.parametrize(
    ("who", "redirected"),
    [
        ("t_new", True),  # teacher, profile not completed
        ("t_alice", False),  # teacher, profile completed
        ("s_carol", True),  # student, pending, nothing submitted
        ("s_submitted", True),  # student, pending, awaiting the teacher
        ("s_rejected", True),  # student, rejected
        ("s_active", False),  # student, activated
        ("uni_admin", False),
        ("officer", False),
        ("college_admin", False),
    ],
)
@pytest.mark.parametrize("url", ["/", "/inbox/", "/lab/colleges/", "/org/profile/"])
def test_first_login_redirect_table(uni, login, who, redirected, url):
    if who == "s_submitted":
        submit(uni)
        who = "s_carol"
    elif who == "s_rejected":
        submit(uni)
        services.student_activation_reject(actor=uni.actor("t_alice"), membership_id=uni.s_carol.pk, reason="不认识")
        who = "s_carol"
    response = client_for(login, uni, who).get(url)
    if redirected:
        assert response.status_code == 302
        assert response["Location"] == PROFILE_URL
    else:
        assert response.status_code != 302 or response["Location"] != PROFILE_URL


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "gov_alice", "gov_bob", "city_reviewer"])
def test_non_university_roles_are_not_redirected(world, uni, login, who):
    response = login(getattr(world, who), Client()).get("/")
    assert response.status_code == 200


def test_a_teacher_role_outside_a_university_is_not_redirected(world, login):
    m = MembershipFactory(enterprise=world.acme, role=Membership.Role.TEACHER)
    assert login(m, Client()).get("/").status_code == 200


def test_a_disabled_student_is_not_sent_to_the_profile(uni):
    Membership.objects.filter(pk=uni.s_carol.pk).update(status=Membership.Status.DISABLED)
    response = student_client(uni.s_carol).get("/")
    assert response.status_code == 200  # the "no organisation" page
    assert student_client(uni.s_carol).get(PROFILE_URL)["Location"] == "/"


@pytest.mark.parametrize("who", ["t_new", "s_carol"])
@pytest.mark.parametrize(
    "url",
    [PROFILE_URL, "/lab/profile/labs/", "/lab/profile/supervisors/", "/notifications/", "/accounts/password_change/"],
)
def test_what_a_user_owing_the_profile_may_still_open(uni, login, who, url):
    response = client_for(login, uni, who).get(url)
    assert response.status_code == 200, (url, response.status_code)


def test_logout_works_while_owing_the_profile(uni):
    c = student_client(uni.s_carol)
    response = c.post("/accounts/logout/")
    assert response.status_code in (200, 302)
    assert c.get("/")["Location"].startswith("/accounts/login/")


def test_an_htmx_request_is_redirected_with_hx_redirect(uni, login):
    response = login(uni.t_new, Client()).get("/inbox/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == PROFILE_URL


@pytest.mark.parametrize("who", ["t_new", "s_carol"])
def test_the_redirect_costs_no_query_of_its_own(uni, login, who):
    c = client_for(login, uni, who)
    c.get("/")  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        response = c.get("/inbox/")
    assert response.status_code == 302
    # Only the request's preamble: the session, the user and the memberships the actor is built from.
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0] for q in ctx.captured_queries]
    assert tables == ['"django_session"', '"enterprises_user"', '"enterprises_membership"'], tables


# ------------------------------------------------------------------------------------ teacher profile


def test_teacher_completes_the_profile_and_gets_the_full_menu(uni, login):
    c = login(uni.t_new, Client())
    page = c.get(PROFILE_URL)
    assert page.status_code == 200
    assert b'data-state="first"' in page.content
    with scopes_disabled():
        college_ids = {d.pk for d in page.context["form"].fields["college"].queryset}
    assert college_ids == {uni.chemistry.pk, uni.life.pk}  # this university's colleges only

    before = timezone.now()
    response = c.post(
        PROFILE_URL,
        {
            "full_name": "牛老师",
            "phone": "0830-3123456",
            "email": "niu@example.com",
            "college": uni.life.pk,
            "lab": uni.microbio.pk,
            "title": AcademicTitle.ASSOCIATE_PROFESSOR,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"
    m = reload(uni.t_new)
    assert m.profile_completed_at >= before
    assert (m.department, m.title, m.status) == (uni.microbio, AcademicTitle.ASSOCIATE_PROFESSOR, "active")
    assert (m.user.full_name, m.user.phone, m.user.email) == ("牛老师", "0830-3123456", "niu@example.com")
    log = OperationLog.objects.get(action=OperationLog.Action.UPDATE, object_id=str(m.pk))
    assert log.enterprise_id == uni.university.pk and "profile completed" in log.detail

    home = c.get("/")
    assert home.status_code == 200
    names = [e.url_name for e in home.context["menu"]]
    assert "enterprises:student_activations" in names and "approvals:inbox" in names


def test_teacher_without_a_lab_belongs_to_the_college(uni, login):
    c = login(uni.t_new, Client())
    data = {"full_name": "牛老师", "phone": "13800001111", "email": "n@example.com", "college": uni.life.pk}
    assert c.post(PROFILE_URL, {**data, "title": "professor"}).status_code == 302
    assert reload(uni.t_new).department == uni.life


def test_a_completed_teacher_may_correct_the_profile_keeping_the_date(uni, login):
    first = reload(uni.t_alice).profile_completed_at
    c = login(uni.t_alice, Client())
    page = c.get(PROFILE_URL)
    assert page.context["form"]["lab"].value() == uni.organic.pk
    data = {"full_name": "艾老师", "phone": "13800001111", "email": "a@example.com"}
    c.post(PROFILE_URL, {**data, "college": uni.chemistry.pk, "lab": uni.analytic.pk, "title": "professor"})
    m = reload(uni.t_alice)
    assert m.department == uni.analytic and m.profile_completed_at == first


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lab": "microbio"}, "lab"),  # a lab of another college than the chosen one
        ({"lab": "far_lab"}, "lab"),  # another university's lab
        ({"college": "far_college"}, "college"),
        ({"phone": "12345"}, "phone"),
        ({"email": "not-an-e-mail"}, "email"),
        ({"title": ""}, "title"),
        ({"full_name": ""}, "full_name"),
    ],
)
def test_teacher_profile_errors_are_inline_and_keep_the_input(uni, login, change, field):
    data = {
        "full_name": "牛老师",
        "phone": "13800001111",
        "email": "niu@example.com",
        "college": uni.chemistry.pk,
        "lab": uni.organic.pk,
        "title": "lecturer",
    }
    for k, v in change.items():
        data[k] = getattr(uni, v).pk if k in ("lab", "college") and v else v
    response = login(uni.t_new, Client()).post(PROFILE_URL, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert form["full_name"].value() == data["full_name"]
    assert reload(uni.t_new).profile_completed_at is None


def test_teacher_profile_service_refuses_others(uni, world):
    p = profile(uni.organic, title="lecturer")
    for actor in (uni.actor("s_active"), uni.actor("uni_admin"), actor_for(world.alice), student_actor(uni.s_carol)):
        with pytest.raises(PermissionDenied):
            services.lab_profile_complete(actor=actor, profile=p)
    with pytest.raises(ValidationError):
        services.lab_profile_complete(actor=uni.actor("t_new"), profile=profile(uni.far_lab))


# ------------------------------------------------------------------------------------ student activation


def test_submit_records_notifies_and_fills_the_teachers_inbox(uni):
    teacher_actor = uni.actor("t_alice")
    assert todo_count(teacher_actor) == 0
    before = timezone.now()
    m = submit(uni)

    m = reload(m)
    assert (m.status, m.supervisor, m.department) == ("pending", uni.t_alice.user, uni.organic)
    assert m.profile_completed_at >= before
    assert (m.user.full_name, m.user.phone, m.user.email) == ("卡萝", "13912345678", "carol@example.com")
    [record] = records_of(m)
    assert record.reviewer_name == "卡萝"  # the name just given, not the bare user name
    assert (record.node, record.decision, record.reviewer, record.to_state) == (
        Node.APPLICANT,
        Decision.SUBMIT,
        m.user,
        "pending",
    )
    assert record.enterprise_id == uni.university.pk and record.node_name == uni.organic.name
    n = Notification.objects.get(recipient=uni.t_alice.user)
    assert n.url == f"/lab/activations/{m.pk}/" and "卡萝" in n.title
    assert not Notification.objects.filter(recipient=uni.t_bob.user).exists()

    assert todo_count(teacher_actor) == 1
    [section] = todo_sections(teacher_actor)
    assert [i.url for i in section.items] == [f"/lab/activations/{m.pk}/"]
    assert todo_count(uni.actor("t_bob")) == 0
    assert todo_count(uni.actor("uni_admin")) == 0


def test_approve_activates_and_tells_the_student(uni):
    m = submit(uni)
    services.student_activation_approve(actor=uni.actor("t_alice"), membership_id=m.pk, reason="好")
    m = reload(m)
    assert m.status == Membership.Status.ACTIVE
    records = records_of(m)
    assert [(r.node, r.decision) for r in records] == [(Node.APPLICANT, Decision.SUBMIT), (Node.SUPERVISOR, "approve")]
    assert records[-1].reviewer == uni.t_alice.user and records[-1].node_name == uni.organic.name
    assert records[-1].from_state == "pending" and records[-1].to_state == "active"
    n = Notification.objects.get(recipient=m.user)
    assert n.url == "/"
    assert todo_count(uni.actor("t_alice")) == 0
    assert OperationLog.objects.filter(action=OperationLog.Action.TRANSITION, object_id=str(m.pk)).count() == 1


def test_reject_needs_a_reason(uni):
    m = submit(uni)
    for reason in ("", "   "):
        with pytest.raises(ValidationError):
            services.student_activation_reject(actor=uni.actor("t_alice"), membership_id=m.pk, reason=reason)
    assert reload(m).status == Membership.Status.PENDING


def test_reject_then_resubmit_to_another_teacher(uni):
    m = submit(uni)
    services.student_activation_reject(actor=uni.actor("t_alice"), membership_id=m.pk, reason="不是我的学生。")
    m = reload(m)
    assert m.status == Membership.Status.REJECTED
    told = Notification.objects.get(recipient=m.user)
    assert "不是我的学生" in told.body and "。。" not in told.body and told.url == PROFILE_URL
    assert todo_count(uni.actor("t_alice")) == 0

    with translation.override("en"):
        submit(uni, supervisor=uni.t_bob, lab=uni.analytic)
    m = reload(m)
    assert (m.status, m.supervisor, m.department) == ("pending", uni.t_bob.user, uni.analytic)
    assert [(r.node, r.decision) for r in records_of(m)] == [
        (Node.APPLICANT, Decision.SUBMIT),
        (Node.SUPERVISOR, Decision.REJECT),
        (Node.APPLICANT, Decision.RESUBMIT),
    ]
    assert records_of(m)[1].reason == "不是我的学生。"
    assert todo_count(uni.actor("t_bob")) == 1
    assert todo_count(uni.actor("t_alice")) == 0
    assert "resubmitted" in Notification.objects.get(recipient=uni.t_bob.user).title
    # Only the newly chosen teacher decides now.
    with pytest.raises(PermissionDenied):
        services.student_activation_approve(actor=uni.actor("t_alice"), membership_id=m.pk)
    services.student_activation_approve(actor=uni.actor("t_bob"), membership_id=m.pk)
    assert reload(m).status == Membership.Status.ACTIVE


def test_resubmit_to_the_same_teacher(uni):
    m = submit(uni)
    services.student_activation_reject(actor=uni.actor("t_alice"), membership_id=m.pk, reason="手机号不对")
    submit(uni, supervisor=uni.t_alice)
    assert reload(m).status == Membership.Status.PENDING
    assert todo_count(uni.actor("t_alice")) == 1


def test_a_second_submission_while_awaiting_is_refused(uni):
    submit(uni)
    with pytest.raises(TransitionRefused):
        submit(uni, supervisor=uni.t_bob)
    m = reload(uni.s_carol)
    assert m.supervisor == uni.t_alice.user
    assert len(records_of(m)) == 1


@pytest.mark.parametrize(
    ("supervisor", "lab"),
    [
        ("far_teacher", "organic"),  # a teacher of another university
        ("uni_admin", "organic"),  # not a teacher
        ("t_alice", "far_lab"),  # another university's lab
        ("t_alice", "chemistry"),  # a college is not a lab
    ],
)
def test_submit_checks_teacher_and_lab(uni, supervisor, lab):
    with pytest.raises(ValidationError):
        services.student_activation_submit(
            actor=student_actor(uni.s_carol),
            profile=profile(getattr(uni, lab)),
            supervisor=getattr(uni, supervisor).user,
        )
    assert reload(uni.s_carol).supervisor is None and records_of(uni.s_carol) == []


def test_submit_refuses_a_disabled_teacher_and_oneself(uni):
    Membership.objects.filter(pk=uni.t_bob.pk).update(status=Membership.Status.DISABLED)
    with pytest.raises(ValidationError):
        submit(uni, supervisor=uni.t_bob)
    with pytest.raises(ValidationError):
        services.student_activation_submit(
            actor=student_actor(uni.s_carol), profile=profile(uni.organic), supervisor=uni.s_carol.user
        )


@pytest.mark.parametrize("who", ["s_active", "t_alice", "uni_admin"])
def test_submit_is_only_for_students_awaiting_activation(uni, who):
    with pytest.raises(PermissionDenied):
        services.student_activation_submit(
            actor=uni.actor(who), profile=profile(uni.organic), supervisor=uni.t_bob.user
        )


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("t_bob", PermissionDenied),  # another teacher of the same university
        ("uni_admin", PermissionDenied),  # a manager sees the request but does not decide it
        ("officer", PermissionDenied),
        ("college_admin", PermissionDenied),
        ("s_active", PermissionDenied),  # another (active) student
        ("far_teacher", Http404),  # another university: not even found
        ("s_carol", Http404),  # the student cannot approve themself: no scope before activation
    ],
)
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_who_may_not_decide(uni, world, who, error, decision):
    m = submit(uni)
    kwargs = {"reason": "x"}
    with pytest.raises(error):
        getattr(services, f"student_activation_{decision}")(actor=uni.actor(who), membership_id=m.pk, **kwargs)
    assert reload(m).status == Membership.Status.PENDING
    assert len(records_of(m)) == 1


@pytest.mark.parametrize("who", ["alice", "charlie", "gov_alice", "city_reviewer"])
def test_outsiders_cannot_decide(uni, world, who):
    m = submit(uni)
    with pytest.raises(Http404):
        services.student_activation_approve(actor=actor_for(getattr(world, who)), membership_id=m.pk)
    assert reload(m).status == Membership.Status.PENDING


def test_the_supervisor_cannot_decide_an_unsubmitted_student(uni):
    # Picked as supervisor by nobody yet: s_carol has no supervisor.
    with pytest.raises(PermissionDenied):
        services.student_activation_approve(actor=uni.actor("t_alice"), membership_id=uni.s_carol.pk)


@pytest.mark.parametrize(("first", "second"), [("approve", "approve"), ("approve", "reject"), ("reject", "approve")])
def test_a_second_decision_is_refused_naming_who_decided(uni, first, second):
    m = submit(uni)
    teacher_actor = uni.actor("t_alice")
    getattr(services, f"student_activation_{first}")(actor=teacher_actor, membership_id=m.pk, reason="r")
    with pytest.raises(TransitionRefused) as exc:
        getattr(services, f"student_activation_{second}")(actor=teacher_actor, membership_id=m.pk, reason="r")
    assert uni.t_alice.user.display_name in exc.value.message
    assert len(records_of(m)) == 2


def test_submission_time_is_each_requests_own_in_local_time(uni, login):
    """The inbox and the list show when the current request was sent: a resubmission restarts the clock."""
    with time_machine.travel(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), tick=False):  # 09:00 in Shanghai
        m = submit(uni)
        services.student_activation_reject(actor=uni.actor("t_alice"), membership_id=m.pk, reason="重选")
    with time_machine.travel(datetime(2026, 3, 5, 2, 30, tzinfo=UTC), tick=False):  # 10:30 in Shanghai
        submit(uni, supervisor=uni.t_bob)
    m = reload(m)
    assert m.profile_completed_at == datetime(2026, 3, 5, 2, 30, tzinfo=UTC)
    [section] = todo_sections(uni.actor("t_bob"))
    assert section.items[0].since == m.profile_completed_at
    html = login(uni.t_bob, Client()).get("/lab/activations/").content.decode()
    assert "2026-03-05 10:30" in html
    times = [timezone.localtime(r.created_at).strftime("%m-%d %H:%M") for r in records_of(m)]
    assert times == ["03-02 09:00", "03-02 09:00", "03-05 10:30"]


# ------------------------------------------------------------------------------------ activation over HTTP


def test_activation_flow_over_http(uni, login):
    student = student_client(uni.s_carol)
    page = student.get(PROFILE_URL)
    assert page.status_code == 200
    assert b'data-state="draft"' in page.content
    assert page.context["menu"] == []  # nothing else while pending
    supervisor_field = page.context["form"].fields["supervisor"]
    # Every active teacher of the university (t_new too: the profile is not needed to be chosen).
    assert {m.user_id for m in supervisor_field.queryset} == {u.user_id for u in (uni.t_alice, uni.t_bob, uni.t_new)}

    response = student.post(PROFILE_URL, form_data(uni.organic, uni.t_alice))
    assert response.status_code == 302 and response["Location"] == PROFILE_URL
    page = student.get(PROFILE_URL)
    assert b'data-state="awaiting"' in page.content and b'data-testid="profile-form"' not in page.content
    assert [r.decision for r in page.context["records"]] == ["submit"]

    teacher = login(uni.t_alice, Client())
    home = teacher.get("/")
    assert home.context["inbox_count"] == 1
    url = f"/lab/activations/{uni.s_carol.pk}/"
    page = teacher.get(url)
    assert page.status_code == 200 and page.context["can_decide"]
    assert b'data-testid="approve-card"' in page.content

    # Rejecting without a reason: the form says so, nothing changes.
    response = teacher.post(url, {"action": "reject", "reason": ""})
    assert response.status_code == 400 and "reason" in response.context["reject_form"].errors
    response = teacher.post(url, {"action": "reject", "reason": "请选择你的导师"})
    assert response.status_code == 302
    assert reload(uni.s_carol).status == Membership.Status.REJECTED

    page = student.get(PROFILE_URL)
    assert b'data-state="rejected"' in page.content
    assert page.context["rejection"].reason == "请选择你的导师"
    form = page.context["form"]
    assert form["supervisor"].value() == uni.t_alice.user_id  # prefilled with the last choice
    assert form["lab"].value() == uni.organic.pk
    response = student.post(PROFILE_URL, form_data(uni.organic, uni.t_alice))
    assert response.status_code == 302

    page = teacher.get(url)
    assert [r.decision for r in page.context["records"]] == ["submit", "reject", "resubmit"]
    assert teacher.post(url, {"action": "approve", "reason": ""}).status_code == 302
    assert reload(uni.s_carol).status == Membership.Status.ACTIVE

    home = student.get("/")
    assert home.status_code == 200
    assert [e.url_name for e in home.context["menu"]][0] == "home"
    assert home.context["actor"].membership.pk == uni.s_carol.pk
    page = student.get(PROFILE_URL)
    assert b'data-state="active"' in page.content


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"supervisor": "far_teacher"}, "supervisor"),
        ({"supervisor": "uni_admin"}, "supervisor"),
        ({"supervisor": ""}, "supervisor"),
        ({"lab": ""}, "lab"),  # a student must name the lab
        ({"lab": "microbio"}, "lab"),  # not in the chosen college
        ({"phone": "abc"}, "phone"),
    ],
)
def test_student_form_errors_are_inline_and_keep_the_input(uni, change, field):
    data = form_data(uni.organic, uni.t_alice)
    for k, v in change.items():
        if k == "supervisor":
            data[k] = str(getattr(uni, v).user_id) if v else ""
        elif k == "lab":
            data[k] = str(getattr(uni, v).pk) if v else ""
        else:
            data[k] = v
    response = student_client(uni.s_carol).post(PROFILE_URL, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert form["full_name"].value() == "卡萝" and form["email"].value() == "carol@example.com"
    assert records_of(uni.s_carol) == []


def test_student_post_while_awaiting_changes_nothing(uni):
    submit(uni)
    response = student_client(uni.s_carol).post(PROFILE_URL, form_data(uni.analytic, uni.t_bob))
    assert response.status_code == 302
    assert reload(uni.s_carol).supervisor == uni.t_alice.user


def test_supervisor_choices_are_grouped_by_the_chosen_lab_and_college(uni):
    extra = teacher(uni.university, "t_life", uni.microbio, full_name="生老师")
    c = student_client(uni.s_carol)
    html = c.get(
        "/lab/profile/supervisors/", {"college": uni.chemistry.pk, "lab": uni.organic.pk, "supervisor": ""}
    ).content.decode()
    # Three groups: in this lab (艾老师), in this college (鲍老师), the others (生老师): nobody hidden.
    assert html.count("<optgroup") == 3
    assert html.index("<optgroup") < html.index("艾老师") < html.index("鲍老师") < html.index("生老师")
    second, third = [m.start() for m in re.finditer("<optgroup", html)][1:]
    assert html.index("艾老师") < second < html.index("鲍老师") < third < html.index("生老师")
    assert "far_teacher" not in html and extra.user.full_name in html
    # Another university's college id is ignored, never listed.
    html = c.get("/lab/profile/supervisors/", {"college": uni.far_college.pk}).content.decode()
    assert "<optgroup" in html and "远方" not in html


def test_lab_options_are_the_chosen_colleges_labs(uni):
    c = student_client(uni.s_carol)
    html = c.get("/lab/profile/labs/", {"college": uni.life.pk}).content.decode()
    assert "微生物实验室" in html and "有机化学实验室" not in html
    html = c.get("/lab/profile/labs/", {"college": uni.far_college.pk}).content.decode()
    assert "远方实验室" not in html and "化学学院 › 有机化学实验室" in html  # no college: every lab, with its college
    html = c.get("/lab/profile/labs/", {"college": uni.chemistry.pk, "lab": uni.analytic.pk}).content.decode()
    assert f'value="{uni.analytic.pk}" selected' in html


def test_profile_options_are_404_for_users_without_a_lab_profile(uni, world, login):
    for m in (world.alice, uni.uni_admin, world.gov_alice):
        assert login(m, Client()).get("/lab/profile/labs/").status_code == 404


def test_profile_page_sends_others_home(uni, world, login):
    for m in (world.alice, uni.uni_admin, uni.officer):
        assert login(m, Client()).get(PROFILE_URL)["Location"] == "/"


# ------------------------------------------------------------------------------------ decision page permissions


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [
        ("t_alice", 200, 302),  # the chosen supervisor
        ("t_bob", 403, 403),  # another teacher of the same university
        ("t_new", 302, 302),  # a teacher who owes the profile goes there first
        ("uni_admin", 200, 403),  # managers see it, do not decide
        ("officer", 200, 403),
        ("college_admin", 200, 403),  # the student's college
        ("s_active", 403, 403),  # another student
        ("far_teacher", 404, 404),  # another university
    ],
)
def test_decision_page_permission_table(uni, login, who, get_status, post_status):
    m = submit(uni)
    c = client_for(login, uni, who)
    url = f"/lab/activations/{m.pk}/"
    assert c.get(url).status_code == get_status
    response = c.post(url, {"action": "approve"})
    assert response.status_code == post_status
    if post_status == 302 and who == "t_alice":
        assert reload(m).status == Membership.Status.ACTIVE
    else:
        assert reload(m).status == Membership.Status.PENDING


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "gov_alice", "gov_charlie"])
def test_decision_page_is_404_for_other_organisations(uni, world, login, who):
    m = submit(uni)
    c = login(getattr(world, who), Client())
    url = f"/lab/activations/{m.pk}/"
    assert c.get(url).status_code == 404
    assert c.post(url, {"action": "approve"}).status_code == 404
    assert reload(m).status == Membership.Status.PENDING


def test_the_student_cannot_approve_themself_over_http(uni):
    m = submit(uni)
    c = student_client(m)
    response = c.post(f"/lab/activations/{m.pk}/", {"action": "approve"})
    assert response.status_code == 302 and response["Location"] == PROFILE_URL
    assert reload(m).status == Membership.Status.PENDING


def test_college_admin_of_another_college_does_not_see_the_student(uni, login):
    other = MembershipFactory(
        user=UserFactory(username="life_admin"),
        enterprise=uni.university,
        role=Membership.Role.COLLEGE_ADMIN,
        department=uni.life,
    )
    m = submit(uni)
    assert login(other, Client()).get(f"/lab/activations/{m.pk}/").status_code == 403


def test_decision_page_shows_who_decided_on_a_late_click(uni, login):
    m = submit(uni)
    c = login(uni.t_alice, Client())
    services.student_activation_approve(actor=uni.actor("t_alice"), membership_id=m.pk)
    response = c.post(f"/lab/activations/{m.pk}/", {"action": "reject", "reason": "晚了"}, follow=True)
    messages = [str(x) for x in response.context["messages"]]
    assert any(uni.t_alice.user.display_name in x for x in messages)
    assert reload(m).status == Membership.Status.ACTIVE


# ------------------------------------------------------------------------------------ activations list


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("t_alice", {"s_carol", "s_active"}),
        ("t_bob", set()),
        ("uni_admin", {"s_carol", "s_active", "s_other"}),
        ("officer", {"s_carol", "s_active", "s_other"}),
        ("college_admin", {"s_carol", "s_active"}),  # 化学学院's students (s_other is in 生命科学学院)
    ],
)
def test_activations_list_per_role(uni, login, who, expected):
    submit(uni)
    other = student(uni.university, "s_other", department=uni.microbio)
    assert other
    c = login(getattr(uni, who), Client())
    response = c.get("/lab/activations/")
    assert response.status_code == 200
    assert {row.record.user.username for row in response.context["table"].rows} == expected


@pytest.mark.parametrize("who", ["s_active"])
def test_activations_list_is_empty_for_students(uni, login, who):
    response = login(getattr(uni, who), Client()).get("/lab/activations/")
    assert response.status_code == 200 and len(response.context["table"].rows) == 0


def test_activations_list_is_forbidden_outside_universities(world, login):
    assert login(world.alice, Client()).get("/lab/activations/").status_code == 403
    assert login(world.gov_alice, Client()).get("/lab/activations/").status_code == 403


def test_activations_list_filters_and_export(uni, login):
    submit(uni)
    c = login(uni.t_alice, Client())
    rows = c.get("/lab/activations/", {"status": "pending"}).context["table"].rows
    assert [r.record.user.username for r in rows] == ["s_carol"]
    rows = c.get("/lab/activations/", {"q": "active"}).context["table"].rows
    assert [r.record.user.username for r in rows] == ["s_active"]
    response = c.get("/lab/activations/", {"status": "pending", "export": "xlsx"})
    assert response.status_code == 200
    values = sheet_values(response)
    assert len(values) == 2 and "卡萝" in values[1] and "s_carol" in values[1]


# ------------------------------------------------------------------------------------ colleges and labs


def test_lab_update_sets_head_and_limit_with_a_log_and_a_notice(uni):
    lab = services.lab_update(
        actor=uni.actor("officer"), lab_id=uni.analytic.pk, head=uni.t_bob.user, stock_limit=Decimal("12.5")
    )
    with scopes_disabled():
        lab = Department.objects.get(pk=lab.pk)
    assert (lab.head, lab.stock_limit) == (uni.t_bob.user, Decimal("12.500"))
    log = OperationLog.objects.get(action=OperationLog.Action.UPDATE, object_id=str(lab.pk))
    assert "head: — → 鲍老师" in log.detail and "stock limit: — → 12.5" in log.detail
    assert log.enterprise_id == uni.university.pk
    assert Notification.objects.filter(recipient=uni.t_bob.user, title__contains=lab.name).count() == 1


def test_lab_update_without_changes_writes_nothing(uni):
    services.lab_update(actor=uni.actor("uni_admin"), lab_id=uni.organic.pk, head=uni.t_alice.user, stock_limit=50)
    assert not OperationLog.objects.filter(object_id=str(uni.organic.pk)).exists()


@pytest.mark.parametrize(
    ("head", "ok"),
    [
        ("t_alice", True),  # a teacher of a sibling lab in the same college
        ("t_bob", True),
        ("far_teacher", False),  # another university
        ("t_life", False),  # a teacher of another college
        ("uni_admin", False),  # not a teacher
        ("t_new", False),  # a teacher with no college yet
    ],
)
def test_a_lab_head_is_a_teacher_of_its_college(uni, head, ok):
    if head == "t_life":
        user = teacher(uni.university, "t_life", uni.microbio).user
    else:
        user = getattr(uni, head).user
    call = lambda: services.lab_update(  # noqa: E731
        actor=uni.actor("uni_admin"), lab_id=uni.analytic.pk, head=user, stock_limit=None
    )
    if ok:
        call()
    else:
        with pytest.raises(ValidationError):
            call()


def test_lab_update_refuses_a_negative_limit(uni):
    with pytest.raises(ValidationError):
        services.lab_update(actor=uni.actor("uni_admin"), lab_id=uni.organic.pk, head=None, stock_limit=Decimal(-1))


@pytest.mark.parametrize(
    ("who", "lab", "error"),
    [
        ("uni_admin", "microbio", None),
        ("officer", "microbio", None),
        ("college_admin", "organic", None),  # its own college
        ("college_admin", "microbio", PermissionDenied),  # another college
        ("t_alice", "organic", PermissionDenied),  # even the head does not set the limit
        ("s_active", "organic", PermissionDenied),
        ("far_teacher", "organic", PermissionDenied),
    ],
)
def test_who_may_manage_a_lab(uni, who, lab, error):
    call = lambda: services.lab_update(  # noqa: E731
        actor=uni.actor(who), lab_id=getattr(uni, lab).pk, head=None, stock_limit=Decimal("7")
    )
    if error is None:
        call()
    else:
        with pytest.raises(error):
            call()


def test_outsiders_with_the_power_elsewhere_get_404(uni, world):
    far_admin = MembershipFactory(enterprise=uni.far_university, role=Membership.Role.ENTERPRISE_ADMIN)
    with pytest.raises(Http404):
        services.lab_update(actor=actor_for(far_admin), lab_id=uni.organic.pk, head=None, stock_limit=None)


@pytest.mark.parametrize(
    ("who", "lab", "status"),
    [
        ("uni_admin", "organic", 200),
        ("officer", "microbio", 200),
        ("college_admin", "organic", 200),
        ("college_admin", "microbio", 403),
        ("t_alice", "organic", 403),
        ("s_active", "organic", 403),
        ("far_teacher", "organic", 404),
    ],
)
def test_lab_page_permission_table(uni, login, who, lab, status):
    c = client_for(login, uni, who)
    url = f"/lab/labs/{getattr(uni, lab).pk}/"
    assert c.get(url).status_code == status
    response = c.post(url, {"head": "", "stock_limit": "3"})
    assert response.status_code == (302 if status == 200 else status)


def test_lab_page_saves_and_shows_errors_inline(uni, login):
    c = login(uni.officer, Client())
    url = f"/lab/labs/{uni.analytic.pk}/"
    page = c.get(url)
    with scopes_disabled():
        heads = {u.pk for u in page.context["form"].fields["head"].queryset}
    assert heads == {uni.t_alice.user_id, uni.t_bob.user_id}
    response = c.post(url, {"head": uni.t_bob.user_id, "stock_limit": "-2"})
    assert response.status_code == 400 and "stock_limit" in response.context["form"].errors
    assert response.context["form"]["head"].value() == str(uni.t_bob.user_id)
    response = c.post(url, {"head": uni.far_teacher.user_id, "stock_limit": "2"})
    assert response.status_code == 400 and "head" in response.context["form"].errors
    assert c.post(url, {"head": uni.t_bob.user_id, "stock_limit": "20.125"}).status_code == 302
    with scopes_disabled():
        lab = Department.objects.get(pk=uni.analytic.pk)
    assert (lab.head_id, lab.stock_limit) == (uni.t_bob.user_id, Decimal("20.125"))


@pytest.mark.parametrize(
    ("who", "status", "labs"),
    [
        ("uni_admin", 200, {"有机化学实验室", "分析化学实验室", "微生物实验室"}),
        ("officer", 200, {"有机化学实验室", "分析化学实验室", "微生物实验室"}),
        ("college_admin", 200, {"有机化学实验室", "分析化学实验室"}),
        ("t_alice", 403, None),
        ("s_active", 403, None),
    ],
)
def test_colleges_page_per_role(uni, login, who, status, labs):
    response = login(getattr(uni, who), Client()).get("/lab/colleges/")
    assert response.status_code == status
    if labs is not None:
        assert {row.record.name for row in response.context["table"].rows} == labs
        html = response.content.decode()
        assert "远方" not in html
        organic = next(r.record for r in response.context["table"].rows if r.record.pk == uni.organic.pk)
        assert (organic.head, organic.teacher_count, organic.student_count) == (uni.t_alice.user, 1, 1)


def test_colleges_page_filters_and_export(uni, login):
    c = login(uni.officer, Client())
    rows = c.get("/lab/colleges/", {"college": uni.life.pk}).context["table"].rows
    assert [r.record.name for r in rows] == ["微生物实验室"]
    rows = c.get("/lab/colleges/", {"without_head": "on"}).context["table"].rows
    assert {r.record.name for r in rows} == {"分析化学实验室", "微生物实验室"}
    rows = c.get("/lab/colleges/", {"q": "有机"}).context["table"].rows
    assert [r.record.name for r in rows] == ["有机化学实验室"]
    # The college filter offers only this university's colleges.
    choices = c.get("/lab/colleges/").context["filter"].form.fields["college"].queryset
    with scopes_disabled():
        assert {d.name for d in choices} == {"化学学院", "生命科学学院"}
    values = sheet_values(c.get("/lab/colleges/", {"export": "xlsx"}))
    assert len(values) == 4
    organic = next(v for v in values if "有机化学实验室" in v)
    assert "艾老师" in organic and 50 in organic


def test_colleges_page_for_a_college_admin_without_a_college_is_empty(uni, login):
    m = MembershipFactory(enterprise=uni.university, role=Membership.Role.COLLEGE_ADMIN)
    response = login(m, Client()).get("/lab/colleges/")
    assert response.status_code == 200 and len(response.context["table"].rows) == 0


@pytest.mark.parametrize(("who", "links"), [("uni_admin", True), ("officer", False), ("college_admin", False)])
def test_colleges_page_links_to_the_department_tree_for_who_may_edit_it(uni, login, who, links):
    html = login(getattr(uni, who), Client()).get("/lab/colleges/").content.decode()
    assert ('data-testid="add-college"' in html) == links
    assert (f'/org/departments/new/?parent={uni.chemistry.pk}"' in html) == links


def test_colleges_and_labs_made_in_the_department_tree_show_here(uni, login):
    """Colleges and labs are created with the organisation area's department services (kind college / lab)."""
    admin = uni.actor("uni_admin")
    forestry = services.department_create(
        actor=admin, name="林学院", level=Department.Level.DEPARTMENT, kind=Department.Kind.COLLEGE
    )
    services.department_create(
        actor=admin,
        name="木材实验室",
        level=Department.Level.WORKSHOP,
        kind=Department.Kind.LAB,
        parent_id=forestry.pk,
    )
    response = login(uni.officer, Client()).get("/lab/colleges/", {"college": forestry.pk})
    assert [r.record.name for r in response.context["table"].rows] == ["木材实验室"]
    assert "林学院" in {c.name for c in response.context["colleges"]}


# ------------------------------------------------------------------------------------ menus


@pytest.mark.parametrize(
    ("who", "colleges", "activations", "profile"),
    [
        ("uni_admin", True, True, False),
        ("officer", True, True, False),
        ("college_admin", True, True, False),
        ("t_alice", False, True, True),
        ("s_active", False, False, True),
    ],
)
def test_university_menu_entries(uni, who, colleges, activations, profile):
    actor = uni.actor(who)
    with actor_scope(actor):
        names = {e.url_name for e in menu_for(actor)}
    assert ("enterprises:university_colleges" in names) == colleges
    assert ("enterprises:student_activations" in names) == activations
    assert ("enterprises:lab_profile" in names) == profile


def test_selectors_read_only_the_actors_university(uni, world):
    assert selectors.university_of(actor_for(world.alice)) is None
    assert selectors.university_students(actor_for(world.alice)).count() == 0
    assert selectors.university_students(uni.actor("far_teacher")).count() == 0
    assert selectors.university_labs(actor_for(world.gov_alice)).count() == 0
    assert reverse("enterprises:student_activation", args=[1]) == "/lab/activations/1/"


# ------------------------------------------------------------------------------------ demo data


@pytest.mark.django_db
def test_setup_demo_builds_the_university_and_is_idempotent():
    from django.core.management import call_command

    from enterprises.models import Enterprise

    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    call_command("setup_demo", stdout=out)  # a second run changes nothing and duplicates nothing
    university = Enterprise.unscoped.get(name="西北示范农林大学")
    with scopes_disabled():
        labs = {d.name: d for d in Department.objects.filter(enterprise=university, kind=Department.Kind.LAB)}
        assert set(labs) == {"有机化学实验室", "分析化学实验室"}
        assert {(lab.head.username, lab.stock_limit) for lab in labs.values()} == {
            ("uni_teacher", Decimal("50")),
            ("uni_teacher2", Decimal("30")),
        }
        assert Department.objects.filter(enterprise=university, kind=Department.Kind.COLLEGE).count() == 1
    teacher_m = Membership.objects.get(user__username="uni_teacher", enterprise=university)
    assert teacher_m.is_active and teacher_m.profile_completed_at and teacher_m.department == labs["有机化学实验室"]
    student_m = Membership.objects.get(user__username="uni_student", enterprise=university)
    assert (student_m.status, student_m.supervisor, student_m.profile_completed_at) == ("pending", None, None)
    college_admin = Membership.objects.get(user__username="uni_college", enterprise=university)
    assert college_admin.department.kind == Department.Kind.COLLEGE
    # The demo student lands on the activation page, the teacher on the university home.
    c = Client()
    c.force_login(student_m.user)
    assert c.get("/")["Location"] == PROFILE_URL
    c.force_login(teacher_m.user)
    assert c.get("/").status_code == 200
