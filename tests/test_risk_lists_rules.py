"""Rule tables of risk lists and inspection periods (hazards.list_rules): pure functions, no database."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from hazards import list_rules
from hazards.list_rules import FigureUnit

LEVELS = ("enterprise", "department", "workshop", "team", "post")


@pytest.mark.parametrize("list_level", LEVELS)
@pytest.mark.parametrize("department_level", LEVELS)
def test_a_list_matches_only_a_department_of_its_own_level(list_level, department_level):
    assert list_rules.level_matches(list_level, department_level) is (list_level == department_level)


def test_no_level_matches_nothing():
    assert not list_rules.level_matches("", "")


def test_a_mismatch_names_the_department_and_the_level_on_the_department_field():
    with pytest.raises(ValidationError) as exc:
        list_rules.check_level(
            list_level="team", department_level="workshop", department_name="一车间", level_label="Team"
        )
    assert list(exc.value.message_dict) == ["department"]
    message = exc.value.message_dict["department"][0]
    assert "一车间" in message and "Team" in message


def test_a_match_passes():
    list_rules.check_level(list_level="post", department_level="post", department_name="操作岗", level_label="Post")


@pytest.mark.parametrize(
    ("frequency", "checks", "ok"),
    [
        ("daily", 1, True),
        ("daily", 3, True),
        ("daily", 7, True),
        ("daily", 0, False),
        ("daily", 8, False),
        ("daily", -1, False),
        ("daily", None, False),
        ("weekly", 1, True),
        ("weekly", 2, False),
        ("monthly", 1, True),
        ("monthly", 7, False),
        ("quarterly", 1, True),
        ("quarterly", 3, False),
        ("yearly", 1, True),
        ("yearly", 0, False),
        ("yearly", 2, False),
    ],
)
def test_checks_a_day(frequency, checks, ok):
    assert (list_rules.checks_per_day_error(frequency, checks) is None) is ok
    if ok:
        list_rules.check_checks_per_day(frequency, checks)
    else:
        with pytest.raises(ValidationError) as exc:
            list_rules.check_checks_per_day(frequency, checks)
        assert list(exc.value.message_dict) == ["checks_per_day"]


@pytest.mark.parametrize(
    ("frequency", "checks", "expected"),
    [("daily", 3, [1, 2, 3]), ("daily", 1, [1]), ("weekly", 1, [1]), ("monthly", 5, [1]), ("yearly", 1, [1])],
)
def test_slots(frequency, checks, expected):
    assert list(list_rules.slots(frequency, checks)) == expected


D = date
# 2026-11-23 is a Monday; 2026-11-28/29 a weekend; 2024 is a leap year.
PERIODS = [
    # (frequency, workdays_only, on_date, expected period or None)
    ("yearly", True, D(2026, 1, 1), (D(2026, 1, 1), D(2026, 12, 31))),
    ("yearly", False, D(2026, 12, 31), (D(2026, 1, 1), D(2026, 12, 31))),
    ("yearly", True, D(2026, 11, 28), (D(2026, 1, 1), D(2026, 12, 31))),  # a Saturday: not only daily lists rest
    ("quarterly", True, D(2026, 1, 1), (D(2026, 1, 1), D(2026, 3, 31))),
    ("quarterly", True, D(2026, 3, 31), (D(2026, 1, 1), D(2026, 3, 31))),
    ("quarterly", True, D(2026, 4, 1), (D(2026, 4, 1), D(2026, 6, 30))),
    ("quarterly", True, D(2026, 6, 30), (D(2026, 4, 1), D(2026, 6, 30))),
    ("quarterly", True, D(2026, 7, 1), (D(2026, 7, 1), D(2026, 9, 30))),
    ("quarterly", True, D(2026, 9, 30), (D(2026, 7, 1), D(2026, 9, 30))),
    ("quarterly", True, D(2026, 10, 1), (D(2026, 10, 1), D(2026, 12, 31))),
    ("quarterly", True, D(2026, 12, 31), (D(2026, 10, 1), D(2026, 12, 31))),
    ("monthly", True, D(2026, 1, 31), (D(2026, 1, 1), D(2026, 1, 31))),
    ("monthly", True, D(2026, 2, 1), (D(2026, 2, 1), D(2026, 2, 28))),
    ("monthly", True, D(2024, 2, 29), (D(2024, 2, 1), D(2024, 2, 29))),
    ("monthly", True, D(2026, 4, 30), (D(2026, 4, 1), D(2026, 4, 30))),
    ("monthly", True, D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31))),
    ("weekly", True, D(2026, 11, 23), (D(2026, 11, 23), D(2026, 11, 29))),  # Monday
    ("weekly", True, D(2026, 11, 29), (D(2026, 11, 23), D(2026, 11, 29))),  # Sunday
    ("weekly", True, D(2026, 11, 30), (D(2026, 11, 30), D(2026, 12, 6))),  # a week across two months
    ("weekly", False, D(2026, 12, 31), (D(2026, 12, 28), D(2027, 1, 3))),  # and across two years
    ("daily", True, D(2026, 11, 27), (D(2026, 11, 27), D(2026, 11, 27))),  # Friday
    ("daily", True, D(2026, 11, 28), None),  # Saturday, workdays only
    ("daily", True, D(2026, 11, 29), None),  # Sunday
    ("daily", True, D(2026, 11, 30), (D(2026, 11, 30), D(2026, 11, 30))),  # Monday
    ("daily", False, D(2026, 11, 28), (D(2026, 11, 28), D(2026, 11, 28))),  # every day: Saturday too
    ("daily", False, D(2026, 11, 29), (D(2026, 11, 29), D(2026, 11, 29))),
    ("daily", True, D(2026, 12, 31), (D(2026, 12, 31), D(2026, 12, 31))),  # Thursday, end of year
    ("daily", True, D(2027, 1, 1), (D(2027, 1, 1), D(2027, 1, 1))),  # a Friday holiday: not known, due
]


@pytest.mark.parametrize(("frequency", "workdays_only", "on", "expected"), PERIODS)
def test_periods_due(frequency, workdays_only, on, expected):
    assert list_rules.periods_due(frequency, workdays_only, on) == expected


def test_unknown_frequency_is_an_error():
    with pytest.raises(ValueError):
        list_rules.periods_due("hourly", False, D(2026, 1, 1))


NEXT_DUE = [
    ("daily", True, D(2026, 11, 26), D(2026, 11, 27)),  # Thursday → Friday
    ("daily", True, D(2026, 11, 27), D(2026, 11, 30)),  # Friday → Monday
    ("daily", True, D(2026, 11, 28), D(2026, 11, 30)),  # Saturday → Monday
    ("daily", False, D(2026, 11, 27), D(2026, 11, 28)),  # every day: Friday → Saturday
    ("weekly", True, D(2026, 11, 25), D(2026, 11, 30)),
    ("monthly", True, D(2026, 11, 25), D(2026, 12, 1)),
    ("monthly", True, D(2026, 12, 5), D(2027, 1, 1)),
    ("quarterly", True, D(2026, 11, 25), D(2027, 1, 1)),
    ("quarterly", True, D(2026, 2, 25), D(2026, 4, 1)),
    ("yearly", True, D(2026, 6, 1), D(2027, 1, 1)),
]


@pytest.mark.parametrize(("frequency", "workdays_only", "on", "expected"), NEXT_DUE)
def test_next_due_date(frequency, workdays_only, on, expected):
    assert list_rules.next_due_date(frequency, workdays_only, on) == expected


@pytest.mark.parametrize(
    ("unit", "on", "count", "expected"),
    [
        (FigureUnit.DAY, D(2026, 3, 1), 3, [(D(2026, 2, 27),) * 2, (D(2026, 2, 28),) * 2, (D(2026, 3, 1),) * 2]),
        (
            FigureUnit.WEEK,
            D(2026, 1, 1),
            2,
            [(D(2025, 12, 22), D(2025, 12, 28)), (D(2025, 12, 29), D(2026, 1, 4))],
        ),
        (
            FigureUnit.MONTH,
            D(2026, 3, 15),
            3,
            [(D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 2, 1), D(2026, 2, 28)), (D(2026, 3, 1), D(2026, 3, 31))],
        ),
        (FigureUnit.MONTH, D(2026, 1, 10), 1, [(D(2026, 1, 1), D(2026, 1, 31))]),
    ],
)
def test_figure_periods_are_consecutive_and_end_with_the_chosen_day(unit, on, count, expected):
    assert list_rules.figure_periods(unit, on, count) == expected
