"""Enrolments show their next scheduled send (a message quiet hours hold, a nudge).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "enrolments", sa.Column("next_send_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("enrolments", sa.Column("next_send", sa.String(80), nullable=True))


def downgrade() -> None:
    op.drop_column("enrolments", "next_send")
    op.drop_column("enrolments", "next_send_at")
