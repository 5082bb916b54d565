"""Waste collection under concurrency: the scheduler run twice at once, two registrations taking the same empty
package, a registration racing the centre's "collected". Each thread has its own database connection; a barrier
releases them together so they meet at the row locks. PostgreSQL only (conftest skips race tests elsewhere)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from approvals.engine import TransitionRefused
from approvals.models import OperationLog
from chemicals import services, waste_schedule
from chemicals.models import Package, WasteCollection, WasteRegistration
from safety.tenancy import scopes_disabled

from .chem_waste_helpers import build_waste, collection, held, kg, register, reload, used_up

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]
SH = waste_schedule.SHANGHAI


def run_together(calls: list[Callable[[], Any]], timeout: float = 60) -> tuple[list[Any], list[Exception]]:
    """(results, refusals): refusals are the errors a user is shown (TransitionRefused, ValidationError);
    anything else fails the test."""
    results: list[Any] = []
    refusals: list[Exception] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls))

    def worker(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            value = call()
            with lock:
                results.append(value)
        except (TransitionRefused, ValidationError) as exc:
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


def test_the_scheduler_run_three_times_at_once_makes_one_collection_each(world):
    w = build_waste(world, open_collection=False)
    stale = collection(w.uni.university, date(2025, 6, 5))
    moment = datetime(2025, 6, 5, 0, 10, tzinfo=SH)

    results, refusals = run_together([lambda: services.ensure_waste_collections(now=moment)] * 3)

    assert not refusals
    assert sum(r["created"] for r in results) == 2
    assert sum(r["closed"] for r in results) == 1
    assert reload(stale).status == WasteCollection.Status.CLOSED
    with scopes_disabled():
        made = WasteCollection.objects.filter(collection_date=date(2025, 6, 12))
        assert sorted(made.values_list("enterprise_id", flat=True)) == sorted(
            [w.uni.university.pk, w.uni.far_university.pk]
        )
        assert OperationLog.objects.filter(object_id=str(stale.pk), detail__endswith="closed").count() == 1


def test_two_registrations_of_one_package_one_wins(world):
    w = build_waste(world)
    package = used_up(w.uni.organic, w.chem.ethanol, "1000")
    other = used_up(w.uni.organic, w.chem.ethanol, "1000")

    results, refusals = run_together(
        [
            lambda: register(w, "t_alice", w.uni.organic, packages=[package, other]),
            lambda: register(w, "s_active", w.uni.organic, packages=[package]),
        ]
    )

    assert len(results) == 1 and len(refusals) == 1
    assert "packages" in refusals[0].message_dict
    winner = results[0]
    assert reload(package).waste_registration_id == winner.pk
    assert reload(package).status == Package.Status.COLLECTED
    with scopes_disabled():
        assert WasteRegistration.objects.count() == 1
        taken = Package.objects.filter(waste_registration=winner).count()
    # The winner took both packages (t_alice) or the one (s_active); the quota freed follows.
    assert taken in (1, 2)
    assert held(w.uni.organic) == (kg("0") if taken == 2 else kg("1"))
    assert reload(other).status == (Package.Status.COLLECTED if taken == 2 else Package.Status.USED_UP)


def test_a_registration_racing_mark_collected_stays_consistent(world):
    w = build_waste(world)
    package = used_up(w.uni.organic, w.chem.ethanol)

    results, refusals = run_together(
        [
            lambda: register(w, "t_alice", w.uni.organic, packages=[package]),
            lambda: services.waste_collection_mark_collected(actor=w.actor("centre"), pk=w.collection.pk),
        ]
    )

    assert reload(w.collection).status == WasteCollection.Status.COLLECTED
    with scopes_disabled():
        registrations = list(WasteRegistration.objects.all())
    if refusals:  # the centre was first: the registration is refused, the package untouched
        assert isinstance(refusals[0], TransitionRefused) and registrations == []
        assert reload(package).status == Package.Status.USED_UP
    else:  # the registration was first: the centre collected it too
        assert [r.status for r in registrations] == [WasteRegistration.Status.COLLECTED]
        assert reload(package).status == Package.Status.COLLECTED
