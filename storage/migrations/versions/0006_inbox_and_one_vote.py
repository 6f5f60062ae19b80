"""inbox of incoming updates; one vote row per member on a single-choice poll

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inbound_updates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=32), nullable=False),
        sa.Column('external_id', sa.String(length=128), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_updates')),
        sa.UniqueConstraint('platform', 'external_id', name=op.f('uq_inbound_updates_platform')),
    )
    op.create_index('ix_inbound_updates_pending', 'inbound_updates', ['platform', 'handled_at'], unique=False)

    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slot', sa.Integer(), nullable=True))
    # a multiple-choice poll keeps one row per chosen option; a single-choice one keeps the
    # member's newest row (concurrent votes could leave more than one before this)
    op.execute("UPDATE votes SET slot = (SELECT o.position FROM deliberation_options o WHERE o.id = votes.option_id) "
               "WHERE deliberation_id IN (SELECT id FROM deliberations WHERE multiple)")
    op.execute("UPDATE votes SET slot = 0 WHERE slot IS NULL")
    op.execute("DELETE FROM votes WHERE slot = 0 AND id NOT IN "
               "(SELECT keep FROM (SELECT MAX(id) AS keep FROM votes WHERE slot = 0 "
               "GROUP BY deliberation_id, person_id) AS newest)")
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.alter_column('slot', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('uq_votes_one_choice', ['deliberation_id', 'person_id', 'slot'])


def downgrade() -> None:
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_constraint('uq_votes_one_choice', type_='unique')
        batch_op.drop_column('slot')
    op.drop_index('ix_inbound_updates_pending', table_name='inbound_updates')
    op.drop_table('inbound_updates')
