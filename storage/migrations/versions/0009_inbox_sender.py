"""inbound_updates.sender: one person's stored updates are handled in the order they came

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender', sa.String(length=128), nullable=True))
    op.create_index('ix_inbound_updates_sender', 'inbound_updates', ['platform', 'sender', 'handled_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbound_updates_sender', table_name='inbound_updates')
    with op.batch_alter_table('inbound_updates', schema=None) as batch_op:
        batch_op.drop_column('sender')
