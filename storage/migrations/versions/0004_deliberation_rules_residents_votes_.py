"""deliberation rules, residents votes, public notice

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliberations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quorum_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('threshold', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('hide_results', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='committee'))
        batch_op.add_column(sa.Column('grid_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_deliberations_grid_id_grids'), 'grids', ['grid_id'], ['id'])

    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('residents_result', sa.Text(), nullable=False, server_default=''))



    # the temporary defaults filled existing rows; the models set these values themselves
    with op.batch_alter_table('deliberations', schema=None) as batch_op:
        batch_op.alter_column('hide_results', server_default=None)
        batch_op.alter_column('kind', server_default=None)
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.alter_column('residents_result', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_column('residents_result')
        batch_op.drop_column('notice_until')

    with op.batch_alter_table('deliberations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deliberations_grid_id_grids'), type_='foreignkey')
        batch_op.drop_column('grid_id')
        batch_op.drop_column('kind')
        batch_op.drop_column('hide_results')
        batch_op.drop_column('threshold')
        batch_op.drop_column('quorum_count')

