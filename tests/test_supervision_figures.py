"""Government figures of hidden hazards (hazards.supervision): found, rectified, rectification rate, on-time rate and
major-hazard rectification rate by region, industry and month — exact numbers, table-driven."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from hazards import supervision as sv
from hazards.models import Hazard, SupervisedListing
from safety.tenancy import actor_scope, scopes_disabled

from .factories import EnterpriseFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
S, L = Hazard.Status, Hazard.Level


@pytest.fixture(autouse=True)
def _english(settings):
    """UI strings and region names in English (the Chinese catalogue is filled later)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def hazard(enterprise, found_at: datetime, *, status=S.REGISTERED, level=L.GENERAL, on_time=None, **extra) -> Hazard:
    """A hazard written straight into the state a figure needs (no lifecycle: the figures only read)."""
    closed = status == S.CLOSED
    with scopes_disabled():
        return Hazard.objects.create(
            enterprise=enterprise,
            title="隐患",
            level=level,
            kind=Hazard.Kind.MAJOR if level == L.MAJOR else Hazard.Kind.DEADLINE,
            found_at=found_at,
            deadline=found_at + timedelta(days=30),
            status=status,
            closed_at=found_at + timedelta(days=(10 if on_time is not False else 40)) if closed else None,
            closed_on_time=(on_time if on_time is not None else True) if closed else None,
            **extra,
        )


# --------------------------------------------------------------------------------------------------------
# Rates
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (0, 0, None),  # nothing found: no rate, not 0 % and not 100 %
        (5, 0, None),
        (0, 3, Decimal("0.0")),
        (1, 3, Decimal("33.3")),
        (2, 3, Decimal("66.7")),
        (1, 8, Decimal("12.5")),
        (1, 16, Decimal("6.3")),  # 6.25 rounds half up
        (3, 3, Decimal("100.0")),
        (999, 1000, Decimal("99.9")),
        (1999, 2000, Decimal("100.0")),  # 99.95 rounds half up
    ],
)
def test_rate(numerator, denominator, expected):
    assert sv.rate(numerator, denominator) == expected


@pytest.mark.parametrize(
    ("counts", "rectification", "on_time", "major"),
    [
        ({}, None, None, None),
        ({"found": 4, "closed": 3, "closed_on_time": 2, "found_major": 1, "closed_major": 1}, "75.0", "66.7", "100.0"),
        ({"found": 3, "closed": 0, "closed_on_time": 0, "found_major": 2, "closed_major": 0}, "0.0", None, "0.0"),
        ({"found": 7, "closed": 7, "closed_on_time": 7, "found_major": 0, "closed_major": 0}, "100.0", "100.0", None),
    ],
)
def test_figure_row_rates_and_json_round_trip(counts, rectification, on_time, major):
    row = sv.FigureRow("k", "label", **counts)
    as_str = {
        k: (None if v is None else str(v))
        for k, v in (("r", row.rectification_rate), ("o", row.on_time_rate), ("m", row.major_rate))
    }
    assert as_str == {"r": rectification, "o": on_time, "m": major}
    data = row.as_dict()
    assert (data["rectification_rate"], data["on_time_rate"], data["major_rate"]) == (rectification, on_time, major)
    assert sv.FigureRow.from_dict(data) == row
    assert row.open == counts.get("found", 0) - counts.get("closed", 0)


# --------------------------------------------------------------------------------------------------------
# A small jurisdiction with known numbers
# --------------------------------------------------------------------------------------------------------


@pytest.fixture
def figures_world(world):
    """Hazards of 泸州 (city bureau's jurisdiction) found in Jan–Mar 2026, and one outside it (贵阳).

    acme (南城, 江阳区, hazardous chemicals): Jan: closed on time, closed late, open; Feb: major closed on time,
        major open; Mar: general closed on time.
    other (龙马潭区, machinery): Jan: closed on time; Mar: major overdue.
    jiangyang_direct (an enterprise registered at 江阳区 itself, construction): Feb: open.
    far (贵阳): closed, must never count.
    """
    w = world
    direct = EnterpriseFactory(
        name="江阳建筑公司", owning_body=w.jiangyang_bureau, region=w.jiangyang, industry="construction"
    )
    acme, other = w.acme, w.other
    hazard(acme, local(2026, 1, 5, 9), status=S.CLOSED, on_time=True)
    hazard(acme, local(2026, 1, 20, 9), status=S.CLOSED, on_time=False)
    hazard(acme, local(2026, 1, 31, 23, 30), status=S.RECTIFYING)  # still January in Shanghai
    hazard(acme, local(2026, 2, 1, 0, 30), status=S.CLOSED, level=L.MAJOR, on_time=True)  # 2026-01-31 16:30 UTC
    hazard(acme, local(2026, 2, 14, 9), status=S.REPORTED, level=L.MAJOR)
    hazard(acme, local(2026, 3, 2, 9), status=S.CLOSED, on_time=True)
    hazard(other, local(2026, 1, 10, 9), status=S.CLOSED, on_time=True)
    hazard(other, local(2026, 3, 3, 9), status=S.OVERDUE, level=L.MAJOR)
    hazard(direct, local(2026, 2, 20, 9), status=S.REGISTERED)
    hazard(w.far, local(2026, 1, 15, 9), status=S.CLOSED, on_time=True)
    # Found before and after the period: outside every period figure below.
    hazard(acme, local(2025, 12, 31, 23, 59), status=S.CLOSED, on_time=True)
    hazard(acme, local(2026, 4, 1, 0, 0), status=S.REGISTERED)
    return w


def _counts(row: sv.FigureRow) -> tuple:
    return (row.label, row.found, row.closed, row.closed_on_time, row.found_major, row.closed_major)


def _rates(row: sv.FigureRow) -> tuple:
    return tuple(None if v is None else str(v) for v in (row.rectification_rate, row.on_time_rate, row.major_rate))


Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def test_figures_by_region_are_the_child_regions_with_the_direct_row_first(figures_world):
    w = figures_world
    actor = w.actor("city_reviewer")
    with actor_scope(actor):
        rows = sv.figures_by_region(sv.found_between(Hazard.objects.all(), *Q1), w.luzhou, direct_label="直属")
    # 泸州 has two child regions in the test world (江阳区, 龙马潭区); nothing is registered at 泸州 itself.
    assert [_counts(r) for r in rows] == [
        ("Jiangyang District", 7, 4, 3, 2, 1),
        ("Longmatan District", 2, 1, 1, 1, 0),
    ]
    assert [_rates(r) for r in rows] == [("57.1", "75.0", "50.0"), ("50.0", "100.0", "0.0")]
    with actor_scope(actor):
        rows = sv.figures_by_region(sv.found_between(Hazard.objects.all(), *Q1), w.jiangyang, direct_label="直属")
    # 江阳区's child 南城 holds acme; the construction company sits at 江阳区 itself (the direct row, first).
    assert [_counts(r) for r in rows] == [("直属", 1, 0, 0, 0, 0), ("Nancheng Subdistrict", 6, 4, 3, 2, 1)]


def test_figures_by_industry(figures_world):
    w = figures_world
    with actor_scope(w.actor("city_reviewer")):
        rows = sv.figures_by_industry(sv.found_between(Hazard.objects.all(), *Q1))
    assert [(r.key, *_counts(r)[1:]) for r in rows] == [
        ("hazardous_chemicals", 6, 4, 3, 2, 1),
        ("machinery", 2, 1, 1, 1, 0),
        ("construction", 1, 0, 0, 0, 0),
    ]
    assert [_rates(r) for r in rows] == [("66.7", "75.0", "50.0"), ("50.0", "100.0", "0.0"), ("0.0", None, None)]


def test_figures_by_month_use_shanghai_months_and_keep_empty_months(figures_world):
    w = figures_world
    with actor_scope(w.actor("city_reviewer")):
        rows = sv.figures_by_month(Hazard.objects.all(), date(2025, 12, 1), date(2026, 4, 30))
    assert [_counts(r) for r in rows] == [
        ("2025-12", 1, 1, 1, 0, 0),
        ("2026-01", 4, 3, 2, 0, 0),  # 23:30 on 31 January (local) is January's
        ("2026-02", 3, 1, 1, 2, 1),  # 00:30 on 1 February (local) is February's, though still January in UTC
        ("2026-03", 2, 1, 1, 1, 0),
        ("2026-04", 1, 0, 0, 0, 0),
    ]
    with actor_scope(w.actor("city_reviewer")):
        rows = sv.figures_by_month(Hazard.objects.all(), date(2026, 5, 1), date(2026, 6, 30))
    assert [_counts(r) for r in rows] == [("2026-05", 0, 0, 0, 0, 0), ("2026-06", 0, 0, 0, 0, 0)]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("city_reviewer", (9, 5, 4, 3, 1)),  # the whole city: acme, other, the construction company
        ("gov_alice", (6, 4, 3, 2, 1)),  # 南城办: acme only
        ("gov_charlie", (1, 1, 1, 0, 0)),  # 贵阳: far only
    ],
)
def test_totals_follow_the_jurisdiction(figures_world, who, expected):
    with actor_scope(figures_world.actor(who)):
        total = sv.figures_total(sv.found_between(Hazard.objects.all(), *Q1))
    assert (total.found, total.closed, total.closed_on_time, total.found_major, total.closed_major) == expected


@pytest.mark.parametrize(
    ("start", "end", "found"),
    [
        (date(2026, 1, 31), date(2026, 1, 31), 1),  # the 23:30 hazard only
        (date(2026, 2, 1), date(2026, 2, 1), 1),  # the 00:30 hazard only
        (date(2025, 12, 31), date(2026, 1, 5), 2),  # both ends included
        (None, date(2025, 12, 31), 1),
        (date(2026, 4, 1), None, 1),
        (None, None, 11),
    ],
)
def test_found_between_uses_local_days(figures_world, start, end, found):
    with actor_scope(figures_world.actor("city_reviewer")), scopes_disabled():
        assert sv.found_between(Hazard.objects.exclude(enterprise=figures_world.far), start, end).count() == found


def test_summary_figures_freeze_everything_as_json(figures_world):
    import json

    w = figures_world
    with scopes_disabled():
        listed = Hazard.objects.get(found_at=local(2026, 2, 14, 9))
        SupervisedListing.objects.create(enterprise=w.acme, hazard=listed, body=w.nancheng_office, notice="督办")
        Hazard.objects.filter(found_at=local(2026, 1, 5, 9)).update(rectification_cost=Decimal("1200.50"))
    actor = w.actor("gov_alice")
    from hazards import selectors

    with actor_scope(actor):
        figures = sv.summary_figures(
            Hazard.objects.all(), selectors.supervision_enterprises(actor), region=w.nancheng, start=Q1[0], end=Q1[1]
        )
    assert json.loads(json.dumps(figures)) == figures
    assert figures["total"] == {
        "key": "total",
        "label": "",
        "found": 6,
        "closed": 4,
        "closed_on_time": 3,
        "found_major": 2,
        "closed_major": 1,
        "rectification_rate": "66.7",
        "on_time_rate": "75.0",
        "major_rate": "50.0",
    }
    assert figures["enterprises"] == 1
    assert figures["enterprises_reporting"] == 1
    assert figures["listed"] == 1
    assert figures["rectification_cost"] == "1200.50"
    assert [m["key"] for m in figures["by_month"]] == ["2026-01", "2026-02", "2026-03"]
    assert [r["key"] for r in figures["by_industry"]] == ["hazardous_chemicals"]
    # 南城 has no child regions in the test world: one direct row.
    assert [(r["found"], r["closed"]) for r in figures["by_region"]] == [(6, 4)]


def test_months_between_and_previous_month():
    assert sv.months_between(date(2025, 11, 15), date(2026, 2, 1)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert sv.previous_month(date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert sv.previous_month(date(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))


def test_chart_data_turns_missing_rates_into_nulls():
    rows = [sv.FigureRow("a", "A", found=2, closed=1, closed_on_time=1), sv.FigureRow("b", "B")]
    assert sv.chart_data(rows) == {
        "labels": ["A", "B"],
        "found": [2, 0],
        "closed": [1, 0],
        "found_major": [0, 0],
        "rectification_rate": [50.0, None],
        "on_time_rate": [100.0, None],
        "major_rate": [None, None],
    }


def test_dashboard_page_shows_the_figures_and_embeds_chart_data(figures_world, login):
    import json
    import re

    c = login(figures_world.city_reviewer)
    response = c.get("/gov/supervision/figures/", {"date_from": "2026-01-01", "date_to": "2026-03-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="total-found">9<' in html
    assert 'data-testid="total-rate">55.6%<' in html
    assert "<script>" not in html.replace('<script src="', "")  # CSP: no inline script, only json_script
    data = json.loads(re.search(r'id="supervision-chart-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert data["data"]["region"]["found"] == [7, 2]
    assert data["data"]["month"]["labels"] == ["2026-01", "2026-02", "2026-03"]


@pytest.mark.parametrize("by", ["region", "industry", "month"])
def test_figures_tables_export_to_excel(figures_world, login, by):
    import io

    from openpyxl import load_workbook

    c = login(figures_world.city_reviewer)
    response = c.get(
        "/gov/supervision/figures/", {"date_from": "2026-01-01", "date_to": "2026-03-31", "by": by, "export": "xlsx"}
    )
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    first_data = {"region": ("Jiangyang District", 7, 4, 3), "industry": (None, 6, 4, 2), "month": ("2026-01", 4, 3, 1)}
    label, found, closed, open_ = first_data[by]
    assert rows[1][1:4] == (found, closed, open_)
    if label:
        assert rows[1][0] == label
    assert rows[1][4] == {"region": "57.1%", "industry": "66.7%", "month": "75.0%"}[by]


def test_dashboard_form_errors_show_inline_and_keep_defaults(figures_world, login):
    c = login(figures_world.gov_alice)
    response = c.get("/gov/supervision/figures/", {"date_from": "2026-03-01", "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert "The period must end on or after its first day." in response.content.decode()


def test_region_choices_are_the_bodys_subtree(figures_world, login):
    c = login(figures_world.gov_alice)
    html = c.get("/gov/supervision/figures/").content.decode()
    assert "Nancheng Subdistrict" in html and "Longmatan District" not in html and "Guiyang" not in html
    # A region outside the jurisdiction is refused as an invalid choice: the defaults are shown instead.
    response = c.get("/gov/supervision/figures/", {"region": figures_world.longmatan.pk})
    assert "Select a valid choice" in response.content.decode()


def test_now_is_irrelevant_to_period_figures(figures_world):
    """Figures of a closed period do not move with the clock (no timezone.now() inside)."""
    import time_machine

    with actor_scope(figures_world.actor("city_reviewer")):
        with time_machine.travel(local(2026, 6, 1, 12), tick=False):
            a = sv.figures_total(sv.found_between(Hazard.objects.all(), *Q1))
        with time_machine.travel(local(2027, 6, 1, 12), tick=False):
            b = sv.figures_total(sv.found_between(Hazard.objects.all(), *Q1))
    assert a == b
    assert timezone.now()  # the clock is back


@pytest.mark.parametrize(
    ("who", "region", "start", "end"),
    [
        ("city_reviewer", "luzhou", date(2025, 12, 1), date(2026, 4, 30)),
        ("city_reviewer", "jiangyang", Q1[0], Q1[1]),
        ("gov_alice", "nancheng", Q1[0], Q1[1]),
        ("city_reviewer", "luzhou", date(2026, 2, 1), date(2026, 2, 1)),
    ],
)
def test_the_one_query_cube_equals_the_separate_figures(figures_world, who, region, start, end):
    """The dashboard's single aggregate (figures_all) gives exactly the rows of the four separate functions."""
    w = figures_world
    region = getattr(w, region)
    with actor_scope(w.actor(who)):
        qs = Hazard.objects.all()
        cube = sv.figures_all(qs, region, start, end, direct_label="直属", total_label="合计")
        period = sv.found_between(qs.filter(region.subtree_q("enterprise__region__")), start, end)
        assert cube["total"] == sv.figures_total(period, "合计")
        assert cube["region"] == sv.figures_by_region(period, region, direct_label="直属")
        assert cube["industry"] == sv.figures_by_industry(period)
        assert cube["month"] == sv.figures_by_month(qs.filter(region.subtree_q("enterprise__region__")), start, end)
    assert cube["total"].found > 0 or start == end


def test_the_dashboard_makes_one_figures_query(figures_world, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = login(figures_world.city_reviewer)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get("/gov/supervision/figures/", {"date_from": "2026-01-01"}).status_code == 200
    grouped = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"] and "hazards_hazard" in q["sql"]]
    assert len(grouped) == 1
