"""Inspections: the daily task generation (only filed lists, periods, slots, weekends, idempotent, missed marking),
the QR checklist (due task, pass / fail, idempotent submission, input kept on error, who may open it), the result
page with hazard registration pre-filled, and the task list."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import Notification, OperationLog
from enterprises.models import Enterprise
from hazards import services
from hazards.models import ControlMeasure, InspectionResult, InspectionTask
from safety.tenancy import scopes_disabled

from .lists_world import MEASURES, all_tasks, make_list, make_point, make_task

# 2026-11-25 is a Wednesday; 2026-11-28 a Saturday.
WEDNESDAY = date(2026, 11, 25)
SATURDAY = date(2026, 11, 28)
AT_WEDNESDAY = "2026-11-25 09:30:00+08:00"


def task_rows(**filters) -> list[tuple]:
    with scopes_disabled():
        return sorted(
            InspectionTask.objects.filter(**filters).values_list(
                "risk_point__name", "period_start", "period_end", "slot"
            )
        )


# -- Generation -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "submitted", "approved", "filing", "returned"])
def test_only_filed_lists_make_tasks(world, status):
    point = make_point(world.acme, "储罐区")
    make_list(world.acme, [point], status=status)
    services.inspection_tasks_generate(on_date=WEDNESDAY)
    assert all_tasks() == []
    filed = make_list(world.acme, [point], status="filed")
    services.inspection_tasks_generate(on_date=WEDNESDAY)
    with scopes_disabled():
        assert set(InspectionTask.objects.values_list("risk_list_id", flat=True)) == {filed.pk}


GENERATION = [
    # (frequency, workdays_only, checks a day, day, expected (period_start, period_end, slot) per point)
    ("daily", True, 3, WEDNESDAY, [(WEDNESDAY, WEDNESDAY, 1), (WEDNESDAY, WEDNESDAY, 2), (WEDNESDAY, WEDNESDAY, 3)]),
    ("daily", True, 1, SATURDAY, []),
    ("daily", False, 2, SATURDAY, [(SATURDAY, SATURDAY, 1), (SATURDAY, SATURDAY, 2)]),
    ("weekly", True, 1, SATURDAY, [(date(2026, 11, 23), date(2026, 11, 29), 1)]),
    ("monthly", True, 1, WEDNESDAY, [(date(2026, 11, 1), date(2026, 11, 30), 1)]),
    ("quarterly", True, 1, WEDNESDAY, [(date(2026, 10, 1), date(2026, 12, 31), 1)]),
    ("yearly", True, 1, WEDNESDAY, [(date(2026, 1, 1), date(2026, 12, 31), 1)]),
]


@pytest.mark.parametrize(("frequency", "workdays_only", "checks", "day", "expected"), GENERATION)
def test_tasks_per_period_and_slot(world, frequency, workdays_only, checks, day, expected):
    points = [make_point(world.acme, "A点"), make_point(world.acme, "B点")]
    make_list(
        world.acme,
        points,
        status="filed",
        frequency=frequency,
        workdays_only=workdays_only,
        checks_per_day=checks,
    )
    services.inspection_tasks_generate(on_date=day)
    assert task_rows() == sorted((p.name, *e) for p in points for e in expected)


def test_generation_twice_gives_the_same_rows(world):
    points = [make_point(world.acme) for _ in range(3)]
    make_list(world.acme, points, status="filed", checks_per_day=2)
    make_list(world.acme, points[:1], status="filed", frequency="monthly")
    first = services.inspection_tasks_generate(on_date=WEDNESDAY, batch=1)
    rows = all_tasks()
    second = services.inspection_tasks_generate(on_date=WEDNESDAY, batch=1)
    assert all_tasks() == rows and len(rows) == 3 * 2 + 1
    assert first.lists == second.lists == 2 and first.offered == second.offered == 7


def test_next_day_adds_the_new_period_and_marks_the_old_one_missed(world):
    point = make_point(world.acme)
    risk_list = make_list(world.acme, [point], status="filed", checks_per_day=2)
    services.inspection_tasks_generate(on_date=WEDNESDAY)
    with scopes_disabled():
        InspectionTask.objects.filter(slot=1).update(status="done")
    result = services.inspection_tasks_generate(on_date=WEDNESDAY + timedelta(days=1))
    assert result.missed == 1
    with scopes_disabled():
        statuses = dict(
            ((t.period_start, t.slot), t.status) for t in InspectionTask.objects.filter(risk_list=risk_list)
        )
    thursday = WEDNESDAY + timedelta(days=1)
    assert statuses == {
        (WEDNESDAY, 1): "done",
        (WEDNESDAY, 2): "missed",
        (thursday, 1): "due",
        (thursday, 2): "due",
    }


def test_missed_marking_leaves_the_current_period_alone(world):
    point = make_point(world.acme)
    weekly = make_list(world.acme, [point], status="filed", frequency="weekly")
    last_week = make_task(weekly, point, WEDNESDAY - timedelta(days=7))
    this_week = make_task(weekly, point, WEDNESDAY)
    assert services.inspection_tasks_mark_missed(on_date=WEDNESDAY, batch=1) == 1
    assert services.inspection_tasks_mark_missed(on_date=WEDNESDAY) == 0  # idempotent
    with scopes_disabled():
        assert InspectionTask.objects.get(pk=last_week.pk).status == "missed"
        assert InspectionTask.objects.get(pk=this_week.pk).status == "due"


@pytest.mark.parametrize(
    "change", [{"deleted_at": "2026-11-01T00:00:00+08:00"}, {"operating_status": "suspended"}], ids=["deleted", "susp"]
)
def test_deleted_or_suspended_enterprises_get_no_tasks(world, change):
    point = make_point(world.acme)
    make_list(world.acme, [point], status="filed")
    with scopes_disabled():
        Enterprise.unscoped.filter(pk=world.acme.pk).update(**change)
    services.inspection_tasks_generate(on_date=WEDNESDAY)
    assert all_tasks() == []


def test_the_celery_task_and_its_beat_entry(world):
    from hazards.tasks import INSPECTION_TASKS_TASK, generate_inspection_tasks

    entry = settings.CELERY_BEAT_SCHEDULE["inspection-tasks"]
    assert entry["task"] == INSPECTION_TASKS_TASK == generate_inspection_tasks.name
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {5}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    point = make_point(world.acme)
    make_list(world.acme, [point], status="filed", workdays_only=False)
    with time_machine.travel(AT_WEDNESDAY, tick=False):
        result = generate_inspection_tasks.delay().get()
    assert result == {"lists": 1, "offered": 1, "missed": 0}


# -- The checklist --------------------------------------------------------------------------------------------


@pytest.fixture
def due(world):
    """A point on a filed daily list with its task due on the Wednesday."""
    point = make_point(world.acme, "储罐区", place="罐区东侧")
    risk_list = make_list(world.acme, [point], status="filed", name="一车间清单")
    task = make_task(risk_list, point, WEDNESDAY)
    with scopes_disabled():
        measures = list(ControlMeasure.objects.filter(factor__risk_point=point).order_by("factor_id", "pk"))
    return point, risk_list, task, measures


def checklist_url(point) -> str:
    return reverse("hazards:inspection_checklist", args=[point.qr_token])


def answers(task, measures, fail: tuple[int, ...] = (), submission_id=None, notes=None) -> dict:
    data = {"submission_id": str(submission_id or uuid.uuid4()), "task": str(task.pk)}
    for i, m in enumerate(measures):
        data[f"m{m.pk}"] = "fail" if i in fail else "pass"
        data[f"n{m.pk}"] = (notes or {}).get(i, "")
    return data


def results_of(task) -> list[tuple[str, bool, str]]:
    with scopes_disabled():
        return list(InspectionResult.objects.filter(task=task).values_list("measure_text", "passed", "note"))


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_checklist_shows_one_item_per_measure(world, login, due):
    point, risk_list, task, measures = due
    response = login(world.bob).get(checklist_url(point))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="checklist-item"') == len(MEASURES)
    for text in MEASURES:
        assert text in html
    assert f'data-checklist="{task.pk}"' in html and 'name="submission_id"' in html
    assert "js/checklist.js" in html


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_recording_a_check(world, login, due):
    point, risk_list, task, measures = due
    c = login(world.bob)
    response = c.post(checklist_url(point), answers(task, measures, fail=(1,), notes={1: "接地线断开"}))
    assert response.status_code == 302
    assert response.url == reverse("hazards:inspection_task_detail", args=[task.pk])
    with scopes_disabled():
        task.refresh_from_db()
    assert task.status == "done" and task.done_by_id == world.bob.user.pk and task.done_at is not None
    assert results_of(task) == [(MEASURES[0], True, ""), (MEASURES[1], False, "接地线断开"), (MEASURES[2], True, "")]
    with scopes_disabled():
        # The enterprise's managers hear of the failure at once.
        assert Notification.objects.filter(recipient=world.alice.user, url__endswith=f"/{task.pk}/").exists()
    page = c.get(response.url).content.decode()
    assert f'data-checklist-clear="{task.pk}"' in page


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_the_same_submission_twice_records_one_check(world, login, due):
    point, risk_list, task, measures = due
    c = login(world.bob)
    data = answers(task, measures, fail=(0,))
    first = c.post(checklist_url(point), data)
    second = c.post(checklist_url(point), data)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert len(results_of(task)) == len(MEASURES)
    with scopes_disabled():
        assert OperationLog.objects.filter(action="update", object_id=str(task.pk)).count() == 1
        assert Notification.objects.filter(recipient=world.alice.user).count() == 1


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_a_second_check_of_a_done_task_is_refused_and_keeps_the_input(world, login, due):
    point, risk_list, task, measures = due
    login(world.alice).post(checklist_url(point), answers(task, measures))
    bob = login(world.bob, Client())
    response = bob.post(checklist_url(point), answers(task, measures, fail=(2,), notes={2: "鲍勃的备注"}))
    assert response.status_code == 400
    html = response.content.decode()
    assert world.alice.user.display_name in html and "鲍勃的备注" in html
    assert len(results_of(task)) == len(MEASURES)


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_an_incomplete_checklist_comes_back_with_what_was_entered(world, login, due):
    point, risk_list, task, measures = due
    data = answers(task, measures, fail=(0,), notes={0: "液位计损坏"})
    del data[f"m{measures[2].pk}"]
    response = login(world.bob).post(checklist_url(point), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "液位计损坏" in html and data["submission_id"] in html
    assert html.count(" checked") == 2  # the two answers given stay chosen
    assert response.context["form"][f"m{measures[0].pk}"].value() == "fail"
    assert response.context["form"].errors[f"m{measures[2].pk}"]
    with scopes_disabled():
        assert InspectionTask.objects.get(pk=task.pk).status == "due"


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_a_task_of_another_point_is_not_found_through_this_qr_code(world, login, due):
    point, risk_list, task, measures = due
    other = make_point(world.acme, "泵房")
    make_list(world.acme, [other], status="filed")
    response = login(world.bob).post(checklist_url(other), answers(task, measures))
    assert response.status_code in (400, 404)
    with scopes_disabled():
        assert InspectionTask.objects.get(pk=task.pk).status == "due"


@pytest.mark.parametrize(("who", "status"), [("alice", 200), ("bob", 200), ("charlie", 404), ("gov_alice", 404)])
@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_who_opens_a_qr_checklist(world, login, due, who, status):
    point, risk_list, task, measures = due
    c = login(getattr(world, who))
    assert c.get(checklist_url(point)).status_code == status
    response = c.post(checklist_url(point), answers(task, measures))
    assert response.status_code == (302 if status == 200 else 404)


def test_the_checklist_needs_a_login(world, due):
    point = due[0]
    response = Client().get(checklist_url(point))
    assert response.status_code == 302 and "login" in response.url
    assert Client().get(reverse("hazards:inspection_checklist", args=["nope"])).status_code == 302


def test_an_unknown_code_is_not_found(world, login):
    assert login(world.alice).get(reverse("hazards:inspection_checklist", args=["0" * 32])).status_code == 404


@time_machine.travel("2026-11-27 16:00:00+08:00", tick=False)
def test_nothing_due_shows_the_next_due_date(world, login, due):
    point, risk_list, task, measures = due  # the Wednesday's task: not due on Friday
    html = login(world.bob).get(checklist_url(point)).content.decode()
    assert 'data-testid="checklist-nothing-due"' in html
    assert "2026-11-30" in html  # the next workday: Monday
    assert 'data-testid="checklist-form"' not in html


def test_a_point_on_no_filed_list_says_so(world, login):
    point = make_point(world.acme)
    make_list(world.acme, [point], status="approved")
    html = login(world.bob).get(checklist_url(point)).content.decode()
    assert 'data-testid="checklist-nothing-due"' in html and 'data-testid="checklist-next-due"' not in html


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_several_checks_a_day_come_one_after_the_other(world, login):
    point = make_point(world.acme)
    risk_list = make_list(world.acme, [point], status="filed", checks_per_day=2)
    first, second = make_task(risk_list, point, WEDNESDAY, slot=1), make_task(risk_list, point, WEDNESDAY, slot=2)
    with scopes_disabled():
        measures = list(ControlMeasure.objects.filter(factor__risk_point=point).order_by("factor_id", "pk"))
    c = login(world.bob)
    assert c.get(checklist_url(point)).context["task"] == first
    c.post(checklist_url(point), answers(first, measures))
    assert c.get(checklist_url(point)).context["task"] == second


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_a_check_recorded_meanwhile_moves_the_input_to_the_next_due_check(world, login):
    point = make_point(world.acme)
    risk_list = make_list(world.acme, [point], status="filed", checks_per_day=2)
    first, second = make_task(risk_list, point, WEDNESDAY, slot=1), make_task(risk_list, point, WEDNESDAY, slot=2)
    with scopes_disabled():
        measures = list(ControlMeasure.objects.filter(factor__risk_point=point).order_by("factor_id", "pk"))
    login(world.alice).post(checklist_url(point), answers(first, measures))
    bob = login(world.bob, Client())
    data = answers(first, measures, notes={0: "保留"})
    response = bob.post(checklist_url(point), data)
    assert response.status_code == 400
    assert response.context["form"]["task"].value() == str(second.pk) and "保留" in response.content.decode()
    response = bob.post(checklist_url(point), {**data, "task": str(second.pk)})
    assert response.status_code == 302
    with scopes_disabled():
        assert InspectionTask.objects.get(pk=second.pk).status == "done"


def test_a_period_that_ended_is_refused(world, login, due):
    point, risk_list, task, measures = due
    with time_machine.travel("2026-11-26 08:00:00+08:00", tick=False):
        with pytest.raises(services._ls_engine.TransitionRefused):
            services.inspection_submit(
                actor=world.actor("bob"),
                task_id=task.pk,
                submission_id=uuid.uuid4(),
                answers=[services.ChecklistAnswer(m.pk, True) for m in measures],
            )
    assert results_of(task) == []


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_answers_must_match_the_points_measures(world, due):
    point, risk_list, task, measures = due
    with pytest.raises(services._ls_exceptions.ValidationError):
        services.inspection_submit(
            actor=world.actor("bob"),
            task_id=task.pk,
            submission_id=uuid.uuid4(),
            answers=[services.ChecklistAnswer(m.pk, True) for m in measures[:-1]],
        )
    assert results_of(task) == []


# -- The result page and hazard registration ------------------------------------------------------------------


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_a_failed_item_offers_hazard_registration_pre_filled(world, login, due):
    from urllib.parse import parse_qs, urlsplit

    point, risk_list, task, measures = due
    c = login(world.bob)
    c.post(checklist_url(point), answers(task, measures, fail=(1,), notes={1: "接地线断开"}))
    response = c.get(reverse("hazards:inspection_task_detail", args=[task.pk]))
    links = response.context["rows"]
    assert [bool(url) for _r, url in links] == [False, True, False]
    url = urlsplit(links[1][1])
    assert url.path == reverse("hazards:hazard_register")
    assert parse_qs(url.query) == {
        "risk_point": [str(point.pk)],
        "inspection_task": [str(task.pk)],
        "title": [MEASURES[1]],
        "location": ["罐区东侧"],
        "description": ["接地线断开"],
    }
    assert 'data-testid="register-hazard"' in response.content.decode()
    # The registration page (area "hazards") opens pre-filled with the point and the task.
    form = c.get(links[1][1]).context["form"]
    assert str(form["risk_point"].value()) == str(point.pk)
    assert str(form["inspection_task"].value()) == str(task.pk)
    assert form["location"].value() == "罐区东侧"


@time_machine.travel(AT_WEDNESDAY, tick=False)
def test_task_pages_for_others(world, login, due):
    point, risk_list, task, measures = due
    url = reverse("hazards:inspection_task_detail", args=[task.pk])
    assert login(world.bob).get(url).status_code == 200
    assert 'data-testid="open-checklist"' in login(world.bob).get(url).content.decode()
    assert login(world.charlie, Client()).get(url).status_code == 404
    assert login(world.gov_alice, Client()).get(url).status_code == 404


# -- The task list --------------------------------------------------------------------------------------------


def test_task_list_filters_and_exports(world, login, due):
    point, risk_list, task, measures = due
    other = make_point(world.acme, "泵房")
    make_task(make_list(world.acme, [other], status="filed", frequency="weekly"), other, WEDNESDAY, status="missed")
    c = login(world.bob)
    html = c.get(reverse("hazards:inspection_tasks")).content.decode()
    assert "储罐区" in html and "泵房" in html
    html = c.get(reverse("hazards:inspection_tasks"), {"status": "missed"}).content.decode()
    assert "泵房" in html and "储罐区" not in html
    response = c.get(reverse("hazards:inspection_tasks"), {"export": "xlsx"})
    assert "spreadsheetml" in response["Content-Type"]
    assert "储罐区" not in login(world.charlie, Client()).get(reverse("hazards:inspection_tasks")).content.decode()


def test_task_list_query_count_is_flat(world, login):
    point = make_point(world.acme)
    risk_list = make_list(world.acme, [point], status="filed", workdays_only=False)
    c = login(world.alice)
    url = reverse("hazards:inspection_tasks")

    days = iter(range(100))

    def grow(n):
        for _ in range(n):
            day = WEDNESDAY - timedelta(days=next(days))
            make_task(risk_list, point, day, status="done", done_by=world.bob.user)

    def count() -> int:
        c.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    grow(2)
    few = count()
    grow(28)
    assert len(all_tasks()) == 30
    assert count() == few
