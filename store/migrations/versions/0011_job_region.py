"""A job may say where its candidates' national phone numbers are read (ISO 3166), instead of
the deployment's ``ENROLMENTS_DEFAULT_REGION``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("default_region", sa.String(2), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "default_region")
