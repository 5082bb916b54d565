"""Concurrent steps on requisitions (PostgreSQL row locks): two centre staff issuing or stocking the same
requisition, two requisitions reaching for the same package, two office reviewers deciding at once. One wins,
the other gets a clear refusal, and no package is reserved or issued twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from approvals.models import Node
from chemicals import services
from chemicals.models import Package, Requisition
from enterprises.models import Membership
from safety.tenancy import scopes_disabled

from .chem_requisition_helpers import SRC, S, approve_to_office, packages_of, reload, review, stock_up, submit, write
from .chem_termination_helpers import actor_of, records_of, run_together
from .chem_world import build_chem
from .university_world import member

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english_messages")]
P = Package.Status


@pytest.fixture
def chem(world):
    return build_chem(world)


def _line_pk(req: Requisition) -> int:
    with scopes_disabled():
        return req.lines.get().pk


def test_two_centre_staff_issue_the_same_requisition(chem):
    own = stock_up(chem.organic_store, chem.acetone, "500", 3)
    req = approve_to_office(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 2)]))
    people = [chem.centre.pk, chem.centre2.pk]
    outcome = run_together([lambda pk=pk: services.requisition_issue(actor=actor_of(pk), pk=req.pk) for pk in people])
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 1
    assert reload(req).status == S.COMPLETED
    issued = packages_of(req)
    assert len(issued) == 2 and {p.status for p in issued} == {P.ISSUED}
    assert [reload(p).status for p in own].count(P.IN_STOCK) == 1
    assert [r.to_state for r in records_of(req)].count(S.COMPLETED) == 1


def test_two_centre_staff_stock_the_same_requisition(chem):
    north = stock_up(chem.north_store, chem.ethanol, "500", 4)
    req = approve_to_office(chem, write(chem, "s_active", SRC.CENTRE_PHYSICAL, [(chem.ethanol, "500", 2)]))
    line = _line_pk(req)
    choices = {chem.centre.pk: [north[0].pk, north[1].pk], chem.centre2.pk: [north[2].pk, north[3].pk]}
    outcome = run_together(
        [
            lambda pk=pk, ids=ids: services.requisition_stock(
                actor=actor_of(pk), pk=req.pk, unit_prices={line: Decimal("5")}, packages={line: ids}
            )
            for pk, ids in choices.items()
        ]
    )
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 1
    reserved = packages_of(req)
    assert len(reserved) == 2 and {p.status for p in reserved} == {P.RESERVED}
    with scopes_disabled():
        assert Package.objects.filter(status=P.RESERVED).count() == 2
        assert Package.objects.filter(status=P.IN_STOCK, store=chem.north_store).count() == 2


def test_two_requisitions_reach_for_the_same_package(chem):
    north = stock_up(chem.north_store, chem.ethanol, "500", 2)
    first = approve_to_office(chem, write(chem, "s_active", SRC.CENTRE_PHYSICAL, [(chem.ethanol, "500", 1)]))
    second = approve_to_office(chem, write(chem, "s_active", SRC.CENTRE_PHYSICAL, [(chem.ethanol, "500", 1)]))
    wanted = north[0].pk

    def in_english(call):
        # Translation is per thread: the workers would answer in the site's default language, Chinese.
        def run():
            with translation.override("en"):
                return call()

        return run

    outcome = run_together(
        [
            in_english(
                lambda req=req, who=who: services.requisition_stock(
                    actor=actor_of(who),
                    pk=req.pk,
                    unit_prices={_line_pk(req): Decimal("5")},
                    packages={_line_pk(req): [wanted]},
                )
            )
            for req, who in ((first, chem.centre.pk), (second, chem.centre2.pk))
        ]
    )
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 1
    assert "no longer in stock" in outcome.refusals[0].message
    with scopes_disabled():
        holder = Package.objects.get(pk=wanted)
        assert holder.status == P.RESERVED
        assert Package.objects.filter(requisition_line__isnull=False).count() == 1
    assert sorted(reload(r).status for r in (first, second)) == sorted([S.APPROVED, S.STOCKED])


def test_two_issues_from_one_lab_store_take_different_packages(chem):
    stock_up(chem.organic_store, chem.acetone, "500", 2)
    first = approve_to_office(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    second = approve_to_office(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    outcome = run_together(
        [
            lambda req=req, who=who: services.requisition_issue(actor=actor_of(who), pk=req.pk)
            for req, who in ((first, chem.centre.pk), (second, chem.centre2.pk))
        ]
    )
    assert len(outcome.successes) == 2
    taken = [p.pk for req in (first, second) for p in packages_of(req)]
    assert len(taken) == len(set(taken)) == 2


def test_two_office_reviewers_decide_at_once(chem):
    officer2 = member(chem.uni.university, "officer2", Membership.Role.LAB_SAFETY_OFFICER)
    stock_up(chem.organic_store, chem.acetone, "500", 1)
    req = submit(chem, write(chem, "s_active", SRC.LAB, [(chem.acetone, "500", 1)]))
    req = review(chem, review(chem, req, "t_alice"), "college_admin")
    assert req.status == S.OFFICE_REVIEW
    outcome = run_together(
        [
            lambda: services.requisition_review(actor=actor_of(chem.uni.officer.pk), pk=req.pk, approve=True),
            lambda: services.requisition_review(
                actor=actor_of(officer2.pk), pk=req.pk, approve=False, reason="库存不足"
            ),
        ]
    )
    assert len(outcome.successes) == 1 and len(outcome.refusals) == 1
    final = reload(req).status
    assert final in (S.APPROVED, S.REJECTED)
    office = [r for r in records_of(req) if r.node == Node.LAB_SAFETY_OFFICE]
    assert len(office) == 1 and office[0].to_state == final
