"""List pages cost a fixed number of queries, however many rows they show (no N+1).

Each page is requested once to warm per-process caches (content types, sessions), then measured with 2 rows
of data and again with 30: the counts must be equal, and under a sane ceiling.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals import audit
from approvals.inbox import providers as inbox_providers
from approvals.models import Notification, OperationLog
from approvals.notify import notify
from enterprises import services
from enterprises.models import Enterprise
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .factories import actor_for, valid_credit_code

CEILING = 25
FEW, MANY = 2, 30


class Rows:
    """Realistic rows, made through the services: registrations (with their review records, log entries and
    the reviewers' notifications), some approved and some rejected; and acme's own log and notifications."""

    def __init__(self, world) -> None:
        self.world = world
        self.n = 0

    def grow_to(self, n: int) -> None:
        w = self.world
        reviewer = actor_for(w.gov_alice)
        while self.n < n:
            i = self.n
            details = services.RegistrationDetails(
                name=f"查询计数企业{i:03d}有限公司",
                credit_code=valid_credit_code(),
                owning_body=w.nancheng_office,
                region=w.nancheng,
                industry="machinery",
                contact_name="联系人",
                contact_phone="13800000000",
            )
            account = services.ApplicantAccount(
                username=f"qc_applicant_{i}", password="pw-Secret-123", full_name="申请人"
            )
            enterprise = services.enterprise_register(
                actor=Actor(user=AnonymousUser()), details=details, account=account
            )
            if i % 3 == 1:
                services.registration_approve(actor=reviewer, enterprise_id=enterprise.pk, reason="ok")
            elif i % 3 == 2:
                services.registration_reject(actor=reviewer, enterprise_id=enterprise.pk, reason="补充材料")
            with scopes_disabled():
                notify(recipients=[w.alice.user], title=f"通知 {i}", body="正文", url="/")
                audit.log_operation(actor=actor_for(w.alice), action=OperationLog.Action.UPDATE, obj=w.acme)
            self.n += 1


@pytest.fixture
def rows(world) -> Rows:
    return Rows(world)


PAGES = [
    pytest.param("gov_alice", "/gov/registrations/all/", id="gov-registrations-all"),
    pytest.param("gov_alice", "/gov/registrations/pending/", id="gov-registrations-pending"),
    pytest.param("gov_alice", "/gov/registrations/rejected/", id="gov-registrations-rejected"),
    pytest.param("city_reviewer", "/gov/registrations/all/", id="city-registrations-all"),
    pytest.param("gov_alice", "/log/", id="gov-log"),
    pytest.param("alice", "/log/", id="enterprise-log"),
    pytest.param("gov_alice", "/notifications/", id="gov-notifications"),
    pytest.param("alice", "/notifications/", id="enterprise-notifications"),
    pytest.param("gov_alice", "/inbox/", id="gov-inbox"),
    pytest.param("alice", "/inbox/", id="enterprise-inbox"),
    pytest.param("gov_alice", "/", id="government-home"),
    pytest.param("alice", "/", id="enterprise-home"),
]


def _measure(c: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200, f"{url} → {response.status_code}"
    return [_normalise(q["sql"]) for q in ctx.captured_queries]


def _normalise(sql: str) -> str:
    sql = re.sub(r"'[^']*'::timestamptz", "'…'::timestamptz", sql)
    return re.sub(r"_django_curs_\d+_sync_\d+", "_django_curs", sql)


def _overflow_probes(few: list[str], many: list[str]) -> list[str]:
    """Queries in ``many`` beyond ``few`` if they are only the to-do inbox's overflow COUNTs, else None.

    approvals.inbox.inbox_sections fetches limit + 1 rows and runs COUNT(*) only when a section has more
    than it shows: one extra query per provider once a list overflows, then flat. Anything else is growth.
    """
    extra = list((Counter(many) - Counter(few)).elements())
    if len(many) - len(few) != len(extra):
        return None
    if len(extra) <= len(inbox_providers()) and all(q.startswith("SELECT COUNT(*)") for q in extra):
        return extra
    return None


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_query_count_does_not_grow_with_rows(world, login, rows, who, url):
    c = login(getattr(world, who), Client())
    rows.grow_to(FEW)
    c.get(url)  # warm-up
    few = _measure(c, url)
    rows.grow_to(MANY)
    many = _measure(c, url)
    assert len(few) <= CEILING, f"{url} as {who}: {len(few)} queries with {FEW} rows\n" + "\n".join(few)
    if len(many) != len(few):
        extra = _overflow_probes(few, many)
        assert extra is not None, (
            f"{url} as {who}: {len(few)} queries with {FEW} rows, {len(many)} with {MANY} (N+1?)\n" + "\n".join(many)
        )
        # A fixed step, not growth: twice the rows cost exactly the same.
        rows.grow_to(MANY * 2)
        more = _measure(c, url)
        assert len(more) == len(many), (
            f"{url} as {who}: {len(many)} queries with {MANY} rows, {len(more)} with {MANY * 2}"
        )
    assert len(many) <= CEILING


def test_the_rows_are_on_the_pages(world, login, rows):
    """The measurement is only worth something if the pages actually show the rows."""
    rows.grow_to(MANY)
    with scopes_disabled():
        pending = Enterprise.unscoped.filter(status=Enterprise.Status.PENDING, owning_body=world.nancheng_office)
        assert pending.count() == MANY // 3
        assert Notification.objects.filter(recipient=world.alice.user).count() == MANY
    gov = login(world.gov_alice, Client())
    html = gov.get("/gov/registrations/all/").content.decode()
    assert html.count("查询计数企业") >= 20  # a page of the table (25 rows, acme among them)
    assert gov.get("/inbox/").content.decode().count("查询计数企业") == MANY // 3
    assert "查询计数企业" in gov.get("/").content.decode()
    log = gov.get("/log/").content.decode()
    assert "查询计数企业" in log
    alice = login(world.alice, Client())
    assert alice.get("/notifications/").content.decode().count('data-testid="notification"') == MANY
    assert alice.get("/log/").content.decode().count(world.acme.name) >= 25


@pytest.mark.parametrize("url", ["/gov/registrations/all/", "/log/"])
def test_later_pages_cost_the_same(world, login, rows, url):
    rows.grow_to(MANY * 2)
    c = login(world.gov_alice, Client())
    c.get(url)
    first = _measure(c, url)
    assert len(_measure(c, url + "?page=2")) == len(first)
    # Past the end: LazyPaginator probes the page, finds it empty and shows the last one (one query more).
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url, {"page": "999"})
    assert response.status_code in (200, 404)
    assert len(ctx.captured_queries) <= len(first) + 1


@pytest.mark.parametrize("url", ["/gov/registrations/all/", "/log/", "/"])
def test_page_shell_counts_run_once(world, login, rows, url):
    """The top bar's counts are computed once per request, even where a table renders its own template."""
    rows.grow_to(FEW)
    c = login(world.gov_alice, Client())
    c.get(url)
    unread = [q for q in _measure(c, url) if q.startswith("SELECT COUNT(*)") and "approvals_notification" in q]
    assert len(unread) == 1, unread
