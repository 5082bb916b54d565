"""Rules that cross the registry's areas (found when the areas were put together)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

from approvals.models import Notification
from enterprises import selectors, services
from enterprises.models import Certificate, Enterprise, Staff
from safety.tenancy import actor_scope, scopes_disabled

from .factories import EnterpriseFactory


def test_a_soft_deleted_registration_leaves_the_review_queue(world):
    pending = EnterpriseFactory(status="pending", owning_body=world.nancheng_office, region=world.nancheng)
    actor = world.actor("gov_alice")
    with actor_scope(actor):
        assert pending in selectors.registrations_for_actor(actor)
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=pending.pk).update(deleted_at=timezone.now(), deleted_reason="duplicate")
    with actor_scope(actor):
        assert pending not in selectors.registrations_for_actor(actor)
    from django.http import Http404

    with pytest.raises(Http404):
        services.registration_approve(actor=actor, enterprise_id=pending.pk)


@pytest.mark.parametrize(("role", "status"), [("student", "pending"), ("teacher", "active"), ("staff", "active")])
def test_accounts_made_by_the_enterprise_start_as_the_role_requires(world, role, status):
    world.acme.is_university = True
    with scopes_disabled():
        world.acme.save(update_fields=["is_university"])
        staff = Staff.objects.create(enterprise=world.acme, name=f"{role} 甲")
    membership, _password = services.user_create(
        actor=world.actor("alice"), staff_id=staff.pk, username=f"new_{role}", role=role
    )
    assert membership.status == status


def _lock_out(client, username: str) -> None:
    for _ in range(5):
        client.post("/accounts/login/", {"username": username, "password": "wrong-password"})
    assert AccessAttempt.objects.filter(username=username).exists()


def test_a_password_reset_by_the_owning_body_lifts_the_lockout(world, client, django_capture_on_commit_callbacks):
    _lock_out(client, "alice")
    with django_capture_on_commit_callbacks(execute=True):
        _user, password = services.enterprise_admin_password_reset(
            actor=world.actor("gov_alice"), enterprise_id=world.acme.pk, username="alice"
        )
    assert not AccessAttempt.objects.filter(username="alice").exists()
    response = client.post("/accounts/login/", {"username": "alice", "password": password})
    assert response.status_code == 302


def test_a_password_reset_by_the_enterprise_admin_lifts_the_lockout(world, client, django_capture_on_commit_callbacks):
    _lock_out(client, "bob")
    with django_capture_on_commit_callbacks(execute=True):
        password = services.membership_reset_password(actor=world.actor("alice"), membership_id=world.bob.pk)
    assert not AccessAttempt.objects.filter(username="bob").exists()
    assert client.post("/accounts/login/", {"username": "bob", "password": password}).status_code == 302


@time_machine.travel(date(2026, 6, 1), tick=False)
def test_correcting_a_certificate_within_its_stage_sends_no_second_reminder(world):
    with scopes_disabled():
        staff = Staff.objects.create(enterprise=world.acme, name="焊工甲")
    details = services.CertificateDetails(
        kind="special_operations", number="T1", operation_type="焊接与热切割", expires_on=date(2026, 6, 20)
    )
    certificate = services.certificate_create(actor=world.actor("alice"), staff_id=staff.pk, details=details)
    services.expiry_reminders_sweep()
    with scopes_disabled():
        assert Certificate.objects.get(pk=certificate.pk).reminder_stage == "expiring"
        sent = Notification.objects.count()
    details.expires_on = date(2026, 6, 22)  # a typo fixed: still expiring within the window
    services.certificate_update(actor=world.actor("alice"), certificate_id=certificate.pk, details=details)
    services.expiry_reminders_sweep()
    with scopes_disabled():
        assert Notification.objects.count() == sent
    details.expires_on = date(2026, 6, 1) + timedelta(days=365 * 3)  # renewed: reminders start again later
    services.certificate_update(actor=world.actor("alice"), certificate_id=certificate.pk, details=details)
    with scopes_disabled():
        assert Certificate.objects.get(pk=certificate.pk).reminder_stage == ""


def test_the_government_file_shows_the_department_tree(world, login):
    from enterprises.models import Department

    with scopes_disabled():
        top = Department.objects.create(enterprise=world.acme, name="生产部", level="department")
        Department.objects.create(enterprise=world.acme, parent=top, name="合成车间", level="workshop")
        Department.objects.create(enterprise=world.far, name="远方部门", level="department")
    html = login(world.gov_alice).get(f"/gov/enterprise/{world.acme.pk}/").content.decode()
    section = html[html.index('data-testid="departments-section"') :]
    assert section.index("生产部") < section.index("合成车间")
    assert "远方部门" not in html
