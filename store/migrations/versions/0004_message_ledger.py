"""The outbox becomes the message ledger of every provider: attempts, provider ids, delivery
statuses and error codes; status reports that overtook their message; provider health for
``/healthz``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(80), nullable=False),
        sa.Column("enrolment_id", sa.String(40), nullable=False),
        sa.Column("candidate_id", sa.String(200), nullable=False),
        sa.Column("message_number", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("provider_message_id", sa.String(100), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(20), nullable=True),
        sa.Column("failure_reason", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint("idempotency_key", name="uq_messages_idempotency_key"),
        sa.UniqueConstraint("provider_message_id", name="uq_messages_provider_message_id"),
    )
    # Every message the outbox stored went out through it: accepted, under its old id.
    op.execute(
        "INSERT INTO messages (idempotency_key, enrolment_id, candidate_id, message_number,"
        " channel, provider, recipient, body, provider_message_id, status, status_rank,"
        " error_code, failure_reason, attempts, attempted_at, created_at, updated_at)"
        " SELECT o.idempotency_key, o.enrolment_id, COALESCE(e.candidate_id, ''),"
        " o.message_number, o.channel, 'outbox', o.recipient, o.body, o.provider_message_id,"
        " 'accepted', 1, NULL, NULL, 1, o.created_at, o.created_at, o.created_at"
        " FROM outbox_messages o LEFT JOIN enrolments e ON e.id = o.enrolment_id"
    )
    op.create_index("ix_messages_enrolment", "messages", ["enrolment_id", "message_number"])
    op.create_index("ix_messages_recipient", "messages", ["recipient"])
    op.drop_index("ix_outbox_enrolment", table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.create_table(
        "early_reports",
        sa.Column("provider_message_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(20), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_message_id", name="pk_early_reports"),
    )
    op.create_table(
        "provider_health",
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", name="pk_provider_health"),
    )


def downgrade() -> None:
    op.drop_table("provider_health")
    op.drop_table("early_reports")
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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_messages_idempotency_key"),
        sa.UniqueConstraint(
            "provider_message_id", name="uq_outbox_messages_provider_message_id"
        ),
    )
    op.execute(
        "INSERT INTO outbox_messages (idempotency_key, enrolment_id, message_number, channel,"
        " recipient, body, provider_message_id, created_at) SELECT idempotency_key,"
        " enrolment_id, message_number, channel, recipient, body, provider_message_id,"
        " created_at FROM messages"
    )
    op.create_index("ix_outbox_enrolment", "outbox_messages", ["enrolment_id", "message_number"])
    op.drop_index("ix_messages_recipient", table_name="messages")
    op.drop_index("ix_messages_enrolment", table_name="messages")
    op.drop_table("messages")
