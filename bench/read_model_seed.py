"""A read model with one big job, fabricated for the views benchmark (``bench.views``).

The real migrations build the schema; the rows are then bulk-inserted directly, bypassing the
product's writers: a job of 100,000 applications through the candidates' workflows would take
hours, and the views read only what the tables hold. This module (the only SQL outside
``store/``) writes nothing the product runs on: each database is the benchmark's own.
"""

from __future__ import annotations

import random
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, make_url, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.campaigns import Campaign, CampaignKind, CampaignModule, ModuleType
from domain.channels import ChannelKind
from domain.jobs import InterviewSettings, JobDefinition, StageDefinition
from domain.statuses import EnrolmentStatus
from store.catalog import Catalog
from store.database import create_engine, session_factory
from store.migrate import upgrade
from store.schema import (
    ApplicationRow,
    CandidateRow,
    EnrolmentModuleRow,
    EnrolmentRow,
)

S = EnrolmentStatus

JOB_ID = "bench-job"
OTHER_JOB_ID = "bench-other-job"
NOW = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)
CHUNK = 5_000

BLAST = Campaign(
    name="Rejection",
    kind=CampaignKind.BLAST,
    channel=ChannelKind.SMS,
    messages=["Thanks for applying; we went with someone else."],
)
SCREENING = Campaign(
    name="Screening",
    kind=CampaignKind.MULTI_MODULE,
    channel=ChannelKind.SMS,
    messages=["Welcome! A few questions for you.", "Thanks, we'll be in touch."],
    modules=[
        CampaignModule(id="m1", name="Experience", type=ModuleType.QUESTION),
        CampaignModule(id="m2", name="Notice period", type=ModuleType.QUESTION),
    ],
)
SCHEDULING = Campaign(
    name="Book your interview",
    kind=CampaignKind.MULTI_MODULE,
    channel=ChannelKind.SMS,
    messages=["Pick a time for your interview."],
    modules=[CampaignModule(id="book", name="Book a slot", type=ModuleType.SCHEDULE)],
)


@dataclass(frozen=True, eq=False)
class BenchStage:
    """A stage of the bench job: its share of applications and the statuses found there."""

    id: str
    name: str
    campaign_id: str | None
    campaign: Campaign | None
    share: float
    statuses: dict[EnrolmentStatus, float]
    auto_match: bool = False


STAGES = [
    BenchStage("applied", "Applied", None, None, 0.30, {}),
    BenchStage(
        "screen",
        "Screen",
        "screening",
        SCREENING,
        0.25,
        {
            S.QUEUED: 0.03,
            S.SENDING: 0.02,
            S.DELIVERED: 0.25,
            S.IN_PROGRESS: 0.25,
            S.COMPLETED: 0.25,
            S.EXPIRED: 0.12,
            S.FAILED: 0.02,
            S.CANCELLED: 0.06,
        },
    ),
    BenchStage(
        "interview",
        "Interview",
        "scheduling",
        SCHEDULING,
        0.10,
        {
            S.AUTO_MATCH: 0.30,
            S.SENDING: 0.05,
            S.DELIVERED: 0.20,
            S.IN_PROGRESS: 0.15,
            S.COMPLETED: 0.25,
            S.CANCELLED: 0.05,
        },
        auto_match=True,
    ),
    BenchStage("offer", "Offer", None, None, 0.05, {}),
    BenchStage(
        "rejected",
        "Rejected",
        "rejection",
        BLAST,
        0.30,
        {S.SENDING: 0.02, S.DELIVERED: 0.93, S.FAILED: 0.03, S.CANCELLED: 0.02},
    ),
]
CAMPAIGNS = {"screening": SCREENING, "scheduling": SCHEDULING, "rejection": BLAST}


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _rows(job_id: str, size: int, seed: int) -> Iterator[tuple[dict[str, Any], ...]]:
    """``(candidate, application, enrolments...)`` rows for ``size`` applications of a job.

    Application ids are shuffled across stages and statuses, as a real job's are. About half
    of the applications past Applied also left an older enrolment behind in an earlier stage.
    """
    rng = random.Random(seed)
    shares = {stage: stage.share for stage in STAGES}
    for n in range(size):
        number = rng.randrange(16**12)
        application_id = f"app-{job_id}-{number:012x}"
        candidate_id = f"cand-{job_id}-{number:012x}"
        stage: BenchStage = _pick(rng, shares)
        at = NOW - timedelta(minutes=size - n)
        enrolments: list[dict[str, Any]] = []
        status: EnrolmentStatus | None = None
        current: str | None = None
        if stage.campaign is not None and stage.campaign_id is not None:
            status = _pick(rng, stage.statuses)
            current = f"enr_{uuid.UUID(int=rng.getrandbits(128)).hex[:24]}"
            enrolments.append(
                _enrolment(
                    current,
                    application_id,
                    candidate_id,
                    job_id,
                    stage.id,
                    stage.campaign_id,
                    status,
                    at,
                )
            )
        if stage.id != "applied" and rng.random() < 0.5:
            enrolments.append(
                _enrolment(
                    f"enr_{uuid.UUID(int=rng.getrandbits(128)).hex[:24]}",
                    application_id,
                    candidate_id,
                    job_id,
                    "screen",
                    "screening",
                    S.COMPLETED,
                    at - timedelta(days=3),
                )
            )
        application = {
            "id": application_id,
            "job_id": job_id,
            "stage_id": stage.id,
            "candidate_id": candidate_id,
            "current_enrolment_id": current,
            # What EnrolmentProjector and Catalog.record_application keep it equal to.
            "status": status.value if status is not None else None,
            "withdrawn": status is S.CANCELLED,
            "event_at": at,
            "updated_at": at,
        }
        yield (_candidate(candidate_id, n, at), application, *enrolments)


def _candidate(candidate_id: str, n: int, at: datetime) -> dict[str, Any]:
    return {
        "id": candidate_id,
        "name": f"Candidate {n}",
        "phone": f"+1415555{n % 10_000:04d}",
        "email": None,
        "timezone": None,
        "updated_at": at,
    }


def _enrolment(
    enrolment_id: str,
    application_id: str,
    candidate_id: str,
    job_id: str,
    stage_id: str,
    campaign_id: str,
    status: EnrolmentStatus,
    at: datetime,
) -> dict[str, Any]:
    return {
        "id": enrolment_id,
        "ats_event_id": f"evt-{enrolment_id}",
        "application_id": application_id,
        "candidate_id": candidate_id,
        "job_id": job_id,
        "stage_id": stage_id,
        "campaign_id": campaign_id,
        "campaign": CAMPAIGNS[campaign_id].model_dump(mode="json"),
        "status": status.value,
        "status_reason": "invalid_phone" if status is S.FAILED else None,
        "seq": 3,
        "created_at": at,
        "updated_at": at + timedelta(minutes=5),
        **_history(CAMPAIGNS[campaign_id], status, at),
        "expires_at": None,
    }


#: Where a bench enrolment row carries its module progress until it is loaded.
MODULES_KEY = "_modules"

#: The statuses an enrolment went through to reach each one (what analytics reads).
PATHS = {
    S.SENDING: [S.SENDING],
    S.QUEUED: [S.QUEUED],
    S.AUTO_MATCH: [S.AUTO_MATCH],
    S.DELIVERED: [S.SENDING, S.DELIVERED],
    S.IN_PROGRESS: [S.SENDING, S.DELIVERED, S.IN_PROGRESS],
    S.COMPLETED: [S.SENDING, S.DELIVERED, S.IN_PROGRESS, S.COMPLETED],
    S.EXPIRED: [S.SENDING, S.DELIVERED, S.EXPIRED],
    S.FAILED: [S.SENDING, S.FAILED],
    S.CANCELLED: [S.QUEUED, S.CANCELLED],
}


def _history(campaign: Campaign, status: EnrolmentStatus, at: datetime) -> dict[str, Any]:
    """``status_times``, ``delivered_at`` and ``modules`` of an enrolment now in ``status``."""
    times = {s.value: at + timedelta(minutes=3 * n) for n, s in enumerate(PATHS[status])}
    modules: dict[str, bool] = {}
    if status is S.IN_PROGRESS and campaign.modules:
        modules[campaign.modules[0].id] = False
    elif status is S.COMPLETED:
        modules = {m.id: True for m in campaign.modules}
    delivered = times.get(S.DELIVERED.value)
    completed = times.get(S.COMPLETED.value)
    return {
        "status_times": {name: t.isoformat() for name, t in times.items()},
        "delivered_at": delivered,
        "started_at": times.get(S.IN_PROGRESS.value),
        "completed_at": completed,
        "seconds_to_deliver": (delivered - at).total_seconds() if delivered else None,
        "seconds_to_complete": (completed - at).total_seconds() if completed else None,
        MODULES_KEY: modules,
    }


async def configure(engine: AsyncEngine) -> None:
    """The campaigns and the two jobs, through the catalog the API writes them with."""
    async with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        for campaign_id, campaign in CAMPAIGNS.items():
            await catalog.save_campaign(campaign_id, campaign, NOW)
        for job_id in (JOB_ID, OTHER_JOB_ID):
            await catalog.save_job(
                job_id,
                JobDefinition(
                    name=f"Job {job_id}",
                    stages=[
                        StageDefinition(
                            id=stage.id,
                            name=stage.name,
                            campaign_id=stage.campaign_id,
                            interview_settings=(
                                InterviewSettings(auto_match=True) if stage.auto_match else None
                            ),
                        )
                        for stage in STAGES
                    ],
                ),
                NOW,
            )


async def load(engine: AsyncEngine, job_id: str, size: int, seed: int) -> list[str]:
    """Bulk-insert ``size`` applications of ``job_id``; returns their ids."""
    tables: dict[str, Table] = {
        "candidates": cast(Table, CandidateRow.__table__),
        "applications": cast(Table, ApplicationRow.__table__),
        "enrolments": cast(Table, EnrolmentRow.__table__),
        "enrolment_modules": cast(Table, EnrolmentModuleRow.__table__),
    }
    batches: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    ids: list[str] = []

    async def flush(connection: Any, force: bool) -> None:
        for name, table in tables.items():
            if batches[name] and (force or len(batches[name]) >= CHUNK):
                await connection.execute(insert(table), batches[name])
                batches[name] = []

    async with engine.begin() as connection:
        for candidate, application, *enrolments in _rows(job_id, size, seed):
            ids.append(application["id"])
            batches["candidates"].append(candidate)
            batches["applications"].append(application)
            for enrolment in enrolments:
                for module_id, completed in enrolment.pop(MODULES_KEY).items():
                    batches["enrolment_modules"].append(
                        {
                            "enrolment_id": enrolment["id"],
                            "module_id": module_id,
                            "campaign_id": enrolment["campaign_id"],
                            "job_id": enrolment["job_id"],
                            "created_at": enrolment["created_at"],
                            "completed": completed,
                        }
                    )
            batches["enrolments"].extend(enrolments)
            await flush(connection, force=False)
        await flush(connection, force=True)
    return ids


# -- the databases -----------------------------------------------------------------------------


@asynccontextmanager
async def scratch_database(kind: str, postgres_url: str) -> AsyncIterator[str]:
    """A migrated, empty read model of ``kind``; removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-views-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'read-model.db'}"
            await upgrade(url)
            yield url
        return
    admin = create_engine(postgres_url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"enrolments_bench_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        await upgrade(url)
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def settle(engine: AsyncEngine) -> None:
    """What the database does on its own after a bulk load (PostgreSQL: autovacuum)."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM (ANALYZE) applications"))
        await autocommit.execute(text("VACUUM (ANALYZE) enrolments"))
        await autocommit.execute(text("VACUUM (ANALYZE) candidates"))


async def churn(engine: AsyncEngine, ids: Sequence[str], seed: int) -> None:
    """Move 10 % of the applications to another status, as projections do all day."""
    rng = random.Random(seed)
    moved = rng.sample(list(ids), len(ids) // 10)
    async with engine.begin() as connection:
        for start in range(0, len(moved), CHUNK):
            chunk = moved[start : start + CHUNK]
            await connection.execute(
                update(ApplicationRow)
                .where(ApplicationRow.id.in_(chunk), ApplicationRow.status.is_not(None))
                .values(status=S.DELIVERED.value)
            )
