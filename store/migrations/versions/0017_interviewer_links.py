"""Interviewers' own availability pages: each interviewer's link is found by the SHA-256 of its
token (``interviewers.link_hash``, unique), set when the interviewer is saved.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("interviewers", sa.Column("link_hash", sa.String(64), nullable=True))
    op.create_index("uq_interviewers_link_hash", "interviewers", ["link_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_interviewers_link_hash", table_name="interviewers")
    op.drop_column("interviewers", "link_hash")
