"""Twilio accepted a message but we never heard so: the answer timed out, or the worker was
SIGKILLed right after the call. Either way the candidate gets exactly one message, and the
enrolment ends ``delivered`` (the retry finds the message at Twilio instead of sending again)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.campaigns import Campaign, CampaignKind
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.events import ApplicationRef, EnrolRequest
from domain.statuses import EnrolmentStatus as S
from store.database import create_engine
from tests.api.conftest import StackFactory, blast_campaign
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, fake_twilio
from tests.faults.conftest import (
    VALID_PHONE,
    bridge_for,
    read_statuses,
    temporal_address,
    wait_until,
    worker_environment,
    worker_processes,
)

pytestmark = pytest.mark.devserver

REJECTION = Campaign(
    name="Rejection", kind=CampaignKind.BLAST, channel=ChannelKind.SMS, messages=["Thanks."]
)


async def test_an_answer_that_never_arrives_still_sends_exactly_once(
    open_stack: StackFactory,
) -> None:
    async with fake_twilio() as twilio:
        twilio.misbehave.swallowed_answers = 1
        async with open_stack(
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN,
            twilio_api_url=twilio.url,
            twilio_timeout=1.0,
            sms_from=SMS_FROM,
        ) as stack:
            rejection = await stack.put_campaign("rejection", blast_campaign())
            job = await stack.put_job("job", [{"id": "r", "name": "R", "campaign_id": rejection}])
            [enrolment] = await stack.send_event(
                stack.ats_event(job_id=job, stage_id="r", application="a", candidate="c")
            )

            delivered = await stack.wait_for(enrolment["id"], "delivered")

        [sent] = twilio.messages
        assert twilio.creates == 1 and twilio.lists >= 1
        [message] = delivered["messages"]
        assert message["provider_message_id"] == sent.sid


async def test_a_worker_killed_right_after_twilio_accepted_sends_exactly_once(
    dev_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    task_queue, delivery_task_queue = f"faults-twilio-{run}", f"faults-twilio-delivery-{run}"
    engine = create_engine(sqlite_url)
    async with fake_twilio() as twilio:
        # The first create is stored at Twilio, and its answer held back: the worker is
        # killed while it waits, right after the provider took the message.
        twilio.misbehave.swallowed_answers = 1
        environ = worker_environment(
            address=temporal_address(dev_env.client),
            database_url=sqlite_url,
            data_dir=tmp_path,
            task_queue=task_queue,
            delivery_task_queue=delivery_task_queue,
            delivery_rate=10,
        ) | {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "ENROLMENTS_TWILIO_API_URL": twilio.url,
            "ENROLMENTS_SMS_FROM": SMS_FROM,
        }
        bridge = bridge_for(dev_env.client, task_queue, delivery_task_queue, enrol_timeout=60)
        request = EnrolRequest(
            event_id=f"evt-{run}",
            occurred_at=datetime.now(UTC),
            application=ApplicationRef(id=f"app-{run}", job_id="job", stage_id="rejected"),
            candidate=CandidateContact(id=f"kill-{run}", name="Ana", phone=VALID_PHONE),
            campaign_id="rejection",
            campaign=REJECTION,
        )
        try:
            with worker_processes(environ, tmp_path) as start_worker:
                first = start_worker()
                [enrolment] = (await bridge.enrol(request)).enrolments
                await asyncio.wait_for(twilio.accepted.wait(), timeout=60)
                first.kill()
                start_worker()

                async def delivered() -> bool:
                    statuses = await read_statuses(engine, [enrolment.id])
                    return statuses.get(enrolment.id, ("", None))[0] == S.DELIVERED

                async def explain() -> str:
                    return f"statuses: {await read_statuses(engine, [enrolment.id])}"

                # Temporal retries the abandoned attempt once its 30 s timeout passes.
                await wait_until(delivered, within=90, explain=explain, every=0.2)
        finally:
            await engine.dispose()

        assert len(twilio.messages) == 1, [m.sid for m in twilio.messages]
        assert twilio.creates == 1, "the retry looked the message up instead of sending it"
