"""Inspections at once: generators racing each other (beat and a manual run, two workers), missed sweeps racing,
and the same checklist submitted twice at the same moment (a double tap, a retry while the first is still in
flight). PostgreSQL only (conftest skips race tests elsewhere)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
import time_machine
from django.db import close_old_connections, connection

from approvals.engine import TransitionRefused
from hazards import services
from hazards.models import ControlMeasure, InspectionResult, InspectionTask
from safety.tenancy import scopes_disabled

from .lists_world import all_tasks, make_list, make_point, make_task

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

WEDNESDAY = date(2026, 11, 25)


def together(*calls: Callable[[], object]) -> tuple[list, list[BaseException]]:
    """Run the calls in threads released at once by a barrier; (results, errors)."""
    results: list = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(calls))
    lock = threading.Lock()

    def worker(call) -> None:
        try:
            barrier.wait(timeout=30)
            value = call()
            with lock:
                results.append(value)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    close_old_connections()
    return results, errors


def test_generators_at_once_make_each_task_once(world):
    points = [make_point(world.acme) for _ in range(5)]
    make_list(world.acme, points, status="filed", checks_per_day=3)
    make_list(world.acme, points[:2], status="filed", frequency="weekly")
    make_list(world.far, [make_point(world.far)], status="filed", workdays_only=False)
    results, errors = together(*[lambda: services.inspection_tasks_generate(on_date=WEDNESDAY, batch=1)] * 4)
    assert not errors, errors
    rows = all_tasks()
    assert len(rows) == len(set((r[0], r[1], r[2], r[4]) for r in rows)) == 5 * 3 + 2 + 1
    services.inspection_tasks_generate(on_date=WEDNESDAY)
    assert all_tasks() == rows


def test_missed_sweeps_at_once_mark_each_task_once(world):
    point = make_point(world.acme)
    risk_list = make_list(world.acme, [point], status="filed", workdays_only=False, checks_per_day=7)
    for days in range(1, 8):
        for slot in range(1, 8):
            make_task(risk_list, point, WEDNESDAY - timedelta(days=days), slot=slot)
    today = make_task(risk_list, point, WEDNESDAY)
    results, errors = together(*[lambda: services.inspection_tasks_mark_missed(on_date=WEDNESDAY, batch=3)] * 4)
    assert not errors, errors
    assert sum(results) == 49
    with scopes_disabled():
        assert InspectionTask.objects.filter(status="missed").count() == 49
        assert InspectionTask.objects.get(pk=today.pk).status == "due"


@pytest.fixture
def due_task(world):
    point = make_point(world.acme)
    risk_list = make_list(world.acme, [point], status="filed", workdays_only=False)
    task = make_task(risk_list, point, WEDNESDAY)
    with scopes_disabled():
        measures = list(ControlMeasure.objects.filter(factor__risk_point=point))
    return task, [services.ChecklistAnswer(m.pk, i != 0, "") for i, m in enumerate(measures)]


def _submit(world, who, task, answers, submission_id):
    return lambda: services.inspection_submit(
        actor=world.actor(who), task_id=task.pk, submission_id=submission_id, answers=answers
    )


@time_machine.travel("2026-11-25 10:00:00+08:00", tick=True)
def test_the_same_submission_at_once_records_one_check(world, due_task):
    task, answers = due_task
    sid = uuid.uuid4()
    results, errors = together(*[_submit(world, "bob", task, answers, sid)] * 3)
    assert not errors, errors
    assert sorted(r.replayed for r in results) == [False, True, True]
    assert {r.task.pk for r in results} == {task.pk}
    with scopes_disabled():
        assert InspectionResult.objects.filter(task=task).count() == len(answers)
        assert InspectionTask.objects.get(pk=task.pk).submission_id == sid


@time_machine.travel("2026-11-25 10:00:00+08:00", tick=True)
def test_two_people_checking_at_once_record_one_check(world, due_task):
    task, answers = due_task
    results, errors = together(
        _submit(world, "alice", task, answers, uuid.uuid4()), _submit(world, "bob", task, answers, uuid.uuid4())
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], TransitionRefused)
    with scopes_disabled():
        done = InspectionTask.objects.get(pk=task.pk)
        assert InspectionResult.objects.filter(task=task).count() == len(answers)
    assert done.status == "done" and done.submission_id == results[0].task.submission_id
