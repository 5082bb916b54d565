"""Summary tables reported up the body tree: build (figures frozen), rebuild, report (then locked for good), the
parent body's view of its children's reports, permissions, exports, races."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from approvals.engine import TransitionRefused
from approvals.models import Notification, OperationLog
from enterprises.models import Membership
from hazards import services
from hazards.models import Hazard, SummaryReport
from safety.tenancy import scopes_disabled

from .factories import MembershipFactory, UserFactory, actor_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
JAN = (date(2026, 1, 1), date(2026, 1, 31))


@pytest.fixture(autouse=True)
def _english_and_clock(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"), time_machine.travel(NOW, tick=False):
        yield


def hazard(enterprise, found_at, status=Hazard.Status.REGISTERED, level=Hazard.Level.GENERAL) -> Hazard:
    with scopes_disabled():
        return Hazard.objects.create(
            enterprise=enterprise,
            title="隐患",
            level=level,
            kind=Hazard.Kind.MAJOR if level == Hazard.Level.MAJOR else Hazard.Kind.DEADLINE,
            found_at=found_at,
            deadline=found_at + timedelta(days=30),
            status=status,
            closed_at=found_at + timedelta(days=3) if status == Hazard.Status.CLOSED else None,
            closed_on_time=True if status == Hazard.Status.CLOSED else None,
        )


@pytest.fixture
def county_reviewer(world) -> Membership:
    """A reviewer of 江阳区局, the parent body of 南城办."""
    return MembershipFactory(user=UserFactory(username="county_reviewer"), body=world.jiangyang_bureau, role="reviewer")


@pytest.fixture
def january(world):
    hazard(world.acme, datetime(2026, 1, 5, 9, tzinfo=SHANGHAI), Hazard.Status.CLOSED)
    hazard(world.acme, datetime(2026, 1, 6, 9, tzinfo=SHANGHAI), Hazard.Status.CLOSED, Hazard.Level.MAJOR)
    hazard(world.acme, datetime(2026, 1, 7, 9, tzinfo=SHANGHAI))
    hazard(world.other, datetime(2026, 1, 8, 9, tzinfo=SHANGHAI))  # 龙马潭: not 南城办's
    hazard(world.acme, datetime(2026, 2, 1, 9, tzinfo=SHANGHAI))  # February: not in January's summary
    return world


def build(world, who="gov_alice", period=JAN) -> SummaryReport:
    return services.summary_build(actor=world.actor(who), period_start=period[0], period_end=period[1])


def fresh(report: SummaryReport) -> SummaryReport:
    return SummaryReport.objects.get(pk=report.pk)


# --------------------------------------------------------------------------------------------------------
# Build, rebuild, report, lock
# --------------------------------------------------------------------------------------------------------


def test_build_freezes_the_figures_of_the_period(january):
    report = build(january)
    total = report.figures["total"]
    assert (total["found"], total["closed"], total["found_major"], total["closed_major"]) == (3, 2, 1, 1)
    assert total["rectification_rate"] == "66.7" and total["major_rate"] == "100.0"
    assert report.figures["period"] == {"start": "2026-01-01", "end": "2026-01-31"}
    assert report.reported_at is None
    # Data changing afterwards does not move a built summary…
    hazard(january.acme, datetime(2026, 1, 20, 9, tzinfo=SHANGHAI))
    assert fresh(report).figures["total"]["found"] == 3
    # …until it is rebuilt (a draft only).
    services.summary_rebuild(actor=january.actor("gov_alice"), report_id=report.pk)
    assert fresh(report).figures["total"]["found"] == 4
    log = list(OperationLog.objects.filter(object_id=str(report.pk)).values_list("action", "detail"))
    assert log == [("update", "rebuilt"), ("create", "")]


def test_building_the_same_period_again_rebuilds_the_draft(january):
    first = build(january)
    hazard(january.acme, datetime(2026, 1, 21, 9, tzinfo=SHANGHAI))
    second = build(january)
    assert second.pk == first.pk and fresh(first).figures["total"]["found"] == 4
    assert SummaryReport.objects.count() == 1


def test_report_locks_the_summary_and_tells_the_parent(january, county_reviewer):
    report = build(january)
    services.summary_submit(actor=january.actor("gov_alice"), report_id=report.pk)
    report = fresh(report)
    assert report.reported_at == NOW and report.reported_by == january.gov_alice.user
    [note] = Notification.objects.filter(recipient=county_reviewer.user)
    assert "南城街道安监办" in note.title and note.url == f"/gov/supervision/reports/{report.pk}/"
    assert OperationLog.objects.filter(object_id=str(report.pk), action="transition").exists()
    frozen = report.figures
    hazard(january.acme, datetime(2026, 1, 22, 9, tzinfo=SHANGHAI))
    actor = january.actor("gov_alice")
    for step in (
        lambda: services.summary_rebuild(actor=actor, report_id=report.pk),
        lambda: services.summary_delete(actor=actor, report_id=report.pk),
        lambda: services.summary_submit(actor=actor, report_id=report.pk),
        lambda: build(january),
    ):
        with pytest.raises(TransitionRefused, match="was reported on 2026-03-10 10:00"):
            step()
    assert fresh(report).figures == frozen and fresh(report).reported_at == NOW


def test_a_body_without_parent_builds_but_cannot_report(january):
    report = build(january, "city_reviewer")
    with pytest.raises(TransitionRefused, match="no parent body"):
        services.summary_submit(actor=january.actor("city_reviewer"), report_id=report.pk)
    assert fresh(report).reported_at is None


def test_delete_a_draft(january):
    report = build(january)
    services.summary_delete(actor=january.actor("gov_alice"), report_id=report.pk)
    assert not SummaryReport.objects.exists()
    assert OperationLog.objects.filter(action="delete", object_id=str(report.pk)).exists()


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2026, 2, 1), date(2026, 1, 31), "period_end"),  # ends before it starts
        (date(2026, 3, 1), date(2026, 3, 11), "period_end"),  # ends in the future (today is 10 March)
        (date(2025, 1, 1), date(2026, 1, 1), "period_end"),  # more than a year
    ],
)
def test_bad_periods_are_refused(world, start, end, field):
    with pytest.raises(ValidationError) as exc:
        build(world, period=(start, end))
    assert field in exc.value.message_dict


@pytest.mark.parametrize(
    ("role", "may"),
    [("reviewer", True), ("body_admin", True), ("inspector", False), ("leader", False)],
)
def test_who_builds_and_reports(world, role, may):
    member = MembershipFactory(user=UserFactory(), body=world.nancheng_office, role=role)
    actor = actor_for(member)
    if may:
        report = services.summary_build(actor=actor, period_start=JAN[0], period_end=JAN[1])
        services.summary_submit(actor=actor, report_id=report.pk)
    else:
        with pytest.raises(PermissionDenied):
            services.summary_build(actor=actor, period_start=JAN[0], period_end=JAN[1])


@pytest.mark.parametrize("who", ["alice", "charlie"])
def test_enterprise_users_cannot_build(world, who):
    with pytest.raises(PermissionDenied):
        build(world, who)


def test_another_bodys_report_is_not_found_by_the_services(january, county_reviewer):
    report = build(january)
    from django.http import Http404

    for actor in (actor_for(county_reviewer), january.actor("city_reviewer"), january.actor("gov_charlie")):
        for step in (services.summary_rebuild, services.summary_submit, services.summary_delete):
            with pytest.raises(Http404):
                step(actor=actor, report_id=report.pk)


# --------------------------------------------------------------------------------------------------------
# Pages: who sees what
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "draft", "reported"),
    [
        ("gov_alice", 200, 200),  # the body itself
        ("gov_bob", 200, 200),  # its read-only leader
        ("county_reviewer", 404, 200),  # the parent: once reported to it
        ("city_reviewer", 404, 404),  # the grandparent: reported to the county, not to the city
        ("gov_charlie", 404, 404),
        ("alice", 404, 404),
        ("charlie", 404, 404),
    ],
)
def test_who_opens_a_report(january, county_reviewer, login, who, draft, reported):
    report = build(january)
    member = county_reviewer if who == "county_reviewer" else getattr(january, who)
    c = login(member)
    url = f"/gov/supervision/reports/{report.pk}/"
    assert c.get(url).status_code == draft
    services.summary_submit(actor=january.actor("gov_alice"), report_id=report.pk)
    assert c.get(url).status_code == reported
    if reported == 404:  # (rendering PDFs for the others would only be slow)
        assert c.get(url + "pdf/").status_code == 404


def test_the_parent_lists_and_exports_its_childrens_reports(january, county_reviewer, login):
    draft = build(january, period=(date(2026, 2, 1), date(2026, 2, 28)))
    report = build(january)
    services.summary_submit(actor=january.actor("gov_alice"), report_id=report.pk)
    c = login(county_reviewer)
    html = c.get("/gov/supervision/reports/received/").content.decode()
    assert f"/gov/supervision/reports/{report.pk}/" in html
    assert f"/gov/supervision/reports/{draft.pk}/" not in html  # drafts stay with their body
    response = c.get("/gov/supervision/reports/received/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert rows[0][:4] == ("Body", "Period", "Found", "Rectified (closed)")
    assert rows[1][:6] == ("南城街道安监办", "2026-01-01 – 2026-01-31", 3, 2, "66.7%", "100.0%")
    # The parent reads, and changes nothing.
    assert c.post(f"/gov/supervision/reports/{report.pk}/", {"action": "rebuild"}).status_code == 404
    # The city (two levels up) receives nothing from the township.
    assert (
        "reports/" + str(report.pk)
        not in login(january.city_reviewer).get("/gov/supervision/reports/received/").content.decode()
    )


def test_build_report_flow_through_the_pages(january, county_reviewer, login):
    c = login(january.gov_alice)
    response = c.post("/gov/supervision/reports/", {"period_start": "2026-01-01", "period_end": "2026-01-31"})
    report = SummaryReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/gov/supervision/reports/{report.pk}/"
    html = c.get(response["Location"]).content.decode()
    assert 'data-testid="total-found">3<' in html and 'data-testid="report-submit"' in html
    assert "Report to 江阳区应急管理局" in html
    assert c.post(response["Location"], {"action": "report"}).status_code == 302
    html = c.get(response["Location"]).content.decode()
    assert 'data-testid="report-submit"' not in html and 'data-testid="report-rebuild"' not in html
    response = c.post(response["Location"], {"action": "rebuild"})
    assert response.status_code == 409 and "can no longer be changed" in response.content.decode()


def test_build_form_keeps_input_and_shows_errors_inline(world, login):
    c = login(world.gov_alice)
    response = c.post("/gov/supervision/reports/", {"period_start": "2026-02-10", "period_end": "2026-02-01"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "The period must end on or after its first day." in html
    assert 'value="2026-02-10"' in html and 'value="2026-02-01"' in html
    assert not SummaryReport.objects.exists()


def test_leader_sees_no_build_form_and_cannot_post(world, login):
    c = login(world.gov_bob)
    assert 'data-testid="summary-build-form"' not in c.get("/gov/supervision/reports/").content.decode()
    assert (
        c.post("/gov/supervision/reports/", {"period_start": "2026-01-01", "period_end": "2026-01-31"}).status_code
        == 403
    )


def test_report_without_parent_offers_no_reporting(january, login):
    report = build(january, "city_reviewer")
    html = login(january.city_reviewer).get(f"/gov/supervision/reports/{report.pk}/").content.decode()
    assert 'data-testid="report-submit"' not in html
    assert "no parent body" in html


def test_report_exports_to_a_workbook_and_prints(january, login):
    report = build(january)
    c = login(january.gov_alice)
    response = c.get(f"/gov/supervision/reports/{report.pk}/", {"export": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["Summary", "Region", "Industry", "Month found"]
    summary = dict(book["Summary"].values)
    assert summary["Found"] == 3 and summary["Rectification rate"] == "66.7%"
    assert list(book["Month found"].values)[1][:3] == ("2026-01", 3, 2)
    pdf = c.get(f"/gov/supervision/reports/{report.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_reports_list_query_count_is_flat(world, login):
    def add(n: int, offset: int):
        for i in range(offset, offset + n):
            day = date(2024, 1, 1) + timedelta(days=i)
            SummaryReport.objects.create(
                body=world.nancheng_office,
                period_start=day,
                period_end=day,
                figures={"total": {"found": i}},
                reported_at=timezone.now(),
                reported_by=world.gov_alice.user,
            )

    c = login(world.gov_alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/gov/supervision/reports/").status_code == 200
        return len(ctx.captured_queries)

    add(2, 0)
    few = queries()
    add(28, 2)
    assert queries() == few


# --------------------------------------------------------------------------------------------------------
# Races
# --------------------------------------------------------------------------------------------------------


def _together(calls):
    barrier = threading.Barrier(len(calls))
    results: list = []
    lock = threading.Lock()

    def worker(call):
        try:
            barrier.wait(timeout=30)
            value = call()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            value = exc
        finally:
            connection.close()
        with lock:
            results.append(value)

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    close_old_connections()
    return results


def _actor(membership_pk: int):
    member = Membership.objects.select_related("body", "body__region", "user").get(pk=membership_pk)
    return actor_for(member)


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_report_at_once_exactly_one_wins(january, county_reviewer):
    report = build(january)
    second = MembershipFactory(user=UserFactory(), body=january.nancheng_office, role="reviewer")
    results = _together(
        [
            lambda: services.summary_submit(actor=_actor(january.gov_alice.pk), report_id=report.pk),
            lambda: services.summary_submit(actor=_actor(second.pk), report_id=report.pk),
        ]
    )
    wins = [r for r in results if isinstance(r, SummaryReport)]
    refusals = [r for r in results if isinstance(r, TransitionRefused)]
    assert len(wins) == 1 and len(refusals) == 1, results
    assert fresh(report).reported_by_id == wins[0].reported_by_id
    assert Notification.objects.filter(recipient=county_reviewer.user).count() == 1
    assert OperationLog.objects.filter(object_id=str(report.pk), action="transition").count() == 1


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_rebuild_racing_the_report_never_changes_a_reported_summary(january):
    report = build(january)
    hazard(january.acme, datetime(2026, 1, 23, 9, tzinfo=SHANGHAI))  # a rebuild would say 4
    results = _together(
        [
            lambda: services.summary_submit(actor=_actor(january.gov_alice.pk), report_id=report.pk),
            lambda: services.summary_rebuild(actor=_actor(january.gov_alice.pk), report_id=report.pk),
        ]
    )
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, TransitionRefused)]
    final = fresh(report)
    assert final.reported_at is not None
    rebuilt = [r for r in results if isinstance(r, SummaryReport) and r.reported_at is None]
    # Either the rebuild went first (then the report froze 4) or it was refused (3 stays).
    assert final.figures["total"]["found"] == (4 if rebuilt else 3)


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_two_builds_of_the_same_period_make_one_report(january):
    results = _together([lambda: build(january), lambda: build(january)])
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, TransitionRefused)]
    assert SummaryReport.objects.count() == 1
