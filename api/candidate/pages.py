"""``/c/<token>``: the candidate's own pages, and their JSON twins (API.md, "The candidate's
side"). The token is the key: no sign-in, no cookie, nothing of any other candidate.

One module a screen with its progress; a form posts each step (no JavaScript needed), which
completes the module and opens the next, so the candidate resumes on any device from where
they left off. An ended enrolment's page says so and never shows its modules. What every
screen shares is in ``screens.py``; the interview's routes in ``interviews.py``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from api.bodies import CheckedRoute, media_type, read_json
from api.candidate.screens import (
    PRIVATE,
    back,
    json_state,
    linked_by,
    page,
    refused_page,
    screen,
    screen_now,
    wants_json,
    words,
)
from api.dependencies import ContextDep
from api.permissions import CANDIDATE_LINK
from domain.campaigns import Campaign
from domain.questions import AnswerKind
from domain.statuses import EnrolmentStatus
from services.candidate_pages import (
    CandidateState,
    complete_module,
    linked,
    next_module,
    start_module,
    state_of,
)
from services.errors import Refused
from store.candidate_view import LinkedEnrolment

router = APIRouter(tags=["candidate"], route_class=CheckedRoute, dependencies=[CANDIDATE_LINK])


@router.get("/c/{token}", response_class=HTMLResponse, summary="The candidate's page")
async def candidatepage(request: Request, token: str, context: ContextDep) -> Response:
    """The screen the candidate is on: the campaign's start, a module, or how it ended."""
    try:
        found = await linked_by(request, context, token)
    except Refused as refusal:
        return refused_page(request, refusal)
    changing = request.query_params.get("change") == "1"
    return await screen_now(request, context, token, found, changing=changing)


@router.get(
    "/c/{token}/state", response_model=CandidateState, summary="The candidate's page, as JSON"
)
async def candidate_state(request: Request, token: str, context: ContextDep) -> Response:
    return json_state(state_of(await linked_by(request, context, token)))


@router.post(
    "/c/{token}/modules/{module_id}/start",
    response_model=CandidateState,
    summary="The candidate opens a module",
)
async def start(request: Request, token: str, module_id: str, context: ContextDep) -> Response:
    """Start a module (the first start moves the enrolment ``in_progress``): the state as
    JSON, or back to the page (303) for a form."""
    as_json = wants_json(request)
    try:
        await start_module(context, await linked_by(request, context, token), module_id)
    except Refused as refusal:
        if as_json:
            raise
        return back(request, token, refusal)
    if as_json:
        return json_state(state_of(await linked(context, token)))
    return RedirectResponse(f"/c/{token}", 303, headers=PRIVATE)


@router.post(
    "/c/{token}/modules/{module_id}/complete",
    response_model=CandidateState,
    summary="The candidate completes a module, with its answers",
)
async def complete(request: Request, token: str, module_id: str, context: ContextDep) -> Response:
    """Complete a module with ``{"answers": {question id: value}}`` (JSON) or its form: the
    state (JSON), or the next screen (303); a missing or unfit answer is a 422 naming each
    question (the form again, with what was typed), and nothing is stored."""
    as_json = media_type(request) == "application/json"
    try:
        found = await linked_by(request, context, token)
        given = await _given(request, found, module_id, as_json)
        # Moving on from a form: the next module opens as the candidate lands on it.
        opens = None if as_json else next_module(found, module_id)
        await complete_module(context, found, module_id, given, opens=opens)
    except Refused as refusal:
        if as_json:
            raise
        if refusal.code != "invalid_answers":
            return back(request, token, refusal)
        said = words(request)
        errors = {d["question_id"]: said(f"answer.{d['code']}") for d in refusal.details}
        return screen(request, token, await linked(context, token), errors, given)
    if as_json:
        return json_state(state_of(await linked(context, token)))
    return RedirectResponse(f"/c/{token}", 303, headers=PRIVATE)


async def _given(
    request: Request, found: LinkedEnrolment, module_id: str, as_json: bool
) -> dict[str, Any]:
    """The answers posted: ``{"answers": {...}}`` as JSON, or the form's ``q.<id>`` fields."""
    if as_json:
        document = read_json(await request.body())
        answers = document.get("answers", {}) if isinstance(document, dict) else None
        if not isinstance(answers, dict):
            raise Refused(422, "invalid_answers", 'send {"answers": {question id: value}}')
        return answers
    form: FormData = await request.form()
    module = next((m for m in found.campaign.modules if m.id == module_id), None)
    given: dict[str, Any] = {}
    for question in module.questions if module is not None else []:
        values = [v for v in form.getlist(f"q.{question.id}") if isinstance(v, str)]
        if question.answer is AnswerKind.MULTI_CHOICE:
            given[question.id] = values
        elif values:
            given[question.id] = values[0]
    return given


def preview(request: Request, campaign: Campaign | None, problems: int) -> HTMLResponse:
    """Every module screen of ``campaign`` as its candidates will see them (the campaign
    editor's preview), for a sample candidate; or why it cannot show yet."""
    state = None
    if campaign is not None:
        sample = LinkedEnrolment(
            enrolment_id="preview",
            candidate_id="preview",
            first_name="Ada",
            job_id="preview",
            stage_id="preview",
            job_name="Barista",
            status=EnrolmentStatus.IN_PROGRESS,
            status_reason=None,
            campaign=campaign,
            expires_at=None,
            modules={},
            answers={},
        )
        state = state_of(sample)
    values = {"state": state, "problems": problems, "found": None}
    return page(request, "preview.html", values)
