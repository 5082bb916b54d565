"""Enterprise self-registration and its review by the owning body: services first, then the HTTP views."""

from __future__ import annotations

import io
import itertools
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from approvals.engine import TransitionRefused
from approvals.models import Decision, Node, Notification, OperationLog, ReviewRecord
from enterprises import services
from enterprises.models import Enterprise, IndustryCategory, Membership, User
from enterprises.services import ApplicantAccount, RegistrationDetails
from enterprises.validators import credit_code_check_character
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .factories import MembershipFactory, UserFactory, actor_for, make_region

_serial = itertools.count(1)
PASSWORD = "Zq8-safety-Reg!"


def fresh_credit_code() -> str:
    # A different organisation-code range from tests.factories.valid_credit_code, so the two never collide.
    base = f"91510502MB{next(_serial):07d}"
    return base + credit_code_check_character(base)


def details_for(world, **overrides) -> RegistrationDetails:
    n = next(_serial)
    fields = {
        "name": f"南城新材料{n}有限公司",
        "credit_code": fresh_credit_code(),
        "owning_body": world.nancheng_office,
        "region": world.nancheng,
        "industry": IndustryCategory.HAZARDOUS_CHEMICALS,
        "contact_name": "张三",
        "contact_phone": "0830-1234567",
        "address": "南城街道一号",
        "latitude": Decimal("28.870000"),
        "longitude": Decimal("105.440000"),
    }
    fields.update(overrides)
    return RegistrationDetails(**fields)


def account_for(username: str | None = None, **overrides) -> ApplicantAccount:
    fields = {
        "username": username or f"applicant{next(_serial)}",
        "password": PASSWORD,
        "full_name": "张三",
        "email": "zhangsan@example.com",
    }
    fields.update(overrides)
    return ApplicantAccount(**fields)


def anonymous() -> Actor:
    return Actor(user=AnonymousUser(), ip="10.1.2.3")


def register(world, **overrides) -> Enterprise:
    return services.enterprise_register(
        actor=anonymous(), details=details_for(world, **overrides), account=account_for()
    )


def applicant_of(enterprise: Enterprise) -> User:
    return Membership.objects.get(enterprise=enterprise, role=Membership.Role.ENTERPRISE_ADMIN).user


def records_of(enterprise: Enterprise) -> list[ReviewRecord]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(Enterprise), subject_id=enterprise.pk
            ).order_by("created_at", "pk")
        )


def reload(enterprise: Enterprise) -> Enterprise:
    return Enterprise.unscoped.get(pk=enterprise.pk)


def admin_status(enterprise: Enterprise) -> str:
    return Membership.objects.get(enterprise=enterprise, role=Membership.Role.ENTERPRISE_ADMIN).status


# ----------------------------------------------------------------------------------------------- register


def test_register_creates_a_pending_enterprise_and_everything_around_it(world):
    details = details_for(world)
    account = account_for("newco_admin")
    before = timezone.now()
    enterprise = services.enterprise_register(actor=anonymous(), details=details, account=account)

    enterprise = reload(enterprise)
    assert enterprise.status == Enterprise.Status.PENDING
    assert enterprise.name == details.name
    assert enterprise.owning_body == world.nancheng_office
    assert enterprise.submitted_at >= before
    assert enterprise.corrected_fields == {}

    user = User.objects.get(username="newco_admin")
    assert user.check_password(PASSWORD)
    assert user.phone == details.contact_phone
    membership = Membership.objects.get(user=user)
    assert membership.enterprise == enterprise
    assert membership.role == Membership.Role.ENTERPRISE_ADMIN
    assert membership.status == Membership.Status.PENDING

    [record] = records_of(enterprise)
    assert (record.node, record.decision, record.to_state) == (Node.APPLICANT, Decision.SUBMIT, "pending")
    assert record.reviewer == user
    assert record.enterprise_id == enterprise.pk

    log = OperationLog.objects.get(action=OperationLog.Action.CREATE, object_id=str(enterprise.pk))
    assert log.user == user
    assert log.enterprise_id == enterprise.pk
    assert log.ip == "10.1.2.3"
    assert log.object_repr == enterprise.name


def test_register_notifies_the_owning_bodys_reviewers_only(world):
    body_admin = MembershipFactory(body=world.nancheng_office, role=Membership.Role.BODY_ADMIN)
    disabled_reviewer = MembershipFactory(
        body=world.nancheng_office, role=Membership.Role.REVIEWER, status=Membership.Status.DISABLED
    )
    enterprise = register(world)
    notified = set(Notification.objects.filter(title__contains=enterprise.name).values_list("recipient", flat=True))
    assert notified == {world.gov_alice.user_id, body_admin.user_id}
    for outsider in (world.gov_bob, world.city_reviewer, world.gov_charlie, disabled_reviewer, world.alice):
        assert outsider.user_id not in notified
    n = Notification.objects.get(recipient=world.gov_alice.user)
    assert n.url == f"/gov/registration/{enterprise.pk}/"


@pytest.mark.parametrize(
    "field, value_from, expected_in_message",
    [
        ("name", lambda w: w.acme.name, lambda w: w.acme.name),
        ("credit_code", lambda w: w.acme.credit_code, lambda w: "credit code"),
        ("credit_code", lambda w: " " + w.acme.credit_code.lower() + " ", lambda w: "credit code"),
    ],
    ids=["duplicate-name", "duplicate-code", "duplicate-code-other-case"],
)
def test_register_refuses_duplicates_with_a_clear_message(world, field, value_from, expected_in_message):
    counts = (Enterprise.unscoped.count(), User.objects.count(), Membership.objects.count())
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        register(world, **{field: value_from(world)})
    assert set(exc.value.error_dict) == {field}
    assert expected_in_message(world) in exc.value.message_dict[field][0]
    assert (Enterprise.unscoped.count(), User.objects.count(), Membership.objects.count()) == counts


def test_duplicate_name_message_tells_what_to_do(world):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        register(world, name=world.acme.name)
    message = exc.value.message_dict["name"][0]
    assert "already registered" in message and "administrator" in message


@pytest.mark.parametrize("username", ["alice", "ALICE", "Gov_Alice"])
def test_register_refuses_a_taken_username(world, username):
    count = Enterprise.unscoped.count()
    with pytest.raises(ValidationError) as exc:
        services.enterprise_register(actor=anonymous(), details=details_for(world), account=account_for(username))
    assert "username" in exc.value.error_dict
    assert Enterprise.unscoped.count() == count


@pytest.mark.parametrize(
    "body, region, ok",
    [
        ("nancheng_office", "nancheng", True),
        ("jiangyang_bureau", "nancheng", True),
        ("city_bureau", "longmatan", True),
        ("nancheng_office", "longmatan", False),
        ("nancheng_office", "jiangyang", False),  # the parent region is wider than the township's jurisdiction
        ("longmatan_bureau", "nancheng", False),
        ("guiyang_bureau", "nancheng", False),
    ],
)
def test_register_region_must_lie_in_the_owning_bodys_jurisdiction(world, body, region, ok):
    overrides = {"owning_body": getattr(world, body), "region": getattr(world, region)}
    if ok:
        enterprise = register(world, **overrides)
        assert reload(enterprise).region == getattr(world, region)
    else:
        count = Enterprise.unscoped.count()
        with pytest.raises(ValidationError) as exc:
            register(world, **overrides)
        assert set(exc.value.error_dict) == {"region"}
        assert getattr(world, body).region.name in exc.value.message_dict["region"][0]
        assert Enterprise.unscoped.count() == count


def test_register_refuses_an_invalid_credit_code(world):
    code = fresh_credit_code()
    wrong = "0" if code[-1] != "0" else "1"
    with pytest.raises(ValidationError) as exc:
        register(world, credit_code=code[:-1] + wrong)
    assert "credit_code" in exc.value.error_dict


# ------------------------------------------------------------------------------------------------- approve


def test_approve_activates_the_admin_and_records_the_decision(world):
    enterprise = register(world)
    applicant = applicant_of(enterprise)
    services.registration_approve(actor=world.actor("gov_alice"), enterprise_id=enterprise.pk, reason="资料齐全")

    enterprise = reload(enterprise)
    assert enterprise.status == Enterprise.Status.APPROVED
    assert enterprise.reviewed_at is not None
    assert admin_status(enterprise) == Membership.Status.ACTIVE
    record = records_of(enterprise)[-1]
    assert record.node == Node.TOWNSHIP
    assert record.node_name == world.nancheng_office.name
    assert record.decision == Decision.APPROVE
    assert record.reviewer == world.gov_alice.user
    assert record.reviewer_name == world.gov_alice.user.display_name
    assert (record.from_state, record.to_state, record.reason) == ("pending", "approved", "资料齐全")
    log = OperationLog.objects.get(action=OperationLog.Action.TRANSITION, object_id=str(enterprise.pk))
    assert log.user == world.gov_alice.user
    assert log.body_id == world.nancheng_office.pk
    assert "pending → approved" in log.detail
    assert Notification.objects.filter(recipient=applicant, title__contains=enterprise.name).exists()


def test_approved_applicant_now_sees_its_enterprise(world):
    from safety.tenancy import actor_scope

    enterprise = register(world)
    user = applicant_of(enterprise)
    membership = Membership.objects.get(user=user)
    with actor_scope(actor_for(membership)):
        assert not Enterprise.objects.filter(pk=enterprise.pk).exists()
    services.registration_approve(actor=world.actor("gov_alice"), enterprise_id=enterprise.pk)
    membership.refresh_from_db()
    with actor_scope(actor_for(membership)):
        assert list(Enterprise.objects.values_list("pk", flat=True)) == [enterprise.pk]


@pytest.mark.parametrize(
    "reviewer, node, body",
    [
        ("gov_alice", Node.TOWNSHIP, "nancheng_office"),
        ("jiangyang_reviewer", Node.COUNTY, "jiangyang_bureau"),
        ("city_reviewer", Node.CITY, "city_bureau"),
        ("nancheng_body_admin", Node.TOWNSHIP, "nancheng_office"),
    ],
)
def test_owning_body_or_a_body_above_may_approve(world, reviewer, node, body):
    extra = {
        "jiangyang_reviewer": lambda: MembershipFactory(body=world.jiangyang_bureau, role=Membership.Role.REVIEWER),
        "nancheng_body_admin": lambda: MembershipFactory(body=world.nancheng_office, role=Membership.Role.BODY_ADMIN),
    }
    membership = extra[reviewer]() if reviewer in extra else getattr(world, reviewer)
    enterprise = register(world)
    services.registration_approve(actor=actor_for(membership), enterprise_id=enterprise.pk)
    record = records_of(enterprise)[-1]
    assert reload(enterprise).status == Enterprise.Status.APPROVED
    assert (record.node, record.node_name) == (node, getattr(world, body).name)


@pytest.mark.parametrize(
    "who, error",
    [
        ("gov_bob", PermissionDenied),  # read-only leader of the owning body
        ("nancheng_inspector", PermissionDenied),
        ("disabled_reviewer", Http404),  # a disabled membership sees nothing
        ("gov_charlie", Http404),  # another province: the registration does not exist for it
        ("longmatan_reviewer", Http404),  # a sibling county
        ("alice", Http404),  # an enterprise user
        ("charlie", Http404),
    ],
)
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_who_may_not_decide(world, who, error, decision):
    extra = {
        "nancheng_inspector": lambda: MembershipFactory(body=world.nancheng_office, role=Membership.Role.INSPECTOR),
        "disabled_reviewer": lambda: MembershipFactory(
            body=world.nancheng_office, role=Membership.Role.REVIEWER, status=Membership.Status.DISABLED
        ),
        "longmatan_reviewer": lambda: MembershipFactory(body=world.longmatan_bureau, role=Membership.Role.REVIEWER),
    }
    membership = extra[who]() if who in extra else getattr(world, who)
    enterprise = register(world)
    n_records = len(records_of(enterprise))
    with pytest.raises(error):
        if decision == "approve":
            services.registration_approve(actor=actor_for(membership), enterprise_id=enterprise.pk)
        else:
            services.registration_reject(actor=actor_for(membership), enterprise_id=enterprise.pk, reason="不行")
    assert reload(enterprise).status == Enterprise.Status.PENDING
    assert admin_status(enterprise) == Membership.Status.PENDING
    assert len(records_of(enterprise)) == n_records


@pytest.fixture
def village(world):
    return make_region("510502001001", "南城社区", "village", world.nancheng, name_en="Nancheng Community")


@pytest.mark.parametrize(
    "corrections, expected",
    [
        (
            lambda w, v: {"industry": IndustryCategory.MACHINERY},
            lambda w, v: {"industry": {"from": "hazardous_chemicals", "to": "machinery"}},
        ),
        (
            lambda w, v: {"region": v},
            lambda w, v: {"region": {"from": w.nancheng.name, "to": v.name}},
        ),
        (
            lambda w, v: {"latitude": Decimal("28.880001"), "longitude": Decimal("105.450002")},
            lambda w, v: {
                "latitude": {"from": "28.870000", "to": "28.880001"},
                "longitude": {"from": "105.440000", "to": "105.450002"},
            },
        ),
        (
            lambda w, v: {"owning_body": w.jiangyang_bureau},
            lambda w, v: {"owning_body": {"from": w.nancheng_office.name, "to": w.jiangyang_bureau.name}},
        ),
        (
            # Unchanged and blank values are not corrections.
            lambda w, v: {"industry": IndustryCategory.HAZARDOUS_CHEMICALS, "region": None, "latitude": ""},
            lambda w, v: {},
        ),
        (
            # Only the correctable fields can be changed at review.
            lambda w, v: {"name": "改名公司", "contact_phone": "13900000000"},
            lambda w, v: {},
        ),
    ],
    ids=["industry", "region", "map-point", "owning-body", "unchanged", "not-correctable"],
)
def test_approve_with_corrections_records_from_and_to(world, village, corrections, expected):
    enterprise = register(world)
    original_name = enterprise.name
    wanted = corrections(world, village)
    # The city bureau supervises everything involved (the township reviewer may not move it to its parent body).
    services.registration_approve(actor=world.actor("city_reviewer"), enterprise_id=enterprise.pk, corrections=wanted)
    enterprise = reload(enterprise)
    assert enterprise.status == Enterprise.Status.APPROVED
    assert enterprise.corrected_fields == expected(world, village)
    for name, change in enterprise.corrected_fields.items():
        value = getattr(enterprise, name)
        assert str(value) == change["to"], f"{name} was not applied"
    assert enterprise.name == original_name


@pytest.mark.parametrize(
    "reviewer, corrections, field",
    [
        # The region no longer lies in the (new) owning body's jurisdiction.
        ("city_reviewer", lambda w: {"owning_body": w.longmatan_bureau}, "region"),
        ("city_reviewer", lambda w: {"region": w.longmatan}, "region"),
        ("city_reviewer", lambda w: {"owning_body": w.longmatan_bureau, "region": w.jiangyang}, "region"),
        # A reviewer may not move a registration out of what it supervises itself.
        ("city_reviewer", lambda w: {"owning_body": w.guiyang_bureau, "region": w.nanming}, "owning_body"),
        ("gov_alice", lambda w: {"owning_body": w.jiangyang_bureau}, "owning_body"),
        ("gov_alice", lambda w: {"owning_body": w.longmatan_bureau, "region": w.longmatan}, "owning_body"),
        ("gov_alice", lambda w: {"region": w.longmatan}, "region"),
    ],
    ids=[
        "body-only",
        "region-only",
        "both-inconsistent",
        "other-province",
        "township-to-its-parent",
        "township-to-a-sibling",
        "township-region-outside",
    ],
)
def test_approve_refuses_a_correction_outside_the_jurisdiction(world, reviewer, corrections, field):
    enterprise = register(world)
    n_records = len(records_of(enterprise))
    with pytest.raises(ValidationError) as exc:
        services.registration_approve(
            actor=world.actor(reviewer), enterprise_id=enterprise.pk, corrections=corrections(world)
        )
    assert set(exc.value.error_dict) == {field}
    enterprise = reload(enterprise)
    assert enterprise.status == Enterprise.Status.PENDING
    assert enterprise.owning_body == world.nancheng_office
    assert enterprise.region == world.nancheng
    assert enterprise.corrected_fields == {}
    assert admin_status(enterprise) == Membership.Status.PENDING
    assert len(records_of(enterprise)) == n_records


def test_approve_with_a_consistent_move_to_another_body(world):
    enterprise = register(world)
    services.registration_approve(
        actor=world.actor("city_reviewer"),
        enterprise_id=enterprise.pk,
        corrections={"owning_body": world.longmatan_bureau, "region": world.longmatan},
    )
    enterprise = reload(enterprise)
    assert (enterprise.owning_body, enterprise.region) == (world.longmatan_bureau, world.longmatan)
    assert set(enterprise.corrected_fields) == {"owning_body", "region"}


# -------------------------------------------------------------------------------------------------- reject


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None])
def test_reject_needs_a_reason(world, reason):
    enterprise = register(world)
    with pytest.raises(ValidationError) as exc:
        services.registration_reject(actor=world.actor("gov_alice"), enterprise_id=enterprise.pk, reason=reason)
    assert "reason" in exc.value.error_dict
    assert reload(enterprise).status == Enterprise.Status.PENDING


def test_reject_records_the_reason_and_tells_the_applicant(world):
    enterprise = register(world)
    applicant = applicant_of(enterprise)
    services.registration_reject(
        actor=world.actor("gov_alice"), enterprise_id=enterprise.pk, reason="  营业执照照片不清晰  "
    )
    enterprise = reload(enterprise)
    assert enterprise.status == Enterprise.Status.REJECTED
    assert enterprise.reject_reason == "营业执照照片不清晰"
    assert admin_status(enterprise) == Membership.Status.PENDING
    record = records_of(enterprise)[-1]
    assert (record.decision, record.reason, record.node) == (Decision.REJECT, "营业执照照片不清晰", Node.TOWNSHIP)
    note = Notification.objects.get(recipient=applicant, title__contains=enterprise.name)
    assert "营业执照照片不清晰" in note.body
    assert note.url == "/register/status/"


# ------------------------------------------------------------------------------------------------ resubmit


def test_reject_then_resubmit_with_fixes_returns_to_pending(world):
    enterprise = register(world, contact_phone="0830-7654321")
    services.registration_reject(actor=world.actor("gov_alice"), enterprise_id=enterprise.pk, reason="电话错误")
    # Leftovers of an earlier review must not survive a resubmission.
    Enterprise.unscoped.filter(pk=enterprise.pk).update(
        corrected_fields={"industry": {"from": "a", "to": "b"}}, submitted_at=timezone.now().replace(year=2020)
    )
    applicant = applicant_of(enterprise)
    fixed = replace(
        details_for(world), name=enterprise.name, credit_code=enterprise.credit_code, contact_phone="13912345678"
    )
    services.registration_resubmit(actor=Actor(user=applicant, ip="10.0.0.9"), details=fixed)

    enterprise = reload(enterprise)
    assert enterprise.status == Enterprise.Status.PENDING
    assert enterprise.contact_phone == "13912345678"
    assert enterprise.corrected_fields == {}
    assert enterprise.submitted_at.year == timezone.now().year
    record = records_of(enterprise)[-1]
    assert (record.node, record.decision, record.from_state, record.to_state) == (
        Node.APPLICANT,
        Decision.RESUBMIT,
        "rejected",
        "pending",
    )
    assert record.reviewer == applicant
    # The reviewers hear about it again.
    titles = list(Notification.objects.filter(recipient=world.gov_alice.user).values_list("title", flat=True))
    assert len(titles) == 2 and titles[0] != titles[1]
    # And it can now be approved.
    services.registration_approve(actor=world.actor("gov_alice"), enterprise_id=enterprise.pk)
    assert reload(enterprise).status == Enterprise.Status.APPROVED


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda w: {"name": w.acme.name}, "name"),
        (lambda w: {"credit_code": w.far.credit_code}, "credit_code"),
        (lambda w: {"region": w.longmatan}, "region"),
    ],
    ids=["name-taken", "code-taken", "region-outside"],
)
def test_resubmit_is_checked_like_a_registration(world, change, field):
    enterprise = register(world)
    services.registration_reject(actor=world.actor("gov_alice"), enterprise_id=enterprise.pk, reason="请修改")
    base = replace(details_for(world), name=enterprise.name, credit_code=enterprise.credit_code)
    with pytest.raises(ValidationError) as exc:
        services.registration_resubmit(
            actor=Actor(user=applicant_of(enterprise)), details=replace(base, **change(world))
        )
    assert field in exc.value.error_dict
    assert reload(enterprise).status == Enterprise.Status.REJECTED


@pytest.mark.parametrize("state", ["pending", "approved"])
def test_resubmit_only_after_a_rejection(world, state):
    enterprise = register(world)
    if state == "approved":
        services.registration_approve(actor=world.actor("gov_alice"), enterprise_id=enterprise.pk)
    details = replace(details_for(world), name=enterprise.name, credit_code=enterprise.credit_code)
    with pytest.raises(TransitionRefused):
        services.registration_resubmit(actor=Actor(user=applicant_of(enterprise)), details=details)
    assert reload(enterprise).status == state


def test_resubmit_without_a_registration_is_refused(world):
    with pytest.raises(PermissionDenied):
        services.registration_resubmit(actor=Actor(user=UserFactory()), details=details_for(world))


# ----------------------------------------------------------------------------------- decisions already taken


@pytest.mark.parametrize(
    "first, second, second_by",
    [
        ("approve", "approve", "city_reviewer"),
        ("approve", "approve", "gov_alice"),
        ("approve", "reject", "city_reviewer"),
        ("reject", "approve", "city_reviewer"),
        ("reject", "reject", "gov_alice"),
    ],
)
def test_a_second_decision_is_refused_naming_who_decided(world, first, second, second_by):
    enterprise = register(world)
    decide = {
        "approve": lambda who: services.registration_approve(actor=world.actor(who), enterprise_id=enterprise.pk),
        "reject": lambda who: services.registration_reject(
            actor=world.actor(who), enterprise_id=enterprise.pk, reason="资料不全"
        ),
    }
    decide[first]("gov_alice")
    state = reload(enterprise).status
    n_records = len(records_of(enterprise))
    with pytest.raises(TransitionRefused) as exc:
        decide[second](second_by)
    assert world.gov_alice.user.display_name in exc.value.message
    assert reload(enterprise).get_status_display() in exc.value.message
    assert reload(enterprise).status == state
    assert len(records_of(enterprise)) == n_records


def test_refusal_message_gives_the_local_time_of_the_decision(world):
    submitted_at = datetime(2025, 3, 1, 1, 0, 0, tzinfo=UTC)
    decided_at = datetime(2025, 3, 1, 2, 30, 15, tzinfo=UTC)  # 10:30:15 in Asia/Shanghai
    with time_machine.travel(submitted_at, tick=False) as traveller:
        enterprise = register(world)
        traveller.move_to(decided_at)
        services.registration_approve(actor=world.actor("gov_alice"), enterprise_id=enterprise.pk)
        traveller.move_to(datetime(2025, 3, 2, 8, 0, 0, tzinfo=UTC))
        with pytest.raises(TransitionRefused) as exc:
            services.registration_approve(actor=world.actor("city_reviewer"), enterprise_id=enterprise.pk)
    assert "2025-03-01 10:30:15" in exc.value.message
    assert reload(enterprise).reviewed_at == decided_at


# ------------------------------------------------------------------------------------------------ the views


def registration_post(world, **overrides) -> dict:
    data = {
        "name": f"江阳精细化工{next(_serial)}有限公司",
        "credit_code": fresh_credit_code(),
        "owning_body": world.nancheng_office.pk,
        "region": world.nancheng.pk,
        "address": "南城街道二号",
        "latitude": "28.870000",
        "longitude": "105.440000",
        "industry": IndustryCategory.HAZARDOUS_CHEMICALS,
        "contact_name": "李四",
        "contact_phone": "13800001111",
        "username": f"web_applicant{next(_serial)}",
        "full_name": "李四",
        "email": "lisi@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def test_register_page_renders_for_anonymous(world, client):
    response = client.get("/register/")
    assert response.status_code == 200
    body = response.content.decode()
    assert world.nancheng_office.name in body
    assert 'name="credit_code"' in body


def test_register_via_http_logs_the_applicant_in(world, client):
    data = registration_post(world)
    response = client.post("/register/", data)
    assert response.status_code == 302
    assert response.url == "/register/status/"
    user = User.objects.get(username=data["username"])
    assert int(client.session["_auth_user_id"]) == user.pk
    enterprise = Enterprise.unscoped.get(name=data["name"])
    assert enterprise.status == Enterprise.Status.PENDING
    status_page = client.get("/register/status/")
    assert status_page.status_code == 200
    assert enterprise.name in status_page.content.decode()
    assert 'data-testid="registration-state"' in status_page.content.decode()
    # Once registered, the registration page sends the applicant to its status.
    again = client.get("/register/")
    assert again.status_code == 302 and again.url == "/register/status/"


@pytest.mark.parametrize(
    "overrides, field",
    [
        (lambda w: {"name": w.acme.name}, "name"),
        (lambda w: {"credit_code": w.acme.credit_code}, "credit_code"),
        (lambda w: {"username": "alice"}, "username"),
        (lambda w: {"region": w.longmatan.pk}, "region"),
        (lambda w: {"credit_code": "91510502MA00000010"}, "credit_code"),
        (lambda w: {"password2": "something-else-1"}, "password2"),
        (lambda w: {"contact_phone": "12"}, "contact_phone"),
        (lambda w: {"longitude": ""}, "longitude"),
    ],
    ids=["dup-name", "dup-code", "username", "region", "check-char", "passwords", "phone", "half-point"],
)
def test_register_via_http_shows_errors_on_the_field(world, client, overrides, field):
    count = Enterprise.unscoped.count()
    response = client.post("/register/", registration_post(world, **overrides(world)))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Enterprise.unscoped.count() == count
    assert "_auth_user_id" not in client.session


@pytest.fixture
def pending(world):
    return register(world)


def test_gov_detail_shows_the_review_forms_only_to_reviewers(world, login, pending):
    url = f"/gov/registration/{pending.pk}/"
    reviewer_page = login(world.gov_alice).get(url)
    assert reviewer_page.status_code == 200
    assert 'data-testid="approve-card"' in reviewer_page.content.decode()
    assert reviewer_page.context["can_review"] is True
    leader_page = login(world.gov_bob).get(url)
    assert leader_page.status_code == 200
    assert leader_page.context["can_review"] is False
    assert 'data-testid="approve-card"' not in leader_page.content.decode()


def approve_post(enterprise: Enterprise, **overrides) -> dict:
    data = {
        "action": "approve",
        "owning_body": enterprise.owning_body_id,
        "region": enterprise.region_id,
        "latitude": str(enterprise.latitude or ""),
        "longitude": str(enterprise.longitude or ""),
        "industry": enterprise.industry,
        "reason": "",
    }
    data.update(overrides)
    return data


def test_gov_approve_via_http(world, login, pending):
    client = login(world.gov_alice)
    response = client.post(
        f"/gov/registration/{pending.pk}/", approve_post(pending, industry="machinery", reason="同意")
    )
    assert response.status_code == 302
    assert response.url == f"/gov/registration/{pending.pk}/"
    enterprise = reload(pending)
    assert enterprise.status == Enterprise.Status.APPROVED
    # Prefilled values posted back unchanged are not corrections; the changed industry is.
    assert enterprise.corrected_fields == {"industry": {"from": "hazardous_chemicals", "to": "machinery"}}
    assert admin_status(enterprise) == Membership.Status.ACTIVE
    page = client.get(response.url)
    assert 'data-testid="approve-card"' not in page.content.decode()
    assert world.gov_alice.user.display_name in page.content.decode()


def test_gov_approve_via_http_with_a_bad_correction_is_a_400(world, login, pending):
    client = login(world.city_reviewer)
    response = client.post(f"/gov/registration/{pending.pk}/", approve_post(pending, region=world.longmatan.pk))
    assert response.status_code == 400
    assert "region" in response.context["approve_form"].errors
    assert reload(pending).status == Enterprise.Status.PENDING


def test_gov_reject_via_http_and_the_applicant_sees_the_reason(world, login, client, pending):
    gov = login(world.gov_alice)
    empty = gov.post(f"/gov/registration/{pending.pk}/", {"action": "reject", "reason": ""})
    assert empty.status_code == 400
    assert "reason" in empty.context["reject_form"].errors
    assert reload(pending).status == Enterprise.Status.PENDING

    response = gov.post(f"/gov/registration/{pending.pk}/", {"action": "reject", "reason": "地址与执照不符"})
    assert response.status_code == 302
    assert reload(pending).status == Enterprise.Status.REJECTED

    gov.logout()
    client.force_login(applicant_of(pending))
    status_page = client.get("/register/status/")
    assert status_page.status_code == 200
    html = status_page.content.decode()
    assert '<span data-testid="reject-reason">地址与执照不符</span>' in html
    assert 'data-testid="resubmit-form"' in html


def test_a_second_decision_via_http_shows_who_decided(world, login, pending):
    services.registration_approve(actor=world.actor("gov_alice"), enterprise_id=pending.pk)
    client = login(world.city_reviewer)
    response = client.post(f"/gov/registration/{pending.pk}/", {"action": "reject", "reason": "晚了一步"}, follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any(world.gov_alice.user.display_name in m for m in messages)
    assert reload(pending).status == Enterprise.Status.APPROVED


@pytest.mark.parametrize(
    "who, status",
    [("gov_bob", 403), ("gov_charlie", 404), ("alice", 404), ("bob", 404), ("charlie", 404)],
)
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_gov_decisions_via_http_are_refused_to_others(world, login, pending, who, status, action):
    client = login(getattr(world, who))
    data = approve_post(pending) if action == "approve" else {"action": "reject", "reason": "无权"}
    response = client.post(f"/gov/registration/{pending.pk}/", data)
    assert response.status_code == status
    assert reload(pending).status == Enterprise.Status.PENDING


def resubmit_post(enterprise: Enterprise, **overrides) -> dict:
    data = {
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "owning_body": enterprise.owning_body_id,
        "region": enterprise.region_id,
        "address": enterprise.address,
        "latitude": str(enterprise.latitude or ""),
        "longitude": str(enterprise.longitude or ""),
        "industry": enterprise.industry,
        "contact_name": enterprise.contact_name,
        "contact_phone": enterprise.contact_phone,
    }
    data.update(overrides)
    return data


def test_resubmit_via_http(world, client, pending):
    services.registration_reject(actor=world.actor("gov_alice"), enterprise_id=pending.pk, reason="地址不全")
    client.force_login(applicant_of(pending))
    response = client.post("/register/status/", resubmit_post(pending, address="南城街道一号附二号"))
    assert response.status_code == 302
    assert response.url == "/register/status/"
    enterprise = reload(pending)
    assert enterprise.status == Enterprise.Status.PENDING
    assert enterprise.address == "南城街道一号附二号"
    assert records_of(enterprise)[-1].decision == Decision.RESUBMIT
    page = client.get("/register/status/")
    assert 'data-testid="resubmit-form"' not in page.content.decode()


def test_resubmit_via_http_when_pending_is_refused(world, client, pending):
    client.force_login(applicant_of(pending))
    response = client.post("/register/status/", resubmit_post(pending, address="改地址"), follow=True)
    assert response.status_code == 200
    assert reload(pending).address != "改地址"
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_resubmit_via_http_shows_field_errors(world, client, pending):
    services.registration_reject(actor=world.actor("gov_alice"), enterprise_id=pending.pk, reason="名称错误")
    client.force_login(applicant_of(pending))
    response = client.post("/register/status/", resubmit_post(pending, name=world.acme.name))
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert reload(pending).status == Enterprise.Status.REJECTED


def test_gov_registration_list_and_its_export(world, login):
    from openpyxl import load_workbook

    with time_machine.travel(datetime(2025, 5, 20, 0, 45, tzinfo=UTC), tick=False):  # 08:45 in Shanghai
        mine = register(world)
    elsewhere = register(world, owning_body=world.longmatan_bureau, region=world.longmatan)
    client = login(world.gov_alice)
    page = client.get("/gov/registrations/")
    assert [row.record.pk for row in page.context["table"].rows] == [mine.pk]
    response = client.get("/gov/registrations/?export=xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    header, *rows = list(ws.iter_rows(values_only=True))
    assert [r[0] for r in rows] == [mine.name]
    assert elsewhere.name not in {r[0] for r in rows}
    submitted = rows[0][header.index(page.context["table"].columns["submitted_at"].header)]
    assert submitted == datetime(2025, 5, 20, 8, 45), "the local wall-clock time, as an Excel date"
    assert OperationLog.objects.filter(action=OperationLog.Action.EXPORT, user=world.gov_alice.user).exists()
