"""The government's enterprise registry: lists and filters, the read-only file, soft delete / restore, password
reset of an enterprise administrator, and the map of enterprise points."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from openpyxl import load_workbook

from approvals.models import OperationLog
from enterprises import services
from enterprises.models import Enterprise, Membership, User
from enterprises.views import GovEnterpriseListView
from safety.tenancy import actor_scope, scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory, actor_for

OLD_PASSWORD = "pw-Secret-123"  # tests.factories.UserFactory


def _fresh(enterprise: Enterprise) -> Enterprise:
    with scopes_disabled():
        return Enterprise.unscoped.get(pk=enterprise.pk)


def _names(actor, tab: str = "all", **params) -> set[str]:
    query = QueryDict(mutable=True)
    for k, v in params.items():
        query[k] = v
    with actor_scope(actor):
        filterset, _table = GovEnterpriseListView.build_list(actor, query, tab=tab)
        return set(filterset.qs.values_list("name", flat=True))


@pytest.fixture
def registry(world):
    """Enterprises of every kind in 南城办's jurisdiction (besides acme), and one outside it."""
    w = world
    inside = {"owning_body": w.nancheng_office, "region": w.nancheng}
    made = {
        "pending": EnterpriseFactory(name="待审企业", status="pending", **inside),
        "rejected": EnterpriseFactory(name="退回企业", status="rejected", reject_reason="材料不全", **inside),
        "big": EnterpriseFactory(
            name="大型化工厂",
            size_class="large",
            has_major_hazard_source=True,
            industry="hazardous_chemicals",
            latitude=Decimal("28.88"),
            longitude=Decimal("105.43"),
            **inside,
        ),
        "suspended": EnterpriseFactory(name="停产企业", operating_status="suspended", size_class="micro", **inside),
        "deleted": EnterpriseFactory(
            name="已删除企业",
            deleted_at="2026-01-05T08:00:00+08:00",
            deleted_reason="注销",
            latitude=Decimal("28.8"),
            longitude=Decimal("105.4"),
            **inside,
        ),
    }
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=w.acme.pk).update(latitude=Decimal("28.87"), longitude=Decimal("105.44"))
    EnterpriseFactory(name="贵阳企业", owning_body=w.guiyang_bureau, region=w.nanming, latitude=1, longitude=1)
    return made


# --------------------------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------------------------

NANCHENG_LIVE = {"阿克米化工有限公司", "待审企业", "退回企业", "大型化工厂", "停产企业"}


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        ("all", NANCHENG_LIVE),  # every status, but not the deleted
        ("pending", {"待审企业"}),
        ("rejected", {"退回企业"}),
        ("deleted", {"已删除企业"}),
    ],
)
def test_tabs(world, registry, tab, expected):
    assert _names(world.actor("gov_alice"), tab) == expected


def test_a_body_above_sees_the_whole_subtree_and_a_foreign_body_nothing_of_it(world, registry):
    city = _names(world.actor("city_reviewer"))
    assert NANCHENG_LIVE | {"龙马潭机械厂"} == city
    assert _names(world.actor("gov_charlie")) == {"贵阳远方公司", "贵阳企业"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "化工"}, {"阿克米化工有限公司", "大型化工厂"}),
        ({"size_class": "large"}, {"大型化工厂"}),
        ({"size_class": "micro"}, {"停产企业"}),
        ({"operating_status": "suspended"}, {"停产企业"}),
        ({"has_major_hazard_source": "true"}, {"大型化工厂"}),
        ({"has_major_hazard_source": "false"}, NANCHENG_LIVE - {"大型化工厂"}),
        ({"industry": "hazardous_chemicals"}, {"阿克米化工有限公司", "大型化工厂"}),
        ({"status": "approved"}, {"阿克米化工有限公司", "大型化工厂", "停产企业"}),
    ],
)
def test_filters(world, registry, params, expected):
    assert _names(world.actor("gov_alice"), **params) == expected


def test_region_filter_takes_the_subtree(world, registry):
    actor = world.actor("city_reviewer")
    assert _names(actor, region=str(world.jiangyang.pk)) == NANCHENG_LIVE
    assert _names(actor, region=str(world.longmatan.pk)) == {"龙马潭机械厂"}


def test_credit_code_search(world, registry):
    code = registry["big"].credit_code
    assert _names(world.actor("gov_alice"), q=code) == {"大型化工厂"}


def test_filter_choices_are_scoped_to_the_jurisdiction(world, login):
    page = login(world.gov_alice).get("/gov/enterprises/").content.decode()
    assert "南城街道" in page or "Nancheng" in page
    assert "贵阳" not in page and "Guiyang" not in page
    assert "龙马潭" not in page and "Longmatan" not in page


@pytest.mark.parametrize("url", ["/gov/enterprises/", "/gov/enterprises/pending/", "/gov/enterprises/deleted/"])
def test_pages_render(world, registry, login, url):
    response = login(world.gov_alice).get(url)
    assert response.status_code == 200
    assert 'data-testid="enterprise-tabs"' in response.content.decode()


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_enterprise_users_may_not_open_the_government_lists(world, login, who):
    c = login(getattr(world, who))
    assert c.get("/gov/enterprises/").status_code == 403
    assert c.get("/gov/enterprises/map/points/").status_code == 403


def test_export_of_the_deleted_tab(world, registry, login, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 100
    response = login(world.gov_alice).get("/gov/enterprises/deleted/?export=xlsx")
    assert response.status_code == 200
    rows = _xlsx_rows(response)
    assert [r[0] for r in rows[1:]] == ["已删除企业"]
    assert rows[1][-1] == "注销"  # the deletion columns close the deleted tab's rows


def _xlsx_rows(response) -> list[tuple]:
    return list(load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active.values)


def test_export_follows_the_filters(world, registry, login, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 100
    c = login(world.gov_alice)
    rows = _xlsx_rows(c.get("/gov/enterprises/?has_major_hazard_source=true&export=xlsx"))
    assert [r[0] for r in rows[1:]] == ["大型化工厂"]
    deleted_header = _xlsx_rows(c.get("/gov/enterprises/deleted/?export=xlsx"))[0]
    assert len(deleted_header) == len(rows[0]) + 2  # deletion columns only on the deleted tab


# --------------------------------------------------------------------------------------------------------
# The enterprise file and who may act on it
# --------------------------------------------------------------------------------------------------------


def _member(body, role: str, username: str) -> Membership:
    return MembershipFactory(user=UserFactory(username=username), body=body, role=role)


@pytest.fixture
def people(world):
    """Besides the world's: a body admin and an inspector of 南城办, a reviewer of a sibling bureau."""
    return {
        "nancheng_admin": _member(world.nancheng_office, Membership.Role.BODY_ADMIN, "nancheng_admin"),
        "nancheng_inspector": _member(world.nancheng_office, Membership.Role.INSPECTOR, "nancheng_inspector"),
        "longmatan_reviewer": _member(world.longmatan_bureau, Membership.Role.REVIEWER, "longmatan_reviewer"),
    }


def _membership(world, people, who) -> Membership:
    return people[who] if who in people else getattr(world, who)


# who → (file page, delete / restore / reset)
PERMISSIONS = [
    ("gov_alice", 200, "allowed"),  # reviewer of the owning body
    ("nancheng_admin", 200, "allowed"),  # body admin of the owning body
    ("city_reviewer", 200, "allowed"),  # reviewer of a body above
    ("gov_bob", 200, 403),  # read-only leader: views, may not act
    ("nancheng_inspector", 200, 403),  # inspector: views, may not act
    ("gov_charlie", 404, 404),  # another province
    ("longmatan_reviewer", 404, 404),  # a sibling district: acme is outside its region
    ("alice", 404, 404),  # the enterprise itself: not a government page
]


@pytest.mark.parametrize(("who", "view", "act"), PERMISSIONS)
def test_file_page_and_actions_permission_table(world, people, login, who, view, act):
    c = login(_membership(world, people, who))
    acme = world.acme
    page = c.get(f"/gov/enterprise/{acme.pk}/")
    assert page.status_code == view
    if view == 200:
        html = page.content.decode()
        assert 'data-testid="profile-facts"' in html
        assert ('data-testid="delete-card"' in html) is (act == "allowed")
        assert ('data-testid="reset-card"' in html) is (act == "allowed")

    delete = c.post(f"/gov/enterprise/{acme.pk}/delete/", {"reason": "测试删除"})
    if act == "allowed":
        assert delete.status_code == 302
        assert _fresh(acme).deleted_at is not None
        restore = c.post(f"/gov/enterprise/{acme.pk}/restore/")
        assert restore.status_code == 302
        assert _fresh(acme).deleted_at is None
        reset = c.post(f"/gov/enterprise/{acme.pk}/reset-password/", {"account": "alice"})
        assert reset.status_code == 200
    else:
        assert delete.status_code == act
        assert _fresh(acme).deleted_at is None
        with scopes_disabled():
            Enterprise.unscoped.filter(pk=acme.pk).update(deleted_at="2026-01-05T08:00:00+08:00")
        assert c.post(f"/gov/enterprise/{acme.pk}/restore/").status_code == act
        assert _fresh(acme).deleted_at is not None
        reset = c.post(f"/gov/enterprise/{acme.pk}/reset-password/", {"account": "alice"})
        assert reset.status_code == act
        alice = User.objects.get(pk=world.alice.user_id)
        assert alice.check_password(OLD_PASSWORD)
        with scopes_disabled():
            assert not OperationLog.objects.filter(action__in=["delete", "password"]).exists()


@pytest.mark.parametrize(("who", "error"), [("gov_bob", PermissionDenied), ("gov_charlie", Http404)])
def test_services_refuse_too(world, who, error):
    actor = world.actor(who)
    with pytest.raises(error):
        services.enterprise_soft_delete(actor=actor, enterprise_id=world.acme.pk, reason="x")
    with pytest.raises(error):
        services.enterprise_restore(actor=actor, enterprise_id=world.acme.pk)
    with pytest.raises(error):
        services.enterprise_admin_password_reset(actor=actor, enterprise_id=world.acme.pk, username="alice")


def test_file_page_shows_the_profile_and_the_administrators(world, login):
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=world.acme.pk).update(
            products="硫酸", employees=25, revenue=Decimal("400"), size_class="small"
        )
    response = login(world.gov_bob).get(f"/gov/enterprise/{world.acme.pk}/")
    html = response.content.decode()
    assert "硫酸" in html
    assert f">{response.context['enterprise'].get_size_class_display()}</span>" in html
    assert world.alice.user.display_name in html
    assert world.acme.credit_code in html


# --------------------------------------------------------------------------------------------------------
# Soft delete and restore
# --------------------------------------------------------------------------------------------------------


def test_soft_delete_and_restore_round_trip(world, login):
    gov = login(world.gov_alice)
    alice = login(world.alice, c=type(gov)())
    assert alice.get("/org/profile/").status_code == 200

    response = gov.post(f"/gov/enterprise/{world.acme.pk}/delete/", {"reason": "企业已注销"})
    assert response.status_code == 302
    acme = _fresh(world.acme)
    assert acme.deleted_at is not None and acme.deleted_reason == "企业已注销"
    with scopes_disabled():
        log = OperationLog.objects.get(action=OperationLog.Action.DELETE)
    assert (log.enterprise_id, log.detail, log.user) == (acme.pk, "企业已注销", world.gov_alice.user)

    # Its users see nothing: the actor's scope is empty, its file page is gone.
    with scopes_disabled():
        alice_membership = Membership.objects.select_related("enterprise").get(pk=world.alice.pk)
    actor = actor_for(alice_membership)
    assert actor.enterprise_ids() == []
    with actor_scope(actor):
        assert not Enterprise.objects.exists()
    assert alice.get("/org/profile/").status_code == 404
    # It leaves the normal lists and shows under "deleted", still openable (to restore it).
    assert "阿克米化工有限公司" not in _names(world.actor("gov_alice"))
    assert "阿克米化工有限公司" in _names(world.actor("gov_alice"), "deleted")
    html = gov.get(f"/gov/enterprise/{acme.pk}/").content.decode()
    assert 'data-testid="deleted-note"' in html and "企业已注销" in html

    # Deleting twice is refused with a message, not a second log entry.
    gov.post(f"/gov/enterprise/{acme.pk}/delete/", {"reason": "again"})
    with scopes_disabled():
        assert OperationLog.objects.filter(action=OperationLog.Action.DELETE).count() == 1

    assert gov.post(f"/gov/enterprise/{acme.pk}/restore/").status_code == 302
    acme = _fresh(world.acme)
    assert acme.deleted_at is None and acme.deleted_reason == ""
    with scopes_disabled():
        assert OperationLog.objects.filter(action=OperationLog.Action.UPDATE, detail="restored").count() == 1
    assert alice.get("/org/profile/").status_code == 200
    assert "阿克米化工有限公司" in _names(world.actor("gov_alice"))


def test_delete_needs_a_reason(world, login):
    response = login(world.gov_alice).post(f"/gov/enterprise/{world.acme.pk}/delete/", {"reason": "  "})
    assert response.status_code == 400
    assert response.context["delete_form"].errors["reason"]
    assert _fresh(world.acme).deleted_at is None
    with pytest.raises(ValidationError):
        services.enterprise_soft_delete(actor=world.actor("gov_alice"), enterprise_id=world.acme.pk, reason="")


def test_restoring_a_live_enterprise_is_refused(world):
    with pytest.raises(ValidationError):
        services.enterprise_restore(actor=world.actor("gov_alice"), enterprise_id=world.acme.pk)


# --------------------------------------------------------------------------------------------------------
# Password reset
# --------------------------------------------------------------------------------------------------------


def test_password_reset(world, login, client):
    gov = login(world.gov_alice)
    response = gov.post(f"/gov/enterprise/{world.acme.pk}/reset-password/", {"account": "alice"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    password = re.search(r'data-testid="temporary-password">([^<]+)<', html).group(1)

    alice = User.objects.get(pk=world.alice.user_id)
    assert alice.check_password(password)
    assert not alice.check_password(OLD_PASSWORD)
    old = type(client)().post("/accounts/login/", {"username": "alice", "password": OLD_PASSWORD})
    assert old.status_code == 200  # the login form again: the old password no longer works
    new = type(client)()
    assert new.post("/accounts/login/", {"username": "alice", "password": password}).status_code == 302
    assert new.get("/org/profile/").status_code == 200

    with scopes_disabled():
        log = OperationLog.objects.get(action=OperationLog.Action.PASSWORD)
        everything = " ".join(
            str(v) for row in OperationLog.objects.values_list("detail", "object_repr", "username") for v in row
        )
    assert (log.enterprise_id, log.user, log.object_id) == (world.acme.pk, world.gov_alice.user, str(alice.pk))
    assert "alice" in log.detail
    assert password not in everything  # never logged

    # Shown once: the file page afterwards does not show it again.
    assert password not in gov.get(f"/gov/enterprise/{world.acme.pk}/").content.decode()


def test_only_the_enterprises_administrators_can_be_reset(world, login):
    gov = login(world.gov_alice)
    for account in ("bob", "charlie", "gov_alice"):  # acme's staff, another enterprise's admin, a government user
        response = gov.post(f"/gov/enterprise/{world.acme.pk}/reset-password/", {"account": account})
        assert response.status_code == 400, account
        user = User.objects.get(username=account)
        assert user.check_password(OLD_PASSWORD), account
    with pytest.raises(ValidationError):
        services.enterprise_admin_password_reset(
            actor=world.actor("gov_alice"), enterprise_id=world.acme.pk, username="bob"
        )
    with scopes_disabled():
        assert not OperationLog.objects.filter(action=OperationLog.Action.PASSWORD).exists()


def test_temporary_passwords_are_strong(world):
    alice = User.objects.get(pk=world.alice.user_id)
    seen = set()
    for _i in range(50):
        password = services.generate_temporary_password(alice)
        assert len(password) == services.TEMPORARY_PASSWORD_LENGTH
        assert re.search(r"[A-Z]", password) and re.search(r"[a-z]", password)
        assert re.search(r"[0-9]", password) and re.search(r"[^A-Za-z0-9]", password)
        assert not set(password) & set("0O1lI")
        password_validation.validate_password(password, alice)
        seen.add(password)
    assert len(seen) == 50


# --------------------------------------------------------------------------------------------------------
# Map
# --------------------------------------------------------------------------------------------------------


def test_map_points_are_the_jurisdictions_live_enterprises_with_a_point(world, registry, login):
    data = login(world.gov_alice).get("/gov/enterprises/map/points/").json()
    names = {p["name"] for p in data["points"]}
    assert names == {"阿克米化工有限公司", "大型化工厂"}  # no deleted, no foreign, none without a point
    big = next(p for p in data["points"] if p["name"] == "大型化工厂")
    assert big["lat"] == 28.88 and big["lng"] == 105.43 and big["major_hazard"] is True
    assert big["url"] == f"/gov/enterprise/{registry['big'].pk}/"
    assert data["truncated"] is False


def test_map_points_follow_the_filters(world, registry, login):
    data = login(world.gov_alice).get("/gov/enterprises/map/points/?has_major_hazard_source=true").json()
    assert [p["name"] for p in data["points"]] == ["大型化工厂"]
    assert login(world.gov_charlie).get("/gov/enterprises/map/points/").json()["points"] == [
        {
            "id": Enterprise.unscoped.get(name="贵阳企业").pk,
            "name": "贵阳企业",
            "lat": 1.0,
            "lng": 1.0,
            "url": f"/gov/enterprise/{Enterprise.unscoped.get(name='贵阳企业').pk}/",
            "status": "approved",
            "size_class": "",
            "major_hazard": False,
        }
    ]


def test_map_points_are_capped(world, registry, login, monkeypatch):
    from enterprises import selectors

    monkeypatch.setattr(selectors, "MAP_POINT_LIMIT", 1)
    data = login(world.gov_alice).get("/gov/enterprises/map/points/").json()
    assert len(data["points"]) == 1 and data["truncated"] is True


@pytest.mark.parametrize(("tiles", "note"), [("", True), ("https://tiles.example.org/{z}/{x}/{y}.png", False)])
def test_map_page_with_and_without_tiles(world, login, settings, tiles, note):
    settings.MAP_TILE_URL = tiles
    response = login(world.gov_alice).get("/gov/enterprises/map/?size_class=large")
    html = response.content.decode()
    assert response.status_code == 200
    assert ('data-testid="no-tiles-note"' in html) is note
    assert f'data-tiles="{tiles}"' in html
    assert 'data-points-url="/gov/enterprises/map/points/?size_class=large"' in html
    assert "js/enterprise_map.js" in html and "<script>" not in html  # CSP: no inline scripts


def test_file_page_shows_staff_licences_and_suspensions_of_this_enterprise_only(world, login):
    from datetime import date

    from enterprises.models import Licence, Staff, SuspensionApplication

    with scopes_disabled():
        for enterprise, n in ((world.acme, 3), (world.other, 5)):
            for i in range(n):
                Staff.objects.create(enterprise=enterprise, name=f"员工{i}")
        Staff.objects.create(enterprise=world.acme, name="离职员工", is_active=False)
        Licence.objects.create(
            enterprise=world.acme, kind="safety_production", number="川WH安许证字[2024]0001", long_term=True
        )
        Licence.objects.create(enterprise=world.other, kind="business", number="OTHER-LICENCE", long_term=True)
        application = SuspensionApplication.objects.create(
            enterprise=world.acme, kind="suspension", reason="检修", start_date=date(2026, 2, 1)
        )
    response = login(world.city_reviewer).get(f"/gov/enterprise/{world.acme.pk}/")
    html = response.content.decode()
    assert response.context["staff_count"] == 3
    assert 'data-testid="staff-count">3<' in html
    assert "川WH安许证字[2024]0001" in html and "OTHER-LICENCE" not in html
    assert f'href="/gov/suspension/{application.pk}/"' in html


def test_big_export_runs_in_the_background_with_the_tab_and_filters(
    world, registry, login, settings, django_capture_on_commit_callbacks
):
    from safety.models import ExportJob

    settings.EXPORT_SYNC_MAX_ROWS = 0  # everything is "big"
    c = login(world.gov_alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.get("/gov/enterprises/deleted/?q=已删除&export=xlsx")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{job.pk}/"
    assert (job.status, job.total) == (ExportJob.Status.DONE, 1)
