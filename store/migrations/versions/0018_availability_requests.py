"""Availability requests: an interviewer's calendar says when they were asked for availability,
while candidates wait on them (``interviewer_calendars.asked_at``).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "interviewer_calendars", sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("interviewer_calendars") as table:
        table.drop_column("asked_at")
