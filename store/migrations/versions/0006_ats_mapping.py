"""Jobs and stages map a vendor ATS's job and stages (the vendor bridges' routing).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX (no table rebuild on SQLite, which would cascade).
    op.add_column("jobs", sa.Column("ats_system", sa.String(20), nullable=True))
    op.add_column("jobs", sa.Column("ats_job_id", sa.String(200), nullable=True))
    # One job per vendor job: a vendor event routes to exactly one job.
    op.create_index("uq_jobs_ats", "jobs", ["ats_system", "ats_job_id"], unique=True)
    op.add_column("stages", sa.Column("ats_stage_id", sa.String(200), nullable=True))
    op.create_index("uq_stages_ats_stage", "stages", ["job_id", "ats_stage_id"], unique=True)


def downgrade() -> None:
    # Plain DROP INDEX and DROP COLUMN (SQLite 3.35+): rebuilding ``jobs`` in a batch would
    # delete every stage through the foreign key's cascade.
    op.drop_index("uq_stages_ats_stage", table_name="stages")
    op.drop_column("stages", "ats_stage_id")
    op.drop_index("uq_jobs_ats", table_name="jobs")
    op.drop_column("jobs", "ats_job_id")
    op.drop_column("jobs", "ats_system")
