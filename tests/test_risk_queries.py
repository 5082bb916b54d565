"""Risk pages cost a fixed number of queries however many rows they show (2 rows vs 30; no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hazards import services
from hazards.models import EnterpriseRiskGrade, RiskGrading, RiskPoint, SharedRiskPoint, SitePlan, TransferLog
from safety.tenancy import scopes_disabled

from .factories import actor_for
from .risk_world import english, factor, make_point  # noqa: F401  (english: autouse)

CEILING = 30
FEW, MANY = 2, 30


class Rows:
    """Per kind of page: points with two factors of two measures each (and positions on the map, a pending
    re-grading), log entries, grades, typical points of the shared library; plus one point with many factors."""

    def __init__(self, world) -> None:
        self.world = world
        self.n = 0
        self.detail = make_point(world.alice, "详情点", factors=[factor("因素0", "措施0a", "措施0b")])

    def grow_to(self, n: int) -> None:
        w = self.world
        alice = actor_for(w.alice)
        while self.n < n:
            i = self.n
            point = make_point(
                w.alice,
                f"查询计数点{i:03d}",
                factors=[factor(f"因素{i}a", "措施一", "措施二"), factor(f"因素{i}b", "措施三", "措施四")],
            )
            services.risk_point_set_position(actor=alice, point_id=point.pk, x=i % 100, y=(i * 7) % 100)
            with scopes_disabled():
                RiskPoint.objects.filter(pk=point.pk).update(needs_regrading=i % 2 == 0)
                TransferLog.objects.create(
                    enterprise=w.acme, kind="export", subject="risk_points", rows=i, user=w.alice.user
                )
                EnterpriseRiskGrade.objects.create(
                    enterprise=w.acme, grade="ABCD"[i % 4], basis=f"依据{i}", set_by=w.alice.user
                )
                SharedRiskPoint.objects.create(
                    industry="hazardous_chemicals",
                    category="facility",
                    name=f"典型风险点{i:03d}",
                    method="lec",
                    values={"l": "3", "e": "6", "c": "15"},
                    factors=[{"kind": "unsafe_act", "description": "违章", "measures": [{"description": "培训"}]}],
                )
            self.n += 1
        # The detail page's point: n factors of two measures, and n gradings in its history.
        services.risk_point_update(
            actor=alice,
            point_id=self.detail.pk,
            details=services.RiskPointDetails(category="facility", name="详情点", place="罐区"),
            factors=[factor(f"因素{k}", f"措施{k}a", f"措施{k}b") for k in range(n)],
        )
        with scopes_disabled():
            have = RiskGrading.objects.filter(risk_point=self.detail).count()
            RiskGrading.objects.bulk_create(
                RiskGrading(
                    enterprise=w.acme, risk_point=self.detail, method="lec", values={"l": "1"}, score=1, level="low"
                )
                for _ in range(max(0, n - have))
            )


PAGES = [
    pytest.param("alice", "hazards:risk_point_list", id="risk-point-list-manager"),
    pytest.param("bob", "hazards:risk_point_list", id="risk-point-list-viewer"),
    pytest.param("alice", "hazards:risk_transfer_log", id="transfer-log"),
    pytest.param("alice", "hazards:risk_grade", id="enterprise-grade"),
    pytest.param("alice", "hazards:risk_shared_library", id="shared-library"),
    pytest.param("alice", "hazards:risk_map", id="risk-map"),
    pytest.param("alice", "hazards:risk_point_detail", id="risk-point-detail"),
    pytest.param("alice", "hazards:risk_point_edit", id="risk-point-edit"),
]


def _measure(c: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200, f"{url} → {response.status_code}"
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("who", "name"), PAGES)
def test_query_count_does_not_grow_with_rows(world, login, who, name):
    rows = Rows(world)
    c = login(getattr(world, who), Client())
    url = reverse(name, args=[rows.detail.pk]) if name.endswith(("_detail", "_edit")) else reverse(name)
    rows.grow_to(FEW)
    c.get(url)  # warm-up
    few = _measure(c, url)
    rows.grow_to(MANY)
    many = _measure(c, url)
    assert few <= CEILING
    # The inbox of re-gradings may add its one overflow COUNT once it has more than it shows (approvals.inbox).
    assert few <= many <= few + 1, f"{url} as {who}: {few} queries with {FEW} rows, {many} with {MANY}"


def test_the_rows_are_on_the_pages(world, login):
    rows = Rows(world)
    rows.grow_to(MANY)
    with scopes_disabled():
        SitePlan.objects.create(enterprise=world.acme, image="site-plans/plan.png")
    c = login(world.alice, Client())
    assert c.get(reverse("hazards:risk_point_list")).content.decode().count('data-testid="risk-point-row"') == 25
    assert c.get(reverse("hazards:risk_map")).content.decode().count('data-testid="risk-dot"') == MANY
    detail = c.get(reverse("hazards:risk_point_detail", args=[rows.detail.pk])).content.decode()
    assert detail.count("措施") >= 2 * MANY and detail.count('data-testid="grading-row"') >= MANY
    assert c.get(reverse("hazards:risk_shared_library")).content.decode().count('data-testid="shared-row"') == MANY


@pytest.mark.parametrize("template", ["ledger", "boards"])
def test_printables_queries_are_flat(world, login, template):
    """The ledger and the boards read points, factors and measures in three queries, however many."""
    from django.test import RequestFactory

    from hazards import selectors, views
    from safety.tenancy import actor_scope

    rows = Rows(world)

    def count() -> int:
        request = RequestFactory().get("/")
        request.actor = actor_for(world.alice)
        request.user = request.actor.user
        with actor_scope(request.actor), CaptureQueriesContext(connection) as ctx:
            points = selectors.risk_points_with_factors(selectors.risk_points_for_actor(request.actor))
            if template == "ledger":
                views.risk_render_printable("pdf/ledger.html", views.risk_ledger_context(request, points), request)
            else:
                views.risk_render_printable("pdf/board.html", views.risk_board_context(request, points), request)
        return len(ctx.captured_queries)

    rows.grow_to(FEW)
    few = count()
    rows.grow_to(MANY)
    assert count() == few <= 12
