"""The candidate's side: what their link opens, and what they do there.

A link's token is the only key (``domain.links``): it is hashed and looked up, never kept. Starting
and completing a module are the same workflow update as the progress webhook (one path, applied
once, ordered with the candidate's other events), with an event id made of the enrolment, the
module and the step, so a repeated or raced click changes nothing twice. Answers are read here
first (a bad one is a 422 naming each question, and nothing is stored), then again by the
workflow before it keeps them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from domain.campaigns import CampaignModule
from domain.events import ModuleProgress, ProgressEvent
from domain.links import token_hash
from domain.questions import Question, read_answers
from domain.statuses import EnrolmentStatus
from services.candidate_workflows import confirmed
from services.context import Context
from services.errors import Refused
from store.candidate_view import LinkedEnrolment, linked_enrolment

S = EnrolmentStatus
#: Where the candidate can work through the modules.
OPEN = frozenset({S.DELIVERED, S.IN_PROGRESS})
#: Where the page says the campaign ended (and never shows its modules).
ENDED = frozenset({S.EXPIRED, S.CANCELLED, S.FAILED})

ModuleState = Literal["not_started", "started", "completed"]


class ModuleView(BaseModel):
    """One module as the candidate's page (and ``GET /c/{token}/state``) shows it."""

    id: str
    name: str
    type: str
    state: ModuleState
    body: str | None = None
    video_url: str | None = None
    questions: list[Question] = []
    #: What the candidate answered (question id → value), once the module is completed.
    answers: dict[str, Any] = {}


class Named(BaseModel):
    name: str


class CandidateState(BaseModel):
    """``GET /c/{token}/state`` (API.md, "The candidate's side")."""

    enrolment_id: str
    status: EnrolmentStatus
    status_reason: str | None
    campaign: Named
    job: Named
    #: The first module not completed yet, while the campaign is open.
    current_module_id: str | None
    modules: list[ModuleView]


def state_of(linked: LinkedEnrolment) -> CandidateState:
    """What the candidate's page shows of ``linked`` (no module of an ended campaign)."""
    modules = [] if linked.status in ENDED else [_view(linked, m) for m in linked.campaign.modules]
    current = next((m.id for m in modules if m.state != "completed"), None)
    return CandidateState(
        enrolment_id=linked.enrolment_id,
        status=linked.status,
        status_reason=linked.status_reason,
        campaign=Named(name=linked.campaign.name),
        job=Named(name=linked.job_name),
        current_module_id=current if linked.status in OPEN else None,
        modules=modules,
    )


def _view(linked: LinkedEnrolment, module: CampaignModule) -> ModuleView:
    completed = linked.modules.get(module.id)
    state: ModuleState = (
        "completed" if completed else "started" if completed is not None else "not_started"
    )
    return ModuleView(
        id=module.id,
        name=module.name,
        type=module.type.value,
        state=state,
        body=module.body,
        video_url=module.video_url,
        questions=module.questions,
        answers=linked.answers.get(module.id, {}),
    )


async def linked(context: Context, token: str) -> LinkedEnrolment:
    """The enrolment ``token`` opens; raises ``Refused`` 404 (``link_not_found``) for a
    token no link has (never made, revoked, or the candidate erased)."""
    if not 16 <= len(token) <= 64:
        raise Refused(404, "link_not_found", "no such link")
    async with context.reads() as session:
        found = await linked_enrolment(session, token_hash(token))
    if found is None:
        raise Refused(404, "link_not_found", "no such link")
    return found


async def start_module(context: Context, found: LinkedEnrolment, module_id: str) -> None:
    """The candidate opened a module (the first start moves the enrolment ``in_progress``);
    ``found``: the enrolment as just read."""
    module = open_module(found, module_id)
    await _progress(context, found, module, ProgressEvent.STARTED, {})


def next_module(found: LinkedEnrolment, completed: str) -> str | None:
    """The module to open after ``completed``: the first after it not completed yet."""
    ids = [m.id for m in found.campaign.modules]
    after = ids[ids.index(completed) + 1 :] if completed in ids else []
    return next((m for m in after if not found.modules.get(m)), None)


async def complete_module(
    context: Context,
    found: LinkedEnrolment,
    module_id: str,
    given: dict[str, object],
    *,
    opens: str | None = None,
) -> None:
    """The candidate completed a module with ``given`` answers (``found``: the enrolment as
    just read), and lands on module ``opens``, which starts in the same step. Raises
    ``Refused`` 422 (``invalid_answers``, ``details``: ``[{"question_id", "message",
    "code"}]``) for a missing required or unfit answer, storing nothing."""
    module = open_module(found, module_id)
    answers, problems = read_answers(module.questions, given)
    if problems:
        raise Refused(
            422,
            "invalid_answers",
            "; ".join(f"{q}: {p.hint}" for q, p in problems.items()),
            [{"question_id": q, "message": p.hint, "code": p.code} for q, p in problems.items()],
        )
    await _progress(context, found, module, ProgressEvent.COMPLETED, dict(answers), opens)


def open_module(found: LinkedEnrolment, module_id: str) -> CampaignModule:
    """The module ``module_id`` of an enrolment still open; raises ``Refused`` 409
    (``enrolment_not_open``) or 404 (``module_not_found``)."""
    if found.status not in OPEN:
        raise Refused(409, "enrolment_not_open", f"the campaign is {found.status}")
    module = next((m for m in found.campaign.modules if m.id == module_id), None)
    if module is None:
        raise Refused(404, "module_not_found", f"no module {module_id!r}")
    return module


async def _progress(
    context: Context,
    found: LinkedEnrolment,
    module: CampaignModule,
    event: ProgressEvent,
    answers: dict[str, Any],
    opens: str | None = None,
) -> None:
    await confirmed(
        context.workflows.progress(
            found.candidate_id,
            ModuleProgress(
                event_id=f"page-{found.enrolment_id}-{module.id}-{event.value}"[:200],
                enrolment_id=found.enrolment_id,
                module_id=module.id,
                event=event,
                answers=answers,
                opens=opens,
            ),
        )
    )
