"""Generate realistic volume for benchmarks: enterprises, their accounts, risk points, hidden hazards, listings.

    DATABASE_URL=postgres://…/safety_bench .venv/bin/python manage.py generate_volume \\
        --enterprises 10000 --hazards 1000000 --risk-points 200000

PostgreSQL only: rows go in with COPY (hazards, risk points) and bulk inserts (users, memberships, listings), so a
million hazards take minutes, not hours. Regions and bodies come from the reference data (loaded if missing);
enterprises spread over the townships and villages under the bodies, each owned by the deepest body covering its
region. Hazards skew towards some enterprises and towards recent months; statuses follow their age (old hazards
are mostly closed, recent ones open, some overdue), 3 % are major, a third are fixed on the spot, a sixth come from
government inspections. Generated enterprises carry the marker ``[generate_volume]`` in their introduction.

It refuses a database that already holds hazards (real data, possibly) unless told ``--i-know-this-is-not-production``
— which is also how a second run adds hazards to the generated enterprises (``--enterprises 0``).
"""

from __future__ import annotations

import csv
import io
import json
import random
import secrets
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

MARKER = "[generate_volume]"
NULL = r"\N"
CHUNK = 50_000

# (industry, weight): most enterprises are industry and trade; hazardous chemicals a steady tenth.
INDUSTRIES = [
    ("hazardous_chemicals", 10),
    ("non_coal_mines", 2),
    ("metallurgy", 4),
    ("non_ferrous", 3),
    ("building_materials", 8),
    ("machinery", 16),
    ("light_industry", 12),
    ("textiles", 6),
    ("tobacco", 1),
    ("commerce", 14),
    ("road_transport", 5),
    ("construction", 8),
    ("gas", 2),
    ("power", 2),
    ("entertainment", 3),
    ("elderly_homes", 2),
    ("other", 2),
]
SIZES = [("micro", 45), ("small", 38), ("medium", 13), ("large", 4)]
NAME_WORDS = list("华川泰盛鑫隆兴达安恒源丰宏信瑞祥远锦")
INDUSTRY_WORDS = {
    "hazardous_chemicals": "化工",
    "non_coal_mines": "矿业",
    "metallurgy": "冶金",
    "non_ferrous": "有色金属",
    "building_materials": "建材",
    "machinery": "机械",
    "light_industry": "轻工",
    "textiles": "纺织",
    "tobacco": "烟草",
    "commerce": "商贸",
    "road_transport": "运输",
    "construction": "建设",
    "gas": "燃气",
    "power": "电力",
    "entertainment": "娱乐",
    "elderly_homes": "养老",
    "other": "实业",
}
HAZARD_TITLES = [
    "配电箱未接地",
    "消防通道堵塞",
    "灭火器过期未更换",
    "安全警示标志缺失",
    "危化品未分类存放",
    "特种作业人员无证上岗",
    "防护栏松动",
    "应急照明失效",
    "可燃气体报警器未校验",
    "设备转动部位无防护罩",
    "员工未佩戴劳保用品",
    "仓库物品堆放过高",
    "电线私拉乱接",
    "安全培训记录缺失",
    "压力容器未定期检验",
]
PLACES = ["一号车间", "二号车间", "仓库", "配电房", "办公楼", "装卸区", "罐区", "锅炉房", "食堂", "厂区道路"]
RISK_NAMES = "反应釜 储罐区 配电房 叉车作业 动火作业 受限空间 高处作业 起重作业 锅炉 空压机".split()
RISK_LEVELS = [("low", 60), ("general", 30), ("high", 8), ("major", 2)]
RISK_CATEGORIES = ["facility", "place", "operation", "post"]


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _csv_value(value: Any) -> Any:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


class CopyWriter:
    """COPY rows of one model: every concrete column but the id, defaults filled from the model's fields."""

    def __init__(self, model: type[models.Model], now: datetime) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.template = [self._default(f, now) for f in self.fields]
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.pending = 0
        self.written = 0

    @staticmethod
    def _default(field: models.Field, now: datetime) -> Any:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        if field.has_default():
            return field.get_default()
        if field.null:
            return None
        if isinstance(field, (models.CharField, models.TextField)):
            return ""
        if isinstance(field, models.BooleanField):
            return False
        return None

    def add(self, **values: Any) -> None:
        row = list(self.template)
        for name, value in values.items():
            row[self.index[name]] = value
        self.writer.writerow([_csv_value(v) for v in row])
        self.pending += 1
        if self.pending >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        self.buffer.seek(0)
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')", self.buffer)
        self.written += self.pending
        self.pending = 0
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")


@contextmanager
def bulk_load(table: str, rows: int):
    """Load ``rows`` rows into ``table`` fast, in one transaction: secondary indexes are dropped and rebuilt after
    (building an index once beats updating it a million times) when the load at least doubles the table, and
    foreign-key triggers are skipped where the role may (session_replication_role; the generator writes only
    existing ids). Unique indexes and the primary key stay."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
        except Exception:  # not a superuser: foreign keys are checked, only slower
            pass
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        existing = max(cursor.fetchone()[0], 0)
        dropped: list[tuple[str, str]] = []
        if rows >= existing:
            cursor.execute(
                """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                   WHERE x.indrelid = %s::regclass AND NOT x.indisunique AND NOT x.indisprimary""",
                [table],
            )
            dropped = cursor.fetchall()
            for name, _definition in dropped:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        yield
        for _name, definition in dropped:
            cursor.execute(definition)


class Command(BaseCommand):
    help = "Generate realistic benchmark volume (enterprises, hazards, risk points) on PostgreSQL, fast."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--enterprises", type=int, default=1000, help="new enterprises (0: reuse generated ones)")
        parser.add_argument("--hazards", type=int, default=100_000)
        parser.add_argument("--risk-points", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=20260101, help="random seed (the same seed, the same data)")
        parser.add_argument("--months", type=int, default=24, help="hazards are found over this many past months")
        parser.add_argument("--region", default="", help="place new enterprises under this region code only")
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="i_know",
            help="run although the database already holds hazards",
        )

    def handle(self, *args, **options) -> None:
        from safety.tenancy import scopes_disabled

        if connection.vendor != "postgresql":
            raise CommandError("generate_volume needs PostgreSQL (it loads rows with COPY).")
        rng = random.Random(options["seed"])
        with scopes_disabled():
            from hazards.models import Hazard

            if Hazard.objects.exists() and not options["i_know"]:
                raise CommandError(
                    "This database already holds hidden hazards: it may be a real one. Generate volume in an empty "
                    "database, or pass --i-know-this-is-not-production."
                )
            started = time.monotonic()
            self.now = timezone.now()
            self._reference_data()
            enterprises = self._enterprises(rng, options["enterprises"], options["region"])
            if not enterprises:
                raise CommandError("No generated enterprises to add to: pass --enterprises N (N > 0).")
            self._hazards(rng, enterprises, options["hazards"], options["months"])
            self._risk_points(rng, enterprises, options["risk_points"])
            self._listings(rng, enterprises)
            self._step("ANALYZE", lambda: self._analyze())
            self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))

    # -- steps ----------------------------------------------------------------------------------------------------

    def _step(self, label: str, work) -> Any:
        t = time.monotonic()
        result = work()
        elapsed = time.monotonic() - t
        rows = result if isinstance(result, int) else None
        rate = f" ({rows / elapsed:,.0f} rows/s)" if rows and elapsed > 0 else ""
        self.stdout.write(f"{label}: {rows if rows is not None else ''} in {elapsed:.1f} s{rate}")
        return result

    def _reference_data(self) -> None:
        from enterprises.models import Region, SupervisoryBody

        if not Region.objects.exists() or not SupervisoryBody.objects.exists():
            call_command("load_reference_data", stdout=io.StringIO())

    def _placements(self, region_code: str = "") -> list[tuple[Any, Any]]:
        """(region, owning body) pairs: township and village regions covered by a body, the deepest body owning."""
        from enterprises.models import Region, SupervisoryBody

        bodies = sorted(SupervisoryBody.objects.select_related("region"), key=lambda b: -len(b.region.path))
        places = []
        regions = Region.objects.filter(level__in=("township", "village")).order_by("path")
        if region_code:
            top = Region.objects.filter(code=region_code).first()
            if top is None:
                raise CommandError(f"No region with the code {region_code}.")
            regions = regions.filter(path__startswith=top.path)
        for region in regions:
            owner = next((b for b in bodies if region.path.startswith(b.region.path)), None)
            if owner is not None and (not owner.industries):
                places.append((region, owner))
        if not places:
            raise CommandError("No township under any supervisory body: load the reference data first.")
        return places

    def _enterprises(self, rng: random.Random, count: int, region_code: str = "") -> list[tuple[int, int]]:
        """(enterprise id, owning body id) of the enterprises to fill: new ones, or the generated ones."""
        from enterprises.models import Enterprise

        if count > 0:
            self._step("enterprises", lambda: self._create_enterprises(rng, count, region_code))
        return list(Enterprise.unscoped.filter(description=MARKER).order_by("pk").values_list("pk", "owning_body_id"))

    def _create_enterprises(self, rng: random.Random, count: int, region_code: str = "") -> int:
        from enterprises.models import Enterprise, Membership, User
        from enterprises.validators import credit_code_check_character

        places = self._placements(region_code)
        # Some townships are busier than others.
        place_weights = [rng.paretovariate(1.5) for _ in places]
        start = Enterprise.unscoped.filter(description=MARKER).count()
        batch: list[Enterprise] = []
        for n in range(start, start + count):
            region, body = rng.choices(places, weights=place_weights)[0]
            industry = _weighted(rng, INDUSTRIES)
            base = f"91{region.code[:6]}MA{n:07d}"
            employees = int(rng.lognormvariate(3.5, 1.2)) + 1
            batch.append(
                Enterprise(
                    name=f"{region.name[:4]}{''.join(rng.sample(NAME_WORDS, 2))}{INDUSTRY_WORDS[industry]}"
                    f"{n:06d}有限公司",
                    credit_code=base + credit_code_check_character(base),
                    owning_body=body,
                    region=region,
                    industry=industry,
                    contact_name="联系人",
                    contact_phone=f"138{n % 100_000_000:08d}",
                    status=Enterprise.Status.APPROVED,
                    employees=employees,
                    size_class=_weighted(rng, SIZES),
                    has_major_hazard_source=industry == "hazardous_chemicals" and rng.random() < 0.25,
                    description=MARKER,
                    submitted_at=self.now - timedelta(days=rng.randint(30, 1500)),
                    reviewed_at=self.now - timedelta(days=rng.randint(1, 29)),
                )
            )
        with transaction.atomic():
            created = Enterprise.unscoped.bulk_create(batch, batch_size=2000)
            # One administrator each; most logged in this month, some long ago, some never (not using the system).
            users = []
            for e in created:
                roll = rng.random()
                last_login = (
                    self.now - timedelta(hours=rng.uniform(1, 24 * 30))
                    if roll < 0.8
                    else (self.now - timedelta(days=rng.uniform(31, 400)) if roll < 0.95 else None)
                )
                user = User(username=f"gv{e.pk}", full_name="管理员", last_login=last_login)
                user.set_unusable_password()
                users.append(user)
            users = User.objects.bulk_create(users, batch_size=2000)
            Membership.objects.bulk_create(
                [
                    Membership(user=u, enterprise=e, role=Membership.Role.ENTERPRISE_ADMIN)
                    for u, e in zip(users, created, strict=True)
                ],
                batch_size=2000,
            )
        return len(created)

    def _hazards(self, rng: random.Random, enterprises: list[tuple[int, int]], count: int, months: int) -> None:
        from hazards.models import Hazard

        if count <= 0:
            return
        # Some enterprises report far more than others.
        weights = [rng.paretovariate(1.2) for _ in enterprises]
        numbers: dict[int, int] = {}
        span_days = months * 30.4
        L, K, Src = Hazard.Level, Hazard.Kind, Hazard.Source

        def work() -> int:
            with bulk_load(Hazard._meta.db_table, count):
                return fill()

        def fill() -> int:
            writer = CopyWriter(Hazard, self.now)
            picks = rng.choices(enterprises, weights=weights, k=count)
            for enterprise_id, body_id in picks:
                age = span_days * rng.random() ** 1.6  # recent months are busier
                found_at = self.now - timedelta(days=age, seconds=rng.randint(0, 86399))
                major = rng.random() < 0.03
                on_spot = not major and rng.random() < 0.33
                source = _weighted(rng, [(Src.SELF_INSPECTION, 80), (Src.GOVERNMENT, 15), (Src.COMPLAINT, 5)])
                deadline = found_at if on_spot else found_at + timedelta(days=rng.choice((7, 15, 30, 30, 30, 60)))
                status, closed_at = self._status(rng, found_at, deadline, on_spot)
                numbers[enterprise_id] = numbers.get(enterprise_id, 0) + 1
                values = {
                    "enterprise_id": enterprise_id,
                    "number": f"YH-{timezone.localtime(found_at).year}-{numbers[enterprise_id]:06d}",
                    "title": rng.choice(HAZARD_TITLES),
                    "location": rng.choice(PLACES),
                    "source": source,
                    "level": L.MAJOR if major else L.GENERAL,
                    "kind": K.MAJOR if major else (K.ON_SPOT if on_spot else K.DEADLINE),
                    "found_at": found_at,
                    "deadline": deadline,
                    "status": status,
                    "registered_by_body_id": body_id if source == Src.GOVERNMENT else None,
                    "closed_at": closed_at,
                    "closed_on_time": None if closed_at is None else closed_at <= deadline,
                    "created_at": found_at,
                    "updated_at": closed_at or found_at,
                }
                if closed_at is not None:
                    values["rectified_at"] = closed_at
                    values["rectification_measures"] = "已整改完毕"
                    values["rectification_cost"] = Decimal(rng.randint(0, 20000))
                if major:
                    values.update(
                        plan_goal="彻底消除重大隐患",
                        plan_measures="停产整改，更换设备",
                        plan_funds=Decimal(rng.randint(50_000, 2_000_000)),
                        plan_responsible="总经理",
                        plan_time_limit=(deadline + timedelta(days=30)).date(),
                        plan_interim_measures="设置警戒区，专人监护",
                        reported_to_government_at=found_at + timedelta(days=1),
                    )
                writer.add(**values)
            writer.flush()
            return writer.written

        self._step("hazards", work)

    def _status(self, rng: random.Random, found_at: datetime, deadline: datetime, on_spot: bool):
        from hazards.models import Hazard

        S = Hazard.Status
        if on_spot:
            return S.CLOSED, found_at
        age = (self.now - found_at).days
        closed_share = 0.95 if age > 90 else (0.75 if age > 30 else 0.35)
        if rng.random() < closed_share:
            closed_at = min(found_at + timedelta(days=rng.uniform(1, 45)), self.now)
            return S.CLOSED, closed_at
        if deadline < self.now:
            return _weighted(rng, [(S.OVERDUE, 70), (S.EXTENSION_REQUESTED, 10), (S.REPORTED, 20)]), None
        return _weighted(rng, [(S.REGISTERED, 40), (S.RECTIFYING, 35), (S.REPORTED, 25)]), None

    def _risk_points(self, rng: random.Random, enterprises: list[tuple[int, int]], count: int) -> None:
        from hazards.models import RiskPoint

        if count <= 0:
            return

        def work() -> int:
            with bulk_load(RiskPoint._meta.db_table, count):
                return fill()

        def fill() -> int:
            writer = CopyWriter(RiskPoint, self.now)
            for enterprise_id, _body in rng.choices(enterprises, k=count):
                level = _weighted(rng, RISK_LEVELS)
                score = {"major": 360, "high": 200, "general": 90, "low": 30}[level] + rng.randint(0, 40)
                writer.add(
                    enterprise_id=enterprise_id,
                    category=rng.choice(RISK_CATEGORIES),
                    name=rng.choice(RISK_NAMES),
                    place=rng.choice(PLACES),
                    method="lec",
                    score=Decimal(score),
                    level=level,
                    qr_token=secrets.token_hex(16),
                    map_x=Decimal(rng.randint(5, 95)),
                    map_y=Decimal(rng.randint(5, 95)),
                )
            writer.flush()
            return writer.written

        self._step("risk points", work)

    def _listings(self, rng: random.Random, enterprises: list[tuple[int, int]]) -> None:
        """About half of the open major hazards of generated enterprises are under supervised listing."""
        from enterprises.models import Enterprise
        from hazards.models import Hazard, SupervisedListing

        def work() -> int:
            generated = Enterprise.unscoped.filter(description=MARKER).values("pk")
            open_major = (
                Hazard.objects.filter(enterprise__in=generated, level=Hazard.Level.MAJOR, listing__isnull=True)
                .exclude(status=Hazard.Status.CLOSED)
                .values_list("pk", "enterprise_id", "enterprise__owning_body_id")
            )
            rows = [
                SupervisedListing(
                    enterprise_id=e, hazard_id=h, body_id=b, notice="挂牌督办，限期整改", notice_number=f"督〔{h}〕号"
                )
                for h, e, b in open_major.iterator()
                if rng.random() < 0.5
            ]
            SupervisedListing.objects.bulk_create(rows, batch_size=5000)
            return len(rows)

        self._step("supervised listings", work)

    def _analyze(self) -> int:
        # The whole database: fresh statistics of regions and bodies matter as much as of hazards (a jurisdiction is
        # a region path prefix; without them the planner takes it for a dozen enterprises and picks a plan that
        # reads every hazard of the jurisdiction to show 25).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return 0
