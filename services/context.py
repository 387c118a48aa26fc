"""What every use case works with: the settings, the read model and the candidates' workflows.

Built once by the process that hosts the use cases (the HTTP API, a CLI command) and passed
in; no use case reaches for a global.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config.settings import Settings
from services.candidate_workflows import CandidateWorkflows


@dataclass(frozen=True)
class Context:
    """The settings, a session per unit of work, and the client of the candidates' workflows."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    workflows: CandidateWorkflows
    #: Sessions that only read, and must stay fast while the process writes (on a SQLite file
    #: their own connections: ``store.database.create_read_engine``).
    reads: async_sessionmaker[AsyncSession]
