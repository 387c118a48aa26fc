"""Analytics and recruiters' actions: the funnel's moments as plain columns, indexes that cover
a campaign's or a job's funnel, each module's progress in a table of its own, and the
enrolment a re-enrolment replaces.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    op.add_column("enrolments", sa.Column("reenrolment_of", sa.String(40), nullable=True))
    op.add_column("enrolments", sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "enrolments", sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("enrolments", sa.Column("seconds_to_deliver", sa.Float(), nullable=True))
    op.add_column("enrolments", sa.Column("seconds_to_complete", sa.Float(), nullable=True))
    _backfill()
    for scope in ("campaign", "job"):
        column = f"{scope}_id"
        op.create_index(
            f"ix_enrolments_{scope}_funnel",
            "enrolments",
            [column, "status", "created_at", "status_reason", "delivered_at", "started_at"],
        )
        op.create_index(
            f"ix_enrolments_{scope}_deliver",
            "enrolments",
            [column, "seconds_to_deliver", "created_at"],
        )
        op.create_index(
            f"ix_enrolments_{scope}_complete",
            "enrolments",
            [column, "seconds_to_complete", "created_at"],
        )
    op.create_table(
        "enrolment_modules",
        sa.Column("enrolment_id", sa.String(40), nullable=False),
        sa.Column("module_id", sa.String(200), nullable=False),
        sa.Column("campaign_id", sa.String(200), nullable=False),
        sa.Column("job_id", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("enrolment_id", "module_id", name="pk_enrolment_modules"),
    )
    op.create_index(
        "ix_enrolment_modules_campaign",
        "enrolment_modules",
        ["campaign_id", "module_id", "completed", "created_at"],
    )
    op.create_index(
        "ix_enrolment_modules_job",
        "enrolment_modules",
        ["job_id", "module_id", "completed", "created_at"],
    )
    # Module progress was never projected before: enrolments earlier than this revision count
    # as having started no module (their funnel stages above are all there).


def _backfill() -> None:
    """The new columns of the enrolments already projected, from their ``status_times``."""
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    rows = connection.execute(
        sa.text("SELECT id, created_at, delivered_at, status_times FROM enrolments")
    ).all()
    updates = []
    for enrolment_id, created_at, delivered_at, status_times in rows:
        times = json.loads(status_times) if isinstance(status_times, str) else status_times
        times = times or {}
        created = _instant(created_at)
        delivered = _instant(delivered_at)
        started = _instant(times.get("in_progress"))
        completed = _instant(times.get("completed"))
        updates.append(
            {
                "id": enrolment_id,
                "started_at": _stored(started, sqlite),
                "completed_at": _stored(completed, sqlite),
                "to_deliver": (delivered - created).total_seconds()
                if delivered and created
                else None,
                "to_complete": (completed - created).total_seconds()
                if completed and created
                else None,
            }
        )
    statement = sa.text(
        "UPDATE enrolments SET started_at = :started_at, completed_at = :completed_at,"
        " seconds_to_deliver = :to_deliver, seconds_to_complete = :to_complete WHERE id = :id"
    )
    for start in range(0, len(updates), BATCH):
        connection.execute(statement, updates[start : start + BATCH])


def _instant(value: Any) -> datetime | None:
    """A stored or JSON time as an aware UTC datetime (SQLite hands back text)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stored(moment: datetime | None, sqlite: bool) -> Any:
    """How ``store.schema.UtcDateTime`` stores ``moment`` (SQLite: naive UTC text)."""
    if moment is None or not sqlite:
        return moment
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def downgrade() -> None:
    op.drop_index("ix_enrolment_modules_job", table_name="enrolment_modules")
    op.drop_index("ix_enrolment_modules_campaign", table_name="enrolment_modules")
    op.drop_table("enrolment_modules")
    for scope in ("campaign", "job"):
        for suffix in ("funnel", "deliver", "complete"):
            op.drop_index(f"ix_enrolments_{scope}_{suffix}", table_name="enrolments")
    for column in (
        "seconds_to_complete",
        "seconds_to_deliver",
        "completed_at",
        "started_at",
        "reenrolment_of",
    ):
        op.drop_column("enrolments", column)
