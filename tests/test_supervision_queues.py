"""The government's hazard queues: tab membership, filters, keyset pagination, permissions, export, query counts."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from hazards import selectors
from hazards import supervision as sv
from hazards.models import Hazard, SupervisedListing
from hazards.views import SupervisionQueueView
from safety.models import ExportJob
from safety.tenancy import actor_scope, scopes_disabled

from .factories import EnterpriseFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
S, L = Hazard.Status, Hazard.Level


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def make(enterprise, title: str, *, status=S.REGISTERED, level=L.GENERAL, found_at=None, deadline_days=30, **extra):
    now = timezone.now()
    found_at = found_at or now - timedelta(days=1)
    with scopes_disabled():
        return Hazard.objects.create(
            enterprise=enterprise,
            title=title,
            number=title,
            level=level,
            kind=Hazard.Kind.MAJOR if level == L.MAJOR else Hazard.Kind.DEADLINE,
            found_at=found_at,
            deadline=now + timedelta(days=deadline_days),
            status=status,
            closed_at=now if status == S.CLOSED else None,
            closed_on_time=True if status == S.CLOSED else None,
            **extra,
        )


def listing(hazard, body, status=SupervisedListing.Status.LISTED):
    with scopes_disabled():
        return SupervisedListing.objects.create(
            enterprise_id=hazard.enterprise_id, hazard=hazard, body=body, notice="挂牌督办", status=status
        )


@pytest.fixture
def queue_world(world):
    w = world
    a = w.acme
    hours = iter(range(100, 0, -1))

    def at():
        return timezone.now() - timedelta(hours=next(hours))

    made = {
        "gen_open": make(a, "gen_open", found_at=at()),
        "gen_late": make(a, "gen_late", status=S.RECTIFYING, deadline_days=-1, found_at=at()),
        "gen_overdue": make(a, "gen_overdue", status=S.OVERDUE, deadline_days=-3, found_at=at()),
        "ext": make(a, "ext", status=S.EXTENSION_REQUESTED, level=L.MAJOR, deadline_days=-3, found_at=at()),
        "major_reported": make(a, "major_reported", status=S.REPORTED, level=L.MAJOR, found_at=at()),
        "gov_reported": make(
            a,
            "gov_reported",
            status=S.REPORTED,
            source=Hazard.Source.GOVERNMENT,
            registered_by_body=w.nancheng_office,
            found_at=at(),
        ),
        "self_reported": make(a, "self_reported", status=S.REPORTED, found_at=at()),
        "listed": make(a, "listed", status=S.RECTIFYING, level=L.MAJOR, found_at=at()),
        "delisting": make(a, "delisting", status=S.CLOSED, level=L.MAJOR, found_at=at()),
        "delisted": make(a, "delisted", status=S.CLOSED, level=L.MAJOR, found_at=at()),
        "closed": make(a, "closed", status=S.CLOSED, found_at=at()),
        "other_major": make(w.other, "other_major", level=L.MAJOR, source=Hazard.Source.COMPLAINT, found_at=at()),
        "far_major": make(w.far, "far_major", level=L.MAJOR, status=S.OVERDUE, deadline_days=-1, found_at=at()),
    }
    listing(made["listed"], w.nancheng_office)
    listing(made["delisting"], w.nancheng_office, SupervisedListing.Status.DELISTING_REQUESTED)
    listing(made["delisted"], w.nancheng_office, SupervisedListing.Status.DELISTED)
    listing(made["far_major"], w.guiyang_bureau)
    return made


def titles(actor, tab: str, **params) -> set[str]:
    query = QueryDict(mutable=True)
    for k, v in params.items():
        query[k] = v
    with actor_scope(actor):
        filterset, _table = SupervisionQueueView.build_list(actor, query, tab=tab)
        return set(filterset.qs.values_list("title", flat=True))


ACME_TABS = {
    "major": {"ext", "major_reported", "listed", "delisting", "delisted"},
    "general": {"gen_open", "gen_late", "gen_overdue", "gov_reported", "self_reported", "closed"},
    # Marked overdue, awaiting the extension, or open and already past the deadline (the sweep has not run yet).
    "overdue": {"gen_late", "gen_overdue", "ext"},
    "listed": {"listed", "delisting"},
    # government_reviews (major, or registered by a body) and awaiting a decision.
    "review": {"ext", "major_reported", "gov_reported"},
}


@pytest.mark.parametrize("tab", list(ACME_TABS))
def test_tab_membership(queue_world, world, tab):
    assert titles(world.actor("gov_alice"), tab) == ACME_TABS[tab]


@pytest.mark.parametrize(
    ("who", "tab", "expected"),
    [
        ("city_reviewer", "major", ACME_TABS["major"] | {"other_major"}),
        ("city_reviewer", "listed", ACME_TABS["listed"]),
        ("gov_bob", "review", ACME_TABS["review"]),  # a read-only leader sees the queue too
        ("gov_charlie", "major", {"far_major"}),
        ("gov_charlie", "overdue", {"far_major"}),
        ("gov_charlie", "listed", {"far_major"}),
        ("gov_charlie", "general", set()),
    ],
)
def test_queues_follow_the_jurisdiction(queue_world, world, who, tab, expected):
    assert titles(world.actor(who), tab) == expected


@pytest.mark.parametrize(
    ("tab", "params", "expected"),
    [
        ("major", {"region": "nancheng"}, ACME_TABS["major"]),
        ("major", {"region": "longmatan"}, {"other_major"}),
        ("major", {"region": "jiangyang"}, ACME_TABS["major"]),
        ("major", {"industry": "hazardous_chemicals"}, ACME_TABS["major"]),
        ("major", {"industry": "machinery"}, {"other_major"}),
        ("major", {"enterprise": "龙马潭"}, {"other_major"}),
        ("major", {"enterprise": "阿克米"}, ACME_TABS["major"]),
        ("major", {"status": "closed"}, {"delisting", "delisted"}),
        ("major", {"source": "complaint"}, {"other_major"}),
        ("general", {"source": "government"}, {"gov_reported"}),
        ("general", {"level": "major"}, set()),
        ("review", {"level": "major"}, {"ext", "major_reported"}),
        ("general", {"status": "reported"}, {"gov_reported", "self_reported"}),
    ],
)
def test_filters(queue_world, world, tab, params, expected):
    params = {k: getattr(world, v).pk if k == "region" else v for k, v in params.items()}
    assert titles(world.actor("city_reviewer"), tab, **params) == expected


def test_found_date_filters_use_local_days(world):
    first = make(world.acme, "first", found_at=datetime(2026, 2, 1, 0, 30, tzinfo=SHANGHAI))
    make(world.acme, "last", found_at=datetime(2026, 1, 31, 23, 30, tzinfo=SHANGHAI))
    assert first.found_at.astimezone(ZoneInfo("UTC")).day == 31  # still January in UTC
    actor = world.actor("gov_alice")
    assert titles(actor, "general", found_from="2026-02-01") == {"first"}
    assert titles(actor, "general", found_to="2026-01-31") == {"last"}
    assert titles(actor, "general", found_from="2026-01-31", found_to="2026-01-31") == {"last"}


def test_region_choices_are_rescoped_to_the_body(queue_world, world):
    actor = world.actor("gov_alice")
    with actor_scope(actor):
        filterset, _table = SupervisionQueueView.build_list(actor, QueryDict(), tab="major")
        choices = set(filterset.filters["region"].queryset.values_list("code", flat=True))
        assert choices == {world.nancheng.code}
        # Another body's region is not a valid choice (and filters nothing in).
        bad = SupervisionQueueView.build_list(actor, QueryDict(f"region={world.longmatan.pk}"), tab="major")[0]
        assert not bad.is_valid() and "region" in bad.errors


# --------------------------------------------------------------------------------------------------------
# Keyset pagination
# --------------------------------------------------------------------------------------------------------


@pytest.fixture
def many(world):
    """45 hazards of acme in 4 distinct timestamps (many equal ones): ties are broken by id."""
    base = timezone.now() - timedelta(days=2)
    moments = [base, base - timedelta(seconds=1), base - timedelta(minutes=1), base - timedelta(hours=1)]
    made = []
    for i in range(45):
        made.append(make(world.acme, f"h{i:02d}", found_at=moments[i % 4 if i < 20 else 0]))
    return made


def _walk(qs, per_page: int):
    pages, cursor = [], None
    while True:
        page = sv.keyset_page(qs, after=cursor, per_page=per_page)
        pages.append(page)
        if not page.has_next:
            return pages
        cursor = page.next_cursor


@pytest.mark.parametrize("per_page", [1, 7, 10, 44, 45, 50])
def test_keyset_pages_have_no_duplicates_nor_gaps(many, world, per_page):
    with actor_scope(world.actor("gov_alice")):
        qs = Hazard.objects.all()
        expected = list(qs.order_by("-found_at", "-pk").values_list("pk", flat=True))
        pages = _walk(qs, per_page)
        seen = [h.pk for page in pages for h in page.rows]
        assert seen == expected
        assert all(len(p.rows) == per_page for p in pages[:-1]) and 0 < len(pages[-1].rows) <= per_page
        assert not pages[0].has_prev and all(p.has_prev for p in pages[1:])
        # Walking back with "previous" from the last page gives the same pages in reverse.
        back, page = [pages[-1]], pages[-1]
        while page.has_prev:
            page = sv.keyset_page(qs, before=page.prev_cursor, per_page=per_page)
            back.append(page)
        assert [[h.pk for h in p.rows] for p in back[::-1]] == [[h.pk for h in p.rows] for p in pages]


def test_keyset_is_stable_when_rows_arrive_meanwhile(many, world):
    with actor_scope(world.actor("gov_alice")):
        qs = Hazard.objects.all()
        first = sv.keyset_page(qs, per_page=10)
        make(world.acme, "newest")  # found later than everything: lands before the cursor
        second = sv.keyset_page(qs, after=first.next_cursor, per_page=10)
        expected = list(qs.order_by("-found_at", "-pk").exclude(title="newest").values_list("pk", flat=True))
        assert [h.pk for h in first.rows + second.rows] == expected[:20]


@pytest.mark.parametrize("cursor", ["", "garbage", "12_", "_5", "99999999999999999999999_1", "1_2_3"])
def test_malformed_cursors_show_the_first_page(many, world, cursor):
    with actor_scope(world.actor("gov_alice")):
        qs = Hazard.objects.all()
        assert [h.pk for h in sv.keyset_page(qs, after=cursor, per_page=5).rows] == [
            h.pk for h in sv.keyset_page(qs, per_page=5).rows
        ]


def test_cursor_round_trip_keeps_microseconds():
    moment = datetime(2026, 1, 31, 16, 30, 5, 123456, tzinfo=ZoneInfo("UTC"))
    assert sv.decode_cursor(sv.encode_cursor(moment, 42)) == (moment, 42)


def test_the_page_walks_with_next_and_previous_links(many, world, login):
    c = login(world.gov_alice)
    url = "/gov/supervision/hazards/general/"
    seen, query, pages = [], "", 0
    while True:
        html = c.get(url + query).content.decode()
        seen += re.findall(r'data-testid="hazard-link">(h\d\d)<', html)
        pages += 1
        nxt = re.search(r'data-testid="page-next" href="\?([^"]*)"', html)
        if nxt is None or "after=" not in nxt.group(1):
            break
        query = "?" + nxt.group(1).replace("&amp;", "&")
    assert pages == 2 and len(seen) == 45 and len(set(seen)) == 45
    prev = re.search(r'data-testid="page-prev" href="\?([^"]*)"', html).group(1).replace("&amp;", "&")
    back = c.get(url + "?" + prev).content.decode()
    assert re.findall(r'data-testid="hazard-link">(h\d\d)<', back) == seen[:25]


def test_filters_survive_paging(many, world, login):
    c = login(world.gov_alice)
    html = c.get("/gov/supervision/hazards/general/", {"status": "registered"}).content.decode()
    nxt = re.search(r'data-testid="page-next" href="\?([^"]*)"', html).group(1)
    assert "status=registered" in nxt and "after=" in nxt


# --------------------------------------------------------------------------------------------------------
# Size without COUNT
# --------------------------------------------------------------------------------------------------------


def test_size_is_exact_up_to_the_limit_and_an_estimate_above(many, world, login, monkeypatch):
    c = login(world.gov_alice)
    html = c.get("/gov/supervision/hazards/general/").content.decode()
    assert re.search(r'data-testid="queue-size">45 hazards<', html)
    monkeypatch.setattr(sv, "EXACT_COUNT_LIMIT", 10)
    monkeypatch.setattr(sv.size_hint, "__defaults__", (10,))
    html = c.get("/gov/supervision/hazards/general/").content.decode()
    assert re.search(r"More than 10 hazards \(about \d+ by the database", html)


def test_no_count_query_on_a_queue_page(many, world, login):
    """The queue adds no COUNT over hazards to what every page's layout (menus, inbox badges) already does."""
    c = login(world.gov_alice)

    def hazard_counts(url: str) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "hazards_hazard" in q["sql"]]

    layout = hazard_counts("/notifications/")
    assert hazard_counts("/gov/supervision/hazards/general/") == layout
    assert hazard_counts("/gov/supervision/hazards/general/?status=registered") == layout


def test_tab_badges_are_bounded(queue_world, world, login):
    html = login(world.gov_alice).get("/gov/supervision/hazards/").content.decode()
    badges = dict(re.findall(r'data-testid="queue-tab-(\w+)">[^<]*<span class="badge[^"]*">([^<]+)<', html))
    assert badges == {"overdue": "3", "listed": "2", "review": "3"}


# --------------------------------------------------------------------------------------------------------
# Permissions
# --------------------------------------------------------------------------------------------------------

GOVERNMENT_PAGES = [
    "/gov/supervision/hazards/",
    "/gov/supervision/hazards/review/",
    "/gov/supervision/figures/",
    "/gov/supervision/reports/",
    "/gov/supervision/reports/received/",
    "/gov/supervision/samples/",
    "/gov/supervision/key-enterprises/",
    "/gov/supervision/zero-hazards/",
    "/gov/supervision/not-using/",
]


@pytest.mark.parametrize("url", GOVERNMENT_PAGES)
@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_enterprise_users_get_403_on_government_pages(world, login, url, who):
    c = login(getattr(world, who))
    assert c.get(url).status_code == 403
    assert c.get(url, {"export": "xlsx"}).status_code == 403


@pytest.mark.parametrize("url", GOVERNMENT_PAGES)
def test_anonymous_users_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("who", "sees_acme"),
    [("gov_alice", True), ("gov_bob", True), ("city_reviewer", True), ("gov_charlie", False)],
)
def test_who_sees_acmes_hazards_in_the_queue(queue_world, world, login, who, sees_acme):
    html = login(getattr(world, who)).get("/gov/supervision/hazards/major/").content.decode()
    assert ('data-testid="hazard-link">major_reported<' in html) is sees_acme
    assert ('data-testid="hazard-link">far_major<' in html) is (who == "gov_charlie")


def test_unknown_tab_is_404(world, login):
    assert login(world.gov_alice).get("/gov/supervision/hazards/nonsense/").status_code == 404


# --------------------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------------------


def _sheet(response) -> list[tuple]:
    return list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)


def test_export_is_exactly_the_filtered_queue(queue_world, world, login):
    c = login(world.city_reviewer)
    response = c.get("/gov/supervision/hazards/major/", {"region": world.longmatan.pk, "export": "xlsx"})
    assert response.status_code == 200
    rows = _sheet(response)
    assert rows[0][:3] == ("Number", "Enterprise", "Region")
    assert [r[0] for r in rows[1:]] == ["other_major"]
    assert rows[1][1:4] == ("龙马潭机械厂", "Longmatan District", "Industry and trade: machinery")


def test_listed_export_has_the_listing_columns(queue_world, world, login):
    rows = _sheet(login(world.gov_alice).get("/gov/supervision/hazards/listed/", {"export": "xlsx"}))
    assert rows[0][-2:] == ("Supervised listing", "Listed by")
    assert sorted((r[0], r[-2]) for r in rows[1:]) == [("delisting", "Delisting requested"), ("listed", "Listed")]


def test_a_big_export_becomes_a_background_job(
    queue_world, world, login, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EXPORT_SYNC_MAX_ROWS = 2
    settings.MEDIA_ROOT = tmp_path
    c = login(world.gov_alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.get("/gov/supervision/hazards/general/", {"export": "xlsx", "source": "self"})
    with scopes_disabled():
        job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{job.pk}/"
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.done == 5
    with job.file.open("rb") as f:
        rows = list(load_workbook(f).active.values)
    assert sorted(r[0] for r in rows[1:]) == sorted(ACME_TABS["general"] - {"gov_reported"})


# --------------------------------------------------------------------------------------------------------
# Query counts
# --------------------------------------------------------------------------------------------------------


def _queries(c, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("tab", ["major", "listed", "review", "overdue"])
def test_queue_query_count_is_flat(world, login, tab):
    def add(n: int, start: int):
        for i in range(start, start + n):
            h = make(
                world.acme if i % 2 else world.other,
                f"q{i}",
                level=L.MAJOR,
                status=S.REPORTED,
                deadline_days=-1,
                source=Hazard.Source.GOVERNMENT,
            )
            listing(h, world.city_bureau)

    c = login(world.city_reviewer)
    add(2, 0)
    few = _queries(c, f"/gov/supervision/hazards/{tab}/")
    add(28, 2)
    assert _queries(c, f"/gov/supervision/hazards/{tab}/") == few


def test_selectors_raise_for_non_government(world):
    from django.core.exceptions import PermissionDenied

    for who in ("alice", "charlie"):
        actor = world.actor(who)
        with actor_scope(actor), pytest.raises(PermissionDenied):
            selectors.supervision_queue(actor, "major")


def test_enterprise_registered_directly_at_a_county_is_in_the_county_queue(world):
    direct = EnterpriseFactory(name="江阳直属企业", owning_body=world.jiangyang_bureau, region=world.jiangyang)
    make(direct, "direct_major", level=L.MAJOR)
    from .factories import MembershipFactory, UserFactory, actor_for

    county = MembershipFactory(user=UserFactory(), body=world.jiangyang_bureau, role="reviewer")
    assert titles(actor_for(county), "major") == {"direct_major"}
    assert titles(world.actor("gov_alice"), "major") == set()


def test_government_home_shows_bounded_queue_cards(queue_world, world, login):
    html = login(world.gov_alice).get("/").content.decode()
    cards = dict(re.findall(r'data-testid="home-card-(\w+)">.*?<div class="display-6">([^<]+)<', html, re.S))
    assert cards == {"overdue": "3", "listed": "2", "review": "3"}
    assert 'data-testid="home-card-figures"' in html
    assert 'data-testid="supervision-home-cards"' not in login(world.alice).get("/").content.decode()


def test_home_cards_say_99_plus_rather_than_counting(world, login, monkeypatch):
    from hazards.templatetags import supervision_tags

    monkeypatch.setattr(supervision_tags, "HOME_CARD_LIMIT", 2)
    for i in range(3):
        make(world.acme, f"late{i}", status=S.OVERDUE, deadline_days=-1)
    html = login(world.gov_alice).get("/").content.decode()
    assert re.search(r'data-testid="home-card-overdue">.*?<div class="display-6">2\+<', html, re.S)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("tab", ["listed", "general", "review"])
def test_fast_export_rows_equal_the_tables_own_values(queue_world, world, tab, language):
    """SupervisionHazardTable.as_values skips django-tables2's per-cell calls: it must give what they give."""
    import django_tables2 as tables
    from django.utils import translation

    actor = world.actor("city_reviewer")
    with actor_scope(actor), translation.override(language):
        _filterset, table = SupervisionQueueView.build_list(actor, QueryDict(), tab=tab)
        fast = list(table.as_values())
        generic = list(tables.Table.as_values(table))
    assert len(fast) > 1 and fast == generic
