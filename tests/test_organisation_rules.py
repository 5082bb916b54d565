"""The organisation's pure rules (enterprises/organisation.py), as tables."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from enterprises import organisation as rules
from enterprises.models import Department, Membership

L = Department.Level


@pytest.mark.parametrize(
    ("parent", "child", "fits"),
    [
        (L.ENTERPRISE, L.ENTERPRISE, True),
        (L.ENTERPRISE, L.DEPARTMENT, True),
        (L.ENTERPRISE, L.POST, True),
        (L.DEPARTMENT, L.DEPARTMENT, True),  # a sub-department at the same level
        (L.DEPARTMENT, L.WORKSHOP, True),
        (L.WORKSHOP, L.TEAM, True),
        (L.TEAM, L.POST, True),
        (L.POST, L.POST, True),
        (L.DEPARTMENT, L.ENTERPRISE, False),
        (L.WORKSHOP, L.DEPARTMENT, False),
        (L.TEAM, L.WORKSHOP, False),
        (L.POST, L.TEAM, False),
        (L.POST, L.ENTERPRISE, False),
    ],
)
def test_a_child_level_is_never_above_its_parent(parent, child, fits):
    assert rules.level_fits(parent, child) is fits


def test_level_order_covers_every_level():
    assert sorted(rules.LEVEL_ORDER) == sorted(L.values)
    assert [rules.level_rank(level) for level in rules.LEVEL_ORDER] == [0, 1, 2, 3, 4]


# 1 ─┬─ 2 ─── 4 ─── 5
#    └─ 3
# 6 (another root)
PARENTS = {1: None, 2: 1, 3: 1, 4: 2, 5: 4, 6: None}


@pytest.mark.parametrize(
    ("node", "new_parent", "cycle"),
    [
        (2, 2, True),  # under itself
        (2, 4, True),  # under its child
        (2, 5, True),  # under its grandchild
        (1, 5, True),  # the root under a leaf of its own tree
        (2, 3, False),  # under a sibling
        (4, 1, False),  # up the tree
        (5, 6, False),  # into another tree
        (2, None, False),  # to the top
        (6, 5, False),
    ],
)
def test_a_department_cannot_move_under_itself_or_its_descendants(node, new_parent, cycle):
    assert rules.creates_cycle(PARENTS, node, new_parent) is cycle


def test_cycle_check_terminates_on_a_loop_already_in_the_data():
    looped = {1: 2, 2: 1, 3: None}
    assert rules.creates_cycle(looped, 3, 1) is True  # refused rather than hanging


@pytest.mark.parametrize(
    ("node", "expected"),
    [(1, {2, 3, 4, 5}), (2, {4, 5}), (4, {5}), (5, set()), (6, set())],
)
def test_descendants(node, expected):
    assert rules.descendants(PARENTS, node) == expected


def test_depths():
    assert rules.depths(PARENTS) == {1: 0, 2: 1, 3: 1, 4: 2, 5: 3, 6: 0}


def _dept(pk, name, parent=None, order=0):
    return Department(pk=pk, name=name, parent_id=parent, order=order, level=L.DEPARTMENT)


def test_tree_order_is_depth_first_with_siblings_by_order_then_name():
    departments = [
        _dept(1, "生产部", order=2),
        _dept(2, "安全部", order=1),
        _dept(3, "二车间", 1, order=0),
        _dept(4, "一车间", 1, order=0),
        _dept(5, "甲班", 4),
        _dept(6, "办公室", order=1),
    ]
    order = [(d.name, depth) for d, depth in rules.tree_order(departments)]
    # order 1 before 2; within order 1, by name (办公室 < 安全部 in code points); 一车间 and 二车间 by name.
    assert order == [
        ("办公室", 0),
        ("安全部", 0),
        ("生产部", 0),
        ("一车间", 1),
        ("甲班", 2),
        ("二车间", 1),
    ]


def test_tree_order_puts_rows_whose_parent_is_filtered_out_at_the_top():
    rows = [_dept(4, "一车间", 1), _dept(5, "甲班", 4)]
    assert [(d.pk, depth) for d, depth in rules.tree_order(rows)] == [(4, 0), (5, 1)]


def test_paths_name_the_whole_way_down():
    departments = [_dept(1, "生产部"), _dept(4, "一车间", 1), _dept(5, "甲班", 4)]
    assert rules.paths(departments) == {1: "生产部", 4: "生产部 / 一车间", 5: "生产部 / 一车间 / 甲班"}


@pytest.mark.parametrize(
    ("university", "roles"),
    [
        (False, {"enterprise_admin", "safety_manager", "staff"}),
        (
            True,
            {
                "enterprise_admin",
                "safety_manager",
                "staff",
                "lab_safety_officer",
                "centre_staff",
                "college_admin",
                "teacher",
                "student",
            },
        ),
    ],
)
def test_platform_roles_offered(university, roles):
    offered = set(rules.platform_roles(university))
    assert offered == roles
    assert offered <= set(Membership.ENTERPRISE_ROLES)  # never a government role


def test_generated_passwords_pass_the_validators_and_differ():
    passwords = {rules.generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        password_validation.validate_password(password)
        assert len(password) == 12
        assert not set(password) & set("0O1lI")


# 11010519491231002X is the standard's own example; the others are built with the check character.
@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("11010519491231002X", None),
        ("11010519491231002x", None),  # a lower-case x is the same number
        (" 110105 19491231002X ", None),
        ("510502199001011234"[:17] + rules.id_check_character("51050219900101123"), None),
        ("1101051949123100", "length"),
        ("11010519491231002XX", "length"),
        ("1101051949123100AX", "charset"),
        ("11010519491331002X", "birth"),  # month 13
        ("11010518001231002X", "birth"),  # born 1800
        ("110105194912310021", "check"),
    ],
)
def test_id_card_numbers(number, error):
    if error is None:
        rules.validate_id_number(number)
        return
    with pytest.raises(ValidationError) as exc:
        rules.validate_id_number(number)
    assert exc.value.error_list[0].code == error


@time_machine.travel("2030-06-01 10:00 +0800")
def test_an_id_card_number_born_in_the_future_is_refused():
    first17 = "51050220300602123"
    with pytest.raises(ValidationError) as exc:
        rules.validate_id_number(first17 + rules.id_check_character(first17))
    assert exc.value.error_list[0].code == "birth"
    yesterday = "51050220300531123"
    rules.validate_id_number(yesterday + rules.id_check_character(yesterday))


def test_id_error_messages_say_what_is_wrong():
    with pytest.raises(ValidationError) as exc:
        rules.validate_id_number("110105194912310021")
    assert "X" in exc.value.messages[0] and "1" in exc.value.messages[0]
