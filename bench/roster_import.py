"""Benchmark the HR roster import: generate a realistic roster CSV, import it into a fresh database, print timings.

    .venv/bin/python bench/roster_import.py [--rows 100000] [--db sqlite|postgresql] [--keep PATH]

`--db postgresql` uses APTRAIN_TEST_DATABASE_URL (or postgresql+psycopg://postgres@127.0.0.1:5432/test)
and DROPS that database's public schema first, as the test suite does.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlmodel import Session, func, select

from app.cli import upgrade_database
from app.db import make_engine
from app.models import AuditEvent, Country, Department, Official, Posting, Unit
from app.services.audit import Actor
from app.services.organisation.csv_input import ImportReport, read_table
from app.services.organisation.roster import Book, apply, check_managers, import_roster, make_plan, read_people

DEPARTMENTS = [("FCDO", "Foreign, Commonwealth & Development Office"), ("MOD", "Ministry of Defence"),
               ("HO", "Home Office"), ("DBT", "Department for Business and Trade"), ("CO", "Cabinet Office")]
GIVEN = ["Siobhán", "Nguyễn", "Aoife", "Oluwaseun", "Zoë", "José", "Mohammed", "Anna", "Bartłomiej", "Chloé", "Dev", "Eilidh"]
FAMILY = ["O'Brien", "Văn An", "Smith", "Ní Bhriain", "Müller", "Okonkwo", "Jones", "García", "Kowalski", "Patel", "Ó Súilleabháin"]
TODAY = date(2026, 1, 15)
HEADER = "email,given_name,family_name,department,unit,line_manager_email,roles,country,post,posting_start,posting_end\n"


def generate_roster(rows: int, countries: list[str], seed: int = 7) -> str:
    """About `rows` lines: 5 departments of 20 directorates x 20 teams (~2,100 units); 60% posted abroad, 5% with a next posting."""
    rng = random.Random(seed)
    officials = max(1, round(rows / 1.05))
    lines = [HEADER]
    heads: dict[str, str] = {}
    team_leads: dict[tuple[str, int, int], str] = {}
    for n in range(officials):
        code = DEPARTMENTS[n % len(DEPARTMENTS)][0]
        directorate, team = rng.randrange(20), rng.randrange(20)
        email = f"official{n}@{code.lower()}.gov.uk"
        unit = f"Directorate {directorate} / Team {directorate}.{team}"
        if code not in heads:
            heads[code], unit, manager, roles = email, "", "", "department-admin"
        elif (code, directorate, team) not in team_leads:
            team_leads[code, directorate, team], manager, roles = email, heads[code], "manager"
        else:
            manager, roles = team_leads[code, directorate, team], ""
        person = f"{email},{rng.choice(GIVEN)},{rng.choice(FAMILY)},{code},{unit},{manager},{roles}"
        if rng.random() < 0.6:
            country = rng.choice(countries)
            start = TODAY - timedelta(days=rng.randrange(900))
            end = start + timedelta(days=365 * 3)
            lines.append(f"{person},{country},British Embassy {country},{start},{end}\n")
            if len(lines) - 1 - n < rows - officials:  # the next posting, after this one ends
                nxt = rng.choice(countries)
                lines.append(f"{person},{nxt},British Embassy {nxt},{end + timedelta(days=1):%d/%m/%Y},\n")
        else:
            lines.append(f"{person},,,,\n")
    return "".join(lines)


def fresh_database(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        url = os.environ.get("APTRAIN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade_database(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--keep", type=Path, help="also write the generated CSV here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(args.db, Path(folder))
        engine = make_engine(url)
        with Session(engine) as session:
            session.add_all(Department(code=code, name=name) for code, name in DEPARTMENTS)
            session.commit()
            countries = sorted(session.exec(select(Country.code)).all())[:200]
        started = time.perf_counter()
        csv_text = generate_roster(args.rows, countries)
        print(f"generated {csv_text.count(chr(10)) - 1} rows ({len(csv_text) / 1e6:.1f} MB) in {time.perf_counter() - started:.1f}s")
        if args.keep:
            args.keep.write_text(csv_text, encoding="utf-8")
        data = csv_text.encode("utf-8")
        with Session(engine) as session:
            t0 = time.perf_counter()
            report = ImportReport()
            table = read_table(data)
            book = Book.load(session)
            people = read_people(table, book, report)
            check_managers(people, book, report, True)
            plan = make_plan(people, book, set(table.columns), full=False, today=TODAY, report=report)
            t1 = time.perf_counter()
            if report.errors:
                sys.exit(f"unexpected errors: {report.errors[:5]}")
            apply(session, plan, book, Actor(None, "import roster bench.csv"), TODAY)
            session.commit()
            t2 = time.perf_counter()
            counted = {m.__name__: session.exec(select(func.count()).select_from(m)).one() for m in (Official, Unit, Posting, AuditEvent)}
        rows = len(table.rows)
        print(f"database: {args.db}; {counted}")
        print(f"validate {t1 - t0:.1f}s, apply {t2 - t1:.1f}s, total {t2 - t0:.1f}s, {rows / (t2 - t0):,.0f} rows/s")
        with Session(engine) as session:
            t3 = time.perf_counter()
            again = import_roster(session, data, filename="bench.csv", today=TODAY)
            session.commit()
            print(f"re-import (no changes: {again.unchanged}): {time.perf_counter() - t3:.1f}s")
        engine.dispose()


if __name__ == "__main__":
    main()
