"""What providers report about messages they accepted (Twilio's status callbacks).

A report moves its message forward (queued, sent, delivered, read; undelivered and failed are
final); a repeated or reordered one changes nothing. When the welcome message of an enrolment
turns out undelivered, its candidate's workflow is told, with the failure reason the provider's
error code maps to.
"""

from __future__ import annotations

from datetime import UTC, datetime

from channels.twilio import failure_reason
from domain.events import DeliveryOutcome, DeliveryReceipt
from domain.sending import WELCOME_MESSAGE
from services.context import Context
from store.delivery_reports import DeliveryReports, ReportOutcome
from store.message_status import UNDELIVERED


async def record_report(
    context: Context, provider_message_id: str, status: str, error_code: str | None
) -> str | None:
    """Record how far the message got; an undelivered welcome fails its enrolment. Returns
    why the report changed nothing (``None``: it moved the message).

    The workflow is told again when a repeated report finds the welcome already undelivered
    (telling it may have failed the first time: it applies each report once).
    """
    report = await DeliveryReports(context.sessions).record(
        provider_message_id, status, error_code, datetime.now(UTC)
    )
    if report.outcome is ReportOutcome.KEPT:
        return "kept until the message's send is recorded"
    message = report.message
    if message is None:
        return f"status {status!r} changes nothing"
    if message.status not in UNDELIVERED or message.message_number != WELCOME_MESSAGE:
        return None
    code = message.error_code
    told = await context.workflows.receipt(
        message.candidate_id,
        DeliveryReceipt(
            event_id=f"twilio:{provider_message_id}:{message.status}",
            enrolment_id=message.enrolment_id,
            message_number=message.message_number,
            outcome=DeliveryOutcome.FAILED,
            reason=f"twilio {message.status}" + (f" (error {code})" if code else ""),
            failure=failure_reason(code),
        ),
    )
    return None if told else "the candidate has no running workflow"
