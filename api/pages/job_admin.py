"""``/ui/jobs/new`` and ``/ui/jobs/{id}/edit``: the job admin. The job editor
(``api.pages.job_editor``): a job's name, its stages as rows (each with a campaign picked from
the stored ones, Auto-Match and the vendor ATS stage it maps), the vendor ATS job and the
country its national phone numbers are read in; validated as ``PUT /jobs/{id}`` validates
(the same model, the same use case), every problem on its field, audited alike.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.pages.forms import FieldErrors, csrf_refused, render_form
from api.pages.job_editor import JobForm
from api.pages.looks import KIND_LABELS
from api.permissions import PAGES, AdminOnPage
from api.templating import not_found_page, page_context
from domain.ats import AtsSystem
from services.configuration import save_job as save_job_definition
from services.errors import Refused
from store.catalog import Catalog, StoredCampaign
from store.interviewers import Interviewer, Interviewers

# Recruiters see the forms; only an admin saves one (``who: AdminOnPage``).
router = APIRouter(tags=["recruiter UI"], include_in_schema=False, route_class=CheckedRoute)


async def _choices(context: ContextDep) -> tuple[list[StoredCampaign], list[Interviewer]]:
    """The campaigns a stage may link and the interviewers it may name (in a session of its
    own, closed before any write)."""
    async with context.sessions() as session:
        return await Catalog(session).all_campaigns(), await Interviewers(session).all()


async def _render(
    request: Request,
    context: ContextDep,
    form: JobForm,
    *,
    stored: bool,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    campaigns, interviewers = await _choices(context)
    values = {
        "stored": stored,
        "form": form,
        "errors": errors or FieldErrors(labels=form.labels()),
        "campaigns": campaigns,
        "interviewers": interviewers,
        "kind_labels": {kind.value: label for kind, label in KIND_LABELS.items()},
        "systems": [s.value for s in AtsSystem],
        "deployment_region": context.settings.default_region,
    }
    return render_form(request, context, "job_form.html", values, status_code)


@router.get("/ui/jobs/new", response_class=HTMLResponse, dependencies=[PAGES])
async def new_job_page(request: Request, context: ContextDep) -> HTMLResponse:
    return await _render(request, context, JobForm(), stored=False)


@router.get("/ui/jobs/{job_id}/edit", response_class=HTMLResponse, dependencies=[PAGES])
async def edit_job_page(request: Request, job_id: str, context: ContextDep) -> HTMLResponse:
    async with context.sessions() as session:
        job = await Catalog(session).job(job_id)
    if job is None:
        return not_found_page(request, context, "job", job_id)
    return await _render(request, context, JobForm.of(job), stored=True)


@router.post("/ui/jobs", response_class=HTMLResponse)
async def save_job(request: Request, context: ContextDep, who: AdminOnPage) -> Response:
    """Create or replace a job from the editor (admins): 303 to its page, or the editor again
    (422, or 409 for a vendor job another job maps) with every problem on its field."""
    posted = await request.form()
    refused = csrf_refused(request, {k: v for k, v in posted.items() if isinstance(v, str)})
    if refused is not None:
        return refused
    form = JobForm.posted(posted)
    stored = posted.get("stored") == "yes"
    job, errors = form.checked(new=not stored)
    if not stored and form.job_id:
        async with context.sessions() as session:
            if await Catalog(session).job_exists(form.job_id):
                errors.add("job_id", "Another job has this id: choose another.")
    if job is None or errors:
        return await _render(request, context, form, stored=stored, errors=errors, status_code=422)
    try:
        await save_job_definition(context, form.job_id, job, who)
    except Refused as refusal:
        errors.add(
            "ats_job_id" if refusal.code == "ats_job_taken" else "definition", refusal.message
        )
        return await _render(
            request, context, form, stored=stored, errors=errors, status_code=refusal.status
        )
    ui = page_context(request, context)["ui_url"]
    return RedirectResponse(f"{ui}/jobs/{quote(form.job_id, safe='')}", 303)
