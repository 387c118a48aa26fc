"""What every screen of the candidate's pages shares (API.md, "The candidate's side"): the
templates, the words of the visitor's language, the rate limit of a token, the private headers,
and which screen an enrolment shows now (its start, a module, its slots, its interview, how it
ended).

Every answer is ``no-store``, ``noindex`` and ``no-referrer`` (the token must not leave in a
``Referer``); a token gets at most ``RATE_PER_MINUTE`` requests a minute in this process.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from api.bodies import media_type
from api.candidate.markdown import render_markdown
from api.candidate.strings import Words, language
from api.dependencies import ContextDep, api_context
from domain.links import token_hash
from domain.statuses import EnrolmentStatus
from services.candidate_interviews import (
    CandidateInterview,
    interview_for_page,
    slots_to_move_to,
)
from services.candidate_pages import ENDED, OPEN, CandidateState, linked, state_of
from services.errors import Refused
from services.interviews import Slots, candidate_slots, interviews_of, may_rebook
from store.candidate_view import LinkedEnrolment

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["markdown"] = render_markdown

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


limits = RateLimit(RATE_PER_MINUTE)


def words(request: Request) -> Words:
    """The strings of the visitor's language (``?lang=``, else their browser's)."""
    return Words(language(request.query_params.get("lang"), request.headers.get("accept-language")))


def page(
    request: Request, name: str, values: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    said = words(request)
    company = api_context(request).settings.company_name
    values = {"t": said, "lang": said.code, "company": company, **values}
    return templates.TemplateResponse(request, name, values, status_code, headers=PRIVATE)


def refused_page(request: Request, refusal: Refused) -> Response:
    if refusal.status == 429:
        return page(request, "message.html", {"kind": "busy"}, 429)
    return page(request, "message.html", {"kind": "not_found"}, refusal.status)


async def linked_by(request: Request, context: ContextDep, token: str) -> LinkedEnrolment:
    """The enrolment ``token`` opens, within the token's rate limit."""
    if not limits.allows(token_hash(token)):
        raise Refused(429, "rate_limited", "too many requests for this link; retry in a minute")
    return await linked(context, token)


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


def days_of(words: Words, offered: Slots) -> SlotDays:
    """``offered`` by day, each slot labelled with its time of day, in the candidate's zone."""
    days: dict[str, list[SlotChoice]] = {}
    for slot in offered.slots:
        choice = SlotChoice(value=slot.start.isoformat(), label=slot.start.strftime("%H:%M"))
        days.setdefault(words.day(slot.start), []).append(choice)
    return SlotDays(
        zone=offered.timezone, days=[SlotDay(label=k, slots=v) for k, v in days.items()]
    )


async def screen_now(
    request: Request,
    context: ContextDep,
    token: str,
    found: LinkedEnrolment,
    errors: dict[str, str] | None = None,
    *,
    changing: bool = False,
) -> HTMLResponse:
    """The screen ``found`` shows now: with the free slots when the candidate is on a schedule
    module (or moving their interview: ``changing``), with their interview once booked."""
    days = None
    state = state_of(found)
    current = next((m for m in state.modules if m.id == state.current_module_id), None)
    if found.status in OPEN and found.modules and current and current.type == "schedule":
        try:
            days = days_of(words(request), await candidate_slots(context, found))
        except Refused as refusal:
            if refusal.code != "no_interviewers":
                raise
    interview = None if found.status in ENDED else await interview_for_page(context, found)
    if interview is not None and changing and interview.changeable and interview.moves_left:
        moves = await slots_to_move_to(context, found, interview.interviewer_id)
        days = days_of(words(request), moves)
    rebook = None
    if (
        interview is None
        and found.status is EnrolmentStatus.COMPLETED
        and may_rebook(found, await interviews_of(context, found))
    ):
        # The interview was cancelled: the schedule module books a new one.
        rebook = next(m.id for m in found.campaign.modules if m.type == "schedule")
        days = days_of(words(request), await candidate_slots(context, found))
    return screen(request, token, found, errors, days=days, interview=interview, rebook=rebook)


def screen(
    request: Request,
    token: str,
    found: LinkedEnrolment,
    errors: dict[str, str] | None = None,
    given: dict[str, Any] | None = None,
    *,
    days: SlotDays | None = None,
    interview: CandidateInterview | None = None,
    rebook: str | None = None,
) -> HTMLResponse:
    """The screen ``found`` shows (``screen_now`` reads its slots and interview)."""
    state = state_of(found)
    values: dict[str, Any] = {"token": token, "found": found, "state": state}
    if found.status in ENDED:
        return page(request, "message.html", {**values, "kind": f"ended_{found.status}"})
    if found.status not in OPEN:
        kind = "thanks" if found.status == "completed" else "waiting"
        values |= {
            "kind": kind,
            "interview": interview,
            "days": days,
            "rebook": rebook,
            "errors": errors or {},
        }
        return page(request, "message.html", values, 409 if errors else 200)
    if not found.modules:
        return page(request, "intro.html", values)
    current = next(m for m in state.modules if m.id == state.current_module_id)
    number = [m.id for m in state.modules].index(current.id) + 1
    values |= {
        "module": current,
        "number": number,
        "errors": errors or {},
        "given": given or {},
        "days": days,
    }
    return page(request, "module.html", values, 422 if errors else 200)


def json_state(state: CandidateState) -> JSONResponse:
    """The page's state as JSON, with the private headers."""
    return JSONResponse(state.model_dump(mode="json"), headers=PRIVATE)


def wants_json(request: Request) -> bool:
    """Whether the caller sends or asks for JSON rather than a form's page."""
    return media_type(request) == "application/json" or "application/json" in request.headers.get(
        "accept", ""
    )


def back(request: Request, token: str, refusal: Refused) -> Response:
    """A form the product refused for another reason than its answers: the page shows why
    (a campaign that ended meanwhile shows as ended; a bad link as not found)."""
    if refusal.status in (404, 429):
        return refused_page(request, refusal)
    return RedirectResponse(f"/c/{token}", 303, headers=PRIVATE)
