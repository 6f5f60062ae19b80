"""indexes for the digest: open concerns past a deadline, and a day's survey answers

concerns (state, resolve_by, respond_by, responded_at) replaces (state): how many open
concerns are past their response or resolution deadline is read from the index alone;
survey_responses (at): the answers since yesterday, or of a month, without reading them all.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_concerns_state_deadlines', 'concerns', ['state', 'resolve_by', 'respond_by', 'responded_at'])
    op.drop_index('ix_concerns_state', table_name='concerns')
    op.create_index('ix_survey_responses_at', 'survey_responses', ['at'])


def downgrade() -> None:
    op.drop_index('ix_survey_responses_at', table_name='survey_responses')
    op.create_index('ix_concerns_state', 'concerns', ['state'])
    op.drop_index('ix_concerns_state_deadlines', table_name='concerns')
