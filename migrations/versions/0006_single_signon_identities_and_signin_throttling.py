"""single sign-on identities and sign-in throttling

Reserved for issue 12 (single sign-on, throttling); filled in by that work.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:15:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
