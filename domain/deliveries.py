"""What the delivery activity reports to a candidate's thread, and the thread's own clock: a
message accepted, refused for good or called off; deadlines passing.

Functions over ``CandidateThread`` (its methods of the same names call them).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import conversation
from domain.durations import capped
from domain.enrolments import Enrolment, StatusReason
from domain.sending import WELCOME_MESSAGE, PendingSend, message_name, nudge_name
from domain.statuses import EnrolmentStatus

if TYPE_CHECKING:
    from domain.thread import CandidateThread

S = EnrolmentStatus


def record_sent(thread: CandidateThread, send: PendingSend, now: datetime) -> None:
    """The channel accepted a message."""
    thread.drop_pending(send)
    enrolment = thread.enrolments.get(send.enrolment_id)
    if enrolment is not None and conversation.is_conversational(send.message_number):
        enrolment.note(now, f"{message_name(enrolment, send.message_number)} sent")
        conversation.sent(thread, enrolment, send.message_number, now)
        thread.dispatch(now)
        return
    if enrolment is None or send.message_number != WELCOME_MESSAGE:
        if enrolment is not None and (
            enrolment.is_nudge(send.message_number) or send.not_before is not None
        ):
            # A nudge, or a closing message that waited: its note also moves the next
            # scheduled send on.
            enrolment.note(now, f"{message_name(enrolment, send.message_number)} sent")
        thread.dispatch(now)
        return
    enrolment.delivered_at = now
    enrolment.transition(S.DELIVERED, now, f"{enrolment.campaign.channel} message delivered")
    nudges = enrolment.campaign.nudges
    if nudges is not None and not enrolment.campaign.is_blast:
        enrolment.nudges_at = [now + capped(offset) for offset in nudges.after]
    if enrolment.early_failure_report is not None:
        failure = enrolment.early_failure_reason or StatusReason.UNDELIVERED
        thread.fail_undelivered(enrolment, enrolment.early_failure_report, now, failure)
    elif enrolment.campaign.is_blast:
        thread.release(enrolment, now)
    elif enrolment.cancel_requested is not None:
        thread.cancel(enrolment, now, enrolment.cancel_requested)
    else:
        enrolment.expires_at = now + enrolment.campaign.effective_expiry
        if enrolment.campaign.conversational:
            conversation.begin(thread, enrolment, now)
    thread.dispatch(now)


def record_send_called_off(thread: CandidateThread, send: PendingSend, now: datetime) -> None:
    """The workflow called a message off before a provider accepted it (the candidate was
    erased): a welcome ends its enrolment."""
    thread.drop_pending(send)
    enrolment = thread.enrolments.get(send.enrolment_id)
    if enrolment is not None:
        if send.message_number == WELCOME_MESSAGE and enrolment.status is S.SENDING:
            reason = enrolment.cancel_requested or StatusReason.CANDIDATE_ERASED
            thread.cancel(enrolment, now, reason)
        else:
            enrolment.note(now, f"{message_name(enrolment, send.message_number)} called off")
    thread.dispatch(now)


def record_send_failure(
    thread: CandidateThread, send: PendingSend, reason: str, detail: str, now: datetime
) -> None:
    """The channel refused a message for good (invalid number, opted out...)."""
    thread.drop_pending(send)
    enrolment = thread.enrolments.get(send.enrolment_id)
    if enrolment is None:
        thread.dispatch(now)
        return
    if send.message_number == WELCOME_MESSAGE:
        enrolment.transition(S.FAILED, now, detail, reason=reason)
        thread.release(enrolment, now)
    elif enrolment.is_nudge(send.message_number):
        name = nudge_name(enrolment, send.message_number)
        enrolment.note(now, f"{name} not sent: {detail}")
    else:
        name = message_name(enrolment, send.message_number)
        enrolment.note(now, f"{name} not sent: {detail}")
    thread.dispatch(now)


def expire_due(thread: CandidateThread, now: datetime) -> list[Enrolment]:
    """End every delivered or in-progress enrolment whose deadline has passed."""
    due = [
        e
        for e in thread.enrolments.values()
        if e.expires_at is not None
        and e.expires_at <= now
        and e.status in (S.DELIVERED, S.IN_PROGRESS)
    ]
    for enrolment in due:
        enrolment.transition(S.EXPIRED, now, "not completed before the deadline")
        thread.release(enrolment, now)
    return due
