"""History events per enrolment, counted on Temporal's time-skipping test server.

The real ``CandidateWorkflow`` with the real delivery activity around an in-memory channel and
an in-memory projection (``tests/workflows/conftest.py``), so days of nudges and expiries pass
in a second. Each story runs on a candidate of its own and prints the events its history holds
once settled, with a breakdown by event type.

    python -m bench.history
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.campaigns import Campaign, CampaignMode, CampaignModule, ModuleType, Nudges
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.events import ApplicationRef, CandidateReply, ModuleProgress, ProgressEvent
from domain.questions import AnswerKind, Question
from domain.statuses import EnrolmentStatus as S
from domain.timing import QuietHours
from tests.fixtures.temporal import installed_binary, register_search_attributes
from tests.workflows.conftest import CandidateUnderTest, blast, candidate_factory, multi_module
from tests.workflows.test_lifecycle import progress

NIGHTS = QuietHours.parse("21:00-08:00")
FOUR_NUDGES = Nudges(
    after=[timedelta(hours=h) for h in (2, 24, 48, 96)], message="Still there, {first_name}?"
)


async def a_blast(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(blast(), quiet_hours=NIGHTS)).enrolments
    await c.wait_status(e.id, S.DELIVERED)


async def four_nudges_then_expiry(c: CandidateUnderTest) -> None:
    campaign = multi_module(modules=1).model_copy(update={"nudges": FOUR_NUDGES})
    [e] = (await c.enter_stage(campaign, quiet_hours=NIGHTS)).enrolments
    await c.wait_status(e.id, S.DELIVERED)
    await c.env.sleep(timedelta(days=8))
    await c.wait_status(e.id, S.EXPIRED)


async def two_nudges_then_completed(c: CandidateUnderTest) -> None:
    campaign = multi_module(modules=1, closing=True).model_copy(update={"nudges": FOUR_NUDGES})
    [e] = (await c.enter_stage(campaign, quiet_hours=NIGHTS)).enrolments
    await c.wait_status(e.id, S.DELIVERED)
    await c.env.sleep(timedelta(hours=25))
    await c.wait_for(lambda t: t.enrolments[e.id].nudges_done == 2 and not t.pending_sends)
    await c.signal("module_progress", progress(e.id, "m1", "completed", "p1"))
    await c.wait_status(e.id, S.COMPLETED)
    await c.wait_for(lambda t: not t.pending_sends)


def five_questions(mode: CampaignMode) -> Campaign:
    """One question module of five questions (yes/no, a choice, a number, a date, text)."""
    asked = [
        Question(id="work", prompt="Right to work?", answer=AnswerKind.YES_NO),
        Question(id="shift", prompt="Shift?", answer=AnswerKind.CHOICE, options=["Day", "Night"]),
        Question(id="years", prompt="Years?", answer=AnswerKind.NUMBER),
        Question(id="start", prompt="Start date?", answer=AnswerKind.DATE),
        Question(id="note", prompt="Anything else?", answer=AnswerKind.TEXT),
    ]
    return multi_module(modules=1).model_copy(
        update={
            "channel": ChannelKind.SMS,
            "mode": mode,
            "modules": [
                CampaignModule(id="qs", name="Questions", type=ModuleType.QUESTION, questions=asked)
            ],
        }
    )


REPLIES = ["yes", "2", "3", "2027-03-14", "Nothing, thanks"]


async def five_questions_by_reply(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(five_questions(CampaignMode.CONVERSATIONAL))).enrolments
    await c.wait_status(e.id, S.IN_PROGRESS)
    for n, text in enumerate(REPLIES):
        await c.reply(CandidateReply(event_id=f"r{n}", text=text))
    await c.wait_status(e.id, S.COMPLETED)
    await c.wait_for(lambda t: not t.pending_sends)


async def five_questions_on_the_page(c: CandidateUnderTest) -> None:
    [e] = (await c.enter_stage(five_questions(CampaignMode.LINK))).enrolments
    await c.wait_status(e.id, S.DELIVERED)
    for event in ("started", "completed"):
        answers = {"work": "yes", "shift": "Night", "years": 3, "start": "2027-03-14"}
        answers["note"] = "Nothing, thanks"
        await c.progress(
            ModuleProgress(
                event_id=f"page-{event}",
                enrolment_id=e.id,
                module_id="qs",
                event=ProgressEvent(event),
                answers=answers if event == "completed" else {},
            )
        )
    await c.wait_status(e.id, S.COMPLETED)


STORIES: dict[str, Callable[[CandidateUnderTest], Awaitable[None]]] = {
    "blast, new candidate": a_blast,
    "one module, four nudges (2 h, 24 h, 48 h, 96 h), then expiry at 7 days": (
        four_nudges_then_expiry
    ),
    "one module, two nudges, completed, closing message": two_nudges_then_completed,
    "five questions answered on the page (start, complete)": five_questions_on_the_page,
    "five questions answered by reply (conversational)": five_questions_by_reply,
}


async def main() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=installed_binary("temporal-test-server"),
    )
    try:
        await register_search_attributes(env)
        # Daytime in the candidate's zone (UTC here), so only the nudges' own offsets count.
        now = await env.get_current_time()
        await env.sleep(timedelta(days=1, hours=(10 - now.hour) % 24))
        for name, story in STORIES.items():
            async with candidate_factory(env) as start:
                # Started like the ATS bridge starts a candidate: findable from the start.
                candidate = await start(
                    CandidateContact(
                        id=f"bench-{uuid.uuid4().hex[:8]}",
                        name="Ada",
                        phone="+14155550123",
                        timezone="UTC",
                    ),
                    findable_by=ApplicationRef(id="app-1", job_id="job-1", stage_id="screen"),
                )
                await story(candidate)
                history = await candidate.handle.fetch_history()
            kinds = Counter(
                EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events
            )
            print(f"{name}: {len(history.events)} events")
            print("    " + ", ".join(f"{k.lower()} {n}" for k, n in kinds.most_common()))
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
