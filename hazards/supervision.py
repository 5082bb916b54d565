"""Government supervision of hidden hazards: the figures, keyset pagination of big queues, random sampling.

Pure functions over querysets (no scope, no actor): callers pass a queryset already scoped to a jurisdiction.

Figures (DOMAIN.md "Hidden hazards", issue 4 "Government"), over the hazards *found* in a period:
    found                       hazards found
    closed (rectified)          of those, closed (review passed, or fixed on the spot)
    rectification rate          closed ÷ found
    on-time rate                closed_on_time ÷ closed
    major rectification rate    closed major ÷ found major
A rate with a zero denominator is None (shown as "—"), never 0 % or 100 %. Rates are percentages rounded
half-up to one decimal, so a frozen summary report prints exactly what the screen showed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr, TruncMonth

from .models import Hazard

LOCAL_TZ = ZoneInfo(settings.TIME_ZONE)  # Asia/Shanghai: months and days are local ones

_CLOSED = Q(status=Hazard.Status.CLOSED)
_MAJOR = Q(level=Hazard.Level.MAJOR)
FIGURE_AGGREGATES = {
    "found": Count("pk"),
    "closed": Count("pk", filter=_CLOSED),
    "closed_on_time": Count("pk", filter=_CLOSED & Q(closed_on_time=True)),
    "found_major": Count("pk", filter=_MAJOR),
    "closed_major": Count("pk", filter=_MAJOR & _CLOSED),
}
COUNT_FIELDS = tuple(FIGURE_AGGREGATES)


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator as a percentage, one decimal, half-up; None when nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class FigureRow:
    key: str
    label: str
    found: int = 0
    closed: int = 0
    closed_on_time: int = 0
    found_major: int = 0
    closed_major: int = 0

    @property
    def open(self) -> int:
        return self.found - self.closed

    @property
    def rectification_rate(self) -> Decimal | None:
        return rate(self.closed, self.found)

    @property
    def on_time_rate(self) -> Decimal | None:
        return rate(self.closed_on_time, self.closed)

    @property
    def major_rate(self) -> Decimal | None:
        return rate(self.closed_major, self.found_major)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (a frozen summary report): counts as ints, rates as strings or None."""
        data = asdict(self)
        for name in ("rectification_rate", "on_time_rate", "major_rate"):
            value = getattr(self, name)
            data[name] = None if value is None else str(value)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FigureRow:
        return cls(
            key=str(data.get("key", "")),
            label=str(data.get("label", "")),
            **{f: int(data.get(f) or 0) for f in COUNT_FIELDS},
        )


def _row(key: str, label: str, counts: dict[str, Any] | None) -> FigureRow:
    counts = counts or {}
    return FigureRow(key=key, label=label, **{f: int(counts.get(f) or 0) for f in COUNT_FIELDS})


# -- Periods ------------------------------------------------------------------------------------------------------


def local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def found_between(qs: QuerySet[Hazard], start: date | None, end: date | None) -> QuerySet[Hazard]:
    """Hazards found on local days start..end (both included). A range on found_at itself, not on its date, so
    the (-found_at, -id) index serves it."""
    if start is not None:
        qs = qs.filter(found_at__gte=local_day_start(start))
    if end is not None:
        qs = qs.filter(found_at__lt=local_day_start(end + timedelta(days=1)))
    return qs


def months_between(start: date, end: date) -> list[date]:
    """First days of the months from start's to end's (both included)."""
    month, last, months = start.replace(day=1), end.replace(day=1), []
    while month <= last:
        months.append(month)
        month += relativedelta(months=1)
    return months


def previous_month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    return first - relativedelta(months=1), first - timedelta(days=1)


# -- Figures ------------------------------------------------------------------------------------------------------


def figures_total(qs: QuerySet[Hazard], label: str = "") -> FigureRow:
    return _row("total", label, qs.order_by().aggregate(**FIGURE_AGGREGATES))


def figures_by_region(qs: QuerySet[Hazard], region, *, direct_label: str = "") -> list[FigureRow]:
    """One row per child region of ``region`` (all of them, zeros included, in code order), and one for hazards
    of enterprises registered directly at ``region`` itself when there are any. One aggregate query: the group
    key is the child's materialised path, a prefix of the enterprise region's path."""
    from enterprises.models import Region

    width = (region.depth + 1) * Region.steplen
    grouped = (
        qs.order_by()
        .filter(region.subtree_q("enterprise__region__"))
        .annotate(_branch=Substr("enterprise__region__path", 1, width))
        .values("_branch")
        .annotate(**FIGURE_AGGREGATES)
    )
    counts = {g["_branch"]: g for g in grouped}
    children = Region.objects.filter(path__startswith=region.path, depth=region.depth + 1).order_by("path")
    rows = [_row(child.code, str(child), counts.pop(child.path, None)) for child in children]
    direct = counts.pop(region.path, None)
    if direct:
        rows.insert(0, _row(region.code, direct_label or str(region), direct))
    return rows


def figures_by_industry(qs: QuerySet[Hazard]) -> list[FigureRow]:
    """One row per industry category that has hazards, in the category list's order."""
    from enterprises.models import IndustryCategory

    grouped = {
        g["enterprise__industry"]: g for g in qs.order_by().values("enterprise__industry").annotate(**FIGURE_AGGREGATES)
    }
    rows = [
        _row(value, str(label), grouped.pop(value)) for value, label in IndustryCategory.choices if value in grouped
    ]
    rows += [_row(value, value, counts) for value, counts in sorted(grouped.items())]  # values no longer listed
    return rows


def figures_by_month(qs: QuerySet[Hazard], start: date, end: date) -> list[FigureRow]:
    """One row per local month from start to end (zeros included), by the month the hazard was found."""
    grouped = (
        found_between(qs, start, end)
        .order_by()
        .annotate(_month=TruncMonth("found_at", tzinfo=LOCAL_TZ))
        .values("_month")
        .annotate(**FIGURE_AGGREGATES)
    )
    counts = {g["_month"].astimezone(LOCAL_TZ).date(): g for g in grouped}
    return [_row(m.strftime("%Y-%m"), m.strftime("%Y-%m"), counts.get(m)) for m in months_between(start, end)]


def figures_all(
    qs: QuerySet[Hazard], region, start: date, end: date, *, direct_label: str = "", total_label: str = ""
) -> dict[str, Any]:
    """The dashboard's figures in ONE aggregate query: hazards found start..end under ``region``, grouped by
    (child region, industry, local month) and rolled up here — the same rows figures_total, figures_by_region,
    figures_by_industry and figures_by_month give (four scans of the period's hazards), at the cost of one."""
    from enterprises.models import IndustryCategory, Region

    width = (region.depth + 1) * Region.steplen
    cells = (
        found_between(qs, start, end)
        .filter(region.subtree_q("enterprise__region__"))
        .order_by()
        .annotate(_branch=Substr("enterprise__region__path", 1, width), _month=TruncMonth("found_at", tzinfo=LOCAL_TZ))
        .values("_branch", "enterprise__industry", "_month")
        .annotate(**FIGURE_AGGREGATES)
    )
    by: dict[str, dict[Any, dict[str, int]]] = {"branch": {}, "industry": {}, "month": {}}
    total = dict.fromkeys(COUNT_FIELDS, 0)
    for cell in cells:
        keys = {
            "branch": cell["_branch"],
            "industry": cell["enterprise__industry"],
            "month": cell["_month"].astimezone(LOCAL_TZ).date(),
        }
        for dimension, key in keys.items():
            sums = by[dimension].setdefault(key, dict.fromkeys(COUNT_FIELDS, 0))
            for f in COUNT_FIELDS:
                sums[f] += cell[f]
        for f in COUNT_FIELDS:
            total[f] += cell[f]
    children = Region.objects.filter(path__startswith=region.path, depth=region.depth + 1).order_by("path")
    region_rows = [_row(child.code, str(child), by["branch"].pop(child.path, None)) for child in children]
    direct = by["branch"].pop(region.path, None)
    if direct:
        region_rows.insert(0, _row(region.code, direct_label or str(region), direct))
    industries = by["industry"]
    industry_rows = [
        _row(value, str(label), industries.pop(value))
        for value, label in IndustryCategory.choices
        if value in industries
    ]
    industry_rows += [_row(value, value, counts) for value, counts in sorted(industries.items())]
    month_rows = [
        _row(m.strftime("%Y-%m"), m.strftime("%Y-%m"), by["month"].get(m)) for m in months_between(start, end)
    ]
    return {
        "total": _row("total", total_label, total),
        "region": region_rows,
        "industry": industry_rows,
        "month": month_rows,
    }


def chart_data(rows: Sequence[FigureRow]) -> dict[str, list]:
    """What static/js/supervision_charts.js draws (json_script): labels, counts and rates (null: no rate)."""

    def num(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return {
        "labels": [r.label for r in rows],
        "found": [r.found for r in rows],
        "closed": [r.closed for r in rows],
        "found_major": [r.found_major for r in rows],
        "rectification_rate": [num(r.rectification_rate) for r in rows],
        "on_time_rate": [num(r.on_time_rate) for r in rows],
        "major_rate": [num(r.major_rate) for r in rows],
    }


SUMMARY_VERSION = 1


def summary_figures(hazards: QuerySet[Hazard], enterprises: QuerySet, *, region, start: date, end: date) -> dict:
    """The summary table of a period (汇总表), JSON-ready, to be frozen into SummaryReport.figures: totals, rows by
    child region, industry and month, how many enterprises the jurisdiction has and how many reported hazards."""
    from django.db.models import Sum

    period = found_between(hazards, start, end)
    extra = period.order_by().aggregate(
        enterprises_reporting=Count("enterprise_id", distinct=True),
        listed=Count("pk", filter=Q(listing__isnull=False)),
        rectification_cost=Sum("rectification_cost", filter=_CLOSED),
    )
    return {
        "version": SUMMARY_VERSION,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "region": str(region),
        "enterprises": enterprises.count(),
        "enterprises_reporting": extra["enterprises_reporting"] or 0,
        "listed": extra["listed"] or 0,
        "rectification_cost": str((extra["rectification_cost"] or Decimal(0)).quantize(Decimal("0.01"))),
        "total": figures_total(period).as_dict(),
        "by_region": [r.as_dict() for r in figures_by_region(period, region)],
        "by_industry": [r.as_dict() for r in figures_by_industry(period)],
        "by_month": [r.as_dict() for r in figures_by_month(hazards, start, end)],
    }


def summary_rows(figures: dict, section: str) -> list[FigureRow]:
    return [FigureRow.from_dict(row) for row in figures.get(section, [])]


# -- Keyset pagination of the big queues --------------------------------------------------------------------------
# Pages follow (-found_at, -id), the order of the index Hazard.Meta declares, so page n costs what page 1 costs
# and nothing ever COUNTs the queue. The cursor is the last (or first) row's key: "<µs since epoch>_<id>".


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None = None
    prev_cursor: str | None = None
    per_page: int = 25
    extra: dict = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        return self.prev_cursor is not None


_EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


def encode_cursor(found_at: datetime, pk: int) -> str:
    delta = found_at - _EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}_{pk}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """The key a cursor names, or None for a missing or malformed one (then the first page is shown)."""
    import re

    match = re.fullmatch(r"(-?[0-9]{1,19})_([0-9]{1,19})", cursor or "")
    if match is None:
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(match[1])), int(match[2])
    except OverflowError:
        return None


def keyset_page(qs: QuerySet, *, after: str | None = None, before: str | None = None, per_page: int = 25) -> KeysetPage:
    """One page of ``qs`` in (-found_at, -pk) order: the first page, the one after a cursor, or the one before.

    One query of per_page + 1 rows (the extra row only tells whether there is a further page). Equal timestamps
    are ordered by id, so no row is skipped or repeated across pages."""
    after_key, before_key = decode_cursor(after), decode_cursor(before)
    if before_key is not None:
        moment, pk = before_key
        # found_at >= moment bounds the index range; the OR settles ties by id.
        rows = list(
            qs.filter(found_at__gte=moment)
            .filter(Q(found_at__gt=moment) | Q(pk__gt=pk))
            .order_by("found_at", "pk")[: per_page + 1]
        )
        more_before = len(rows) > per_page
        rows = rows[:per_page][::-1]
        if not rows:  # nothing before any more (rows were deleted meanwhile): start again from the top
            return keyset_page(qs, per_page=per_page)
        page = KeysetPage(rows, per_page=per_page)
        page.next_cursor = encode_cursor(rows[-1].found_at, rows[-1].pk)
        if more_before:
            page.prev_cursor = encode_cursor(rows[0].found_at, rows[0].pk)
        return page
    if after_key is not None:
        moment, pk = after_key
        qs = qs.filter(found_at__lte=moment).filter(Q(found_at__lt=moment) | Q(pk__lt=pk))
    rows = list(qs.order_by("-found_at", "-pk")[: per_page + 1])
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    page = KeysetPage(rows, per_page=per_page)
    if has_more:
        page.next_cursor = encode_cursor(rows[-1].found_at, rows[-1].pk)
    if after_key is not None and rows:
        page.prev_cursor = encode_cursor(rows[0].found_at, rows[0].pk)
    return page


EXACT_COUNT_LIMIT = 1000


def bounded_count(qs: QuerySet, limit: int) -> tuple[int, bool]:
    """(n, more): the exact count up to ``limit``; more=True when there are more rows than that. Reads at most
    limit + 1 ids, so it costs the same on a queue of a thousand rows and on one of a million."""
    n = len(qs.order_by().values_list("pk", flat=True)[: limit + 1])
    return min(n, limit), n > limit


def planner_estimate(qs: QuerySet) -> int | None:
    """PostgreSQL's estimate of how many rows ``qs`` returns (EXPLAIN, nothing is run); None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


@dataclass(frozen=True)
class SizeHint:
    """What a queue says about its size without counting it: exact up to a limit, the planner's guess above."""

    count: int
    exact: bool
    estimate: int | None = None


def size_hint(qs: QuerySet, limit: int = EXACT_COUNT_LIMIT) -> SizeHint:
    n, more = bounded_count(qs, limit)
    if not more:
        return SizeHint(n, True)
    estimate = planner_estimate(qs)
    return SizeHint(n, False, max(estimate, n + 1) if estimate is not None else None)


# -- Random sampling (差异化监管: 随机抽查) ------------------------------------------------------------------------


def new_seed() -> str:
    import secrets

    return secrets.token_hex(16)


def candidates_digest(candidate_ids: Iterable[int]) -> str:
    """A fingerprint of the candidate set, recorded with a sample: re-drawing reproduces it only over the same set."""
    import hashlib

    return hashlib.sha256(",".join(str(i) for i in sorted(set(candidate_ids))).encode()).hexdigest()


def draw_sample(candidate_ids: Iterable[int], seed: str, size: int) -> list[int]:
    """``size`` ids drawn without replacement from the candidates, reproducibly: the candidates are sorted by id
    and the generator is seeded with the recorded seed, so the same seed over the same candidates always gives
    the same sample, in the same order."""
    ids = sorted(set(candidate_ids))
    return random.Random(seed).sample(ids, min(max(size, 0), len(ids)))
