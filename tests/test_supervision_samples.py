"""Differentiated supervision: reproducible random samples of enterprises, key enterprises, enterprises reporting
zero hazards, enterprises not using the system."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from approvals.models import OperationLog
from enterprises.models import Enterprise, Membership, User
from hazards import selectors, services
from hazards import supervision as sv
from hazards.models import EnterpriseSample, Hazard
from hazards.views import InactiveEnterpriseListView, KeyEnterpriseListView, ZeroHazardListView
from safety.tenancy import actor_scope, scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory, actor_for, make_region

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _english_and_clock(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"), time_machine.travel(NOW, tick=False):
        yield


def inside(world, name: str, **fields) -> Enterprise:
    """An enterprise of 南城办's jurisdiction."""
    return EnterpriseFactory(name=name, owning_body=world.nancheng_office, region=world.nancheng, **fields)


# --------------------------------------------------------------------------------------------------------
# The draw itself
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidates", "seed", "size", "expected"),
    [
        # Recorded draws: these must never change, or recorded samples stop being reproducible.
        (list(range(1, 11)), "a" * 32, 3, random.Random("a" * 32).sample(list(range(1, 11)), 3)),
        ([5, 3, 9, 1], "seed", 2, random.Random("seed").sample([1, 3, 5, 9], 2)),
        ([7], "x", 5, [7]),  # asking for more than there are: all of them
        ([], "x", 5, []),
        ([4, 4, 2], "s", 0, []),
    ],
)
def test_draw_sample_is_seeded_over_sorted_ids(candidates, seed, size, expected):
    assert sv.draw_sample(candidates, seed, size) == expected


def test_the_same_seed_over_the_same_candidates_gives_the_same_sample_whatever_their_order():
    ids = list(range(100, 400, 3))
    shuffled = ids[::-1]
    for seed in ("0f" * 16, sv.new_seed(), "seed"):
        assert sv.draw_sample(ids, seed, 12) == sv.draw_sample(shuffled, seed, 12) == sv.draw_sample(ids, seed, 12)
    assert sv.draw_sample(ids, "one", 12) != sv.draw_sample(ids, "two", 12)


def test_seeds_are_fresh_hex():
    seeds = {sv.new_seed() for _ in range(20)}
    assert len(seeds) == 20 and all(len(s) == 32 and int(s, 16) >= 0 for s in seeds)


# --------------------------------------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------------------------------------


@pytest.fixture
def population(world):
    """南城办's jurisdiction: acme (hazardous chemicals) and 12 more of mixed industry and size; outsiders too."""
    made = [world.acme]
    for i in range(12):
        made.append(
            inside(
                world,
                f"南城企业{i:02d}",
                industry="machinery" if i % 2 else "hazardous_chemicals",
                size_class="small" if i % 3 else "large",
            )
        )
    inside(world, "待审企业", status="pending")
    inside(world, "已删除企业", deleted_at=NOW)
    return made


def draw(world, who="gov_alice", **kwargs) -> EnterpriseSample:
    kwargs.setdefault("purpose", "一季度抽查")
    kwargs.setdefault("size", 4)
    return services.sample_draw(actor=world.actor(who), **kwargs)


def test_a_draw_is_recorded_logged_and_reproducible(population, world):
    sample = draw(world)
    eligible = {e.pk for e in population}
    assert len(sample.seed) == 32 and len(sample.enterprise_ids) == 4 and set(sample.enterprise_ids) <= eligible
    assert sample.criteria["candidates"] == 13 and sample.body == world.nancheng_office
    log = OperationLog.objects.get(action="create", object_id=str(sample.pk))
    assert log.body_id == world.nancheng_office.pk and f"seed={sample.seed}" in log.detail
    # Re-drawing with the recorded seed over the same candidates gives the same enterprises, in the same order.
    again = draw(world, seed=sample.seed)
    assert again.enterprise_ids == sample.enterprise_ids
    assert services.sample_redraw_matches(sample)
    assert sample.criteria["candidates_sha256"] == sv.candidates_digest(e.pk for e in population)
    # A new enterprise matching the criteria changes the candidates: the check says so (whether or not the seed
    # happens to pick the same enterprises from the new set).
    inside(world, "新企业")
    assert not services.sample_redraw_matches(EnterpriseSample.objects.get(pk=sample.pk))


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"industry": "machinery"}, 6),
        ({"industry": "hazardous_chemicals"}, 7),  # acme included
        ({"size_class": "large"}, 4),
        ({"industry": "machinery", "size_class": "small"}, 4),
        ({}, 13),
    ],
)
def test_criteria_select_the_candidates(population, world, criteria, expected):
    sample = draw(world, size=100, **criteria)
    assert len(sample.enterprise_ids) == sample.criteria["candidates"] == expected
    with scopes_disabled():
        drawn = Enterprise.unscoped.filter(pk__in=sample.enterprise_ids)
        for field, value in criteria.items():
            assert set(drawn.values_list(field, flat=True)) == {value}


def test_region_criterion(population, world):
    village = make_region("510502001001", "上平社区", "village", world.nancheng)
    there = inside(world, "社区企业")
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=there.pk).update(region=village)
    sample = draw(world, size=50, region=village)
    assert sample.enterprise_ids == [there.pk] and sample.criteria["region"] == village.pk


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 0}, "between 1 and 500"),
        ({"size": 501}, "between 1 and 500"),
        ({"industry": "gas"}, "No enterprise"),
    ],
)
def test_bad_draws_are_refused(population, world, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        draw(world, **kwargs)
    assert not EnterpriseSample.objects.exists()


def test_a_region_outside_the_jurisdiction_is_refused(population, world):
    with pytest.raises(ValidationError, match="region of your jurisdiction"):
        draw(world, region=world.longmatan)


@pytest.mark.parametrize(
    ("role", "may"), [("reviewer", True), ("body_admin", True), ("inspector", True), ("leader", False)]
)
def test_who_draws(population, world, role, may):
    actor = actor_for(MembershipFactory(user=UserFactory(), body=world.nancheng_office, role=role))
    if may:
        assert services.sample_draw(actor=actor, purpose="x", size=1).enterprise_ids
    else:
        with pytest.raises(PermissionDenied):
            services.sample_draw(actor=actor, purpose="x", size=1)


@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_enterprise_users_cannot_draw(world, who):
    with pytest.raises(PermissionDenied):
        draw(world, who)


def test_candidates_are_the_jurisdiction_only(population, world):
    sample = draw(world, "city_reviewer", size=500)
    with scopes_disabled():
        names = set(Enterprise.unscoped.filter(pk__in=sample.enterprise_ids).values_list("name", flat=True))
    assert "龙马潭机械厂" in names and "贵阳远方公司" not in names and "待审企业" not in names
    assert "已删除企业" not in names


# --------------------------------------------------------------------------------------------------------
# Sample pages
# --------------------------------------------------------------------------------------------------------


def test_draw_through_the_page_and_open_it(population, world, login):
    c = login(world.gov_alice)
    response = c.post(
        "/gov/supervision/samples/", {"purpose": "专项检查", "size": "3", "industry": "machinery", "size_class": ""}
    )
    sample = EnterpriseSample.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/gov/supervision/samples/{sample.pk}/"
    html = c.get(response["Location"]).content.decode()
    assert sample.seed in html and html.count('data-testid="enterprise-row"') == 3
    assert "gives the same sample" in html
    rows = list(
        load_workbook(
            io.BytesIO(b"".join(c.get(response["Location"], {"export": "xlsx"}).streaming_content))
        ).active.values
    )
    assert len(rows) == 4 and rows[0][0] == "Enterprise"


def test_draw_form_errors_keep_the_input(population, world, login):
    response = login(world.gov_alice).post(
        "/gov/supervision/samples/", {"purpose": "燃气专项", "size": "3", "industry": "gas"}
    )
    html = response.content.decode()
    assert response.status_code == 400 and "No enterprise of your jurisdiction matches" in html
    assert 'value="燃气专项"' in html and not EnterpriseSample.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("gov_alice", 200), ("gov_bob", 200), ("city_reviewer", 200), ("gov_charlie", 404), ("alice", 404)],
)
def test_who_opens_a_sample(population, world, login, who, status):
    sample = draw(world)
    assert login(getattr(world, who)).get(f"/gov/supervision/samples/{sample.pk}/").status_code == status


def test_a_sample_of_the_city_is_not_the_townships(population, world, login):
    sample = draw(world, "city_reviewer")
    assert login(world.gov_alice).get(f"/gov/supervision/samples/{sample.pk}/").status_code == 404
    assert f"/samples/{sample.pk}/" in login(world.city_reviewer).get("/gov/supervision/samples/").content.decode()


def test_leader_has_no_draw_form(world, login):
    c = login(world.gov_bob)
    assert 'data-testid="sample-form"' not in c.get("/gov/supervision/samples/").content.decode()
    assert c.post("/gov/supervision/samples/", {"purpose": "x", "size": "1"}).status_code == 403


# --------------------------------------------------------------------------------------------------------
# Key enterprises, zero hazards, not using the system
# --------------------------------------------------------------------------------------------------------


def hazard(enterprise, found_at, *, status=Hazard.Status.REGISTERED, level=Hazard.Level.GENERAL, **extra):
    with scopes_disabled():
        return Hazard.objects.create(
            enterprise=enterprise,
            title="隐患",
            level=level,
            kind=Hazard.Kind.MAJOR if level == Hazard.Level.MAJOR else Hazard.Kind.DEADLINE,
            found_at=found_at,
            deadline=found_at + timedelta(days=30),
            status=status,
            **extra,
        )


def names(view, actor, **params) -> list[str]:
    query = QueryDict(mutable=True)
    for k, v in params.items():
        query[k] = v
    with actor_scope(actor):
        filterset, _table = view.build_list(actor, query)
        return sorted(filterset.qs.values_list("name", flat=True))


@pytest.fixture
def key_world(world):
    w = world  # acme: hazardous chemicals
    inside(w, "重大危险源企业", has_major_hazard_source=True)
    open_major = inside(w, "重大隐患未销号企业")
    hazard(open_major, NOW - timedelta(days=5), status=Hazard.Status.OVERDUE, level=Hazard.Level.MAJOR)
    hazard(open_major, NOW - timedelta(days=4), level=Hazard.Level.MAJOR)
    closed_major = inside(w, "重大隐患已销号企业")
    hazard(closed_major, NOW - timedelta(days=5), status=Hazard.Status.CLOSED, level=Hazard.Level.MAJOR)
    plain = inside(w, "普通企业")
    hazard(plain, NOW - timedelta(days=5))
    return w


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("", ["重大危险源企业", "重大隐患未销号企业", "阿克米化工有限公司"]),
        ("major_source", ["重大危险源企业"]),
        ("hazardous_chemicals", ["阿克米化工有限公司"]),
        ("open_major", ["重大隐患未销号企业"]),
    ],
)
def test_key_enterprises(key_world, reason, expected):
    params = {"reason": reason} if reason else {}
    assert names(KeyEnterpriseListView, key_world.actor("gov_alice"), **params) == expected


def test_key_enterprises_show_their_open_major_hazards(key_world, login):
    rows = list(
        load_workbook(
            io.BytesIO(
                b"".join(
                    login(key_world.gov_alice)
                    .get("/gov/supervision/key-enterprises/", {"export": "xlsx"})
                    .streaming_content
                )
            )
        ).active.values
    )
    header = rows[0]
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert by_name["重大隐患未销号企业"]["Open major hazards"] == 2
    assert by_name["重大危险源企业"]["Major hazard source"] == "Yes"
    assert by_name["阿克米化工有限公司"]["Open major hazards"] == 0


@pytest.fixture
def zero_world(world):
    """Previous month (today is 10 March 2026): February."""
    w = world
    hazard(w.acme, datetime(2026, 2, 10, 9, tzinfo=SHANGHAI))  # reported in February
    only_gov = inside(w, "仅政府检查企业")
    hazard(only_gov, datetime(2026, 2, 11, 9, tzinfo=SHANGHAI), registered_by_body=w.nancheng_office)
    march = inside(w, "三月才上报企业")
    hazard(march, datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI))
    edge = inside(w, "二月末上报企业")
    hazard(edge, datetime(2026, 2, 28, 23, 59, tzinfo=SHANGHAI))
    inside(w, "从未上报企业")
    inside(w, "已删除零隐患企业", deleted_at=NOW)
    return w


ZERO_EVERYONE = ["三月才上报企业", "二月末上报企业", "从未上报企业", "仅政府检查企业", "阿克米化工有限公司"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Default: the previous calendar month (February). A body's finding is not the enterprise's own report.
        ({}, ["三月才上报企业", "仅政府检查企业", "从未上报企业"]),
        ({"period_from": "2026-03-01", "period_to": "2026-03-10"}, [n for n in ZERO_EVERYONE if n != "三月才上报企业"]),
        ({"period_from": "2026-02-01", "period_to": "2026-03-10"}, ["仅政府检查企业", "从未上报企业"]),
        ({"period_from": "2026-01-01", "period_to": "2026-01-31"}, ZERO_EVERYONE),
        ({"period_from": "2026-02-28", "period_to": "2026-02-28"}, [n for n in ZERO_EVERYONE if n != "二月末上报企业"]),
    ],
)
def test_zero_hazard_enterprises(zero_world, params, expected):
    assert names(ZeroHazardListView, zero_world.actor("gov_alice"), **params) == sorted(expected)


def test_zero_hazard_page_says_which_period(zero_world, login):
    html = login(zero_world.gov_alice).get("/gov/supervision/zero-hazards/").content.decode()
    assert "from 2026-02-01 to 2026-02-28" in html


@pytest.fixture
def usage_world(world):
    w = world

    def with_login(enterprise, last_login, status=Membership.Status.ACTIVE):
        user = UserFactory()
        User.objects.filter(pk=user.pk).update(last_login=last_login)
        MembershipFactory(user=user, enterprise=enterprise, role="staff", status=status)

    with_login(w.acme, NOW - timedelta(days=2))  # alice and bob never logged in; this one did
    stale = inside(w, "长期未登录企业")
    with_login(stale, NOW - timedelta(days=45))
    inside(w, "没有账号企业")
    disabled = inside(w, "停用账号企业")
    with_login(disabled, NOW - timedelta(days=1), status=Membership.Status.DISABLED)  # does not count
    recent = inside(w, "近期登录企业")
    with_login(recent, NOW - timedelta(days=29, hours=23))
    return w


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (None, ["停用账号企业", "没有账号企业", "长期未登录企业"]),  # default 30 days
        ("60", ["停用账号企业", "没有账号企业"]),
        ("1", ["停用账号企业", "没有账号企业", "近期登录企业", "长期未登录企业", "阿克米化工有限公司"]),
        ("0", ["停用账号企业", "没有账号企业", "长期未登录企业"]),  # invalid: the default
    ],
)
def test_enterprises_not_using_the_system(usage_world, days, expected):
    params = {"days": days} if days is not None else {}
    assert names(InactiveEnterpriseListView, usage_world.actor("gov_alice"), **params) == sorted(expected)


def test_not_using_export_shows_the_last_login(usage_world, login):
    response = login(usage_world.gov_alice).get("/gov/supervision/not-using/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    by_name = {r[0]: r[-1] for r in rows[1:]}
    assert by_name["没有账号企业"] is None
    assert by_name["长期未登录企业"] == datetime(2026, 1, 24, 10, 0)  # local wall-clock time


@pytest.mark.parametrize(
    "url", ["/gov/supervision/key-enterprises/", "/gov/supervision/zero-hazards/", "/gov/supervision/not-using/"]
)
def test_enterprise_lists_are_the_jurisdictions(world, login, url):
    far_html = login(world.gov_charlie).get(url, {"reason": "", "days": "1"}).content.decode()
    assert "阿克米化工有限公司" not in far_html
    city_html = login(world.city_reviewer).get(url).content.decode()
    assert "阿克米化工有限公司" in city_html


@pytest.mark.parametrize(
    "url",
    [
        "/gov/supervision/key-enterprises/",
        "/gov/supervision/zero-hazards/",
        "/gov/supervision/not-using/",
        "/gov/supervision/samples/",
    ],
)
def test_list_query_counts_are_flat(world, login, url):
    def add(n: int, start: int):
        for i in range(start, start + n):
            e = inside(world, f"批量企业{i:03d}", has_major_hazard_source=True)
            hazard(e, NOW - timedelta(days=60), level=Hazard.Level.MAJOR)
            MembershipFactory(user=UserFactory(), enterprise=e, role="staff")
            EnterpriseSample.objects.create(
                body=world.nancheng_office, purpose=f"p{i}", seed="s", size=1, enterprise_ids=[e.pk]
            )

    c = login(world.gov_alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    add(2, 0)
    few = queries()
    add(28, 2)
    assert queries() == few


def test_selectors_are_government_only(world):
    for who in ("alice", "charlie"):
        actor = world.actor(who)
        with actor_scope(actor):
            for call in (
                lambda a=actor: selectors.key_enterprises(a),
                lambda a=actor: selectors.zero_hazard_enterprises(a, date(2026, 1, 1), date(2026, 1, 31)),
                lambda a=actor: selectors.inactive_enterprises(a, 30),
            ):
                with pytest.raises(PermissionDenied):
                    call()


def test_candidates_digest_is_order_free_and_set_sensitive():
    assert sv.candidates_digest([3, 1, 2]) == sv.candidates_digest([1, 2, 3, 3])
    assert sv.candidates_digest([1, 2, 3]) != sv.candidates_digest([1, 2, 4])


def test_swapping_one_candidate_for_another_is_noticed(population, world):
    sample = draw(world)
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=population[-1].pk).update(deleted_at=NOW)
    inside(world, "替换企业")
    sample.refresh_from_db()
    assert len(selectors.sample_candidates(world.nancheng_office, sample.criteria)) == 13  # the same count
    assert not services.sample_redraw_matches(sample)
