"""The enterprise edits its own profile (一企一档): who may, what changes, what is recorded, the size class."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from approvals.models import OperationLog
from enterprises import services
from enterprises.models import EconomicClass, Enterprise, Membership, Role
from enterprises.reference import load_economic_classes
from safety.tenancy import scopes_disabled

from .factories import actor_for

PROFILE_URL = "/org/profile/"
EDIT_URL = "/org/profile/edit/"


@pytest.fixture
def classes(db):
    load_economic_classes()
    return {c.code: c for c in EconomicClass.objects.all()}


def _acme(world) -> Enterprise:
    with scopes_disabled():
        return Enterprise.unscoped.select_related("economic_class").get(pk=world.acme.pk)


def _form(classes, **overrides) -> dict[str, str]:
    """A complete, valid POST of the profile form (a chemical manufacturer: industry, C26)."""
    data = {
        "economic_class": str(classes["26"].pk),
        "employees": "320",
        "revenue": "2500.50",
        "assets": "8000",
        "has_major_hazard_source": "on",
        "production_area": "12000",
        "products": "硫酸、盐酸",
        "business_scope": "危险化学品生产",
        "description": "成立于2001年",
        "legal_representative": "张三",
        "legal_representative_phone": "13900000001",
        "principal": "李四",
        "principal_phone": "0830-1234567",
        "contact_name": "王五",
        "contact_phone": "13900000003",
        "address": "泸州市江阳区南城街道1号",
        "latitude": "28.870000",
        "longitude": "105.440000",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --------------------------------------------------------------------------------------------------------
# Who may see and edit
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "view", "edit_get", "edit_post"),
    [
        ("alice", 200, 200, 302),  # acme's administrator
        ("bob", 200, 403, 403),  # acme's staff: reads the file, may not edit it
        ("gov_alice", 404, 404, 404),  # the government reads the file on its own pages, not here
    ],
)
def test_who_may_view_and_edit(world, login, classes, who, view, edit_get, edit_post):
    c = login(getattr(world, who))
    assert c.get(PROFILE_URL).status_code == view
    assert c.get(EDIT_URL).status_code == edit_get
    assert c.post(EDIT_URL, _form(classes)).status_code == edit_post
    expected_employees = 320 if who == "alice" else None
    assert _acme(world).employees == expected_employees


def test_charlie_edits_his_own_enterprise_only(world, login, classes):
    """charlie (far's admin) reaches /org/profile/edit/ for far; acme's id through the service is a 404."""
    c = login(world.charlie)
    assert c.post(EDIT_URL, _form(classes)).status_code == 302
    with scopes_disabled():
        assert Enterprise.unscoped.get(pk=world.far.pk).employees == 320
    with pytest.raises(Http404):
        services.enterprise_profile_update(
            actor=actor_for(world.charlie), enterprise_id=world.acme.pk, data={"employees": 1}
        )
    assert _acme(world).employees is None


@pytest.mark.parametrize("who", ["bob", "gov_alice", "gov_bob"])
def test_service_refuses_without_the_power(world, who):
    expected = PermissionDenied if who == "bob" else Http404
    with pytest.raises(expected):
        services.enterprise_profile_update(actor=world.actor(who), enterprise_id=world.acme.pk, data={"employees": 1})
    assert _acme(world).employees is None


def test_a_custom_role_can_grant_profile_edit(world, login, classes):
    with scopes_disabled():
        role = Role.objects.create(enterprise=world.acme, name="档案员", permissions=["profile.edit"])
        world.bob.custom_roles.add(role)
    c = login(world.bob)
    assert c.post(EDIT_URL, _form(classes)).status_code == 302
    assert _acme(world).employees == 320


def test_menu_shows_the_enterprise_file(world, login):
    for who in ("alice", "bob"):
        page = login(getattr(world, who)).get("/").content.decode()
        assert 'href="/org/profile/"' in page, who
    edit_link = 'href="/org/profile/edit/"'
    assert edit_link in login(world.alice).get(PROFILE_URL).content.decode()
    assert edit_link not in login(world.bob).get(PROFILE_URL).content.decode()


# --------------------------------------------------------------------------------------------------------
# What is saved and recorded
# --------------------------------------------------------------------------------------------------------


def test_saving_stores_every_field_computes_the_size_and_logs_the_change(world, login, classes):
    c = login(world.alice)
    response = c.post(EDIT_URL, _form(classes))
    assert response.status_code == 302 and response["Location"] == PROFILE_URL
    acme = _acme(world)
    assert acme.economic_class.code == "26"
    assert (acme.employees, acme.revenue, acme.assets) == (320, Decimal("2500.50"), Decimal("8000"))
    assert acme.has_major_hazard_source is True
    assert acme.production_area == Decimal("12000")
    assert (acme.products, acme.business_scope, acme.description) == ("硫酸、盐酸", "危险化学品生产", "成立于2001年")
    assert (acme.legal_representative, acme.legal_representative_phone) == ("张三", "13900000001")
    assert (acme.principal, acme.principal_phone) == ("李四", "0830-1234567")
    assert (acme.contact_name, acme.contact_phone) == ("王五", "13900000003")
    assert acme.address == "泸州市江阳区南城街道1号"
    assert (acme.latitude, acme.longitude) == (Decimal("28.87"), Decimal("105.44"))
    # Industry, C26: 320 employees (medium: 300–999) and 2 500.50 万元 revenue (medium: 2 000–39 999).
    assert acme.size_class == "medium"

    with scopes_disabled():
        log = OperationLog.objects.get(action=OperationLog.Action.UPDATE, enterprise=world.acme)
    assert log.user == world.alice.user
    assert log.detail.startswith("changed: ")
    assert {"economic_class", "employees", "revenue", "contact_name", "latitude"} <= set(
        log.detail.removeprefix("changed: ").split(", ")
    )
    response = c.get(PROFILE_URL)
    page = response.content.decode()
    assert "硫酸、盐酸" in page
    assert f'text-bg-info">{response.context["enterprise"].get_size_class_display()}</span>' in page


def test_saving_nothing_new_writes_no_log(world, login, classes):
    c = login(world.alice)
    c.post(EDIT_URL, _form(classes))
    c.post(EDIT_URL, _form(classes))
    with scopes_disabled():
        assert OperationLog.objects.filter(action=OperationLog.Action.UPDATE).count() == 1


def test_only_the_changed_fields_are_listed(world, login, classes):
    c = login(world.alice)
    c.post(EDIT_URL, _form(classes))
    c.post(EDIT_URL, _form(classes, employees="10", products="盐酸"))
    with scopes_disabled():
        last = OperationLog.objects.filter(action=OperationLog.Action.UPDATE).latest("pk")
    assert last.detail == "changed: employees, products"
    assert _acme(world).size_class == "micro"  # 10 employees < 20: micro needs one indicator


@pytest.mark.parametrize(
    ("code", "employees", "revenue", "assets", "expected"),
    [
        ("26", "320", "2500", "", "medium"),  # industry: employees and revenue
        ("26", "320", "", "", ""),  # revenue missing: not computed
        ("51", "200", "40000", "", "large"),  # wholesale
        ("52", "200", "40000", "", "medium"),  # retail: 200 employees is medium there
        ("7010", "", "1000", "4999.99", "small"),  # real-estate development: revenue and assets
        ("7020", "300", "1000", "", "medium"),  # property management
        ("01", "", "50", "", "small"),  # agriculture: revenue alone
        ("83", "300", "", "", "large"),  # education: "other", employees alone
        ("", "300", "40000", "80000", ""),  # no economic class: not computed
    ],
)
def test_size_class_is_recomputed_on_save(world, login, classes, code, employees, revenue, assets, expected):
    economic_class = str(classes[code].pk) if code else ""
    form = _form(classes, economic_class=economic_class, employees=employees, revenue=revenue, assets=assets)
    assert login(world.alice).post(EDIT_URL, form).status_code == 302
    assert _acme(world).size_class == expected


def test_registration_facts_are_not_editable(world, login, classes):
    """Name, credit code, owning body, region and industry are the owning body's to correct: posted, ignored."""
    before = _acme(world)
    form = _form(
        classes,
        name="改名公司",
        credit_code="91510502MA0000001X",
        owning_body=str(world.longmatan_bureau.pk),
        region=str(world.longmatan.pk),
        industry="gas",
        is_university="on",
    )
    assert login(world.alice).post(EDIT_URL, form).status_code == 302
    after = _acme(world)
    for field in ("name", "credit_code", "owning_body_id", "region_id", "industry", "is_university"):
        assert getattr(after, field) == getattr(before, field), field
    with pytest.raises(ValueError, match="name"):
        services.enterprise_profile_update(actor=world.actor("alice"), enterprise_id=world.acme.pk, data={"name": "x"})


def test_edit_page_shows_the_registration_facts_read_only(world, login):
    page = login(world.alice).get(EDIT_URL).content.decode()
    assert 'data-testid="registration-facts"' in page
    assert world.acme.credit_code in page
    for field in ("name", "credit_code", "owning_body", "region", "industry"):
        assert f'name="{field}"' not in page, field
    for field in services.PROFILE_FIELDS:
        assert f'name="{field}"' in page, field


def test_economic_classes_are_grouped_by_section(world, login, classes):
    page = login(world.alice).get(EDIT_URL).content.decode()
    assert '<optgroup label="F 批发和零售业">' in page
    assert f'<option value="{classes["7010"].pk}">' in page
    assert f'value="{classes["F"].pk}"' not in page  # sections label groups; they are not choices


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"economic_class": "K70"}, "economic_class", "too_coarse"),  # 70 mixes development and property management
        ({"economic_class": "F"}, "economic_class", "invalid_choice"),  # a section is not a choice
        ({"legal_representative_phone": "abc"}, "legal_representative_phone", "phone"),
        ({"principal_phone": "12"}, "principal_phone", "phone"),
        ({"contact_phone": ""}, "contact_phone", "required"),
        ({"contact_name": ""}, "contact_name", "required"),
        ({"revenue": "-1"}, "revenue", "min_value"),
        ({"assets": "-0.01"}, "assets", "min_value"),
        ({"employees": "-3"}, "employees", "min_value"),
        ({"production_area": "-5"}, "production_area", "min_value"),
        ({"longitude": ""}, "longitude", "pair"),
        ({"latitude": "91"}, "latitude", "max_value"),
        ({"longitude": "-181"}, "longitude", "min_value"),
    ],
)
def test_invalid_input_is_refused_inline_and_kept(world, login, classes, overrides, field, code):
    if overrides.get("economic_class") in ("K70", "F"):
        overrides = {"economic_class": str(classes[overrides["economic_class"].lstrip("K")].pk)}
    c = login(world.alice)
    response = c.post(EDIT_URL, _form(classes, products="保留的输入", **overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert code in [e.code for e in form.errors.as_data()[field]], form.errors
    page = response.content.decode()
    assert "保留的输入" in page  # nothing typed is lost
    assert _acme(world).products == ""  # and nothing was saved


def test_corrected_fields_are_shown_as_such(world, login):
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=world.acme.pk).update(
            corrected_fields={"region": {"from": "龙马潭区", "to": "南城街道"}, "industry": {"from": "x", "to": "y"}}
        )
    page = login(world.alice).get(PROFILE_URL).content.decode()
    assert "龙马潭区" in page  # the applicant's value, shown next to the reviewer's
    assert page.count(' corrected">') == 2  # region and industry are highlighted, nothing else


def test_moving_the_map_point_drops_the_reviewers_mark(world, login, classes):
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=world.acme.pk).update(
            latitude=Decimal("28.1"),
            longitude=Decimal("105.1"),
            corrected_fields={"latitude": {"from": "", "to": "28.1"}, "region": {"from": "a", "to": "b"}},
        )
    login(world.alice).post(EDIT_URL, _form(classes, latitude="28.2", longitude="105.2"))
    assert _acme(world).corrected_fields == {"region": {"from": "a", "to": "b"}}


def test_a_deleted_enterprises_users_see_nothing(world, login):
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=world.acme.pk).update(deleted_reason="x", deleted_at="2026-01-01T00:00:00Z")
        alice = Membership.objects.select_related("enterprise").get(pk=world.alice.pk)
    actor = actor_for(alice)
    assert actor.enterprise_ids() == []
    c = login(world.alice)
    assert c.get(PROFILE_URL).status_code == 404
    assert c.get(EDIT_URL).status_code == 404
