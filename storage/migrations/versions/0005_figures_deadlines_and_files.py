"""figures: first response and deadlines on concerns; files to send

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('concerns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('respond_by', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolve_by', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_concerns_respond_by'), ['respond_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_concerns_resolve_by'), ['resolve_by'], unique=False)
    # the first claim is the best record of a first answer kept so far; the deadlines are
    # filled at start-up from the configured SLA (storage cannot know it)
    op.execute("UPDATE concerns SET responded_at = COALESCE(first_response_at, claimed_at)")

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_surveys_resolved_by_id_people'), 'people', ['resolved_by_id'], ['id'])

    op.create_table(
        'files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_files')),
    )


def downgrade() -> None:
    op.drop_table('files')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_surveys_resolved_by_id_people'), type_='foreignkey')
        batch_op.drop_column('resolved_by_id')
    with op.batch_alter_table('concerns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concerns_resolve_by'))
        batch_op.drop_index(batch_op.f('ix_concerns_respond_by'))
        batch_op.drop_column('resolve_by')
        batch_op.drop_column('respond_by')
        batch_op.drop_column('responded_at')
