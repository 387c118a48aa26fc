"""``/ui/jobs/{id}/analytics`` and ``/ui/campaigns/{id}/analytics``: the funnel as charts.

Server-rendered SVG (no chart library, nothing from a CDN): bars with their numbers written
next to them, so nothing is told by colour alone. A date range (days, UTC) filters the
enrolments by when they were created, as the JSON analytics' ``since``/``until`` do.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.pages.looks import REASON_LABELS
from api.permissions import PAGES
from api.templating import not_found_page, page_context, templates
from store.analytics import Analytics, Funnel
from store.catalog import Catalog
from store.views import RecruiterViews

router = APIRouter(
    tags=["recruiter UI"], include_in_schema=False, route_class=CheckedRoute, dependencies=[PAGES]
)

#: A day of the range (``YYYY-MM-DD``, UTC); the form sends an empty one for "no bound".
DayParam = Annotated[str, Query(max_length=10, description="YYYY-MM-DD (UTC)")]


def _day(value: str, errors: list[str], which: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(f"The {which} day is not a date (YYYY-MM-DD): {value!r}.")
        return None


class Bar(BaseModel):
    label: str
    value: int
    width: float


def _bars(pairs: list[tuple[str, int]], scale: int) -> list[Bar]:
    return [
        Bar(label=label, value=value, width=round(100 * value / scale, 2) if scale else 0.0)
        for label, value in pairs
    ]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


async def _page(
    request: Request,
    context: ContextDep,
    *,
    title: str,
    back: str,
    since_text: str,
    until_text: str,
    campaign_id: str | None = None,
    job_id: str | None = None,
    applications: int | None = None,
) -> HTMLResponse:
    errors: list[str] = []
    since = _day(since_text, errors, "first")
    until = _day(until_text, errors, "last")
    start = datetime.combine(since, time.min, UTC) if since else None
    end = datetime.combine(until, time.min, UTC) + timedelta(days=1) if until else None
    if start and end and start >= end:
        errors.append("The range's first day must not come after its last.")
    funnel: Funnel = await Analytics(context.sessions).funnel(
        campaign_id=campaign_id,
        job_id=job_id,
        since=None if errors else start,
        until=None if errors else end,
    )
    stages = [
        ("Enrolled", funnel.enrolled),
        ("Delivered", funnel.delivered),
        ("Started", funnel.started),
        ("Completed", funnel.completed),
    ]
    outcomes = [
        *((f"Failed: {REASON_LABELS.get(r, r)}", n) for r, n in sorted(funnel.failed.items())),
        ("Expired", funnel.expired),
        ("Cancelled", funnel.cancelled),
    ]
    return templates.TemplateResponse(
        request,
        "analytics.html",
        {
            **page_context(request, context),
            "title": title,
            "back": back,
            "since": since.isoformat() if since else "",
            "until": until.isoformat() if until else "",
            "errors": errors,
            "funnel": funnel,
            "applications": applications,
            "stages": _bars(stages, funnel.enrolled),
            "outcomes": _bars(outcomes, funnel.enrolled),
            "modules": funnel.modules,
            "answers": [
                (a.prompt, _bars(list(a.counts.items()), a.answered)) for a in funnel.answers
            ],
            "to_deliver": _duration(funnel.median_seconds_to_deliver),
            "to_complete": _duration(funnel.median_seconds_to_complete),
        },
    )


@router.get("/ui/jobs/{job_id}/analytics", response_class=HTMLResponse)
async def job_analytics_page(
    request: Request,
    job_id: str,
    context: ContextDep,
    since: DayParam = "",
    until: DayParam = "",
) -> HTMLResponse:
    async with context.sessions() as session:
        catalog = Catalog(session)
        job = await catalog.job(job_id)
        if job is None:
            return not_found_page(request, context, "job", job_id)
        stages = await catalog.stages(job_id)
        board = await RecruiterViews(session).board(job_id, stages, cards_per_column=0)
    back = f"{page_context(request, context)['ui_url']}/jobs/{job_id}"
    return await _page(
        request,
        context,
        title=job.name,
        back=back,
        since_text=since,
        until_text=until,
        job_id=job_id,
        applications=board.total,
    )


@router.get("/ui/campaigns/{campaign_id}/analytics", response_class=HTMLResponse)
async def campaign_analytics_page(
    request: Request,
    campaign_id: str,
    context: ContextDep,
    since: DayParam = "",
    until: DayParam = "",
) -> HTMLResponse:
    async with context.sessions() as session:
        stored = await Catalog(session).campaign(campaign_id)
    if stored is None:
        return not_found_page(request, context, "campaign", campaign_id)
    back = f"{page_context(request, context)['ui_url']}/campaigns/{campaign_id}"
    return await _page(
        request,
        context,
        title=stored.campaign.name,
        back=back,
        since_text=since,
        until_text=until,
        campaign_id=campaign_id,
    )
