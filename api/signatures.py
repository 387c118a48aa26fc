"""Who may call us: Standard Webhooks signatures and Twilio's ``X-Twilio-Signature``.

Standard Webhooks (https://www.standardwebhooks.com): the caller sends ``webhook-id``,
``webhook-timestamp`` (Unix seconds) and ``webhook-signature``, a space-separated list of
``v1,<base64 HMAC-SHA256>`` over ``"{id}.{timestamp}.{body}"``. The secret
(``ENROLMENTS_WEBHOOK_SECRET``) is read as the spec's ``whsec_<base64>`` form when it has that
prefix (the key is the decoded bytes), and otherwise as the raw key bytes (UTF-8). A timestamp
more than five minutes away from our clock is refused, so a captured request cannot be replayed
later.

Twilio: ``X-Twilio-Signature`` is base64(HMAC-SHA1(auth token, URL + every form key and value,
sorted by key)), where the URL is the one Twilio called: ``ENROLMENTS_PUBLIC_URL`` plus the
path when set (behind a proxy), else the URL the request arrived on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from fastapi import Depends
from starlette.requests import Request

from api.dependencies import get_settings
from api.errors import ApiError

WEBHOOK_TOLERANCE = timedelta(minutes=5)
WEBHOOK_SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"


class InvalidSignature(ValueError):
    """The request is not signed by someone holding the secret (or is too old)."""


# -- Standard Webhooks ----------------------------------------------------------------------


def webhook_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret (``whsec_<base64>`` or raw)."""
    if secret.startswith(WEBHOOK_SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(WEBHOOK_SECRET_PREFIX) :], validate=True)
        except binascii.Error as err:
            raise ValueError("a whsec_ secret must be base64 after the prefix") from err
    return secret.encode()


def sign_webhook(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for ``body`` (what a signed caller sends)."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(webhook_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: timedelta = WEBHOOK_TOLERANCE,
) -> None:
    """Raise ``InvalidSignature`` unless ``headers`` carry a fresh, valid signature of ``body``.

    Any one matching ``v1`` signature in the header is enough (senders rotating secrets send
    several); comparisons are constant-time.
    """
    webhook_id = headers.get("webhook-id")
    timestamp_text = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not webhook_id or not timestamp_text or not signatures:
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = int(timestamp_text)
    except ValueError as err:
        raise InvalidSignature("webhook-timestamp must be Unix seconds") from err
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance.total_seconds():
        raise InvalidSignature("webhook-timestamp is too far from the current time")
    expected = sign_webhook(secret, webhook_id, timestamp, body).encode()
    for candidate in signatures.split():
        if hmac.compare_digest(candidate.encode(), expected):
            return
    raise InvalidSignature("no webhook-signature matches the body")


# -- Twilio ---------------------------------------------------------------------------------


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The ``X-Twilio-Signature`` Twilio computes for a form POST to ``url``."""
    payload = url + "".join(key + value for key, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_twilio(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str | None
) -> None:
    """Raise ``InvalidSignature`` unless ``signature`` is Twilio's for this URL and form.

    Twilio signs the URL as it called it, which may or may not spell out the scheme's default
    port (and a proxy may add or drop it): like Twilio's own validators, the URL is tried with
    and without its port.
    https://www.twilio.com/docs/usage/webhooks/webhooks-security#validating-signatures-from-twilio
    """
    if not signature:
        raise InvalidSignature("missing X-Twilio-Signature header")
    form = list(params)
    for candidate in _with_and_without_port(url):
        expected = twilio_signature(auth_token, candidate, form)
        if hmac.compare_digest(signature.encode(), expected.encode()):
            return
    raise InvalidSignature("X-Twilio-Signature does not match")


def _with_and_without_port(url: str) -> list[str]:
    """``url`` as given, without its port, and with the scheme's default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    default = {"https": 443, "http": 80}.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:  # a Host header with a port that is no port: the URL as given only
        return [url]
    bare = urlunsplit(parts._replace(netloc=f"{prefix}{host}"))
    ported = urlunsplit(parts._replace(netloc=f"{prefix}{host}:{port}")) if port else bare
    return list(dict.fromkeys([url, bare, ported]))


def twilio_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio called: the configured public base plus path and query, if set."""
    if not public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_url.rstrip('/')}{request.url.path}{query}"


async def verified_twilio_form(request: Request) -> list[tuple[str, str]]:
    """The form Twilio posted, once its signature checks out (when a token is configured).

    Raises 401 ``invalid_signature`` otherwise. Without ``TWILIO_AUTH_TOKEN`` every request
    is taken, which suits the embedded stack and tests only.
    """
    form = await request.form()
    params = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    settings = get_settings(request)
    if settings.twilio_auth_token is not None:
        try:
            verify_twilio(
                settings.twilio_auth_token.get_secret_value(),
                twilio_url(request, settings.public_url),
                params,
                request.headers.get("x-twilio-signature"),
            )
        except InvalidSignature as err:
            raise ApiError(401, "invalid_signature", str(err)) from err
    return params


TwilioFormDep = Annotated[list[tuple[str, str]], Depends(verified_twilio_form)]
