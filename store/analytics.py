"""The funnel of a campaign or a job: how many enrolments got how far, and how fast.

Read from indexes only. Each enrolment row carries the funnel's moments as plain columns
(``delivered_at``, ``started_at``, ``seconds_to_deliver``, ``seconds_to_complete``, written by
the projection), and three indexes per scope (campaign, job) cover what is read: the counts of
the enrolments created in a date range, and each duration in order, so a median is the middle
entry of an index walk, not a sort. Module progress lives in ``enrolment_modules``, indexed the
same way.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.statuses import EnrolmentStatus as S
from store.analytics_scope import campaigns_in_scope, rows_in_scope
from store.answer_counts import AnswerCounts, choice_answers
from store.schema import EnrolmentModuleRow, EnrolmentRow

#: The key the per-status counts carry the multi-module enrolments under.
MULTI_MODULE = "multi_module"
#: The statuses an enrolment can only be in once its message was delivered.
AFTER_DELIVERY = (S.DELIVERED, S.IN_PROGRESS, S.COMPLETED, S.EXPIRED)


class ModuleFunnel(BaseModel):
    """How many enrolments started and completed one module; of those that started it and
    did not complete it, how many are still at it (``in_progress``) and how many ended
    without completing it (``dropped_off``: expired, cancelled, failed)."""

    id: str
    name: str
    started: int
    completed: int
    in_progress: int = 0
    dropped_off: int = 0


class Funnel(BaseModel):
    """The API's analytics (API.md): ``delivered`` and ``started`` count the enrolments that
    reached that point, whatever happened after; ``completion_rate`` is completed over the
    enrolments of multi-module campaigns (``multi_module``: a blast can never complete)."""

    enrolled: int
    multi_module: int = 0
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
    #: How candidates answered each choice question.
    answers: list[AnswerCounts] = []


class Analytics:
    """Funnels over the read model."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def funnel(
        self,
        *,
        campaign_id: str | None = None,
        job_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Funnel:
        """The funnel of one campaign's or one job's enrolments created in ``[since, until)``.

        Four independent parts (the counts, the medians, the modules, the answers), each on a
        session of its own: on PostgreSQL they run at once on four connections; SQLite, with
        its one connection, takes them in turn.
        """
        where = rows_in_scope(EnrolmentRow, campaign_id, job_id, since, until)
        (by_status, failed, started, delivered), medians, modules, answers = await asyncio.gather(
            self._counts(where),
            self._medians(where),
            self._modules(campaign_id, job_id, since, until),
            self._answers(campaign_id, job_id, since, until),
        )
        multi_module = by_status.pop(MULTI_MODULE, 0)
        completed = by_status.get(S.COMPLETED.value, 0)
        enrolled = sum(by_status.values())
        return Funnel(
            enrolled=enrolled,
            multi_module=multi_module,
            delivered=delivered,
            started=started,
            completed=completed,
            failed=failed,
            expired=by_status.get(S.EXPIRED.value, 0),
            cancelled=by_status.get(S.CANCELLED.value, 0),
            completion_rate=round(completed / multi_module, 4) if multi_module else 0.0,
            median_seconds_to_deliver=medians[0],
            median_seconds_to_complete=medians[1],
            modules=modules,
            answers=answers,
        )

    async def _counts(
        self, where: ColumnElement[bool]
    ) -> tuple[dict[str, int], dict[str, int], int, int]:
        """Enrolments per status, failures per reason, and how many started and were
        delivered. Each query is one index range: counting entries is what an index does
        fastest."""
        # One count per status, each a seek into (scope, status, created_at): faster than a
        # GROUP BY walking the whole scope when a date range narrows it.
        per_status = union_all(
            *(
                select(literal(status.value).label("status"), func.count().label("n")).where(
                    where, EnrolmentRow.status == status.value
                )
                for status in S
            ),
            # And how many of them are multi-module (a seek into (scope, kind, created_at)).
            select(literal(MULTI_MODULE).label("status"), func.count().label("n")).where(
                where, EnrolmentRow.multi_module.is_(True)
            ),
        )
        ended = [S.EXPIRED.value, S.CANCELLED.value, S.FAILED.value]
        async with self._sessions() as session:
            by_status = {
                status: int(count) for status, count in (await session.execute(per_status)).all()
            }
            failed = {
                reason or "unknown": int(count)
                for reason, count in (
                    await session.execute(
                        select(EnrolmentRow.status_reason, func.count())
                        .where(where, EnrolmentRow.status == S.FAILED.value)
                        .group_by(EnrolmentRow.status_reason)
                    )
                ).all()
            }
            # Those that ended otherwise after starting or after delivery: small ranges.
            ended_after_start = await session.scalar(
                select(func.count()).where(
                    where, EnrolmentRow.status.in_(ended), EnrolmentRow.started_at.is_not(None)
                )
            )
            ended_after_delivery = await session.scalar(
                select(func.count()).where(
                    where,
                    EnrolmentRow.status.in_(ended[1:]),
                    EnrolmentRow.delivered_at.is_not(None),
                )
            )
        started = (
            by_status.get(S.IN_PROGRESS.value, 0)
            + by_status.get(S.COMPLETED.value, 0)
            + int(ended_after_start or 0)
        )
        delivered = sum(by_status.get(s.value, 0) for s in AFTER_DELIVERY) + int(
            ended_after_delivery or 0
        )
        return by_status, failed, started, delivered

    async def _medians(self, where: ColumnElement[bool]) -> tuple[float | None, float | None]:
        """The median seconds to deliver and to complete."""
        async with self._sessions() as session:
            return (
                await self._median(session, EnrolmentRow.seconds_to_deliver, where),
                await self._median(session, EnrolmentRow.seconds_to_complete, where),
            )

    @staticmethod
    async def _median(
        session: AsyncSession, seconds: Any, where: ColumnElement[bool]
    ) -> float | None:
        """The median of ``seconds`` over the rows ``where`` selects that have it.

        The index (scope, seconds, created_at) hands the values over in order: counting them
        and reading the middle one or two walks it, without sorting.
        """
        known = and_(where, seconds.is_not(None))
        count = int(await session.scalar(select(func.count()).where(known)) or 0)
        if count == 0:
            return None
        middle = (
            select(seconds)
            .where(known)
            .order_by(seconds)
            .offset((count - 1) // 2)
            .limit(1 if count % 2 else 2)
        )
        values = [float(v) for v in await session.scalars(middle)]
        return round(sum(values) / len(values), 3) if values else None

    async def _answers(
        self,
        campaign_id: str | None,
        job_id: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> list[AnswerCounts]:
        async with self._sessions() as session:
            return await choice_answers(session, campaign_id, job_id, since, until)

    async def _modules(
        self,
        campaign_id: str | None,
        job_id: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> list[ModuleFunnel]:
        """Each module of the campaigns in scope: how many started it and completed it."""
        async with self._sessions() as session:
            return await self._module_funnels(session, campaign_id, job_id, since, until)

    async def _module_funnels(
        self,
        session: AsyncSession,
        campaign_id: str | None,
        job_id: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> list[ModuleFunnel]:
        modules = await _modules_in_scope(session, campaign_id, job_id)
        where = rows_in_scope(EnrolmentModuleRow, campaign_id, job_id, since, until)
        # One pass in (scope, module, completed) order: a group per module and outcome.
        counts: dict[str, tuple[int, int]] = {}
        progress = await session.execute(
            select(EnrolmentModuleRow.module_id, EnrolmentModuleRow.completed, func.count())
            .where(where)
            .group_by(EnrolmentModuleRow.module_id, EnrolmentModuleRow.completed)
        )
        for module_id, is_completed, count in progress.all():
            started, done = counts.get(module_id, (0, 0))
            counts[module_id] = (started + count, done + (count if is_completed else 0))
        # Of those started and not completed: the enrolments still running.
        live = dict(
            (
                await session.execute(
                    select(EnrolmentModuleRow.module_id, func.count())
                    .join(EnrolmentRow, EnrolmentRow.id == EnrolmentModuleRow.enrolment_id)
                    .where(
                        where,
                        EnrolmentModuleRow.completed.is_(False),
                        EnrolmentRow.status.in_([S.DELIVERED.value, S.IN_PROGRESS.value]),
                    )
                    .group_by(EnrolmentModuleRow.module_id)
                )
            ).all()
        )
        funnels = []
        for module_id, name in modules.items():
            started, completed = counts.get(module_id, (0, 0))
            running = int(live.get(module_id, 0))
            funnels.append(
                ModuleFunnel(
                    id=module_id,
                    name=name,
                    started=started,
                    completed=completed,
                    in_progress=running,
                    dropped_off=started - completed - running,
                )
            )
        return funnels


async def _modules_in_scope(
    session: AsyncSession, campaign_id: str | None, job_id: str | None
) -> dict[str, str]:
    """The modules (id: name) of the campaign, or of the campaigns the job's stages link."""
    modules: dict[str, str] = {}
    for campaign in await campaigns_in_scope(session, campaign_id, job_id):
        for module in campaign.modules:
            modules.setdefault(module.id, module.name)
    return modules
