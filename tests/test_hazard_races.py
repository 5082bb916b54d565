"""Concurrent steps on one hazard: exactly one wins, the record stays consistent.

Each thread has its own database connection and builds its own actor; a barrier releases them together so they
meet at the row lock. PostgreSQL only (conftest skips race tests elsewhere).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import close_old_connections, connection
from django.utils import timezone

from approvals.engine import TransitionRefused
from approvals.models import Decision, Notification, ReviewRecord
from enterprises.models import Membership
from hazards import hazard_photos, services
from hazards.models import ExtensionRequest, Hazard, SupervisedListing
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .factories import MembershipFactory, UserFactory
from .hazard_factories import make_extension, make_hazard, make_listing, photo_upload, reload
from .races import run_together as _run_together

# Only TransitionRefused counts as a refusal here: a ValidationError would be a failure.
run_together = partial(_run_together, refused=(TransitionRefused,))

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

S = Hazard.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def actor_of(membership_pk: int) -> Actor:
    """Built inside the thread, on the thread's own connection."""
    with scopes_disabled():
        m = Membership.objects.select_related("user", "body", "body__region", "enterprise").get(pk=membership_pk)
    return Actor(user=m.user, membership=m)


def records(hazard_or_listing) -> list[ReviewRecord]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(type(hazard_or_listing)), subject_id=hazard_or_listing.pk
            ).order_by("created_at", "pk")
        )


@pytest.fixture
def reviewers(world):
    """Three who may review each side's hazards: acme's (alice and two safety managers), the government's
    (the township, the county above it, the city above that)."""
    sam = MembershipFactory(user=UserFactory(), enterprise=world.acme, role=Membership.Role.SAFETY_MANAGER)
    sue = MembershipFactory(user=UserFactory(), enterprise=world.acme, role=Membership.Role.SAFETY_MANAGER)
    county = MembershipFactory(user=UserFactory(), body=world.jiangyang_bureau, role=Membership.Role.REVIEWER)
    return {
        "general": [world.alice.pk, sam.pk, sue.pk],
        "major": [world.gov_alice.pk, county.pk, world.city_reviewer.pk],
    }


@pytest.mark.parametrize("level", ["general", "major"])
def test_two_reviewers_decide_one_report_at_once(world, reviewers, level):
    hazard = make_hazard(world.acme, status=S.REPORTED, level=level)
    decisions = [True, False, True]

    def decide(pk: int, passed: bool):
        return lambda: services.rectification_review(
            actor=actor_of(pk), hazard_id=hazard.pk, passed=passed, reason="复查意见"
        )

    outcome = run_together([decide(pk, passed) for pk, passed in zip(reviewers[level], decisions, strict=True)])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 2
    [record] = records(hazard)
    winner = reload(hazard)
    assert winner.status == (S.CLOSED if record.decision == Decision.APPROVE else S.RECTIFYING)
    assert all(winner.get_status_display() in r.message for r in outcome.refusals)


def test_one_extension_request_at_once(world, reviewers):
    hazard = make_hazard(world.acme, status=S.OVERDUE, deadline=timezone.now() - timedelta(hours=1))

    def ask(pk: int):
        return lambda: services.extension_request(
            actor=actor_of(pk),
            hazard_id=hazard.pk,
            reason="设备未到",
            requested_deadline=timezone.now() + timedelta(days=10),
        )

    outcome = run_together([ask(pk) for pk in reviewers["general"]])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 2
    with scopes_disabled():
        assert ExtensionRequest.objects.filter(hazard=hazard).count() == 1
    assert reload(hazard).status == S.EXTENSION_REQUESTED
    assert len(records(hazard)) == 1


def test_one_extension_decision_at_once(world, reviewers):
    hazard = make_hazard(
        world.acme, status=S.EXTENSION_REQUESTED, level="major", deadline=timezone.now() - timedelta(hours=1)
    )
    make_extension(hazard)
    new = timezone.now() + timedelta(days=10)

    def decide(pk: int, approve: bool):
        return lambda: services.extension_review(
            actor=actor_of(pk), hazard_id=hazard.pk, approve=approve, new_deadline=new, reason="意见"
        )

    outcome = run_together([decide(pk, a) for pk, a in zip(reviewers["major"], [True, False, True], strict=True)])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 2
    [record] = records(hazard)
    with scopes_disabled():
        extension = ExtensionRequest.objects.get(hazard=hazard)
    if record.decision == Decision.APPROVE:
        assert (reload(hazard).status, extension.status) == (S.RECTIFYING, ExtensionRequest.Status.APPROVED)
    else:
        assert (reload(hazard).status, extension.status) == (S.OVERDUE, ExtensionRequest.Status.REFUSED)


def test_two_bodies_list_one_hazard_at_once(world, reviewers):
    hazard = make_hazard(world.acme, level="major")

    def list_it(pk: int):
        return lambda: services.hazard_supervise(
            actor=actor_of(pk), hazard_id=hazard.pk, notice_number="督", notice="限期"
        )

    outcome = run_together([list_it(pk) for pk in reviewers["major"]])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 2
    with scopes_disabled():
        listing = SupervisedListing.objects.get(hazard=hazard)
    assert len(records(listing)) == 1


def test_one_delisting_decision_at_once(world, reviewers):
    hazard = make_hazard(world.acme, level="major", status=S.CLOSED)
    listing = make_listing(hazard, world.nancheng_office, status=SupervisedListing.Status.DELISTING_REQUESTED)

    def decide(pk: int, delist: bool):
        return lambda: services.listing_decide(actor=actor_of(pk), hazard_id=hazard.pk, delist=delist, reason="意见")

    outcome = run_together([decide(pk, d) for pk, d in zip(reviewers["major"], [True, False, True], strict=True)])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 2
    assert len(records(listing)) == 1


def test_registrations_at_once_get_distinct_numbers(world):
    members = [world.alice.pk, world.bob.pk] + [
        MembershipFactory(user=UserFactory(), enterprise=world.acme, role=Membership.Role.STAFF).pk for _ in range(6)
    ]

    def register(pk: int):
        return lambda: services.hazard_register(actor=actor_of(pk), details=services.HazardDetails(title="并发登记"))

    outcome = run_together([register(pk) for pk in members])
    numbers = sorted(h.number for h in outcome.successes)
    year = timezone.localdate().year
    assert numbers == [f"YH-{year}-{n:06d}" for n in range(1, len(members) + 1)]


# --------------------------------------------------------------------------------------------------------------
# The overdue sweep against a rectification report, and against itself
# --------------------------------------------------------------------------------------------------------------


def test_sweep_skips_a_hazard_being_reported_and_marks_it_on_its_next_run(world, monkeypatch):
    """The report holds the row (before its deadline) when the sweep comes by after the deadline: the sweep
    skips it without waiting, the report commits; the next run marks it overdue, as it was not passed in time."""
    deadline = timezone.now() + timedelta(seconds=5)
    hazard = make_hazard(world.acme, deadline=deadline)
    inside, release = threading.Event(), threading.Event()
    store = hazard_photos.store

    def paused_store(*args, **kwargs):
        inside.set()
        assert release.wait(30), "never released"
        return store(*args, **kwargs)

    monkeypatch.setattr(hazard_photos, "store", paused_store)
    result: dict[str, Any] = {}

    def report():
        try:
            result["hazard"] = services.rectification_report(
                actor=actor_of(world.alice.pk), hazard_id=hazard.pk, measures="已整改", after_photos=[photo_upload()]
            )
        except BaseException as exc:
            result["error"] = exc
        finally:
            connection.close()

    with time_machine.travel(deadline - timedelta(seconds=1), tick=True):
        reporter = threading.Thread(target=report)
        reporter.start()
        assert inside.wait(30), "the report never reached its lock"
        time.sleep(1.2)  # the deadline passes while the report holds the row
        assert timezone.now() > deadline
        started = time.monotonic()
        assert services.overdue_sweep() == 0
        assert time.monotonic() - started < 5, "the sweep waited for the lock instead of skipping"
        release.set()
        reporter.join(30)
        close_old_connections()
        assert "error" not in result, result
        assert reload(hazard).status == S.REPORTED
        assert services.overdue_sweep() == 1
    steps = [(r.from_state, r.to_state) for r in records(hazard)]
    assert steps == [(S.REGISTERED, S.REPORTED), (S.REPORTED, S.OVERDUE)]
    assert reload(hazard).rectified_at < deadline


def test_a_report_waiting_on_the_sweep_is_told_the_hazard_is_now_overdue(world, monkeypatch):
    """The sweep holds the row: the report waits for it, then finds the hazard overdue (the system's decision)."""
    hazard = make_hazard(world.acme, deadline=timezone.now() - timedelta(seconds=1))
    inside, release = threading.Event(), threading.Event()
    real_notify = services.notify

    def paused_notify(**kwargs):
        inside.set()
        assert release.wait(30), "never released"
        return real_notify(**kwargs)

    monkeypatch.setattr(services, "notify", paused_notify)
    result: dict[str, Any] = {}

    def sweep():
        try:
            result["marked"] = services.overdue_sweep()
        finally:
            connection.close()

    def report():
        try:
            services.rectification_report(
                actor=actor_of(world.alice.pk), hazard_id=hazard.pk, measures="已整改", after_photos=[photo_upload()]
            )
        except TransitionRefused as exc:
            result["refused"] = exc.message
        except BaseException as exc:
            result["error"] = exc
        finally:
            connection.close()

    sweeper = threading.Thread(target=sweep)
    sweeper.start()
    assert inside.wait(30)
    reporter = threading.Thread(target=report)
    reporter.start()
    time.sleep(0.5)
    assert reporter.is_alive(), "the report did not wait for the sweep's lock"
    release.set()
    sweeper.join(30)
    reporter.join(30)
    close_old_connections()
    assert result.get("marked") == 1 and "error" not in result
    overdue = str(Hazard.Status.OVERDUE.label)
    assert overdue in result["refused"] or "逾期" in result["refused"]
    assert [(r.from_state, r.to_state) for r in records(hazard)] == [(S.REGISTERED, S.OVERDUE)]


def test_sweeps_at_once_mark_each_hazard_once(world):
    past = timezone.now() - timedelta(minutes=1)
    hazards = [make_hazard(world.acme if n % 2 else world.far, deadline=past) for n in range(30)]

    def sweep():
        return services.overdue_sweep(batch=4)

    outcome = run_together([sweep for _ in range(3)])
    assert sum(outcome.successes) == 30
    assert {reload(h).status for h in hazards} == {S.OVERDUE}
    with scopes_disabled():
        per_hazard = {h.pk: len(records(h)) for h in hazards}
        notified = Notification.objects.count()
    assert set(per_hazard.values()) == {1}
    assert notified == 30  # one notification per hazard (each enterprise has one manager)
    assert services.overdue_sweep() == 0
