"""What candidates' progress does to their thread: a module started or completed, an
interviewer's availability releasing Auto-Match enrolments, a carrier's late delivery report,
a request to write the read model again.

Functions over ``CandidateThread`` (its methods of the same names call them); each applies an
event id once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import conversation
from domain.campaigns import CampaignModule
from domain.enrolments import Enrolment, StatusReason
from domain.events import (
    DeliveryOutcome,
    DeliveryReceipt,
    InterviewerAvailability,
    ModuleProgress,
    ProgressEvent,
    ReadModelResync,
)
from domain.questions import Answer, Question, read_answers
from domain.sending import WELCOME_MESSAGE, queue_send
from domain.statuses import EnrolmentStatus

if TYPE_CHECKING:
    from domain.thread import CandidateThread

S = EnrolmentStatus


def record_progress(thread: CandidateThread, event: ModuleProgress, now: datetime) -> str | None:
    """Apply a module start/completion. Returns why it was ignored, or ``None`` if applied."""
    if not thread.first_sight("progress", event.event_id):
        return "duplicate event"
    enrolment = thread.enrolments.get(event.enrolment_id)
    if enrolment is None:
        return "unknown enrolment"
    if enrolment.campaign.is_blast:
        return "a blast has no modules"
    if enrolment.status not in (S.DELIVERED, S.IN_PROGRESS):
        return f"enrolment is {enrolment.status}"
    module = next((m for m in enrolment.campaign.modules if m.id == event.module_id), None)
    if module is None:
        return f"unknown module {event.module_id!r}"
    if enrolment.modules.get(module.id) is ProgressEvent.COMPLETED:
        return f"module {module.id!r} already completed"
    if thread.rules >= 2 and enrolment.modules.get(module.id) is event.event:
        return f"module {module.id!r} already {event.event}"
    answers, why = _answers_of(module, event, now)
    if why is not None:
        return why
    enrolment.modules[module.id] = event.event
    detail = f"module {module.name!r} {event.event}"
    if enrolment.status is S.DELIVERED:
        enrolment.transition(S.IN_PROGRESS, now, detail)
    else:
        enrolment.note(now, detail)
    enrolment.keep_answers(answers)
    knocked_out = [a for a in answers if _question(module, a.question_id).knocks_out(a.value)]
    if knocked_out:
        said = ", ".join(f"{a.question_id}: {a.value}" for a in knocked_out)
        enrolment.transition(
            S.COMPLETED, now, f"an answer ended the campaign ({said})", StatusReason.KNOCKED_OUT
        )
        thread.release(enrolment, now)
        return None
    done = all(
        enrolment.modules.get(m.id) is ProgressEvent.COMPLETED for m in enrolment.campaign.modules
    )
    if done:
        enrolment.transition(S.COMPLETED, now, "every module completed")
        for n in range(WELCOME_MESSAGE + 1, len(enrolment.campaign.messages) + 1):
            queue_send(thread, enrolment, n, now)
        thread.release(enrolment, now)
    elif enrolment.conversation is not None and not event.event_id.startswith("chat-"):
        conversation.advance(thread, enrolment, now)  # the webhook or the page moved it on
    else:
        _open(enrolment, event, now)
    return None


def _open(enrolment: Enrolment, event: ModuleProgress, now: datetime) -> None:
    """Start the module a completion ``opens`` (the candidate's page moved them on to it)."""
    if event.event is not ProgressEvent.COMPLETED:
        return
    following = next((m for m in enrolment.campaign.modules if m.id == event.opens), None)
    if following is not None and following.id not in enrolment.modules:
        enrolment.modules[following.id] = ProgressEvent.STARTED
        enrolment.note(now, f"module {following.name!r} {ProgressEvent.STARTED}")


def _answers_of(
    module: CampaignModule, event: ModuleProgress, now: datetime
) -> tuple[list[Answer], str | None]:
    """The answers a module's completion brings, read again here (the edge read them once):
    ``(answers, why they are refused)``. A completion without answers (the progress webhook
    of a module answered elsewhere) brings none."""
    if not event.answers:
        return [], None
    if event.event is not ProgressEvent.COMPLETED or not module.questions:
        return [], f"answers go with the completion of a question module, not {event.event}"
    read, problems = read_answers(module.questions, dict(event.answers))
    if any(q.knocks_out(read[q.id]) for q in module.questions if q.id in read):
        # A knockout ends the campaign: the questions after it need no answer (the chat
        # stops asking once it is given).
        problems = {q: p for q, p in problems.items() if p.code != "required"}
    if problems:
        return [], "answers that do not fit: " + ", ".join(sorted(problems))
    return [
        Answer(
            module_id=module.id,
            question_id=q.id,
            prompt=q.prompt,
            value=read[q.id],
            answered_at=now,
        )
        for q in module.questions
        if q.id in read
    ], None


def _question(module: CampaignModule, question_id: str) -> Question:
    return next(q for q in module.questions if q.id == question_id)


def release_auto_match(
    thread: CandidateThread, event: InterviewerAvailability, now: datetime
) -> list[Enrolment]:
    """Interviewer availability for a job stage: its Auto-Match enrolments go out."""
    if not thread.first_sight("availability", event.event_id):
        return []
    waiting = [
        e
        for e in thread.enrolments.values()
        if e.status is S.AUTO_MATCH
        and (e.job_id, e.stage_id) == (event.job_id, event.stage_id)
        and (event.received_at is None or e.status_times[S.AUTO_MATCH] <= event.received_at)
    ]
    for enrolment in waiting:
        enrolment.transition(
            thread.admission_status(),
            now,
            f"interviewer {event.interviewer_id} shared {len(event.slots)} slot(s)",
        )
        thread.admit(enrolment, now)
    return waiting


def record_receipt(thread: CandidateThread, event: DeliveryReceipt, now: datetime) -> str | None:
    """A channel's delivery report. Only a failure of a welcome not yet acted on matters."""
    if not thread.first_sight("receipt", event.event_id):
        return "duplicate event"
    enrolment = thread.enrolments.get(event.enrolment_id)
    if enrolment is None:
        return "unknown enrolment"
    if event.outcome is DeliveryOutcome.DELIVERED:
        return "delivery confirmed"
    failure = _failure_reason(event.failure)
    if event.message_number == WELCOME_MESSAGE and enrolment.status is S.SENDING:
        # The carrier's callback can overtake the send's own result (both may reach the
        # workflow in one task, signals first): act on it once the send reports back.
        enrolment.early_failure_report = event.reason or "no reason given"
        enrolment.early_failure_reason = failure
        return None
    if event.message_number != WELCOME_MESSAGE or enrolment.status is not S.DELIVERED:
        return f"enrolment is {enrolment.status}"
    thread.fail_undelivered(enrolment, event.reason or "no reason given", now, failure)
    return None


def request_resync(thread: CandidateThread, event: ReadModelResync) -> bool:
    """Ask for every enrolment to be written to the read model again (drift repair)."""
    if not thread.first_sight("resync", event.event_id):
        return False
    thread.resync_pending = True
    return True


def _failure_reason(value: str | None) -> StatusReason:
    """The reason a carrier's failure report names (``undelivered`` when it names none we know)."""
    try:
        return StatusReason(value) if value else StatusReason.UNDELIVERED
    except ValueError:
        return StatusReason.UNDELIVERED
