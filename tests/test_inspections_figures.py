"""Inspection figures (hazards.list_figures): points, due and done checks, coverage and investigation rate per
department and per list, for a day, a week and a month, with the periods before — tables of known tasks; and the
figures page (period selector, history side by side, chart data, Excel export)."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from hazards import list_figures, list_rules
from hazards.list_figures import Figures
from hazards.models import InspectionTask
from safety.tenancy import scopes_disabled

from .lists_world import make_department, make_list, make_point, make_task

D = date
THIS_WEEK = (D(2026, 11, 23), D(2026, 11, 29))
LAST_WEEK = (D(2026, 11, 16), D(2026, 11, 22))


@pytest.fixture
def figures_world(world):
    """Workshop A: daily list L1 (p1, p2); workshop B: weekly list L2 (p3). Tasks of two weeks; and `far`'s."""
    a, b = make_department(world.acme, "A车间"), make_department(world.acme, "B车间")
    p1, p2, p3 = make_point(world.acme, "p1"), make_point(world.acme, "p2"), make_point(world.acme, "p3")
    l1 = make_list(world.acme, [p1, p2], department=a, status="filed", workdays_only=False, name="L1")
    l2 = make_list(world.acme, [p3], department=b, status="filed", frequency="weekly", name="L2")
    for list_, point, day, status in [
        (l1, p1, D(2026, 11, 23), "done"),
        (l1, p1, D(2026, 11, 24), "done"),
        (l1, p1, D(2026, 11, 25), "missed"),
        (l1, p2, D(2026, 11, 23), "missed"),
        (l1, p2, D(2026, 11, 24), "due"),
        (l2, p3, D(2026, 11, 23), "done"),
        (l1, p1, D(2026, 11, 17), "done"),
        (l2, p3, D(2026, 11, 16), "missed"),
    ]:
        make_task(list_, point, day, status=status)
    fp = make_point(world.far, "far")
    make_task(make_list(world.far, [fp], status="filed", workdays_only=False), fp, D(2026, 11, 24), status="due")

    class F:
        pass

    F.a, F.b, F.l1, F.l2 = a, b, l1, l2
    return F


def acme_tasks(world):
    return InspectionTask.objects.filter(enterprise_id=world.acme.pk)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (THIS_WEEK, Figures(points=3, due=6, done=3, checked_points=2)),
        (LAST_WEEK, Figures(points=2, due=2, done=1, checked_points=1)),
        ((D(2026, 11, 24), D(2026, 11, 24)), Figures(points=2, due=2, done=1, checked_points=1)),
        ((D(2026, 11, 23), D(2026, 11, 23)), Figures(points=3, due=3, done=2, checked_points=2)),
        ((D(2026, 11, 26), D(2026, 11, 26)), Figures()),
        ((D(2026, 11, 1), D(2026, 11, 30)), Figures(points=3, due=8, done=4, checked_points=2)),
    ],
)
def test_period_figures(world, figures_world, period, expected):
    with scopes_disabled():
        assert list_figures.period_figures(acme_tasks(world), period) == expected


@pytest.mark.parametrize(
    ("figures", "coverage", "rate"),
    [
        (Figures(points=3, due=6, done=3, checked_points=2), 66.7, 50.0),
        (Figures(points=1, due=1, done=1, checked_points=1), 100.0, 100.0),
        (Figures(points=1, due=1, done=0, checked_points=0), 0.0, 0.0),
        (Figures(points=2, due=5, done=2, checked_points=1), 50.0, 40.0),
        (Figures(), None, None),  # nothing due: no rate rather than 0 % or 100 %
    ],
)
def test_coverage_and_rate(figures, coverage, rate):
    assert (figures.coverage, figures.rate) == (coverage, rate)


def test_history_in_one_query(world, figures_world):
    with scopes_disabled(), CaptureQueriesContext(connection) as ctx:
        history = list_figures.history(acme_tasks(world), [LAST_WEEK, THIS_WEEK])
    assert len(ctx.captured_queries) == 1
    assert history == [Figures(2, 2, 1, 1), Figures(3, 6, 3, 2)]


def test_history_per_department_and_per_list_in_one_query(world, figures_world):
    f = figures_world
    with scopes_disabled(), CaptureQueriesContext(connection) as ctx:
        by_department = list_figures.history_by(acme_tasks(world), "department", [LAST_WEEK, THIS_WEEK])
        by_list = list_figures.history_by(acme_tasks(world), "list", [LAST_WEEK, THIS_WEEK])
    assert len(ctx.captured_queries) == 2
    assert by_department == {
        f.a.pk: [Figures(1, 1, 1, 1), Figures(2, 5, 2, 1)],
        f.b.pk: [Figures(1, 1, 0, 0), Figures(1, 1, 1, 1)],
    }
    assert by_list == {f.l1.pk: by_department[f.a.pk], f.l2.pk: by_department[f.b.pk]}


def test_days_add_up_to_their_week(world, figures_world):
    days = list_rules.figure_periods(list_rules.FigureUnit.DAY, THIS_WEEK[1], 7)
    with scopes_disabled():
        per_day = list_figures.history(acme_tasks(world), days)
        week = list_figures.period_figures(acme_tasks(world), THIS_WEEK)
    assert sum(f.due for f in per_day) == week.due and sum(f.done for f in per_day) == week.done


def test_no_periods_no_query(world):
    with scopes_disabled(), CaptureQueriesContext(connection) as ctx:
        assert list_figures.history(acme_tasks(world), []) == []
        assert list_figures.history_by(acme_tasks(world), "list", []) == {}
    assert len(ctx.captured_queries) == 0


# -- The page -------------------------------------------------------------------------------------------------


def test_figures_page_with_history_and_chart(world, figures_world, login):
    c = login(world.alice)
    response = c.get(reverse("hazards:inspection_figures"), {"unit": "week", "on": "2026-11-25", "history": "2"})
    assert response.status_code == 200
    assert [label for label, _f in response.context["columns"]] == ["2026-11-16–11-22", "2026-11-23–11-29"]
    assert [name for name, _f in response.context["rows"]] == ["A车间", "B车间"]
    html = response.content.decode()
    chart = json.loads(html.split('id="figures-data" type="application/json">')[1].split("</script>")[0])
    assert chart["rate"] == [50.0, 50.0] and chart["coverage"] == [50.0, 66.7] and chart["due"] == [2, 6]
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/lists_figures.js" in html
    by_list = c.get(
        reverse("hazards:inspection_figures"), {"unit": "day", "on": "2026-11-24", "by": "list", "history": "1"}
    )
    assert [name for name, _f in by_list.context["rows"]] == ["L1"]


def test_figures_defaults_and_bad_input(world, figures_world, login):
    c = login(world.alice)
    response = c.get(reverse("hazards:inspection_figures"), {"unit": "fortnight", "on": "not-a-date", "history": "99"})
    assert response.status_code == 200
    assert len(response.context["columns"]) == 4  # the defaults: four weeks up to today


def test_figures_export(world, figures_world, login):
    response = login(world.alice).get(
        reverse("hazards:inspection_figures"), {"unit": "week", "on": "2026-11-25", "history": "2", "export": "xlsx"}
    )
    assert "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 2 * 3  # header + (total, A, B) × two weeks
    assert rows[2][2:] == (3, 6, 3, 2, 66.7, 50.0)  # the total of this week
    assert rows[3][0] == "A车间" and rows[3][2:] == (1, 1, 1, 1, 100.0, 100.0)


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("gov_alice", 403), ("charlie", 200)])
def test_figures_for_others(world, figures_world, login, who, status):
    response = login(getattr(world, who), Client()).get(reverse("hazards:inspection_figures"), {"on": "2026-11-25"})
    assert response.status_code == status
    if status == 200:  # charlie's own enterprise only: none of acme's departments
        assert "A车间" not in response.content.decode()


def test_figures_query_count_does_not_grow_with_tasks(world, figures_world, login):
    c = login(world.alice)
    url = reverse("hazards:inspection_figures") + "?unit=month&on=2026-11-25&history=3"

    def count() -> int:
        c.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    p = make_point(world.acme, "p-more")
    extra = make_list(world.acme, [p], department=make_department(world.acme, "C车间"), status="filed", name="L3")
    for i in range(30):
        make_task(extra, p, D(2026, 11, 1) - timedelta(days=i), status="done")
    assert count() == few
