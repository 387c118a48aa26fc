"""``/c/<token>``: the candidate's own pages, and their JSON twins (API.md, "The candidate's
side"). The token is the key: no sign-in, no cookie, nothing of any other candidate.

One module a screen with its progress; a form posts each step (no JavaScript needed), which
completes the module and opens the next, so the candidate resumes on any device from where
they left off. An ended enrolment's page says so and never shows its modules. Every answer is
``no-store``, ``noindex`` and ``no-referrer`` (the token must not leave in a ``Referer``); a
token gets at most ``RATE_PER_MINUTE`` requests a minute in this process.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import AwareDatetime, BaseModel, TypeAdapter, ValidationError
from starlette.datastructures import FormData

from api.bodies import CheckedRoute, media_type, read_json
from api.candidate.markdown import render_markdown
from api.candidate.strings import Words, language
from api.dependencies import ContextDep, api_context
from api.permissions import CANDIDATE_LINK
from domain.campaigns import Campaign
from domain.links import token_hash
from domain.questions import AnswerKind
from domain.statuses import EnrolmentStatus
from services.candidate_pages import (
    ENDED,
    OPEN,
    CandidateState,
    complete_module,
    linked,
    next_module,
    start_module,
    state_of,
)
from services.errors import Refused
from services.interviews import Slots, book, candidate_slots
from store.candidate_view import LinkedEnrolment

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["markdown"] = render_markdown

router = APIRouter(tags=["candidate"], route_class=CheckedRoute, dependencies=[CANDIDATE_LINK])

#: Requests one token may make a minute (in one API process): a person clicks far fewer.
RATE_PER_MINUTE = 120
#: Headers on every answer: never cached, never indexed, the token never sent on.
PRIVATE = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


class RateLimit:
    """At most ``per_minute`` requests a token in a sliding minute (the newest tokens kept)."""

    def __init__(self, per_minute: int, tokens: int = 100_000) -> None:
        self._per_minute = per_minute
        self._tokens = tokens
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allows(self, key: str) -> bool:
        now = time.monotonic()
        times = self._seen.pop(key, None) or deque()
        while times and now - times[0] > 60:
            times.popleft()
        self._seen[key] = times
        if len(self._seen) > self._tokens:
            self._seen.popitem(last=False)
        if len(times) >= self._per_minute:
            return False
        times.append(now)
        return True


_limits = RateLimit(RATE_PER_MINUTE)


def _words(request: Request) -> Words:
    """The strings of the visitor's language (``?lang=``, else their browser's)."""
    return Words(language(request.query_params.get("lang"), request.headers.get("accept-language")))


def _page(
    request: Request, name: str, values: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    words = _words(request)
    company = api_context(request).settings.company_name
    values = {"t": words, "lang": words.code, "company": company, **values}
    return templates.TemplateResponse(request, name, values, status_code, headers=PRIVATE)


def _refused_page(request: Request, refusal: Refused) -> Response:
    if refusal.status == 429:
        return _page(request, "message.html", {"kind": "busy"}, 429)
    return _page(request, "message.html", {"kind": "not_found"}, refusal.status)


async def _linked(request: Request, context: ContextDep, token: str) -> LinkedEnrolment:
    if not _limits.allows(token_hash(token)):
        raise Refused(429, "rate_limited", "too many requests for this link; retry in a minute")
    return await linked(context, token)


@router.get("/c/{token}", response_class=HTMLResponse, summary="The candidate's page")
async def candidate_page(request: Request, token: str, context: ContextDep) -> Response:
    """The screen the candidate is on: the campaign's start, a module, or how it ended."""
    try:
        found = await _linked(request, context, token)
    except Refused as refusal:
        return _refused_page(request, refusal)
    return await _screen_now(request, context, token, found)


class SlotChoice(BaseModel):
    value: str
    label: str


class SlotDay(BaseModel):
    label: str
    slots: list[SlotChoice]


class SlotDays(BaseModel):
    """The candidate's free slots as the page lists them: by day, in their time zone."""

    zone: str
    days: list[SlotDay]


def _days(words: Words, offered: Slots) -> SlotDays:
    days: dict[str, list[SlotChoice]] = {}
    for slot in offered.slots:
        choice = SlotChoice(value=slot.start.isoformat(), label=slot.start.strftime("%H:%M"))
        days.setdefault(words.day(slot.start), []).append(choice)
    return SlotDays(
        zone=offered.timezone, days=[SlotDay(label=k, slots=v) for k, v in days.items()]
    )


async def _screen_now(
    request: Request,
    context: ContextDep,
    token: str,
    found: LinkedEnrolment,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    """``_screen``, with the free slots when the candidate is on a schedule module."""
    days = None
    state = state_of(found)
    current = next((m for m in state.modules if m.id == state.current_module_id), None)
    if found.status in OPEN and found.modules and current and current.type == "schedule":
        try:
            days = _days(_words(request), await candidate_slots(context, found))
        except Refused as refusal:
            if refusal.code != "no_interviewers":
                raise
    return _screen(request, token, found, errors, days=days)


def _screen(
    request: Request,
    token: str,
    found: LinkedEnrolment,
    errors: dict[str, str] | None = None,
    given: dict[str, Any] | None = None,
    *,
    days: SlotDays | None = None,
) -> HTMLResponse:
    state = state_of(found)
    values: dict[str, Any] = {"token": token, "found": found, "state": state}
    if found.status in ENDED:
        return _page(request, "message.html", {**values, "kind": f"ended_{found.status}"})
    if found.status not in OPEN:
        kind = "thanks" if found.status == "completed" else "waiting"
        return _page(request, "message.html", {**values, "kind": kind})
    if not found.modules:
        return _page(request, "intro.html", values)
    current = next(m for m in state.modules if m.id == state.current_module_id)
    number = [m.id for m in state.modules].index(current.id) + 1
    values |= {
        "module": current,
        "number": number,
        "errors": errors or {},
        "given": given or {},
        "days": days,
    }
    return _page(request, "module.html", values, 422 if errors else 200)


@router.get(
    "/c/{token}/state", response_model=CandidateState, summary="The candidate's page, as JSON"
)
async def candidate_state(request: Request, token: str, context: ContextDep) -> Response:
    return _json(state_of(await _linked(request, context, token)))


def _json(state: CandidateState) -> JSONResponse:
    return JSONResponse(state.model_dump(mode="json"), headers=PRIVATE)


def _wants_json(request: Request) -> bool:
    return media_type(request) == "application/json" or "application/json" in request.headers.get(
        "accept", ""
    )


@router.post(
    "/c/{token}/modules/{module_id}/start",
    response_model=CandidateState,
    summary="The candidate opens a module",
)
async def start(request: Request, token: str, module_id: str, context: ContextDep) -> Response:
    """Start a module (the first start moves the enrolment ``in_progress``): the state as
    JSON, or back to the page (303) for a form."""
    as_json = _wants_json(request)
    try:
        await start_module(context, await _linked(request, context, token), module_id)
    except Refused as refusal:
        if as_json:
            raise
        return _back(request, token, refusal)
    if as_json:
        return _json(state_of(await linked(context, token)))
    return RedirectResponse(f"/c/{token}", 303, headers=PRIVATE)


@router.get("/c/{token}/slots", response_model=Slots, summary="The slots the candidate may book")
async def slots(request: Request, token: str, context: ContextDep) -> Response:
    """The free interview slots of the enrolment's stage, in the candidate's time zone."""
    offered = await candidate_slots(context, await _linked(request, context, token))
    return JSONResponse(offered.model_dump(mode="json"), headers=PRIVATE)


class Booked(BaseModel):
    """``POST /c/{token}/modules/{module_id}/book``'s answer."""

    interview: BookedInterview


class BookedInterview(BaseModel):
    id: str
    start: AwareDatetime
    end: AwareDatetime
    interviewer_id: str
    status: str


@router.post(
    "/c/{token}/modules/{module_id}/book",
    response_model=Booked,
    summary="The candidate books a slot, completing the schedule module",
)
async def book_slot(request: Request, token: str, module_id: str, context: ContextDep) -> Response:
    """Book the slot starting at ``{"start": "…"}`` (JSON) or the form's ``start``: the
    interview (JSON), or the next screen (303). 409 ``slot_taken`` with fresh ``slots`` when
    another candidate has it (the form shows them, saying so)."""
    as_json = media_type(request) == "application/json"
    try:
        found = await _linked(request, context, token)
        start = await _start_asked(request, as_json)
        booked = await book(context, found, module_id, start)
    except Refused as refusal:
        if as_json:
            raise
        if refusal.code != "slot_taken":
            return _back(request, token, refusal)
        found = await linked(context, token)
        taken = {"start": _words(request)("slot_taken")}
        return await _screen_now(request, context, token, found, taken)
    if as_json:
        zone = ZoneInfo(found.timezone or "UTC")
        return JSONResponse(
            Booked(
                interview=BookedInterview(
                    id=booked.id,
                    start=booked.start.astimezone(zone),
                    end=booked.end.astimezone(zone),
                    interviewer_id=booked.interviewer_id,
                    status=booked.status.value,
                )
            ).model_dump(mode="json"),
            headers=PRIVATE,
        )
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


def _back(request: Request, token: str, refusal: Refused) -> Response:
    """A form the product refused for another reason than its answers: the page shows why
    (a campaign that ended meanwhile shows as ended; a bad link as not found)."""
    if refusal.status in (404, 429):
        return _refused_page(request, refusal)
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
        found = await _linked(request, context, token)
        given = await _given(request, found, module_id, as_json)
        # Moving on from a form: the next module opens as the candidate lands on it.
        opens = None if as_json else next_module(found, module_id)
        await complete_module(context, found, module_id, given, opens=opens)
    except Refused as refusal:
        if as_json:
            raise
        if refusal.code != "invalid_answers":
            return _back(request, token, refusal)
        words = _words(request)
        errors = {d["question_id"]: words(f"answer.{d['code']}") for d in refusal.details}
        return _screen(request, token, await linked(context, token), errors, given)
    if as_json:
        return _json(state_of(await linked(context, token)))
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
    return _page(request, "preview.html", values)
