"""Views benchmark: the Table page and the Kanban board of a job with many applications.

For each database (SQLite file, PostgreSQL) and each size, builds a migrated read model (the
real Alembic migrations), bulk-inserts one job with N applications spread over its stages and
statuses (plus another job a quarter its size, so the views must pick their job out), then
times the code the API runs: ``store.views.RecruiterViews`` on a fresh session per call, and
``GET /jobs/{id}/applications`` / ``GET /jobs/{id}/board`` through the real ASGI app (routing,
validation, serialisation), and the analytics (``store.analytics.Analytics``, and
``GET /jobs/{id}/analytics``). Prints p50/p95/p99 per (database, size, view) and PASS/FAIL
against the targets: a Table page p95 <= 50 ms, the board and the analytics p95 <= 150 ms.

    python -m bench.views --sizes 10000 100000 --databases sqlite postgres --repeat 200

PostgreSQL: a database of its own on the server (``--postgres-url``, the maintenance
database), dropped at the end. After the bulk load it is VACUUM ANALYZEd, as autovacuum would
do after so many inserts; the ``*_after_churn`` rows then move 10 % of the applications to
another status with no vacuum since, as a busy day of projections leaves the table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import Table, insert, make_url, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import create_app
from bench.stack import BENCH_ADMIN_KEY, BENCH_HEADERS, load_average, machine
from config.settings import Settings
from domain.campaigns import Campaign, CampaignKind, CampaignModule, ChannelKind, ModuleType
from domain.jobs import InterviewSettings, JobDefinition, StageDefinition
from domain.statuses import EnrolmentStatus
from store.analytics import Analytics
from store.catalog import Catalog
from store.database import create_engine, session_factory
from store.migrate import upgrade
from store.schema import (
    ApplicationRow,
    CandidateRow,
    EnrolmentModuleRow,
    EnrolmentRow,
    StageRow,
)
from store.views import RecruiterViews

S = EnrolmentStatus

#: p95 targets of issue 4, milliseconds.
TABLE_TARGET_MS = 50.0
BOARD_TARGET_MS = 150.0
#: p95 target of issue 15: a campaign's or a job's funnel at 100k enrolments.
ANALYTICS_TARGET_MS = 150.0

DEFAULT_POSTGRES_URL = os.environ.get(
    "ENROLMENTS_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
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


@dataclass(frozen=True)
class View:
    """One timed call: what the API would run for one recruiter request."""

    name: str
    target_ms: float
    run: Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Result:
    database: str
    size: int
    view: str
    target_ms: float
    p50: float
    p95: float
    p99: float

    @property
    def passed(self) -> bool:
        return self.p95 <= self.target_ms


# -- the data ----------------------------------------------------------------------------------


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
        candidate = {
            "id": candidate_id,
            "name": f"Candidate {n}",
            "phone": f"+1415555{n % 10_000:04d}",
            "email": None,
            "timezone": None,
            "updated_at": at,
        }
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
        yield (candidate, application, *enrolments)


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


async def _configure(engine: AsyncEngine) -> None:
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


async def _load(engine: AsyncEngine, job_id: str, size: int, seed: int) -> list[str]:
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
async def _database(kind: str, postgres_url: str) -> AsyncIterator[str]:
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


async def _settle(engine: AsyncEngine) -> None:
    """What the database does on its own after a bulk load (PostgreSQL: autovacuum)."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM (ANALYZE) applications"))
        await autocommit.execute(text("VACUUM (ANALYZE) enrolments"))
        await autocommit.execute(text("VACUUM (ANALYZE) candidates"))


async def _churn(engine: AsyncEngine, ids: Sequence[str], seed: int) -> None:
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


# -- timing ------------------------------------------------------------------------------------


def _views(
    sessions: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    stages: Sequence[StageRow],
    ids: Sequence[str],
    rng: random.Random,
) -> list[View]:
    def table(**filters: Any) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            async with sessions() as session:
                return await RecruiterViews(session).applications(JOB_ID, **filters)

        return run

    async def table_from_cursor() -> object:
        after = rng.choice(ids)
        async with sessions() as session:
            return await RecruiterViews(session).applications(JOB_ID, after=after)

    def board(**options: Any) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            async with sessions() as session:
                return await RecruiterViews(session).board(JOB_ID, stages, **options)

        return run

    def funnel(**scope: Any) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            return await Analytics(sessions).funnel(**scope)

        return run

    def http_get(
        path: str, params: dict[str, Any] | None = None
    ) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            response = await http.get(path, params=params)
            response.raise_for_status()
            return response.json()

        return run

    return [
        View("table_first_page", TABLE_TARGET_MS, table()),
        View("table_page_at_random_cursor", TABLE_TARGET_MS, table_from_cursor),
        View("table_status_delivered", TABLE_TARGET_MS, table(statuses=[S.DELIVERED])),
        View("table_status_failed_rare", TABLE_TARGET_MS, table(statuses=[S.FAILED])),
        View(
            "table_three_statuses",
            TABLE_TARGET_MS,
            table(statuses=[S.SENDING, S.QUEUED, S.AUTO_MATCH]),
        ),
        View(
            "table_stage_and_status",
            TABLE_TARGET_MS,
            table(stage_id="screen", statuses=[S.IN_PROGRESS]),
        ),
        View("table_page_of_500", TABLE_TARGET_MS, table(limit=500)),
        View("board", BOARD_TARGET_MS, board()),
        View("board_status_delivered", BOARD_TARGET_MS, board(statuses=[S.DELIVERED])),
        View("board_counts_only", BOARD_TARGET_MS, board(cards_per_column=0)),
        View("http_table", TABLE_TARGET_MS, http_get(f"/jobs/{JOB_ID}/applications")),
        View(
            "http_table_status",
            TABLE_TARGET_MS,
            http_get(f"/jobs/{JOB_ID}/applications", {"status": "completed"}),
        ),
        View("http_board", BOARD_TARGET_MS, http_get(f"/jobs/{JOB_ID}/board")),
        View("analytics_campaign", ANALYTICS_TARGET_MS, funnel(campaign_id="screening")),
        View("analytics_job", ANALYTICS_TARGET_MS, funnel(job_id=JOB_ID)),
        View(
            "analytics_job_last_week",
            ANALYTICS_TARGET_MS,
            funnel(job_id=JOB_ID, since=NOW - timedelta(days=7)),
        ),
        View(
            "http_analytics_job",
            ANALYTICS_TARGET_MS,
            http_get(f"/jobs/{JOB_ID}/analytics"),
        ),
    ]


async def _time(view: View, repeat: int, warmup: int) -> tuple[float, float, float]:
    for _ in range(warmup):
        await view.run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await view.run()
        samples.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), cuts[94], cuts[98]


async def bench(
    database: str, size: int, repeat: int, warmup: int, postgres_url: str, seed: int
) -> list[Result]:
    """Build a job of ``size`` applications on ``database`` and time every view."""
    results: list[Result] = []
    async with _database(database, postgres_url) as url:
        engine = create_engine(url)
        try:
            started = time.perf_counter()
            await _configure(engine)
            ids = await _load(engine, JOB_ID, size, seed)
            await _load(engine, OTHER_JOB_ID, size // 4, seed + 1)
            await _settle(engine)
            print(
                f"# {database} {size}: loaded {size + size // 4} applications "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            sessions = session_factory(engine)
            async with sessions() as session:
                stages = await Catalog(session).stages(JOB_ID)
            # The view routes never reach Temporal: the app gets no client.
            settings = Settings(database_url=url, bootstrap_admin_key=BENCH_ADMIN_KEY)
            app = create_app(settings, cast(Client, None), engine=engine)
            rng = random.Random(seed)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://bench",
                headers=BENCH_HEADERS,
            ) as http:
                views = _views(sessions, http, stages, ids, rng)
                for view in views:
                    p50, p95, p99 = await _time(view, repeat, warmup)
                    results.append(Result(database, size, view.name, view.target_ms, p50, p95, p99))
                    _print(results[-1])
                await _churn(engine, ids, seed)
                for view in views:
                    if view.name in {"board", "table_status_delivered", "http_board"}:
                        p50, p95, p99 = await _time(view, repeat, warmup)
                        name = f"{view.name}_after_churn"
                        results.append(Result(database, size, name, view.target_ms, p50, p95, p99))
                        _print(results[-1])
        finally:
            await engine.dispose()
    return results


HEADER = f"{'database':<10} {'size':>7}  {'view':<36} {'p50':>7} {'p95':>7} {'p99':>7}  target"


def _print(result: Result) -> None:
    verdict = "PASS" if result.passed else "FAIL"
    print(
        f"{result.database:<10} {result.size:>7}  {result.view:<36} "
        f"{result.p50:>7.1f} {result.p95:>7.1f} {result.p99:>7.1f}  "
        f"p95<={result.target_ms:.0f} {verdict}",
        flush=True,
    )


async def run(args: argparse.Namespace) -> int:
    print(f"# {machine()}, load average {load_average()}")
    print(f"# ms per call; {args.repeat} calls per view after {args.warmup} warm-up calls")
    print(HEADER, flush=True)
    results: list[Result] = []
    for database in args.databases:
        for size in args.sizes:
            results.extend(
                await bench(database, size, args.repeat, args.warmup, args.postgres_url, args.seed)
            )
    failed = [r for r in results if not r.passed]
    print(f"# load average at the end: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    print(
        f"# {len(results) - len(failed)}/{len(results)} PASS"
        + (
            ""
            if not failed
            else "; FAIL: " + ", ".join(f"{r.database}/{r.size}/{r.view}" for r in failed)
        )
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.views [--sizes N ...] [--databases sqlite postgres] [--repeat N]``."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--databases", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per view")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls per view first")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="the server's maintenance database (a bench database is created next to it)",
    )
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
