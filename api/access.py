"""Who is calling: API keys, the recruiter UI's session, CSRF tokens.

Every request passes ``AccessControl`` (ASGI middleware) before any route sees it: it reads
who the caller is and puts them on the request's state. Whether they may call the route is the
route's own declaration (``api.permissions``).

A caller proves who they are with ``Authorization: Bearer <api key>``, or, in the recruiter UI,
with the session cookie its sign-in page sets (HttpOnly, SameSite=Strict; signed with the
key's stored hash, so revoking the key ends the session). A request authenticated by the
cookie that changes something must also carry the session's CSRF token (``X-CSRF-Token``, or
the form field ``csrf_token`` on the UI's own forms). Missing or unknown key: 401; a key
without the role: 403. With ``ENROLMENTS_AUTH=off`` every request is an admin's.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_json
from config.settings import Settings
from domain.access import Principal, Role, key_hash
from services.errors import outage
from store.access import ApiKeys

logger = logging.getLogger(__name__)

SESSION_COOKIE = "enrolments_session"
SESSION_LIFETIME = timedelta(hours=12)
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SIGN_IN_PATH = "/ui/sign-in"
#: The principal of every request when authentication is off.
NOBODY_CHECKED = Principal("local", "authentication off", Role.ADMIN)
BOOTSTRAP_ID = "bootstrap"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: who, the hash their session is signed with, and how they
    proved it (``cookie`` calls that change something need the CSRF token)."""

    principal: Principal
    signing_hash: str
    by_cookie: bool


class Access:
    """Reads keys and sessions."""

    def __init__(self, settings: Settings, keys: ApiKeys, session_secret: bytes) -> None:
        self._settings = settings
        self._keys = keys
        self._session_secret = session_secret
        bootstrap = settings.bootstrap_admin_key
        self._bootstrap = bootstrap.get_secret_value() if bootstrap else None

    async def from_key(self, key: str) -> tuple[Principal, str] | None:
        """The holder of ``key`` and its hash, or ``None``."""
        if self._bootstrap and hmac.compare_digest(key.encode(), self._bootstrap.encode()):
            return self._bootstrap_principal()
        return await self._keys.principal(key)

    async def caller(self, connection: HTTPConnection) -> Caller | None:
        """Who sent the request: its bearer key, else its session cookie; ``None``."""
        authorization = connection.headers.get("authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            found = await self.from_key(credentials.strip())
            return None if found is None else Caller(found[0], found[1], by_cookie=False)
        cookie = connection.cookies.get(SESSION_COOKIE)
        if cookie:
            found = await self._from_session(cookie)
            return None if found is None else Caller(found[0], found[1], by_cookie=True)
        return None

    def session_cookie(self, principal: Principal, signing_hash: str) -> str:
        """The cookie value of a new session of ``principal`` (``id.expiry.signature``)."""
        expires = int(time.time() + SESSION_LIFETIME.total_seconds())
        signed = f"{principal.key_id}.{expires}"
        return f"{signed}.{self.mac(signing_hash, signed)}"

    def mac(self, signing_hash: str, message: str) -> str:
        """HMAC under the server's session secret and the key's hash: whoever reads the
        database (the hash) still cannot make a session, and a revoked key's die with it."""
        key = self._session_secret + signing_hash.encode()
        return hmac.new(key, message.encode(), "sha256").hexdigest()

    async def _from_session(self, cookie: str) -> tuple[Principal, str] | None:
        key_id, _, rest = cookie.partition(".")
        expires, _, signature = rest.partition(".")
        if not expires.isdecimal() or len(expires) > 12 or int(expires) < time.time():
            return None
        if key_id == BOOTSTRAP_ID and self._bootstrap:
            found: tuple[Principal, str] | None = self._bootstrap_principal()
        else:
            found = await self._keys.principal_by_id(key_id) if key_id.isalnum() else None
        if found is None:
            return None
        expected = self.mac(found[1], f"{key_id}.{expires}")
        return found if hmac.compare_digest(expected.encode(), signature.encode()) else None

    def _bootstrap_principal(self) -> tuple[Principal, str]:
        assert self._bootstrap is not None
        principal = Principal(BOOTSTRAP_ID, "bootstrap admin key", Role.ADMIN)
        return principal, key_hash(self._bootstrap)


def csrf_token(access: Access, caller: Caller, cookie: str) -> str:
    """The CSRF token of a cookie session: only a page of ours, which has it, can send it."""
    return access.mac(caller.signing_hash, f"csrf:{cookie}")


def csrf_ok(access: Access, caller: Caller, cookie: str | None, given: str | None) -> bool:
    if not cookie or not given:
        return False
    expected = csrf_token(access, caller, cookie).encode()
    return hmac.compare_digest(expected, given.encode("utf-8", "replace"))


class AccessControl:
    """ASGI middleware: reads who sent each request (its key or session) onto its state."""

    def __init__(self, app: ASGIApp, settings: Settings, access: Access) -> None:
        self.app = app
        self.settings = settings
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # No route takes one; nothing is open by default.
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        if not self.settings.auth_on:
            scope["state"]["principal"] = NOBODY_CHECKED
            await self.app(scope, receive, send)
            return
        try:
            caller = await self.access.caller(HTTPConnection(scope))
        except Exception as err:
            # The keys live in the read model: when it is away, say "retry", as routes do.
            body = outage(err)
            if body is None:
                raise
            method, path = scope["method"], scope["path"]
            logger.warning("cannot read API keys for %s %s: %s", method, path, type(err).__name__)
            unavailable = error_json(503, body.code, body.message, headers={"Retry-After": "5"})
            await unavailable(scope, receive, send)
            return
        if caller is not None:
            scope["state"]["principal"] = caller.principal
            scope["state"]["caller"] = caller
        await self.app(scope, receive, send)
