"""``/c/<token>``: the candidate's interview (API.md, "Interviews"): the free slots, booking
one (which completes the schedule module), and moving or cancelling it later, up to the
minimum notice. Forms and JSON alike, as the rest of the candidate's pages; who gets a slot is
decided by the interviewer's workflow, never here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import AwareDatetime, BaseModel, TypeAdapter, ValidationError

from api.bodies import CheckedRoute, media_type, read_json
from api.candidate.screens import PRIVATE, back, linked_by, screen_now, words
from api.dependencies import ContextDep
from api.permissions import CANDIDATE_LINK
from domain.interviews import Interview
from services.candidate_interviews import (
    candidate_cancel,
    candidate_confirm,
    candidate_reschedule,
)
from services.candidate_pages import linked
from services.errors import Refused
from services.interviews import Slots, book, candidate_slots
from store.candidate_view import LinkedEnrolment

router = APIRouter(tags=["candidate"], route_class=CheckedRoute, dependencies=[CANDIDATE_LINK])


class BookedInterview(BaseModel):
    """An interview as its candidate sees it, in their time zone."""

    id: str
    start: AwareDatetime
    end: AwareDatetime
    interviewer_id: str
    status: str


class Booked(BaseModel):
    """The answer of booking, moving or cancelling an interview."""

    interview: BookedInterview


@router.get("/c/{token}/slots", response_model=Slots, summary="The slots the candidate may book")
async def slots(request: Request, token: str, context: ContextDep) -> Response:
    """The free interview slots of the enrolment's stage, in the candidate's time zone."""
    offered = await candidate_slots(context, await linked_by(request, context, token))
    return JSONResponse(offered.model_dump(mode="json"), headers=PRIVATE)


@router.post(
    "/c/{token}/modules/{module_id}/book",
    response_model=Booked,
    summary="The candidate books a slot, completing the schedule module",
)
async def book_slot(request: Request, token: str, module_id: str, context: ContextDep) -> Response:
    """Book the slot starting at ``{"start": "…"}`` (JSON) or the form's ``start``: the
    interview (JSON), or the next screen (303). 409 ``slot_taken`` with fresh ``slots`` when
    another candidate has it (the form shows them, saying so)."""

    async def booking(found: LinkedEnrolment, start: datetime | None) -> Interview:
        assert start is not None
        link = f"{context.settings.public_base}/c/{token}"
        return await book(context, found, module_id, start, link)

    return await _act(request, token, context, booking, needs_start=True)


@router.post(
    "/c/{token}/interviews/{interview_id}/reschedule",
    response_model=Booked,
    summary="The candidate moves their interview to another free slot",
)
async def reschedule(
    request: Request, token: str, interview_id: str, context: ContextDep
) -> Response:
    """Move the interview to ``{"start": "…"}`` (or the form's ``start``), one of the same
    interviewer's free slots: up to the minimum notice before it, twice (409 ``too_late``,
    ``too_many_changes``: the recruiter can), 409 ``slot_taken`` with fresh slots."""

    async def moving(found: LinkedEnrolment, start: datetime | None) -> Interview:
        assert start is not None
        return await candidate_reschedule(context, found, interview_id, start)

    return await _act(request, token, context, moving, needs_start=True, changing=True)


@router.post(
    "/c/{token}/interviews/{interview_id}/cancel",
    response_model=Booked,
    summary="The candidate cancels their interview",
)
async def cancel(request: Request, token: str, interview_id: str, context: ContextDep) -> Response:
    """Cancel the interview, up to the minimum notice before it (409 ``too_late``)."""

    async def cancelling(found: LinkedEnrolment, start: datetime | None) -> Interview:
        return await candidate_cancel(context, found, interview_id)

    return await _act(request, token, context, cancelling, needs_start=False)


@router.post(
    "/c/{token}/interviews/{interview_id}/confirm",
    response_model=Booked,
    summary="The candidate confirms they will come",
)
async def confirm(request: Request, token: str, interview_id: str, context: ContextDep) -> Response:
    """Confirm attendance: the interview shows as ``confirmed`` to the recruiter."""

    async def confirming(found: LinkedEnrolment, start: datetime | None) -> Interview:
        return await candidate_confirm(context, found, interview_id)

    return await _act(request, token, context, confirming, needs_start=False)


async def _act(
    request: Request,
    token: str,
    context: ContextDep,
    action: Callable[[LinkedEnrolment, datetime | None], Awaitable[Interview]],
    *,
    needs_start: bool,
    changing: bool = False,
) -> Response:
    """Do ``action`` for the link's enrolment: its interview as JSON, or back to the page
    (303) for a form; a slot taken meanwhile shows the page again with fresh slots."""
    as_json = media_type(request) == "application/json"
    try:
        found = await linked_by(request, context, token)
        start = await _start_asked(request, as_json) if needs_start else None
        interview = await action(found, start)
    except Refused as refusal:
        if as_json:
            raise
        if refusal.code != "slot_taken":
            return back(request, token, refusal)
        found = await linked(context, token)
        taken = {"start": words(request)("slot_taken")}
        return await screen_now(request, context, token, found, taken, changing=changing)
    if as_json:
        zone = ZoneInfo(found.timezone or "UTC")
        shown = BookedInterview(
            id=interview.id,
            start=interview.start.astimezone(zone),
            end=interview.end.astimezone(zone),
            interviewer_id=interview.interviewer_id,
            status=interview.status.value,
        )
        return JSONResponse(Booked(interview=shown).model_dump(mode="json"), headers=PRIVATE)
    return RedirectResponse(f"/c/{token}", 303, headers=PRIVATE)


async def _start_asked(request: Request, as_json: bool) -> datetime:
    """The slot's start the candidate picked; a 422 ``invalid_start`` when it is not an
    instant with its zone."""
    if as_json:
        document = read_json(await request.body())
        value = document.get("start") if isinstance(document, dict) else None
    else:
        value = (await request.form()).get("start")
    try:
        return _INSTANT.validate_python(value)
    except ValidationError as err:
        raise Refused(
            422, "invalid_start", 'send {"start": "…"}: an RFC 3339 time with its zone'
        ) from err


_INSTANT: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
