"""Interviewers as an admin configured them. Configuration (``services.interviews``) is the
only writer; the write is an idempotent upsert."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.interviewers import InterviewerProfile
from store.database import dialect_insert
from store.schema import InterviewerRow


class Interviewer(InterviewerProfile):
    """An interviewer as stored, with their id."""

    id: str
    updated_at: datetime


class Interviewers:
    """Reads and writes of interviewers within one session (nothing here commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(
        self, interviewer_id: str, profile: InterviewerProfile, link_hash: str, now: datetime
    ) -> None:
        """Create or replace an interviewer (``link_hash``: their own page's)."""
        values = {
            "id": interviewer_id,
            **profile.model_dump(),
            "link_hash": link_hash,
            "updated_at": now,
        }
        insert = dialect_insert(self._session, InterviewerRow).values(values)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[InterviewerRow.id],
                set_={k: v for k, v in values.items() if k != "id"},
            )
        )

    async def get(self, interviewer_id: str) -> Interviewer | None:
        row = await self._session.get(InterviewerRow, interviewer_id)
        return None if row is None else _interviewer(row)

    async def by_link(self, link_hash: str) -> Interviewer | None:
        """The interviewer whose own link's token hashes to ``link_hash``."""
        row = await self._session.scalar(
            select(InterviewerRow).where(InterviewerRow.link_hash == link_hash)
        )
        return None if row is None else _interviewer(row)

    async def all(self) -> list[Interviewer]:
        """Every interviewer, by name."""
        rows = await self._session.scalars(
            select(InterviewerRow).order_by(InterviewerRow.name, InterviewerRow.id)
        )
        return [_interviewer(row) for row in rows]

    async def some(self, interviewer_ids: Iterable[str]) -> dict[str, Interviewer]:
        """Those of ``interviewer_ids`` that exist, by id."""
        wanted = set(interviewer_ids)
        if not wanted:
            return {}
        rows = await self._session.scalars(
            select(InterviewerRow).where(InterviewerRow.id.in_(wanted))
        )
        return {row.id: _interviewer(row) for row in rows}


def _interviewer(row: InterviewerRow) -> Interviewer:
    return Interviewer(
        id=row.id,
        name=row.name,
        email=row.email,
        timezone=row.timezone,
        calendar_ics_url=row.calendar_ics_url,
        updated_at=row.updated_at,
    )
