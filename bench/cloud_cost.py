"""What an enrolment costs on Temporal Cloud: Actions per enrolment, by shape, measured.

On the embedded product (``enrolments dev``: the Temporal dev server, the worker and the API),
each shape runs as a user runs it, through the HTTP API, with a candidate (and interviewer) of
its own:

- ``blast``: an ATS event puts a new candidate in a stage linked to a blast;
- ``second campaign``: the same candidate's next application enters another blast stage (their
  workflow is already running);
- ``3-module link``: a link-mode campaign (content, two question modules) that the candidate
  goes through on their page (Start, then each module's form);
- ``5-question conversational``: a conversational campaign of five questions, answered by text
  (``/webhooks/twilio/inbound``) as each is asked;
- ``schedule + 2 reminders``: a schedule module whose slot the candidate books on their page, the
  confirmation, then the reminders 24 h and 2 h before.

Then the histories are read back from the server and counted by Temporal Cloud's billing rules
(``bench.actions``): every workflow the shape touched, from the event that began it (a
candidate's second campaign: from the end of their first). The dev server's clock does not
skip and slots start on the quarter hour, so the two reminders are measured on two bookings of
the next quarter hour 24 h and 2 h ahead, each reminder falling due within about 15 minutes
(the run's length): the first gives the booking and its 24 h reminder, the second's tail after
its booking the 2 h reminder. Printed: each shape's Actions itemised, the minimum the fixed
decisions need (``MINIMUM``, itemised), dollars per 100,000 enrolments at $50 per million
Actions, and what two proposals to lower the minimum would save (``bench.actions.savings``).
Exits 1 if a shape spends an Action outside its minimum.

    python -m bench.cloud_cost                  # the embedded stack, as a newcomer runs it
    python -m bench.cloud_cost --stack split    # API, worker and Temporal apart (same counts)
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter

import httpx

from bench.cost_shapes import Measured, Shapes
from bench.measure import exit_with_verdict, machine
from bench.stack import BENCH_HEADERS, BenchStack, run_id, stack_parser

#: Temporal Cloud's price on the entry plan, dollars per million Actions.
DOLLARS_PER_MILLION = 50.0
PER = 100_000

#: The Actions each shape needs under the fixed decisions (DESIGN.md), itemised: what is left
#: when nothing is spent that a decision does not ask for (README, "What an enrolment costs").
MINIMUM: dict[str, Counter[str]] = {
    "blast": Counter({"start": 1, "update": 1, "activity": 1, "local activities": 2, "upsert": 1}),
    "second campaign": Counter({"update": 1, "activity": 1, "local activities": 2, "upsert": 1}),
    "3-module link": Counter(
        {"start": 1, "update": 5, "activity": 1, "local activities": 6, "timer": 1, "upsert": 3}
    ),
    "5-question conversational": Counter(
        {"start": 1, "update": 6, "activity": 6, "local activities": 8, "timer": 1, "upsert": 2}
    ),
    "schedule + 2 reminders": Counter(
        {"start": 1, "update": 3, "activity": 6, "local activities": 3, "timer": 3, "upsert": 2}
    ),
}


# -- the table ---------------------------------------------------------------------------------


def dollars(actions_per_enrolment: int) -> str:
    return f"${actions_per_enrolment * PER * DOLLARS_PER_MILLION / 1_000_000:,.2f}"


def itemised(counted: Counter[str]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counted.items(), key=lambda i: -i[1]))


def table(measured: list[Measured]) -> str:
    lines = [
        "| shape | Actions | itemised | minimum | $ per 100,000 | with both proposals | $ |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for m in measured:
        minimum = MINIMUM.get(m.shape)
        floor = "?" if minimum is None else str(sum(minimum.values()))
        lowered = m.total - sum(m.cost.saved.values())
        lines.append(
            f"| {m.shape} | {m.total} | {itemised(m.counted)} | {floor} | {dollars(m.total)} "
            f"| {lowered} | {dollars(lowered)} |"
        )
    return "\n".join(lines)


async def measure(args: argparse.Namespace) -> bool:
    print(machine())
    async with BenchStack(args.stack, keep=args.keep) as stack:
        print("stack up", flush=True)
        async with httpx.AsyncClient(
            base_url=stack.api_url, headers=BENCH_HEADERS, timeout=60
        ) as http:
            shapes = Shapes(http, stack.temporal(), run_id())
            blasts, link, chat, schedule = await asyncio.gather(
                shapes.blasts(), shapes.link(), shapes.conversational(), shapes.schedule()
            )
    measured = [*blasts, link, chat, schedule]
    print(table(measured))
    for m in measured:
        print(f"{m.shape}: the proposals would save {itemised(m.cost.saved) or 'nothing'}")
    outside = {m.shape: m.counted - MINIMUM[m.shape] for m in measured if m.shape in MINIMUM}
    for shape, extra in outside.items():
        print(f"{shape}: outside the minimum: {itemised(extra) or 'nothing'}")
    for m in measured:
        if m.note:
            print(f"{m.shape}: {m.note}")
    return not any(outside.values())


def main(argv: list[str] | None = None) -> None:
    parser = stack_parser(__name__, __doc__)
    exit_with_verdict(measure(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
