"""indexes for the figures, the digest and the ledger at a million concerns

concerns (created_at, state, responded_at, respond_by): counts and the response rate of a
period, a day's new reports, a month's ledger, read from the index alone;
concerns (resolve_by, state) replaces (resolve_by): the resolution rate from the index alone;
concerns (reopened_at): the digest's reopened list; audit_log (action, concern_id, at): how
many concerns were resolved, reopened, rejected, withdrawn, in one ordered pass; outcomes
(concern_id, at) replaces (concern_id): how many were decided, likewise.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_concerns_created_at', 'concerns', ['created_at', 'state', 'responded_at', 'respond_by'])
    op.create_index('ix_concerns_resolve_by_state', 'concerns', ['resolve_by', 'state'])
    op.drop_index('ix_concerns_resolve_by', table_name='concerns')
    op.create_index('ix_concerns_reopened_at', 'concerns', ['reopened_at'])
    op.create_index('ix_audit_log_action_concern', 'audit_log', ['action', 'concern_id', 'at'])
    op.create_index('ix_outcomes_concern_id_at', 'outcomes', ['concern_id', 'at'])
    op.drop_index('ix_outcomes_concern_id', table_name='outcomes')


def downgrade() -> None:
    op.create_index('ix_outcomes_concern_id', 'outcomes', ['concern_id'])
    op.drop_index('ix_outcomes_concern_id_at', table_name='outcomes')
    op.drop_index('ix_audit_log_action_concern', table_name='audit_log')
    op.drop_index('ix_concerns_reopened_at', table_name='concerns')
    op.create_index('ix_concerns_resolve_by', 'concerns', ['resolve_by'])
    op.drop_index('ix_concerns_resolve_by_state', table_name='concerns')
    op.drop_index('ix_concerns_created_at', table_name='concerns')
