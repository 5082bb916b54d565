"""Rules of an enterprise's organisation (departments, accounts, staff identity), as pure functions.

The services (enterprises/services.py, area "organisation") apply them inside their locks; the tests check
them as tables. Nothing here touches the database.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable, Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Department, Membership

# Enterprise > department > workshop > team > post: a child may sit at its parent's level or below it.
LEVEL_ORDER: tuple[str, ...] = (
    Department.Level.ENTERPRISE,
    Department.Level.DEPARTMENT,
    Department.Level.WORKSHOP,
    Department.Level.TEAM,
    Department.Level.POST,
)


def level_rank(level: str) -> int:
    """0 for the enterprise level, 4 for a post. Raises ValueError for an unknown level."""
    return LEVEL_ORDER.index(level)


def level_fits(parent_level: str, child_level: str) -> bool:
    """May a department of ``child_level`` sit under one of ``parent_level``? (Never above its parent.)"""
    return level_rank(child_level) >= level_rank(parent_level)


def creates_cycle(parents: Mapping[int, int | None], node: int, new_parent: int | None) -> bool:
    """Would putting ``node`` under ``new_parent`` make a loop (itself, or one of its own descendants)?

    ``parents`` maps every department id of the enterprise to its parent id. The walk is bounded by the
    number of nodes, so a loop already in the data cannot hang it.
    """
    current = new_parent
    for _step in range(len(parents) + 1):
        if current is None:
            return False
        if current == node:
            return True
        current = parents.get(current)
    return True  # a loop above new_parent: refuse rather than make it worse


def descendants(parents: Mapping[int, int | None], node: int) -> set[int]:
    """Ids of every department below ``node`` (not including it)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in parents.items():
        children.setdefault(parent, []).append(pk)
    found: set[int] = set()
    stack = list(children.get(node, ()))
    while stack:
        pk = stack.pop()
        if pk in found:
            continue
        found.add(pk)
        stack.extend(children.get(pk, ()))
    return found


def tree_order(departments: Iterable[Department]) -> list[tuple[Department, int]]:
    """Departments depth-first (siblings by order, name, id), each with its depth (0 = top).

    A department whose parent is not in ``departments`` (a filtered list) is shown at the top.
    """
    items = list(departments)
    ids = {d.pk for d in items}
    children: dict[int | None, list[Department]] = {}
    for d in items:
        children.setdefault(d.parent_id if d.parent_id in ids else None, []).append(d)
    for siblings in children.values():
        siblings.sort(key=lambda d: (d.order, d.name, d.pk))
    result: list[tuple[Department, int]] = []
    seen: set[int] = set()

    def visit(parent: int | None, depth: int) -> None:
        for d in children.get(parent, ()):
            if d.pk in seen:
                continue
            seen.add(d.pk)
            result.append((d, depth))
            visit(d.pk, depth + 1)

    visit(None, 0)
    return result


def depths(parents: Mapping[int, int | None]) -> dict[int, int]:
    """Depth of every department in the whole tree (0 = top)."""
    result: dict[int, int] = {}
    for pk in parents:
        depth, current = 0, parents.get(pk)
        while current is not None and depth <= len(parents):
            depth += 1
            current = parents.get(current)
        result[pk] = depth
    return result


PATH_SEPARATOR = " / "


def paths(departments: Iterable[Department]) -> dict[int, str]:
    """ "Production / Workshop 1 / Team A" for every department: unambiguous where names repeat."""
    by_pk = {d.pk: d for d in departments}
    result: dict[int, str] = {}
    for pk in by_pk:
        names, current, steps = [], by_pk.get(pk), 0
        while current is not None and steps <= len(by_pk):
            names.append(current.name)
            current = by_pk.get(current.parent_id) if current.parent_id else None
            steps += 1
        result[pk] = PATH_SEPARATOR.join(reversed(names))
    return result


# ---- accounts ----

BASIC_ROLES = (Membership.Role.ENTERPRISE_ADMIN, Membership.Role.SAFETY_MANAGER, Membership.Role.STAFF)


def platform_roles(is_university: bool) -> tuple[str, ...]:
    """The platform roles an enterprise may give its users: a university has the lab roles as well."""
    return tuple(Membership.ENTERPRISE_ROLES) if is_university else BASIC_ROLES


# No look-alikes (0/O, 1/l/I): the administrator reads the password out to its owner.
_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def generate_password(length: int = 12) -> str:
    """A random password with a lower-case letter, a capital and a digit (passes Django's validators)."""
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _i in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and not password.isdigit()
        ):
            return password


# ---- resident identity card numbers (GB 11643-1999) ----

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_character(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalise_id_number(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def validate_id_number(value: str) -> None:
    """Raise ValidationError naming what is wrong with an 18-character resident identity card number."""
    number = normalise_id_number(value)
    if len(number) != 18:
        raise ValidationError(
            _("An ID card number has 18 characters; this one has %(n)d."), code="length", params={"n": len(number)}
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(
            _("An ID card number is 17 digits followed by a digit or X."),
            code="charset",
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > timezone.localdate():
        raise ValidationError(
            _("Characters 7 to 14 of an ID card number are the date of birth; %(value)s is not a date."),
            code="birth",
            params={"value": number[6:14]},
        )
    expected = id_check_character(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("The check character (the last one) should be %(expected)s, not %(got)s: please check for a typo."),
            code="check",
            params={"expected": expected, "got": number[17]},
        )
