"""Who may take which step on a hazard, on both sides (DOMAIN.md "Who reviews"; the alice / bob / charlie and
gov_alice / gov_bob / gov_charlie pattern).

Outcomes: "ok" (the step is taken), 403 (the actor sees the hazard but may not take the step), 404 (the hazard
is not in the actor's scope at all). Services and pages agree: the page offers exactly the steps that work.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from enterprises.models import Membership, Role
from hazards import services
from hazards.models import Hazard, SupervisedListing
from safety.tenancy import scopes_disabled

from .factories import MembershipFactory, UserFactory
from .hazard_factories import make_extension, make_hazard, make_listing, photo_upload, reload

S = Hazard.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people(world):
    """The world's people plus an acme safety manager, a county reviewer above 南城办 and a reviewer of a
    neighbouring district (龙马潭, whose jurisdiction does not hold acme)."""
    extra = {
        "sam": MembershipFactory(
            user=UserFactory(username="sam"), enterprise=world.acme, role=Membership.Role.SAFETY_MANAGER
        ),
        "county_reviewer": MembershipFactory(
            user=UserFactory(username="county_reviewer"), body=world.jiangyang_bureau, role=Membership.Role.REVIEWER
        ),
        "neighbour_reviewer": MembershipFactory(
            user=UserFactory(username="neighbour_reviewer"),
            body=world.longmatan_bureau,
            role=Membership.Role.REVIEWER,
        ),
        "gov_inspector": MembershipFactory(
            user=UserFactory(username="gov_inspector"), body=world.nancheng_office, role=Membership.Role.INSPECTOR
        ),
    }

    def actor(name: str):
        from .factories import actor_for

        return actor_for(extra[name]) if name in extra else world.actor(name)

    return actor


def outcome(call) -> str | int:
    try:
        call()
    except PermissionDenied:
        return 403
    except Http404:
        return 404
    return "ok"


# --------------------------------------------------------------------------------------------------------------
# Who reviews: by level and registrar
# --------------------------------------------------------------------------------------------------------------

REVIEWERS = [
    "alice",
    "sam",
    "bob",
    "charlie",
    "gov_alice",
    "gov_bob",
    "gov_inspector",
    "county_reviewer",
    "city_reviewer",
    "neighbour_reviewer",
    "gov_charlie",
]
OUTSIDERS = {"charlie", "gov_charlie", "neighbour_reviewer"}
GOVERNMENT_REVIEWERS = {"gov_alice", "county_reviewer", "city_reviewer"}

# case → (level, registering body attribute of the world or None) and who may review it
WHO_REVIEWS = {
    "enterprise's general": ("general", None, {"alice", "sam"}),
    "enterprise's major": ("major", None, GOVERNMENT_REVIEWERS),
    "township's general": ("general", "nancheng_office", GOVERNMENT_REVIEWERS),
    "city's general": ("general", "city_bureau", GOVERNMENT_REVIEWERS),
    "township's major": ("major", "nancheng_office", GOVERNMENT_REVIEWERS),
}


def _who_cases():
    for case, (level, body, allowed) in WHO_REVIEWS.items():
        for who in REVIEWERS:
            expected = 404 if who in OUTSIDERS else ("ok" if who in allowed else 403)
            yield pytest.param(case, level, body, who, expected, id=f"{case}-{who}")


@pytest.mark.parametrize(("case", "level", "body", "who", "expected"), list(_who_cases()))
def test_who_reviews_a_rectification(world, people, case, level, body, who, expected):
    hazard = make_hazard(
        world.acme, status=S.REPORTED, level=level, registered_by_body=getattr(world, body) if body else None
    )
    result = outcome(
        lambda: services.rectification_review(actor=people(who), hazard_id=hazard.pk, passed=True, reason="ok")
    )
    assert result == expected
    assert reload(hazard).status == (S.CLOSED if expected == "ok" else S.REPORTED)


@pytest.mark.parametrize(("case", "level", "body", "who", "expected"), list(_who_cases()))
def test_who_reviews_an_extension(world, people, case, level, body, who, expected):
    hazard = make_hazard(
        world.acme,
        status=S.EXTENSION_REQUESTED,
        level=level,
        deadline=timezone.now() - timedelta(days=1),
        registered_by_body=getattr(world, body) if body else None,
    )
    make_extension(hazard)
    result = outcome(
        lambda: services.extension_review(actor=people(who), hazard_id=hazard.pk, approve=False, reason="不予延期")
    )
    assert result == expected


def test_a_custom_role_may_grant_the_enterprise_review(world):
    hazard = make_hazard(world.acme, status=S.REPORTED)
    with pytest.raises(PermissionDenied):
        services.rectification_review(actor=world.actor("bob"), hazard_id=hazard.pk, passed=True)
    with scopes_disabled():
        role = Role.objects.create(enterprise=world.acme, name="隐患复查", permissions=["hazards.review"])
        world.bob.custom_roles.add(role)
    services.rectification_review(actor=world.actor("bob"), hazard_id=hazard.pk, passed=True)
    assert reload(hazard).status == S.CLOSED


# --------------------------------------------------------------------------------------------------------------
# The rectifying side and the government's other steps
# --------------------------------------------------------------------------------------------------------------

PEOPLE = ["alice", "bob", "charlie", "gov_alice", "gov_bob", "gov_charlie"]


def _report(actor, h):
    services.rectification_report(actor=actor, hazard_id=h.pk, measures="已整改", after_photos=[photo_upload()])


def _request_extension(actor, h):
    services.extension_request(
        actor=actor, hazard_id=h.pk, reason="备件未到", requested_deadline=timezone.now() + timedelta(days=9)
    )


def _edit(actor, h):
    services.hazard_update(actor=actor, hazard_id=h.pk, details=services.HazardDetails(title="改", source="self"))


def _delete(actor, h):
    services.hazard_delete(actor=actor, hazard_id=h.pk)


def _supervise(actor, h):
    services.hazard_supervise(actor=actor, hazard_id=h.pk, notice_number="督1", notice="限期整改")


def _request_delisting(actor, h):
    services.listing_request_delisting(actor=actor, hazard_id=h.pk, reason="已整改完毕")


def _decide_delisting(actor, h):
    services.listing_decide(actor=actor, hazard_id=h.pk, delist=True)


def _registered(world, **kw):
    return make_hazard(world.acme, **kw)


def _overdue(world, **kw):
    return make_hazard(world.acme, status=S.OVERDUE, deadline=timezone.now() - timedelta(days=1), **kw)


def _major(world, **kw):
    return make_hazard(world.acme, level="major", **kw)


def _listed(world, **kw):
    hazard = make_hazard(world.acme, level="major", status=S.CLOSED, **kw)
    make_listing(hazard, world.nancheng_office)
    return hazard


def _delisting_requested(world, **kw):
    hazard = make_hazard(world.acme, level="major", status=S.CLOSED, **kw)
    make_listing(hazard, world.nancheng_office, status=SupervisedListing.Status.DELISTING_REQUESTED)
    return hazard


# step → (make, call, expected outcome per person)
STEP_TABLE = {
    "report": (_registered, _report, {"alice": "ok", "bob": 403, "gov_alice": 403, "gov_bob": 403}),
    "request_extension": (_overdue, _request_extension, {"alice": "ok", "bob": 403, "gov_alice": 403, "gov_bob": 403}),
    "edit": (_registered, _edit, {"alice": "ok", "bob": 403, "gov_alice": 403, "gov_bob": 403}),
    "delete": (_registered, _delete, {"alice": "ok", "bob": 403, "gov_alice": 403, "gov_bob": 403}),
    "supervise": (_major, _supervise, {"alice": 403, "bob": 403, "gov_alice": "ok", "gov_bob": 403}),
    "request_delisting": (_listed, _request_delisting, {"alice": "ok", "bob": 403, "gov_alice": 403, "gov_bob": 403}),
    "decide_delisting": (
        _delisting_requested,
        _decide_delisting,
        {"alice": 403, "bob": 403, "gov_alice": "ok", "gov_bob": 403},
    ),
}


def _step_cases():
    for step, (_make, _call, expected) in STEP_TABLE.items():
        for who in PEOPLE:
            yield pytest.param(step, who, expected.get(who, 404), id=f"{step}-{who}")


@pytest.mark.parametrize(("step", "who", "expected"), list(_step_cases()))
def test_permission_table(world, step, who, expected):
    make, call, _expected = STEP_TABLE[step]
    hazard = make(world)
    assert outcome(lambda: call(world.actor(who), hazard)) == expected


def test_the_person_responsible_and_the_registrant(world):
    """bob (staff) reports the hazard he is responsible for, and edits the one he registered himself."""
    mine = make_hazard(world.acme, responsible_user=world.bob.user)
    _report(world.actor("bob"), mine)
    assert reload(mine).status == S.REPORTED
    registered = services.hazard_register(actor=world.actor("bob"), details=services.HazardDetails(title="漏油"))
    _edit(world.actor("bob"), registered)
    assert reload(registered).title == "改"
    overdue = _overdue(world, responsible_user=world.bob.user)
    _request_extension(world.actor("bob"), overdue)
    assert reload(overdue).status == S.EXTENSION_REQUESTED


def test_a_government_finding_is_changed_by_the_government_rectified_by_the_enterprise(world):
    hazard = services.hazard_register(
        actor=world.actor("gov_alice"),
        details=services.HazardDetails(title="安全出口锁闭"),
        enterprise_id=world.acme.pk,
    )
    assert outcome(lambda: _edit(world.actor("alice"), hazard)) == 403
    assert outcome(lambda: _edit(world.actor("gov_bob"), hazard)) == 403
    assert outcome(lambda: _edit(world.actor("city_reviewer"), hazard)) == "ok"  # a body above the registrant
    assert outcome(lambda: _report(world.actor("gov_alice"), hazard)) == 403  # the government does not rectify
    assert outcome(lambda: _report(world.actor("alice"), hazard)) == "ok"
    assert (
        outcome(lambda: services.rectification_review(actor=world.actor("alice"), hazard_id=hazard.pk, passed=True))
        == 403
    )
    services.rectification_review(actor=world.actor("gov_alice"), hazard_id=hazard.pk, passed=True)
    assert reload(hazard).status == S.CLOSED


def test_delisting_is_decided_by_the_listing_body_or_one_above(world):
    hazard = make_hazard(world.acme, level="major", status=S.CLOSED)
    make_listing(hazard, world.city_bureau, status=SupervisedListing.Status.DELISTING_REQUESTED)
    assert outcome(lambda: _decide_delisting(world.actor("gov_alice"), hazard)) == 403  # below the city bureau
    assert outcome(lambda: _decide_delisting(world.actor("city_reviewer"), hazard)) == "ok"


# --------------------------------------------------------------------------------------------------------------
# Pages: the detail page offers exactly the steps the actor may take now
# --------------------------------------------------------------------------------------------------------------

ACTION_IDS = [
    "action-report",
    "action-review",
    "action-request-extension",
    "action-review-extension",
    "action-edit",
    "action-delete",
    "action-supervise",
    "action-request-delisting",
    "action-decide-delisting",
]


def _reported_major(w):
    return make_hazard(w.acme, status=S.REPORTED, level="major")


# (hazard maker, person) → the actions shown
PAGE_TABLE = [
    (_registered, "alice", {"action-report", "action-edit", "action-delete"}),
    (_registered, "bob", set()),
    (_registered, "gov_alice", set()),
    (lambda w: make_hazard(w.acme, status=S.REPORTED), "alice", {"action-review"}),
    (lambda w: make_hazard(w.acme, status=S.REPORTED), "gov_alice", set()),
    (lambda w: make_hazard(w.acme, status=S.REPORTED, level="major"), "alice", set()),
    (
        lambda w: make_hazard(w.acme, status=S.REPORTED, level="major"),
        "gov_alice",
        {"action-review", "action-supervise"},
    ),
    (lambda w: make_hazard(w.acme, status=S.REPORTED, level="major"), "gov_bob", set()),
    (_overdue, "alice", {"action-request-extension"}),
    (_overdue, "bob", set()),
    (lambda w: make_hazard(w.acme, deadline=timezone.now() - timedelta(minutes=1)), "alice", set()),
    (_listed, "alice", {"action-request-delisting"}),
    (_delisting_requested, "gov_alice", {"action-decide-delisting"}),
    (lambda w: make_hazard(w.acme, status=S.CLOSED), "alice", set()),
]


@pytest.mark.parametrize(("make", "who", "shown"), PAGE_TABLE)
def test_detail_page_offers_the_allowed_steps_only(world, login, make, who, shown):
    hazard = make(world)
    html = login(getattr(world, who)).get(f"/hazards/{hazard.pk}/").content.decode()
    assert {a for a in ACTION_IDS if f'data-testid="{a}"' in html} == shown
    assert 'data-testid="action-notice"' in html  # everyone who sees it may print the notice


def test_a_step_page_answers_403_to_who_may_never_take_it_and_sends_others_back(world, login):
    reported = make_hazard(world.acme, status=S.REPORTED)
    assert login(world.bob).get(f"/hazards/{reported.pk}/review/").status_code == 403
    assert login(world.gov_alice).get(f"/hazards/{reported.pk}/review/").status_code == 403
    registered = make_hazard(world.acme)
    response = login(world.alice).get(f"/hazards/{registered.pk}/review/")  # may review, but nothing reported
    assert response.status_code == 302 and response["Location"] == f"/hazards/{registered.pk}/"
    assert login(world.alice).get(f"/hazards/{reported.pk}/review/").status_code == 200


def test_pages_on_each_side(world, login):
    assert login(world.alice).get("/hazards/").status_code == 200
    assert login(world.gov_alice).get("/hazards/").status_code == 403
    assert login(world.alice).get("/gov/hazards/awaiting-review/").status_code == 403
    assert login(world.gov_bob).get("/gov/hazards/awaiting-review/").status_code == 200
    assert login(world.gov_bob).get("/gov/hazards/inspection/new/").status_code == 403
    assert login(world.gov_alice).get("/gov/hazards/inspection/new/").status_code == 200
    assert login(world.gov_alice).get("/hazards/new/").status_code == 403
    assert login(world.bob).get("/hazards/new/").status_code == 200
