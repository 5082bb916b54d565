"""generate_volume (benchmark data): refuses a database with hazards, and writes rows the models accept."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from enterprises.models import Enterprise, Membership
from hazards.management.commands.generate_volume import MARKER
from hazards.models import Hazard, RiskPoint, SupervisedListing
from safety.tenancy import scopes_disabled

from .factories import is_postgresql

pytestmark = pytest.mark.skipif(not is_postgresql(), reason="COPY needs PostgreSQL")


def generate(**options) -> str:
    out = io.StringIO()
    call_command("generate_volume", stdout=out, **options)
    return out.getvalue()


def indexes(table: str) -> set[str]:
    with connection.cursor() as c:
        c.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return {row[0] for row in c.fetchall()}


@pytest.mark.django_db
def test_refuses_a_database_that_holds_hazards(world):
    with scopes_disabled():
        Hazard.objects.create(enterprise=world.acme, title="真实隐患")
    with pytest.raises(CommandError, match="already holds hidden hazards"):
        generate(enterprises=1, hazards=1, risk_points=0)
    with scopes_disabled():
        assert Hazard.objects.count() == 1 and not Enterprise.unscoped.filter(description=MARKER).exists()


@pytest.mark.django_db
def test_adding_needs_generated_enterprises(world):
    with pytest.raises(CommandError, match="No generated enterprises"):
        generate(enterprises=0, hazards=10, risk_points=0)


@pytest.mark.django_db
def test_generates_consistent_rows_and_keeps_the_indexes():
    before = indexes("hazards_hazard"), indexes("hazards_riskpoint")
    text = generate(enterprises=6, hazards=400, risk_points=50, seed=3, region="510500000000")
    assert "hazards: 400" in text
    assert (indexes("hazards_hazard"), indexes("hazards_riskpoint")) == before
    with scopes_disabled():
        generated = Enterprise.unscoped.filter(description=MARKER).select_related("region", "owning_body__region")
        assert generated.count() == 6
        for e in generated:
            # Placed under 泸州市, owned by a body whose jurisdiction covers the enterprise's region.
            assert e.region.code.startswith("5105") and e.region.path.startswith(e.owning_body.region.path)
            assert Membership.objects.filter(enterprise=e, role="enterprise_admin").count() == 1
        hazards = Hazard.objects.all()
        assert hazards.count() == 400 and RiskPoint.objects.count() == 50
        statuses = set(hazards.values_list("status", flat=True))
        assert statuses <= set(Hazard.Status.values) and Hazard.Status.CLOSED in statuses
        assert not hazards.filter(status=Hazard.Status.CLOSED, closed_at__isnull=True).exists()
        assert not hazards.filter(closed_on_time__isnull=False).exclude(status=Hazard.Status.CLOSED).exists()
        assert not hazards.filter(kind=Hazard.Kind.MAJOR).exclude(level=Hazard.Level.MAJOR).exists()
        assert not hazards.filter(source="government", registered_by_body__isnull=True).exists()
        assert set(SupervisedListing.objects.values_list("hazard__level", flat=True)) <= {"major"}
        # A second run adds hazards to the same enterprises, when told so.
        generate(enterprises=0, hazards=100, risk_points=0, i_know=True, seed=4)
        assert Hazard.objects.count() == 500 and generated.count() == 6
