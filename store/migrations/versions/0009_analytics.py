"""Analytics and recruiters' actions: each enrolment's module progress, indexes for a campaign's
or a job's range, and the enrolment a re-enrolment replaces.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Enrolments projected before have no module progress here until their next change: the
    # analytics count their modules as not started (their funnel stages are all there).
    op.add_column("enrolments", sa.Column("modules", sa.JSON(), nullable=True))
    op.add_column("enrolments", sa.Column("reenrolment_of", sa.String(40), nullable=True))
    op.create_index(
        "ix_enrolments_campaign_created", "enrolments", ["campaign_id", "created_at"]
    )
    op.create_index("ix_enrolments_job_created", "enrolments", ["job_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_enrolments_job_created", table_name="enrolments")
    op.drop_index("ix_enrolments_campaign_created", table_name="enrolments")
    op.drop_column("enrolments", "reenrolment_of")
    op.drop_column("enrolments", "modules")
