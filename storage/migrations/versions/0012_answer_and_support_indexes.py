"""survey_responses (at, rating) in place of (at); supports (at)

The satisfaction rate of a year and the digest's answers read the index alone (with (at) only,
SQLite fetched every answer's row for its rating: 1–1.6 s at a million concerns); the supports
of a period are counted from an index instead of the table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_survey_responses_at_rating', 'survey_responses', ['at', 'rating'])
    op.drop_index('ix_survey_responses_at', table_name='survey_responses')
    op.create_index('ix_supports_at', 'supports', ['at'])


def downgrade() -> None:
    op.drop_index('ix_supports_at', table_name='supports')
    op.create_index('ix_survey_responses_at', 'survey_responses', ['at'])
    op.drop_index('ix_survey_responses_at_rating', table_name='survey_responses')
