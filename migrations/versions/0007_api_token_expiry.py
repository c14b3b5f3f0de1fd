"""api token expiry

Reserved for issue 12 (API tokens expire); filled in by that work.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:15:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
