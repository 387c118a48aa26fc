"""The tables the edge keeps for itself: provider health, the inbound event ledger, opt-outs,
API keys and the audit log. Each names its one writer; ``store.schema`` re-exports them, so
every table is found there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.database import Base


class ProviderHealthRow(Base):
    """A provider's configuration problem, as the delivery workers last saw it.

    Written by the delivery workers only (``store.provider_health``).
    """

    __tablename__ = "provider_health"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    problem: Mapped[str | None] = mapped_column(Text)
    since: Mapped[datetime]


class InboundEventRow(Base):
    """Every outside event id the API accepted, with a fingerprint of what it said.

    The id of an ATS event or webhook names one payload forever: the same id with another
    payload is refused (409 ``event_id_reused``), whichever candidate it would reach.
    ``received_at`` is when the id was first accepted. Written by the API's use cases only
    (``store.inbound``).
    """

    __tablename__ = "inbound_events"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]


class OptOutRow(Base):
    """Addresses that replied STOP: nothing is sent to them until they reply START.

    Kept as a SHA-256 of the normalised address (``store.opt_outs.address_hash``), never the
    address: an erased candidate's STOP is still honoured, and nothing else of them is kept.
    Written by candidates' replies only (``store.opt_outs``).
    """

    __tablename__ = "opt_outs"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class ApiKeyRow(Base):
    """An API key: its id, name and role, and a hash of the key (never the key itself).

    Written by key management only (``store.access``).
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class AuditRow(Base):
    """Who changed configuration, keys or candidates' data, what, and when (append-only).

    Written through ``store.access.record`` only, in the transaction of the change.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]]

    #: Who did something to one candidate (who cancelled an enrolment, who erased them).
    __table_args__ = (Index("ix_audit_log_target", "target", "action"),)
