"""Applications are written by their candidate's workflow (guarded by ``seq``); the API keeps a
ledger of the outside event ids it accepted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows written before have seq 0: the workflow's next projection of each replaces them.
    op.add_column(
        "applications", sa.Column("seq", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_table(
        "inbound_events",
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "id", name="pk_inbound_events"),
    )


def downgrade() -> None:
    op.drop_table("inbound_events")
    op.drop_column("applications", "seq")
