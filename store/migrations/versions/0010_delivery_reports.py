"""Providers' delivery reports get a table of their own: ``messages`` has one writer (the
delivery activity), ``delivery_reports`` another (the status callback). Reports that arrived
before their message's id was recorded (``early_reports``) move into it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_reports",
        sa.Column("provider_message_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(20), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_message_id", name="pk_delivery_reports"),
    )
    op.execute(
        "INSERT INTO delivery_reports"
        " (provider_message_id, status, status_rank, error_code, received_at, updated_at)"
        " SELECT provider_message_id, status, status_rank, error_code, received_at, received_at"
        " FROM early_reports"
    )
    op.drop_table("early_reports")


def downgrade() -> None:
    op.create_table(
        "early_reports",
        sa.Column("provider_message_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(20), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_message_id", name="pk_early_reports"),
    )
    # Reports of messages already recorded were folded into them before 0010; after it they
    # live apart, and only the ones whose message is still unknown go back.
    op.execute(
        "INSERT INTO early_reports"
        " (provider_message_id, status, status_rank, error_code, received_at)"
        " SELECT r.provider_message_id, r.status, r.status_rank, r.error_code, r.received_at"
        " FROM delivery_reports r LEFT JOIN messages m"
        " ON m.provider_message_id = r.provider_message_id WHERE m.id IS NULL"
    )
    op.drop_table("delivery_reports")
