"""compliance counts

Reserved for issue 14 (counts maintained as assignments change); filled in by that work.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
