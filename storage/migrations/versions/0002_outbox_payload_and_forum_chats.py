"""outbox payload and forum chats

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing rows get a value through a temporary server default, dropped again so the
    # schema matches the models (which set these values in Python)
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forum', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.alter_column('forum', server_default=None)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('payload', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('payload')

    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('forum')

