"""send_pacing: rate-limit state shared by every delivery worker

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'send_pacing',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('state', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_send_pacing')),
    )


def downgrade() -> None:
    op.drop_table('send_pacing')
