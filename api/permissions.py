"""Who may call a route, said where the route is declared.

Each route names one ``Allow`` among its dependencies: a typed one that hands the handler the
caller (``who: Admin``, ``who: Recruiter``), or one in ``dependencies=[...]`` when the handler
does not need to know who called (``PUBLIC``, ``RECRUITERS``, ``SIGNED_OR_ATS``...). ``admin``
may call anything a role may. ``api.bodies.CheckedRoute`` finds the route's ``Allow`` when the
route is built and checks it before anything reads the body; a route that names none is
refused (default deny), and ``create_app`` will not start with one.

Who the caller is (an API key, the UI's session cookie) is read for every request by
``api.access.AccessControl``; a cookie session that changes something must prove it with the
CSRF token (``X-CSRF-Token``; the UI's own forms carry it as a field, checked by the page).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends
from fastapi.dependencies.models import Dependant
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from api.access import CSRF_HEADER, SESSION_COOKIE, SIGN_IN_PATH, Access, Caller, csrf_ok
from api.errors import ApiError, error_json
from config.settings import Settings
from domain.access import Principal, Role

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Checks a caller's own signature on the request (raises ``ApiError`` 401).
Verify = Callable[[Request, Settings], Awaitable[None]]


@dataclass(frozen=True, eq=False)
class Allow:
    """Who may call a route: callers with one of ``roles`` (admins always), anyone when
    ``roles`` is ``None`` (the route holds nothing private, or checks a token of its own).

    ``signed_by``: when it says the deployment configured a signing secret, a signature
    admits the caller instead of a role (``verify`` checks it here, or the route does).
    ``page``: an HTML page; an unknown caller is sent to sign in, and its forms check their
    CSRF field themselves. ``csrf``: a cookie session changing something needs the token.
    """

    roles: frozenset[Role] | None
    signed_by: Callable[[Settings], bool] | None = None
    verify: Verify | None = None
    page: bool = False
    csrf: bool = True
    #: What the route's documentation says of its callers.
    description: str = field(default="")

    async def __call__(self, connection: HTTPConnection) -> Principal | None:
        """The caller, once ``refusal`` admitted them (``None``: a signed or public call)."""
        return getattr(connection.state, "principal", None)

    async def refusal(self, request: Request, settings: Settings) -> Response | None:
        """The answer that refuses ``request`` (``None``: it may go on)."""
        if not settings.auth_on:
            return None
        if self.signed_by is not None and self.signed_by(settings):
            if self.verify is not None:
                await self.verify(request, settings)
            return None
        if self.roles is None:
            return None
        caller: Caller | None = getattr(request.state, "caller", None)
        if caller is None:
            return self._unknown(request)
        if not caller.principal.may(self.roles):
            wanted = " or ".join(sorted(r.value for r in self.roles | {Role.ADMIN}))
            return error_json(
                403,
                "forbidden",
                f"this key's role ({caller.principal.role}) may not do this: it takes {wanted}",
            )
        if caller.by_cookie and self.csrf and not self.page and request.method not in SAFE_METHODS:
            access: Access = request.app.state.access
            cookie = request.cookies.get(SESSION_COOKIE)
            given = Headers(scope=request.scope).get(CSRF_HEADER)
            if not csrf_ok(access, caller, cookie, given):
                return error_json(403, "csrf_failed", "a missing or wrong X-CSRF-Token header")
        return None

    def _unknown(self, request: Request) -> Response:
        if self.page and request.method in SAFE_METHODS:
            query = request.url.query
            target = request.url.path + (f"?{query}" if query else "")
            return RedirectResponse(f"{SIGN_IN_PATH}?next={quote(target, safe='')}", 303)
        return error_json(
            401,
            "not_authenticated",
            "send an API key: Authorization: Bearer <key> (enrolments keys create)",
            headers={"WWW-Authenticate": 'Bearer realm="enrolments"'},
        )


def allow_of(dependant: Dependant) -> Allow | None:
    """The ``Allow`` a route names among its dependencies (``None``: it names none)."""
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Allow):
            return dependency.call
        found = allow_of(dependency)
        if found is not None:
            return found
    return None


def _webhook_secret_set(settings: Settings) -> bool:
    return settings.webhook_secret is not None


def _twilio_token_set(settings: Settings) -> bool:
    return settings.twilio_auth_token is not None


async def _standard_webhook(request: Request, settings: Settings) -> None:
    # Imported here: the signature module reads settings through the app's context.
    from api.signatures import InvalidSignature, verify_webhook

    assert settings.webhook_secret is not None
    try:
        verify_webhook(
            settings.webhook_secret.get_secret_value(), request.headers, await request.body()
        )
    except InvalidSignature as err:
        raise ApiError(401, "invalid_signature", str(err)) from err


ADMINS_ONLY: frozenset[Role] = frozenset()

#: Anyone: the route holds no candidate's data, or checks a token or signature of its own.
PUBLIC = Allow(None, description="anyone")
ADMIN_ROLE = Allow(ADMINS_ONLY, description="admin")
RECRUITER_ROLE = Allow(frozenset({Role.RECRUITER}), description="recruiter or admin")
ATS_ROLE = Allow(frozenset({Role.ATS}), description="ats or admin")
#: ``POST /ats/events`` and the JSON webhooks: a Standard Webhooks signature when
#: ``ENROLMENTS_WEBHOOK_SECRET`` is set, else a key of role ats.
SIGNED_OR_ATS = Allow(
    frozenset({Role.ATS}),
    signed_by=_webhook_secret_set,
    verify=_standard_webhook,
    description="signed (Standard Webhooks) when a secret is set, else ats or admin",
)
#: Twilio's webhooks: Twilio's signature (checked with the form) when its token is set.
TWILIO_OR_ATS = Allow(
    frozenset({Role.ATS}),
    signed_by=_twilio_token_set,
    description="signed by Twilio when its token is set, else ats or admin",
)
#: The codec server: changes nothing, and CORS admits the Temporal UI only: no CSRF token.
CODEC_READERS = Allow(frozenset({Role.RECRUITER}), csrf=False, description="recruiter or admin")
CODEC_WRITERS = Allow(ADMINS_ONLY, csrf=False, description="admin")
#: The candidate's pages: their link's token is the key (no session, so nothing to forge).
CANDIDATE = Allow(None, csrf=False, description="the candidate: their link's token is the key")
#: The recruiter's pages, and the admin pages' forms.
RECRUITER_PAGE = Allow(frozenset({Role.RECRUITER}), page=True, description="recruiter or admin")
ADMIN_PAGE = Allow(ADMINS_ONLY, page=True, description="admin")

PUBLIC_ROUTE = Depends(PUBLIC)
RECRUITERS = Depends(RECRUITER_ROLE)
ADMINS = Depends(ADMIN_ROLE)
ATS_CALLERS = Depends(ATS_ROLE)
SIGNED_WEBHOOK = Depends(SIGNED_OR_ATS)
TWILIO_WEBHOOK = Depends(TWILIO_OR_ATS)
PAGES = Depends(RECRUITER_PAGE)
CANDIDATE_LINK = Depends(CANDIDATE)

#: The caller, who must be an admin (the audit log names them).
Admin = Annotated[Principal, Depends(ADMIN_ROLE)]
#: The caller, who must be a recruiter or an admin.
Recruiter = Annotated[Principal, Depends(RECRUITER_ROLE)]
#: The caller of an admin page's form.
AdminOnPage = Annotated[Principal, Depends(ADMIN_PAGE)]
