"""``/ui/enrolments/{id}``: one enrolment on a page of its own, with what a recruiter can do.

The timeline, the messages with their delivery status, the next scheduled send and a link to
the candidate's workflow in the Temporal UI; buttons to cancel it, or to correct the
candidate's phone or e-mail and re-enrol it when it failed or expired. The buttons call the
JSON actions (``/enrolments/{id}/cancel``, ``/reenrol``) with the session's CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.bodies import CheckedRoute
from api.dependencies import ContextDep, SessionDep
from api.pages.looks import REASON_LABELS, STATUS_LOOKS, temporal_workflow_url
from api.permissions import PAGES
from api.templating import not_found_page, page_context, templates
from domain.interventions import REENROLLABLE
from domain.statuses import BLAST_DONE, TERMINAL, EnrolmentStatus
from store.catalog import Catalog
from store.enrolment_view import EnrolmentViews

router = APIRouter(
    tags=["recruiter UI"], include_in_schema=False, route_class=CheckedRoute, dependencies=[PAGES]
)


@router.get("/ui/enrolments/{enrolment_id}", response_class=HTMLResponse)
async def enrolment_page(
    request: Request, enrolment_id: str, session: SessionDep, context: ContextDep
) -> HTMLResponse:
    """One enrolment: timeline, messages, next send, workflow link, actions."""
    page = page_context(request, context)
    detail = await EnrolmentViews(session).enrolment(enrolment_id)
    if detail is None:
        return not_found_page(request, context, "enrolment", enrolment_id)
    job = await Catalog(session).job(detail.job_id)
    status = EnrolmentStatus(detail.status)
    looks = {look.value: look for look in STATUS_LOOKS}
    return templates.TemplateResponse(
        request,
        "enrolment.html",
        {
            **page,
            "enrolment": detail,
            "job_name": job.name if job is not None else detail.job_id,
            "look": looks[status],
            "looks": looks,
            "reasons": REASON_LABELS,
            # A blast that went out is over (``Enrolment.is_finished``): nothing to cancel.
            "can_cancel": status not in TERMINAL
            and not (detail.campaign.get("kind") == "blast" and status in BLAST_DONE)
            and not detail.candidate_erased,
            "can_reenrol": status in REENROLLABLE
            and detail.reenrolled_as is None
            and not detail.candidate_erased,
            "workflow_url": temporal_workflow_url(
                page["temporal_ui_url"], page["temporal_namespace"], detail.candidate_id
            ),
        },
    )
