"""Benchmarks of government supervision at volume (issue 4 "Performance"). Not a test: pytest does not collect it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/safety_bench .venv/bin/python tests/benchmarks/run.py

One run, against a database of its own (its name must contain "bench"; it is dropped and created again):
  1. migrate, generate --small hazards (generate_volume), serve the app with gunicorn on 127.0.0.1 only;
  2. throughput and p50/p95 of the government hazard queue, its second keyset page and the figures dashboard,
     against a minimal logged-in view (/notifications/), as a reviewer of the city bureau (the widest jurisdiction);
  3. grow to --big hazards and measure the queue again: the ratio big / small;
  4. Excel export of --export-rows hazards through the app's export code (the queue's table, write-only openpyxl)
     against bare openpyxl write-only writing the same rows: rows/s and peak memory (tracemalloc);
  5. the overdue sweep (hazards.services.overdue_sweep) over --sweep-rows hazards against a bare UPDATE.
Request loops stop at --requests requests or --seconds seconds, whichever comes first. See README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"  # loopback only


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--enterprises", type=int, default=1000)
    p.add_argument("--small", type=int, default=10_000, help="hazards of the first measurement")
    p.add_argument("--big", type=int, default=100_000, help="hazards of the second (1000000 for the full size)")
    p.add_argument("--risk-points", type=int, default=20_000)
    p.add_argument("--export-rows", type=int, default=100_000)
    p.add_argument("--sweep-rows", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=200, help="at most this many requests per URL")
    p.add_argument("--seconds", type=float, default=30.0, help="and at most this long per URL")
    p.add_argument("--concurrency", type=int, default=2)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--region", default="510500000000", help="generate under this region (default: 泸州市)")
    return p.parse_args()


# --------------------------------------------------------------------------------------------------------
# Environment: a private var/ (static files, broker, media), production settings over plain HTTP on loopback
# --------------------------------------------------------------------------------------------------------


def prepare_environment(var_dir: Path) -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    name = urlparse(url).path.lstrip("/")
    if not url.startswith("postgres") or "bench" not in name:
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database whose name contains 'bench' (it is dropped and re-created)."
        )
    env = {
        "DJANGO_SETTINGS_MODULE": "safety.settings",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": HOST,
        "SAFETY_VAR_DIR": str(var_dir),
        "CELERY_BROKER_URL": "filesystem://localhost/",
        "CONN_MAX_AGE": "60",
    }
    os.environ.update(env)
    return {**os.environ}


def recreate_database() -> None:
    import psycopg2

    parsed = urlparse(os.environ["DATABASE_URL"])
    name = parsed.path.lstrip("/")
    conn = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def timed(label: str, work):
    t = time.monotonic()
    result = work()
    print(f"  {label}: {time.monotonic() - t:.1f} s", flush=True)
    return result


# --------------------------------------------------------------------------------------------------------
# The government user and its session cookie
# --------------------------------------------------------------------------------------------------------


def bench_session() -> tuple[str, object]:
    """A reviewer of the root body whose jurisdiction holds most generated enterprises; its session cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from enterprises.models import Enterprise, Membership, SupervisoryBody, User
    from safety.actors import Actor
    from safety.tenancy import ACTIVE_MEMBERSHIP_SESSION_KEY, scopes_disabled

    with scopes_disabled():
        roots = SupervisoryBody.objects.filter(depth=1)
        body = max(roots, key=lambda b: Enterprise.unscoped.in_jurisdiction(b).count())
        user, _ = User.objects.get_or_create(username="bench_gov", defaults={"full_name": "压测审核员"})
        membership, _ = Membership.objects.get_or_create(
            user=user, body=body, defaults={"role": Membership.Role.REVIEWER}
        )
        membership = Membership.objects.select_related("body", "body__region").get(pk=membership.pk)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend that loads users (axes' comes first and only guards logins).
    session[BACKEND_SESSION_KEY] = next(b for b in settings.AUTHENTICATION_BACKENDS if "axes" not in b.lower())
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[ACTIVE_MEMBERSHIP_SESSION_KEY] = membership.pk
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}", Actor(user=user, membership=membership)


# --------------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------------


class Server:
    def __init__(self, env: dict[str, str], port: int, workers: int) -> None:
        self.base = f"http://{HOST}:{port}"
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "safety.wsgi",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/accounts/login/", timeout=2).read()
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def get(url: str, cookie: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def load(url: str, cookie: str, *, requests: int, seconds: float, concurrency: int) -> dict:
    """Bounded loop: at most ``requests`` requests and ``seconds`` seconds, ``concurrency`` at a time."""
    for _ in range(3):  # warm-up (worker start, caches), not measured
        status, body = get(url, cookie)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}: {body[:300]!r}")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    issued = [0]
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        while True:
            with lock:
                if issued[0] >= requests or time.monotonic() >= stop_at:
                    return
                issued[0] += 1
            t = time.perf_counter()
            status, _body = get(url, cookie)
            elapsed = time.perf_counter() - t
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "throughput": len(latencies) / wall if wall else 0.0,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[max(0, int(round(0.95 * len(latencies))) - 1)] * 1000,
    }


def show(label: str, r: dict, base: dict | None = None) -> None:
    slower = f"  ×{r['p50'] / base['p50']:.1f} p50 of the minimal view" if base else ""
    print(
        f"  {label:<34} {r['requests']:>4} req  {r['throughput']:7.1f} req/s  p50 {r['p50']:7.1f} ms  "
        f"p95 {r['p95']:7.1f} ms  errors {r['errors']}{slower}",
        flush=True,
    )


def measure(server: Server, cookie: str, args, *, with_dashboard: bool = True) -> dict:
    import re

    results = {}
    kw = {"requests": args.requests, "seconds": args.seconds, "concurrency": args.concurrency}
    results["minimal"] = load(server.base + "/notifications/", cookie, **kw)
    show("minimal view /notifications/", results["minimal"])
    queue = server.base + "/gov/supervision/hazards/general/"
    results["queue"] = load(queue, cookie, **kw)
    show("hazard queue, first page", results["queue"], results["minimal"])
    _status, body = get(queue, cookie)
    cursor = re.search(rb'after=([0-9_-]+)"', body)
    if cursor:
        results["queue_page2"] = load(queue + "?after=" + cursor.group(1).decode(), cookie, **kw)
        show("hazard queue, next page (keyset)", results["queue_page2"], results["minimal"])
    results["queue_filtered"] = load(queue + "?status=overdue", cookie, **kw)
    show("hazard queue, filtered by status", results["queue_filtered"], results["minimal"])
    if with_dashboard:
        results["dashboard"] = load(server.base + "/gov/supervision/figures/", cookie, **kw)
        show("figures dashboard (this year)", results["dashboard"], results["minimal"])
    return results


# --------------------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------------------


def export_benchmark(actor, rows: int) -> None:
    from django.http import QueryDict
    from openpyxl import Workbook

    from hazards.tables import SupervisionHazardTable
    from hazards.views import SupervisionQueueView
    from safety.exports import _cell_value, table_rows, write_xlsx
    from safety.tenancy import actor_scope

    def queue():
        # The queue's own filtered queryset and table (what ?export=xlsx and the Celery export write), for both
        # levels at once so that the jurisdiction holds enough rows; newest first.
        major = SupervisionQueueView.build_list(actor, QueryDict(), tab="major")[0].qs
        general = SupervisionQueueView.build_list(actor, QueryDict(), tab="general")[0].qs
        return (major | general).order_by("-found_at", "-pk")[:rows]

    def app_export() -> int:
        with actor_scope(actor):
            headers, values = table_rows(SupervisionHazardTable(queue()))
            with tempfile.TemporaryFile() as f:
                return write_xlsx(f, sheet_title="hazards", headers=headers, rows=values)

    with actor_scope(actor):
        headers, values = table_rows(SupervisionHazardTable(queue()))
        # The same rows, already in memory and in Excel's types: only the writing is measured.
        prepared = [[_cell_value(c) for c in v] for v in values]

    def bare() -> int:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("hazards")
        ws.append(headers)
        for row in prepared:
            ws.append(row)
        with tempfile.TemporaryFile() as f:
            wb.save(f)
        return len(prepared)

    def run(work) -> tuple[int, float, float]:
        t = time.perf_counter()
        n = work()
        elapsed = time.perf_counter() - t
        tracemalloc.start()
        work()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return n, elapsed, peak / 2**20

    n_app, t_app, m_app = run(app_export)
    n_bare, t_bare, m_bare = run(bare)
    print(
        f"  app export (query + table values + write): {n_app} rows in {t_app:.1f} s = {n_app / t_app:,.0f} rows/s, "
        f"peak {m_app:.1f} MiB"
    )
    print(
        f"  bare openpyxl write-only (rows in memory): {n_bare} rows in {t_bare:.1f} s = "
        f"{n_bare / t_bare:,.0f} rows/s, "
        f"peak {m_bare:.1f} MiB (+ the rows themselves held in memory)"
    )
    print(f"  ratio app / bare time: {t_app / t_bare:.2f}", flush=True)


# --------------------------------------------------------------------------------------------------------
# Overdue sweep
# --------------------------------------------------------------------------------------------------------


def sweep_benchmark(rows: int) -> None:
    from django.db import connection

    from hazards import services

    open_states = "('registered', 'reported', 'rectifying')"
    with connection.cursor() as c:
        # Whatever the sweep would find today anyway is settled first, so both runs see exactly the chosen rows.
        c.execute(f"UPDATE hazards_hazard SET status = 'overdue' WHERE status IN {open_states} AND deadline < now()")
        c.execute(
            "CREATE TEMP TABLE bench_sweep AS SELECT id FROM hazards_hazard ORDER BY id LIMIT %s",
            [rows],
        )
        c.execute("SELECT count(*) FROM bench_sweep")
        chosen = c.fetchone()[0]

    def prepare() -> None:
        with connection.cursor() as c:
            c.execute(
                "UPDATE hazards_hazard SET status = 'rectifying', closed_at = NULL, closed_on_time = NULL, "
                "deadline = now() - interval '1 day' WHERE id IN (SELECT id FROM bench_sweep)"
            )
            c.execute("ANALYZE hazards_hazard")

    prepare()
    t = time.perf_counter()
    marked = services.overdue_sweep()
    t_sweep = time.perf_counter() - t
    prepare()
    t = time.perf_counter()
    with connection.cursor() as c:
        c.execute(
            f"UPDATE hazards_hazard SET status = 'overdue', updated_at = now() "
            f"WHERE status IN {open_states} AND deadline < now()"
        )
        bare = c.rowcount
    t_bare = time.perf_counter() - t
    print(
        f"  overdue sweep (lock, transition, review record, log, notification): {marked} of {chosen} rows in "
        f"{t_sweep:.1f} s = {marked / t_sweep:,.0f} rows/s"
    )
    print(
        f"  bare UPDATE: {bare} rows in {t_bare:.2f} s = {bare / t_bare:,.0f} rows/s; ratio {t_sweep / t_bare:.0f}×",
        flush=True,
    )


# --------------------------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="safety-bench-"))
    env = prepare_environment(var_dir)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    print(f"Benchmark database {urlparse(os.environ['DATABASE_URL']).path.lstrip('/')}, var {var_dir}", flush=True)
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    server = None
    try:
        print("Set-up", flush=True)
        timed("migrate", lambda: call_command("migrate", verbosity=0))
        timed("collectstatic", lambda: call_command("collectstatic", verbosity=0, interactive=False))
        timed(
            f"generate {args.enterprises} enterprises, {args.small} hazards",
            lambda: call_command(
                "generate_volume",
                enterprises=args.enterprises,
                hazards=args.small,
                region=args.region,
                risk_points=args.risk_points,
                stdout=open(os.devnull, "w"),  # noqa: SIM115 - closed with the process
            ),
        )
        cookie, actor = bench_session()
        server = Server(env, args.port, args.workers)
        print(f"\nAt {args.small:,} hazards (gunicorn, {args.workers} workers, {args.concurrency} clients)", flush=True)
        small = measure(server, cookie, args)

        timed(
            f"grow to {args.big} hazards",
            lambda: call_command(
                "generate_volume",
                enterprises=0,
                hazards=args.big - args.small,
                risk_points=0,
                i_know=True,
                seed=7,
                stdout=open(os.devnull, "w"),  # noqa: SIM115
            ),
        )
        print(f"\nAt {args.big:,} hazards", flush=True)
        big = measure(server, cookie, args)
        print("\nQueue, big / small:")
        for key in ("queue", "queue_page2", "queue_filtered", "dashboard"):
            if key in small and key in big:
                p50 = big[key]["p50"] / small[key]["p50"]
                p95 = big[key]["p95"] / small[key]["p95"]
                print(f"  {key:<16} p50 ×{p50:.2f}   p95 ×{p95:.2f}")
        server.stop()
        server = None

        print(f"\nExcel export of {args.export_rows:,} hazards", flush=True)
        export_benchmark(actor, args.export_rows)
        print(f"\nOverdue sweep over {args.sweep_rows:,} hazards", flush=True)
        sweep_benchmark(args.sweep_rows)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
