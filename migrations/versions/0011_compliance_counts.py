"""compliance counts

Issue 14: compliance counts maintained as assignments change. `compliance_count` holds how many assignments
are in each (department, unit, unit path, requirement, country of posting and post, status,
expiring soon) bucket today;
`assignment.counted_in` names the bucket each assignment is counted in; `compliance_count_state` the day the
table is current for. Indexes on the assignment dates let the daily rollover find only the rows whose dates
it crosses; one on officials by department and name lets a drill-down read one page of a department in name
order, and one by unit lets a team view find its members by their units. The table is built by `aptrain rollover --rebuild` (run it after upgrading a large database), or by the first
request that finds it unbuilt.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import app.models.types


revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_DATES = ("assigned_on", "ended_on", "due_on", "extended_to", "completed_on", "expires_on", "exempt_until")


def upgrade() -> None:
    op.create_table(
        'compliance_count',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('unit_path', sa.String(length=400), nullable=False),
        sa.Column('requirement_id', sa.Integer(), nullable=False),
        sa.Column('country_code', sa.String(length=2), nullable=False),
        sa.Column('post', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('expiring_soon', sa.Boolean(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('department_id', 'unit_id', 'unit_path', 'requirement_id', 'country_code', 'post', 'status',
                            'expiring_soon', name='uq_compliance_count_key'),
    )
    op.create_index('ix_compliance_count_unit_path', 'compliance_count', ['unit_path'])
    op.create_table(
        'compliance_count_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('current_on', sa.Date(), nullable=True),
        sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.add_column('assignment', sa.Column('counted_in', sa.Integer(), nullable=True))
    for column in _DATES:
        op.create_index(f'ix_assignment_{column}', 'assignment', [column])
    op.create_index('ix_official_department_name', 'official', ['department_id', 'family_name', 'given_name', 'id'])
    op.create_index('ix_official_unit_id', 'official', ['unit_id'])


def downgrade() -> None:
    op.drop_index('ix_official_unit_id', table_name='official')
    op.drop_index('ix_official_department_name', table_name='official')
    for column in _DATES:
        op.drop_index(f'ix_assignment_{column}', table_name='assignment')
    op.drop_column('assignment', 'counted_in')
    op.drop_table('compliance_count_state')
    op.drop_index('ix_compliance_count_unit_path', table_name='compliance_count')
    op.drop_table('compliance_count')
