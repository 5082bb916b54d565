"""The ledger under concurrency (PostgreSQL): people recording uses of one package at once are served one after
the other on the package's row lock, so the remaining quantity never goes below zero and every entry's
"remaining after" is right; two decisions on one declaration: one wins."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from approvals.engine import TransitionRefused
from chemicals import services
from chemicals.models import LedgerEntry, Package, UsedUpDeclaration
from enterprises.models import Membership
from safety.tenancy import scopes_disabled

from .chem_ledger_helpers import issued_package, pending_declaration, remaining
from .chem_termination_helpers import actor_of, records_of, reload, run_together
from .chem_world import build_chem
from .university_world import student

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chem(world):
    return build_chem(world)


@pytest.fixture
def lab_people(chem) -> list[int]:
    """Four who record for 有机化学实验室: its head, s_active and two more students."""
    extra = [
        student(
            chem.uni.university,
            f"s_lab{i}",
            status=Membership.Status.ACTIVE,
            department=chem.uni.organic,
            supervisor=chem.uni.t_alice.user,
        ).pk
        for i in range(2)
    ]
    return [chem.uni.t_alice.pk, chem.uni.s_active.pk, *extra]


def use(membership_pk: int, package_id: int, quantity: str):
    return lambda: services.ledger_record_use(
        actor=actor_of(membership_pk),
        package_id=package_id,
        used_on=timezone.localdate() - timedelta(days=1),
        quantity=Decimal(quantity),
        purpose="并发记录",
    )


def test_uses_recorded_at_once_never_drive_remaining_below_zero(chem, lab_people):
    package = issued_package(chem, size="500")
    outcome = run_together([use(pk, package.pk, "200") for pk in lab_people])

    assert len(outcome.successes) == 2 and len(outcome.refusals) == 2
    assert all(isinstance(r, ValidationError) and "quantity" in r.error_dict for r in outcome.refusals)
    assert remaining(package) == Decimal("100")
    with scopes_disabled():
        entries = list(LedgerEntry.objects.filter(package=package).order_by("pk"))
    assert [e.remaining_after for e in entries] == [Decimal("300"), Decimal("100")]
    assert reload(package).status == Package.Status.IN_USE


def test_small_uses_at_once_all_count(chem, lab_people):
    package = issued_package(chem, size="500")
    outcome = run_together([use(pk, package.pk, "12.5") for pk in lab_people])
    assert len(outcome.successes) == 4 and not outcome.refusals
    assert remaining(package) == Decimal("450")
    with scopes_disabled():
        afters = sorted(LedgerEntry.objects.filter(package=package).values_list("remaining_after", flat=True))
    assert afters == [Decimal("450"), Decimal("462.5"), Decimal("475"), Decimal("487.5")]


def test_accept_and_reject_at_once_one_wins(chem):
    package = issued_package(chem)
    declaration = pending_declaration(package, chem.uni.s_active.user, chem.uni.t_alice.user)
    teacher = chem.uni.t_alice.pk

    def decide(accept: bool):
        return lambda: services.ledger_review_declaration(
            actor=actor_of(teacher), declaration_id=declaration.pk, accept=accept, reason="" if accept else "未用完"
        )

    outcome = run_together([decide(True), decide(False), decide(True)])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 2
    assert all(isinstance(r, TransitionRefused) for r in outcome.refusals)
    declaration = reload(declaration)
    [decided] = [r for r in records_of(declaration)]
    expected = (
        Package.Status.USED_UP if declaration.status == UsedUpDeclaration.Status.ACCEPTED else Package.Status.ISSUED
    )
    assert reload(package).status == expected
    assert decided.to_state == declaration.status


def test_a_use_racing_the_declaration_acceptance_is_serialised(chem):
    """Recording a use while the supervisor accepts: either the use lands first (then the package is used up),
    or the acceptance does (then the ledger is closed and the use is refused)."""
    package = issued_package(chem)
    declaration = pending_declaration(package, chem.uni.s_active.user, chem.uni.t_alice.user)
    outcome = run_together(
        [
            use(chem.uni.s_active.pk, package.pk, "10"),
            lambda: services.ledger_review_declaration(
                actor=actor_of(chem.uni.t_alice.pk), declaration_id=declaration.pk, accept=True
            ),
        ]
    )
    assert reload(package).status == Package.Status.USED_UP
    with scopes_disabled():
        recorded = LedgerEntry.objects.filter(package=package).count()
    assert recorded + len(outcome.refusals) == 1
    assert remaining(package) == Decimal("500") - 10 * recorded
