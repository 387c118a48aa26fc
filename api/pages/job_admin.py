"""``/ui/jobs/new`` and ``/ui/jobs/{id}/edit``: the job admin. A job's name, its stages in
order (each with its campaign, Auto-Match and the vendor ATS stage it maps) and the vendor ATS
job it maps, validated exactly as ``PUT /jobs/{id}``: the same model, the same checks (unknown
campaigns, a vendor job mapped twice), saved through the same catalog and audited alike.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.bodies import CheckedRoute
from api.dependencies import ContextDep, SessionDep
from api.pages.forms import IDENTIFIER, csrf_refused, render_form, validation_messages
from api.permissions import PAGES, AdminOnPage
from api.templating import not_found_page, page_context
from domain.ats import AtsSystem
from domain.jobs import JobDefinition
from services.configuration import save_job as save_job_definition
from services.errors import Refused
from store.catalog import Catalog, Job

# Recruiters see the forms; only an admin saves one (``who: AdminOnPage``).
router = APIRouter(tags=["recruiter UI"], include_in_schema=False, route_class=CheckedRoute)


def _form_values(job: Job | None) -> dict[str, str]:
    if job is None:
        return {}
    return {
        "name": job.name,
        "stages": "\n".join(
            " | ".join(
                [
                    s.id,
                    s.name,
                    s.campaign_id or "-",
                    "auto-match" if s.auto_match else "-",
                    s.ats_stage_id or "-",
                ]
            )
            for s in job.stages
        ),
        "ats_system": job.ats.system.value if job.ats else "",
        "ats_job_id": job.ats.job_id if job.ats else "",
    }


def _definition(form: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    stages = []
    for number, line in enumerate(form.get("stages", "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) < 2 or len(parts) > 5:
            problems.append(
                f"stages, line {number}: write it as 'id | name | campaign | auto-match | "
                "ATS stage' (the last three may be '-')"
            )
            continue
        parts += ["-"] * (5 - len(parts))
        stage: dict[str, Any] = {"id": parts[0], "name": parts[1]}
        if parts[2] not in ("", "-"):
            stage["campaign_id"] = parts[2]
        if parts[3].lower() in ("auto-match", "auto_match", "yes"):
            stage["interview_settings"] = {"auto_match": True}
        if parts[4] not in ("", "-"):
            stage["ats_stage_id"] = parts[4]
        stages.append(stage)
    body: dict[str, Any] = {"name": form.get("name", ""), "stages": stages}
    if form.get("ats_system"):
        body["ats"] = {"system": form["ats_system"], "job_id": form.get("ats_job_id", "")}
    return body, problems


def _render(
    request: Request,
    context: ContextDep,
    job_id: str | None,
    form: dict[str, str],
    errors: list[str],
    status_code: int = 200,
) -> HTMLResponse:
    values = {
        "job_id": job_id,
        "form": form,
        "errors": errors,
        "systems": [s.value for s in AtsSystem],
    }
    return render_form(request, context, "job_form.html", values, status_code)


@router.get("/ui/jobs/new", response_class=HTMLResponse, dependencies=[PAGES])
async def new_job_page(request: Request, context: ContextDep) -> HTMLResponse:
    return _render(request, context, None, {}, [])


@router.get("/ui/jobs/{job_id}/edit", response_class=HTMLResponse, dependencies=[PAGES])
async def edit_job_page(
    request: Request, job_id: str, session: SessionDep, context: ContextDep
) -> HTMLResponse:
    job = await Catalog(session).job(job_id)
    if job is None:
        return not_found_page(request, context, "job", job_id)
    return _render(request, context, job_id, _form_values(job), [])


@router.post("/ui/jobs", response_class=HTMLResponse)
async def save_job(request: Request, context: ContextDep, who: AdminOnPage) -> Response:
    """Create or replace a job from the form (admins): 303 to its page, or the form again
    (422) with every problem listed."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    refused = csrf_refused(request, form)
    if refused is not None:
        return refused
    job_id = form.get("job_id", "").strip()
    body, errors = _definition(form)
    if not IDENTIFIER.match(job_id):
        errors.insert(0, "id: letters, digits, '.', '_' or '-' (up to 200), starting with one")
    try:
        job = JobDefinition.model_validate(body)
    except ValidationError as err:
        return _render(
            request, context, job_id or None, form, errors + validation_messages(err), 422
        )
    if errors:
        return _render(request, context, job_id or None, form, errors, 422)
    try:
        await save_job_definition(context, job_id, job, who)
    except Refused as refusal:
        return _render(request, context, job_id, form, [refusal.message], 422)
    return RedirectResponse(f"{page_context(request, context)['ui_url']}/jobs/{job_id}", 303)
