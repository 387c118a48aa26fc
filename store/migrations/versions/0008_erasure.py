"""Erasure: when a candidate's data was erased; opt-outs kept as hashes of the address only.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sha256(address: str) -> str:
    # ``store.opt_outs.address_hash``, frozen here as this revision applies it.
    return hashlib.sha256(address.encode()).hexdigest()


def upgrade() -> None:
    op.add_column("candidates", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT address, opted_out, updated_at FROM opt_outs")
    ).all()
    op.drop_table("opt_outs")
    op.create_table(
        "opt_outs",
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address_hash", name="pk_opt_outs"),
    )
    for address, opted_out, updated_at in rows:
        connection.execute(
            sa.text(
                "INSERT INTO opt_outs (address_hash, opted_out, updated_at)"
                " VALUES (:address_hash, :opted_out, :updated_at)"
            ),
            {"address_hash": _sha256(address), "opted_out": opted_out, "updated_at": updated_at},
        )


def downgrade() -> None:
    # The addresses cannot come back from their hashes: opt-outs are lost on the way down.
    op.drop_table("opt_outs")
    op.create_table(
        "opt_outs",
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name="pk_opt_outs"),
    )
    op.drop_column("candidates", "erased_at")
