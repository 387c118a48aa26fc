"""Candidates' contact details in the read model.

The candidate's workflow saves them with every projection. Contact details have no seq of
their own: the time of the change they came with orders them, so a late write does not restore
an old phone number, nor the details of a candidate erased since.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Executable, Table, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from domain.addresses import AddressProblem, normalise_phone
from domain.candidates import CandidateContact
from store.database import dialect_insert, per_dialect
from store.schema import CandidateRow

_CANDIDATES = cast(Table, CandidateRow.__table__)


def _build_upsert(dialect: Dialect) -> Executable:
    insert = dialect_insert(dialect, _CANDIDATES)
    return insert.on_conflict_do_update(
        index_elements=[_CANDIDATES.c.id],
        set_={
            name: insert.excluded[name]
            for name in (
                "name",
                "phone",
                "phone_e164",
                "email",
                "timezone",
                "updated_at",
                "erased_at",
            )
        },
        where=_CANDIDATES.c.updated_at <= insert.excluded.updated_at,
    )


_upsert = per_dialect(_build_upsert)


async def save_candidate(
    session: AsyncSession,
    candidate: CandidateContact,
    at: datetime,
    erased_at: datetime | None = None,
) -> None:
    """Store ``candidate``'s contact details as of ``at``, unless newer ones are stored;
    ``erased_at``: when they were erased (they are empty)."""
    connection = await session.connection()
    await connection.execute(
        _upsert(session),
        {
            "id": candidate.id,
            "name": candidate.name,
            "phone": candidate.phone,
            "email": candidate.email,
            "timezone": candidate.timezone,
            "updated_at": at,
            "erased_at": erased_at,
            "phone_e164": phone_e164(candidate.phone),
        },
    )


async def candidate_known(session: AsyncSession, candidate_id: str) -> bool:
    """Whether the read model has a row for the candidate."""
    found = await session.scalar(select(CandidateRow.id).where(CandidateRow.id == candidate_id))
    return found is not None


def phone_e164(phone: str | None) -> str | None:
    """``phone`` as E.164, or ``None`` when there is none or it cannot be read."""
    if not phone:
        return None
    try:
        return normalise_phone(phone)
    except AddressProblem:
        return None


async def candidates_with_phone(session: AsyncSession, e164: str) -> list[str]:
    """The candidates whose number is ``e164``, the most recently updated first (several
    people may share one number: a family's phone)."""
    found = await session.scalars(
        select(CandidateRow.id)
        .where(CandidateRow.phone_e164 == e164, CandidateRow.erased_at.is_(None))
        .order_by(CandidateRow.updated_at.desc())
        .limit(20)
    )
    return list(found)
