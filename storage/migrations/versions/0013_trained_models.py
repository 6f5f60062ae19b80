"""trained_models: the community's intake models, retrained from its members' corrections

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'trained_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('corrections', sa.Integer(), nullable=False),
        sa.Column('examples', sa.Integer(), nullable=False),
        sa.Column('artefact', sa.LargeBinary(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['requested_by_id'], ['people.id'], name=op.f('fk_trained_models_requested_by_id_people')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_trained_models')),
    )


def downgrade() -> None:
    op.drop_table('trained_models')
