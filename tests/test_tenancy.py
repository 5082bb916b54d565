"""Fail-closed tenancy: no scope, no rows; each actor sees exactly its enterprise or its jurisdiction."""

from __future__ import annotations

import pytest
from django.db.models import QuerySet

from approvals.engine import record_review
from approvals.models import Decision, Node, OperationLog, ReviewRecord
from enterprises.models import Enterprise, IndustryCategory, Membership
from safety.actors import Actor
from safety.tenancy import ScopeError, actor_scope, scope, scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory, actor_for, make_body

TENANT_MODELS = [ReviewRecord, Enterprise]


def seed_records(*enterprises: Enterprise) -> None:
    """One review record per enterprise, written as the system (set-up, not a tenant's action)."""
    with scopes_disabled():
        for e in enterprises:
            record_review(actor=Actor.SYSTEM, subject=e, node=Node.APPLICANT, decision=Decision.SUBMIT)


def visible(actor: Actor) -> dict[str, set[str]]:
    with actor_scope(actor):
        return {
            "enterprises": set(Enterprise.objects.values_list("name", flat=True)),
            "records": set(ReviewRecord.objects.values_list("enterprise__name", flat=True)),
        }


# ---------------------------------------------------------------------------------------------- fail closed


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "query",
    [
        pytest.param(lambda m: list(m.objects.all()), id="list"),
        pytest.param(lambda m: m.objects.count(), id="count"),
        pytest.param(lambda m: m.objects.filter(pk=1).exists(), id="exists"),
        pytest.param(lambda m: m.objects.first(), id="first"),
    ],
)
def test_no_scope_raises(world, model, query):
    seed_records(world.acme)
    with pytest.raises(ScopeError):
        query(model)


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_scope_none_is_refused(world, model):
    seed_records(world.acme)
    with scope(enterprise=None), pytest.raises(ScopeError, match="None"):
        list(model.objects.all())


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_scope_of_another_dimension_is_not_enough(world, model):
    with scope(body=[world.nancheng_office.pk]), pytest.raises(ScopeError):
        list(model.objects.all())


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_empty_list_scope_means_nothing(world, model):
    seed_records(world.acme, world.other, world.far)
    with scope(enterprise=[]):
        assert model.objects.count() == 0


def test_unscoped_manager_is_explicitly_unfiltered(world):
    # The deliberate escape hatch (uniqueness checks, jurisdictions) works without a scope.
    assert Enterprise.unscoped.filter(pk__in=[world.acme.pk, world.other.pk, world.far.pk]).count() == 3


# ------------------------------------------------------------------------------------------ who sees what


@pytest.mark.parametrize(
    "who, expected",
    [
        ("alice", {"acme"}),
        ("bob", {"acme"}),
        ("charlie", {"far"}),
        ("gov_alice", {"acme"}),  # 南城办: the 南城 subtree
        ("gov_bob", {"acme"}),  # read-only leader: sees, may not decide
        ("city_reviewer", {"acme", "other"}),  # 泸州市局: the whole city
        ("gov_charlie", {"far"}),  # 贵阳市局: another province
    ],
)
def test_actor_sees_only_its_own_enterprises(world, who, expected):
    seed_records(world.acme, world.other, world.far)
    names = {key: getattr(world, key).name for key in ("acme", "other", "far")}
    want = {names[k] for k in expected}
    seen = visible(world.actor(who))
    assert seen["enterprises"] == want
    assert seen["records"] == want


@pytest.mark.parametrize(
    "body_region, expected",
    [
        ("jiangyang", {"acme"}),
        ("longmatan", {"other"}),
        ("luzhou", {"acme", "other"}),
        ("sichuan", {"acme", "other"}),
        ("guizhou", {"far"}),
        ("nanming", {"far"}),
    ],
)
def test_government_jurisdiction_is_the_region_subtree(world, body_region, expected):
    body = make_body(f"测试机构-{body_region}", "county", getattr(world, body_region))
    inspector = MembershipFactory(body=body, role=Membership.Role.INSPECTOR)
    seed_records(world.acme, world.other, world.far)
    want = {getattr(world, k).name for k in expected}
    seen = visible(actor_for(inspector))
    assert seen["enterprises"] == want
    assert seen["records"] == want


def test_enterprise_created_later_in_the_jurisdiction_is_seen(world):
    # The jurisdiction is a live subquery, not a snapshot taken when the actor was built.
    actor = world.actor("gov_alice")
    with actor_scope(actor):
        before = Enterprise.objects.count()
    late = EnterpriseFactory(owning_body=world.nancheng_office, region=world.nancheng)
    with actor_scope(actor):
        assert Enterprise.objects.count() == before + 1
        assert Enterprise.objects.filter(pk=late.pk).exists()


@pytest.mark.parametrize(
    "industries, expected",
    [
        ([IndustryCategory.HAZARDOUS_CHEMICALS], {"acme"}),
        ([IndustryCategory.MACHINERY], {"other"}),
        ([IndustryCategory.HAZARDOUS_CHEMICALS, IndustryCategory.MACHINERY], {"acme", "other"}),
        ([IndustryCategory.NON_COAL_MINES], set()),
        ([], {"acme", "other"}),  # empty: every industry
    ],
)
def test_industry_limited_jurisdiction(world, industries, expected):
    # acme is hazardous chemicals, other is machinery (factory default); both in 泸州.
    assert world.acme.industry == IndustryCategory.HAZARDOUS_CHEMICALS
    assert world.other.industry == IndustryCategory.MACHINERY
    body = make_body("泸州市专项监管处", "city", world.luzhou, industries=list(industries))
    member = MembershipFactory(body=body, role=Membership.Role.REVIEWER)
    seed_records(world.acme, world.other, world.far)
    want = {getattr(world, k).name for k in expected}
    seen = visible(actor_for(member))
    assert seen["enterprises"] == want
    assert seen["records"] == want


@pytest.mark.parametrize("status", [Membership.Status.PENDING, Membership.Status.DISABLED])
@pytest.mark.parametrize("who", ["alice", "bob", "gov_alice", "city_reviewer"])
def test_inactive_membership_sees_nothing(world, who, status):
    seed_records(world.acme, world.other, world.far)
    membership = getattr(world, who)
    assert visible(actor_for(membership))["enterprises"]  # while active, it sees something
    Membership.objects.filter(pk=membership.pk).update(status=status)
    membership.refresh_from_db()
    seen = visible(actor_for(membership))
    assert seen == {"enterprises": set(), "records": set()}


@pytest.mark.parametrize(
    "make_actor",
    [
        pytest.param(lambda w: Actor(user=UserFactory(is_superuser=True, is_staff=True)), id="superuser"),
        pytest.param(lambda w: Actor.SYSTEM, id="system"),
    ],
)
def test_platform_admin_and_system_see_all(world, make_actor):
    seed_records(world.acme, world.other, world.far)
    seen = visible(make_actor(world))
    everyone = {world.acme.name, world.other.name, world.far.name}
    assert seen["enterprises"] == everyone
    assert seen["records"] == everyone


def test_superuser_working_as_a_member_is_scoped_like_the_member(world):
    seed_records(world.acme, world.other, world.far)
    user = UserFactory(is_superuser=True, is_staff=True)
    membership = MembershipFactory(user=user, enterprise=world.far, role=Membership.Role.ENTERPRISE_ADMIN)
    actor = actor_for(membership)
    assert not actor.is_platform_admin
    assert visible(actor)["enterprises"] == {world.far.name}


@pytest.mark.parametrize(
    "make_actor",
    [
        pytest.param(lambda w: Actor(user=UserFactory()), id="user-without-membership"),
        pytest.param(lambda w: Actor(user=UserFactory(is_staff=True)), id="staff-without-membership"),
    ],
)
def test_user_without_membership_sees_nothing(world, make_actor):
    seed_records(world.acme, world.other, world.far)
    assert visible(make_actor(world)) == {"enterprises": set(), "records": set()}


def test_scopes_disabled_sees_all(world):
    seed_records(world.acme, world.other, world.far)
    with scopes_disabled():
        assert set(ReviewRecord.objects.values_list("enterprise_id", flat=True)) == {
            world.acme.pk,
            world.other.pk,
            world.far.pk,
        }
        assert Enterprise.objects.filter(pk__in=[world.acme.pk, world.other.pk, world.far.pk]).count() == 3


def test_scopes_disabled_inside_an_actor_scope_and_back(world):
    seed_records(world.acme, world.other, world.far)
    with actor_scope(world.actor("alice")):
        assert ReviewRecord.objects.count() == 1
        with scopes_disabled():
            assert ReviewRecord.objects.count() == 3
        assert ReviewRecord.objects.count() == 1  # the narrower scope is restored
    with pytest.raises(ScopeError):
        ReviewRecord.objects.count()


def test_nested_actor_scopes_use_the_innermost(world):
    seed_records(world.acme, world.other, world.far)
    with actor_scope(world.actor("city_reviewer")):
        assert ReviewRecord.objects.count() == 2
        with actor_scope(world.actor("charlie")):
            assert set(ReviewRecord.objects.values_list("enterprise_id", flat=True)) == {world.far.pk}
        assert ReviewRecord.objects.count() == 2


# --------------------------------------------------------------------------------- jurisdiction is a subquery


@pytest.mark.parametrize("who, region", [("gov_alice", "nancheng"), ("city_reviewer", "luzhou")])
def test_jurisdiction_filter_is_a_subquery_not_a_list(world, who, region):
    actor = world.actor(who)
    ids = actor.enterprise_ids()
    assert isinstance(ids, QuerySet), "a jurisdiction must stay in SQL, not be fetched as a list of ids"
    path = getattr(world, region).path
    with actor_scope(actor):
        for model in TENANT_MODELS:
            sql = str(model.objects.all().query)
            assert "LIKE" in sql.upper()
            assert f"{path}%" in sql
            assert "SELECT" in sql.upper().split("WHERE", 1)[1], "the ids must be a nested SELECT"
            # No literal list of the current enterprise ids.
            assert f"IN ({world.acme.pk})" not in sql


def test_enterprise_actor_scope_is_a_plain_list(world):
    assert world.actor("alice").enterprise_ids() == [world.acme.pk]


def test_system_actor_has_no_enterprise_list():
    with pytest.raises(RuntimeError):
        Actor.SYSTEM.enterprise_ids()


# ---------------------------------------------------------------------------------------- through requests


@pytest.mark.parametrize(
    "who, enterprise, status",
    [
        ("gov_alice", "acme", 200),
        ("gov_alice", "other", 404),
        ("gov_alice", "far", 404),
        ("city_reviewer", "other", 200),
        ("gov_charlie", "acme", 404),
        ("gov_charlie", "far", 200),
    ],
)
def test_government_detail_page_is_scoped(world, login, who, enterprise, status):
    client = login(getattr(world, who))
    response = client.get(f"/gov/registration/{getattr(world, enterprise).pk}/")
    assert response.status_code == status


def test_operation_log_rows_are_tenant_rows_too(world):
    # OperationLog is read through a selector (actor-filtered), not a tenant manager: make sure the selector
    # keeps enterprise actors to their tenant even with scopes disabled.
    from approvals import audit
    from approvals.selectors import operation_log_for

    with scopes_disabled():
        for e in (world.acme, world.other, world.far):
            audit.log_operation(actor=Actor.SYSTEM, action=OperationLog.Action.UPDATE, obj=e)
        ids = set(operation_log_for(world.actor("alice")).values_list("enterprise_id", flat=True))
    assert ids == {world.acme.pk}
