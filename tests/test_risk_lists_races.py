"""Two reviewers deciding on one risk list at the same moment: the row lock serialises them, the loser is told
who decided (TransitionRefused) and nothing is recorded twice. PostgreSQL only."""

from __future__ import annotations

import pytest
import time_machine

from approvals.engine import TransitionRefused
from approvals.models import ReviewRecord
from enterprises.models import Membership
from hazards import services
from hazards.models import InspectionTask, RiskList
from safety.tenancy import scopes_disabled

from .factories import MembershipFactory, UserFactory, actor_for
from .lists_world import make_list, make_point
from .test_inspections_races import together

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def _state(risk_list) -> tuple[str, int]:
    with scopes_disabled():
        return RiskList.objects.get(pk=risk_list.pk).status, ReviewRecord.objects.filter(
            subject_id=risk_list.pk
        ).count()


def test_two_enterprise_reviewers_at_once(world):
    manager = MembershipFactory(user=UserFactory(), enterprise=world.acme, role=Membership.Role.SAFETY_MANAGER)
    risk_list = make_list(world.acme, [make_point(world.acme)], status="submitted")
    results, errors = together(
        lambda: services.risk_list_approve(actor=world.actor("alice"), risk_list_id=risk_list.pk),
        lambda: services.risk_list_return(actor=actor_for(manager), risk_list_id=risk_list.pk, reason="退回"),
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], TransitionRefused)
    status, records = _state(risk_list)
    assert status == results[0].status and records == 1


@time_machine.travel("2026-11-25 10:00:00+08:00", tick=True)
def test_two_bodies_filing_at_once(world):
    point = make_point(world.acme)
    risk_list = make_list(world.acme, [point], status="filing", checks_per_day=2)
    results, errors = together(
        lambda: services.risk_list_file(actor=world.actor("gov_alice"), risk_list_id=risk_list.pk),
        lambda: services.risk_list_file(actor=world.actor("city_reviewer"), risk_list_id=risk_list.pk),
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], TransitionRefused)
    assert _state(risk_list) == ("filed", 1)
    with scopes_disabled():
        assert InspectionTask.objects.filter(risk_list=risk_list).count() == 2


@pytest.mark.parametrize("first", ["file", "return"])
def test_filing_and_returning_at_once(world, first, monkeypatch):
    """Whichever decision takes the lock first, the other is refused with who decided (never a 404). The first
    one holds the lock a while (its permission check is slowed down) and the second starts a moment later."""
    import time

    from django.contrib.contenttypes.models import ContentType

    from hazards import selectors

    risk_list = make_list(world.acme, [make_point(world.acme)], status="filing")
    with scopes_disabled():  # as send_for_filing leaves it: the government has had the list
        ReviewRecord.objects.create(
            enterprise=world.acme,
            subject_type=ContentType.objects.get_for_model(RiskList),
            subject_id=risk_list.pk,
            node="enterprise",
            decision="submit",
            from_state="approved",
            to_state="filing",
        )
    slow_user = "gov_alice" if first == "file" else "city_reviewer"
    may_file = selectors.risk_list_may_file

    def slow_may_file(actor, subject):
        if actor.user.username == slow_user:
            time.sleep(0.6)  # under the row lock
        return may_file(actor, subject)

    monkeypatch.setattr(selectors, "risk_list_may_file", slow_may_file)
    file = lambda: services.risk_list_file(actor=world.actor("gov_alice"), risk_list_id=risk_list.pk)  # noqa: E731
    ret = lambda: services.risk_list_return_filing(  # noqa: E731
        actor=world.actor("city_reviewer"), risk_list_id=risk_list.pk, reason="退回"
    )
    late = lambda call: lambda: (time.sleep(0.2), call())[1]  # noqa: E731
    results, errors = together(file, late(ret)) if first == "file" else together(ret, late(file))
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], TransitionRefused), errors
    status, records = _state(risk_list)
    assert status == ("filed" if first == "file" else "returned") and records == 2
