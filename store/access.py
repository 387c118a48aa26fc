"""API keys and the audit log.

Keys are created and revoked by ``enrolments keys``; the API only reads them. A key is shown
once, when it is created: the table keeps its id, name, role and a SHA-256 hash. The audit log
is appended to in the same transaction as the change it records.
"""

from __future__ import annotations

import hmac
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.access import KEY_PREFIX, Principal, Role, key_hash, key_id_of
from store.schema import ApiKeyRow, AuditRow

_ID_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class ApiKey:
    """A key as listed: never the key itself."""

    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


class UnknownKey(LookupError):
    """No key has this id."""


class ApiKeys:
    """The API keys."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(self, name: str, role: Role, now: datetime) -> tuple[ApiKey, str]:
        """A new key: its listing and the key itself (shown once, stored only as a hash)."""
        key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        async with self._sessions.begin() as session:
            session.add(
                ApiKeyRow(
                    id=key_id,
                    name=name,
                    role=role.value,
                    key_hash=key_hash(key),
                    created_at=now,
                    revoked_at=None,
                )
            )
            record(
                session, "enrolments keys", "key.created", key_id, {"name": name, "role": role}, now
            )
        return ApiKey(key_id, name, role, now, None), key

    async def list(self) -> list[ApiKey]:
        """Every key, oldest first, revoked ones included."""
        async with self._sessions() as session:
            rows = await session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))
            return [
                ApiKey(row.id, row.name, Role(row.role), row.created_at, row.revoked_at)
                for row in rows
            ]

    async def revoke(self, key_id: str, now: datetime) -> ApiKey:
        """Revoke the key (at once, for every request after this one); revoking twice keeps
        the first time. Raises ``UnknownKey``."""
        async with self._sessions.begin() as session:
            row = await session.get(ApiKeyRow, key_id)
            if row is None:
                raise UnknownKey(key_id)
            if row.revoked_at is None:
                await session.execute(
                    update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(revoked_at=now)
                )
                record(session, "enrolments keys", "key.revoked", key_id, {"name": row.name}, now)
                row.revoked_at = now
            return ApiKey(row.id, row.name, Role(row.role), row.created_at, row.revoked_at)

    async def principal(self, key: str) -> tuple[Principal, str] | None:
        """Who holds ``key`` and the key's stored hash (it signs their UI session), or
        ``None`` for a key that is unknown, revoked or not of our shape."""
        key_id = key_id_of(key)
        if key_id is None:
            return None
        return await self.principal_by_id(key_id, key_hash(key))

    async def principal_by_id(
        self, key_id: str, wanted_hash: str | None = None
    ) -> tuple[Principal, str] | None:
        """The live key ``key_id`` (whose hash is ``wanted_hash``, when given)."""
        async with self._sessions() as session:
            row = await session.get(ApiKeyRow, key_id)
        if row is None or row.revoked_at is not None:
            return None
        if wanted_hash is not None and not hmac.compare_digest(row.key_hash, wanted_hash):
            return None
        return Principal(row.id, row.name, Role(row.role)), row.key_hash


class AuditEntry(BaseModel):
    """One change: when, who (a key's name, id and role), what and to which target."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


def record(
    session: AsyncSession,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    """Append an audit entry in ``session``'s transaction (it lands with the change or not at
    all)."""
    session.add(
        AuditRow(at=now, actor=actor[:300], action=action, target=target[:300], detail=detail)
    )


async def audit_entries(
    session: AsyncSession, *, limit: int, before: int | None = None
) -> list[AuditEntry]:
    """The newest entries first, ``limit`` of them, older than entry ``before`` when given."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditRow.id < before)
    rows = await session.scalars(query)
    return [
        AuditEntry(
            id=r.id, at=r.at, actor=r.actor, action=r.action, target=r.target, detail=r.detail
        )
        for r in rows
    ]


async def who_did(
    session: AsyncSession, action: str, target: str, enrolment_id: str | None = None
) -> str | None:
    """The actor of the latest ``action`` on ``target`` (about ``enrolment_id``, when given:
    who cancelled that enrolment), or ``None`` when the audit log holds none."""
    rows = await session.scalars(
        select(AuditRow)
        .where(AuditRow.action == action, AuditRow.target == target)
        .order_by(AuditRow.id.desc())
        .limit(200)
    )
    return next(
        (
            row.actor
            for row in rows
            if enrolment_id is None or row.detail.get("enrolment_id") == enrolment_id
        ),
        None,
    )
