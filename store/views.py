"""What recruiters look at: a job's Table (paginated) and Kanban board (one enrolment's page
is ``store.enrolment_view``).

Built for jobs with 100,000 applications (``bench/views.py`` times them). Every filter reads
``applications`` alone, whose ``status`` column mirrors the current enrolment's:

- a page is found first, as at most ``limit`` application ids read in id order from the one
  index that matches the filters (``ix_applications_job_id``, ``_job_stage``, ``_job_status``,
  ``_job_stage_status``), resuming after a keyset cursor, never an OFFSET; several statuses are
  one such index range each, merged (``UNION ALL``), so a rare status never means scanning the
  job. Only the page's rows are then joined to their enrolment and candidate;
- the board's counts are one ``GROUP BY stage, status`` over ``ix_applications_job_stage_status``
  (index only, no row is loaded), and its cards are the first page of each stage, all stages in
  one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, model_validator
from sqlalchemy import ColumnElement, Select, Subquery, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from domain.statuses import EnrolmentStatus
from store.calendars import HasInterview, interviews_into
from store.database import UtcDateTime
from store.schema import (
    ApplicationRow,
    CandidateRow,
    EnrolmentAnswerRow,
    EnrolmentRow,
    StageRow,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_CARDS_PER_COLUMN = 50
MAX_CARDS_PER_COLUMN = 500


class ApplicationItem(HasInterview):
    """One row of the Table view: an application and its current enrolment, if any."""

    application_id: str
    candidate_id: str
    candidate_name: str | None
    stage_id: str
    campaign_id: str | None
    status: EnrolmentStatus | None
    status_reason: str | None
    updated_at: datetime
    withdrawn: bool = False
    #: The candidate's personal data was erased (``candidate_name`` is empty).
    candidate_erased: bool = False
    #: When the current enrolment reached its status, and when it expires (if it does).
    status_since: datetime | None = None
    expires_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _since(cls, data: Any) -> Any:
        if isinstance(data, dict) and "status_times" in data:
            data = dict(data)
            times = data.pop("status_times") or {}
            status = data.get("status")
            data.setdefault("status_since", times.get(status) if status else None)
        return data


class ExportedApplication(ApplicationItem):
    """A row of the CSV export: a Table row with the candidate's phone and e-mail (the JSON
    view, polled all day, leaves them out)."""

    candidate_phone: str | None = None
    candidate_email: str | None = None
    #: What the candidate answered in the current enrolment: ``prompt: value | …``.
    answers: str = ""


class TablePage(BaseModel):
    """One page of the Table, and the application id the next page starts after (``None``:
    this is the last page)."""

    items: list[ApplicationItem]
    next_after: str | None


class BoardCard(HasInterview):
    application_id: str
    candidate_id: str
    candidate_name: str | None
    status: EnrolmentStatus | None
    status_reason: str | None = None
    updated_at: datetime
    withdrawn: bool = False
    candidate_erased: bool = False


class BoardColumn(BaseModel):
    """One stage of the board: its first cards and how many applications it holds by status.

    ``counts`` covers every application in the stage (cards are capped); applications without
    an enrolment appear in ``total`` only. ``removed``: the stage is no longer part of the job,
    but applications are still in it (the ATS has not moved them yet); such columns come last.
    """

    stage_id: str
    name: str
    campaign_id: str | None
    auto_match: bool
    cards: list[BoardCard]
    counts: dict[str, int]
    total: int
    removed: bool = False


class Board(BaseModel):
    """The Kanban view of a job: one column per stage, in stage order."""

    job_id: str
    columns: list[BoardColumn]
    counts: dict[str, int]
    total: int


#: The Table's row query (its columns vary in type, so the statement is loosely typed).
ApplicationQuery = Select[*tuple[Any, ...]]


#: Above this many index ranges in one statement (a board of many stages filtered by several
#: statuses), planning them costs more than it saves: each stage becomes one ``IN`` read.
MAX_INDEX_RANGES = 64


def _matching(search: str) -> ColumnElement[bool]:
    """Candidates whose name holds ``search`` (any case), or whose phone number holds its
    digits (spaces, dashes and brackets in the stored number ignored)."""
    name = func.lower(CandidateRow.name).contains(search.lower(), autoescape=True)
    digits = "".join(c for c in search if c.isdigit())
    if len(digits) < 3:
        return name
    phone: Any = CandidateRow.phone
    for mark in (" ", "-", "(", ")", "."):
        phone = func.replace(phone, mark, "")
    return or_(name, phone.contains(digits, autoescape=True))


def _page_keys(
    job_id: str,
    *,
    stage_id: str | None,
    statuses: Sequence[EnrolmentStatus],
    after: str | None,
    limit: int,
    range_per_status: bool = True,
    search: str | None = None,
) -> Subquery:
    """The ids of one page of the job's applications, in id order: a bounded index read.

    Each part reads one index range (job, [stage,] [status,] id > after) and stops after
    ``limit`` entries; with several statuses the parts (one per status, unless
    ``range_per_status`` is off) are merged and cut to ``limit`` again.
    """

    def part(*status: EnrolmentStatus) -> Select[str]:
        query = select(ApplicationRow.id).where(ApplicationRow.job_id == job_id)
        if stage_id is not None:
            query = query.where(ApplicationRow.stage_id == stage_id)
        if len(status) == 1:
            query = query.where(ApplicationRow.status == status[0].value)
        elif status:
            query = query.where(ApplicationRow.status.in_([s.value for s in status]))
        if after is not None:
            query = query.where(ApplicationRow.id > after)
        if search:
            query = query.join(CandidateRow, CandidateRow.id == ApplicationRow.candidate_id)
            query = query.where(_matching(search))
        return query.order_by(ApplicationRow.id).limit(limit)

    wanted = sorted(set(statuses))
    if len(wanted) <= 1 or not range_per_status:
        return part(*wanted).subquery("page")
    ranges = [part(status).subquery(f"status_{n}") for n, status in enumerate(wanted)]
    merged = union_all(*(select(r.c.id) for r in ranges)).subquery("merged")
    return select(merged.c.id).order_by(merged.c.id).limit(limit).subquery("page")


def _application_rows(keys: Subquery, contacts: bool = False) -> ApplicationQuery:
    """The Table's columns for the applications whose ids ``keys`` lists, in id order (with
    the candidate's phone and e-mail when ``contacts``)."""
    extra = (
        (CandidateRow.phone.label("candidate_phone"), CandidateRow.email.label("candidate_email"))
        if contacts
        else ()
    )
    return (
        select(
            ApplicationRow.id.label("application_id"),
            ApplicationRow.candidate_id,
            CandidateRow.name.label("candidate_name"),
            ApplicationRow.stage_id,
            EnrolmentRow.campaign_id,
            EnrolmentRow.id.label("enrolment_id"),
            ApplicationRow.status,
            EnrolmentRow.status_reason,
            func.coalesce(
                EnrolmentRow.updated_at, ApplicationRow.updated_at, type_=UtcDateTime
            ).label("updated_at"),
            ApplicationRow.withdrawn,
            CandidateRow.erased_at.is_not(None).label("candidate_erased"),
            EnrolmentRow.expires_at,
            EnrolmentRow.status_times,
            *extra,
        )
        .select_from(keys)
        .join(ApplicationRow, ApplicationRow.id == keys.c.id)
        .outerjoin(EnrolmentRow, EnrolmentRow.id == ApplicationRow.current_enrolment_id)
        .outerjoin(CandidateRow, CandidateRow.id == ApplicationRow.candidate_id)
        .order_by(ApplicationRow.id)
    )


class RecruiterViews:
    """Read-only queries behind the Table and the board."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def applications(
        self,
        job_id: str,
        *,
        statuses: Sequence[EnrolmentStatus] = (),
        stage_id: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        search: str | None = None,
        contacts: bool = False,
    ) -> TablePage:
        """One page of the job's applications in application-id order, starting after the
        application id ``after``; ``search``: only candidates whose name or phone number
        holds it; ``contacts``: with their phone and e-mail (``ExportedApplication``)."""
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        # One row beyond the page tells whether there is a next one, without counting.
        keys = _page_keys(
            job_id,
            stage_id=stage_id,
            statuses=statuses,
            after=after,
            limit=limit + 1,
            search=search or None,
        )
        rows = (await self._session.execute(_application_rows(keys, contacts))).all()
        row_type = ExportedApplication if contacts else ApplicationItem
        items = [row_type(**row._mapping) for row in rows[:limit]]
        await interviews_into(self._session, items)
        if contacts:
            said = await self._answers_said([i.enrolment_id for i in items if i.enrolment_id])
            for item in items:
                assert isinstance(item, ExportedApplication)
                item.answers = said.get(item.enrolment_id or "", "")
        more = len(rows) > limit
        return TablePage(items=items, next_after=items[-1].application_id if more else None)

    async def _answers_said(self, enrolment_ids: list[str]) -> dict[str, str]:
        """Each enrolment's answers as one cell: ``prompt: value | prompt: a, b``."""
        if not enrolment_ids:
            return {}
        rows = await self._session.execute(
            select(
                EnrolmentAnswerRow.enrolment_id, EnrolmentAnswerRow.prompt, EnrolmentAnswerRow.value
            )
            .where(EnrolmentAnswerRow.enrolment_id.in_(enrolment_ids))
            .order_by(EnrolmentAnswerRow.enrolment_id, EnrolmentAnswerRow.answered_at)
        )
        said: dict[str, list[str]] = {}
        for enrolment_id, prompt, value in rows:
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            said.setdefault(enrolment_id, []).append(f"{prompt}: {text}")
        return {e: " | ".join(parts) for e, parts in said.items()}

    async def board(
        self,
        job_id: str,
        stages: Sequence[StageRow],
        *,
        statuses: Sequence[EnrolmentStatus] = (),
        cards_per_column: int = DEFAULT_CARDS_PER_COLUMN,
    ) -> Board:
        """The job's board: for each stage, its first cards (filtered) and counts by status.

        Every application shows: one in a stage the job no longer has gets a column of its own
        after the job's stages.
        """
        cards_per_column = max(0, min(cards_per_column, MAX_CARDS_PER_COLUMN))
        counts = await self._counts(job_id)
        configured = {stage.id for stage in stages}
        removed = sorted(set(counts) - configured)
        cards = await self._cards(
            job_id, [s.id for s in stages] + removed, statuses, cards_per_column
        )
        await interviews_into(self._session, [c for column in cards.values() for c in column])

        def make_column(stage_id: str, **shown: Any) -> BoardColumn:
            by_status = counts.get(stage_id, {})
            return BoardColumn(
                stage_id=stage_id,
                cards=cards.get(stage_id, []),
                counts={s: n for s, n in by_status.items() if s is not None},
                total=sum(by_status.values()),
                **shown,
            )

        columns = [
            make_column(s.id, name=s.name, campaign_id=s.campaign_id, auto_match=s.auto_match)
            for s in stages
        ] + [
            make_column(
                stage_id,
                name=f"{stage_id} (removed)",
                campaign_id=None,
                auto_match=False,
                removed=True,
            )
            for stage_id in removed
        ]
        overall: dict[str, int] = {}
        for column in columns:
            for status, n in column.counts.items():
                overall[status] = overall.get(status, 0) + n
        return Board(
            job_id=job_id,
            columns=columns,
            counts=overall,
            total=sum(column.total for column in columns),
        )

    async def _counts(self, job_id: str) -> dict[str, dict[str | None, int]]:
        """``stage id -> status -> applications`` (status ``None``: no enrolment)."""
        # Every column the query touches is in ix_applications_job_stage_status: an index-only
        # read, however many applications the job has.
        query = (
            select(ApplicationRow.stage_id, ApplicationRow.status, func.count())
            .where(ApplicationRow.job_id == job_id)
            .group_by(ApplicationRow.stage_id, ApplicationRow.status)
        )
        counts: dict[str, dict[str | None, int]] = {}
        for stage_id, status, n in (await self._session.execute(query)).all():
            counts.setdefault(stage_id, {})[status] = n
        return counts

    async def _cards(
        self,
        job_id: str,
        stage_ids: Sequence[str],
        statuses: Sequence[EnrolmentStatus],
        per_stage: int,
    ) -> dict[str, list[BoardCard]]:
        """``stage id -> its first cards`` (filtered by status), every stage in one query."""
        if not per_stage or not stage_ids:
            return {}
        range_per_status = len(stage_ids) * len(set(statuses)) <= MAX_INDEX_RANGES
        pages = [
            _page_keys(
                job_id,
                stage_id=stage_id,
                statuses=statuses,
                after=None,
                limit=per_stage,
                range_per_status=range_per_status,
            )
            for stage_id in stage_ids
        ]
        keys = (
            pages[0]
            if len(pages) == 1
            else union_all(*(select(page.c.id) for page in pages)).subquery("cards")
        )
        cards: dict[str, list[BoardCard]] = {}
        for row in (await self._session.execute(_application_rows(keys))).all():
            fields = dict(row._mapping)
            # A card leaves out what its column already says (the stage) and the campaign.
            cards.setdefault(fields.pop("stage_id"), []).append(
                BoardCard(**{k: v for k, v in fields.items() if k != "campaign_id"})
            )
        return cards


async def enrolments_by_status(session: AsyncSession) -> dict[str, int]:
    """How many enrolments are in each status now (the metrics' gauge)."""
    rows = await session.execute(
        select(EnrolmentRow.status, func.count()).group_by(EnrolmentRow.status)
    )
    return {status: count for status, count in rows.all()}
