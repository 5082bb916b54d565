"""Admin querysets are scoped for non-superusers: a staff member of one tenant sees that tenant only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission


@pytest.fixture
def staff_alice(world):
    user = world.alice.user
    user.is_staff = True
    user.save()
    codenames = ["view_enterprise", "view_membership", "view_operationlog", "view_reviewrecord"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return world.alice


@pytest.mark.parametrize(
    ("url", "own", "foreign"),
    [
        ("/admin/enterprises/enterprise/", "阿克米化工有限公司", "贵阳远方公司"),
        ("/admin/enterprises/membership/", "alice", "charlie"),
    ],
)
def test_staff_changelists_show_only_their_tenant(world, staff_alice, login, url, own, foreign):
    html = login(staff_alice).get(url).content.decode()
    assert own in html
    assert foreign not in html


def test_staff_cannot_open_another_tenants_object(world, staff_alice, login):
    c = login(staff_alice)
    assert c.get(f"/admin/enterprises/enterprise/{world.acme.pk}/change/").status_code == 200
    r = c.get(f"/admin/enterprises/enterprise/{world.far.pk}/change/", follow=True)
    assert "贵阳远方公司" not in r.content.decode()


def test_superuser_sees_every_tenant(world, login, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-Secret-123")
    from django.test import Client

    c = Client()
    c.force_login(admin)
    html = c.get("/admin/enterprises/enterprise/").content.decode()
    assert "阿克米化工有限公司" in html and "贵阳远方公司" in html
