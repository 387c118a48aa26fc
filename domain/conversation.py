"""Conversational mode: the campaign's modules worked through in the chat.

Once the welcome is delivered, each module goes out as messages of its own, one at a time: a
content module's text (it counts as done once the channel accepted it), each question of a
question module with its options numbered (the candidate's reply answers it), a schedule
module's link to the candidate's page. A reply that does not fit is asked again with a hint, at
most ``RETRIES`` times; then the candidate gets their link to answer on the page instead. A
module without content waits for the progress webhook, as in link mode. Every module moves
through ``progress.record_progress``: the same path, the same checks, as the webhook's and the
page's.

A conversational message is numbered after the campaign's own messages and nudges:
``BASE + (module * 32 + question) * 4 + attempt`` (attempt 0 asks, 1 and 2 ask again,
``LINK`` hands over to the page), so each is sent once (its idempotency key) and names itself.

Functions over ``CandidateThread``; the thread calls them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from domain.campaigns import CampaignModule, ModuleType
from domain.enrolments import CONVERSATION_BASE, Conversation, Enrolment
from domain.events import CandidateReply, ModuleProgress, ProgressEvent, ReplyResult
from domain.questions import HINTS, AnswerProblem, AnswerValue, numbered, read_answer
from domain.sending import queue_send
from domain.statuses import EnrolmentStatus

if TYPE_CHECKING:
    from domain.thread import CandidateThread

S = EnrolmentStatus
#: Where a conversation can move on.
RUNNING = (S.DELIVERED, S.IN_PROGRESS)
BASE = CONVERSATION_BASE
#: How many times a question is asked again before the candidate gets the link.
RETRIES = 2
#: The attempt that sends the link instead of asking again.
LINK = 3
#: The longest reply kept on a timeline.
MAX_KEPT_REPLY = 500


def number(module: int, question: int, attempt: int) -> int:
    return BASE + (module * 32 + question) * 4 + attempt


def parts(message_number: int) -> tuple[int, int, int]:
    """``(module, question, attempt)`` of a conversational message's number."""
    step, attempt = divmod(message_number - BASE, 4)
    module, question = divmod(step, 32)
    return module, question, attempt


def is_conversational(message_number: int) -> bool:
    return message_number >= BASE


def begin(thread: CandidateThread, enrolment: Enrolment, now: datetime) -> None:
    """The welcome was delivered: the first module goes out."""
    enrolment.conversation = Conversation()
    advance(thread, enrolment, now)


def advance(thread: CandidateThread, enrolment: Enrolment, now: datetime) -> None:
    """Send what the conversation is on, or move past what needs nothing from the chat."""
    talk = enrolment.conversation
    modules = enrolment.campaign.modules
    while (
        talk is not None and not talk.on_page and enrolment.status in (S.DELIVERED, S.IN_PROGRESS)
    ):
        if talk.module >= len(modules):
            return
        module = modules[talk.module]
        state = enrolment.modules.get(module.id)
        if state is ProgressEvent.COMPLETED:
            talk.module, talk.question, talk.attempts, talk.answers = talk.module + 1, 0, 0, {}
            continue
        if state is None and (module.has_content or module.type is ModuleType.SCHEDULE):
            _progress(thread, enrolment, module, ProgressEvent.STARTED, now)
        if module.questions:
            if not talk.waiting:
                talk.waiting = True
                queue_send(thread, enrolment, number(talk.module, talk.question, 0), now)
        elif module.body or module.video_url:
            queue_send(thread, enrolment, number(talk.module, 0, 0), now)
        elif module.type is ModuleType.SCHEDULE and enrolment.link is not None:
            queue_send(thread, enrolment, number(talk.module, 0, LINK), now)
        return


def sent(thread: CandidateThread, enrolment: Enrolment, message_number: int, now: datetime) -> None:
    """A conversational message was accepted: a content module's text completes it."""
    talk = enrolment.conversation
    module_at, _, attempt = parts(message_number)
    modules = enrolment.campaign.modules
    if talk is None or module_at != talk.module or module_at >= len(modules) or attempt:
        return
    module = modules[module_at]
    if not module.questions and (module.body or module.video_url):
        _progress(thread, enrolment, module, ProgressEvent.COMPLETED, now)
        advance(thread, enrolment, now)


def reply(thread: CandidateThread, event: CandidateReply, now: datetime) -> ReplyResult:
    """A reply from the candidate: the answer to the question their conversation waits on,
    else (when ``only_if_asked`` is off) a note on the timeline for the recruiter."""
    if thread.has_seen("reply", event.event_id):
        return ReplyResult(outcome="repeated")
    asked = next(
        (
            e
            for e in thread.enrolments.values()
            if e.conversation is not None and e.conversation.waiting and e.status in RUNNING
        ),
        None,
    )
    if asked is None:
        if event.only_if_asked:
            return ReplyResult(outcome="not_asked")  # the id stays unseen: it may be kept next
        kept = _newest(thread)
        if kept is None:
            return ReplyResult(outcome="nobody")
        thread.first_sight("reply", event.event_id)
        kept.note(now, f"reply with nothing asked: {event.text[:MAX_KEPT_REPLY]!r}")
        return ReplyResult(outcome="kept", enrolment_id=kept.id)
    thread.first_sight("reply", event.event_id)
    return _answer(thread, asked, event.text, now)


def _answer(thread: CandidateThread, enrolment: Enrolment, text: str, now: datetime) -> ReplyResult:
    talk = enrolment.conversation
    assert talk is not None
    module = enrolment.campaign.modules[talk.module]
    question = module.questions[talk.question]
    try:
        value = read_answer(question, text, chat=True)
    except AnswerProblem as problem:
        talk.attempts += 1
        attempt = talk.attempts if talk.attempts <= RETRIES else LINK
        if attempt == LINK:
            talk.waiting, talk.on_page = False, enrolment.link is not None
        enrolment.note(now, f"reply to {question.id!r} did not fit ({problem.code})")
        if attempt != LINK or enrolment.link is not None:
            queue_send(thread, enrolment, number(talk.module, talk.question, attempt), now)
        return ReplyResult(
            outcome="asked_again" if attempt != LINK else "link_sent", enrolment_id=enrolment.id
        )
    if value is not None:
        talk.answers[question.id] = value
    talk.question, talk.attempts, talk.waiting = talk.question + 1, 0, False
    knocked_out = value is not None and question.knocks_out(value)
    if talk.question >= len(module.questions) or knocked_out:
        _progress(thread, enrolment, module, ProgressEvent.COMPLETED, now, dict(talk.answers))
    advance(thread, enrolment, now)
    return ReplyResult(outcome="answered", enrolment_id=enrolment.id)


def _progress(
    thread: CandidateThread,
    enrolment: Enrolment,
    module: CampaignModule,
    event: ProgressEvent,
    now: datetime,
    answers: dict[str, AnswerValue] | None = None,
) -> None:
    """A module moves, through the progress webhook's own path (``record_progress``)."""
    from domain.progress import record_progress

    record_progress(
        thread,
        ModuleProgress(
            event_id=f"chat-{enrolment.id}-{module.id}-{event.value}",
            enrolment_id=enrolment.id,
            module_id=module.id,
            event=event,
            answers=answers or {},
        ),
        now,
    )


def _newest(thread: CandidateThread) -> Enrolment | None:
    """The enrolment a stray reply is kept on: the one holding the thread, else the newest."""
    if thread.holder is not None and thread.holder in thread.enrolments:
        return thread.enrolments[thread.holder]
    return max(thread.enrolments.values(), key=lambda e: e.created_at, default=None)


def text_of(enrolment: Enrolment, message_number: int) -> str:
    """The text of a conversational message (the page's link for ``link``)."""
    module_at, question_at, attempt = parts(message_number)
    module = enrolment.campaign.modules[module_at]
    link = enrolment.link.url if enrolment.link is not None else ""
    if attempt == LINK:
        if module.type is ModuleType.SCHEDULE:
            return f"{module.name}: {link}"
        return f"You can answer on this page instead: {link}"
    if not module.questions:
        return plain(module.body or "") + (f"\n{module.video_url}" if module.video_url else "")
    question = module.questions[question_at]
    if attempt == 0:
        return numbered(question)
    hint = HINTS["choose_number"] if question.options else _hint_for(question.answer.value)
    return f"{hint}\n{numbered(question)}"


def _hint_for(kind: str) -> str:
    return HINTS.get(kind, HINTS["required"])


def plain(markdown: str) -> str:
    """A content body as chat text: emphasis marks dropped, ``[label](url)`` as ``label (url)``."""
    text = re.sub(r"\[([^\]\n]+)\]\(([^)\s]+)\)", r"\1 (\2)", markdown)
    return re.sub(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)", "", text).strip()


def name_of(enrolment: Enrolment, message_number: int) -> str:
    """How a timeline names a conversational message."""
    module_at, question_at, attempt = parts(message_number)
    modules = enrolment.campaign.modules
    module = modules[module_at].name if module_at < len(modules) else f"module {module_at + 1}"
    if attempt == LINK:
        return f"the link for {module!r}"
    if attempt:
        return f"question {question_at + 1} of {module!r} asked again"
    return (
        f"question {question_at + 1} of {module!r}"
        if modules[module_at].questions
        else repr(module)
    )
