"""The funnel of a campaign or a job: how many enrolments got how far, and how fast.

Read from ``enrolments`` alone (each row keeps when it reached each status, and each module's
progress), for the enrolments created in a date range, with two indexes
(``campaign_id, created_at`` and ``job_id, created_at``) so a range is one index scan. One query
sums the stages of the funnel and each module's starts and completions; the failure reasons are
grouped; each median is the middle of the sorted durations, read at its offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Float, Select, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.campaigns import Campaign
from domain.statuses import EnrolmentStatus as S
from store.database import dialect_of
from store.schema import CampaignRow, EnrolmentRow


class ModuleFunnel(BaseModel):
    """How many enrolments started and completed one module."""

    id: str
    name: str
    started: int
    completed: int


class Funnel(BaseModel):
    """The API's analytics (API.md): ``delivered`` and ``started`` count the enrolments that
    reached that point, whatever happened after; ``completion_rate`` is completed / enrolled."""

    enrolled: int
    delivered: int
    started: int
    completed: int
    failed: dict[str, int]
    expired: int
    cancelled: int
    completion_rate: float
    median_seconds_to_deliver: float | None
    median_seconds_to_complete: float | None
    modules: list[ModuleFunnel]


def _reached(status: S) -> ColumnElement[bool]:
    """The enrolment reached ``status`` at some point (its time is recorded)."""
    reached: ColumnElement[bool] = EnrolmentRow.status_times[status.value].as_string().is_not(None)
    return reached


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _seconds_between(session: AsyncSession, start: Any, end: Any) -> ColumnElement[Any]:
    """``end - start`` in seconds, in the session's dialect."""
    if dialect_of(session).name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _completed_at(session: AsyncSession) -> Any:
    text = EnrolmentRow.status_times[S.COMPLETED.value].as_string()
    if dialect_of(session).name == "sqlite":
        return text
    return cast(text, EnrolmentRow.created_at.type)


class Analytics:
    """Funnels over the read model."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def funnel(
        self,
        *,
        campaign_id: str | None = None,
        job_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Funnel:
        """The funnel of one campaign's or one job's enrolments created in ``[since, until)``."""
        scope = [
            EnrolmentRow.campaign_id == campaign_id
            if campaign_id is not None
            else EnrolmentRow.job_id == job_id
        ]
        if since is not None:
            scope.append(EnrolmentRow.created_at >= since)
        if until is not None:
            scope.append(EnrolmentRow.created_at < until)
        where = and_(*scope)
        modules = await self._modules(where)
        module_counts = [
            (
                _count(EnrolmentRow.modules[module_id].as_string().is_not(None)),
                _count(EnrolmentRow.modules[module_id].as_string() == "completed"),
            )
            for module_id, _ in modules
        ]
        totals = (
            await self._session.execute(
                select(
                    func.count(),
                    _count(EnrolmentRow.delivered_at.is_not(None)),
                    _count(_reached(S.IN_PROGRESS)),
                    _count(EnrolmentRow.status == S.COMPLETED.value),
                    _count(EnrolmentRow.status == S.EXPIRED.value),
                    _count(EnrolmentRow.status == S.CANCELLED.value),
                    *(column for pair in module_counts for column in pair),
                ).where(where)
            )
        ).one()
        enrolled, delivered, started, completed, expired, cancelled = (int(v) for v in totals[:6])
        per_module = totals[6:]
        failed = await self._session.execute(
            select(EnrolmentRow.status_reason, func.count())
            .where(where, EnrolmentRow.status == S.FAILED.value)
            .group_by(EnrolmentRow.status_reason)
        )
        to_deliver = _seconds_between(
            self._session, EnrolmentRow.created_at, EnrolmentRow.delivered_at
        )
        to_complete = _seconds_between(
            self._session, EnrolmentRow.created_at, _completed_at(self._session)
        )
        return Funnel(
            enrolled=enrolled,
            delivered=delivered,
            started=started,
            completed=completed,
            failed={reason or "unknown": count for reason, count in failed.all()},
            expired=expired,
            cancelled=cancelled,
            completion_rate=round(completed / enrolled, 4) if enrolled else 0.0,
            median_seconds_to_deliver=await self._median(
                to_deliver, and_(where, EnrolmentRow.delivered_at.is_not(None)), delivered
            ),
            median_seconds_to_complete=await self._median(
                to_complete, and_(where, EnrolmentRow.status == S.COMPLETED.value), completed
            ),
            modules=[
                ModuleFunnel(
                    id=module_id,
                    name=name,
                    started=int(per_module[2 * n]),
                    completed=int(per_module[2 * n + 1]),
                )
                for n, (module_id, name) in enumerate(modules)
            ],
        )

    async def _modules(self, where: ColumnElement[bool]) -> list[tuple[str, str]]:
        """``(id, name)`` of the modules of the campaigns the enrolments in scope belong to."""
        campaign_ids = select(EnrolmentRow.campaign_id).where(where).distinct()
        definitions = await self._session.scalars(
            select(CampaignRow.definition)
            .where(CampaignRow.id.in_(campaign_ids))
            .order_by(CampaignRow.id)
        )
        found: dict[str, str] = {}
        for definition in definitions:
            for module in Campaign.model_validate(definition).modules:
                found.setdefault(module.id, module.name)
        return list(found.items())

    async def _median(
        self, seconds: ColumnElement[Any], where: ColumnElement[bool], count: int
    ) -> float | None:
        """The median of ``seconds`` over the ``count`` rows ``where`` selects."""
        if count == 0:
            return None
        middle: Select[tuple[Any]] = (
            select(cast(seconds, Float).label("s"))
            .where(where)
            .order_by("s")
            .offset((count - 1) // 2)
            .limit(1 if count % 2 else 2)
        )
        values = [float(v) for v in await self._session.scalars(middle) if v is not None]
        return round(sum(values) / len(values), 3) if values else None
