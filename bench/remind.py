"""Benchmark `aptrain remind`: a day's reminders for a civil-service-sized population, on SQLite or PostgreSQL.

    .venv/bin/python bench/remind.py --officials 510000 --db sqlite|postgresql [--reuse]

The population is bench/compliance_data.py's (N officials in 60 departments, ~800,000 assignments at 510,000,
completions, exemptions, extensions), built around 15 January 2026, with every official who is not a manager
given their unit's first manager as line manager (so the weekly digests have teams). It lives in its own
database: /tmp/aptrain-remind-<N>.db, or `aptrain_remind_bench` beside APTRAIN_BENCH_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres). The outbox is emptied first, then the reminders for
15 January 2026 are computed three ways, each timed: a dry run (counts only), the real run (rendered and
enqueued in one transaction), and the same run again (finds nothing new). Target: the real run ≤ 60 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from app.cli import upgrade_database
from app.db import make_engine, session_scope
from app.services.reminders import remind
from app.services.reminders.texts import KINDS
from bench.compliance_data import database, generate

TODAY = date(2026, 1, 15)
TARGET_SECONDS = 60


def give_line_managers(conn) -> int:
    """Every official who is not a manager reports to their unit's first manager."""
    conn.execute(text("CREATE TEMP TABLE unit_manager AS SELECT unit_id, min(id) AS manager_id FROM official "
                      "WHERE roles LIKE '%manager%' GROUP BY unit_id"))
    conn.execute(text("CREATE INDEX ix_unit_manager ON unit_manager (unit_id)"))
    result = conn.execute(text(
        "UPDATE official SET line_manager_id = (SELECT manager_id FROM unit_manager u WHERE u.unit_id = official.unit_id) "
        "WHERE roles NOT LIKE '%manager%'"))
    conn.execute(text("DROP TABLE unit_manager"))
    conn.execute(text("ANALYZE"))
    return result.rowcount


def timed_run(engine, *, dry_run: bool):
    start = time.perf_counter()
    with session_scope(engine, write=not dry_run) as session:
        result = remind(session, TODAY, base_url="https://training.example.gov.uk", dry_run=dry_run)
        if dry_run:
            session.rollback()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=510_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--reuse", action="store_true", help="reuse a generated database of the same size")
    args = parser.parse_args()
    url, fresh = database(args.db, args.officials, args.reuse, name="aptrain_remind_bench")
    engine = make_engine(url)
    if fresh:
        upgrade_database(url)
        start = time.perf_counter()
        with engine.begin() as conn:
            facts = generate(conn, args.officials, TODAY)
            managed = give_line_managers(conn)
        print(f"generated in {time.perf_counter() - start:.1f} s: {facts['rows']}; {managed:,} officials given a line manager")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox_message"))
        assignments = conn.execute(text("SELECT count(*) FROM assignment")).scalar()
    print(f"{args.db}: {args.officials:,} officials, {assignments:,} assignments; reminders as at {TODAY.isoformat()}")
    dry_seconds, dry = timed_run(engine, dry_run=True)
    seconds, result = timed_run(engine, dry_run=False)
    again_seconds, again = timed_run(engine, dry_run=False)
    print(f"{'kind':<20} {'dry run':>10} {'enqueued':>10} {'again':>8}")
    for kind in KINDS:
        if kind != "assigned":
            print(f"{kind:<20} {dry.counts.get(kind, 0):>10,} {result.counts.get(kind, 0):>10,} {again.counts.get(kind, 0):>8,}")
    print(f"{'total':<20} {dry.total:>10,} {result.total:>10,} {again.total:>8,}")
    verdict = "met" if seconds <= TARGET_SECONDS else "MISSED"
    print(f"dry run {dry_seconds:.1f} s; remind {seconds:.1f} s (target ≤ {TARGET_SECONDS} s: {verdict}); "
          f"second run {again_seconds:.1f} s")
    engine.dispose()


if __name__ == "__main__":
    main()
