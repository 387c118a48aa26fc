"""What ``enrolments reconcile`` reads from and marks in the read model.

It reads each enrolment with the application showing it, in one statement (one snapshot: the
projection writes both in one transaction), and marks rows altered in place as stale (``seq`` 0)
so a resync from the workflow overwrites them. It never writes a status: the candidate's
workflow stays the only writer of those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from store.schema import ApplicationRow, EnrolmentRow

#: Enrolment ids per ``IN`` list: every database takes this many parameters in one statement.
IDS_PER_STATEMENT = 500


class ReadModelEnrolment(BaseModel):
    """What the read model says of one enrolment."""

    model_config = ConfigDict(frozen=True)

    status: str
    status_reason: str | None
    seq: int
    #: Whether an application has this enrolment as its current one, and the status it shows.
    is_current: bool = False
    application_status: str | None = None


@dataclass(frozen=True)
class AlteredEnrolment:
    """An enrolment row found holding ``status``/``status_reason`` at its own ``seq``."""

    enrolment_id: str
    seq: int
    status: str
    status_reason: str | None


@dataclass(frozen=True)
class AlteredApplication:
    """The application showing ``enrolment_id`` found with another ``status``."""

    enrolment_id: str
    status: str


async def read_enrolments(
    engine: AsyncEngine, enrolment_ids: Iterable[str]
) -> dict[str, ReadModelEnrolment]:
    """Each of ``enrolment_ids`` that has a row, with the status its application shows."""
    ids = sorted(set(enrolment_ids))
    rows: dict[str, ReadModelEnrolment] = {}
    async with engine.connect() as connection:
        for start in range(0, len(ids), IDS_PER_STATEMENT):
            # Joined by the application's primary key, then kept only where the application
            # points at this enrolment.
            result = await connection.execute(
                select(
                    EnrolmentRow.id,
                    EnrolmentRow.status,
                    EnrolmentRow.status_reason,
                    EnrolmentRow.seq,
                    ApplicationRow.current_enrolment_id,
                    ApplicationRow.status,
                )
                .outerjoin(ApplicationRow, ApplicationRow.id == EnrolmentRow.application_id)
                .where(EnrolmentRow.id.in_(ids[start : start + IDS_PER_STATEMENT]))
            )
            for enrolment_id, status, reason, seq, current, application_status in result:
                rows[enrolment_id] = ReadModelEnrolment(
                    status=status,
                    status_reason=reason,
                    seq=seq,
                    is_current=current == enrolment_id,
                    application_status=application_status,
                )
    return rows


async def mark_stale(
    engine: AsyncEngine, altered: Iterable[AlteredEnrolment | AlteredApplication]
) -> int:
    """Set ``seq`` to 0 on each altered row that still holds exactly what was found (if the
    workflow wrote in between, the row is left alone); one transaction. Returns how many rows
    were marked."""
    marked = 0
    async with engine.begin() as connection:
        for row in altered:
            if isinstance(row, AlteredApplication):
                statement = (
                    update(ApplicationRow)
                    .where(
                        ApplicationRow.current_enrolment_id == row.enrolment_id,
                        ApplicationRow.status == row.status,
                    )
                    .values(seq=0)
                )
            else:
                statement = (
                    update(EnrolmentRow)
                    .where(
                        EnrolmentRow.id == row.enrolment_id,
                        EnrolmentRow.seq == row.seq,
                        EnrolmentRow.status == row.status,
                        EnrolmentRow.status_reason.is_(None)
                        if row.status_reason is None
                        else EnrolmentRow.status_reason == row.status_reason,
                    )
                    .values(seq=0)
                )
            marked += (await connection.execute(statement)).rowcount
    return marked
