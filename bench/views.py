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
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import create_app
from bench.measure import load_average, machine
from bench.read_model_seed import (
    JOB_ID,
    NOW,
    OTHER_JOB_ID,
    churn,
    configure,
    load,
    scratch_database,
    settle,
)
from bench.stack import BENCH_ADMIN_KEY, BENCH_HEADERS
from config.settings import Settings
from domain.statuses import EnrolmentStatus
from store.analytics import Analytics
from store.catalog import Catalog
from store.database import create_engine, session_factory
from store.schema import (
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


# -- timing ------------------------------------------------------------------------------------


# long: one line per timed view, so what the benchmark times reads in one place.
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
    async with scratch_database(database, postgres_url) as url:
        engine = create_engine(url)
        try:
            started = time.perf_counter()
            await configure(engine)
            ids = await load(engine, JOB_ID, size, seed)
            await load(engine, OTHER_JOB_ID, size // 4, seed + 1)
            await settle(engine)
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
                await churn(engine, ids, seed)
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
