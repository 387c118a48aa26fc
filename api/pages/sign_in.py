"""The recruiter UI's sign-in and sign-out: an API key in, a session cookie out.

``GET /ui/sign-in`` shows a form that takes a key (``enrolments dev`` prints a link whose
fragment, ``#key=...``, the page fills in: the key never reaches a server log; signing in
still takes a click, so no other site can sign a browser in with a key of its choosing).
``POST /ui/sign-in`` checks it and sets the session cookie (HttpOnly, SameSite=Strict, Secure
over HTTPS); ``POST /ui/sign-out`` (with the session's CSRF token) clears it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.access import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    SIGN_IN_PATH,
    Access,
    Caller,
    csrf_ok,
)
from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.permissions import PAGES, PUBLIC_ROUTE
from api.templating import page_context, templates
from domain.access import Role

router = APIRouter(tags=["recruiter UI"], include_in_schema=False, route_class=CheckedRoute)

UI_ROLES = frozenset({Role.RECRUITER})


def _next_page(value: str | None) -> str:
    """Where to go after signing in: a page of the UI, never another site."""
    if value and value.startswith("/ui/") and not value.startswith("//"):
        return value
    return "/ui/"


def _sign_in_page(
    request: Request, context: ContextDep, *, next_page: str, problem: str | None, status: int
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "sign_in.html",
        page_context(request, context) | {"next": next_page, "problem": problem},
        status_code=status,
    )


@router.get(SIGN_IN_PATH, response_class=HTMLResponse, dependencies=[PUBLIC_ROUTE])
async def sign_in_page(request: Request, context: ContextDep, next: str | None = None) -> Response:
    return _sign_in_page(request, context, next_page=_next_page(next), problem=None, status=200)


@router.post(SIGN_IN_PATH, response_class=HTMLResponse, dependencies=[PUBLIC_ROUTE])
async def sign_in(
    request: Request,
    context: ContextDep,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/ui/",
) -> Response:
    next_page = _next_page(next)
    origin = request.headers.get("origin")
    ours = {request.url.netloc, urlsplit(context.settings.public_url or "").netloc} - {""}
    if origin is not None and urlsplit(origin).netloc not in ours:
        # Login CSRF: another site may not sign a browser in (as someone else).
        return _sign_in_page(
            request, context, next_page=next_page, problem="Sign in from this site.", status=403
        )
    access: Access = request.app.state.access
    found = await access.from_key(key.strip())
    if found is None:
        return _sign_in_page(
            request, context, next_page=next_page, problem="That key is unknown or revoked.",
            status=401,
        )  # fmt: skip
    principal, signing_hash = found
    if not principal.may(UI_ROLES):
        return _sign_in_page(
            request, context, next_page=next_page, status=403,
            problem=f"A key of role {principal.role} cannot use the recruiter UI.",
        )  # fmt: skip
    response = RedirectResponse(next_page, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        access.session_cookie(principal, signing_hash),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_over_https(request, context),
    )
    return response


@router.post("/ui/sign-out", dependencies=[PAGES])
async def sign_out(
    request: Request,
    context: ContextDep,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> Response:
    caller: Caller | None = getattr(request.state, "caller", None)
    cookie = request.cookies.get(SESSION_COOKIE)
    access: Access = request.app.state.access
    if caller is not None and caller.by_cookie and not csrf_ok(access, caller, cookie, csrf_token):
        return Response("a missing or wrong CSRF token", status_code=403)
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_over_https(request, context),
    )
    return response


def _over_https(request: Request, context: ContextDep) -> bool:
    public = context.settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")
