"""Latency from an accepted ATS event to ``delivered`` in the Table view, under steady load.

An open loop sends ATS events (each a new candidate entering a stage linked to a blast) at a
fixed rate, half the measured maximum unless ``--rate`` is given: a send never waits for an
earlier one, as an ATS pushing events would not. A poller reads the Table view JSON,
``GET /jobs/{job}/applications?status=delivered``, from just before the oldest application not
yet seen (application ids sort in the order they are sent, so one page covers every event in
flight) and notes when each application first shows up as ``delivered``. Percentiles of
202 -> visible are printed against the target (p99 <= 1 s), with send -> 202 and send -> visible.

    python -m bench.latency                  # measure the maximum, then run at half of it
    python -m bench.latency --rate 8 --duration 120
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import httpx

from api.cursors import encode_cursor
from bench.load import (
    Application,
    Posted,
    applications,
    configure_company,
    http_client,
    post_all,
    post_event,
    wait_for_status,
)
from bench.measure import CpuMeter, exit_with_verdict, load_average, machine, percentile, verdict
from bench.stack import BenchStack, run_id, stack_parser
from store.views import MAX_PAGE_SIZE

TARGET_P99_S = 1.0
JOB = "bench-latency"


def _just_before(application_id: str) -> str:
    """A key that sorts right before ``application_id`` and after every smaller bench id."""
    return application_id[:-1] + chr(ord(application_id[-1]) - 1)


class TableWatcher:
    """Polls the Table view for ``delivered`` and notes when each application first shows."""

    def __init__(self, http: httpx.AsyncClient, job_id: str, interval: float) -> None:
        self._http = http
        self._job_id = job_id
        self._interval = interval
        self._waiting: set[str] = set()
        self.seen: dict[str, float] = {}
        self.polls = 0

    def expect(self, application_id: str) -> None:
        """Watch for ``application_id`` (call before its event is sent)."""
        self._waiting.add(application_id)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            began = time.monotonic()
            if self._waiting:
                await self._poll()
            await asyncio.sleep(max(0.0, self._interval - (time.monotonic() - began)))

    async def _poll(self) -> None:
        oldest, newest = min(self._waiting), max(self._waiting)
        cursor: str | None = encode_cursor(_just_before(oldest))
        while cursor is not None:
            response = await self._http.get(
                f"/jobs/{self._job_id}/applications",
                params={"status": "delivered", "limit": MAX_PAGE_SIZE, "cursor": cursor},
            )
            response.raise_for_status()
            # The moment the answer is in hand: the latest a recruiter could have seen it.
            at = time.monotonic()
            self.polls += 1
            page = response.json()
            for item in page["items"]:
                app = item["application_id"]
                if app in self._waiting:
                    self._waiting.discard(app)
                    self.seen[app] = at
            items = page["items"]
            cursor = page["next_cursor"]
            if not items or items[-1]["application_id"] >= newest:
                cursor = None


async def open_loop(
    http: httpx.AsyncClient,
    apps: Sequence[Application],
    rate: float,
    watcher: TableWatcher,
) -> tuple[list[Posted], list[float]]:
    """Send ``apps`` at ``rate`` per second on a fixed schedule; return them and the lags."""
    tasks: list[asyncio.Task[Posted]] = []
    lags: list[float] = []
    began = time.monotonic()
    for n, app in enumerate(apps):
        due = began + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(time.monotonic() - due)
        watcher.expect(app.application_id)
        tasks.append(asyncio.create_task(post_event(http, app)))
    return list(await asyncio.gather(*tasks)), lags


def _line(label: str, values_s: Sequence[float]) -> str:
    p50, p95, p99 = (1000 * percentile(values_s, q) for q in (50, 95, 99))
    return f"    {label:<34} p50 {p50:6.0f} ms  p95 {p95:6.0f} ms  p99 {p99:6.0f} ms"


def status_times(read_model: Path, job_id: str) -> dict[str, dict[str, float]]:
    """``application id -> status -> when the workflow recorded it`` (Unix seconds)."""
    with contextlib.closing(sqlite3.connect(read_model, timeout=30)) as db:
        rows = db.execute(
            "SELECT application_id, status_times FROM enrolments WHERE job_id = ?", (job_id,)
        ).fetchall()
    return {
        app: {
            status: datetime.fromisoformat(at).timestamp() for status, at in json.loads(raw).items()
        }
        for app, raw in rows
    }


def breakdown(
    posted: Sequence[Posted], seen: dict[str, float], times: dict[str, dict[str, float]]
) -> list[str]:
    """Where the time of send -> visible goes, by the workflow's own timestamps.

    Monotonic times are turned into wall-clock ones with one offset; the workflow's times
    are the Temporal server's clock (same machine).
    """
    offset = time.time() - time.monotonic()
    to_sending: list[float] = []
    to_delivered: list[float] = []
    to_visible: list[float] = []
    for p in posted:
        app = p.application.application_id
        recorded = times.get(app, {})
        if app not in seen or "sending" not in recorded or "delivered" not in recorded:
            continue
        to_sending.append(recorded["sending"] - (p.sent + offset))
        to_delivered.append(recorded["delivered"] - recorded["sending"])
        to_visible.append(seen[app] + offset - recorded["delivered"])
    return [
        _line("  POST sent -> workflow enrolled", to_sending),
        _line("  enrolled -> delivered (workflow)", to_delivered),
        _line("  delivered -> seen in the Table", to_visible),
    ]


async def probe_maximum(stack: BenchStack, events: int, concurrency: int) -> float:
    """The closed-loop maximum in blasts per second (as ``bench.throughput`` measures it)."""
    run = f"{run_id()}p"
    apps = applications(run, "bench-probe", events, 1)
    async with http_client(stack.api_url, concurrency) as http:
        began = time.monotonic()
        await post_all(http, apps, concurrency)
        done = await wait_for_status(stack, "bench-probe", "delivered", len(apps), within=600)
    return len(apps) / (done - began)


async def measure(args: argparse.Namespace) -> bool:
    """Run the open loop and print the percentiles; ``True`` if the target is met."""
    print(f"machine: {machine()}")
    async with BenchStack(args.stack, delivery_rate=args.delivery_rate, keep=args.keep) as stack:
        async with http_client(stack.api_url, 4) as http:
            await configure_company(http, JOB, "bench-probe", "bench-warm-up")
        warm = applications(f"{run_id()}w", "bench-warm-up", args.warm_up, 1)
        async with http_client(stack.api_url, 8) as http:
            await post_all(http, warm, 8)
        await wait_for_status(stack, "bench-warm-up", "delivered", len(warm), within=120)

        rate = await _rate(stack, args)
        count = max(1, math.ceil(rate * args.duration))
        apps = applications(run_id(), JOB, count, 1)
        print(
            f"  open loop: {count} events over {args.duration:.0f} s (one new candidate each, "
            f"stack={args.stack}), first {args.skip:.0f} s not counted; Table view polled every "
            f"{1000 * args.poll:.0f} ms; delivery rate limit {args.delivery_rate:g}/s"
        )
        meter = CpuMeter(stack.process_ids())
        load = load_average()
        async with http_client(stack.api_url, 256) as http:
            watcher = TableWatcher(http, JOB, args.poll)
            watching = asyncio.create_task(watcher.run())
            meter.start()
            try:
                posted, lags = await open_loop(http, apps, rate, watcher)
                deadline = time.monotonic() + args.drain
                while watcher.waiting and time.monotonic() < deadline:
                    stack.check_alive()
                    await asyncio.sleep(0.1)
            finally:
                meter.stop()
                watching.cancel()
        print(f"  load avg before: {load}; after: {load_average()}")
        times = await asyncio.to_thread(status_times, stack.read_model, JOB)
    return _report(args, posted, lags, watcher, meter, times)


async def _rate(stack: BenchStack, args: argparse.Namespace) -> float:
    """The events per second to run at: the given rate, else half the measured maximum."""
    if args.rate is not None:
        print(f"latency: running at the given {args.rate:.1f} events/s")
        return float(args.rate)
    load = load_average()
    maximum = await probe_maximum(stack, args.probe_events, args.concurrency)
    rate = maximum / 2
    print(
        f"latency: measured maximum {maximum:.1f} blasts/s ({args.probe_events} events, "
        f"{args.concurrency} in flight, load avg before: {load}); running at half: "
        f"{rate:.1f} events/s"
    )
    return rate


def _report(
    args: argparse.Namespace,
    posted: list[Posted],
    lags: list[float],
    watcher: TableWatcher,
    meter: CpuMeter,
    times: dict[str, dict[str, float]],
) -> bool:
    """Print what the open loop saw; ``True`` when the target is met."""
    began = min(p.sent for p in posted)
    counted = [p for p in posted if p.sent - began >= args.skip]
    missing = [p for p in counted if p.application.application_id not in watcher.seen]
    visible = {p.application.application_id: watcher.seen.get(p.application.application_id)
               for p in counted}  # fmt: skip
    to_accept = [p.accepted - p.sent for p in counted]
    # Delivery can be projected before the API has written its 202: that counts as 0.
    accepted_to_visible = [
        max(0.0, seen - p.accepted)
        for p in counted
        if (seen := visible[p.application.application_id]) is not None
    ]
    sent_to_visible = [
        seen - p.sent
        for p in counted
        if (seen := visible[p.application.application_id]) is not None
    ]
    print(
        f"  sender kept its schedule: lag p99 {1000 * percentile(lags, 99):.0f} ms, "
        f"max {1000 * max(lags):.0f} ms; {watcher.polls} Table polls"
    )
    print(_line("POST /ats/events -> 202", to_accept))
    print(_line("202 -> delivered in the Table view", accepted_to_visible))
    print(_line("POST sent -> delivered in the Table", sent_to_visible))
    print("    of which (by the workflow's timestamps):")
    for line in breakdown(counted, watcher.seen, times):
        print(line)
    print("    CPU during the run:")
    print(meter.report(len(posted), "event"))
    p99 = percentile(accepted_to_visible, 99)
    passed = not missing and p99 <= TARGET_P99_S
    if missing:
        print(f"  {len(missing)} events never showed as delivered within {args.drain:.0f} s")
    print(
        f"  p99 202 -> delivered {1000 * p99:.0f} ms (target <= {1000 * TARGET_P99_S:.0f} ms) "
        f"over {len(accepted_to_visible)} events: {verdict(passed)}"
    )
    return passed


def build_parser() -> argparse.ArgumentParser:
    parser = stack_parser("bench.latency", __doc__)
    parser.add_argument("--rate", type=float, help="events per second (default: half the max)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--skip", type=float, default=5.0, help="first seconds not counted")
    parser.add_argument("--poll", type=float, default=0.05, help="Table poll interval (s)")
    parser.add_argument("--drain", type=float, default=60.0, help="wait after the last send")
    parser.add_argument("--probe-events", type=int, default=300, help="events to find the max")
    parser.add_argument("--concurrency", type=int, default=32, help="in flight for the probe")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Exit 0 when the target is met, 1 when it is missed (the figures are printed either way)."""
    exit_with_verdict(measure(build_parser().parse_args(argv)))


if __name__ == "__main__":
    main()
