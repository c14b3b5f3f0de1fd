"""api token expiry

Issue 12: API tokens expire. `api_token.expires_at` is set when a token is made (APTRAIN_API_TOKEN_DAYS,
default 365 days, or a shorter time the admin chooses); after it the API refuses the token (401). Tokens
made before this migration get 365 days from the upgrade, so no departmental system stops at once.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:15:00
"""
from datetime import datetime, timedelta, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import app.models.types


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
    expires = datetime.now(timezone.utc) + timedelta(days=365)
    table = sa.table('api_token', sa.column('expires_at', app.models.types.UTCDateTime(timezone=True)))
    op.get_bind().execute(table.update().values(expires_at=expires))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=app.models.types.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
