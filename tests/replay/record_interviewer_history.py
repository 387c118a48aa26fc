"""Record the ``InterviewerWorkflow`` history the replay test guards:
``python -m tests.replay.record_interviewer_history``. Run it again only when a change is meant
to be incompatible with running interviewers' workflows (and version the change instead, if any
still run).

One story covers what the workflow does: availability (the feed read, the release of who
waits), two bookings (invitations, confirmations), a move, a confirmation, the recruiter's
cancellation, an availability request with its first reminder, and a reminder timer firing.
Recorded under ``NAME`` (bounded answers, runs started before issue 25) and
``ANSWERS_WHEN_PROJECTED`` (the workflow as it starts now: ``python -m
tests.replay.record_interviewer_history interviewer_answers_when_projected``).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.interviews import InterviewChange, InterviewStatus, Reschedule, Waiting
from tests.fixtures.temporal import installed_binary
from tests.replay.record_histories import HISTORIES
from tests.workflows.test_interviewer import OPEN, calendar_of
from workflows.interviewer import InterviewerWorkflow

NAME = "interviewer_books_moves_cancels_and_asks"
ANSWERS_WHEN_PROJECTED = "interviewer_answers_when_projected"


async def record(name: str) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=installed_binary("temporal-test-server"),
    )
    try:
        answers_when_projected = name == ANSWERS_WHEN_PROJECTED
        async with calendar_of(env, answer_when_projected=answers_when_projected) as calendar:
            calendar.outside.waiting = [
                Waiting(job_id="job", stage_id="interview", candidate_ids=["nobody-waits"])
            ]
            now = await calendar.now()
            day = (now + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
            await calendar.free((day, day + timedelta(hours=3)))
            first = await calendar.handle.execute_update(
                InterviewerWorkflow.book, await calendar.book("e1", day)
            )
            second = await calendar.handle.execute_update(
                InterviewerWorkflow.book, await calendar.book("e2", day + timedelta(hours=1))
            )
            assert first.interview is not None and second.interview is not None
            moved_to = day + timedelta(minutes=30)
            move = Reschedule(interview_id=first.interview.id, start=moved_to, rules=OPEN)
            await calendar.handle.execute_update(InterviewerWorkflow.reschedule, move)
            await calendar.handle.execute_update(InterviewerWorkflow.confirm, first.interview.id)
            cancel = InterviewChange(
                interview_id=second.interview.id, status=InterviewStatus.CANCELLED
            )
            await calendar.handle.execute_update(InterviewerWorkflow.change, cancel)
            await calendar.handle.signal(InterviewerWorkflow.ask_for_availability)
            await env.sleep(timedelta(hours=25))
            history: WorkflowHistory = await calendar.handle.fetch_history()
            (HISTORIES / f"{name}.json").write_text(history.to_json())
            print(f"recorded {name}: {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1] if len(sys.argv) > 1 else NAME))
