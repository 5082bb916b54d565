"""Concurrent organisation changes that each pass their checks alone but not together: the locks decide.

Each call runs in its own thread (its own connection), all released at once. PostgreSQL only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.utils import translation

from enterprises import organisation as rules
from enterprises import services
from enterprises.models import Department, Membership, Staff
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def run_together(calls: list[Callable[[], Any]], timeout: float = 60) -> tuple[list[Any], list[ValidationError]]:
    """(what the calls returned, the ValidationErrors they raised); any other exception fails the test."""
    results: list[Any] = []
    refusals: list[ValidationError] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls))

    def worker(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            with translation.override("en"):
                value = call()
            with lock:
                results.append(value)
        except ValidationError as exc:
            with lock:
                refusals.append(exc)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (lock wait?)"
    close_old_connections()
    assert not errors, f"unexpected errors: {errors!r}"
    return results, refusals


def actor(membership_pk: int) -> Actor:
    """Built inside the thread, on the thread's own connection."""
    with scopes_disabled():
        m = Membership.objects.select_related("user", "enterprise").get(pk=membership_pk)
    return Actor(user=m.user, membership=m)


def test_two_administrators_disabling_each_other_leave_one(world):
    erin = MembershipFactory(user=UserFactory(username="erin"), enterprise=world.acme, role="enterprise_admin")
    pairs = [(world.alice.pk, erin.pk), (erin.pk, world.alice.pk)]
    results, refusals = run_together(
        [
            lambda a=a, t=t: services.membership_set_active(actor=actor(a), membership_id=t, active=False)
            for a, t in pairs
        ]
    )
    assert len(results) == 1 and len(refusals) == 1
    assert "at least one active administrator" in refusals[0].messages[0]
    assert Membership.objects.filter(enterprise=world.acme, role="enterprise_admin", status="active").count() == 1


def test_crossed_moves_cannot_make_a_loop(world):
    with scopes_disabled():
        a = Department.objects.create(enterprise=world.acme, name="甲")
        b = Department.objects.create(enterprise=world.acme, name="乙")

    def move(node: Department, under: Department):
        return services.department_update(
            actor=actor(world.alice.pk), department_id=node.pk, name=node.name, level=node.level, parent_id=under.pk
        )

    results, refusals = run_together([lambda: move(a, b), lambda: move(b, a)])
    assert len(results) == 1 and len(refusals) == 1
    with scopes_disabled():
        parents = dict(Department.objects.filter(enterprise=world.acme).values_list("pk", "parent_id"))
    assert not any(rules.creates_cycle(parents, pk, parent) for pk, parent in parents.items() if parent)


def test_the_same_id_number_twice_at_once_goes_in_once(world):
    details = services.StaffDetails(name="同号", id_number="11010519491231002X")
    results, refusals = run_together(
        [lambda: services.staff_create(actor=actor(world.alice.pk), details=details) for _ in range(10)]
    )
    assert len(results) == 1 and len(refusals) == 9
    with scopes_disabled():
        assert Staff.objects.filter(enterprise=world.acme, id_number="11010519491231002X").count() == 1


def test_two_accounts_for_one_person_at_once(world):
    with scopes_disabled():
        staff = Staff.objects.create(enterprise=world.acme, name="一人")
    results, refusals = run_together(
        [
            lambda n=n: services.user_create(actor=actor(world.alice.pk), staff_id=staff.pk, username=n, role="staff")
            for n in ("yiren_a", "yiren_b", "yiren_c")
        ]
    )
    assert len(results) == 1 and len(refusals) == 2
    assert all("one person, one account" in r.message_dict["staff"][0] for r in refusals)
    assert Membership.objects.filter(staff=staff).count() == 1
