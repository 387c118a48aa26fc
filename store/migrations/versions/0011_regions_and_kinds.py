"""A job may say where its candidates' national phone numbers are read (ISO 3166), instead of
the deployment's ``ENROLMENTS_DEFAULT_REGION``; an enrolment says whether its campaign is
multi-module (the completion rate counts those only: a blast can never complete).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    op.add_column("jobs", sa.Column("default_region", sa.String(2), nullable=True))
    op.add_column(
        "enrolments",
        sa.Column("multi_module", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    connection = op.get_bind()
    multi = [
        {"id": enrolment_id}
        for enrolment_id, campaign in connection.execute(
            sa.text("SELECT id, campaign FROM enrolments")
        ).all()
        if (json.loads(campaign) if isinstance(campaign, str) else campaign or {}).get("kind")
        == "multi_module"
    ]
    statement = sa.text("UPDATE enrolments SET multi_module = true WHERE id = :id")
    for start in range(0, len(multi), BATCH):
        connection.execute(statement, multi[start : start + BATCH])
    for scope in ("campaign", "job"):
        op.create_index(
            f"ix_enrolments_{scope}_kind",
            "enrolments",
            [f"{scope}_id", "multi_module", "created_at"],
        )


def downgrade() -> None:
    for scope in ("campaign", "job"):
        op.drop_index(f"ix_enrolments_{scope}_kind", table_name="enrolments")
    op.drop_column("enrolments", "multi_module")
    op.drop_column("jobs", "default_region")
