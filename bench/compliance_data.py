"""A realistic population for the compliance benchmark, written with bulk inserts (no ORM objects).

N officials in ~60 departments (one FCDO-sized: N/30, 17,000 at N=510,000) and ~2,000 units; postings to ~200
countries (30 flagged at risk; one unflagged country with ~2,000 officials posted, to be flagged by the
benchmark); 10 requirements; assignments as the rules would make them; completions (with their attempts) for
~60% of assignments, some expired or expiring; exemptions and extensions for ~2% each.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection, make_url

from app.db import make_engine
from app.models import (
    Assignment,
    Attempt,
    Completion,
    Country,
    CountryRiskAssessment,
    Department,
    Exemption,
    ModuleVersion,
    Official,
    Posting,
    Requirement,
    Unit,
)
from app.services.accounts.sessions import hash_password

PASSWORD = "bench password that is long enough"
BATCH = 20_000
SOURCE = "Early Warning Project Statistical Risk Assessment"
FLAGGED = "MM TD SD IN BF PK AF NG YE GN NE ID ET CD IR KH ML BD IQ SY PH RU SO MZ TR AO CN LA CG TJ".split()
TO_FLAG = "NP"  # not flagged at first; the benchmark flags it with ~2,000 officials posted there
TAGS = ["political", "development", "defence", "trade", "consular", ""]


ORDER = [Official, Posting, Attempt, Completion, Assignment, Exemption]


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC)


class Writer:
    """Bulk inserts in batches of BATCH rows with ids we choose, so nothing is read back."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.pending, self.counts = conn, {}, {}

    def add(self, model, row: dict) -> None:
        rows = self.pending.setdefault(model, [])
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write every pending row, parents before children."""
        for each in sorted(self.pending, key=lambda m: ORDER.index(m) if m in ORDER else -1):
            rows = self.pending.get(each) or []
            if rows:
                self.conn.execute(insert(each.__table__), rows)
                self.counts[each.__tablename__] = self.counts.get(each.__tablename__, 0) + len(rows)
                self.pending[each] = []


def generate(conn: Connection, officials: int, today: date, seed: int = 510) -> dict:
    """Fill an empty, migrated database; returns the ids the benchmark needs and the row counts."""
    rng = random.Random(seed)
    w = Writer(conn)
    countries = [c for c in conn.execute(select(Country.code)).scalars() if c not in FLAGGED and c != TO_FLAG][:170]
    for n, code in enumerate(FLAGGED):
        w.add(CountryRiskAssessment, {"country_code": code, "at_risk": True, "level": f"rank {n + 1}", "source": SOURCE,
                                      "edition": "2025-26", "assessed_on": date(2025, 9, 3), "set_by_label": "bench",
                                      "created_at": _at(today - timedelta(days=200))})
    # Departments: FCDO is N/30 officials with ~280 posts; the other 59 share the rest unevenly.
    fcdo_size = max(1, officials // 30)
    weights = [rng.paretovariate(1.2) for _ in range(59)]
    rest = officials - fcdo_size
    sizes = [fcdo_size] + [max(1, int(rest * wt / sum(weights))) for wt in weights]
    sizes[1] += officials - sum(sizes)
    units: list[list[tuple[int, str, str]]] = []  # per department: (unit id, path, full name) of leaf units
    unit_id = 0
    for d, size in enumerate(sizes, start=1):
        code = "FCDO" if d == 1 else f"D{d:02d}"
        w.add(Department, {"id": d, "code": code, "name": "Foreign, Commonwealth and Development Office" if d == 1 else f"Department {d}"})
        # ~2,000 units in all: FCDO 20 directorates x 14 posts and teams, the others ~1,700 in proportion to size.
        wanted = max(2, round(1700 * size / rest)) if d != 1 else 300
        directorates = 20 if d == 1 else max(1, round(wanted ** 0.5 / 1.5))
        teams = 14 if d == 1 else max(1, wanted // directorates - 1)
        leaves = []
        for r in range(directorates):
            unit_id += 1
            top, top_name = unit_id, f"Directorate {r + 1}"
            w.add(Unit, {"id": top, "department_id": d, "parent_id": None, "name": top_name, "full_name": top_name, "path": f"/{top}/"})
            for t in range(teams):
                unit_id += 1
                name = f"Post {r + 1}.{t + 1}" if d == 1 else f"Team {r + 1}.{t + 1}"
                full = f"{top_name} / {name}"
                w.add(Unit, {"id": unit_id, "department_id": d, "parent_id": top, "name": name, "full_name": full,
                             "path": f"/{top}/{unit_id}/"})
                leaves.append((unit_id, f"/{top}/{unit_id}/", full))
        units.append(leaves)
    w.flush()
    requirements = [
        # (module, department ids, audience, at-risk posting, validity months)
        ("checkpoint-visit", "", "", True, 24), ("counting-people", "", "", False, 36), ("bench-fcdo", "1", "", False, 24),
        ("bench-d02", "2", "", False, None), ("bench-d03", "3", "", False, 12), ("bench-political", "", "political", False, 24),
        ("bench-defence", "", "defence", False, 36), ("bench-trade", "", "trade", False, None),
        ("bench-consular", "1", "consular", False, 12), ("bench-posted-managers", "", "manager", True, 24),
    ]
    for r, (module, departments, audience, at_risk, validity) in enumerate(requirements, start=1):
        w.add(Requirement, {"id": r, "name": f"Requirement {r}: {module}", "module_id": module, "department_ids": departments,
                            "unit_ids": "", "audience": audience, "at_risk_posting": at_risk, "due_rule": "posting" if at_risk else "assignment",
                            "due_days": -14 if at_risk else 60, "due_date": None, "grace_days": 30, "validity_months": validity,
                            "recertification_days": 30, "retake_on_major": False, "active": True, "created_at": _at(today - timedelta(days=400))})
        w.add(ModuleVersion, {"id": r, "module_id": module, "version": "1.0.0", "content_hash": "0" * 64, "title": module,
                              "max_score": 10, "pass_mark": 6, "source": "", "first_served_at": _at(today - timedelta(days=400))})
    w.flush()
    bench_hash = hash_password(PASSWORD)
    ids = {"fcdo": 1, "to_flag": TO_FLAG, "manager": None, "manager_unit_path": None, "dept_admin": None, "central": None,
           "second_department": 2, "second_size": sizes[1], "fcdo_size": fcdo_size}
    n = posted_to_flag = posting_id = assignment_id = attempt_id = exemption_id = 0
    for d, size in enumerate(sizes, start=1):
        for i in range(size):
            n += 1
            unit, path, _full = units[d - 1][i % len(units[d - 1]) if i < len(units[d - 1]) else rng.randrange(len(units[d - 1]))]
            roles = "learner"
            if d == 1 and i == 0:
                roles, ids["dept_admin"] = "learner department-admin", n
            elif d == 1 and i == 1:
                roles, ids["central"] = "learner central-admin", n
            elif d == 1 and i == 2:
                roles, ids["manager"], ids["manager_unit_path"] = "learner manager", n, path
            elif i < len(units[d - 1]):
                roles = "learner manager"
            tag = rng.choice(TAGS) if d != 1 else rng.choice(["political", "development", "consular", ""])
            w.add(Official, {"id": n, "email": f"o{n}@d{d}.gov.uk", "given_name": rng.choice(GIVEN), "family_name": rng.choice(FAMILY),
                             "roles": roles, "active": rng.random() > 0.01, "password_hash": bench_hash if roles != "learner" and i < 3 else None,
                             "department_id": d, "unit_id": unit, "unit_path": path, "line_manager_id": None, "tags": tag,
                             "created_at": _at(today - timedelta(days=900))})
            posting = None
            if posted_to_flag < 2000 and rng.random() < 2000 / officials * 1.2:
                posting, posted_to_flag = TO_FLAG, posted_to_flag + 1
            elif rng.random() < (0.4 if d == 1 else 0.06):
                posting = rng.choice(FLAGGED) if rng.random() < 0.3 else rng.choice(countries)
            posting_row = None
            if posting:
                posting_id += 1
                start = today + timedelta(days=rng.randint(-700, 120))
                posting_row = posting_id
                w.add(Posting, {"id": posting_id, "official_id": n, "country_code": posting, "post": f"British Embassy {posting}",
                                "start_on": start, "end_on": start + timedelta(days=1095)})
            for r, (module, departments, audience, at_risk, validity) in enumerate(requirements, start=1):
                if departments and str(d) not in departments.split():
                    continue
                if audience and audience not in (tag, "manager" if "manager" in roles else None):
                    continue
                if at_risk and posting not in FLAGGED:
                    continue
                assignment_id += 1
                assigned = today - timedelta(days=rng.randint(0, 600))
                due = assigned + timedelta(days=60)
                row = {"id": assignment_id, "official_id": n, "requirement_id": r, "active": True, "assigned_on": assigned,
                       "due_on": due, "extended_to": None, "posting_id": posting_row if at_risk else None, "reason": "bench",
                       "completion_id": None, "completed_on": None, "expires_on": None, "exempt_until": None,
                       "ended_on": None, "ended_reason": "", "updated_at": _at(today)}
                if rng.random() < 0.6:
                    attempt_id += 1
                    completed = assigned + timedelta(days=rng.randint(0, 500))
                    completed = min(completed, today)
                    w.add(Attempt, {"id": attempt_id, "official_id": n, "module_id": module, "module_version_id": r, "state": "finished",
                                    "current_scene": "end", "step": 9, "path_score": 8, "score": 8, "max_score": 10, "percent": 80,
                                    "passed": True, "started_at": _at(completed), "updated_at": _at(completed), "finished_at": _at(completed)})
                    w.add(Completion, {"id": attempt_id, "official_id": n, "attempt_id": attempt_id, "module_id": module,
                                       "module_version": "1.0.0", "content_hash": "0" * 64, "score": 8, "percent": 80, "completed_at": _at(completed)})
                    row.update(completion_id=attempt_id, completed_on=completed,
                               expires_on=_add_months(completed, validity) if validity else None)
                elif rng.random() < 0.05:
                    row["extended_to"] = due + timedelta(days=90)
                if rng.random() < 0.02:
                    exemption_id += 1
                    row["exempt_until"] = today + timedelta(days=rng.randint(-30, 300))
                    w.add(Assignment, row)
                    w.add(Exemption, {"id": exemption_id, "assignment_id": assignment_id, "reason": "long-term-absence", "comment": "bench",
                                      "valid_until": row["exempt_until"], "granted_by_id": None, "granted_at": _at(today)})
                    continue
                w.add(Assignment, row)
    w.flush()
    if conn.dialect.name == "postgresql":
        for table in ("department", "unit", "official", "posting", "requirement", "module_version", "attempt",
                      "completion", "assignment", "exemption", "country_risk_assessment"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        conn.execute(text("ANALYZE"))
    else:
        conn.execute(text("ANALYZE"))
    ids["units"] = unit_id
    ids["rows"] = w.counts
    return ids


def _add_months(day: date, months: int) -> date:
    from app.services.compliance.status import add_months

    return add_months(day, months)


GIVEN = "Amira Ben Chloe Dev Ewa Femi Grace Hassan Ines Jack Kofi Lena Malik Niamh Owen Priya Rhys Sara Tomasz Uma Zoë".split()
FAMILY = "Okafor Smith Jones Patel Khan Nowak O'Brien Williams Brown Taylor Evans Davies Singh Ahmed Murphy Chen Müller".split()


def database(kind: str, officials: int, reuse: bool, name: str = "aptrain_bench") -> tuple[str, bool]:
    """The URL of a fresh (or reused) benchmark database called `name` (a file under /tmp for SQLite), and
    whether it still needs generating."""
    if kind == "sqlite":
        path = Path(f"/tmp/{name.replace('_', '-')}-{officials}.db")
        if reuse and path.exists():
            return f"sqlite:///{path}", False
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", True
    base = make_url(os.environ.get("APTRAIN_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    url = base.set(database=name).render_as_string(hide_password=False)
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).scalar()
        if exists and reuse:
            engine = make_engine(url)
            with engine.connect() as check:
                found = check.execute(text("SELECT count(*) FROM official")).scalar()
            engine.dispose()
            if found == officials:
                admin.dispose()
                return url, False
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url, True
