"""Departments, positions, roles and user accounts: the services' rules as tables, the screens' permissions."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from approvals.models import OperationLog
from enterprises import services
from enterprises.models import Department, Membership, Position, Role, Staff, User
from safety.features import FEATURES
from safety.menus import menu_for
from safety.tenancy import actor_scope, scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory, actor_for

L = Department.Level


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked in English (the source language), whatever the catalogue holds."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def make_department(enterprise, name, level=L.DEPARTMENT, parent=None, **extra) -> Department:
    with scopes_disabled():
        return Department.objects.create(enterprise=enterprise, name=name, level=level, parent=parent, **extra)


def make_staff(enterprise, name="张三", **extra) -> Staff:
    with scopes_disabled():
        return Staff.objects.create(enterprise=enterprise, name=name, **extra)


def reload(obj):
    with scopes_disabled():
        return type(obj)._base_manager.get(pk=obj.pk)


def can(membership, feature: str) -> bool:
    actor = actor_for(membership)
    with actor_scope(actor):
        return actor.can(feature)


def can_log_in(username: str, password: str) -> bool:
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def log_entries(**filters) -> list[OperationLog]:
    return list(OperationLog.objects.filter(**filters).order_by("pk"))


@pytest.fixture
def university(world):
    uni = EnterpriseFactory(
        name="示范农林大学", owning_body=world.nancheng_office, region=world.nancheng, is_university=True
    )
    admin = MembershipFactory(user=UserFactory(username="uni_admin"), enterprise=uni, role="enterprise_admin")
    return uni, admin


# --------------------------------------------------------------------------------------------------------
# Departments
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parent_level", "level", "ok"),
    [
        (L.ENTERPRISE, L.DEPARTMENT, True),
        (L.DEPARTMENT, L.DEPARTMENT, True),
        (L.DEPARTMENT, L.WORKSHOP, True),
        (L.WORKSHOP, L.TEAM, True),
        (L.TEAM, L.POST, True),
        (L.WORKSHOP, L.DEPARTMENT, False),
        (L.TEAM, L.WORKSHOP, False),
        (L.POST, L.TEAM, False),
        (L.DEPARTMENT, L.ENTERPRISE, False),
    ],
)
def test_a_new_department_is_never_above_its_parent(world, parent_level, level, ok):
    parent = make_department(world.acme, "上级", parent_level)
    alice = world.actor("alice")
    if ok:
        child = services.department_create(actor=alice, name="下级", level=level, parent_id=parent.pk)
        assert child.parent_id == parent.pk and child.level == level
    else:
        with pytest.raises(ValidationError) as exc:
            services.department_create(actor=alice, name="下级", level=level, parent_id=parent.pk)
        assert "level" in exc.value.message_dict
        assert "cannot be above its parent" in exc.value.message_dict["level"][0]
        with scopes_disabled():
            assert not Department.objects.filter(name="下级").exists()


@pytest.fixture
def tree(world):
    """生产部 > 一车间 > 甲班 > 操作岗;  安全部 (acme)."""
    production = make_department(world.acme, "生产部", L.DEPARTMENT)
    workshop = make_department(world.acme, "一车间", L.WORKSHOP, production)
    team = make_department(world.acme, "甲班", L.TEAM, workshop)
    post = make_department(world.acme, "操作岗", L.POST, team)
    safety = make_department(world.acme, "安全部", L.DEPARTMENT)
    return {"生产部": production, "一车间": workshop, "甲班": team, "操作岗": post, "安全部": safety}


@pytest.mark.parametrize(
    ("moved", "new_parent", "error_field"),
    [
        ("生产部", "生产部", "parent"),  # under itself
        ("生产部", "一车间", "parent"),  # under its child
        ("生产部", "操作岗", "parent"),  # under its great-grandchild
        ("一车间", "甲班", "parent"),
        ("一车间", "安全部", None),  # to another department of a level above
        ("甲班", None, None),  # to the top
        ("安全部", "甲班", "level"),  # a department under a team: level above its parent
    ],
)
def test_moves_refuse_cycles_and_level_inversions(world, tree, moved, new_parent, error_field):
    department = tree[moved]
    parent_id = tree[new_parent].pk if new_parent else None
    call = {
        "actor": world.actor("alice"),
        "department_id": department.pk,
        "name": department.name,
        "level": department.level,
        "parent_id": parent_id,
    }
    if error_field is None:
        services.department_update(**call)
        assert reload(department).parent_id == parent_id
        return
    with pytest.raises(ValidationError) as exc:
        services.department_update(**call)
    assert error_field in exc.value.message_dict
    assert reload(department).parent_id == department.parent_id


@pytest.mark.parametrize(
    ("department", "new_level", "ok"),
    [
        ("一车间", L.DEPARTMENT, True),  # up: its team stays below
        ("一车间", L.TEAM, True),  # its child is a team: the same level is fine
        ("一车间", L.POST, False),  # its child (a team) would be above it
        ("甲班", L.POST, True),  # its child is a post: the same level is fine
        ("甲班", L.DEPARTMENT, False),  # above its parent, the workshop
        ("操作岗", L.TEAM, True),
        ("操作岗", L.DEPARTMENT, False),  # above its parent, the team
    ],
)
def test_relevelling_respects_parent_and_children(world, tree, department, new_level, ok):
    d = tree[department]
    call = {
        "actor": world.actor("alice"),
        "department_id": d.pk,
        "name": d.name,
        "level": new_level,
        "parent_id": d.parent_id,
    }
    if ok:
        services.department_update(**call)
        assert reload(d).level == new_level
    else:
        with pytest.raises(ValidationError) as exc:
            services.department_update(**call)
        assert "level" in exc.value.message_dict
        assert reload(d).level == d.level


def test_a_parent_of_another_enterprise_is_refused(world):
    theirs = make_department(world.far, "他们的部门")
    with pytest.raises(ValidationError) as exc:
        services.department_create(actor=world.actor("alice"), name="我们的", level=L.DEPARTMENT, parent_id=theirs.pk)
    assert "parent" in exc.value.message_dict


@pytest.mark.parametrize(
    ("blocker", "message"),
    [
        (None, None),
        ("child", "sub-departments"),
        ("staff", "staff members belong"),
        ("user", "user accounts belong"),
    ],
)
def test_delete_is_refused_while_the_department_has_children_staff_or_users(world, blocker, message):
    department = make_department(world.acme, "待删部门")
    if blocker == "child":
        make_department(world.acme, "子部门", L.WORKSHOP, department)
    elif blocker == "staff":
        make_staff(world.acme, department=department)
    elif blocker == "user":
        with scopes_disabled():
            Membership.objects.filter(pk=world.bob.pk).update(department=department)
    if message is None:
        services.department_delete(actor=world.actor("alice"), department_id=department.pk)
        with scopes_disabled():
            assert not Department.objects.filter(pk=department.pk).exists()
        assert log_entries(action="delete", object_repr="待删部门")
        return
    with pytest.raises(ValidationError) as exc:
        services.department_delete(actor=world.actor("alice"), department_id=department.pk)
    assert message in exc.value.messages[0] and "待删部门" in exc.value.messages[0]
    with scopes_disabled():
        assert Department.objects.filter(pk=department.pk).exists()


@pytest.mark.parametrize(
    ("first_parent", "second_parent", "ok"),
    [(None, None, False), ("生产部", "生产部", False), ("生产部", "安全部", True), (None, "生产部", True)],
)
def test_names_are_unique_among_siblings_top_level_included(world, tree, first_parent, second_parent, ok):
    alice = world.actor("alice")
    parent = tree[first_parent].pk if first_parent else None
    services.department_create(actor=alice, name="办公室", level=L.TEAM, parent_id=parent)
    other = tree[second_parent].pk if second_parent else None
    if ok:
        services.department_create(actor=alice, name="办公室", level=L.TEAM, parent_id=other)
    else:
        with pytest.raises(ValidationError) as exc:
            services.department_create(actor=alice, name="办公室", level=L.TEAM, parent_id=other)
        assert "already a department named" in exc.value.message_dict["name"][0]


@pytest.mark.parametrize(("is_university", "ok"), [(False, False), (True, True)])
def test_kind_is_a_university_matter(world, university, is_university, ok):
    actor = actor_for(university[1]) if is_university else world.actor("alice")
    call = {"actor": actor, "name": "化学学院", "level": L.DEPARTMENT, "kind": Department.Kind.COLLEGE}
    if ok:
        assert services.department_create(**call).kind == Department.Kind.COLLEGE
    else:
        with pytest.raises(ValidationError) as exc:
            services.department_create(**call)
        assert "kind" in exc.value.message_dict


def test_department_form_offers_kind_only_to_a_university(world, university, login):
    assert 'name="kind"' not in login(world.alice).get("/org/departments/new/").content.decode()
    assert 'name="kind"' in login(university[1], Client()).get("/org/departments/new/").content.decode()


def test_department_edit_form_does_not_offer_its_own_subtree_as_parent(world, tree, login):
    page = login(world.alice).get(f"/org/departments/{tree['一车间'].pk}/").content.decode()
    offered = {d for d in ("生产部", "一车间", "甲班", "操作岗", "安全部") if f">{d}<" in page.replace("\u3000", "")}
    assert offered == {"生产部", "安全部"}


def test_department_screens_create_edit_and_refuse_inline(world, tree, login):
    c = login(world.alice)
    r = c.post(
        "/org/departments/new/", {"name": "二车间", "parent": tree["生产部"].pk, "level": "workshop", "order": 2}
    )
    assert r.status_code == 302
    with scopes_disabled():
        created = Department.objects.get(name="二车间")
    assert created.parent_id == tree["生产部"].pk
    # A cycle is refused on the page, with the input kept.
    r = c.post(
        f"/org/departments/{tree['生产部'].pk}/",
        {"name": "生产部（改）", "parent": tree["甲班"].pk, "level": "department", "order": 0},
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert "生产部（改）" in body and "is-invalid" in body
    assert reload(tree["生产部"]).name == "生产部"
    # A refused delete comes back as a message.
    r = c.post(f"/org/departments/{tree['生产部'].pk}/delete/", follow=True)
    assert "sub-departments" in r.content.decode()
    with scopes_disabled():
        assert Department.objects.filter(pk=tree["生产部"].pk).exists()


def test_department_list_is_an_indented_tree_and_exports_paths(world, tree, login):
    c = login(world.alice)
    page = c.get("/org/departments/").content.decode()
    order = [
        page.index(f">{'└ ' if d != '生产部' and d != '安全部' else ''}{d}<")
        for d in ("安全部", "生产部", "一车间", "甲班")
    ]
    assert order == sorted(order)  # 安全部 < 生产部 by name at the top, then 生产部's subtree
    assert 'data-depth="3"' in page  # 操作岗
    r = c.get("/org/departments/?export=xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][0] == "Name" or rows[0][0] == "名称"
    assert [row[0] for row in rows[1:]] == [
        "安全部",
        "生产部",
        "生产部 / 一车间",
        "生产部 / 一车间 / 甲班",
        "生产部 / 一车间 / 甲班 / 操作岗",
    ]
    assert log_entries(action="export", user=world.alice.user)


def test_department_writes_leave_log_entries_with_the_change(world):
    alice = world.actor("alice")
    d = services.department_create(actor=alice, name="质检部", level=L.DEPARTMENT)
    services.department_update(actor=alice, department_id=d.pk, name="质量部", level=L.DEPARTMENT, order=3)
    services.department_delete(actor=alice, department_id=d.pk)
    entries = log_entries(object_id=str(d.pk))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert "name: 质检部 → 质量部" in entries[1].detail and "order: 0 → 3" in entries[1].detail
    assert all(e.enterprise_id == world.acme.pk and e.user_id == world.alice.user_id for e in entries)


# --------------------------------------------------------------------------------------------------------
# Positions
# --------------------------------------------------------------------------------------------------------


def test_positions_unique_and_deleted_only_when_nobody_holds_them(world):
    alice = world.actor("alice")
    welder = services.position_create(actor=alice, name="焊工", order=2)
    with pytest.raises(ValidationError):
        services.position_create(actor=alice, name="焊工")
    services.position_create(actor=world.actor("charlie"), name="焊工")  # another enterprise may
    services.position_update(actor=alice, position_id=welder.pk, name="电焊工", order=1)
    assert reload(welder).name == "电焊工"
    make_staff(world.acme, position=welder)
    with pytest.raises(ValidationError) as exc:
        services.position_delete(actor=alice, position_id=welder.pk)
    assert "电焊工" in exc.value.messages[0]
    with scopes_disabled():
        Staff.objects.all().delete()
    services.position_delete(actor=alice, position_id=welder.pk)
    with scopes_disabled():
        assert not Position.objects.filter(pk=welder.pk).exists()
    assert [e.action for e in log_entries(object_id=str(welder.pk))] == ["create", "update", "delete"]


# --------------------------------------------------------------------------------------------------------
# Roles and permissions
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "saved"),
    [
        ([], []),
        (["staff.manage"], ["staff.manage"]),
        (["staff.manage", "organisation.manage", "staff.manage"], ["organisation.manage", "staff.manage"]),
        (["staff.manage", "no.such.feature"], None),
        (["STAFF.MANAGE"], None),
        ([""], None),
    ],
)
def test_role_permissions_must_be_registered_features(world, codes, saved):
    alice = world.actor("alice")
    if saved is None:
        with pytest.raises(ValidationError) as exc:
            services.role_create(actor=alice, name="检查员", permissions=codes)
        assert "permissions" in exc.value.message_dict
        with scopes_disabled():
            assert not Role.objects.exists()
    else:
        role = services.role_create(actor=alice, name="检查员", permissions=codes)
        assert reload(role).permissions == saved  # each once, in the registry's order


def test_role_editor_lists_every_registered_feature_grouped(world, login):
    page = login(world.alice).get("/org/roles/new/").content.decode()
    for code, feature in FEATURES.items():
        assert f'value="{code}"' in page, code
        assert str(feature.group) in page
    r = login(world.alice).post("/org/roles/new/", {"name": "黑客", "permissions": ["staff.manage", "evil.code"]})
    assert r.status_code == 200 and "is-invalid" in r.content.decode() or "alert-danger" in r.content.decode()
    with scopes_disabled():
        assert not Role.objects.filter(name="黑客").exists()


def _give_role(membership, *codes) -> Role:
    with scopes_disabled():
        role = Role.objects.create(
            enterprise=membership.enterprise, name="+".join(codes) or "空", permissions=list(codes)
        )
        membership.custom_roles.add(role)
    return role


def test_a_custom_role_gives_bob_staff_management(world, login):
    """Without the role bob gets 403; with it he lists and adds staff; once the role loses it, 403 again."""
    c = login(world.bob)
    assert not can(world.bob, "staff.manage")
    assert c.get("/org/staff/").status_code == 403
    assert c.post("/org/staff/new/", {"name": "新人"}).status_code == 403

    role = _give_role(world.bob, "staff.manage")
    assert can(world.bob, "staff.manage")
    assert not can(world.bob, "organisation.manage")
    assert c.get("/org/staff/").status_code == 200
    r = c.post("/org/staff/new/", {"name": "新人", "is_active": "on"})
    assert r.status_code == 302
    with scopes_disabled():
        assert Staff.objects.filter(name="新人", enterprise=world.acme).exists()
    assert c.get("/org/departments/").status_code == 403  # organisation.manage is another feature

    services.role_update(actor=world.actor("alice"), role_id=role.pk, name=role.name, permissions=[])
    assert c.get("/org/staff/").status_code == 403


def test_the_menu_follows_features(world, university):
    def labels(membership) -> set[str]:
        actor = actor_for(membership)
        with actor_scope(actor):
            return {str(e.label) for e in menu_for(actor)}

    ours = {"Departments", "Positions", "Roles and permissions", "Users", "Staff"}
    assert ours <= labels(world.alice)
    assert ours <= labels(university[1])  # the university uses the same screens
    assert not ours & labels(world.bob)
    _give_role(world.bob, "staff.manage")
    assert ours & labels(world.bob) == {"Staff"}


# --------------------------------------------------------------------------------------------------------
# User accounts
# --------------------------------------------------------------------------------------------------------


def test_an_account_for_a_staff_member_with_a_generated_password_shown_once(world, login):
    staff = make_staff(world.acme, "赵六", phone="13912345678")
    c = login(world.alice)
    r = c.post(
        "/org/users/new/",
        {"staff": staff.pk, "username": "zhaoliu", "role": "safety_manager", "email": ""},
    )
    assert r.status_code == 302 and r["Location"] == "/org/users/credentials/"
    page = c.get("/org/users/credentials/").content.decode()
    user = User.objects.get(username="zhaoliu")
    password = page.split('data-testid="credentials-password">')[1].split("<")[0]
    assert user.check_password(password)
    assert user.full_name == "赵六" and user.phone == "13912345678"
    m = Membership.objects.get(user=user)
    assert (m.enterprise_id, m.role, m.status, m.staff_id) == (world.acme.pk, "safety_manager", "active", staff.pk)
    # Shown once: the second visit has nothing.
    again = c.get("/org/users/credentials/", follow=True).content.decode()
    assert password not in again
    # The person logs in with it; the creation is logged without the password.
    assert can_log_in("zhaoliu", password)
    entry = log_entries(action="create", object_id=str(m.pk))[0]
    assert "zhaoliu" in entry.detail and password not in entry.detail


def test_an_account_with_a_password_the_admin_chose(world):
    staff = make_staff(world.acme)
    m, generated = services.user_create(
        actor=world.actor("alice"), staff_id=staff.pk, username="zhangsan", role="staff", password="Chosen#Pass2026"
    )
    assert generated is None and m.user.check_password("Chosen#Pass2026")
    with pytest.raises(ValidationError) as exc:
        services.user_create(
            actor=world.actor("alice"),
            staff_id=make_staff(world.acme, "李四").pk,
            username="lisi",
            role="staff",
            password="123",
        )
    assert "password" in exc.value.message_dict


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("staff already has an account", "staff"),
        ("user name taken", "username"),
        ("user name taken, other case", "username"),
        ("bad user name", "username"),
        ("bad e-mail", "email"),
        ("government role", "role"),
        ("lab role in a plain enterprise", "role"),
    ],
)
def test_one_person_one_account(world, case, field):
    alice = world.actor("alice")
    staff = make_staff(world.acme, "孙七")
    if case == "staff already has an account":
        services.user_create(actor=alice, staff_id=staff.pk, username="sunqi", role="staff")
    kwargs = {"actor": alice, "staff_id": staff.pk, "username": "sunqi2", "role": "staff", "email": ""}
    kwargs.update(
        {
            "user name taken": {"username": "bob"},
            "user name taken, other case": {"username": "BOB"},
            "bad user name": {"username": "有 空格"},
            "bad e-mail": {"email": "not-an-address"},
            "government role": {"role": "reviewer"},
            "lab role in a plain enterprise": {"role": "teacher"},
        }.get(case, {})
    )
    users_before = User.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.user_create(**kwargs)
    assert field in exc.value.message_dict
    assert User.objects.count() == users_before
    if case == "staff already has an account":
        assert "sunqi" in exc.value.message_dict["staff"][0]


def test_a_university_gives_lab_roles(world, university):
    uni, admin = university
    staff = make_staff(uni, "王老师")
    m, _pw = services.user_create(actor=actor_for(admin), staff_id=staff.pk, username="wang_t", role="teacher")
    assert m.role == "teacher"


def test_the_create_form_offers_only_staff_without_an_account(world, login):
    has = make_staff(world.acme, "有账号")
    free = make_staff(world.acme, "无账号")
    services.user_create(actor=world.actor("alice"), staff_id=has.pk, username="has", role="staff")
    page = login(world.alice).get("/org/users/new/").content.decode()
    assert f'value="{free.pk}"' in page and f'value="{has.pk}"' not in page


def _second_admin(world, status="active") -> Membership:
    return MembershipFactory(
        user=UserFactory(username="erin"), enterprise=world.acme, role="enterprise_admin", status=status
    )


@pytest.mark.parametrize(
    ("other_admin", "action", "ok"),
    [
        (None, "disable", False),  # alice is the only admin: not even she may disable herself
        (None, "demote", False),
        ("active", "disable", True),
        ("active", "demote", True),
        ("disabled", "disable", False),  # a disabled admin does not count
        ("disabled", "demote", False),
    ],
)
def test_an_enterprise_keeps_an_active_administrator(world, other_admin, action, ok):
    if other_admin:
        _second_admin(world, other_admin)
    alice = world.actor("alice")
    if action == "disable":
        call = lambda: services.membership_set_active(actor=alice, membership_id=world.alice.pk, active=False)  # noqa: E731
    else:
        call = lambda: services.membership_update(actor=alice, membership_id=world.alice.pk, role="staff")  # noqa: E731
    if ok:
        call()
        m = reload(world.alice)
        assert (m.status == "disabled") if action == "disable" else (m.role == "staff")
    else:
        with pytest.raises(ValidationError) as exc:
            call()
        assert "at least one active administrator" in " ".join(exc.value.messages)
        m = reload(world.alice)
        assert (m.status, m.role) == ("active", "enterprise_admin")


def test_disable_and_enable_a_membership(world, login):
    c = login(world.alice)
    r = c.post(f"/org/users/{world.bob.pk}/status/", {"action": "disable"}, follow=True)
    assert "Account disabled: bob" in r.content.decode()
    assert reload(world.bob).status == "disabled"
    assert User.objects.filter(pk=world.bob.user_id, is_active=True).exists()  # never deleted, still a user
    # bob is out of acme: no scope, no menu, no staff.
    bob = login(world.bob, Client())
    assert bob.get("/org/staff/").status_code == 403
    assert "enterprise-name" not in bob.get("/").content.decode()
    # Disabling twice says why it cannot.
    r = c.post(f"/org/users/{world.bob.pk}/status/", {"action": "disable"}, follow=True)
    assert "cannot be disabled" in r.content.decode()
    c.post(f"/org/users/{world.bob.pk}/status/", {"action": "enable"})
    assert reload(world.bob).status == "active"
    details = [e.detail for e in log_entries(action="transition", object_id=str(world.bob.pk))]
    assert details == ["bob: active → disabled", "bob: disabled → active"]


def test_the_last_admin_rule_on_the_screen(world, login):
    r = login(world.alice).post(f"/org/users/{world.alice.pk}/status/", {"action": "disable"}, follow=True)
    assert "at least one active administrator" in r.content.decode()
    assert reload(world.alice).status == "active"


def test_only_an_administrator_touches_administrators(world):
    """bob manages the organisation through a custom role, but may not make or change administrators."""
    _give_role(world.bob, "organisation.manage")
    bob = world.actor("bob")
    staff = make_staff(world.acme)
    with pytest.raises(PermissionDenied):
        services.user_create(actor=bob, staff_id=staff.pk, username="boss", role="enterprise_admin")
    with pytest.raises(PermissionDenied):
        services.membership_set_active(actor=bob, membership_id=world.alice.pk, active=False)
    with pytest.raises(PermissionDenied):
        services.membership_reset_password(actor=bob, membership_id=world.alice.pk)
    with pytest.raises(PermissionDenied):
        services.membership_update(actor=bob, membership_id=world.bob.pk, role="enterprise_admin")
    # Everyone else is his to manage.
    m, _pw = services.user_create(actor=bob, staff_id=staff.pk, username="worker", role="staff")
    services.membership_set_active(actor=bob, membership_id=m.pk, active=False)


def test_roles_are_assigned_on_the_account_screen(world, login):
    role = services.role_create(actor=world.actor("alice"), name="人员管理", permissions=["staff.manage"])
    c = login(world.alice)
    r = c.post(f"/org/users/{world.bob.pk}/", {"role": "staff", "custom_roles": [role.pk]})
    assert r.status_code == 302
    with scopes_disabled():
        assert list(reload(world.bob).custom_roles.values_list("name", flat=True)) == ["人员管理"]
    assert can(world.bob, "staff.manage")
    entry = log_entries(action="update", object_id=str(world.bob.pk))[-1]
    assert "roles: — → 人员管理" in entry.detail
    # Another enterprise's role cannot be given.
    theirs = services.role_create(actor=world.actor("charlie"), name="外企角色", permissions=["staff.manage"])
    with pytest.raises(ValidationError):
        services.membership_update(
            actor=world.actor("alice"), membership_id=world.bob.pk, role="staff", custom_role_ids=[theirs.pk]
        )


def test_password_reset_generated_and_chosen(world, login):
    c = login(world.alice)
    r = c.post(f"/org/users/{world.bob.pk}/password/", {"password": "", "password_again": ""})
    assert r["Location"] == "/org/users/credentials/"
    password = c.get(r["Location"]).content.decode().split('data-testid="credentials-password">')[1].split("<")[0]
    assert can_log_in("bob", password)
    r = c.post(f"/org/users/{world.bob.pk}/password/", {"password": "New#Secret2026", "password_again": "x"})
    assert r.status_code == 200 and "The two passwords differ" in r.content.decode()
    c.post(f"/org/users/{world.bob.pk}/password/", {"password": "New#Secret2026", "password_again": "New#Secret2026"})
    assert can_log_in("bob", "New#Secret2026")
    assert len(log_entries(action="password", object_id=str(world.bob.pk))) == 2


def test_resetting_ones_own_password_keeps_one_logged_in(world, login):
    _second_admin(world)
    c = login(world.alice)
    c.post(
        f"/org/users/{world.alice.pk}/password/", {"password": "Mine#Secret2026", "password_again": "Mine#Secret2026"}
    )
    assert c.get("/org/users/").status_code == 200


@pytest.mark.parametrize("who", ["consultant", "platform staff"])
def test_no_password_reset_for_accounts_that_reach_beyond_the_enterprise(world, who):
    user = UserFactory(username="outside", is_staff=who == "platform staff")
    m = MembershipFactory(user=user, enterprise=world.acme, role="staff")
    if who == "consultant":
        MembershipFactory(user=user, enterprise=world.far, role="safety_manager")
    with pytest.raises(ValidationError) as exc:
        services.membership_reset_password(actor=world.actor("alice"), membership_id=m.pk, password="Taken#Over2026")
    assert "another organisation" in exc.value.messages[0]
    user.refresh_from_db()
    assert user.check_password("pw-Secret-123")


# --------------------------------------------------------------------------------------------------------
# Permissions of the screens: alice (admin) / bob (staff) / charlie (another enterprise) / gov_alice
# --------------------------------------------------------------------------------------------------------

LIST_AND_NEW = [
    "/org/departments/",
    "/org/departments/new/",
    "/org/positions/",
    "/org/positions/new/",
    "/org/roles/",
    "/org/roles/new/",
    "/org/users/",
    "/org/users/new/",
    "/org/staff/",
    "/org/staff/new/",
    "/org/staff/import/",
    "/org/staff/import/template/",
    "/org/departments/?export=xlsx",
    "/org/positions/?export=xlsx",
    "/org/roles/?export=xlsx",
    "/org/users/?export=xlsx",
    "/org/staff/?export=xlsx",
]


@pytest.mark.parametrize("url", LIST_AND_NEW)
@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 200), ("charlie", 200), ("bob", 403), ("gov_alice", 403), ("gov_bob", 403)],
)
def test_who_may_open_the_organisation_screens(world, login, url, who, status):
    assert login(getattr(world, who)).get(url).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get("/org/departments/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("url", "data", "model"),
    [
        ("/org/departments/new/", {"name": "X", "level": "department", "order": 0}, Department),
        ("/org/positions/new/", {"name": "X", "order": 0}, Position),
        ("/org/roles/new/", {"name": "X", "permissions": ["staff.manage"]}, Role),
        ("/org/staff/new/", {"name": "X"}, Staff),
    ],
)
def test_bob_cannot_write_through_the_screens(world, login, url, data, model):
    assert login(world.bob).post(url, data).status_code == 403
    with scopes_disabled():
        assert not model.objects.filter(name="X").exists()


def test_objects_of_acme_are_403_for_bob(world, login, tree):
    c = login(world.bob)
    for url in (f"/org/departments/{tree['生产部'].pk}/", f"/org/users/{world.alice.pk}/"):
        assert c.get(url).status_code == 403
    assert c.post(f"/org/users/{world.alice.pk}/status/", {"action": "disable"}).status_code == 403
    assert reload(world.alice).status == "active"


def test_charlie_sees_only_his_own_enterprise(world, login, tree):
    make_department(world.far, "远方部门")
    page = login(world.charlie).get("/org/departments/").content.decode()
    assert "远方部门" in page and "生产部" not in page
    users = login(world.charlie, Client()).get("/org/users/").content.decode()
    assert "charlie" in users and ">alice<" not in users and ">bob<" not in users


# --------------------------------------------------------------------------------------------------------
# Lists cost the same number of queries for 2 rows as for 30
# --------------------------------------------------------------------------------------------------------


def _grow(world, n: int) -> None:
    """n departments (in a chain of levels), positions, roles, accounts with roles, staff with certificates."""
    from enterprises.models import Certificate

    with scopes_disabled():
        have = Position.objects.filter(enterprise=world.acme).count()
        parent = None
        for i in range(have, n):
            d = Department.objects.create(
                enterprise=world.acme, name=f"部门{i}", level=L.DEPARTMENT, parent=parent if i % 2 else None
            )
            parent = d
            p = Position.objects.create(enterprise=world.acme, name=f"职务{i}")
            r = Role.objects.create(enterprise=world.acme, name=f"角色{i}", permissions=["staff.manage"])
            s = Staff.objects.create(enterprise=world.acme, name=f"员工{i}", department=d, position=p)
            Certificate.objects.create(enterprise=world.acme, staff=s, kind="other", number=f"Z{i}")
            m = MembershipFactory(user=UserFactory(username=f"member{i}"), enterprise=world.acme, staff=s)
            m.custom_roles.add(r)


@pytest.mark.parametrize(
    "url",
    [
        "/org/departments/",
        "/org/positions/",
        "/org/roles/",
        "/org/users/",
        "/org/staff/",
        "/org/staff/?department=&has_certificates=false",
    ],
)
def test_list_queries_do_not_grow_with_rows(world, login, url):
    c = login(world.alice)
    _grow(world, 2)
    c.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as few:
        assert c.get(url).status_code == 200
    _grow(world, 30)
    with CaptureQueriesContext(connection) as many:
        page = c.get(url)
    assert page.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 25


def test_a_deleted_enterprise_changes_nothing(world, login):
    """The owning body soft-deleted acme: its administrator's screens and services refuse."""
    from django.utils import timezone

    from enterprises.models import Enterprise

    with scopes_disabled():
        Enterprise.unscoped.filter(pk=world.acme.pk).update(deleted_at=timezone.now())
    world.alice.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.department_create(actor=actor_for(world.alice), name="幽灵部门", level=L.DEPARTMENT)
    c = login(world.alice)
    assert c.get("/org/departments/").status_code == 403
    assert c.post("/org/departments/new/", {"name": "幽灵部门", "level": "department", "order": 0}).status_code == 403
    with scopes_disabled():
        assert not Department.objects.filter(name="幽灵部门").exists()
