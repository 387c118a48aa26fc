"""Releasing 2,000 Auto-Match enrolments on one availability submission.

On one stack (``dev`` by default), 2,000 candidates enter a scheduling stage whose one
interviewer has no free time, through ``POST /ats/events/batch``: each waits in ``auto_match``
(and the interviewer is asked once). Then the interviewer gives availability
(``PUT /interviewers/{id}/availability``, as their page does): every waiting enrolment is told
(``FAN_OUT_CONCURRENCY`` candidates' workflows at a time), goes ``sending``, and is delivered
at the delivery queue's rate (``ENROLMENTS_DELIVERY_RATE``, 50 a second by default: the
provider's limit is what keeps a release of thousands from being a burst).

Printed: how long the submission took to answer, the time until every enrolment was
``delivered``, and the peak of the delivery queue (enrolments ``sending`` at once, sampled
every 250 ms from the job's counts). Target (issue 23): all delivered, none failed, and the
delivery queue never beyond the enrolments released (no message twice).

    python -m bench.auto_match_release                     # 2,000 candidates
    python -m bench.auto_match_release --candidates 200    # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx

from bench.load import enrol_in_batches, http_client
from bench.measure import exit_with_verdict, load_average, machine, verdict
from bench.stack import BenchStack, run_id, stack_parser


async def enter(http: httpx.AsyncClient, job_id: str, candidates: int, run: str) -> int:
    """Enrol the candidates into the scheduling stage; how many wait in ``auto_match``."""
    results = await enrol_in_batches(http, job_id, "s1", candidates, run)
    return sum(
        1
        for result in results
        for enrolment in result.get("enrolments", [])
        if enrolment["status"] == "auto_match"
    )


async def counts(http: httpx.AsyncClient, job_id: str) -> dict[str, int]:
    statuses: dict[str, int] = (await http.get(f"/ui/jobs/{job_id}/counts")).json()["statuses"]
    return statuses


async def configure(http: httpx.AsyncClient, run: str) -> tuple[str, str]:
    """An interviewer with no free time, and a job whose scheduling stage waits on them."""
    interviewer = f"bench-ana-{run}"
    body = {"name": "Ana Bench", "email": "ana@example.com", "timezone": "Europe/Madrid"}
    (await http.put(f"/interviewers/{interviewer}", json=body)).raise_for_status()
    campaign = {
        "name": "Book your interview",
        "kind": "multi_module",
        "channel": "sms",
        "quiet_hours": False,
        "messages": ["Pick a time for your interview: {link}"],
        "modules": [{"id": "book", "name": "Pick a time", "type": "schedule"}],
    }
    job_id = f"bench-release-{run}"
    (await http.put(f"/campaigns/{job_id}", json=campaign)).raise_for_status()
    settings = {"auto_match": True, "interviewer_ids": [interviewer], "min_notice": "PT0M"}
    stages = [
        {"id": "s1", "name": "Interview", "campaign_id": job_id, "interview_settings": settings}
    ]
    (
        await http.put(f"/jobs/{job_id}", json={"name": "Release", "stages": stages})
    ).raise_for_status()
    return interviewer, job_id


async def measure(args: argparse.Namespace) -> bool:
    run = run_id()
    async with (
        BenchStack(args.stack, delivery_rate=args.rate, keep=args.keep) as stack,
        http_client(stack.api_url, 8) as http,
    ):
        interviewer, job_id = await configure(http, run)
        waiting = await enter(http, job_id, args.candidates, run)
        print(f"{waiting} of {args.candidates} candidates wait in auto_match")

        peak = 0
        released_at = time.monotonic()
        day = datetime.now(UTC) + timedelta(days=1)
        windows = [{"start": day.isoformat(), "end": (day + timedelta(hours=8)).isoformat()}]
        submission = asyncio.create_task(
            http.put(
                f"/interviewers/{interviewer}/availability",
                json={"windows": windows},
                timeout=1200,
            )
        )
        answered = None
        seen: dict[str, int] = {}
        deadline = released_at + args.timeout
        while time.monotonic() < deadline:
            seen = await counts(http, job_id)
            peak = max(peak, seen.get("sending", 0) + seen.get("queued", 0))
            if submission.done() and answered is None:
                answered = time.monotonic() - released_at
                submission.result().raise_for_status()
            if seen.get("delivered", 0) + seen.get("failed", 0) >= waiting and submission.done():
                break
            await asyncio.sleep(0.25)
        took = time.monotonic() - released_at
    print(f"machine: {machine()}; load average {load_average()}")
    print(f"delivery rate {args.rate:g}/s ({args.stack} stack)")
    print(f"  availability submission answered in {answered or float('nan'):.1f} s")
    print(f"  all {waiting} delivered {took:.1f} s after the submission ({waiting / took:.0f}/s)")
    print(f"  peak of the delivery queue: {peak} enrolments sending at once")
    print(f"  final counts: {seen}")
    passed = seen.get("delivered", 0) == waiting and not seen.get("failed") and peak <= waiting
    print(f"target: every released enrolment delivered once, none failed: {verdict(passed)}")
    return passed


def main() -> None:
    parser = stack_parser(__name__, __doc__)
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="deliveries a second")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds to wait at most")
    exit_with_verdict(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
