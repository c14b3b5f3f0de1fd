"""certificates

Issue 13: every completion carries its certificate's verification code (`completion.verification_code`,
20 characters of Crockford's base32, 100 random bits, unique). Completions made before this migration are
given one here. The column is nullable in the schema only because SQLite cannot add a NOT NULL column
without rebuilding the table (which `assignment`'s foreign key to `completion` makes awkward); the model's
column default gives every new row a code, ORM and bulk inserts alike.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:20:00
"""
import secrets
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# As app.models.learning (copied: a migration must not change when the application's code does).
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LENGTH = 20


def _code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))


def upgrade() -> None:
    op.add_column('completion', sa.Column('verification_code', sa.String(length=_LENGTH), nullable=True))
    completion = sa.table('completion', sa.column('id', sa.Integer()), sa.column('verification_code', sa.String()))
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.select(completion.c.id).where(completion.c.verification_code.is_(None)))]
    for start in range(0, len(ids), 1000):
        conn.execute(
            completion.update().where(completion.c.id == sa.bindparam('b_id')).values(verification_code=sa.bindparam('b_code')),
            [{'b_id': i, 'b_code': _code()} for i in ids[start:start + 1000]],
        )
    op.create_index('ix_completion_verification_code', 'completion', ['verification_code'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_completion_verification_code', table_name='completion')
    op.drop_column('completion', 'verification_code')  # SQLite 3.35+ drops a column in place
