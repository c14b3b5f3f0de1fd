"""append-only audit log

`audit_event` becomes append-only in the database itself, not only by the application's habit:

- PostgreSQL: a trigger function `audit_event_append_only()` that raises, fired BEFORE UPDATE OR DELETE on
  every row and BEFORE TRUNCATE on the statement. Only the table's owner (or a superuser) can disable or drop
  the triggers, so run the application as a role that does not own the tables (README, "Security").
- SQLite: BEFORE UPDATE and BEFORE DELETE triggers that RAISE(ABORT). SQLite has no TRUNCATE (a DELETE
  without WHERE fires the trigger too). Whoever can write the file can drop the triggers.

A later migration that rebuilds `audit_event` on SQLite (batch_alter_table copies the table) drops its
triggers with it and must create them again (`create_sqlite_triggers`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:15:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MESSAGE = "audit_event is append-only"

POSTGRES_UP = (
    f"""
    CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % is not allowed', TG_OP USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_event
        FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
    """,
    """
    CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
        FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()
    """,
)
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_no_update_or_delete ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
)
SQLITE_UP = tuple(
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}: {verb} is not allowed');
    END
    """
    for verb in ("UPDATE", "DELETE")
)
SQLITE_DOWN = ("DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete")


def create_sqlite_triggers() -> None:
    for statement in SQLITE_UP:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)
    else:
        create_sqlite_triggers()


def downgrade() -> None:
    for statement in POSTGRES_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
