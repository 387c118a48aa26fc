"""``/ui/enrolments/{id}``: one enrolment on a page of its own, with what a recruiter can do.

The timeline, the messages with their delivery status, the next scheduled send and a link to
the candidate's workflow in the Temporal UI; buttons to cancel it, or to correct the
candidate's phone or e-mail and re-enrol it when it failed or expired. The buttons call the
JSON actions (``/enrolments/{id}/cancel``, ``/reenrol``) with the session's CSRF token. The
page stays live as every page showing a status does (``static/live.js`` follows the ETag of
``GET /enrolments/{id}``).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.bodies import CheckedRoute
from api.dependencies import ContextDep, SessionDep
from api.etag import etag_of
from api.pages.looks import (
    CHANNEL_LABELS,
    POLL_MS,
    REASON_LABELS,
    STATUS_LOOKS,
    temporal_workflow_url,
)
from api.permissions import PAGES
from api.templating import not_found_page, page_context, templates
from domain.channels import ChannelKind
from domain.enrolments import StatusReason
from domain.interventions import REENROLLABLE
from domain.statuses import BLAST_DONE, EXPIRABLE, TERMINAL, EnrolmentStatus
from store.access import who_did
from store.catalog import Catalog
from store.enrolment_view import EnrolmentDetail, EnrolmentViews
from store.interviewers import Interviewers

router = APIRouter(
    tags=["recruiter UI"], include_in_schema=False, route_class=CheckedRoute, dependencies=[PAGES]
)

#: The audit entry that names who ended an enrolment, for each reason that is a person's
#: doing, and whether the entry names the enrolment (an erasure ends all of them).
_ENDED_BY: dict[str, tuple[str, bool]] = {
    StatusReason.CANCELLED_BY_RECRUITER: ("enrolment.cancelled", True),
    StatusReason.CANDIDATE_ERASED: ("candidate.erased", False),
}


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
    stage = next((s for s in job.stages if s.id == detail.stage_id), None) if job else None
    status = EnrolmentStatus(detail.status)
    looks = {look.value: look for look in STATUS_LOOKS}
    channel = detail.campaign.get("channel")
    return templates.TemplateResponse(
        request,
        "enrolment.html",
        {
            **page,
            "enrolment": detail,
            "job_name": job.name if job is not None else detail.job_id,
            "stage_name": stage.name if stage is not None else detail.stage_id,
            "channel_label": CHANNEL_LABELS.get(ChannelKind(channel), channel)
            if channel in set(ChannelKind)
            else channel,
            "look": looks[status],
            "looks": looks,
            "reasons": REASON_LABELS,
            "ended_by": await _ended_by(session, detail),
            "interviewer_names": {
                i.id: i.name
                for i in (
                    await Interviewers(session).some(x.interviewer_id for x in detail.interviews)
                ).values()
            },
            "shows_expiry": status in EXPIRABLE and detail.expires_at is not None,
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
            "config": {
                "poll_ms": POLL_MS,
                "url": f"{page['root_url']}/enrolments/{quote(enrolment_id, safe='')}",
                "version": etag_of(detail),
            },
        },
    )


async def _ended_by(session: SessionDep, detail: EnrolmentDetail) -> str | None:
    """Who ended the enrolment, when a person did (the audit log's actor), else ``None``."""
    entry = _ENDED_BY.get(detail.status_reason or "")
    if entry is None or detail.status is not EnrolmentStatus.CANCELLED:
        return None
    action, per_enrolment = entry
    return await who_did(session, action, detail.candidate_id, detail.id if per_enrolment else None)
