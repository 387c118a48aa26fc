"""End-to-end throughput against the embedded stack, next to the bare-Temporal baseline.

N candidates x M applications go through ``POST /ats/events`` (a bulk stage move into a stage
linked to a blast); the clock stops when every blast is ``delivered`` in the read model. Then, on
the same dev server, the same number of bare-Temporal workflows (one no-op activity each) are
started with the same concurrency and timed until all complete. Two ratios are printed, each
over the totals of all rounds: throughput (blasts/s over workflows/s, target at least 0.9) and
CPU (what the API and worker spent per blast over what the bare SDK's client and worker spent
per workflow, target at most 1.5).

    python -m bench.throughput                      # 300 candidates x 2 applications
    python -m bench.throughput --candidates 1000 --applications 1 --stack split
    python -m bench.throughput --stack split --second-worker   # one worker, then two
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from dataclasses import dataclass

from bench.bare_temporal import BaselineResult, baseline_worker, run_baseline
from bench.load import (
    Posted,
    applications,
    configure_company,
    http_client,
    post_all,
    wait_for_status,
)
from bench.measure import CpuMeter, exit_with_verdict, load_average, machine, percentile, verdict
from bench.stack import BenchStack, add_burst_options, run_id, stack_parser

#: Blasts per second through the product over bare workflows per second (issue 11).
TARGET_RATIO = 0.9
#: Our CPU per blast (API + worker) over the bare SDK's (client + worker) per workflow.
TARGET_CPU_RATIO = 1.5
#: The processes whose CPU is "ours" (by name prefix: every worker) and "the bare SDK's"
#: (the dev server's is neither).
OURS = "enrolments "
BARE = ("baseline worker", "bench (starters)")


@dataclass
class EnrolmentRun:
    """One burst of ATS events through the product, timed to the last ``delivered``."""

    blasts: int
    seconds: float
    accepted_after: float
    posted: list[Posted]
    cpu: float = 0.0  # seconds spent by the API and the worker

    @property
    def rate(self) -> float:
        return self.blasts / self.seconds


async def burst(
    stack: BenchStack, job_id: str, candidates: int, per_candidate: int, concurrency: int,
    *, within: float, run: str,
) -> tuple[EnrolmentRun, CpuMeter]:  # fmt: skip
    """Send ``candidates`` x ``per_candidate`` blast enrolments and wait for every delivery."""
    apps = applications(run, job_id, candidates, per_candidate)
    meter = CpuMeter(stack.process_ids())
    async with http_client(stack.api_url, concurrency) as http:
        meter.start()
        began = time.monotonic()
        posted = await post_all(http, apps, concurrency)
        accepted = time.monotonic()
        done = await wait_for_status(stack, job_id, "delivered", len(apps), within=within)
        meter.stop()
    return EnrolmentRun(len(apps), done - began, accepted - began, posted), meter


async def warm_up(stack: BenchStack, job_id: str, count: int, concurrency: int) -> None:
    """Import everything, fill connection pools and caches before anything is timed."""
    await burst(stack, job_id, count, 1, concurrency, within=120, run=f"{run_id()}w")


def _posts(posted: list[Posted]) -> str:
    waits = [1000 * (p.accepted - p.sent) for p in posted]
    reasons = Counter(code for p in posted for code in p.retried_for)
    retried = ", ".join(f"{n} x {code}" for code, n in reasons.most_common()) or "none"
    return (
        f"POST /ats/events 202 in p50 {percentile(waits, 50):.0f} ms, "
        f"p99 {percentile(waits, 99):.0f} ms; retried after 503: {retried}"
    )


async def enrolment_phase(stack: BenchStack, args: argparse.Namespace, job_id: str) -> EnrolmentRun:
    """One timed burst through the product; prints its figures."""
    load = load_average()
    ours, meter = await burst(
        stack, job_id, args.candidates, args.applications, args.concurrency,
        within=args.timeout, run=run_id(),
    )  # fmt: skip
    print(
        f"  enrolments: {ours.blasts} blasts delivered in {ours.seconds:.1f} s -> "
        f"{ours.rate:.1f} blasts/s  (load avg before: {load})"
    )
    print(f"    all accepted after {ours.accepted_after:.1f} s; {_posts(ours.posted)}")
    print("    CPU during the run:")
    print(meter.report(ours.blasts, "blast"))
    ours.cpu = sum(used for name, used in meter.used.items() if name.startswith(OURS))
    return ours


async def baseline_phase(
    stack: BenchStack, args: argparse.Namespace, task_queue: str, worker_pid: int
) -> BaselineResult:
    """The same number of bare-Temporal workflows, timed; prints its figures."""
    meter = CpuMeter(
        {
            "bench (starters)": os.getpid(),
            "baseline worker": worker_pid,
            "temporal dev server": stack.process_ids()["temporal dev server"],
        }
    )
    load = load_average()
    meter.start()
    base = await run_baseline(
        stack.temporal(), task_queue, args.candidates * args.applications, args.concurrency,
        within=args.timeout,
    )  # fmt: skip
    meter.stop()
    print(
        f"  baseline: {base.workflows} one-activity workflows completed in "
        f"{base.seconds:.1f} s -> {base.rate:.1f} workflows/s  (load avg before: {load})"
    )
    print(f"    start_workflow p50 {base.start_p50_ms:.0f} ms, p99 {base.start_p99_ms:.0f} ms")
    print("    CPU during the run:")
    print(meter.report(base.workflows, "workflow"))
    base.cpu = sum(meter.used.get(name, 0.0) for name in BARE)
    return base


def print_setting(args: argparse.Namespace) -> None:
    count = args.candidates * args.applications
    print(f"machine: {machine()}")
    print(
        f"throughput: {args.candidates} candidates x {args.applications} application(s) = "
        f"{count} blasts, {args.concurrency} requests in flight, stack={args.stack}, "
        f"{args.rounds} round(s)"
    )
    print(
        f"  delivery rate limit {args.delivery_rate:g}/s "
        "(max_task_queue_activities_per_second, set high so it is not the bottleneck)"
    )


async def measure(args: argparse.Namespace) -> bool:
    """Run both measurements on one stack and print them; ``True`` if the target is met.

    With several rounds the two phases alternate on the same stack and the ratio is taken over
    the totals, so a slow minute of a shared machine weighs on both sides alike.
    """
    print_setting(args)
    jobs = [f"bench-throughput-{n}" for n in range(args.rounds)]
    ours: list[EnrolmentRun] = []
    bases: list[BaselineResult] = []
    async with BenchStack(args.stack, delivery_rate=args.delivery_rate, keep=args.keep) as stack:
        async with http_client(stack.api_url, 4) as http:
            await configure_company(http, "bench-warm-up", *jobs)
        await warm_up(stack, "bench-warm-up", args.warm_up, args.concurrency)
        task_queue = f"bench-baseline-{run_id()}"
        async with baseline_worker(stack, task_queue) as worker_pid:
            client = stack.temporal()
            await run_baseline(client, task_queue, args.warm_up, args.concurrency, within=120)
            for n, job_id in enumerate(jobs):
                if args.rounds > 1:
                    print(f"  round {n + 1}:")
                ours.append(await enrolment_phase(stack, args, job_id))
                bases.append(await baseline_phase(stack, args, task_queue, worker_pid))
            if args.second_worker:
                two = await second_worker_phase(stack, args)

    ours_rate = sum(r.blasts for r in ours) / sum(r.seconds for r in ours)
    base_rate = sum(b.workflows for b in bases) / sum(b.seconds for b in bases)
    ratio = ours_rate / base_rate
    ours_cpu = 1000 * sum(r.cpu for r in ours) / sum(r.blasts for r in ours)
    base_cpu = 1000 * sum(b.cpu for b in bases) / sum(b.workflows for b in bases)
    cpu_ratio = ours_cpu / base_cpu
    fast_enough = ratio >= TARGET_RATIO
    lean_enough = cpu_ratio <= TARGET_CPU_RATIO
    if args.rounds > 1:
        rounds = ", ".join(f"{o.rate / b.rate:.2f}" for o, b in zip(ours, bases, strict=True))
        print(
            f"  over {args.rounds} rounds: {ours_rate:.1f} blasts/s vs {base_rate:.1f} "
            f"workflows/s (ratio per round: {rounds})"
        )
    print(
        f"  throughput ratio enrolments/baseline: {ratio:.2f} "
        f"(target >= {TARGET_RATIO}): {verdict(fast_enough)}"
    )
    print(
        f"  CPU ratio: {ours_cpu:.1f} ms per blast (API + worker) / {base_cpu:.1f} ms per "
        f"workflow (bare client + worker) = {cpu_ratio:.2f} "
        f"(target <= {TARGET_CPU_RATIO}): {verdict(lean_enough)}"
    )
    if args.second_worker:
        print_two_against_one(ours, two)
    return fast_enough and lean_enough


def print_two_against_one(one: list[EnrolmentRun], two: list[EnrolmentRun]) -> None:
    one_rate = sum(r.blasts for r in one) / sum(r.seconds for r in one)
    two_rate = sum(r.blasts for r in two) / sum(r.seconds for r in two)
    print(
        f"  two workers: {two_rate:.1f} blasts/s vs one worker {one_rate:.1f} blasts/s "
        f"= {two_rate / one_rate:.2f}x (same server, same run)"
    )


async def second_worker_phase(stack: BenchStack, args: argparse.Namespace) -> list[EnrolmentRun]:
    """The rounds again with a second ``enrolments worker`` beside the first."""
    name = await stack.add_worker()
    print(f"  with a second worker ({name}):")
    async with http_client(stack.api_url, 4) as http:
        jobs = [f"bench-two-workers-{n}" for n in range(args.rounds)]
        await configure_company(http, "bench-warm-up-2", *jobs)
    await warm_up(stack, "bench-warm-up-2", args.warm_up, args.concurrency)
    return [await enrolment_phase(stack, args, job_id) for job_id in jobs]


def build_parser() -> argparse.ArgumentParser:
    parser = stack_parser("bench.throughput", __doc__)
    add_burst_options(
        parser, candidates=300, applications=2, in_flight="requests / starts in flight", timeout=900
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="alternate the two phases this many times"
    )
    parser.add_argument(
        "--second-worker",
        action="store_true",
        help="then start a second worker process (--stack split) and run the rounds again",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Exit 0 when the target is met, 1 when it is missed (the figures are printed either way)."""
    exit_with_verdict(measure(build_parser().parse_args(argv)))


if __name__ == "__main__":
    main()
