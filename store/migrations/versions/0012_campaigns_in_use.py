"""A campaign a stage links cannot be deleted: ``stages.campaign_id`` references
``campaigns.id`` (the database refuses the delete, whatever a concurrent job save does); the
audit log is read by candidate (who cancelled an enrolment, who erased them).

A stage that links a campaign no longer stored (possible only through a race before this
revision) is unlinked, as enrolling into it already failed; each one is printed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

log = logging.getLogger("alembic.runtime.migration")

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    dangling = connection.execute(
        sa.text(
            "SELECT job_id, id, campaign_id FROM stages WHERE campaign_id IS NOT NULL "
            "AND campaign_id NOT IN (SELECT id FROM campaigns)"
        )
    ).all()
    for job_id, stage_id, campaign_id in dangling:
        log.warning("stage %s/%s linked missing campaign %r: unlinked", job_id, stage_id, campaign_id)
    connection.execute(
        sa.text(
            "UPDATE stages SET campaign_id = NULL WHERE campaign_id IS NOT NULL "
            "AND campaign_id NOT IN (SELECT id FROM campaigns)"
        )
    )
    # SQLite rebuilds the table (nothing references ``stages``); PostgreSQL alters it.
    with op.batch_alter_table("stages") as batch:
        batch.create_foreign_key(
            "fk_stages_campaign", "campaigns", ["campaign_id"], ["id"], ondelete="RESTRICT"
        )
    op.create_index("ix_stages_campaign", "stages", ["campaign_id"])
    op.create_index("ix_audit_log_target", "audit_log", ["target", "action"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_stages_campaign", table_name="stages")
    with op.batch_alter_table("stages") as batch:
        batch.drop_constraint("fk_stages_campaign", type_="foreignkey")
