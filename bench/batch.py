"""A bulk move of 10,000 applications through ``POST /ats/events/batch``, next to single events.

On one stack (``split`` by default, so the worker's memory is its own process's), three timed
phases: single events through ``POST /ats/events`` as ``bench.throughput`` sends them (32 in
flight), then the bulk move through the batch endpoint (1,000 events per request, one request
at a time, as ``enrolments import`` sends them), then single events again. Each phase's clock
stops when every blast is ``delivered`` in the read model. The single-event rate is taken over
both single phases (before and after), so a slow minute of a shared machine weighs on both
sides. The worker's resident memory is sampled throughout the bulk move.

Targets (issue 12): blasts per second through the batch endpoint at least 0.9 x through single
events; the worker's memory flat: its peak over the second half of the bulk move at most 10 %
above its peak over the first half.

An event the batch answers with an outage error (``temporal_unavailable``,
``database_unavailable``, ``enrolment_timeout``) is sent again in a later batch with the same id,
as an ATS would.

    python -m bench.batch                                   # 10,000 candidates x 1
    python -m bench.batch --candidates 500 --single 400     # a quick look

The single events have the bulk move's shape (M applications per candidate, round-robin), so
both sides meet the same workflows: with 5,000 candidates x 2, the bulk move's second round
reaches workflows long evicted from the worker's cache (750) and replays their histories,
which the single phases' 500 candidates never do.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.load import (
    Application,
    applications,
    configure_company,
    http_client,
    post_all,
    wait_for_status,
)
from bench.measure import exit_with_verdict, load_average, machine, verdict
from bench.scale import RssSampler, rss_timeline
from bench.stack import BenchStack, add_burst_options, run_id, stack_parser

#: Blasts per second through the batch endpoint over blasts per second through single events.
TARGET_RATIO = 0.9
#: The worker's peak memory in the bulk move's second half over its peak in the first half.
TARGET_MEMORY_GROWTH = 1.10
#: The batch endpoint's largest batch.
BATCH_SIZE = 1000
#: Result errors that say "not applied, send again" (the 503s of ``POST /ats/events``).
RETRYABLE = {"temporal_unavailable", "database_unavailable", "enrolment_timeout"}
#: How many times one event is sent before the run gives up on it.
MAX_ATTEMPTS = 10


@dataclass
class Phase:
    """One timed burst: how many blasts, how long until the last was delivered."""

    name: str
    blasts: int
    seconds: float
    accepted_after: float
    retried: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.blasts / self.seconds

    def line(self) -> str:
        retried = ", ".join(f"{n} x {code}" for code, n in self.retried.most_common()) or "none"
        return (
            f"  {self.name}: {self.blasts} blasts delivered in {self.seconds:.1f} s -> "
            f"{self.rate:.2f} blasts/s (all accepted after {self.accepted_after:.1f} s; "
            f"re-sent: {retried})"
        )


async def _send_batch(
    http: httpx.AsyncClient, chunk: list[dict[str, object]], limit: asyncio.Semaphore
) -> list[tuple[dict[str, object], str]]:
    """One batch request; the events refused for an outage, with their error code."""
    async with limit:
        response = await http.post("/ats/events/batch", json={"events": chunk})
    if response.status_code != 202:
        raise RuntimeError(f"batch refused: {response.status_code} {response.text[:300]}")
    refused = []
    for event, result in zip(chunk, response.json()["results"], strict=True):
        error = result["error"]
        if error is None:
            continue
        if error["code"] not in RETRYABLE:
            raise RuntimeError(f"event {event['id']} refused: {error}")
        refused.append((event, str(error["code"])))
    return refused


async def post_batches(
    http: httpx.AsyncClient, apps: list[Application], size: int, in_flight: int
) -> Counter[str]:
    """Send every event through the batch endpoint, ``in_flight`` requests at a time; events
    refused for an outage go again in a later batch. Returns the re-sent events per code."""
    retried: Counter[str] = Counter()
    pending = [app.ats_event() for app in apps]
    limit = asyncio.Semaphore(in_flight)
    for _ in range(MAX_ATTEMPTS):
        async with asyncio.TaskGroup() as group:
            sent = [
                group.create_task(_send_batch(http, pending[i : i + size], limit))
                for i in range(0, len(pending), size)
            ]
        refused = [item for task in sent for item in task.result()]
        if not refused:
            return retried
        retried.update(code for _, code in refused)
        pending = [event for event, _ in refused]
        await asyncio.sleep(1.0)
    raise RuntimeError(f"{len(pending)} events still refused after {MAX_ATTEMPTS} attempts")


async def single_phase(
    stack: BenchStack, job_id: str, candidates: int, per_candidate: int, concurrency: int,
    within: float, name: str,
) -> Phase:  # fmt: skip
    apps = applications(run_id(), job_id, candidates, per_candidate)
    async with http_client(stack.api_url, concurrency) as http:
        began = time.monotonic()
        posted = await post_all(http, apps, concurrency)
        accepted = time.monotonic() - began
        done = await wait_for_status(stack, job_id, "delivered", len(apps), within=within)
    retried = Counter(code for p in posted for code in p.retried_for)
    return Phase(name, len(apps), done - began, accepted, retried)


async def batch_phase(
    stack: BenchStack, args: argparse.Namespace, job_id: str, sampler: RssSampler
) -> Phase:
    apps = applications(run_id(), job_id, args.candidates, args.applications)
    async with http_client(stack.api_url, args.in_flight) as http:
        http.timeout = httpx.Timeout(args.timeout)
        sampling = asyncio.create_task(sampler.run())
        try:
            began = time.monotonic()
            retried = await post_batches(http, apps, args.batch_size, args.in_flight)
            accepted = time.monotonic() - began
            done = await wait_for_status(stack, job_id, "delivered", len(apps), within=args.timeout)
        finally:
            sampling.cancel()
    return Phase("batch", len(apps), done - began, accepted, retried)


def memory_growth(sampler: RssSampler) -> tuple[float, float]:
    """The worker's peak RSS over the first and the second half of the samples (MiB)."""
    values = [rss for _, rss in sampler.samples]
    half = len(values) // 2
    return max(values[:half], default=0.0), max(values[half:], default=0.0)


async def measure(args: argparse.Namespace) -> bool:
    """Run the three phases on one stack and print them; ``True`` if both targets are met."""
    count = args.candidates * args.applications
    singles = args.single // 2
    print(f"machine: {machine()}")
    print(
        f"batch: {args.candidates} candidates x {args.applications} application(s) = {count} "
        f"blasts in batches of {args.batch_size}, {args.in_flight} batch(es) in flight; "
        f"single events: 2 x {singles} blasts, {args.concurrency} in flight; stack={args.stack}"
    )
    jobs = ["bench-batch-before", "bench-batch", "bench-batch-after"]
    async with BenchStack(args.stack, delivery_rate=args.delivery_rate, keep=args.keep) as stack:
        async with http_client(stack.api_url, 4) as http:
            await configure_company(http, "bench-warm-up", *jobs)
        warm = args.warm_up
        await single_phase(stack, "bench-warm-up", warm, 1, args.concurrency, 120, "warm-up")
        sampler = RssSampler(stack.worker_pid, interval=args.rss_every)
        phases = []
        for job_id, name in zip(jobs, ("single (before)", "batch", "single (after)"), strict=True):
            print(f"  load avg before {name}: {load_average()}")
            if name == "batch":
                phases.append(await batch_phase(stack, args, job_id, sampler))
            else:
                per = args.applications
                phases.append(
                    await single_phase(
                        stack, job_id, singles // per, per, args.concurrency, args.timeout, name
                    )
                )
            print(phases[-1].line())

    before, batch, after = phases
    single_rate = (before.blasts + after.blasts) / (before.seconds + after.seconds)
    ratio = batch.rate / single_rate
    first, second = memory_growth(sampler)
    growth = second / first if first else float("inf")
    fast_enough = ratio >= TARGET_RATIO
    flat = growth <= TARGET_MEMORY_GROWTH
    print(
        f"  batch / single: {batch.rate:.2f} / {single_rate:.2f} blasts/s = {ratio:.2f} "
        f"(target >= {TARGET_RATIO}): {verdict(fast_enough)}"
    )
    print(f"  worker RSS during the bulk move (s: MiB): {rss_timeline(sampler)}")
    print(
        f"  worker RSS peak, first half {first:.0f} MiB, second half {second:.0f} MiB: "
        f"x{growth:.2f} (target <= {TARGET_MEMORY_GROWTH}): {verdict(flat)}"
    )
    return fast_enough and flat


def build_parser() -> argparse.ArgumentParser:
    parser = stack_parser("bench.batch", __doc__, stack="split")
    add_burst_options(
        parser,
        candidates=10_000,
        applications=1,
        in_flight="single events in flight",
        timeout=3600,
    )
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="events per batch")
    parser.add_argument("--in-flight", type=int, default=1, help="batches in flight (default 1)")
    parser.add_argument(
        "--single", type=int, default=2000, help="single events, half before, half after"
    )
    parser.add_argument("--rss-every", type=float, default=2.0, help="RSS sample interval (s)")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Exit 0 when both targets are met, 1 otherwise (the figures are printed either way)."""
    exit_with_verdict(measure(build_parser().parse_args(argv)))


if __name__ == "__main__":
    main()
