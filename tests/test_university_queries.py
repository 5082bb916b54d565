"""The university's list pages cost a fixed number of queries, however many labs or students they show."""

from __future__ import annotations

import itertools
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from enterprises import services
from enterprises.models import Department, Membership
from enterprises.services import LabProfile

from .university_world import Uni, build_uni, department, student, student_actor, teacher

FEW, MANY = 2, 30
CEILING = 25
_n = itertools.count(1)


@pytest.fixture
def uni(world) -> Uni:
    return build_uni(world)


def grow_labs(uni: Uni, n: int) -> None:
    """Labs in both colleges, each with a head teacher, a limit and a student."""
    while _count_labs(uni) < n:
        i = next(_n)
        college = uni.chemistry if i % 2 else uni.life
        lab = department(uni.university, f"实验室{i:03d}", Department.Kind.LAB, college)
        head = teacher(uni.university, f"qc_head_{i}", lab)
        student(uni.university, f"qc_lab_student_{i}", department=lab, status=Membership.Status.ACTIVE)
        services.lab_update(actor=uni.actor("officer"), lab_id=lab.pk, head=head.user, stock_limit=i)


def _count_labs(uni: Uni) -> int:
    from safety.tenancy import scopes_disabled

    with scopes_disabled():
        return Department.objects.filter(enterprise=uni.university, kind=Department.Kind.LAB).count()


def grow_students(uni: Uni, n: int) -> None:
    """Students of t_alice through the services: submitted, some rejected and resubmitted, some approved."""
    while Membership.objects.filter(supervisor=uni.t_alice.user).count() < n:
        i = next(_n)
        m = student(uni.university, f"qc_student_{i}", full_name=f"学生{i:03d}")
        services.student_activation_submit(
            actor=student_actor(m),
            profile=LabProfile(full_name=f"学生{i:03d}", phone="13800000000", email="", department=uni.organic),
            supervisor=uni.t_alice.user,
        )
        if i % 3 == 1:
            services.student_activation_approve(actor=uni.actor("t_alice"), membership_id=m.pk)
        elif i % 3 == 2:
            services.student_activation_reject(actor=uni.actor("t_alice"), membership_id=m.pk, reason="重选")


def _measure(c: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200, f"{url} → {response.status_code}"
    return [re.sub(r"'[^']*'::timestamptz", "'…'", q["sql"]) for q in ctx.captured_queries]


@pytest.mark.parametrize(
    ("who", "url", "grow"),
    [
        pytest.param("officer", "/lab/colleges/", grow_labs, id="colleges-officer"),
        pytest.param("college_admin", "/lab/colleges/", grow_labs, id="colleges-college-admin"),
        pytest.param("t_alice", "/lab/activations/", grow_students, id="activations-teacher"),
        pytest.param("uni_admin", "/lab/activations/", grow_students, id="activations-admin"),
        pytest.param("t_alice", "/lab/activations/?status=pending", grow_students, id="activations-pending"),
        pytest.param("t_alice", "/inbox/", grow_students, id="teacher-inbox"),
    ],
)
def test_query_count_does_not_grow_with_rows(uni, login, who, url, grow):
    c = login(getattr(uni, who), Client())
    grow(uni, FEW)
    c.get(url)  # warm-up
    few = _measure(c, url)
    grow(uni, MANY)
    many = _measure(c, url)
    assert len(few) <= CEILING, "\n".join(few)
    assert len(many) == len(few), f"{len(few)} queries with {FEW} rows, {len(many)} with {MANY}:\n" + "\n".join(many)


def test_the_rows_are_on_the_pages(uni, login):
    grow_labs(uni, MANY)
    grow_students(uni, MANY)
    html = login(uni.officer, Client()).get("/lab/colleges/").content.decode()
    assert html.count('data-testid="lab-row"') == MANY
    html = login(uni.t_alice, Client()).get("/lab/activations/").content.decode()
    assert html.count('data-testid="activation-row"') == 25  # a page (s_active is t_alice's too)
    inbox = login(uni.t_alice, Client()).get("/inbox/").content.decode()
    assert inbox.count("/lab/activations/") >= MANY // 3
