"""Applications carry their current enrolment's status, with an index per view query.

The Table's status filter and the board's counts then read ``applications`` alone (an index
range or an index-only ``GROUP BY``) instead of joining every enrolment of the job.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("status", sa.String(20), nullable=True))
    # Backfill before indexing: one pass over the table, then each index is built once.
    op.execute(
        "UPDATE applications SET status = ("
        " SELECT enrolments.status FROM enrolments"
        " WHERE enrolments.id = applications.current_enrolment_id"
        ") WHERE current_enrolment_id IS NOT NULL"
    )
    op.create_index("ix_applications_job_status", "applications", ["job_id", "status", "id"])
    op.create_index(
        "ix_applications_job_stage_status",
        "applications",
        ["job_id", "stage_id", "status", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_applications_job_stage_status", table_name="applications")
    op.drop_index("ix_applications_job_status", table_name="applications")
    op.drop_column("applications", "status")
