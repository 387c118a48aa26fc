"""Write-back to the ATS: a stage's ``on_knockout`` (``stages.on_knockout``) and the ledger of
each enrolment's write-back and its interview's changes (``writebacks``).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("stages", sa.Column("on_knockout", sa.JSON(), nullable=True))
    op.create_table(
        "writebacks",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("enrolment_id", sa.String(40), nullable=False),
        sa.Column("system", sa.String(20), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("note", sa.String(10), nullable=False),
        sa.Column("note_id", sa.String(200), nullable=True),
        sa.Column("reject", sa.String(10), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_writebacks"),
    )
    op.create_index("ix_writebacks_state", "writebacks", ["state"])
    op.create_index("ix_writebacks_enrolment", "writebacks", ["enrolment_id"])


def downgrade() -> None:
    op.drop_index("ix_writebacks_enrolment", table_name="writebacks")
    op.drop_index("ix_writebacks_state", table_name="writebacks")
    op.drop_table("writebacks")
    with op.batch_alter_table("stages") as table:
        table.drop_column("on_knockout")
