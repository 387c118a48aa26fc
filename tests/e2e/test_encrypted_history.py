"""With encryption keys, Temporal's history of a candidate holds no name, number or e-mail.

The worker and the bridge use the encrypting converter (as every process does when
``ENROLMENTS_ENCRYPTION_KEYS`` is set); the history is then read raw, with a client that has
no keys, byte by byte.
"""

from __future__ import annotations

import uuid

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config.encryption import data_converter, new_key_setting
from config.settings import Settings
from domain.candidates import CandidateContact
from domain.identity import candidate_workflow_id
from domain.statuses import EnrolmentStatus as S
from domain.thread import CandidateThread
from store.database import create_engine
from tests.e2e.test_embedded_stack import Stack, request
from tests.workflows.conftest import blast
from workers.worker import running_workers


async def test_the_server_keeps_no_name_number_or_email_of_a_candidate(
    dev_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    keys = new_key_setting("e2e")
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=sqlite_url,
        task_queue=f"encrypted-{suffix}",
        delivery_task_queue=f"encrypted-delivery-{suffix}",
        encryption_keys=keys,
    )
    plain = dev_env.client
    encrypted = await Client.connect(
        plain.service_client.config.target_host,
        namespace=plain.namespace,
        data_converter=data_converter(keys),
    )
    contact = CandidateContact(
        id=f"c-{suffix}",
        name="Grace Brewster Hopper",
        phone="+14155550199",
        email="grace.hopper@example.com",
    )
    wrong_number = CandidateContact(id=f"w-{suffix}", name="Ada Byron", phone="+9991234567")
    engine = create_engine(settings.database_url)
    try:
        async with running_workers(encrypted, settings, engine):
            stack = Stack(encrypted, settings, engine)
            result = await stack.enrol(
                contact,
                request(contact, "e1", "a1", "rejected", campaign_id="b", campaign=blast()),
            )
            await stack.wait_row_status(result.enrolments[0].id, S.DELIVERED)
            handle = encrypted.get_workflow_handle(candidate_workflow_id(contact.id))
            state = await handle.query("state", result_type=CandidateThread)
            assert state.candidate.name == contact.name, "the keys read it back"
            # A failed delivery: the channel's error quotes the number it refused.
            failed = await stack.enrol(
                wrong_number,
                request(wrong_number, "e2", "a2", "rejected", campaign_id="b", campaign=blast()),
            )
            await stack.wait_row_status(failed.enrolments[0].id, S.FAILED)
    finally:
        await engine.dispose()

    needles = {
        contact.id: (b"hopper", b"brewster", b"4155550199", b"grace.hopper", b"example.com"),
        wrong_number.id: (b"byron", b"9991234567"),
    }
    for candidate_id, personal in needles.items():
        handle = plain.get_workflow_handle(candidate_workflow_id(candidate_id))
        history = await handle.fetch_history()
        raw = b"".join(event.SerializeToString() for event in history.events).lower()
        assert len(history.events) > 5
        for needle in personal:
            assert needle not in raw, (candidate_id, needle)
        assert b"binary/encrypted" in raw
