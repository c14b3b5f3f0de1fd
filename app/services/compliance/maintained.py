"""Compliance counts maintained as assignments change, so today's dashboards never scan the assignments.

`compliance_count` holds how many assignments are in each bucket today: (department, unit, unit path,
requirement, country of posting and post, status, expiring soon), the bucket worked out by the very SQL expressions
the live query uses (app.services.compliance.status_sql). Each assignment names the bucket it is counted in
(`assignment.counted_in`), so keeping the table right is one rule: after any write, `sync` the assignments it
touched (in the same transaction); each whose bucket changed moves, -1 from the old and +1 to the new.

Status changes with the calendar, so the table is current for one day (`compliance_count_state.current_on`).
`roll_to` moves it to another day: only the assignments whose assigned, ended, due, extended, completed,
expiry or exemption date lies between the two days (found by their indexes) can change bucket, and only
those are synced. It runs from `aptrain rollover` (safe to run twice), and automatically when a read or a
write finds the table stale. A long jump, or a table never built, is rebuilt in a few set-based statements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import and_, bindparam, case, false, func, or_, select, text, union, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app import clock
from app.models import Assignment, ComplianceCount, ComplianceCountState, Official, Posting, Requirement
from app.services.compliance.status import EXPIRING_SOON_DAYS, Status
from app.services.compliance.status_sql import expiring_soon_case, is_assigned, status_case
from app.services.organisation.scope import Scope, path_under

REBUILD_AFTER_DAYS = 62  # a longer jump is rebuilt rather than walked
_CHUNK = 500
_COUNT, _STATE, _ASSIGNMENT = ComplianceCount.__table__, ComplianceCountState.__table__, Assignment.__table__
KEY = ("department_id", "unit_id", "unit_path", "requirement_id", "country_code", "post", "status", "expiring_soon")


def _key_columns(session: Session, on: date) -> list:
    """An assignment row's bucket at `on`, in KEY's order (0 and "" for no department, unit or country)."""
    return [
        func.coalesce(Official.department_id, 0),
        func.coalesce(Official.unit_id, 0),
        Official.unit_path,
        Assignment.requirement_id,
        func.coalesce(Posting.country_code, ""),
        func.coalesce(Posting.post, ""),
        status_case(on),
        case((expiring_soon_case(session, on), True), else_=False),
    ]


def _keyed(columns: list):
    return (select(*columns).select_from(Assignment).join(Official, Official.id == Assignment.official_id)
            .outerjoin(Posting, Posting.id == Assignment.posting_id))


def _key(row) -> tuple:
    department, unit, path, requirement, country, post, status, soon = row
    return int(department), int(unit), path or "", int(requirement), country or "", post or "", status, bool(soon)


def _insert_ignoring_duplicates(session: Session, table, rows: list[dict]) -> None:
    dialect = session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).on_conflict_do_nothing()
    session.connection().execute(statement, rows)


def _bucket_ids(session: Session, keys: set[tuple]) -> dict[tuple, int]:
    """The compliance_count id of each key, the missing rows created (with n = 0)."""
    found: dict[tuple, int] = {}
    if not keys:
        return found
    conn = session.connection()
    requirements, units = sorted({k[3] for k in keys}), sorted({k[1] for k in keys})

    def load() -> None:
        query = select(_COUNT.c.id, *(_COUNT.c[name] for name in KEY)).where(
            _COUNT.c.requirement_id.in_(requirements), _COUNT.c.unit_id.in_(units))
        for row in conn.execute(query):
            key = _key(row[1:])
            if key in keys:
                found[key] = row[0]

    load()
    missing = keys - found.keys()
    if missing:
        _insert_ignoring_duplicates(session, _COUNT, [{**dict(zip(KEY, key)), "n": 0} for key in sorted(missing)])
        load()
    return found


def _move(session: Session, assignment_ids: list[int], on: date) -> int:
    """Put each of these assignments in its bucket at `on`; returns how many moved."""
    conn = session.connection()
    lock = session.get_bind().dialect.name == "postgresql"
    moved = 0
    for start in range(0, len(assignment_ids), _CHUNK):
        chunk = assignment_ids[start:start + _CHUNK]
        assigned = case((is_assigned(on), 1), else_=0)
        query = _keyed([Assignment.id, Assignment.counted_in, assigned, *_key_columns(session, on)]).where(
            Assignment.id.in_(chunk))
        if lock:  # two transactions moving one assignment must not both take it out of its old bucket
            query = query.order_by(Assignment.id).with_for_update(of=Assignment)
        rows = [(row[0], row[1], bool(row[2]), _key(row[3:])) for row in conn.execute(query)]
        ids = _bucket_ids(session, {key for _, _, yes, key in rows if yes})
        deltas: Counter = Counter()
        moves = []
        for assignment_id, counted, yes, key in rows:
            bucket = ids[key] if yes else None
            if bucket != counted:
                if counted is not None:
                    deltas[counted] -= 1
                if bucket is not None:
                    deltas[bucket] += 1
                moves.append({"aid": assignment_id, "bucket": bucket})
        if moves:
            conn.execute(update(_ASSIGNMENT).where(_ASSIGNMENT.c.id == bindparam("aid"))
                         .values(counted_in=bindparam("bucket")), moves)
        changes = [{"cid": cid, "delta": delta} for cid, delta in sorted(deltas.items()) if delta]
        if changes:
            conn.execute(update(_COUNT).where(_COUNT.c.id == bindparam("cid"))
                         .values(n=_COUNT.c.n + bindparam("delta")), changes)
        moved += len(moves)
    return moved


def sync(session: Session, assignment_ids: Iterable[int | None]) -> int:
    """After a write: move these assignments to their buckets today, in the caller's transaction."""
    ids = sorted({i for i in assignment_ids if i is not None})
    if not ids:
        return 0
    session.flush()
    on = ensure_current(session)
    if on is None:  # not built: `aptrain rollover` counts everything afresh, these included
        return 0
    return _move(session, ids, on)


def sync_officials(session: Session, official_ids: Iterable[int]) -> int:
    """After a write to officials (their unit, department or status) or to their assignments: all of theirs."""
    officials = sorted(set(official_ids))
    session.flush()
    ids: list[int] = []
    for start in range(0, len(officials), _CHUNK):
        chunk = officials[start:start + _CHUNK]
        ids += session.execute(select(Assignment.id).where(Assignment.official_id.in_(chunk))).scalars().all()
    return sync(session, ids)


def current_on(session: Session) -> date | None:
    """The day the table is current for (None: not built yet)."""
    return session.execute(select(_STATE.c.current_on).where(_STATE.c.id == 1)).scalar()


ROLL_IN_WRITE_DAYS = 7  # a write finding the table this stale (or less) rolls it over itself; longer waits for the command


def ensure_current(session: Session, today: date | None = None) -> date | None:
    """For a write: the table rolled over to today if it is a few days stale (the first write of a day does this,
    in its own transaction); None when the table is not built, or too stale to roll within a request, in which
    case it is marked not built and reads use the live query until `aptrain rollover` (run daily, and by
    `aptrain db upgrade` and the worker) builds it. Reads never write: see `is_current`."""
    today = today or clock.today()
    old = current_on(session)
    if old == today:
        return today
    if old is None:
        return None
    if abs((today - old).days) > ROLL_IN_WRITE_DAYS:
        session.connection().execute(update(_STATE).where(_STATE.c.id == 1).values(current_on=None, updated_at=clock.utcnow()))
        return None
    roll_to(session, today)
    return today


def is_current(session: Session, day: date) -> bool:
    """Whether the table holds `day`'s counts (reads use it only then, and the live query otherwise)."""
    return current_on(session) == day


def _crossed(session: Session, old: date, new: date) -> list[int]:
    """Assignments one of whose dates lies between `old` and `new`: the only ones whose bucket can differ.

    Each test of the status compares a date with the day (`x <= on`, `x > on`, `x >= on` or `x < on`), and
    changes between two days only for an x between them, ends included; expiring soon compares the expiry
    with the day plus the requirement's horizon (30 days, or its longer recertification window)."""
    low, high = min(old, new), max(old, new)
    day = timedelta(days=1)
    after_low = [Assignment.assigned_on, Assignment.ended_on, Assignment.completed_on]  # x <= on, x > on: (low, high]
    before_high = [Assignment.exempt_until, Assignment.due_on, Assignment.extended_to]  # x >= on, x < on: [low, high)
    parts = [select(Assignment.id).where(column.between(low + day, high)) for column in after_low]
    parts += [select(Assignment.id).where(column.between(low, high - day)) for column in before_high]
    parts.append(select(Assignment.id).where(Assignment.expires_on.between(low, high)))  # both kinds of test
    horizons: dict[int, list[int]] = {}
    for requirement_id, days in session.execute(select(Requirement.id, Requirement.recertification_days)):
        horizons.setdefault(max(EXPIRING_SOON_DAYS, days or 0), []).append(requirement_id)
    for days, requirement_ids in sorted(horizons.items()):
        ahead = timedelta(days=days)
        parts.append(select(Assignment.id).where(Assignment.expires_on.between(low + ahead + day, high + ahead),
                                                 Assignment.requirement_id.in_(requirement_ids)))
    return sorted(session.execute(union(*parts)).scalars().all())


def roll_to(session: Session, day: date, *, rebuild: bool = False) -> str:
    """Make the table current for `day`: "current" (nothing to do), "rolled" or "rebuilt". Safe to run twice,
    and by two processes at once: the state row is locked (PostgreSQL) or the write lock held (SQLite)."""
    session.flush()
    _insert_ignoring_duplicates(session, _STATE, [{"id": 1, "current_on": None, "updated_at": clock.utcnow()}])
    query = select(_STATE.c.current_on).where(_STATE.c.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    old = session.connection().execute(query).scalar()
    if old == day and not rebuild:
        return "current"
    if rebuild or old is None or abs((day - old).days) > REBUILD_AFTER_DAYS:
        _rebuild(session, day)
        done = "rebuilt"
    else:
        _move(session, _crossed(session, old, day), day)
        done = "rolled"
    session.connection().execute(update(_STATE).where(_STATE.c.id == 1).values(current_on=day, updated_at=clock.utcnow()))
    return done


def _rebuild(session: Session, day: date) -> None:
    """Every bucket counted afresh in set-based statements, and every assignment told its bucket. Bucket ids are
    kept (n set anew), and only assignments whose bucket differs are written, so a repair touches few rows."""
    conn = session.connection()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # an administrator's command over every assignment: no request-sized time limit
        conn.execute(text("SET LOCAL statement_timeout = 0"))
    keys = _key_columns(session, day)
    labelled = [column.label(name) for column, name in zip(keys, KEY)]
    conn.execute(update(_COUNT).where(_COUNT.c.n != 0).values(n=0))
    grouped = _keyed([*labelled, func.count().label("n")]).where(is_assigned(day)).group_by(*keys)
    upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(_COUNT).from_select([*KEY, "n"], grouped)
    conn.execute(upsert.on_conflict_do_update(index_elements=list(KEY), set_={"n": upsert.excluded.n}))
    buckets = _keyed([Assignment.id.label("aid"), *labelled]).where(is_assigned(day)).subquery()
    pairs = select(buckets.c.aid, _COUNT.c.id.label("cid")).join(
        _COUNT, and_(*(_COUNT.c[name] == buckets.c[name] for name in KEY))).subquery()
    conn.execute(update(_ASSIGNMENT).where(_ASSIGNMENT.c.id == pairs.c.aid,
                                           _ASSIGNMENT.c.counted_in.is_distinct_from(pairs.c.cid))
                 .values(counted_in=pairs.c.cid))
    active = select(Official.id).where(Official.id == _ASSIGNMENT.c.official_id, Official.active.is_(True)).exists()
    counted = and_(_ASSIGNMENT.c.assigned_on <= day,
                   or_(_ASSIGNMENT.c.ended_on.is_(None), _ASSIGNMENT.c.ended_on > day), active)
    conn.execute(update(_ASSIGNMENT).where(_ASSIGNMENT.c.counted_in.is_not(None), ~counted).values(counted_in=None))


# ---- reading ------------------------------------------------------------------------------------------------

_ORDER = (Status.EXEMPT.value, Status.COMPLIANT.value, Status.OVERDUE.value, Status.NOT_YET_DUE.value)
_NONE = {"department": 0, "unit": 0, "country": ""}  # the table's stand-ins for "none"


def _within(session: Session, scope: Scope, filters) -> list:
    """The scope and the filters as conditions on the table's columns (as Scope.within does on officials)."""
    c = _COUNT.c
    department_id, unit_path, country_code = filters.department_id, filters.unit_path, filters.country_code
    clauses = []
    if not scope.everything:
        if scope.department_id is not None:
            clauses.append(c.department_id == scope.department_id)
        elif scope.unit_path:
            clauses.append(path_under(c.unit_path, scope.unit_path))
        else:
            clauses.append(false())
    if department_id is not None:
        clauses.append(c.department_id == department_id)
    if unit_path:
        clauses.append(path_under(c.unit_path, unit_path))
    if country_code:
        clauses.append(c.country_code == country_code)
    if filters.module_id:
        requirements = session.execute(select(Requirement.id).where(Requirement.module_id == filters.module_id))
        clauses.append(c.requirement_id.in_(requirements.scalars().all()))
    return clauses


def read(session: Session, scope: Scope, filters, dims: tuple[str, ...]) -> dict:
    """{(group keys…): (assigned, exempt, compliant, overdue, not yet due, expiring soon)} today, from the table;
    `filters` is a counts.Filters, `dims` among department, unit, module and country. Only when `is_current`
    for today (counts._counts checks): a read never writes."""
    # By requirement in SQL (no join), by module here: there are only a handful of requirements.
    groups = {"department": _COUNT.c.department_id, "unit": _COUNT.c.unit_id, "country": _COUNT.c.country_code,
              "module": _COUNT.c.requirement_id}
    keys = [groups[d] for d in dims]
    n = _COUNT.c.n
    figures = [func.sum(n), *(func.sum(case((_COUNT.c.status == state, n), else_=0)) for state in _ORDER),
               func.sum(case((_COUNT.c.expiring_soon.is_(True), n), else_=0))]
    query = select(*keys, *figures).select_from(_COUNT).where(n != 0, *_within(session, scope, filters))
    width = len(keys)
    modules = dict(session.execute(select(Requirement.id, Requirement.module_id)).all()) if "module" in dims else {}
    found: dict = {}
    for row in session.connection().execute(query.group_by(*keys) if keys else query):
        values = tuple(int(v or 0) for v in row[width:])
        if not values[0]:
            continue
        key = tuple(modules.get(v) if d == "module" else None if _NONE.get(d) == v else v
                    for d, v in zip(dims, row[:width])) if width else (None,)
        so_far = found.get(key)
        found[key] = values if so_far is None else tuple(a + b for a, b in zip(so_far, values))
    if not width and not found:
        found[(None,)] = (0, 0, 0, 0, 0, 0)
    return found


def posts(session: Session, scope: Scope, filters) -> dict[str | None, list[str]]:
    """The posts of today's assignments per country of posting (None: not tied to a posting), A to Z. Only when
    `is_current` for today."""
    query = (select(_COUNT.c.country_code, _COUNT.c.post).where(_COUNT.c.n != 0, _COUNT.c.post != "",
                                                               *_within(session, scope, filters))
             .group_by(_COUNT.c.country_code, _COUNT.c.post))
    found: dict[str | None, list[str]] = {}
    for code, post in session.connection().execute(query):
        found.setdefault(code or None, []).append(post)
    return {code: sorted(names) for code, names in found.items()}
