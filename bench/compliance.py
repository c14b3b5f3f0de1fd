"""Benchmark the compliance views, exports and recomputation against a realistic population; print a table.

    .venv/bin/python bench/compliance.py --officials 510000 --db sqlite|postgresql [--repeat 15] [--reuse]

Each view is timed through the real app (TestClient against create_app, signed in as a central admin, an
FCDO-sized department's admin, or a team manager) beside the minimal hand-written GROUP BY SQL that computes
the same figures live (the scan the maintained counts replace). The app's clock is set to the population's
day, so the views read the maintained counts, built once after the bulk inserts (`aptrain rollover --rebuild`). SQLite uses /tmp/aptrain-bench-<N>.db; PostgreSQL creates and uses the database
`aptrain_bench` beside APTRAIN_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres),
never `test`. --reuse keeps an existing generated database of the same size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app import PROJECT_ROOT
from app import clock as app_clock
from app.cli import upgrade_database
from app.config import Settings
from app.content import load_library
from app.db import make_engine
from app.main import create_app
from app.models import Posting
from app.services.audit import Actor
from app.services.compliance.maintained import roll_to
from app.services.organisation.assignments import recompute_officials
from app.services.organisation.risk import AssessmentInput, set_assessment
from bench.compliance_data import PASSWORD, database, generate

TODAY = date(2026, 1, 15)
TARGETS = {"central": 50, "department": 60, "team (manager)": 60, "drill-down": 100, "csv 17k": 2000, "posting": 50,
           "flagging": 5000}  # the views read the maintained counts; the floor is the live scan they replace
STATUS_SQL = """CASE WHEN a.exempt_until IS NOT NULL AND a.exempt_until >= :d THEN 'exempt'
 WHEN a.completed_on IS NOT NULL AND a.completed_on <= :d AND (a.expires_on IS NULL OR a.expires_on > :d) THEN 'compliant'
 WHEN COALESCE(a.extended_to, a.due_on) < :d AND (a.expires_on IS NULL OR a.completed_on IS NULL OR a.expires_on > :d
      OR a.expires_on < :d) THEN 'overdue' ELSE 'not-yet-due' END"""
ASSIGNED_SQL = "o.active AND a.assigned_on <= :d AND (a.ended_on IS NULL OR a.ended_on > :d)"


def minimal_counts(group: str, where: str = "") -> str:
    """The floor: one GROUP BY over assignment x official with the status CASE written by hand."""
    return f"""SELECT {group}, count(*),
      sum(CASE WHEN s = 'exempt' THEN 1 ELSE 0 END), sum(CASE WHEN s = 'compliant' THEN 1 ELSE 0 END),
      sum(CASE WHEN s = 'overdue' THEN 1 ELSE 0 END), sum(CASE WHEN s = 'not-yet-due' THEN 1 ELSE 0 END),
      sum(CASE WHEN s = 'compliant' AND expires_on <= :soon THEN 1 ELSE 0 END)
    FROM (SELECT o.department_id, o.unit_id, a.expires_on, {STATUS_SQL} AS s FROM assignment a
          JOIN official o ON o.id = a.official_id WHERE {ASSIGNED_SQL} {where}) t GROUP BY {group}"""


MINIMAL_DRILL = f"""SELECT o.id, o.given_name, o.family_name, a.due_on FROM assignment a JOIN official o ON o.id = a.official_id
  WHERE {ASSIGNED_SQL} AND o.department_id = :dept AND ({STATUS_SQL}) = 'overdue'
  ORDER BY o.family_name, o.given_name, o.id, a.id LIMIT 50"""
MINIMAL_DRILL_COUNT = f"""SELECT count(*) FROM assignment a JOIN official o ON o.id = a.official_id
  WHERE {ASSIGNED_SQL} AND o.department_id = :dept AND ({STATUS_SQL}) = 'overdue'"""
MINIMAL_CSV = f"""SELECT o.id, o.given_name, o.family_name, o.email, a.requirement_id, {STATUS_SQL}, a.due_on, a.completed_on,
  a.expires_on FROM assignment a JOIN official o ON o.id = a.official_id WHERE {ASSIGNED_SQL} AND o.department_id = :dept"""


def timed(action, repeat: int) -> tuple[float, float]:
    """Median and p95 in milliseconds over `repeat` runs (after one warm-up run)."""
    action()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append((time.perf_counter() - start) * 1000)
    runs.sort()
    return statistics.median(runs), runs[min(len(runs) - 1, int(round(0.95 * (len(runs) - 1))))]


def signed_in(app, email: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    page = BeautifulSoup(client.get("/sign-in").text, "html.parser")
    token = page.find("input", {"name": "csrf_token"})["value"]
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.text[:500]
    return client


def get_ok(client: TestClient, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return response


def export_memory(client: TestClient, url: str) -> tuple[float, float, int]:
    """Time (ms), peak Python memory (MB, tracemalloc) and rows of one streamed CSV export."""
    tracemalloc.start()
    start = time.perf_counter()
    rows = 0
    with client.stream("GET", url) as response:
        for _line in response.iter_lines():
            rows += 1
    elapsed = (time.perf_counter() - start) * 1000
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=20_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="reuse a generated database of the same size")
    args = parser.parse_args()
    # The population is built around TODAY: the app's clock says it is TODAY, so the views for "today" read the
    # maintained counts exactly as they would in production.
    app_clock.utcnow = lambda: datetime.combine(TODAY, dt_time(12), UTC)
    url, fresh = database(args.db, args.officials, args.reuse)
    engine = make_engine(url)
    if fresh:
        upgrade_database(url)
        start = time.perf_counter()
        with engine.begin() as conn:
            facts = generate(conn, args.officials, TODAY)
        print(f"generated in {time.perf_counter() - start:.1f} s: {facts['rows']}")
        start = time.perf_counter()
        with Session(engine) as session:  # the bulk inserts bypass the app: count them all once (aptrain rollover --rebuild)
            roll_to(session, TODAY, rebuild=True)
            session.commit()
            buckets = session.execute(text("SELECT count(*) FROM compliance_count")).scalar()
        print(f"maintained counts built in {time.perf_counter() - start:.1f} s: {buckets:,} buckets")
        if args.db == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
    with engine.connect() as conn:
        ids = tuple(conn.execute(text(
            "SELECT (SELECT id FROM official WHERE roles LIKE '%department-admin%' AND department_id = 1 ORDER BY id LIMIT 1),"
            " (SELECT id FROM official WHERE roles LIKE '%central-admin%' ORDER BY id LIMIT 1),"
            " (SELECT id FROM official WHERE roles LIKE '%manager%' AND password_hash IS NOT NULL ORDER BY id LIMIT 1),"
            " (SELECT count(*) FROM official WHERE department_id = 1), (SELECT count(*) FROM official WHERE department_id = 2),"
            " (SELECT count(*) FROM assignment)")).one())
    dept_admin, central, manager, fcdo_size, second_size, assignments = ids
    print(f"{args.db}: {args.officials:,} officials, {assignments:,} assignments; FCDO {fcdo_size:,} officials; "
          f"department 2: {second_size:,}")

    library = load_library(PROJECT_ROOT / "modules")
    settings = Settings(environment="test", secret_key="bench-secret-key-that-is-long-enough-0123456789", database_url=url,
                        modules_dir=PROJECT_ROOT / "modules")
    app = create_app(settings, library=library)
    # The clock of the app is today's; the population is built around TODAY, so ask for that as-at date.
    on = f"on={TODAY.isoformat()}"
    admin_client, dept_client, manager_client = (signed_in(app, f"o{i}@d1.gov.uk") for i in (central, dept_admin, manager))
    params = {"d": TODAY, "soon": TODAY + timedelta(days=30), "dept": 1}
    floor_engine = make_engine(url)

    def sql(statement: str):
        def run() -> None:
            with floor_engine.connect() as conn:
                conn.execute(text(statement), params).all()
        return run

    results = []
    results.append(("central", timed(lambda: get_ok(admin_client, f"/compliance?{on}"), args.repeat),
                    timed(sql(minimal_counts("department_id")), args.repeat)))
    results.append(("department", timed(lambda: get_ok(dept_client, f"/compliance/departments/1?{on}"), args.repeat),
                    timed(sql(minimal_counts("unit_id", "AND o.department_id = :dept")), args.repeat)))
    results.append(("drill-down", timed(lambda: get_ok(dept_client, f"/compliance/officials?status=overdue&{on}"), args.repeat),
                    timed(lambda: (sql(MINIMAL_DRILL)(), sql(MINIMAL_DRILL_COUNT)()), args.repeat)))
    results.append(("team (manager)", timed(lambda: get_ok(manager_client, f"/compliance/team?{on}"), args.repeat), None))
    csv_url = f"/compliance/export.csv?view=officials&{on}"
    results.append(("csv 17k", timed(lambda: get_ok(dept_client, csv_url), max(3, args.repeat // 3)),
                    timed(sql(MINIMAL_CSV), max(3, args.repeat // 3))))
    with engine.connect() as conn:  # a department of about 5,000 officials at full size, beside the FCDO's 17,000
        sizes = conn.execute(text("SELECT department_id, count(*) FROM official WHERE department_id > 1 GROUP BY department_id")).all()
    smaller = min(sizes, key=lambda row: abs(row[1] - fcdo_size * 5 / 17))
    memory = [(label, *export_memory(admin_client, f"/compliance/export.csv?view=officials&department={d}&{on}"))
              for label, d in ((f"department {smaller[0]} ({smaller[1]:,} officials)", smaller[0]),
                               (f"FCDO ({fcdo_size:,} officials)", 1))]

    with Session(engine, expire_on_commit=False) as session:
        official_id = manager

        def posting_change() -> None:
            session.add(Posting(official_id=official_id, country_code="SD", post="British Embassy Khartoum",
                                start_on=TODAY + timedelta(days=60)))
            session.flush()
            recompute_officials(session, [official_id], TODAY)
            session.rollback()

        results.append(("posting", timed(posting_change, args.repeat), None))

        def rollover() -> None:  # the nightly rollover of the maintained counts by one day (rolled back after)
            assert roll_to(session, TODAY + timedelta(days=1)) == "rolled"
            session.rollback()

        results.append(("rollover 1 day", timed(rollover, 3), None))
        flagged = []

        def flag_country() -> None:
            start = time.perf_counter()
            set_assessment(session, Actor(None, "bench"), AssessmentInput("NP", True, "Bench list", "1", TODAY), TODAY)
            flagged.append(time.perf_counter() - start)
            session.rollback()

        results.append(("flagging", timed(flag_country, 2), None))
        posted = session.execute(text("SELECT count(*) FROM posting WHERE country_code = 'NP'")).scalar()

    print(f"\n{'figure':<16}{'median ms':>11}{'p95 ms':>10}{'target':>10}{'floor ms':>10}{'x floor':>9}  verdict")
    for name, (median, p95), floor in results:
        target = TARGETS.get(name)
        ratio = median / floor[0] if floor else None
        ok = target is None or median <= target  # the floor is the live scan the maintained counts replace
        print(f"{name:<16}{median:>11.1f}{p95:>10.1f}{(str(target) if target else '-'):>10}"
              f"{(f'{floor[0]:.1f}' if floor else '-'):>10}{(f'{ratio:.1f}' if ratio else '-'):>9}  {'ok' if ok else 'MISS'}")
    print(f"(flagging recomputed the officials posted to NP: {posted:,})")
    for label, elapsed, peak, rows in memory:
        print(f"csv export, {label}: {rows:,} lines in {elapsed:.0f} ms (under tracemalloc), peak Python memory {peak:.1f} MB")
    for client in (admin_client, dept_client, manager_client):
        client.close()
    app.state.engine.dispose()
    floor_engine.dispose()
    engine.dispose()


if __name__ == "__main__":
    main()
