"""What the delivery workers know about their providers, for ``/healthz`` to tell.

A worker writes only when a provider's state changes (it keeps the last state it wrote), so a
healthy stream of messages costs no writes: a misconfiguration (bad credentials, an unknown
sender) is written once when it starts and cleared once the provider accepts a message again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.database import dialect_insert
from store.schema import ProviderHealthRow


class ProviderProblem(BaseModel):
    """A provider that cannot send, and since when."""

    provider: str
    problem: str
    since: datetime


class ProviderHealth:
    """Records and reads each provider's problem, if it has one."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._written: dict[str, str | None] = {}

    async def problem(self, provider: str, problem: str) -> None:
        """``provider`` cannot send: ``problem`` says why (an admin can fix it)."""
        await self._write(provider, problem)

    async def fine(self, provider: str) -> None:
        """``provider`` just sent a message."""
        await self._write(provider, None)

    async def problems(self) -> list[ProviderProblem]:
        """Every provider that cannot send now, by name."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ProviderHealthRow)
                .where(ProviderHealthRow.problem.is_not(None))
                .order_by(ProviderHealthRow.provider)
            )
            return [
                ProviderProblem(provider=r.provider, problem=r.problem or "", since=r.since)
                for r in rows
            ]

    async def _write(self, provider: str, problem: str | None) -> None:
        if provider in self._written and self._written[provider] == problem:
            return
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            insert = dialect_insert(session, ProviderHealthRow).values(
                provider=provider, problem=problem, since=now
            )
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[ProviderHealthRow.provider],
                    set_={"problem": problem, "since": now},
                )
            )
        self._written[provider] = problem
