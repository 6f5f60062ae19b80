"""concern keys and category corrections

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('category_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('concern_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.String(length=32), nullable=False),
    sa.Column('after', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['people.id'], name=op.f('fk_category_corrections_by_id_people')),
    sa.ForeignKeyConstraint(['concern_id'], ['concerns.id'], name=op.f('fk_category_corrections_concern_id_concerns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_corrections'))
    )
    with op.batch_alter_table('category_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_corrections_concern_id'), ['concern_id'], unique=False)

    op.create_table('concern_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('concern_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['concern_id'], ['concerns.id'], name=op.f('fk_concern_keys_concern_id_concerns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_concern_keys_grid_id_grids')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_keys')),
    sa.UniqueConstraint('concern_id', 'key', name=op.f('uq_concern_keys_concern_id'))
    )
    with op.batch_alter_table('concern_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_keys_concern_id'), ['concern_id'], unique=False)
        batch_op.create_index('ix_concern_keys_grid_key', ['grid_id', 'key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('concern_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_concern_keys_grid_key')
        batch_op.drop_index(batch_op.f('ix_concern_keys_concern_id'))

    op.drop_table('concern_keys')
    with op.batch_alter_table('category_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_corrections_concern_id'))

    op.drop_table('category_corrections')
