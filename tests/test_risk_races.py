"""Concurrent writes to one enterprise's risk point library: the enterprise row serialises the library-wide checks,
so the same file imported twice at once, or the same typical point copied twice at once, lands once.

Each thread has its own connection; a barrier releases them together. PostgreSQL only (conftest skips elsewhere).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection

from enterprises.models import Membership
from hazards import services
from hazards.models import SharedRiskPoint, TransferLog
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .risk_world import english, good_row, make_point, points_of, xlsx_upload  # noqa: F401  (english: autouse)

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

THREADS = 4


def run_together(calls: list[Callable[[], Any]], timeout: float = 60) -> tuple[list[Any], list[BaseException]]:
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls))

    def worker(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            value = call()
            with lock:
                results.append(value)
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
    return results, errors


def _actor(membership_pk: int) -> Actor:
    with scopes_disabled():
        m = Membership.objects.select_related("user", "enterprise", "enterprise__region").get(pk=membership_pk)
    return Actor(user=m.user, membership=m)


def test_the_same_file_imported_at_once_lands_once(world):
    content = xlsx_upload([good_row("甲醇储罐区"), good_row("液氯储罐区")]).read()
    alice = world.alice.pk

    def import_once():
        from django.core.files.uploadedfile import SimpleUploadedFile

        return services.risk_points_import(
            actor=_actor(alice), upload=SimpleUploadedFile("same.xlsx", content), filename="same.xlsx"
        )

    results, errors = run_together([import_once] * THREADS)
    assert not errors, errors
    assert sorted(r.created for r in results) == [0] * (THREADS - 1) + [2]
    refused = [r for r in results if r.errors]
    assert all("already in the risk point library" in e.message for r in refused for e in r.errors)
    assert sorted(p.name for p in points_of(world.acme)) == ["液氯储罐区", "甲醇储罐区"]
    with scopes_disabled():
        assert TransferLog.objects.filter(enterprise=world.acme, succeeded=True).count() == 1
        assert TransferLog.objects.filter(enterprise=world.acme, succeeded=False).count() == THREADS - 1


def test_the_same_typical_point_copied_at_once_lands_once(world):
    with scopes_disabled():
        shared = SharedRiskPoint.objects.create(
            industry="hazardous_chemicals",
            category="facility",
            name="液氨储罐区",
            method="lec",
            values={"l": "3", "e": "6", "c": "15"},
            factors=[{"kind": "unsafe_condition", "description": "泄漏", "measures": [{"description": "巡检"}]}],
        )
    alice = world.alice.pk

    def copy_once():
        return services.risk_points_copy_shared(actor=_actor(alice), shared_ids=[shared.pk])

    results, errors = run_together([copy_once] * THREADS)
    assert not errors, errors
    assert sorted(len(r.created) for r in results) == [0] * (THREADS - 1) + [1]
    assert [p.name for p in points_of(world.acme)] == ["液氨储罐区"]


def test_regrading_and_deleting_at_once(world):
    """A re-grading racing a delete: either the grading lands first and the point is then deleted, or the delete
    wins and the re-grading finds no point (404) — never a grading row of a deleted point."""
    from django.http import Http404

    from hazards.models import RiskGrading

    point = make_point(world.alice)
    alice = world.alice.pk

    def regrade():
        try:
            return services.risk_point_regrade(
                actor=_actor(alice),
                point_id=point.pk,
                grading=services.RiskGradingInput(method="lec", values={"l": 10, "e": 6, "c": 7}, reason="复评"),
            )
        except Http404:
            return "gone"

    def delete():
        return services.risk_points_delete(actor=_actor(alice), point_ids=[point.pk])

    results, errors = run_together([regrade, delete])
    assert not errors, errors
    assert points_of(world.acme) == []
    with scopes_disabled():
        assert not RiskGrading.objects.filter(risk_point_id=point.pk).exists()
