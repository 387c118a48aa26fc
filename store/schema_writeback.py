"""The write-back ledger: one row per outcome (and interview change) written back to a vendor
ATS, recorded before each call to the vendor and marked after (``store.writebacks`` is its one
writer), so a retried or restarted write-back never writes a second note or rejects twice.
``store.schema`` re-exports it, so every table is found there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.database import Base


class WritebackRow(Base):
    """One write-back: an enrolment's outcome (``key`` is the enrolment's id), or one change of
    its interview (``<interview id>:<sequence>:<status>``); where it stands, and each step's
    progress at the vendor."""

    __tablename__ = "writebacks"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    enrolment_id: Mapped[str] = mapped_column(String(40))
    system: Mapped[str] = mapped_column(String(20))
    #: ``pending``, ``done`` or ``failed`` (API.md's ``writeback``).
    state: Mapped[str] = mapped_column(String(10))
    #: The note: ``todo``, ``calling`` (asked, the answer not known yet) or ``done``.
    note: Mapped[str] = mapped_column(String(10))
    note_id: Mapped[str | None] = mapped_column(String(200))
    #: The rejection on a knockout: ``none`` (not asked for), ``todo``, ``calling``, ``done``.
    reject: Mapped[str] = mapped_column(String(10))
    #: Calls made to the vendor for it, over every attempt.
    calls: Mapped[int] = mapped_column(Integer, default=0)
    #: The vendor's answer when it refused (``failed``), as it said it.
    error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_writebacks_state", "state"),
        Index("ix_writebacks_enrolment", "enrolment_id"),
    )
