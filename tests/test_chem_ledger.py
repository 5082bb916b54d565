"""The ledger (使用台账) services: recording uses (remaining follows, over-use and dates refused, who records) and
declaring a package used up (a student's reviewed by the supervising teacher, a teacher's passes at once).

People (tests.university_world): t_alice heads 有机化学实验室 and supervises s_active (a student of it); t_bob is
a teacher of 分析化学实验室 (same college); college_admin administers 化学学院; officer is the lab-safety office;
far_teacher is at another university.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from approvals.engine import TransitionRefused
from approvals.inbox import providers
from approvals.models import Decision, Node, Notification, OperationLog
from chemicals import selectors, services, stock
from chemicals.models import LedgerEntry, Package, UsedUpDeclaration
from enterprises.models import Membership
from safety.tenancy import actor_scope, scopes_disabled

from .chem_ledger_helpers import issued_package, pending_declaration, remaining
from .chem_termination_helpers import records_of, reload
from .chem_world import build_chem
from .factories import actor_for
from .university_world import student

pytestmark = pytest.mark.usefixtures("english_messages")

P = Package.Status
D = UsedUpDeclaration.Status
TODAY = timezone.localdate


@pytest.fixture
def chem(world):
    return build_chem(world)


def inbox_count(actor) -> int:
    """The ledger's inbox provider for this actor (the page's middleware opens the actor's scope)."""
    provider = {p.key: p for p in providers()}["chemicals_ledger_review"]
    with actor_scope(actor):
        found = provider.queryset(actor)
        return 0 if found is None else found.count()


def record(chem, who: str, package: Package, quantity: str, *, used_on=None, purpose: str = "重结晶") -> LedgerEntry:
    return services.ledger_record_use(
        actor=chem.actor(who),
        package_id=package.pk,
        used_on=used_on or TODAY(),
        quantity=Decimal(quantity),
        purpose=purpose,
    )


# ---- recording uses ----------------------------------------------------------------------------------


def test_remaining_follows_each_use_and_the_first_use_starts_it(chem):
    package = issued_package(chem, size="500")
    first = record(chem, "s_active", package, "120.5")
    assert (first.remaining_after, reload(package).status) == (Decimal("379.5"), P.IN_USE)
    second = record(chem, "t_alice", package, "79.5", used_on=TODAY() - timedelta(days=1))
    assert second.remaining_after == Decimal("300") == remaining(package)
    assert reload(package).status == P.IN_USE
    with scopes_disabled():
        entries = list(LedgerEntry.objects.filter(package=package).order_by("pk"))
        assert OperationLog.objects.filter(action=OperationLog.Action.CREATE, object_id=str(first.pk)).exists()
    assert [(e.user.username, e.quantity, e.purpose) for e in entries] == [
        ("s_active", Decimal("120.5"), "重结晶"),
        ("t_alice", Decimal("79.5"), "重结晶"),
    ]


def test_the_whole_remainder_may_be_used(chem):
    package = issued_package(chem, size="500", remaining="40")
    assert record(chem, "s_active", package, "40").remaining_after == 0
    assert remaining(package) == 0


@pytest.mark.parametrize(
    ("quantity", "field"),
    [("500.001", "quantity"), ("900", "quantity"), ("0", "quantity"), ("-5", "quantity")],
)
def test_over_use_and_nothing_are_refused_with_what_remains(chem, quantity, field):
    package = issued_package(chem, size="500")
    with pytest.raises(ValidationError) as caught, translation.override("en"):
        record(chem, "s_active", package, quantity)
    assert field in caught.value.error_dict
    if Decimal(quantity) > 0:
        message = caught.value.error_dict["quantity"][0].messages[0]
        assert "Only 500 mL remain in package" in message and package.code in message
    assert remaining(package) == Decimal("500") and reload(package).status == P.ISSUED
    with scopes_disabled():
        assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("days", "ok"),
    [(-1, False), (0, True), (1, True), (10, True), (11, False)],
    ids=["tomorrow", "today", "yesterday", "issue-day", "before-issue"],
)
def test_date_of_use_between_issue_and_today(chem, days, ok):
    package = issued_package(chem, issued_days_ago=10)
    used_on = TODAY() - timedelta(days=days)
    if ok:
        assert record(chem, "s_active", package, "1", used_on=used_on).used_on == used_on
    else:
        with pytest.raises(ValidationError) as caught:
            record(chem, "s_active", package, "1", used_on=used_on)
        assert list(caught.value.error_dict) == ["used_on"]


def test_purpose_is_required(chem):
    with pytest.raises(ValidationError) as caught:
        record(chem, "s_active", issued_package(chem), "1", purpose="  ")
    assert list(caught.value.error_dict) == ["purpose"]


@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("s_active", "ok"),  # a student of the package's lab
        ("t_alice", "ok"),  # the lab's head
        ("t_bob", Http404),  # another lab's teacher: does not see the package
        ("college_admin", PermissionDenied),  # sees the college's labs, does not keep their ledgers
        ("officer", PermissionDenied),
        ("uni_admin", PermissionDenied),
        ("centre", PermissionDenied),
        ("far_teacher", Http404),  # another university
    ],
)
def test_who_records(chem, who, outcome):
    package = issued_package(chem)
    if outcome == "ok":
        assert record(chem, who, package, "5").user.username == who
        return
    with pytest.raises(outcome):
        record(chem, who, package, "5")
    assert remaining(package) == Decimal("500")


def test_a_student_of_another_lab_gets_404(chem):
    other = student(
        chem.uni.university,
        "s_other",
        status=Membership.Status.ACTIVE,
        department=chem.uni.analytic,
        supervisor=chem.uni.t_bob.user,
    )
    package = issued_package(chem)
    with pytest.raises(Http404):
        services.ledger_record_use(
            actor=actor_for(other), package_id=package.pk, used_on=TODAY(), quantity=Decimal(1), purpose="x"
        )
    with pytest.raises(Http404):
        services.ledger_declare_used_up(actor=actor_for(other), package_id=package.pk)


@pytest.mark.parametrize("status", [P.USED_UP, P.COLLECTED, P.IN_STOCK, P.RESERVED])
def test_closed_or_unissued_packages_take_no_uses(chem, status):
    package = issued_package(chem, status=status)
    with pytest.raises(TransitionRefused):
        record(chem, "s_active", package, "1")


# ---- declaring used up -------------------------------------------------------------------------------


def test_student_declaration_waits_for_the_supervisor_who_accepts(chem):
    package = issued_package(chem)
    record(chem, "s_active", package, "490")
    declaration = services.ledger_declare_used_up(actor=chem.actor("s_active"), package_id=package.pk, note="空瓶")
    assert (declaration.status, declaration.reviewer, reload(package).status) == (
        D.PENDING,
        chem.uni.t_alice.user,
        P.IN_USE,
    )
    with scopes_disabled():
        [to_teacher] = Notification.objects.filter(recipient=chem.uni.t_alice.user)
    assert package.code in to_teacher.title
    assert inbox_count(chem.actor("t_alice")) == 1
    assert inbox_count(chem.actor("t_bob")) == 0

    services.ledger_review_declaration(actor=chem.actor("t_alice"), declaration_id=declaration.pk, accept=True)

    declaration, package = reload(declaration), reload(package)
    assert declaration.status == D.ACCEPTED and declaration.decided_at is not None
    assert package.status == P.USED_UP and package.used_up_at is not None
    submit, accept = records_of(declaration)
    assert (submit.node, submit.decision, submit.reviewer_id) == (
        Node.APPLICANT,
        Decision.SUBMIT,
        chem.uni.s_active.user_id,
    )
    assert (accept.node, accept.decision, accept.reviewer_id) == (
        Node.SUPERVISOR,
        Decision.APPROVE,
        chem.uni.t_alice.user_id,
    )
    assert accept.node_name == chem.uni.organic.name
    with scopes_disabled():
        [to_student] = Notification.objects.filter(recipient=chem.uni.s_active.user)
    assert package.code in to_student.title
    assert inbox_count(chem.actor("t_alice")) == 0


def test_supervisor_rejects_with_a_reason_and_the_student_declares_again(chem):
    package = issued_package(chem)
    declaration = services.ledger_declare_used_up(actor=chem.actor("s_active"), package_id=package.pk)
    with pytest.raises(TransitionRefused):
        services.ledger_review_declaration(actor=chem.actor("t_alice"), declaration_id=declaration.pk, accept=False)
    services.ledger_review_declaration(
        actor=chem.actor("t_alice"), declaration_id=declaration.pk, accept=False, reason="瓶内仍有约50 mL"
    )
    assert reload(declaration).status == D.REJECTED and reload(package).status == P.ISSUED
    assert records_of(declaration)[-1].reason == "瓶内仍有约50 mL"
    with scopes_disabled():
        [told] = Notification.objects.filter(recipient=chem.uni.s_active.user)
    assert "瓶内仍有约50 mL" in told.body
    # The ledger stays open: record the rest, then declare again.
    record(chem, "s_active", package, "50")
    again = services.ledger_declare_used_up(actor=chem.actor("s_active"), package_id=package.pk)
    assert again.status == D.PENDING


def test_teacher_declaration_passes_at_once(chem):
    package = issued_package(chem, lab=chem.uni.analytic)
    declaration = services.ledger_declare_used_up(actor=chem.actor("t_bob"), package_id=package.pk)
    assert declaration.status == D.ACCEPTED and declaration.reviewer == chem.uni.t_bob.user
    assert reload(package).status == P.USED_UP
    submit, passed = records_of(declaration)
    assert submit.decision == Decision.SUBMIT
    assert (passed.node, passed.decision, passed.reviewer_id) == (
        Node.SUPERVISOR,
        Decision.APPROVE,
        chem.uni.t_bob.user_id,
    )
    with translation.override("en"):
        assert passed.reason == "Declared by a teacher: passes without review."
    with scopes_disabled():
        assert not Notification.objects.exists()  # nobody to tell


def test_one_pending_declaration_per_package(chem):
    package = issued_package(chem)
    services.ledger_declare_used_up(actor=chem.actor("s_active"), package_id=package.pk)
    with pytest.raises(TransitionRefused):
        services.ledger_declare_used_up(actor=chem.actor("s_active"), package_id=package.pk)
    with pytest.raises(TransitionRefused):  # the teacher too: the student's awaits review
        services.ledger_declare_used_up(actor=chem.actor("t_alice"), package_id=package.pk)


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("t_bob", Http404),  # another lab's teacher
        ("far_teacher", Http404),
        ("college_admin", PermissionDenied),  # sees it, is not the supervisor
        ("officer", PermissionDenied),
        ("s_active", PermissionDenied),  # the student cannot accept their own
    ],
)
def test_only_the_supervisor_reviews(chem, who, error):
    package = issued_package(chem)
    declaration = pending_declaration(package, chem.uni.s_active.user, chem.uni.t_alice.user)
    with pytest.raises(error):
        services.ledger_review_declaration(actor=chem.actor(who), declaration_id=declaration.pk, accept=True)
    assert reload(declaration).status == D.PENDING and reload(package).status == P.ISSUED


def test_a_decided_declaration_cannot_be_decided_again(chem):
    package = issued_package(chem)
    declaration = services.ledger_declare_used_up(actor=chem.actor("s_active"), package_id=package.pk)
    services.ledger_review_declaration(actor=chem.actor("t_alice"), declaration_id=declaration.pk, accept=True)
    with pytest.raises(TransitionRefused):
        services.ledger_review_declaration(
            actor=chem.actor("t_alice"), declaration_id=declaration.pk, accept=False, reason="改主意"
        )
    assert reload(package).status == P.USED_UP


@pytest.mark.parametrize("who", ["college_admin", "officer", "t_bob", "far_teacher"])
def test_only_lab_people_declare(chem, who):
    package = issued_package(chem)
    with pytest.raises((PermissionDenied, Http404)):
        services.ledger_declare_used_up(actor=chem.actor(who), package_id=package.pk)
    assert reload(package).status == P.ISSUED


def test_used_up_still_counts_against_the_stock_limit_until_collected(chem):
    lab = chem.uni.organic
    package = issued_package(chem, size="2000")  # 2000 mL = 2 kg
    issued_package(chem, chemical=chem.sodium_hydroxide, size="500")  # 0.5 kg
    with scopes_disabled():
        assert stock.held_kg(lab) == Decimal("2.500")
    services.ledger_declare_used_up(actor=chem.actor("t_alice"), package_id=package.pk)
    with scopes_disabled():
        assert stock.held_kg(lab) == Decimal("2.500")
        Package.objects.filter(pk=package.pk).update(status=P.COLLECTED)
        assert stock.held_kg(lab) == Decimal("0.500")


def test_awaiting_review_is_the_teachers_own(chem):
    package = issued_package(chem)
    declaration = pending_declaration(package, chem.uni.s_active.user, chem.uni.t_alice.user)
    with scopes_disabled():
        assert list(selectors.ledger_declarations_awaiting(chem.actor("t_alice"))) == [declaration]
        assert not selectors.ledger_declarations_awaiting(chem.actor("t_bob")).exists()
        assert selectors.ledger_declarations_awaiting(chem.actor("s_active")) is None
        assert selectors.ledger_declarations_awaiting(chem.actor("officer")) is None
