"""Many live candidates: the worker's memory stays bounded and each history stays small.

Candidates enter a stage linked to a three-module campaign (7-day expiry) through
``POST /ats/events``; each welcome message is delivered and every candidate's workflow then waits
on its expiry timer. The worker runs as its own process (``enrolments worker``, ``split`` stack)
and its resident memory (VmRSS) is sampled throughout and after; the target is <= 300 MiB.
Then sample candidates are driven through the product to count history events: a blast for a new
candidate, a further blast on a live workflow, and a three-module enrolment taken to ``completed``
by the candidate-progress webhook (targets <= 12 and <= 30 events).

    python -m bench.scale                       # 3,000 candidates (more than the sticky cache)
    python -m bench.scale --candidates 10000    # the full size, ~10-15 min on 2 cores
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import time
from dataclasses import dataclass, field

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.load import (
    applications,
    configure_company,
    http_client,
    post_all,
    post_event,
    wait_for_status,
)
from bench.measure import exit_with_verdict, load_average, machine, rss_mib, verdict
from bench.stack import MODULES, MULTI_MODULE_STAGE, BenchStack, run_id
from config.settings import Settings
from domain.identity import candidate_workflow_id

TARGET_RSS_MIB = 300.0
TARGET_BLAST_EVENTS = 12
TARGET_THREE_MODULE_EVENTS = 30
JOB = "bench-scale"
SAMPLES_JOB = "bench-history"


@dataclass
class RssSampler:
    """Samples one process's VmRSS every ``interval`` seconds while running."""

    pid: int
    interval: float = 1.0
    samples: list[tuple[float, float]] = field(default_factory=list)

    async def run(self) -> None:
        began = time.monotonic()
        while True:
            rss = rss_mib(self.pid)
            if rss is not None:
                self.samples.append((time.monotonic() - began, rss))
            await asyncio.sleep(self.interval)

    @property
    def peak(self) -> float:
        return max((rss for _, rss in self.samples), default=0.0)

    @property
    def last(self) -> float:
        return self.samples[-1][1] if self.samples else 0.0


async def history_length(client: Client, workflow_id: str) -> int:
    """Events in the workflow's current run."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return len(history.events)


async def history_breakdown(client: Client, workflow_id: str) -> str:
    """``event type x count`` for the current run, most frequent first."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    counts = collections.Counter(
        EventType.Name(event.event_type).removeprefix("EVENT_TYPE_") for event in history.events
    )
    return ", ".join(f"{name} x{n}" for name, n in counts.most_common())


async def settled_history(client: Client, workflow_id: str, quiet: float = 1.0) -> int:
    """The history length once it has not grown for ``quiet`` seconds (nothing in flight)."""
    handle = client.get_workflow_handle(workflow_id)
    last = -1
    stable_since = time.monotonic()
    while True:
        length = (await handle.describe()).history_length
        if length != last:
            last, stable_since = length, time.monotonic()
        elif time.monotonic() - stable_since >= quiet:
            return length
        await asyncio.sleep(0.1)


async def enrolment_detail(http: httpx.AsyncClient, enrolment_id: str) -> dict[str, object]:
    response = await http.get(f"/enrolments/{enrolment_id}")
    response.raise_for_status()
    detail: dict[str, object] = response.json()
    return detail


async def wait_detail(
    http: httpx.AsyncClient, enrolment_id: str, *, timeline: int = 0, messages: int = 0
) -> dict[str, object]:
    """Poll ``GET /enrolments/{id}`` until it has this many timeline entries and messages."""
    deadline = time.monotonic() + 60
    while True:
        detail = await enrolment_detail(http, enrolment_id)
        has_timeline = detail["timeline"]
        has_messages = detail["messages"]
        assert isinstance(has_timeline, list) and isinstance(has_messages, list)
        if len(has_timeline) >= timeline and len(has_messages) >= messages:
            return detail
        if time.monotonic() > deadline:
            raise TimeoutError(f"{enrolment_id}: {detail}")
        await asyncio.sleep(0.05)


async def measure_histories(stack: BenchStack, samples: int) -> tuple[bool, list[str]]:
    """Drive sample candidates and count their history events; print and judge them."""
    client = stack.temporal()
    lines: list[str] = []
    run = run_id()
    async with http_client(stack.api_url, 4) as http:
        # A blast for a new candidate: the workflow starts, delivers, waits.
        fresh: list[int] = []
        further: list[int] = []
        for n in range(samples):
            first, second = applications(f"{run}b{n}", SAMPLES_JOB, 1, 2)
            posted = await post_event(http, first)
            assert posted.enrolment_id is not None
            await wait_detail(http, posted.enrolment_id, timeline=2, messages=1)
            workflow_id = candidate_workflow_id(first.candidate_id)
            fresh.append(await settled_history(client, workflow_id))
            posted = await post_event(http, second)
            assert posted.enrolment_id is not None
            await wait_detail(http, posted.enrolment_id, timeline=2, messages=1)
            further.append(await settled_history(client, workflow_id) - fresh[-1])
        breakdown = await history_breakdown(client, workflow_id)
        lines.append(
            f"  events per blast, new candidate: {_spread(fresh)} "
            f"(target <= {TARGET_BLAST_EVENTS}): {verdict(max(fresh) <= TARGET_BLAST_EVENTS)}"
        )
        lines.append(f"    [{breakdown}]  (two blasts)")
        lines.append(
            f"  events per further blast on a live workflow: {_spread(further)} "
            f"(target <= {TARGET_BLAST_EVENTS}): {verdict(max(further) <= TARGET_BLAST_EVENTS)}"
        )

        # A three-module enrolment driven to completed: one webhook at a time (each applied
        # before the next is sent: the most events), then all six back to back.
        one_by_one: list[int] = []
        back_to_back: list[int] = []
        for n in range(samples):
            one_by_one.append(await _three_modules(stack, http, f"{run}m{n}", paced=True))
            back_to_back.append(await _three_modules(stack, http, f"{run}q{n}", paced=False))
        breakdown = await history_breakdown(client, candidate_workflow_id(f"cand-{run}m0-0000000"))
    passed_three = max(one_by_one) <= TARGET_THREE_MODULE_EVENTS
    lines.append(
        f"  events per 3-module enrolment driven to completed (6 progress webhooks, each applied "
        f"before the next, closing message sent): {_spread(one_by_one)} (target <= "
        f"{TARGET_THREE_MODULE_EVENTS}): {verdict(passed_three)}"
    )
    lines.append(f"    [{breakdown}]")
    lines.append(
        f"  the same with the 6 webhooks sent back to back: {_spread(back_to_back)} "
        "(not judged: depends on how many signals share a workflow task)"
    )
    passed = max(fresh) <= TARGET_BLAST_EVENTS and max(further) <= TARGET_BLAST_EVENTS
    return passed and passed_three, lines


async def _three_modules(
    stack: BenchStack, http: httpx.AsyncClient, run: str, *, paced: bool
) -> int:
    """Enrol a new candidate in the three-module campaign, report every module started and
    completed, wait for the closing message; return the settled history length."""
    [app] = applications(run, SAMPLES_JOB, 1, 1, stage_id=MULTI_MODULE_STAGE)
    posted = await post_event(http, app)
    enrolment = posted.enrolment_id
    assert enrolment is not None
    expected = 2  # sending, delivered
    await wait_detail(http, enrolment, timeline=expected, messages=1)
    for module in MODULES:
        for event in ("started", "completed"):
            response = await http.post(
                "/webhooks/candidate-progress",
                json={
                    "id": f"progress-{enrolment}-{module}-{event}",
                    "enrolment_id": enrolment,
                    "module_id": module,
                    "event": event,
                },
            )
            response.raise_for_status()
            # Each webhook adds a timeline entry (the last one also adds "completed").
            expected += 1
            if paced:
                await wait_detail(http, enrolment, timeline=expected)
    await wait_detail(http, enrolment, timeline=expected + 1, messages=2)
    return await settled_history(stack.temporal(), candidate_workflow_id(app.candidate_id))


def _spread(values: list[int]) -> str:
    if min(values) == max(values):
        return str(values[0])
    return f"{min(values)}..{max(values)}"


async def measure(args: argparse.Namespace) -> bool:
    """Create the live candidates, sample the worker's memory, count histories; print all."""
    print(f"machine: {machine()}")
    cache = (
        f"{Settings.model_fields['max_cached_workflows'].default} (the default)"
        if args.max_cached_workflows is None
        else f"{args.max_cached_workflows} (ENROLMENTS_MAX_CACHED_WORKFLOWS)"
    )
    print(
        f"scale: {args.candidates} live candidates, each with a delivered three-module enrolment "
        f"waiting on its {args.expiry} expiry timer; worker sticky cache {cache} workflows"
    )
    async with BenchStack(
        "split", keep=args.keep, max_cached_workflows=args.max_cached_workflows
    ) as stack:
        async with http_client(stack.api_url, 4) as http:
            await configure_company(http, JOB, SAMPLES_JOB, expiry=args.expiry)
        sampler = RssSampler(stack.worker_pid, interval=args.rss_every)
        sampling = asyncio.create_task(sampler.run())
        try:
            await asyncio.sleep(2 * args.rss_every)
            idle = sampler.last
            load = load_average()
            apps = applications(run_id(), JOB, args.candidates, 1, stage_id=MULTI_MODULE_STAGE)
            began = time.monotonic()
            async with http_client(stack.api_url, args.concurrency) as http:
                await post_all(http, apps, args.concurrency)
            await wait_for_status(
                stack, JOB, "delivered", len(apps), within=args.timeout, every=1.0
            )
            took = time.monotonic() - began
            peak_during = sampler.peak
            await asyncio.sleep(args.settle)
            after = sampler.last
            client = stack.temporal()
            running = await client.count_workflows(
                "WorkflowType = 'CandidateWorkflow' AND ExecutionStatus = 'Running'"
            )
            sample_ids = random.Random(7).sample([a.candidate_id for a in apps], k=5)
            lengths = [await history_length(client, candidate_workflow_id(c)) for c in sample_ids]
            passed_histories, history_lines = await measure_histories(stack, args.samples)
        finally:
            sampling.cancel()
        peak = sampler.peak
    print(
        f"  created {args.candidates} candidates in {took:.0f} s "
        f"({args.candidates / took:.1f}/s, load avg before: {load}, after: {load_average()}); "
        f"{running.count} CandidateWorkflow runs open on the server"
    )
    print(
        f"  worker RSS: idle {idle:.0f} MiB, peak while creating {peak_during:.0f} MiB, "
        f"{args.settle:.0f} s after {after:.0f} MiB, peak overall {peak:.0f} MiB "
        f"(target <= {TARGET_RSS_MIB:.0f} MiB): {verdict(peak <= TARGET_RSS_MIB)}"
    )
    print("  worker RSS over time (s: MiB): " + rss_timeline(sampler))
    print(f"  history of 5 random live candidates: {lengths} events")
    for line in history_lines:
        print(line)
    return peak <= TARGET_RSS_MIB and passed_histories


def rss_timeline(sampler: RssSampler, points: int = 12) -> str:
    samples = sampler.samples
    if not samples:
        return "no samples"
    step = max(1, len(samples) // points)
    chosen = samples[::step] + ([samples[-1]] if (len(samples) - 1) % step else [])
    return ", ".join(f"{t:.0f}: {rss:.0f}" for t, rss in chosen)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--candidates", type=int, default=3000, help="live candidates")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--expiry", default="P7D", help="campaign expiry (ISO 8601)")
    parser.add_argument("--samples", type=int, default=3, help="candidates per history figure")
    parser.add_argument("--rss-every", type=float, default=1.0, help="RSS sample interval (s)")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds idle after load")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to create them")
    parser.add_argument(
        "--max-cached-workflows",
        type=int,
        help="the worker's sticky cache (ENROLMENTS_MAX_CACHED_WORKFLOWS; default: the product's)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Exit 0 when every target is met, 1 otherwise (the figures are printed either way)."""
    exit_with_verdict(measure(build_parser().parse_args(argv)))


if __name__ == "__main__":
    main()
