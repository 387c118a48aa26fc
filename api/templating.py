"""What every server-rendered page shares: the templates, asset URLs, who is signed in."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.templating import _TemplateResponse

from api.access import SESSION_COOKIE, Caller, csrf_token
from api.dependencies import ApiContext

HERE = Path(__file__).parent
STATIC_PATH = "/ui/static"
#: Changes with the page's script and stylesheet, so browsers never keep an old copy.
ASSET_VERSION = hashlib.sha256(
    b"".join(path.read_bytes() for path in sorted((HERE / "static").iterdir()) if path.is_file())
).hexdigest()[:12]

templates = Jinja2Templates(directory=HERE / "templates")


def counted(number: int, word: str) -> str:
    """``1 application``, ``2 applications``: a count with its noun in the right number."""
    return f"{number} {word}{'' if number == 1 else 's'}"


templates.env.filters["counted"] = counted


def page_context(request: Request, context: ApiContext) -> dict[str, Any]:
    """The values ``base.html`` uses: URLs, and the signed-in key with the session's CSRF
    token (every form that changes something posts it)."""
    root = request.scope.get("root_path", "").rstrip("/")
    caller: Caller | None = getattr(request.state, "caller", None)
    cookie = request.cookies.get(SESSION_COOKIE)
    return {
        "root_url": root,
        "ui_url": f"{root}/ui",
        "static_url": f"{root}{STATIC_PATH}",
        "api_docs_url": f"{root}/docs",
        "asset_version": ASSET_VERSION,
        "temporal_ui_url": context.settings.temporal_ui_url.rstrip("/"),
        "temporal_namespace": context.client.namespace,
        "auth_off": not context.settings.auth_on,
        "signed_in_as": caller.principal if caller is not None else None,
        "csrf_token": csrf_token(request.app.state.access, caller, cookie)
        if caller and caller.by_cookie and cookie
        else "",
    }


def not_found_page(
    request: Request, context: ApiContext, what: str, name: str
) -> _TemplateResponse:
    """The 404 page for a ``what`` (job, campaign, enrolment) called ``name``."""
    return templates.TemplateResponse(
        request,
        "not_found.html",
        {**page_context(request, context), "what": what, "name": name},
        status_code=404,
    )
