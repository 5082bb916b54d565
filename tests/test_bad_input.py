"""Malformed forms, wrong and foreign ids: a message (or a 404), never a 500, and nothing written."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from approvals.models import Notification, OperationLog, ReviewRecord
from enterprises.models import Enterprise, Membership, User
from safety.tenancy import scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory, valid_credit_code

NAME = "新申请化工有限公司"


def _registration_post(world, **overrides) -> dict[str, str]:
    data = {
        "name": NAME,
        "credit_code": valid_credit_code(),
        "industry": "machinery",
        "owning_body": str(world.nancheng_office.pk),
        "region": str(world.nancheng.pk),
        "address": "南城街道 1 号",
        "contact_name": "张三",
        "contact_phone": "13800000000",
        "username": "new_applicant",
        "full_name": "张三",
        "email": "zhang@example.com",
        "password1": "pw-Secret-123",
        "password2": "pw-Secret-123",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _counts() -> dict[str, int]:
    with scopes_disabled():
        return {
            "enterprises": Enterprise.unscoped.count(),
            "users": User.objects.count(),
            "memberships": Membership.objects.count(),
            "review_records": ReviewRecord.objects.count(),
            "notifications": Notification.objects.count(),
            "transitions": OperationLog.objects.filter(action=OperationLog.Action.TRANSITION).count(),
        }


def _pending(world, **kwargs) -> Enterprise:
    enterprise = EnterpriseFactory(
        status=Enterprise.Status.PENDING,
        owning_body=world.nancheng_office,
        region=world.nancheng,
        submitted_at=timezone.now(),
        **kwargs,
    )
    MembershipFactory(
        user=UserFactory(),
        enterprise=enterprise,
        role=Membership.Role.ENTERPRISE_ADMIN,
        status=Membership.Status.PENDING,
    )
    return enterprise


def _state(enterprise: Enterprise) -> tuple:
    with scopes_disabled():
        e = Enterprise.unscoped.get(pk=enterprise.pk)
        admin = Membership.objects.get(enterprise=e, role=Membership.Role.ENTERPRISE_ADMIN)
        return e.status, e.owning_body_id, e.region_id, e.industry, e.corrected_fields, admin.status


def _html(response) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------------------------------------
# Self-registration
# --------------------------------------------------------------------------------------------------------


def test_valid_registration_baseline(world, client):
    """The baseline body the bad cases below spoil is itself accepted."""
    before = _counts()
    response = client.post("/register/", _registration_post(world))
    assert response.status_code == 302
    assert _counts()["enterprises"] == before["enterprises"] + 1


BAD_REGISTRATIONS = [
    pytest.param(
        {"credit_code": None, "industry": None, "contact_phone": None, "password1": None, "password2": None},
        ["credit_code", "industry", "contact_phone", "password1", "password2"],
        id="missing-fields",
    ),
    pytest.param({"credit_code": "91510502MA0000001X"}, ["credit_code"], id="bad-credit-code-check-character"),
    pytest.param({"credit_code": "123"}, ["credit_code"], id="credit-code-too-short"),
    pytest.param({"password2": "pw-Other-456"}, ["password2"], id="mismatched-passwords"),
    pytest.param({"owning_body": "999999"}, ["owning_body"], id="owning-body-does-not-exist"),
    pytest.param({"owning_body": "abc"}, ["owning_body"], id="owning-body-not-a-number"),
    pytest.param({"region": "abc"}, ["region"], id="region-not-a-number"),
    pytest.param({"region": "999999"}, ["region"], id="region-does-not-exist"),
    pytest.param({"industry": "zzz"}, ["industry"], id="unknown-industry"),
    pytest.param({"latitude": "north"}, ["latitude"], id="latitude-not-a-number"),
    pytest.param({"latitude": "30.1"}, ["longitude"], id="latitude-without-longitude"),
    pytest.param({"contact_phone": "call me"}, ["contact_phone"], id="bad-phone"),
]


@pytest.mark.parametrize(("overrides", "bad_fields"), BAD_REGISTRATIONS)
def test_bad_registration_rerenders_with_inline_errors(world, client, overrides, bad_fields):
    before = _counts()
    response = client.post("/register/", _registration_post(world, **overrides))
    assert response.status_code == 200
    html = _html(response)
    form = response.context["form"]
    assert set(bad_fields) <= set(form.errors), form.errors
    assert "invalid-feedback" in html
    # What the user typed is still there.
    assert f'value="{NAME}"' in html
    assert 'value="new_applicant"' in html
    assert _counts() == before
    assert not User.objects.filter(username="new_applicant").exists()


def test_registration_region_outside_owning_body_is_an_inline_error(world, client):
    """Both ids exist, but the region (贵阳 南明区) is not in 南城办's jurisdiction: the service says so."""
    before = _counts()
    response = client.post("/register/", _registration_post(world, region=str(world.nanming.pk)))
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert f'value="{NAME}"' in _html(response)
    assert _counts() == before


def test_registration_duplicate_name_and_code_are_inline_errors(world, client):
    before = _counts()
    response = client.post(
        "/register/", _registration_post(world, name=world.acme.name, credit_code=world.acme.credit_code)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "name" in errors and "credit_code" in errors
    assert _counts() == before


def test_registration_taken_username_is_an_inline_error(world, client):
    before = _counts()
    response = client.post("/register/", _registration_post(world, username="alice"))
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert f'value="{NAME}"' in _html(response)
    assert _counts() == before


# --------------------------------------------------------------------------------------------------------
# Review: approve / reject
# --------------------------------------------------------------------------------------------------------


def _detail(enterprise: Enterprise) -> str:
    return f"/gov/registration/{enterprise.pk}/"


BAD_APPROVALS = [
    pytest.param(lambda w: {"owning_body": str(w.guiyang_bureau.pk)}, "owning_body", id="foreign-owning-body"),
    pytest.param(lambda w: {"owning_body": str(w.longmatan_bureau.pk)}, "owning_body", id="sibling-owning-body"),
    pytest.param(
        lambda w: {"owning_body": str(w.guiyang_bureau.pk), "region": str(w.nanming.pk)},
        "owning_body",
        id="foreign-owning-body-and-region",
    ),
    pytest.param(lambda w: {"region": str(w.nanming.pk)}, "region", id="foreign-region"),
    pytest.param(lambda w: {"region": "999999"}, "region", id="region-does-not-exist"),
    pytest.param(lambda w: {"region": "abc"}, "region", id="region-not-a-number"),
    pytest.param(lambda w: {"owning_body": "999999"}, "owning_body", id="owning-body-does-not-exist"),
    pytest.param(lambda w: {"latitude": "north", "longitude": "east"}, "latitude", id="map-point-not-numbers"),
    pytest.param(lambda w: {"industry": "zzz"}, "industry", id="unknown-industry"),
]


@pytest.mark.parametrize(("make_body", "bad_field"), BAD_APPROVALS)
def test_bad_approval_is_a_form_error_and_stays_pending(world, login, make_body, bad_field):
    enterprise = _pending(world)
    before_state, before_counts = _state(enterprise), _counts()
    c = login(world.gov_alice)
    response = c.post(_detail(enterprise), {"action": "approve", **make_body(world)})
    assert response.status_code == 400
    form = response.context["approve_form"]
    assert bad_field in form.errors, form.errors
    assert "invalid-feedback" in _html(response) or "errorlist" in _html(response)
    assert _state(enterprise) == before_state
    assert _state(enterprise)[0] == Enterprise.Status.PENDING
    assert _counts() == before_counts


def test_city_reviewer_may_move_a_registration_within_its_jurisdiction(world, login):
    """The guard against foreign corrections still lets a body above correct within what it supervises."""
    enterprise = _pending(world)
    c = login(world.city_reviewer)
    response = c.post(
        _detail(enterprise),
        {"action": "approve", "owning_body": str(world.longmatan_bureau.pk), "region": str(world.longmatan.pk)},
    )
    assert response.status_code == 302
    status, owning_body_id, region_id, *_rest = _state(enterprise)
    assert (status, owning_body_id, region_id) == (
        Enterprise.Status.APPROVED,
        world.longmatan_bureau.pk,
        world.longmatan.pk,
    )


@pytest.mark.parametrize("reason", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_reject_without_reason_is_an_error_and_stays_pending(world, login, reason):
    enterprise = _pending(world)
    before_state, before_counts = _state(enterprise), _counts()
    c = login(world.gov_alice)
    body = {"action": "reject"} if reason is None else {"action": "reject", "reason": reason}
    response = c.post(_detail(enterprise), body)
    assert response.status_code == 400
    assert "reason" in response.context["reject_form"].errors
    assert _state(enterprise) == before_state
    assert _counts() == before_counts


@pytest.mark.parametrize("action", [None, "", "delete", "APPROVE"], ids=["absent", "empty", "delete", "upper"])
def test_unknown_action_is_a_message(world, login, action):
    enterprise = _pending(world)
    before_state, before_counts = _state(enterprise), _counts()
    c = login(world.gov_alice)
    response = c.post(_detail(enterprise), {} if action is None else {"action": action}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert _state(enterprise) == before_state
    assert _counts() == before_counts


def test_leader_cannot_approve_and_nothing_is_written(world, login):
    """gov_bob sees the registration (read-only leader) but may not decide: 403, never a 500."""
    enterprise = _pending(world)
    before_state, before_counts = _state(enterprise), _counts()
    response = login(world.gov_bob).post(_detail(enterprise), {"action": "approve"})
    assert response.status_code == 403
    assert _state(enterprise) == before_state
    assert _counts() == before_counts


def test_approving_an_approved_registration_is_a_message(world, login):
    c = login(world.gov_alice)
    before_counts = _counts()
    response = c.post(_detail(world.acme), {"action": "approve"}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert _counts() == before_counts


# --------------------------------------------------------------------------------------------------------
# Wrong ids
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/gov/registration/abc/", "/gov/registration/999999/", "/gov/registration/-1/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_bad_registration_ids_are_404(world, login, path, method):
    before = _counts()
    c = login(world.gov_alice)
    response = getattr(c, method)(path, {"action": "approve"} if method == "post" else None)
    assert response.status_code == 404
    assert _counts() == before


def test_switch_to_another_users_membership_is_404(world, login):
    c = login(world.alice)
    session_before = c.session.get("active_membership_id")
    for wanted in (world.charlie.pk, world.gov_alice.pk, 999999, "abc", ""):
        response = c.post("/switch/", {"membership": str(wanted)})
        assert response.status_code == 404, wanted
    assert c.session.get("active_membership_id") == session_before
    # And the actor is still alice at acme.
    response = c.get("/")
    assert response.status_code == 200
    assert response.context["actor"].membership.pk == world.alice.pk


def test_switch_to_own_disabled_membership_is_404(world, login):
    disabled = MembershipFactory(user=world.alice.user, enterprise=world.other, status=Membership.Status.DISABLED)
    c = login(world.alice)
    assert c.post("/switch/", {"membership": str(disabled.pk)}).status_code == 404


def test_switch_by_get_is_refused(world, login):
    c = login(world.alice)
    assert c.get("/switch/", {"membership": str(world.alice.pk)}).status_code == 405


@pytest.mark.parametrize("path", ["/notifications/999999/open/", "/notifications/0/open/"])
def test_unknown_notification_is_404(world, login, path):
    before = _counts()
    assert login(world.alice).post(path).status_code == 404
    assert _counts() == before


# --------------------------------------------------------------------------------------------------------
# Filters and paging with garbage
# --------------------------------------------------------------------------------------------------------

GARBAGE_REGISTRATION_FILTERS = [
    "region=abc&submitted_from=notadate&status=zzz",
    "region=999999&owning_body=abc&industry=zzz&submitted_to=2024-13-45",
    "owning_body=999999&q=%00",
    "q=" + "x" * 5000,
    "sort=nonexistent_column",
    "sort=-owning_body__password",
    "region=1&region=2&status=pending&status=approved",
]


@pytest.mark.parametrize("tab", ["all", "pending", "rejected", "zzz"])
@pytest.mark.parametrize("query", GARBAGE_REGISTRATION_FILTERS)
def test_garbage_registration_filters_are_not_500(world, login, tab, query):
    _pending(world)
    response = login(world.gov_alice).get(f"/gov/registrations/{tab}/?{query}")
    assert response.status_code == 200


def test_garbage_filter_values_show_a_message_in_the_form(world, login):
    response = login(world.gov_alice).get("/gov/registrations/all/?region=abc&submitted_from=notadate&status=zzz")
    assert response.status_code == 200
    errors = response.context["filter"].form.errors
    assert {"region", "submitted_from", "status"} <= set(errors)


@pytest.mark.parametrize(
    "query",
    ["since=notadate&until=2024-02-30&action=zzz", "username=%00", "sort=nonexistent", "action=transition&action=x"],
)
def test_garbage_log_filters_are_not_500(world, login, query):
    for who in (world.gov_alice, world.alice):
        response = login(who, Client()).get(f"/log/?{query}")
        assert response.status_code == 200


@pytest.mark.parametrize("page", ["999", "abc", "0", "-1", "1.5", ""])
@pytest.mark.parametrize("path", ["/gov/registrations/all/", "/gov/registrations/pending/", "/log/"])
def test_bad_page_numbers_are_not_500(world, login, path, page):
    _pending(world)
    response = login(world.gov_alice).get(path, {"page": page})
    assert response.status_code in (200, 404)


@pytest.mark.parametrize("path", ["/notifications/", "/inbox/", "/"])
def test_other_lists_ignore_garbage_parameters(world, login, path):
    response = login(world.alice).get(path, {"page": "abc", "status": "zzz", "region": "abc"})
    assert response.status_code == 200


# --------------------------------------------------------------------------------------------------------
# Resubmission
# --------------------------------------------------------------------------------------------------------


def test_bad_resubmission_rerenders_and_stays_rejected(world, client):
    applicant = UserFactory(username="rejected_applicant")
    enterprise = EnterpriseFactory(
        status=Enterprise.Status.REJECTED,
        owning_body=world.nancheng_office,
        region=world.nancheng,
        reject_reason="信用代码有误",
        submitted_at=timezone.now(),
    )
    MembershipFactory(
        user=applicant, enterprise=enterprise, role=Membership.Role.ENTERPRISE_ADMIN, status=Membership.Status.PENDING
    )
    client.force_login(applicant)
    before = _counts()
    data = _registration_post(world, name="改正后的名称有限公司", credit_code="BAD", region="abc")
    response = client.post("/register/status/", data)
    assert response.status_code == 200
    assert {"credit_code", "region"} <= set(response.context["form"].errors)
    assert 'value="改正后的名称有限公司"' in _html(response)
    assert _counts() == before
    with scopes_disabled():
        assert Enterprise.unscoped.get(pk=enterprise.pk).status == Enterprise.Status.REJECTED
