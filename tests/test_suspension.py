"""Suspension and resumption (停产 / 复工): the enterprise applies, the owning body (or a body above it) decides
through the review engine, and approval changes the enterprise's operating status."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from approvals.engine import TransitionRefused
from approvals.models import Decision, Node, Notification, OperationLog, ReviewRecord
from enterprises import services
from enterprises.models import Enterprise, Membership, OperatingStatus, SuspensionApplication
from enterprises.services import SuspensionDetails
from safety.tenancy import scopes_disabled

from .factories import EnterpriseFactory, MembershipFactory, UserFactory, actor_for

K = SuspensionApplication.Kind
ST = SuspensionApplication.Status
START = date(2026, 4, 1)


def suspension(**overrides) -> SuspensionDetails:
    fields = {
        "kind": K.SUSPENSION,
        "reason": "设备大修，停产检修",
        "start_date": START,
        "end_date": START + timedelta(30),
    }
    fields.update(overrides)
    return SuspensionDetails(**fields)


def resumption(**overrides) -> SuspensionDetails:
    fields = {"kind": K.RESUMPTION, "reason": "检修完毕，申请复工", "start_date": START + timedelta(20)}
    fields.update(overrides)
    return SuspensionDetails(**fields)


def english(c: Client) -> Client:
    c.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return c


def status_of(enterprise: Enterprise) -> str:
    with scopes_disabled():
        return Enterprise.unscoped.get(pk=enterprise.pk).operating_status


def set_status(enterprise: Enterprise, status: str) -> None:
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=enterprise.pk).update(operating_status=status)


def reload(application: SuspensionApplication) -> SuspensionApplication:
    with scopes_disabled():
        return SuspensionApplication.objects.get(pk=application.pk)


def records(application: SuspensionApplication) -> list[ReviewRecord]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(SuspensionApplication), subject_id=application.pk
            ).order_by("pk")
        )


def notes(user) -> list[Notification]:
    with scopes_disabled():
        return list(Notification.objects.filter(recipient=user).order_by("pk"))


def apply(world, details=None, who="alice") -> SuspensionApplication:
    return services.suspension_apply(actor=world.actor(who), details=details or suspension())


# --------------------------------------------------------------------------------------------------------
# The flow
# --------------------------------------------------------------------------------------------------------


def test_suspend_then_resume(world):
    application = apply(world)
    assert application.status == ST.PENDING and status_of(world.acme) == OperatingStatus.OPERATING
    [submitted] = records(application)
    assert (submitted.node, submitted.decision, submitted.reviewer_id) == (
        Node.ENTERPRISE,
        Decision.SUBMIT,
        world.alice.user.pk,
    )
    # The owning body's reviewer is told, and nobody outside it.
    assert [n.url for n in notes(world.gov_alice.user)] == [f"/gov/suspension/{application.pk}/"]
    assert notes(world.gov_charlie.user) == []

    services.suspension_approve(actor=world.actor("gov_alice"), application_id=application.pk, reason="同意停产")
    assert reload(application).status == ST.APPROVED
    assert reload(application).reviewed_at is not None
    assert status_of(world.acme) == OperatingStatus.SUSPENDED
    approve = records(application)[-1]
    assert (approve.node, approve.node_name, approve.decision, approve.reason) == (
        Node.TOWNSHIP,
        world.nancheng_office.name,
        Decision.APPROVE,
        "同意停产",
    )
    assert (approve.from_state, approve.to_state) == (ST.PENDING, ST.APPROVED)
    assert [n.url for n in notes(world.alice.user)] == [f"/org/suspension/{application.pk}/"]
    assert notes(world.bob.user) == []  # enterprise admins are told, not every member
    with scopes_disabled():
        log = OperationLog.objects.get(action="update", object_id=str(world.acme.pk))
    assert log.detail == "operating_status: operating → suspended"

    back = apply(world, resumption())
    services.suspension_approve(actor=world.actor("gov_alice"), application_id=back.pk)
    assert status_of(world.acme) == OperatingStatus.OPERATING


def test_reject_keeps_the_status_and_tells_why(world):
    application = apply(world)
    with translation.override("en"):
        services.suspension_reject(actor=world.actor("gov_alice"), application_id=application.pk, reason="材料不全。")
    assert reload(application).status == ST.REJECTED
    assert status_of(world.acme) == OperatingStatus.OPERATING
    assert records(application)[-1].decision == Decision.REJECT
    assert records(application)[-1].reason == "材料不全。"
    [note] = notes(world.alice.user)
    assert note.body == "Reason: 材料不全."
    # Rejected is decided: a new application may follow.
    assert apply(world).status == ST.PENDING


def test_reject_needs_a_reason(world):
    application = apply(world)
    with pytest.raises(ValidationError) as exc:
        services.suspension_reject(actor=world.actor("gov_alice"), application_id=application.pk, reason="  ")
    assert "reason" in exc.value.error_dict
    assert reload(application).status == ST.PENDING


def test_only_one_pending_application_at_a_time(world):
    first = apply(world)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        apply(world, suspension(reason="又一次"))
    assert exc.value.code == "pending"
    assert "still awaiting review" in exc.value.messages[0] and world.nancheng_office.name in exc.value.messages[0]
    with scopes_disabled():
        assert SuspensionApplication.objects.filter(enterprise=world.acme).count() == 1
    services.suspension_approve(actor=world.actor("gov_alice"), application_id=first.pk)
    assert apply(world, resumption()).status == ST.PENDING  # decided: the next one is welcome


KIND_TABLE = [
    # (operating status, kind applied for, accepted, message fragment)
    (OperatingStatus.OPERATING, K.SUSPENSION, True, ""),
    (OperatingStatus.OPERATING, K.RESUMPTION, False, "only a suspension"),
    (OperatingStatus.SUSPENDED, K.RESUMPTION, True, ""),
    (OperatingStatus.SUSPENDED, K.SUSPENSION, False, "already suspended"),
]


@pytest.mark.parametrize(("status", "kind", "accepted", "message"), KIND_TABLE)
def test_the_kind_must_fit_the_operating_status(world, status, kind, accepted, message):
    set_status(world.acme, status)
    details = suspension() if kind == K.SUSPENSION else resumption()
    with translation.override("en"):
        if accepted:
            assert apply(world, details).kind == kind
        else:
            with pytest.raises(ValidationError) as exc:
                apply(world, details)
            assert message in " ".join(exc.value.message_dict["kind"])


DETAILS_TABLE = [
    # (details, field with the error)
    (suspension(reason=""), "reason"),
    (suspension(end_date=START - timedelta(1)), "end_date"),
    (resumption(end_date=START + timedelta(40)), "end_date"),
    (suspension(kind="closure"), "kind"),
]


@pytest.mark.parametrize(("details", "field"), DETAILS_TABLE)
def test_application_details_are_checked(world, details, field):
    with pytest.raises(ValidationError) as exc:
        apply(world, details)
    assert field in exc.value.error_dict


def test_suspension_without_an_end_date_is_fine(world):
    assert apply(world, suspension(end_date=None)).end_date is None


def test_approval_refused_when_the_status_changed_meanwhile(world):
    application = apply(world)
    set_status(world.acme, OperatingStatus.SUSPENDED)  # e.g. an administrator's correction in between
    with pytest.raises(TransitionRefused):
        services.suspension_approve(actor=world.actor("gov_alice"), application_id=application.pk)
    assert reload(application).status == ST.PENDING
    assert [r.decision for r in records(application)] == [Decision.SUBMIT]


def test_a_decided_application_cannot_be_decided_again(world):
    application = apply(world)
    services.suspension_reject(actor=world.actor("gov_alice"), application_id=application.pk, reason="不同意")
    with pytest.raises(TransitionRefused) as exc:
        services.suspension_approve(actor=world.actor("city_reviewer"), application_id=application.pk)
    assert world.gov_alice.user.display_name in exc.value.message
    assert status_of(world.acme) == OperatingStatus.OPERATING


# --------------------------------------------------------------------------------------------------------
# Who may apply and who may decide
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "allowed"), [("alice", True), ("bob", False), ("gov_alice", False)])
def test_who_may_apply(world, who, allowed):
    if allowed:
        assert apply(world, who=who).enterprise_id == world.acme.pk
    else:
        with pytest.raises(PermissionDenied):
            apply(world, who=who)


DECIDERS = [
    # (who, outcome: "ok", "403" or "404")
    ("gov_alice", "ok"),  # reviewer of the owning body
    ("city_reviewer", "ok"),  # reviewer of a body above it
    ("jiangyang_admin", "ok"),  # body admin of the county bureau above it
    ("gov_bob", "403"),  # read-only leader of the owning body: sees it, cannot decide
    ("jiangyang_inspector", "403"),
    ("longmatan_reviewer", "404"),  # a sibling county: outside the jurisdiction
    ("gov_charlie", "404"),
    ("alice", "404"),  # the enterprise itself does not decide
]


@pytest.fixture
def deciders(world):
    extra = {
        "jiangyang_admin": (world.jiangyang_bureau, Membership.Role.BODY_ADMIN),
        "jiangyang_inspector": (world.jiangyang_bureau, Membership.Role.INSPECTOR),
        "longmatan_reviewer": (world.longmatan_bureau, Membership.Role.REVIEWER),
    }
    people = {
        name: MembershipFactory(user=UserFactory(username=name), body=body, role=role)
        for name, (body, role) in extra.items()
    }
    return lambda who: people.get(who) or getattr(world, who)


@pytest.mark.parametrize(("who", "outcome"), DECIDERS)
def test_who_may_decide(world, deciders, who, outcome):
    from django.http import Http404

    application = apply(world)

    def call():
        return services.suspension_approve(actor=actor_for(deciders(who)), application_id=application.pk)

    if outcome == "ok":
        call()
        assert status_of(world.acme) == OperatingStatus.SUSPENDED
    else:
        with pytest.raises(PermissionDenied if outcome == "403" else Http404):
            call()
        assert reload(application).status == ST.PENDING and status_of(world.acme) == OperatingStatus.OPERATING


# --------------------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------------------

ENTERPRISE_PAGES = [
    ("/org/suspension/", "alice", 200),
    ("/org/suspension/", "bob", 403),
    ("/org/suspension/", "charlie", 200),  # charlie's own
    ("/org/suspension/", "gov_alice", 403),
    ("/org/suspension/apply/", "alice", 200),
    ("/org/suspension/apply/", "bob", 403),
    ("/org/suspension/{pk}/", "alice", 200),
    ("/org/suspension/{pk}/", "bob", 403),
    ("/org/suspension/{pk}/", "charlie", 404),
    ("/org/suspension/{pk}/", "gov_alice", 404),
    ("/gov/suspension/{pk}/", "gov_alice", 200),
    ("/gov/suspension/{pk}/", "gov_bob", 200),
    ("/gov/suspension/{pk}/", "city_reviewer", 200),
    ("/gov/suspension/{pk}/", "gov_charlie", 404),
    ("/gov/suspension/{pk}/", "alice", 404),
    ("/gov/suspensions/", "gov_alice", 200),
    ("/gov/suspensions/all/", "gov_bob", 200),
    ("/gov/suspensions/all/", "alice", 403),
    ("/gov/suspensions/later/", "gov_alice", 404),
]


@pytest.mark.parametrize(("url", "who", "status"), ENTERPRISE_PAGES)
def test_page_permissions(world, login, url, who, status):
    application = apply(world)
    r = login(getattr(world, who)).get(url.format(pk=application.pk))
    assert r.status_code == status
    if url == "/org/suspension/" and who == "charlie":
        assert f"/org/suspension/{application.pk}/" not in r.content.decode()


@pytest.mark.parametrize(("who", "forms_shown"), [("gov_alice", True), ("city_reviewer", True), ("gov_bob", False)])
def test_decision_forms_only_for_those_who_may_decide(world, login, who, forms_shown):
    application = apply(world)
    html = login(getattr(world, who)).get(f"/gov/suspension/{application.pk}/").content.decode()
    assert ('data-testid="approve"' in html) is forms_shown
    assert 'data-testid="review-record"' in html  # everyone reads the record


def test_apply_and_decide_through_the_pages(world, login):
    alice = english(login(world.alice, Client()))
    page = alice.get("/org/suspension/apply/").content.decode()
    assert '<option value="suspension" selected>' in page
    r = alice.post(
        "/org/suspension/apply/",
        {"kind": "suspension", "start_date": "2026-04-01", "end_date": "2026-05-01", "reason": "设备检修"},
    )
    with scopes_disabled():
        application = SuspensionApplication.objects.get(enterprise=world.acme)
    assert r.status_code == 302 and r["Location"] == f"/org/suspension/{application.pk}/"

    gov_bob = login(world.gov_bob, Client())
    assert gov_bob.post(f"/gov/suspension/{application.pk}/", {"action": "approve"}).status_code == 403
    assert reload(application).status == ST.PENDING

    gov = english(login(world.gov_alice, Client()))
    r = gov.post(f"/gov/suspension/{application.pk}/", {"action": "reject", "reason": ""})
    assert r.status_code == 400 and reload(application).status == ST.PENDING
    r = gov.post(f"/gov/suspension/{application.pk}/", {"action": "approve", "reason": "同意"})
    assert r.status_code == 302
    assert status_of(world.acme) == OperatingStatus.SUSPENDED
    # A second decision is refused with who decided (one message, no error page).
    r = gov.post(f"/gov/suspension/{application.pk}/", {"action": "reject", "reason": "迟了"}, follow=True)
    assert world.gov_alice.user.display_name in r.content.decode()
    assert reload(application).status == ST.APPROVED

    detail = alice.get(f"/org/suspension/{application.pk}/").content.decode()
    assert detail.count('data-testid="review-record"') == 2 and "同意" in detail
    listing = alice.get("/org/suspension/").content.decode()
    assert 'data-testid="operating-status"' in listing and "Suspended" in listing
    assert "Apply for resumption" in listing


def test_a_refused_application_keeps_the_input_and_says_why(world, login):
    apply(world)
    alice = english(login(world.alice))
    page = alice.get("/org/suspension/apply/").content.decode()
    assert 'data-testid="pending-application"' in page
    assert 'data-testid="suspension-form"' not in page  # nothing to fill in while one awaits review
    r = alice.post(
        "/org/suspension/apply/",
        {"kind": "suspension", "start_date": "2026-04-03", "reason": "第二次申请的理由"},
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "still awaiting review" in html and "第二次申请的理由" in html and 'value="2026-04-03"' in html
    r = alice.post("/org/suspension/apply/", {"kind": "resumption", "start_date": "2026-04-03", "reason": "x"})
    assert r.status_code == 400


# --------------------------------------------------------------------------------------------------------
# Lists, filters, export, inbox
# --------------------------------------------------------------------------------------------------------


@pytest.fixture
def queue(world):
    """Pending and decided applications in acme, other (龙马潭) and far (贵阳)."""
    a = apply(world)
    with scopes_disabled():
        b = SuspensionApplication.objects.create(
            enterprise=world.other, kind=K.SUSPENSION, reason="季节性停产", start_date=START, status=ST.PENDING
        )
        c = SuspensionApplication.objects.create(
            enterprise=world.far, kind=K.SUSPENSION, reason="远方停产", start_date=START, status=ST.PENDING
        )
        d = SuspensionApplication.objects.create(
            enterprise=world.acme, kind=K.SUSPENSION, reason="早先被驳回", start_date=START, status=ST.REJECTED
        )
    return {"acme_pending": a, "other_pending": b, "far_pending": c, "acme_rejected": d}


def _shown(html: str, queue) -> set[str]:
    return {k for k, a in queue.items() if f"/gov/suspension/{a.pk}/" in html}


GOV_QUEUE = [
    ("gov_alice", "/gov/suspensions/", {}, {"acme_pending"}),
    ("gov_alice", "/gov/suspensions/all/", {}, {"acme_pending", "acme_rejected"}),
    ("gov_alice", "/gov/suspensions/all/", {"status": "rejected"}, {"acme_rejected"}),
    ("city_reviewer", "/gov/suspensions/pending/", {}, {"acme_pending", "other_pending"}),
    ("city_reviewer", "/gov/suspensions/pending/", {"region": "longmatan"}, {"other_pending"}),
    ("city_reviewer", "/gov/suspensions/pending/", {"industry": "hazardous_chemicals"}, {"acme_pending"}),
    ("city_reviewer", "/gov/suspensions/pending/", {"enterprise": "龙马潭"}, {"other_pending"}),
    ("city_reviewer", "/gov/suspensions/all/", {"kind": "resumption"}, set()),
    ("gov_charlie", "/gov/suspensions/all/", {}, {"far_pending"}),
]


@pytest.mark.parametrize(("who", "url", "params", "expected"), GOV_QUEUE)
def test_government_queue(world, login, queue, who, url, params, expected):
    params = dict(params)
    if "region" in params:
        params["region"] = getattr(world, params["region"]).pk
    html = login(getattr(world, who)).get(url, params).content.decode()
    assert _shown(html, queue) == expected


def test_government_queue_export(world, login, queue):
    r = english(login(world.city_reviewer)).get("/gov/suspensions/all/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.values)
    header = rows[0]
    assert {"Enterprise", "Region", "Owning body", "Application", "From", "Status"} <= set(header)
    assert sorted(row[header.index("Enterprise")] for row in rows[1:]) == sorted(
        [world.acme.name, world.acme.name, world.other.name]
    )


def test_enterprise_list_and_export(world, login, queue):
    c = english(login(world.alice))
    html = c.get("/org/suspension/", {"status": "rejected"}).content.decode()
    table = html[html.index('data-testid="suspension-table"') :]
    assert f"/org/suspension/{queue['acme_rejected'].pk}/" in table
    assert f"/org/suspension/{queue['acme_pending'].pk}/" not in table
    r = c.get("/org/suspension/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.values)
    assert len(rows) == 3 and "Application" in rows[0]


@pytest.mark.parametrize(
    ("who", "sees"),
    [("gov_alice", True), ("city_reviewer", False), ("gov_bob", False), ("gov_charlie", False), ("alice", False)],
)
def test_inbox_of_the_owning_body(world, login, queue, who, sees):
    html = login(getattr(world, who)).get("/inbox/").content.decode()
    assert (f"/gov/suspension/{queue['acme_pending'].pk}/" in html) is sees


def test_operating_status_in_the_government_enterprise_list(world, login):
    """The enterprise lists (area "profile") show and filter the status this area maintains."""
    c = login(world.gov_alice)
    application = apply(world)
    services.suspension_approve(actor=world.actor("gov_alice"), application_id=application.pk)
    suspended = c.get("/gov/enterprises/all/", {"operating_status": "suspended"}).content.decode()
    operating = c.get("/gov/enterprises/all/", {"operating_status": "operating"}).content.decode()
    assert world.acme.name in suspended and world.acme.name not in operating


# --------------------------------------------------------------------------------------------------------
# Query counts
# --------------------------------------------------------------------------------------------------------


def _grow(world, n: int, state: dict) -> None:
    enterprises = state.setdefault(
        "enterprises",
        [world.acme] + [EnterpriseFactory(owning_body=world.nancheng_office, region=world.nancheng) for _ in range(3)],
    )
    with scopes_disabled():
        while state.get("n", 0) < n:
            i = state.get("n", 0)
            SuspensionApplication.objects.create(
                enterprise=world.acme if i % 2 else enterprises[i % len(enterprises)],
                kind=K.SUSPENSION if i % 3 else K.RESUMPTION,
                reason=f"理由{i}",
                start_date=START,
                status=[ST.PENDING, ST.APPROVED, ST.REJECTED][i % 3],
                submitted_by=world.alice.user,
                reviewed_at=None if i % 3 == 0 else timezone.now(),
            )
            state["n"] = i + 1


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("gov_alice", "/gov/suspensions/pending/"),
        ("gov_alice", "/gov/suspensions/all/"),
        ("city_reviewer", "/gov/suspensions/all/"),
        ("alice", "/org/suspension/"),
        ("gov_alice", "/inbox/"),
        ("gov_alice", "/"),
    ],
)
def test_query_counts_are_flat(world, login, who, url):
    from approvals.inbox import providers

    c = login(getattr(world, who))
    state: dict = {}

    def measure() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    _grow(world, 2, state)
    c.get(url)
    few = measure()
    _grow(world, 30, state)
    many = measure()
    allowance = len(providers()) if url in ("/inbox/", "/") else 0
    assert few <= many <= few + allowance
    _grow(world, 60, state)
    assert measure() == many
    assert many <= 25
