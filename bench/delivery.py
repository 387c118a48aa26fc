"""Delivery through Twilio at the rate limit: a burst of SMS blasts against a fake Twilio whose
every create takes 100 ms, some of whose answers are lost on the way back.

The embedded stack (``enrolments dev``) runs with Twilio configured and pointed at the fake
(the test double of ``tests/fakes/twilio.py``, served on a local port). The delivery rate limit
is the only pacing; the bench prints the achieved rate next to it, how many creates, lookups
and messages the fake saw, and whether any candidate got a message twice (the target: none).

    python -m bench.delivery                      # 300 blasts at 5/s, 100 ms per call
    python -m bench.delivery --blasts 1000 --rate 40 --lost 0.02
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from bench.load import applications, configure_company, http_client, post_all, wait_for_status
from bench.measure import CpuMeter, exit_with_verdict, machine, verdict
from bench.stack import BenchStack, run_id
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, FakeTwilio, fake_twilio


class LossyTwilio:
    """Loses the answer to a share of the creates (the message is stored all the same)."""

    def __init__(self, fake: FakeTwilio, share: float, seed: int = 7) -> None:
        self._fake = fake
        self._share = share
        self._random = random.Random(seed)

    def arm(self, blasts: int) -> None:
        self._fake.misbehave.swallowed_answers = sum(
            self._random.random() < self._share for _ in range(blasts)
        )


async def measure(args: argparse.Namespace) -> bool:
    print(f"machine: {machine()}")
    print(
        f"delivery: {args.blasts} SMS blasts through Twilio (a fake, {args.latency * 1000:.0f} ms "
        f"per create), rate limit {args.rate:g}/s, {args.lost:.0%} of answers lost"
    )
    async with fake_twilio() as twilio:
        twilio.misbehave.latency = args.latency
        env = {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "ENROLMENTS_TWILIO_API_URL": twilio.url,
            "ENROLMENTS_SMS_FROM": SMS_FROM,
            "ENROLMENTS_TWILIO_TIMEOUT": str(args.twilio_timeout),
        }
        async with BenchStack("dev", delivery_rate=args.rate, extra_env=env) as stack:
            job = f"bench-delivery-{run_id()}"
            apps = applications(run_id(), job, args.blasts, 1)
            LossyTwilio(twilio, args.lost).arm(args.blasts)
            lost = twilio.misbehave.swallowed_answers
            meter = CpuMeter(stack.process_ids())
            async with http_client(stack.api_url, args.concurrency) as http:
                await configure_company(http, job)
                meter.start()
                began = time.monotonic()
                await post_all(http, apps, args.concurrency)
                accepted = time.monotonic() - began
                done = await wait_for_status(
                    stack, job, "delivered", len(apps), within=args.timeout
                )
                meter.stop()
    seconds = done - began
    rate = len(apps) / seconds
    per_recipient = Counter((m.to, m.body) for m in twilio.messages)
    duplicates = sum(n - 1 for n in per_recipient.values() if n > 1)
    print(
        f"  {len(apps)} blasts delivered in {seconds:.1f} s -> {rate:.1f}/s, "
        f"{rate / args.rate:.0%} of the limit of {args.rate:g}/s (all accepted after "
        f"{accepted:.1f} s; a lost answer costs its blast the timeout and a retry)"
    )
    print(
        f"  fake Twilio: {twilio.creates} creates, {len(twilio.messages)} messages, "
        f"{twilio.lists} lookups; {lost} answers lost, duplicates: {duplicates}"
    )
    print("  CPU during the run:")
    print(meter.report(len(apps), "blast"))
    passed = duplicates == 0 and len(twilio.messages) == len(apps)
    print(f"  no duplicate, every blast sent exactly once: {verdict(passed)}")
    return passed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.delivery",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--blasts", type=int, default=300, help="SMS blasts (default 300)")
    parser.add_argument("--rate", type=float, default=5.0, help="rate limit, per s (5)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per create (0.1)")
    parser.add_argument(
        "--lost", type=float, default=0.01, help="share of answers lost (default 0.01)"
    )
    parser.add_argument(
        "--twilio-timeout", type=float, default=2.0, help="seconds before an answer is lost"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--timeout", type=float, default=900, help="seconds at most")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Exit 0 when the target is met, 1 when it is missed (the figures are printed either way)."""
    exit_with_verdict(measure(build_parser().parse_args(argv)))


if __name__ == "__main__":
    main()
