"""Calendar feeds and candidates' changes: an interviewer's calendar keeps the busy times their
feed gave within their windows (``interviewer_calendars.busy``), whether it could be read
(``feed_status``: ``none``, ``ok``, ``unreachable``), why not, and when it was read; an
interview counts the times its candidate moved it (``interviews.changes``).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interviewer_calendars") as table:
        table.add_column(sa.Column("busy", sa.JSON(), nullable=False, server_default="[]"))
        table.add_column(
            sa.Column("feed_status", sa.String(20), nullable=False, server_default="none")
        )
        table.add_column(sa.Column("feed_error", sa.String(300), nullable=True))
        table.add_column(sa.Column("feed_checked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("interviews") as table:
        table.add_column(sa.Column("changes", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("interviews") as table:
        table.drop_column("changes")
    with op.batch_alter_table("interviewer_calendars") as table:
        for column in ("feed_checked_at", "feed_error", "feed_status", "busy"):
            table.drop_column(column)
