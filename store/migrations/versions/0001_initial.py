"""The read model: configuration, candidates, applications, enrolments, timeline, outbox.

Revision ID: 0001
Revises:
Create Date: 2025-11-26
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_table(
        "stages",
        sa.Column("job_id", sa.String(200), nullable=False),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("campaign_id", sa.String(200), nullable=True),
        sa.Column("auto_match", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "id", name="pk_stages"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_stages_job_id_jobs", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "candidates",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_candidates"),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("job_id", sa.String(200), nullable=False),
        sa.Column("stage_id", sa.String(200), nullable=False),
        sa.Column("candidate_id", sa.String(200), nullable=False),
        sa.Column("current_enrolment_id", sa.String(40), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        _timestamp("event_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_applications"),
    )
    op.create_index("ix_applications_job_stage", "applications", ["job_id", "stage_id", "id"])
    op.create_index("ix_applications_job_id", "applications", ["job_id", "id"])
    op.create_table(
        "enrolments",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("ats_event_id", sa.String(200), nullable=False),
        sa.Column("application_id", sa.String(200), nullable=False),
        sa.Column("candidate_id", sa.String(200), nullable=False),
        sa.Column("job_id", sa.String(200), nullable=False),
        sa.Column("stage_id", sa.String(200), nullable=False),
        sa.Column("campaign_id", sa.String(200), nullable=False),
        sa.Column("campaign", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.String(64), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.Column("status_times", sa.JSON(), nullable=False),
        _timestamp("delivered_at", nullable=True),
        _timestamp("expires_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_enrolments"),
    )
    op.create_index(
        "ix_enrolments_job_stage_status", "enrolments", ["job_id", "stage_id", "status"]
    )
    op.create_index("ix_enrolments_application", "enrolments", ["application_id"])
    op.create_index("ix_enrolments_candidate", "enrolments", ["candidate_id"])
    op.create_table(
        "enrolment_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enrolment_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _timestamp("at"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_enrolment_events"),
        sa.UniqueConstraint("enrolment_id", "seq", name="uq_enrolment_events_seq"),
    )
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(80), nullable=False),
        sa.Column("enrolment_id", sa.String(40), nullable=False),
        sa.Column("message_number", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("provider_message_id", sa.String(100), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_messages_idempotency_key"),
        sa.UniqueConstraint(
            "provider_message_id", name="uq_outbox_messages_provider_message_id"
        ),
    )
    op.create_index("ix_outbox_enrolment", "outbox_messages", ["enrolment_id", "message_number"])
    op.create_table(
        "opt_outs",
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("address", name="pk_opt_outs"),
    )


def downgrade() -> None:
    op.drop_table("opt_outs")
    op.drop_index("ix_outbox_enrolment", table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_table("enrolment_events")
    op.drop_index("ix_enrolments_candidate", table_name="enrolments")
    op.drop_index("ix_enrolments_application", table_name="enrolments")
    op.drop_index("ix_enrolments_job_stage_status", table_name="enrolments")
    op.drop_table("enrolments")
    op.drop_index("ix_applications_job_id", table_name="applications")
    op.drop_index("ix_applications_job_stage", table_name="applications")
    op.drop_table("applications")
    op.drop_table("candidates")
    op.drop_table("stages")
    op.drop_table("jobs")
    op.drop_table("campaigns")
