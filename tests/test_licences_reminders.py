"""The daily expiry job (enterprises.tasks.sweep_expiry_reminders): one notification per stage and document,
idempotent, reset by a renewal; licences and staff certificates alike. Time travels with time-machine."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.utils import translation

from approvals.models import Notification, NotificationDelivery
from enterprises import services
from enterprises.models import Certificate, Licence, Membership, ReminderStage, Staff
from enterprises.services import LicenceDetails
from enterprises.tasks import EXPIRY_REMINDERS_TASK, sweep_expiry_reminders
from safety.tenancy import scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory, actor_for

S = ReminderStage
END = date(2026, 6, 30)  # the licence's last valid day
_n = itertools.count(1)


def at(day: date, hour: int = 0, minute: int = 35):
    """The moment beat runs the job on ``day`` (Shanghai time)."""
    return time_machine.travel(f"{day.isoformat()} {hour:02d}:{minute:02d}:00+08:00", tick=False)


def sweep() -> services.SweepResult:
    # Notification texts are written in the active language (production: settings.LANGUAGE_CODE); English here.
    with translation.override("en"):
        return services.expiry_reminders_sweep()


@pytest.fixture(autouse=True)
def window(settings):
    settings.LICENCE_REMINDER_DAYS = 30
    return 30


@pytest.fixture
def people(world):
    """acme's recipients: alice (admin) and a safety manager; not bob (staff), not charlie (elsewhere)."""
    manager = MembershipFactory(
        user=UserFactory(username="safety_sam"), enterprise=world.acme, role=Membership.Role.SAFETY_MANAGER
    )
    disabled = MembershipFactory(
        user=UserFactory(username="former_admin"),
        enterprise=world.acme,
        role=Membership.Role.ENTERPRISE_ADMIN,
        status=Membership.Status.DISABLED,
    )
    return {"told": [world.alice.user, manager.user], "not_told": [world.bob.user, world.charlie.user, disabled.user]}


def licence(enterprise, *, end: date | None = END, long_term: bool = False, number: str | None = None) -> Licence:
    with scopes_disabled():
        return Licence.objects.create(
            enterprise=enterprise,
            kind=Licence.Kind.SAFETY_PRODUCTION,
            number=number or f"AQ-{next(_n):05d}",
            valid_until=None if long_term else end,
            long_term=long_term,
        )


def certificate(enterprise, *, end: date | None = END, active: bool = True) -> Certificate:
    with scopes_disabled():
        staff = Staff.objects.create(enterprise=enterprise, name=f"持证人{next(_n)}", is_active=active)
        return Certificate.objects.create(
            enterprise=enterprise,
            staff=staff,
            kind=Certificate.Kind.SPECIAL_OPERATIONS,
            number=f"T{next(_n)}",
            expires_on=end,
        )


def notes(user, mark: str = "") -> list[Notification]:
    with scopes_disabled():
        return list(Notification.objects.filter(recipient=user, body__contains=mark).order_by("pk"))


def stage(obj) -> str:
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk).reminder_stage


# --------------------------------------------------------------------------------------------------------
# One notification per stage
# --------------------------------------------------------------------------------------------------------


def test_one_notification_per_stage_over_the_life_of_a_licence(world, people):
    lic = licence(world.acme)
    timeline = [
        # (day, expected stage, notifications each recipient has about this licence)
        (END - timedelta(days=60), S.NONE, 0),
        (END - timedelta(days=31), S.NONE, 0),  # one day before the window
        (END - timedelta(days=30), S.EXPIRING, 1),  # the window opens: the first reminder
        (END - timedelta(days=29), S.EXPIRING, 1),
        (END, S.EXPIRING, 1),  # the last valid day: still expiring, nothing new
        (END + timedelta(days=1), S.EXPIRED, 2),  # the day after: the second and last reminder
        (END + timedelta(days=200), S.EXPIRED, 2),
    ]
    for day, expected_stage, expected_count in timeline:
        for _ in range(2):  # run twice each day: the second run does nothing
            with at(day):
                sweep()
            assert stage(lic) == expected_stage, day
            for user in people["told"]:
                assert len(notes(user, lic.number)) == expected_count, (day, user)
    for user in people["not_told"]:
        assert notes(user, lic.number) == []
    expiring, expired = notes(world.alice.user, lic.number)
    assert expiring.title.startswith("Licence expiring") and expired.title.startswith("Licence expired")
    assert expiring.url == f"/org/licences/{lic.pk}/" == expired.url
    assert "2026-06-30" in expired.body


def test_run_twice_on_the_same_day_sends_each_reminder_once(world, people):
    docs = [licence(world.acme, end=END - timedelta(days=d)) for d in range(0, 60, 7)]
    with at(END - timedelta(days=20)):
        first = sweep()
        second = sweep()
    assert first.licences_notified == len([d for d in docs if d.valid_until <= END + timedelta(days=10)])
    assert (second.licences_changed, second.licences_notified) == (0, 0)
    for doc in docs:
        for user in people["told"]:
            assert len(notes(user, doc.number)) == (1 if stage(doc) != S.NONE else 0)


def test_a_document_found_already_expired_gets_one_reminder_not_two(world, people):
    lic = licence(world.acme, end=END)
    with at(END + timedelta(days=3)):
        result = sweep()
    assert (result.licences_changed, result.licences_notified) == (1, 1)
    assert stage(lic) == S.EXPIRED
    [note] = notes(world.alice.user, lic.number)
    assert note.title.startswith("Licence expired")


def test_long_term_licences_are_never_reminded(world, people):
    lic = licence(world.acme, long_term=True)
    for day in (END, END + timedelta(days=3650)):
        with at(day):
            assert sweep().licences_changed == 0
    assert stage(lic) == S.NONE and notes(world.alice.user, lic.number) == []


def test_renewal_through_the_service_resets_the_stage(world, people):
    lic = licence(world.acme, end=END)
    with at(END + timedelta(days=1)):
        sweep()
    assert stage(lic) == S.EXPIRED
    renewed = END + timedelta(days=3 * 365)
    with at(END + timedelta(days=2)):
        services.licence_update(
            actor=actor_for(world.alice),
            licence_id=lic.pk,
            details=LicenceDetails(kind=lic.kind, number=lic.number, valid_until=renewed),
        )
        assert stage(lic) == S.NONE
        assert sweep().licences_notified == 0
    assert len(notes(world.alice.user, lic.number)) == 1  # the "expired" reminder, and nothing since
    # The renewed licence approaches its new end: reminded again, once per stage.
    with at(renewed - timedelta(days=10)):
        sweep()
        sweep()
    assert stage(lic) == S.EXPIRING
    assert len(notes(world.alice.user, lic.number)) == 2
    with at(renewed + timedelta(days=1)):
        sweep()
    assert len(notes(world.alice.user, lic.number)) == 3


def test_a_correction_inside_the_same_stage_sends_nothing_new(world, people):
    lic = licence(world.acme, end=END)
    with at(END - timedelta(days=10)):
        sweep()
        services.licence_update(
            actor=actor_for(world.alice),
            licence_id=lic.pk,
            details=LicenceDetails(kind=lic.kind, number=lic.number, valid_until=END + timedelta(days=1)),
        )
        assert stage(lic) == S.EXPIRING  # still expiring: the reminder already sent stands
        sweep()
    assert len(notes(world.alice.user, lic.number)) == 1


def test_switching_to_long_term_resets_the_stage(world, people):
    lic = licence(world.acme, end=END)
    with at(END - timedelta(days=1)):
        sweep()
        services.licence_update(
            actor=actor_for(world.alice),
            licence_id=lic.pk,
            details=LicenceDetails(kind=lic.kind, number=lic.number, long_term=True),
        )
    assert stage(lic) == S.NONE


# --------------------------------------------------------------------------------------------------------
# Staff certificates
# --------------------------------------------------------------------------------------------------------


def test_certificates_are_reminded_once_per_stage(world, people):
    cert = certificate(world.acme)
    none = certificate(world.acme, end=None)
    left = certificate(world.acme, active=False)
    for day, expected_stage, expected in [
        (END - timedelta(days=31), S.NONE, 0),
        (END - timedelta(days=30), S.EXPIRING, 1),
        (END, S.EXPIRING, 1),
        (END + timedelta(days=1), S.EXPIRED, 2),
    ]:
        with at(day):
            sweep()
            sweep()
        assert stage(cert) == expected_stage
        for user in people["told"]:
            assert len(notes(user, cert.number)) == expected
    assert notes(world.alice.user, none.number) == [] and stage(none) == S.NONE
    assert notes(world.alice.user, left.number) == []  # someone who has left reminds nobody
    [expiring, expired] = notes(world.alice.user, cert.number)
    assert cert.staff.name in expiring.title and cert.staff.name in expired.title


def test_a_certificate_renewed_elsewhere_is_reset_silently(world, people):
    """The staff screens (another area) may change expires_on without touching the stage: the job notices."""
    cert = certificate(world.acme)
    with at(END + timedelta(days=1)):
        sweep()
    assert stage(cert) == S.EXPIRED
    with scopes_disabled():
        Certificate.objects.filter(pk=cert.pk).update(expires_on=END + timedelta(days=1000))
    with at(END + timedelta(days=2)):
        result = sweep()
    assert (result.certificates_changed, result.certificates_notified) == (1, 0)
    assert stage(cert) == S.NONE
    assert len(notes(world.alice.user, cert.number)) == 1


# --------------------------------------------------------------------------------------------------------
# Scope of the job: tenants, deleted enterprises, recipients, batches
# --------------------------------------------------------------------------------------------------------


def test_each_enterprise_hears_only_of_its_own_documents(world, people):
    mine = licence(world.acme)
    theirs = licence(world.far)
    with at(END + timedelta(days=1)):
        sweep()
    assert len(notes(world.alice.user, mine.number)) == 1
    assert notes(world.alice.user, theirs.number) == []
    assert len(notes(world.charlie.user, theirs.number)) == 1
    assert notes(world.charlie.user, mine.number) == []


def test_university_lab_safety_office_is_told(world):
    uni = EnterpriseFactory(is_university=True, owning_body=world.nancheng_office, region=world.nancheng)
    officer = MembershipFactory(user=UserFactory(), enterprise=uni, role=Membership.Role.LAB_SAFETY_OFFICER)
    teacher = MembershipFactory(user=UserFactory(), enterprise=uni, role=Membership.Role.TEACHER)
    lic = licence(uni)
    with at(END):
        sweep()
    assert len(notes(officer.user, lic.number)) == 1 and notes(teacher.user, lic.number) == []


def test_soft_deleted_enterprises_are_left_alone(world, people):
    gone = EnterpriseFactory(owning_body=world.nancheng_office, region=world.nancheng, deleted_at="2026-01-01T00:00Z")
    admin = MembershipFactory(user=UserFactory(), enterprise=gone, role=Membership.Role.ENTERPRISE_ADMIN)
    lic = licence(gone)
    with at(END + timedelta(days=1)):
        result = sweep()
    assert result.licences_changed == 0 and stage(lic) == S.NONE and notes(admin.user) == []


def test_small_batches_cover_everything(world, people):
    docs = [licence(world.acme) for _ in range(7)]
    with at(END):
        result = services.expiry_reminders_sweep(batch=2)
    assert result.licences_notified == 7
    assert all(stage(d) == S.EXPIRING for d in docs)


def test_the_window_is_a_setting(world, people, settings):
    settings.LICENCE_REMINDER_DAYS = 60
    lic = licence(world.acme)
    with at(END - timedelta(days=45)):
        sweep()
    assert stage(lic) == S.EXPIRING


# --------------------------------------------------------------------------------------------------------
# Channels, the task and the beat entry
# --------------------------------------------------------------------------------------------------------


def test_configured_channels_deliver_once(world, people, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_CHANNELS = ["approvals.channels.EmailChannel"]
    lic = licence(world.acme)
    with at(END):
        with django_capture_on_commit_callbacks(execute=True):
            sweep()
        with django_capture_on_commit_callbacks(execute=True):
            sweep()
    to = sorted(addr for m in mail.outbox for addr in m.to)
    assert to == sorted(u.email for u in people["told"])
    assert all(lic.number in m.subject for m in mail.outbox)
    with scopes_disabled():
        assert NotificationDelivery.objects.filter(status="sent").count() == len(people["told"])


def test_the_task_runs_the_sweep(world, people):
    lic = licence(world.acme)
    with at(END):
        result = sweep_expiry_reminders.delay().get()
    assert result["licences_notified"] == 1 and stage(lic) == S.EXPIRING


def test_beat_enqueues_the_task_daily_after_half_past_midnight_shanghai():
    entry = django_settings.CELERY_BEAT_SCHEDULE["licence-expiry-reminders"]
    assert entry["task"] == EXPIRY_REMINDERS_TASK == sweep_expiry_reminders.name
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.hour == {0} and schedule.minute == {35}
    assert schedule.day_of_week == set(range(7))
    assert django_settings.CELERY_TIMEZONE == "Asia/Shanghai"
    from safety.celery import app

    app.loader.import_default_modules()
    assert EXPIRY_REMINDERS_TASK in app.tasks
