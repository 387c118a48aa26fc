"""Interviews: interviewers (``interviewers``), each interviewer's future availability as their
workflow holds it (``interviewer_calendars``), the interviews it booked (``interviews``), and a
scheduling stage's whole ``interview_settings`` (``stages.interview_settings``; stages saved
before keep only ``auto_match``, which the settings' defaults complete).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("stages", sa.Column("interview_settings", sa.JSON(), nullable=True))
    op.create_table(
        "interviewers",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("calendar_ics_url", sa.String(2000), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_interviewers"),
    )
    op.create_table(
        "interviewer_calendars",
        sa.Column("interviewer_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("interviewer_id", name="pk_interviewer_calendars"),
    )
    op.create_table(
        "interviews",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("interviewer_id", sa.String(200), nullable=False),
        sa.Column("enrolment_id", sa.String(40), nullable=False),
        sa.Column("candidate_id", sa.String(200), nullable=False),
        sa.Column("job_id", sa.String(200), nullable=False),
        sa.Column("stage_id", sa.String(200), nullable=False),
        sa.Column("module_id", sa.String(200), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("location", sa.String(500), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_interviews"),
    )
    op.create_index("ix_interviews_interviewer_start", "interviews", ["interviewer_id", "start"])
    op.create_index("ix_interviews_job_start", "interviews", ["job_id", "start"])
    op.create_index("ix_interviews_enrolment", "interviews", ["enrolment_id"])


def downgrade() -> None:
    op.drop_table("interviews")
    op.drop_table("interviewer_calendars")
    op.drop_table("interviewers")
    op.drop_column("stages", "interview_settings")
