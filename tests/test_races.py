"""Concurrent decisions on one registration: exactly one wins, the others are told who decided.

Each thread has its own database connection (Django's are per thread) and closes it at the end; a barrier
releases them together so they really meet at the row lock. PostgreSQL only (conftest skips them elsewhere).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import close_old_connections, connection
from django.utils import timezone

from approvals.engine import TransitionRefused
from approvals.models import Decision, Notification, OperationLog, ReviewRecord
from enterprises import services
from enterprises.models import Enterprise, Membership, User
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

THREADS = 20


@dataclass
class Outcome:
    successes: list[Any] = field(default_factory=list)
    refusals: list[TransitionRefused] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, value: Any) -> None:
        with self.lock:
            getattr(self, kind).append(value)


def run_together(calls: list[Callable[[], Any]], timeout: float = 60) -> Outcome:
    """Run each call in its own thread, all released at once; collect what each returned or raised."""
    outcome = Outcome()
    barrier = threading.Barrier(len(calls))

    def worker(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcome.add("successes", call())
        except TransitionRefused as exc:
            outcome.add("refusals", exc)
        except BaseException as exc:  # report everything else: the test fails on it
            outcome.add("errors", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (lock wait?)"
    close_old_connections()
    assert not outcome.errors, f"unexpected errors: {outcome.errors!r}"
    return outcome


def fresh_actor(membership_pk: int | None = None, user_pk: int | None = None) -> Actor:
    """An actor built inside the thread, with its own objects and the thread's own connection."""
    with scopes_disabled():
        if membership_pk is not None:
            m = Membership.objects.select_related("user", "body", "body__region", "enterprise").get(pk=membership_pk)
            return Actor(user=m.user, membership=m)
        return Actor(user=User.objects.get(pk=user_pk))


def _registration(world, status=Enterprise.Status.PENDING, **extra) -> tuple[Enterprise, Membership]:
    enterprise = EnterpriseFactory(
        status=status,
        owning_body=world.nancheng_office,
        region=world.nancheng,
        submitted_at=timezone.now(),
        **extra,
    )
    admin = MembershipFactory(
        user=UserFactory(),
        enterprise=enterprise,
        role=Membership.Role.ENTERPRISE_ADMIN,
        status=Membership.Status.PENDING,
    )
    return enterprise, admin


def _decisions(enterprise: Enterprise) -> list[ReviewRecord]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(Enterprise), subject_id=enterprise.pk
            ).order_by("pk")
        )


def _transitions(enterprise: Enterprise) -> int:
    with scopes_disabled():
        return OperationLog.objects.filter(
            action=OperationLog.Action.TRANSITION, enterprise_id=enterprise.pk, object_id=str(enterprise.pk)
        ).count()


def _reload(enterprise: Enterprise) -> Enterprise:
    with scopes_disabled():
        return Enterprise.unscoped.get(pk=enterprise.pk)


def _admin_status(admin: Membership) -> str:
    with scopes_disabled():
        return Membership.objects.get(pk=admin.pk).status


def test_race_tests_run_on_postgresql(db_vendor):
    assert db_vendor == "postgresql"


def test_twenty_approvals_at_once_one_wins(world):
    enterprise, admin = _registration(world)
    reviewer_pk = world.gov_alice.pk

    def approve():
        return services.registration_approve(actor=fresh_actor(reviewer_pk), enterprise_id=enterprise.pk, reason="同意")

    outcome = run_together([approve] * THREADS)

    assert len(outcome.successes) == 1
    assert len(outcome.refusals) == THREADS - 1
    reviewer_name = world.gov_alice.user.display_name
    for refusal in outcome.refusals:
        assert reviewer_name in refusal.message, refusal.message
    records = _decisions(enterprise)
    assert [r.decision for r in records] == [Decision.APPROVE]
    assert records[0].reviewer_id == world.gov_alice.user.pk
    assert _transitions(enterprise) == 1
    assert _reload(enterprise).status == Enterprise.Status.APPROVED
    assert _admin_status(admin) == Membership.Status.ACTIVE
    with scopes_disabled():
        assert Membership.objects.filter(enterprise=enterprise).count() == 1
        # The applicant is told once.
        assert Notification.objects.filter(recipient=admin.user).count() == 1


def test_approve_and_reject_at_once_one_decision(world):
    enterprise, admin = _registration(world)
    approver, rejecter = world.gov_alice.pk, world.city_reviewer.pk

    def approve():
        return services.registration_approve(actor=fresh_actor(approver), enterprise_id=enterprise.pk)

    def reject():
        return services.registration_reject(actor=fresh_actor(rejecter), enterprise_id=enterprise.pk, reason="材料不全")

    calls = [approve, reject] * (THREADS // 2)
    outcome = run_together(calls)

    assert len(outcome.successes) == 1
    assert len(outcome.refusals) == THREADS - 1
    records = _decisions(enterprise)
    assert len(records) == 1
    decision = records[0].decision
    assert decision in (Decision.APPROVE, Decision.REJECT)
    assert _transitions(enterprise) == 1
    final = _reload(enterprise)
    winner = world.gov_alice if decision == Decision.APPROVE else world.city_reviewer
    assert records[0].reviewer_id == winner.user.pk
    for refusal in outcome.refusals:
        assert winner.user.display_name in refusal.message, refusal.message
    if decision == Decision.APPROVE:
        assert final.status == Enterprise.Status.APPROVED
        assert final.reject_reason == ""
        assert _admin_status(admin) == Membership.Status.ACTIVE
    else:
        assert final.status == Enterprise.Status.REJECTED
        assert final.reject_reason == "材料不全"
        assert _admin_status(admin) == Membership.Status.PENDING


def test_twenty_resubmissions_at_once_one_wins(world):
    enterprise, admin = _registration(world, status=Enterprise.Status.REJECTED, reject_reason="名称有误")
    applicant_pk = admin.user.pk

    def resubmit():
        details = services.RegistrationDetails(
            name="改正后的企业有限公司",
            credit_code=enterprise.credit_code,
            owning_body=world.nancheng_office,
            region=world.nancheng,
            industry="machinery",
            contact_name="联系人",
            contact_phone="13800000000",
        )
        return services.registration_resubmit(actor=fresh_actor(user_pk=applicant_pk), details=details)

    outcome = run_together([resubmit] * THREADS)

    assert len(outcome.successes) == 1
    assert len(outcome.refusals) == THREADS - 1
    applicant_name = admin.user.display_name
    for refusal in outcome.refusals:
        assert applicant_name in refusal.message, refusal.message
    records = _decisions(enterprise)
    assert [r.decision for r in records] == [Decision.RESUBMIT]
    assert _transitions(enterprise) == 1
    final = _reload(enterprise)
    assert final.status == Enterprise.Status.PENDING
    assert final.name == "改正后的企业有限公司"
    with scopes_disabled():
        # The owning body's reviewer is told once, not twenty times.
        assert Notification.objects.filter(recipient=world.gov_alice.user, title__contains="改正后的企业").count() == 1
