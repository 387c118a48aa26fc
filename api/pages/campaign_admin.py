"""``/ui/campaigns``: the campaign admin. Lists campaigns; creates and edits them in a form
(every field of the API's campaign), validated exactly as ``PUT /campaigns/{id}`` validates:
the same model and the same checks, with each problem shown next to the form.

Saving takes an admin (the page is open to recruiters to read) and the session's CSRF token;
it is audited like the API's ``campaign.saved``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.bodies import CheckedRoute
from api.dependencies import ContextDep, SessionDep
from api.pages.forms import (
    IDENTIFIER,
    csrf_refused,
    may_save,
    render_form,
    validation_messages,
)
from api.permissions import PAGES, AdminOnPage
from api.templating import not_found_page, page_context, templates
from domain.campaigns import Campaign, CampaignKind, ModuleType
from domain.channels import ChannelKind
from domain.durations import format_duration
from domain.personalisation import PLACEHOLDERS
from services.configuration import campaign_problems
from services.configuration import save_campaign as save_campaign_definition
from store.catalog import Catalog

# Recruiters see the forms; only an admin saves one (``who: AdminOnPage``).
router = APIRouter(tags=["recruiter UI"], include_in_schema=False, route_class=CheckedRoute)


def _form_values(campaign: Campaign | None) -> dict[str, str]:
    """The form's fields for ``campaign`` (empty for a new one)."""
    if campaign is None:
        return {"kind": "blast", "channel": "sms", "quiet_hours": "on"}
    template = campaign.whatsapp_template
    return {
        "name": campaign.name,
        "kind": campaign.kind.value,
        "channel": campaign.channel.value,
        "subject": campaign.subject or "",
        "welcome": campaign.messages[0],
        "closing": "\n---\n".join(campaign.messages[1:]),
        "modules": "\n".join(f"{m.id} | {m.name} | {m.type.value}" for m in campaign.modules),
        "expiry": format_duration(campaign.expiry) if campaign.expiry is not None else "",
        "nudges_after": ", ".join(format_duration(d) for d in campaign.nudges.after)
        if campaign.nudges
        else "",
        "nudges_message": campaign.nudges.message if campaign.nudges else "",
        "content_sid": template.content_sid if template else "",
        "variables": "\n".join(f"{k} = {v}" for k, v in template.variables.items())
        if template
        else "",
        "quiet_hours": "on" if campaign.quiet_hours else "",
    }


def _definition(form: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The API body the form describes, and problems with the form's own syntax."""
    problems: list[str] = []
    messages = [form.get("welcome", "")]
    closing = form.get("closing", "").strip()
    if closing:
        messages += [text.strip() for text in re.split(r"\n---\n", closing) if text.strip()]
    modules = []
    for number, line in enumerate(form.get("modules", "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3:
            problems.append(f"modules, line {number}: write it as 'id | name | type'")
            continue
        modules.append({"id": parts[0], "name": parts[1], "type": parts[2]})
    body: dict[str, Any] = {
        "name": form.get("name", ""),
        "kind": form.get("kind", ""),
        "channel": form.get("channel", ""),
        "messages": messages,
        "modules": modules,
        "quiet_hours": form.get("quiet_hours") == "on",
    }
    for field in ("subject", "expiry"):
        if form.get(field, "").strip():
            body[field] = form[field].strip()
    after = [d.strip() for d in form.get("nudges_after", "").split(",") if d.strip()]
    if after or form.get("nudges_message", "").strip():
        body["nudges"] = {"after": after, "message": form.get("nudges_message", "")}
    if form.get("content_sid", "").strip():
        variables = {}
        for number, line in enumerate(form.get("variables", "").splitlines(), start=1):
            if line.strip():
                name, equals, text = line.partition("=")
                if not equals:
                    problems.append(f"template variables, line {number}: write it as '1 = text'")
                variables[name.strip()] = text.strip()
        body["whatsapp_template"] = {
            "content_sid": form["content_sid"].strip(),
            "variables": variables,
        }
    return body, problems


def _problems(body: dict[str, Any]) -> tuple[Campaign | None, list[str]]:
    """The campaign, or what the API would answer 422 for (field: why), in the same words."""
    try:
        campaign = Campaign.model_validate(body)
    except ValidationError as err:
        return None, validation_messages(err)
    refused = campaign_problems(campaign)
    details = refused.details if refused is not None else []
    return campaign, [f"{'.'.join(d['loc'][1:])}: {d['message']}" for d in details]


def _render(
    request: Request,
    context: ContextDep,
    campaign_id: str | None,
    form: dict[str, str],
    errors: list[str],
    status_code: int = 200,
) -> HTMLResponse:
    values = {
        "campaign_id": campaign_id,
        "form": form,
        "errors": errors,
        "kinds": list(CampaignKind),
        "channels": list(ChannelKind),
        "module_types": [t.value for t in ModuleType],
        "placeholders": PLACEHOLDERS,
    }
    return render_form(request, context, "campaign_form.html", values, status_code)


@router.get("/ui/campaigns", response_class=HTMLResponse, dependencies=[PAGES])
async def campaigns_page(
    request: Request, session: SessionDep, context: ContextDep
) -> HTMLResponse:
    """Every campaign: kind, channel, modules, when it changed; links to edit and analytics."""
    return templates.TemplateResponse(
        request,
        "campaigns.html",
        {
            **page_context(request, context),
            "campaigns": await Catalog(session).all_campaigns(),
            "may_save": may_save(request),
        },
    )


@router.get("/ui/campaigns/new", response_class=HTMLResponse, dependencies=[PAGES])
async def new_campaign_page(request: Request, context: ContextDep) -> HTMLResponse:
    return _render(request, context, None, _form_values(None), [])


@router.get("/ui/campaigns/{campaign_id}", response_class=HTMLResponse, dependencies=[PAGES])
async def edit_campaign_page(
    request: Request, campaign_id: str, session: SessionDep, context: ContextDep
) -> HTMLResponse:
    stored = await Catalog(session).campaign(campaign_id)
    if stored is None:
        return not_found_page(request, context, "campaign", campaign_id)
    return _render(request, context, campaign_id, _form_values(stored.campaign), [])


@router.post("/ui/campaigns", response_class=HTMLResponse)
async def save_campaign(request: Request, context: ContextDep, who: AdminOnPage) -> Response:
    """Create or replace a campaign from the form (admins: ``api.access.policy``): 303 to the
    list, or the form again (422) with every problem listed."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    refused = csrf_refused(request, form)
    if refused is not None:
        return refused
    campaign_id = form.get("campaign_id", "").strip()
    body, errors = _definition(form)
    campaign, invalid = _problems(body)
    errors += invalid
    if not IDENTIFIER.match(campaign_id):
        errors.insert(0, "id: letters, digits, '.', '_' or '-' (up to 200), starting with one")
    if errors or campaign is None:
        return _render(request, context, campaign_id or None, form, errors, status_code=422)
    await save_campaign_definition(context, campaign_id, campaign, who)
    return RedirectResponse(f"{page_context(request, context)['ui_url']}/campaigns", 303)
