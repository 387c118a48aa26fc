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
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("ats_system", sa.String(20), nullable=True))
        jobs.add_column(sa.Column("ats_job_id", sa.String(200), nullable=True))
        # One job per vendor job: a vendor event routes to exactly one job.
        jobs.create_index("uq_jobs_ats", ["ats_system", "ats_job_id"], unique=True)
    with op.batch_alter_table("stages") as stages:
        stages.add_column(sa.Column("ats_stage_id", sa.String(200), nullable=True))
        stages.create_index("uq_stages_ats_stage", ["job_id", "ats_stage_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("stages") as stages:
        stages.drop_index("uq_stages_ats_stage")
        stages.drop_column("ats_stage_id")
    with op.batch_alter_table("jobs") as jobs:
        jobs.drop_index("uq_jobs_ats")
        jobs.drop_column("ats_job_id")
        jobs.drop_column("ats_system")
