"""Two expiry sweeps at once (two workers, or beat firing while a manual run is going): each reminder is sent
once. PostgreSQL only (conftest skips race tests elsewhere)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import time_machine
from django.db import close_old_connections, connection

from approvals.models import Notification
from enterprises import services
from enterprises.models import Licence, Membership, ReminderStage
from safety.tenancy import scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

END = date(2026, 6, 30)
SWEEPS = 4


def run_sweeps_together(n: int, **kwargs) -> list[services.SweepResult]:
    results: list[services.SweepResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            result = services.expiry_reminders_sweep(**kwargs)
            with lock:
                results.append(result)
        except BaseException as exc:  # the test fails on any
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a sweep is stuck"
    close_old_connections()
    assert not errors, errors
    return results


@pytest.mark.parametrize("day", [END - timedelta(days=5), END + timedelta(days=1)], ids=["expiring", "expired"])
def test_sweeps_at_once_notify_each_stage_once(world, day):
    enterprises = [world.acme, world.other] + [
        EnterpriseFactory(owning_body=world.nancheng_office, region=world.nancheng) for _ in range(2)
    ]
    admins = {
        e.pk: [m.user for m in Membership.objects.filter(enterprise=e, role="enterprise_admin")] for e in enterprises
    }
    for e in enterprises:
        if not admins[e.pk]:
            admins[e.pk] = [MembershipFactory(user=UserFactory(), enterprise=e, role="enterprise_admin").user]
    with scopes_disabled():
        licences = [
            Licence.objects.create(
                enterprise=enterprises[i % len(enterprises)], kind="business", number=f"RACE-{i:03d}", valid_until=END
            )
            for i in range(40)
        ]
    with time_machine.travel(f"{day.isoformat()} 00:35:00+08:00", tick=False):
        results = run_sweeps_together(SWEEPS, today=day, window=30, batch=3)

    assert sum(r.licences_notified for r in results) == len(licences)
    assert sum(r.licences_changed for r in results) == len(licences)
    expected_stage = ReminderStage.EXPIRING if day <= END else ReminderStage.EXPIRED
    with scopes_disabled():
        assert set(
            Licence.objects.filter(pk__in=[lic.pk for lic in licences]).values_list("reminder_stage", flat=True)
        ) == {expected_stage}
        for lic in licences:
            for user in admins[lic.enterprise_id]:
                assert Notification.objects.filter(recipient=user, body__contains=lic.number).count() == 1, lic.number
    # And once more, all at once again: nothing left to do.
    again = run_sweeps_together(SWEEPS, today=day, window=30, batch=3)
    assert sum(r.licences_notified for r in again) == 0
