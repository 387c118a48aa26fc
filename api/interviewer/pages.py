"""``/i/<token>``: the interviewer's own availability page (API.md, "Interviews"). The next
``DAYS`` days as a grid of hour blocks in the interviewer's time zone, those they are free in
ticked; saving makes the ticked blocks their windows in that fortnight (windows beyond it stay)
and releases the Auto-Match enrolments waiting on them. A form: no JavaScript needed, one day a
row on a phone. The token is the key; every answer is private like the candidate's pages.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.candidate.screens import HERE as CANDIDATE_TEMPLATES
from api.candidate.screens import PRIVATE, limits
from api.candidate.strings import Words
from api.dependencies import ContextDep, api_context
from api.permissions import CANDIDATE_LINK
from domain.links import token_hash
from domain.slots import Interval
from services.availability import current_windows, interviewer_by_link, set_within
from services.errors import Refused
from store.interviewers import Interviewer

HERE = Path(__file__).parent
router = APIRouter(tags=["interviewer"], route_class=CheckedRoute, dependencies=[CANDIDATE_LINK])
#: Its own template, on the candidate's pages' base (one look for everyone outside).
templates = Jinja2Templates(directory=[HERE / "templates", CANDIDATE_TEMPLATES / "templates"])

#: How many days the page shows, from today; the hours of a day it offers (start hours).
DAYS = 14
HOURS = range(7, 21)
BLOCK = timedelta(hours=1)


class Block(BaseModel):
    value: str
    label: str
    free: bool


class Day(BaseModel):
    label: str
    blocks: list[Block]


def _range(zone: ZoneInfo) -> tuple[date, datetime, datetime]:
    today = datetime.now(zone).date()
    first = datetime.combine(today, time.min, zone)
    return today, first, datetime.combine(today + timedelta(days=DAYS), time.min, zone)


def _grid(windows: list[Interval], zone: ZoneInfo, today: date, words: Words) -> list[Day]:
    days: list[Day] = []
    for n in range(DAYS):
        day = today + timedelta(days=n)
        blocks = []
        for hour in HOURS:
            start = datetime.combine(day, time(hour), zone)
            end = start + BLOCK
            free = any(w.start <= start and end <= w.end for w in windows)
            blocks.append(Block(value=start.isoformat(), label=f"{hour:02d}:00", free=free))
        days.append(Day(label=words.day(datetime.combine(day, time.min)), blocks=blocks))
    return days


async def _found(request: Request, context: ContextDep, token: str) -> Interviewer:
    if not limits.allows(token_hash(token)):
        raise Refused(429, "rate_limited", "too many requests for this link; retry in a minute")
    return await interviewer_by_link(context, token)


def _page(request: Request, values: dict[str, object], status_code: int = 200) -> HTMLResponse:
    words = Words("en")
    company = api_context(request).settings.company_name
    values = {"t": words, "lang": words.code, "company": company, **values}
    return templates.TemplateResponse(
        request, "availability.html", values, status_code, headers=PRIVATE
    )


@router.get(
    "/i/{token}", response_class=HTMLResponse, summary="The interviewer's availability page"
)
async def availability_page(request: Request, token: str, context: ContextDep) -> Response:
    """The interviewer's next fortnight, hour by hour, in their zone."""
    try:
        interviewer = await _found(request, context, token)
    except Refused as refusal:
        return _page(request, {"missing": True}, refusal.status)
    zone = ZoneInfo(interviewer.timezone)
    today, _, _ = _range(zone)
    windows = await current_windows(context, interviewer.id)
    values = {
        "interviewer": interviewer,
        "days": _grid(windows, zone, today, Words("en")),
        "saved": request.query_params.get("saved") == "1",
        "token": token,
    }
    return _page(request, values)


@router.post(
    "/i/{token}", response_class=HTMLResponse, summary="The interviewer saves their availability"
)
async def save_availability(request: Request, token: str, context: ContextDep) -> Response:
    """Make the ticked hour blocks the interviewer's windows in the fortnight shown; back to
    the page (303), saying it is saved."""
    try:
        interviewer = await _found(request, context, token)
    except Refused as refusal:
        return _page(request, {"missing": True}, refusal.status)
    zone = ZoneInfo(interviewer.timezone)
    _, start, end = _range(zone)
    chosen: list[Interval] = []
    for value in (await request.form()).getlist("free"):
        block = _block(value, start, end)
        if block is not None:
            chosen.append(block)
    await set_within(context, interviewer.id, start, end, chosen)
    return RedirectResponse(f"/i/{token}?saved=1", 303, headers=PRIVATE)


def _block(value: object, start: datetime, end: datetime) -> Interval | None:
    """The hour block a ticked box names, if it is one the page showed (anything else is
    ignored: a page from yesterday posts blocks partly in the past)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or not start <= moment < end or moment.minute or moment.second:
        return None
    return Interval(start=moment, end=moment + BLOCK)
