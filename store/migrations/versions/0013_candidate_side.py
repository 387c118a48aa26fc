"""The candidate's side: a reply by SMS or WhatsApp finds its candidates by their number as
E.164 (``candidates.phone_e164``, filled in for the candidates already stored); an enrolment's
page is found by the hash of its link's token
(``enrolments.link_hash``, unique), and the answers candidates give are kept per question
(``enrolment_answers``), written by the candidate's projection and erased with the candidate.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.candidates import phone_e164

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


BATCH = 1000


def upgrade() -> None:
    op.add_column("candidates", sa.Column("phone_e164", sa.String(32), nullable=True))
    connection = op.get_bind()
    numbers = [
        {"id": candidate_id, "phone_e164": e164}
        for candidate_id, phone in connection.execute(
            sa.text("SELECT id, phone FROM candidates WHERE phone IS NOT NULL")
        ).all()
        if (e164 := phone_e164(phone)) is not None
    ]
    statement = sa.text("UPDATE candidates SET phone_e164 = :phone_e164 WHERE id = :id")
    for start in range(0, len(numbers), BATCH):
        connection.execute(statement, numbers[start : start + BATCH])
    op.create_index("ix_candidates_phone_e164", "candidates", ["phone_e164"])
    op.add_column("enrolments", sa.Column("link_hash", sa.String(64), nullable=True))
    op.create_index("uq_enrolments_link_hash", "enrolments", ["link_hash"], unique=True)
    op.create_table(
        "enrolment_answers",
        sa.Column("enrolment_id", sa.String(40), nullable=False),
        sa.Column("module_id", sa.String(200), nullable=False),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("candidate_id", sa.String(200), nullable=False),
        sa.Column("campaign_id", sa.String(200), nullable=False),
        sa.Column("job_id", sa.String(200), nullable=False),
        sa.Column("prompt", sa.String(500), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "enrolment_id", "module_id", "question_id", name="pk_enrolment_answers"
        ),
    )
    op.create_index("ix_enrolment_answers_candidate", "enrolment_answers", ["candidate_id"])
    for scope in ("campaign", "job"):
        op.create_index(
            f"ix_enrolment_answers_{scope}",
            "enrolment_answers",
            [f"{scope}_id", "module_id", "question_id", "created_at"],
        )


def downgrade() -> None:
    op.drop_index("ix_candidates_phone_e164", table_name="candidates")
    op.drop_column("candidates", "phone_e164")
    op.drop_table("enrolment_answers")
    op.drop_index("uq_enrolments_link_hash", table_name="enrolments")
    op.drop_column("enrolments", "link_hash")
