"""The Table and the board read each application once, in order, whatever the filters."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.jobs import JobDefinition, StageDefinition
from domain.statuses import EnrolmentStatus
from store import views
from store.catalog import Catalog
from store.schema import ApplicationRow, CandidateRow, EnrolmentRow, StageRow
from store.views import RecruiterViews
from tests.store.factories import REJECTION, START

Sessions = async_sessionmaker[AsyncSession]
S = EnrolmentStatus

JOB = "job-views"
STAGES = ["applied", "screen", "rejected"]


@dataclass(frozen=True)
class Application:
    id: str
    stage_id: str
    status: EnrolmentStatus | None


async def a_busy_job(sessions: Sessions, size: int = 240) -> list[Application]:
    """A job whose applications sit in every stage and status, plus another job's."""
    rng = random.Random(7)
    async with sessions.begin() as session:
        catalog = Catalog(session)
        await catalog.save_campaign("rejection", REJECTION, START)
        for job in (JOB, "job-elsewhere"):
            await catalog.save_job(
                job,
                JobDefinition(
                    name=job,
                    stages=[
                        StageDefinition(id=stage, name=stage.title(), campaign_id=None)
                        for stage in STAGES
                    ],
                ),
                START,
            )
    mine: list[Application] = []
    rows: dict[str, list[dict[str, object]]] = {"app": [], "enr": [], "cand": []}
    for n in range(size + size // 3):
        job = JOB if n < size else "job-elsewhere"
        stage = rng.choice(STAGES)
        status = None if stage == "applied" else rng.choice(list(S))
        app_id = f"app-{rng.randrange(16**8):08x}-{n}"
        enrolment = f"enr_{n:024d}" if status is not None else None
        at = START + timedelta(minutes=n)
        rows["cand"].append(
            {
                "id": f"cand-{n}",
                "name": f"Candidate {n}",
                "phone": None,
                "email": None,
                "timezone": None,
                "updated_at": at,
            }
        )
        rows["app"].append(
            {
                "id": app_id,
                "job_id": job,
                "stage_id": stage,
                "candidate_id": f"cand-{n}",
                "current_enrolment_id": enrolment,
                "status": status,
                "withdrawn": False,
                "event_at": at,
                "updated_at": at,
            }
        )
        if status is not None:
            rows["enr"].append(
                {
                    "id": enrolment,
                    "ats_event_id": f"evt-{n}",
                    "application_id": app_id,
                    "candidate_id": f"cand-{n}",
                    "job_id": job,
                    "stage_id": stage,
                    "campaign_id": "rejection",
                    "campaign": REJECTION.model_dump(mode="json"),
                    "status": status.value,
                    "status_reason": None,
                    "seq": 2,
                    "created_at": at,
                    "updated_at": at,
                    "status_times": {},
                    "delivered_at": None,
                    "expires_at": None,
                }
            )
        if job == JOB:
            mine.append(Application(app_id, stage, status))
    async with sessions.begin() as session:
        await session.execute(insert(CandidateRow), rows["cand"])
        await session.execute(insert(ApplicationRow), rows["app"])
        await session.execute(insert(EnrolmentRow), rows["enr"])
    return sorted(mine, key=lambda a: a.id)


async def every_page(
    sessions: Sessions,
    *,
    statuses: Sequence[EnrolmentStatus] = (),
    stage_id: str | None = None,
    limit: int = 7,
) -> list[tuple[str, str, str | None]]:
    """Every item of the Table, following ``next_after`` to the end."""
    seen: list[tuple[str, str, str | None]] = []
    after = None
    while True:
        async with sessions() as session:
            page = await RecruiterViews(session).applications(
                JOB, statuses=statuses, stage_id=stage_id, limit=limit, after=after
            )
        assert len(page.items) <= limit
        seen.extend(
            (item.application_id, item.stage_id, item.status.value if item.status else None)
            for item in page.items
        )
        if page.next_after is None:
            return seen
        after = page.next_after


def expected(
    applications: Sequence[Application],
    statuses: Sequence[EnrolmentStatus] = (),
    stage_id: str | None = None,
) -> list[tuple[str, str, str | None]]:
    return [
        (a.id, a.stage_id, a.status.value if a.status else None)
        for a in applications
        if (not statuses or a.status in statuses) and (stage_id is None or a.stage_id == stage_id)
    ]


@pytest.mark.parametrize(
    ("statuses", "stage_id"),
    [
        pytest.param((), None, id="everything"),
        pytest.param((S.DELIVERED,), None, id="one-status"),
        pytest.param((S.FAILED, S.QUEUED, S.COMPLETED), None, id="three-statuses"),
        pytest.param((S.FAILED, S.FAILED), None, id="a-status-twice"),
        pytest.param((), "screen", id="one-stage"),
        pytest.param((S.SENDING, S.IN_PROGRESS), "rejected", id="stage-and-statuses"),
    ],
)
async def test_the_table_pages_through_each_matching_application_once_in_order(
    db_sessions: Sessions, statuses: tuple[EnrolmentStatus, ...], stage_id: str | None
) -> None:
    applications = await a_busy_job(db_sessions)

    seen = await every_page(db_sessions, statuses=statuses, stage_id=stage_id)

    assert seen == expected(applications, statuses, stage_id)
    assert seen, "the job should have applications matching every filter tried"


async def test_the_table_rows_carry_the_enrolment_and_the_candidate(
    db_sessions: Sessions,
) -> None:
    applications = await a_busy_job(db_sessions, size=30)
    enrolled = next(a for a in applications if a.status is not None)

    async with db_sessions() as session:
        page = await RecruiterViews(session).applications(JOB, limit=500)

    item = next(i for i in page.items if i.application_id == enrolled.id)
    assert item.status is enrolled.status
    assert item.enrolment_id is not None and item.campaign_id == "rejection"
    assert item.candidate_name is not None and item.candidate_name.startswith("Candidate ")
    assert page.next_after is None


async def test_the_board_counts_every_application_and_shows_the_first_cards_of_each_stage(
    db_sessions: Sessions,
) -> None:
    applications = await a_busy_job(db_sessions)
    async with db_sessions() as session:
        stages: list[StageRow] = await Catalog(session).stages(JOB)
        board = await RecruiterViews(session).board(JOB, stages, cards_per_column=5)

    assert [column.stage_id for column in board.columns] == STAGES
    for column in board.columns:
        in_stage = [a for a in applications if a.stage_id == column.stage_id]
        assert column.total == len(in_stage)
        assert column.counts == dict(
            Counter(a.status.value for a in in_stage if a.status is not None)
        )
        assert [card.application_id for card in column.cards] == [a.id for a in in_stage[:5]]
    assert board.total == len(applications)


@pytest.mark.parametrize(
    "index_ranges",
    [
        pytest.param(views.MAX_INDEX_RANGES, id="a-range-per-stage-and-status"),
        # What a job of many stages gets: one read per stage, its statuses in one IN list.
        pytest.param(1, id="a-range-per-stage"),
    ],
)
async def test_a_filtered_board_shows_matching_cards_and_counts_everything(
    db_sessions: Sessions, monkeypatch: pytest.MonkeyPatch, index_ranges: int
) -> None:
    monkeypatch.setattr(views, "MAX_INDEX_RANGES", index_ranges)
    applications = await a_busy_job(db_sessions)
    wanted = (S.DELIVERED, S.CANCELLED)
    async with db_sessions() as session:
        stages = await Catalog(session).stages(JOB)
        board = await RecruiterViews(session).board(
            JOB, stages, statuses=wanted, cards_per_column=4
        )

    for column in board.columns:
        matching = [
            a.id for a in applications if a.stage_id == column.stage_id and a.status in wanted
        ]
        assert [card.application_id for card in column.cards] == matching[:4]
        assert column.total == sum(1 for a in applications if a.stage_id == column.stage_id)


async def test_a_board_of_counts_only_loads_no_card(db_sessions: Sessions) -> None:
    applications = await a_busy_job(db_sessions, size=40)
    async with db_sessions() as session:
        stages = await Catalog(session).stages(JOB)
        board = await RecruiterViews(session).board(JOB, stages, cards_per_column=0)

    assert all(column.cards == [] for column in board.columns)
    assert board.total == len(applications)
