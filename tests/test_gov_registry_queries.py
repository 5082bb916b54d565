"""The government's enterprise lists, map points and file page cost a fixed number of queries, however many
enterprises the jurisdiction holds (no N+1): measured with 2 rows and again with 30."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from enterprises.models import EconomicClass, Membership
from enterprises.reference import load_economic_classes

from .factories import EnterpriseFactory, MembershipFactory, UserFactory

FEW, MANY = 2, 30
CEILING = 25


class Rows:
    """Enterprises of 南城办 with everything a row shows: economic class, size, a point, an administrator;
    every third one deleted (for the deleted tab)."""

    def __init__(self, world) -> None:
        self.world = world
        self.n = 0
        load_economic_classes()
        self.classes = list(EconomicClass.objects.exclude(level="section").order_by("code")[:10])

    def grow_to(self, n: int) -> None:
        w = self.world
        while self.n < n:
            i = self.n
            enterprise = EnterpriseFactory(
                name=f"计数企业{i:03d}",
                owning_body=w.nancheng_office,
                region=w.nancheng,
                status=("approved", "pending", "rejected")[i % 3],
                economic_class=self.classes[i % len(self.classes)],
                size_class="small",
                latitude=Decimal("28.8") + Decimal(i) / 1000,
                longitude=Decimal("105.4"),
                deleted_at="2026-01-05T08:00:00+08:00" if i % 3 == 2 else None,
            )
            MembershipFactory(
                user=UserFactory(username=f"count_admin_{i}"),
                enterprise=enterprise,
                role=Membership.Role.ENTERPRISE_ADMIN,
            )
            self.n += 1


@pytest.fixture
def rows(world) -> Rows:
    return Rows(world)


PAGES = [
    pytest.param("/gov/enterprises/", id="all"),
    pytest.param("/gov/enterprises/pending/", id="pending"),
    pytest.param("/gov/enterprises/rejected/", id="rejected"),
    pytest.param("/gov/enterprises/deleted/", id="deleted"),
    pytest.param("/gov/enterprises/?size_class=small&has_major_hazard_source=false", id="filtered"),
    pytest.param("/gov/enterprises/map/", id="map"),
    pytest.param("/gov/enterprises/map/points/", id="map-points"),
]


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", PAGES)
def test_list_query_count_is_flat(world, rows, login, url):
    client = login(world.gov_alice)
    rows.grow_to(FEW)
    client.get(url)  # warm per-process caches
    few = _count(client, url)
    rows.grow_to(MANY)
    many = _count(client, url)
    assert few == many, f"{url}: {few} queries with {FEW} rows, {many} with {MANY}"
    assert many <= CEILING


def test_export_query_count_is_flat(world, rows, login, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 1000
    client = login(world.gov_alice)
    url = "/gov/enterprises/?export=xlsx"
    rows.grow_to(FEW)
    client.get(url)
    few = _count(client, url)
    rows.grow_to(MANY)
    assert _count(client, url) == few
