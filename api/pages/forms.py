"""What the admin forms share: the CSRF check of a posted form, who may save, the API's
words for a validation error, and rendering a form page with its problems."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.access import CSRF_FIELD, SESSION_COOKIE, Access, Caller, csrf_ok
from api.dependencies import ApiContext
from api.templating import page_context, templates
from domain.access import Role

#: An id (of a campaign, a job) as the API takes it in a path, and as a form can type it.
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def validation_messages(err: ValidationError) -> list[str]:
    """What the API would answer 422 for (field: why), in the same words."""
    return [
        f"{'.'.join(str(p) for p in error['loc']) or 'definition'}: "
        + str(error["msg"]).removeprefix("Value error, ")
        for error in err.errors()
    ]


def csrf_refused(request: Request, form: dict[str, str]) -> Response | None:
    """403 for a form a signed-in browser posted without the session's CSRF token."""
    caller: Caller | None = getattr(request.state, "caller", None)
    access: Access = request.app.state.access
    cookie = request.cookies.get(SESSION_COOKIE)
    if (
        caller is not None
        and caller.by_cookie
        and not csrf_ok(access, caller, cookie, form.get(CSRF_FIELD))
    ):
        return Response("a missing or wrong CSRF token", status_code=403)
    return None


def may_save(request: Request) -> bool:
    caller: Caller | None = getattr(request.state, "caller", None)
    return caller is None or caller.principal.may(frozenset({Role.ADMIN}))


def render_form(
    request: Request,
    context: ApiContext,
    template: str,
    values: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """An admin form page: ``values`` (the form, its errors, its choices) and whether the
    caller may save it."""
    return templates.TemplateResponse(
        request,
        template,
        {**page_context(request, context), **values, "may_save": may_save(request)},
        status_code=status_code,
    )
