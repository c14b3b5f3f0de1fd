"""Applying a roster plan: bulk writes in the session's transaction, audited, then assignments recomputed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Table, bindparam, func, insert, update
from sqlmodel import Session, select

from app.models import Official, Posting, Role, Unit
from app.services.audit import Actor
from app.services.organisation.assignments import recompute_officials
from app.services.organisation.csv_input import AuditBatch
from app.services.organisation.roster.plan import Plan, unit_key
from app.services.organisation.roster.read import Book, Person


def apply(session: Session, plan: Plan, book: Book, actor: Actor, today: date) -> None:
    """Write the plan with bulk statements in the session's transaction, audit it, and recompute assignments."""
    session.flush()
    conn = session.connection()
    audit = AuditBatch(actor)
    units = {key: (unit_id, path) for key, (unit_id, path, _) in book.units.items()}
    unit_table, official_table, posting_table = Unit.__table__, Official.__table__, Posting.__table__
    for depth in sorted({len(parts) for _, parts in plan.units}):
        level = [(d, parts) for d, parts in plan.units if len(parts) == depth]
        rows = [{"department_id": d, "parent_id": units[unit_key(d, parts[:-1])][0] if depth > 1 else None,
                 "name": parts[-1], "full_name": " / ".join(parts), "path": ""} for d, parts in level]
        ids = conn.execute(insert(unit_table).returning(unit_table.c.id, sort_by_parameter_order=True), rows).scalars().all()
        for unit_id, row, (d, parts) in zip(ids, rows, level):
            parent_path = units[unit_key(d, parts[:-1])][1] if depth > 1 else "/"
            row.update(id=unit_id, path=f"{parent_path}{unit_id}/")
            units[unit_key(d, parts)] = (unit_id, row["path"])
            audit.add("unit.create", "unit", unit_id, after=row)
        conn.execute(update(unit_table).where(unit_table.c.id == bindparam("uid")).values(path=bindparam("upath")),
                     [{"uid": r["id"], "upath": r["path"]} for r in rows])

    def columns(person: Person, row: dict | None) -> dict:
        """The official's columns as the file wants them; what the file has no column for is kept."""
        if "unit" in plan.columns:
            unit_id, unit_path = units[unit_key(person.department_id, person.unit)] if person.unit else (None, "")
        elif row is not None and row["department_id"] == person.department_id:
            unit_id, unit_path = row["unit_id"], row["unit_path"]
        else:
            unit_id, unit_path = None, ""
        if "line_manager_email" in plan.columns:
            manager_id = ids.get(person.manager) if person.manager else None
        else:
            manager_id = row["line_manager_id"] if row is not None else None
        roles = person.roles if person.roles is not None else (row["roles"] if row is not None else Role.LEARNER.value)
        return {"given_name": person.given_name, "family_name": person.family_name, "department_id": person.department_id,
                "unit_id": unit_id, "unit_path": unit_path, "line_manager_id": manager_id, "roles": roles, "active": True}

    ids = {email: row["id"] for email, row in book.officials.items()}
    if plan.new:  # inserted without line managers first: a manager may be a later row of the same file
        rows = [{"email": p.email, "tags": "", "created_at": audit.at, **columns(p, None), "line_manager_id": None} for p in plan.new]
        ids.update(_insert(conn, official_table, rows, ("email",)))
        for person in plan.new:
            after = {"email": person.email, **columns(person, None)}
            audit.add("official.create", "official", ids[person.email], after=after)
    updates = [{"oid": ids[p.email], **columns(p, None)} for p in plan.new if p.manager]
    for person, row in plan.changed:
        after = columns(person, row)
        updates.append({"oid": row["id"], **after})
        audit.add("official.update", "official", row["id"], before={k: row[k] for k in after}, after=after)
    for row in plan.leavers:
        before = {k: row[k] for k in ("given_name", "family_name", "department_id", "unit_id", "unit_path", "line_manager_id", "roles", "active")}
        updates.append({"oid": row["id"], **before, "active": False})
        audit.add("official.leave", "official", row["id"], before=before, after={**before, "active": False})
    if updates:
        conn.execute(update(official_table).where(official_table.c.id == bindparam("oid")), updates)
    if plan.new_postings:
        rows = [{"official_id": ids[email], "country_code": p.country_code, "post": p.post, "start_on": p.start_on, "end_on": p.end_on}
                for email, p in plan.new_postings]
        new_ids = _insert(conn, posting_table, rows, ("official_id", "country_code", "post", "start_on"))
        for row in rows:
            posting_id = new_ids[row["official_id"], row["country_code"], row["post"], row["start_on"]]
            audit.add("posting.create", "posting", posting_id, after=row)
    if plan.posting_ends:
        conn.execute(update(posting_table).where(posting_table.c.id == bindparam("pid")).values(end_on=bindparam("new_end")),
                     [{"pid": row["id"], "new_end": end} for row, end, _ in plan.posting_ends])
        for row, end, action in plan.posting_ends:
            audit.add(action, "posting", row["id"], before=row, after={**row, "end_on": end})
    audit.write(conn)
    session.expire_all()
    touched = {ids[p.email] for p in plan.new} | {row["id"] for _, row in plan.changed} | {row["id"] for row in plan.leavers}
    touched |= {ids[email] for email, _ in plan.new_postings} | {row["official_id"] for row, _, _ in plan.posting_ends}
    if touched:
        recompute_officials(session, touched, today)


def _insert(conn: Connection, table: Table, rows: list[dict], key: tuple[str, ...]) -> dict:
    """Insert many rows in one executemany and return their ids by natural key (SQLite cannot return ids in order in bulk)."""
    before = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    conn.execute(insert(table), rows)
    wanted = {tuple(row[k] for k in key) for row in rows}
    found = conn.execute(select(table.c.id, *(table.c[k] for k in key)).where(table.c.id > before))
    by_key = {tuple(row[1:]): row[0] for row in found if tuple(row[1:]) in wanted}
    return {k[0]: v for k, v in by_key.items()} if len(key) == 1 else by_key
