"""Concurrent decisions on one suspension application, and concurrent applications of one enterprise.
PostgreSQL only (conftest skips race tests elsewhere)."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from approvals.models import Decision, Notification, OperationLog, ReviewRecord
from enterprises import services
from enterprises.models import Enterprise, OperatingStatus, SuspensionApplication
from enterprises.services import SuspensionDetails
from safety.tenancy import scopes_disabled

from .factories import actor_for
from .test_races import fresh_actor, run_together

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

THREADS = 10


def _application(world) -> SuspensionApplication:
    return services.suspension_apply(
        actor=actor_for(world.alice),
        details=SuspensionDetails(kind="suspension", reason="检修", start_date=date(2026, 4, 1)),
    )


def _decisions(application) -> list[ReviewRecord]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(SuspensionApplication),
                subject_id=application.pk,
                decision__in=[Decision.APPROVE, Decision.REJECT],
            )
        )


def test_two_reviewers_deciding_at_once_one_decision(world):
    application = _application(world)
    approver, rejecter = world.gov_alice.pk, world.city_reviewer.pk

    def approve():
        return services.suspension_approve(actor=fresh_actor(approver), application_id=application.pk, reason="同意")

    def reject():
        return services.suspension_reject(actor=fresh_actor(rejecter), application_id=application.pk, reason="不同意")

    outcome = run_together([approve, reject] * (THREADS // 2))

    assert len(outcome.successes) == 1 and len(outcome.refusals) == THREADS - 1
    [decision] = _decisions(application)
    with scopes_disabled():
        final = SuspensionApplication.objects.get(pk=application.pk)
        status = Enterprise.unscoped.get(pk=world.acme.pk).operating_status
        transitions = OperationLog.objects.filter(action="transition", object_id=str(application.pk)).count()
        status_updates = OperationLog.objects.filter(action="update", object_id=str(world.acme.pk)).count()
        told = Notification.objects.filter(recipient=world.alice.user).count()
    assert transitions == 1 and told == 1
    if decision.decision == Decision.APPROVE:
        assert (final.status, status, status_updates) == ("approved", OperatingStatus.SUSPENDED, 1)
    else:
        assert (final.status, status, status_updates) == ("rejected", OperatingStatus.OPERATING, 0)
    winner = world.gov_alice if decision.decision == Decision.APPROVE else world.city_reviewer
    for refusal in outcome.refusals:
        assert winner.user.display_name in refusal.message


def test_applications_at_once_leave_one_pending(world):
    alice = world.alice.pk

    def apply():
        try:
            return services.suspension_apply(
                actor=fresh_actor(alice),
                details=SuspensionDetails(kind="suspension", reason="并发申请", start_date=date(2026, 4, 1)),
            )
        except ValidationError as exc:
            return exc

    outcome = run_together([apply] * THREADS)
    created = [r for r in outcome.successes if isinstance(r, SuspensionApplication)]
    refused = [r for r in outcome.successes if isinstance(r, ValidationError)]
    assert len(created) == 1 and len(refused) == THREADS - 1
    assert all(e.code == "pending" for e in refused)
    with scopes_disabled():
        assert SuspensionApplication.objects.filter(enterprise=world.acme, status="pending").count() == 1
