"""``/ui/campaigns``: the campaign admin. Lists campaigns and where each is used; edits one in
the campaign editor (``api.pages.campaign_editor``: the fields of its kind and channel, rows of
messages and modules, every problem on its field, a preview of the whole campaign); deletes
one that no stage links.

Saving and deleting take an admin (the pages are open to recruiters to read, with the form
read-only and a word why) and the session's CSRF token; both are audited like the API's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.bodies import CheckedRoute
from api.candidate.pages import preview as candidate_preview
from api.dependencies import ContextDep, SessionDep
from api.pages.campaign_editor import CampaignForm
from api.pages.forms import FieldErrors, csrf_refused, may_save, render_form
from api.pages.looks import KIND_LABELS
from api.permissions import PAGES, AdminOnPage
from api.templating import not_found_page, page_context, templates
from domain.campaigns import CampaignKind, ModuleType
from domain.channels import CHANNELS
from domain.personalisation import PLACEHOLDERS
from domain.questions import AnswerKind
from services.configuration import delete_campaign as delete_campaign_definition
from services.configuration import save_campaign as save_campaign_definition
from services.errors import Refused
from store.catalog import Catalog, StageUse, StoredCampaign

# Recruiters see the forms; only an admin saves one (``who: AdminOnPage``).
router = APIRouter(tags=["recruiter UI"], include_in_schema=False, route_class=CheckedRoute)

#: Who the preview greets, and where.
SAMPLE = {
    "first_name": "Ada",
    "candidate_name": "Ada Lovelace",
    "job_name": "Barista",
    "stage_name": "Screening",
}

ANSWER_KIND_LABELS = {
    AnswerKind.CHOICE: "One of the options",
    AnswerKind.MULTI_CHOICE: "Some of the options",
    AnswerKind.YES_NO: "Yes or no",
    AnswerKind.TEXT: "Text",
    AnswerKind.NUMBER: "A number",
    AnswerKind.DATE: "A date",
}

MODULE_TYPE_LABELS = {
    ModuleType.CONTENT: "Content (something to read or watch)",
    ModuleType.QUESTION: "Questions",
    ModuleType.SCHEDULE: "Interview scheduling",
}


def _render(
    request: Request,
    context: ContextDep,
    form: CampaignForm,
    *,
    stored: bool,
    uses: list[StageUse],
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    values: dict[str, Any] = {
        "stored": stored,
        "form": form,
        "errors": errors or FieldErrors(labels=form.labels()),
        "kinds": [(kind.value, KIND_LABELS[kind]) for kind in CampaignKind],
        "channels": [(kind.value, traits) for kind, traits in CHANNELS.items()],
        "module_types": [(t.value, label) for t, label in MODULE_TYPE_LABELS.items()],
        "answer_kinds": [(k.value, label) for k, label in ANSWER_KIND_LABELS.items()],
        "placeholders": PLACEHOLDERS,
        "uses": uses,
        "preview": {
            "sample": SAMPLE,
            "types": {kind.value: label for kind, label in MODULE_TYPE_LABELS.items()},
        },
    }
    return render_form(request, context, "campaign_form.html", values, status_code)


@router.get("/ui/campaigns", response_class=HTMLResponse, dependencies=[PAGES])
async def campaigns_page(
    request: Request, session: SessionDep, context: ContextDep
) -> HTMLResponse:
    """Every campaign: kind, channel, modules, where it is used, when it changed."""
    catalog = Catalog(session)
    return templates.TemplateResponse(
        request,
        "campaigns.html",
        {
            **page_context(request, context),
            "campaigns": await catalog.all_campaigns(),
            "uses": await catalog.campaign_uses(),
            "kind_labels": {kind.value: label for kind, label in KIND_LABELS.items()},
            "channel_labels": {kind.value: traits.label for kind, traits in CHANNELS.items()},
            "deleted": request.query_params.get("deleted"),
            "may_save": may_save(request),
        },
    )


@router.get("/ui/campaigns/new", response_class=HTMLResponse, dependencies=[PAGES])
async def new_campaign_page(request: Request, context: ContextDep) -> HTMLResponse:
    return _render(request, context, CampaignForm(), stored=False, uses=[])


@router.get("/ui/campaigns/{campaign_id}", response_class=HTMLResponse, dependencies=[PAGES])
async def edit_campaign_page(
    request: Request, campaign_id: str, session: SessionDep, context: ContextDep
) -> HTMLResponse:
    catalog = Catalog(session)
    stored = await catalog.campaign(campaign_id)
    if stored is None:
        return not_found_page(request, context, "campaign", campaign_id)
    uses = (await catalog.campaign_uses(campaign_id)).get(campaign_id, [])
    form = CampaignForm.of(campaign_id, stored.campaign)
    return _render(request, context, form, stored=True, uses=uses)


async def _stored_and_uses(
    context: ContextDep, campaign_id: str
) -> tuple[StoredCampaign | None, list[StageUse]]:
    """The stored campaign and the stages linking it, read in a session closed before the
    use case writes (on SQLite the API and the projection share one connection)."""
    async with context.sessions() as session:
        catalog = Catalog(session)
        stored = await catalog.campaign(campaign_id)
        return stored, (await catalog.campaign_uses(campaign_id)).get(campaign_id, [])


@router.post("/ui/campaigns", response_class=HTMLResponse)
async def save_campaign(request: Request, context: ContextDep, who: AdminOnPage) -> Response:
    """Create or replace a campaign from the editor (admins): 303 to the list, or the editor
    again (422) with every problem on its field."""
    posted = await request.form()
    refused = csrf_refused(request, {k: v for k, v in posted.items() if isinstance(v, str)})
    if refused is not None:
        return refused
    form = CampaignForm.posted(posted)
    stored = posted.get("stored") == "yes"
    existing, uses = await _stored_and_uses(context, form.campaign_id)
    campaign, errors = form.checked(new=not stored)
    if not stored and existing is not None:
        errors.add("campaign_id", "Another campaign has this id: choose another.")
    if campaign is None or errors:
        return _render(
            request, context, form, stored=stored, uses=uses, errors=errors, status_code=422
        )
    try:
        await save_campaign_definition(context, form.campaign_id, campaign, who)
    except Refused as refusal:
        errors.add("definition", refusal.message)
        return _render(
            request, context, form, stored=stored, uses=uses, errors=errors, status_code=422
        )
    return RedirectResponse(f"{page_context(request, context)['ui_url']}/campaigns", 303)


@router.post("/ui/campaigns/{campaign_id}/delete", response_class=HTMLResponse)
async def delete_campaign(
    request: Request, campaign_id: str, context: ContextDep, who: AdminOnPage
) -> Response:
    """Delete a campaign no stage links (admins): 303 to the list, or the editor again (409)
    saying which stages link it."""
    posted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    refused = csrf_refused(request, posted)
    if refused is not None:
        return refused
    stored, _ = await _stored_and_uses(context, campaign_id)
    if stored is None:
        return not_found_page(request, context, "campaign", campaign_id)
    try:
        await delete_campaign_definition(context, campaign_id, who)
    except Refused as refusal:
        form = CampaignForm.of(campaign_id, stored.campaign)
        errors = FieldErrors(labels=form.labels())
        errors.add("definition", refusal.message)
        _, uses = await _stored_and_uses(context, campaign_id)
        return _render(
            request, context, form, stored=True, uses=uses, errors=errors, status_code=409
        )
    ui = page_context(request, context)["ui_url"]
    said = urlencode({"deleted": stored.campaign.name})
    return RedirectResponse(f"{ui}/campaigns?{said}", 303)


@router.post("/ui/campaigns/preview", response_class=HTMLResponse, dependencies=[PAGES])
async def preview_candidate_page(request: Request) -> HTMLResponse:
    """The candidate's page of the campaign the editor holds (the editor's live preview):
    changes nothing, so a recruiter may see it too."""
    form = CampaignForm.posted(await request.form())
    campaign, errors = form.checked(new=False)
    return candidate_preview(request, campaign, len(errors))
