"""Delivering one message of a candidate's thread: the activity call, and what its outcome
does to the thread. Workflow code (it runs in the candidate's workflow, deterministically).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        DELIVER_MESSAGE,
        PERMANENT_DELIVERY_FAILURE,
        DeliverMessage,
        SendResult,
    )
    from domain.enrolments import StatusReason
    from domain.messages import outbound_message
    from domain.sending import PendingSend
    from domain.thread import CandidateThread
    from workflows.inputs import CandidateWorkflowInput, delivery_queue

DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
    non_retryable_error_types=[PERMANENT_DELIVERY_FAILURE],
)


async def deliver(
    thread: CandidateThread, send: PendingSend, input: CandidateWorkflowInput
) -> None:
    """Send ``send`` through the delivery activity (its own task queue, rate limited), then
    record on ``thread`` that it was sent, refused for good, or called off (an erasure)."""
    enrolment = thread.enrolments[send.enrolment_id]
    message = outbound_message(enrolment, send.message_number, thread.candidate)
    channel = enrolment.campaign.channel
    queue = input.delivery_task_queue
    try:
        await workflow.execute_activity(
            DELIVER_MESSAGE,
            DeliverMessage(message=message),
            result_type=SendResult,
            task_queue=delivery_queue(queue, channel) if input.per_channel_queues else queue,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DELIVERY_RETRY,
            # Called off (an erasure): wait until the activity surely stopped, or sent.
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            summary=(
                f"{enrolment.campaign.channel} message {send.message_number} of "
                f"{enrolment.campaign.name!r} to candidate {thread.candidate.id}"
            ),
        )
    except ActivityError as err:
        if isinstance(err.cause, CancelledError):
            thread.record_send_called_off(send, workflow.now())
        else:
            reason, detail = _failure_reason(err)
            thread.record_send_failure(send, reason, detail, workflow.now())
    else:
        thread.record_sent(send, workflow.now())


def _failure_reason(err: ActivityError) -> tuple[str, str]:
    """The reason and detail of a delivery that failed for good."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type == PERMANENT_DELIVERY_FAILURE:
        details = list(cause.details)
        if len(details) >= 2:
            return str(details[0]), str(details[1])
    return StatusReason.PROVIDER_REJECTED, str(cause or err)
