"""single sign-on identities and sign-in throttling

Issue 12: `official_identity` links an official to a single sign-on provider's stable subject id
(unique per provider); `user_session` remembers which provider signed a session in and its ID token
(the hint for the provider's sign-out); `sign_in_throttle` counts failed sign-ins per account and per
client address, shared by every server process.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:15:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import app.models.types


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('official_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('email_at_link', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('linked_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_sign_in_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['official_id'], ['official.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider', 'subject', name='uq_official_identity_provider_subject')
    )
    with op.batch_alter_table('official_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_official_identity_official_id'), ['official_id'], unique=False)

    op.create_table('sign_in_throttle',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )

    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sso_provider', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('id_token', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_column('id_token')
        batch_op.drop_column('sso_provider')

    op.drop_table('sign_in_throttle')
    with op.batch_alter_table('official_identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_official_identity_official_id'))

    op.drop_table('official_identity')
