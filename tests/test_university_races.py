"""Concurrent decisions on one student's activation: exactly one wins, the others are told who decided.

PostgreSQL only (conftest skips race tests elsewhere); the threads and the barrier come from tests.test_races.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from approvals.models import Decision, Notification, ReviewRecord
from enterprises import services
from enterprises.models import Membership
from enterprises.services import LabProfile
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .test_races import fresh_actor, run_together
from .university_world import Uni, build_uni

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

THREADS = 10


@pytest.fixture
def uni(world) -> Uni:
    return build_uni(world)


def _records(m: Membership) -> list[ReviewRecord]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(Membership), subject_id=m.pk
            ).order_by("pk")
        )


def _profile(uni: Uni) -> LabProfile:
    return LabProfile(full_name="卡萝", phone="13912345678", email="c@example.com", department=uni.organic)


def _submitted(uni: Uni) -> Membership:
    services.student_activation_submit(
        actor=Actor(user=uni.s_carol.user),
        profile=_profile(uni),
        supervisor=uni.t_alice.user,
    )
    return Membership.objects.get(pk=uni.s_carol.pk)


def test_approve_and_reject_at_once_one_decision(uni):
    m = _submitted(uni)
    teacher_pk = uni.t_alice.pk

    def approve():
        return services.student_activation_approve(actor=fresh_actor(teacher_pk), membership_id=m.pk)

    def reject():
        return services.student_activation_reject(actor=fresh_actor(teacher_pk), membership_id=m.pk, reason="不认识")

    outcome = run_together([approve, reject] * (THREADS // 2))

    assert len(outcome.successes) == 1
    assert len(outcome.refusals) == THREADS - 1
    for refusal in outcome.refusals:
        assert uni.t_alice.user.display_name in refusal.message, refusal.message
    records = _records(m)
    assert [r.decision for r in records[:1]] == [Decision.SUBMIT]
    [decision] = records[1:]
    final = Membership.objects.get(pk=m.pk)
    if decision.decision == Decision.APPROVE:
        assert final.status == Membership.Status.ACTIVE
    else:
        assert decision.decision == Decision.REJECT and decision.reason == "不认识"
        assert final.status == Membership.Status.REJECTED
    # The student is told once.
    assert Notification.objects.filter(recipient=m.user).count() == 1


def test_two_first_submissions_at_once_one_request(uni):
    student_pk, teachers = uni.s_carol.user_id, [uni.t_alice.user, uni.t_bob.user]

    def submit_to(teacher):
        def call():
            return services.student_activation_submit(
                actor=fresh_actor(user_pk=student_pk),
                profile=LabProfile(
                    full_name="卡萝", phone="13912345678", email="c@example.com", department=uni.organic
                ),
                supervisor=teacher,
            )

        return call

    outcome = run_together([submit_to(teachers[i % 2]) for i in range(THREADS)])

    assert len(outcome.successes) == 1
    assert len(outcome.refusals) == THREADS - 1
    [record] = _records(uni.s_carol)
    assert record.decision == Decision.SUBMIT
    chosen = Membership.objects.get(pk=uni.s_carol.pk).supervisor
    assert Notification.objects.filter(recipient=chosen).count() == 1
    assert Notification.objects.filter(recipient__in=teachers).count() == 1
