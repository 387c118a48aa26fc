"""What every vendor bridge is (``VendorBridge``) and reads a webhook into (``VendorEvent``, in
the vendor's own ids).

A bridge checks the vendor's signature over the raw body, then reads the payload (the body as
JSON, read once by the HTTP edge) into zero or more ``VendorEvent`` (an application entered a
stage, or left the process), each with an id that is the same for every delivery of that event
and the vendor's own time of it. The use case (``services/vendor_events.py``) maps the vendor's
job and stage through the jobs' ``ats`` mapping and hands each event to the one ATS-event use
case. Whatever is particular to a vendor is a field of its ``VendorBridge``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from bridges.importing import VendorJob
from config.settings import Settings
from domain.ats import AtsSystem

#: The vendor stage id a job maps to act on hires where the vendor reports a hire as a status,
#: not as a stage (Greenhouse, Lever): ``{"id": "hired", ..., "ats_stage_id": "hired"}``.
HIRED_STAGE = "hired"


M = TypeVar("M", bound=BaseModel)


class BadSignature(Exception):
    """The request is not signed with the configured secret (or not signed at all)."""


class UnreadablePayload(Exception):
    """A signed payload the bridge cannot read; the message says what is wrong."""


class VendorUnavailable(Exception):
    """The vendor's API did not answer what a webhook needs; the webhook should be retried."""


class Change(StrEnum):
    CREATED = "created"  # the application was created in a stage
    MOVED = "moved"  # it entered a stage (including back from rejected, and hired)
    WITHDRAWN = "withdrawn"  # rejected, archived, disqualified, withdrawn or deleted


@dataclass(frozen=True)
class VendorCandidate:
    """The person, as the vendor has them (ids are the vendor's)."""

    id: str
    name: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class VendorEvent:
    """One change of one application, in the vendor's ids."""

    system: AtsSystem
    #: The same for every delivery of this event (the vendor's id, or one derived from it).
    event_id: str
    #: The vendor's own time of the change: it orders the application's events.
    occurred_at: datetime
    change: Change
    application_id: str
    #: ``None`` when the payload does not say (a deletion): such a withdrawal reaches only a
    #: candidate who already has a workflow.
    job_id: str | None
    #: The stage entered (``HIRED_STAGE`` for a hire reported as a status); ``None`` for a
    #: withdrawal.
    stage_id: str | None
    candidate: VendorCandidate
    #: A withdrawal's reason where the bridge must still learn what it means (Lever: an
    #: archive reason, which is a hire when its type is ``hired``).
    reason: str | None = None


@dataclass
class Parsed:
    """What one webhook delivery says: its events, or why it says nothing we act on."""

    events: list[VendorEvent] = field(default_factory=list)
    ignored: str | None = None


class Loose(BaseModel):
    """A part of a vendor's payload: the fields a bridge reads; any other is ignored."""

    model_config = ConfigDict(extra="ignore")


def read_payload(model: type[M], document: Any, vendor: str) -> M:
    """``document`` (the body, read as JSON by the HTTP edge) read as ``model``; raises
    ``UnreadablePayload`` saying what does not fit."""
    try:
        return model.model_validate(document)
    except ValidationError as err:
        raise UnreadablePayload(f"not a {vendor} webhook: {err}") from None


def signature(secret: str, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under ``secret``, as lowercase hex (what every vendor sends)."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_by_one_of(secrets: Iterable[str], message: bytes, given: str) -> bool:
    """Whether ``given`` is the signature of ``message`` under one of ``secrets`` (constant
    time for each; compared as bytes, so any text a caller sends is merely wrong)."""
    wanted = given.strip().lower().encode("utf-8", "replace")
    return any(hmac.compare_digest(signature(s, message).encode(), wanted) for s in secrets if s)


def verify_header(
    raw: bytes,
    headers: Mapping[str, str],
    secrets: list[str],
    *,
    header: str,
    algorithm: tuple[str, str] | None = None,
) -> None:
    """Raise ``BadSignature`` unless the ``header`` signs ``raw`` under one of ``secrets``:
    its hex HMAC-SHA256, after ``algorithm`` (name and separator: ``("sha256", " ")`` for
    ``sha256 <hex>``) when the vendor names it."""
    given = headers.get(header.lower(), "").strip()
    if algorithm is not None:
        named, _, given = given.partition(algorithm[1])
        if named.strip().lower() != algorithm[0]:
            given = ""
    if not given or not signed_by_one_of(secrets, raw, given):
        raise BadSignature(f"the {header} header does not sign this body with the secret")


def derived_id(*parts: object) -> str:
    """A stable event id from the parts that identify an event (vendors without event ids)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def mobile_first(phones: Iterable[tuple[str | None, str | None]]) -> str | None:
    """Of ``(type, number)`` pairs, the first mobile number, else the first number."""
    listed = list(phones)
    mobile = [number for kind, number in listed if (kind or "").strip().lower() == "mobile"]
    return first_of(*mobile, *(number for _, number in listed))


def first_of(*values: str | None) -> str | None:
    """The first of ``values`` that is not empty, stripped."""
    for value in values:
        if value is not None and value.strip():
            return value.strip()
    return None


def vendor_client(base_url: str, api_key: str, timeout: float) -> httpx.AsyncClient:
    """A client for a vendor's API (Greenhouse, Lever, Ashby): Basic auth with the API key as
    the user name and no password, as each of them asks."""
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/") + "/", auth=(api_key, ""), timeout=timeout
    )


Verify = Callable[[bytes, Any, Mapping[str, str], list[str]], None]
Parse = Callable[[Any, datetime], Parsed]
Complete = Callable[[VendorEvent, httpx.AsyncClient], Awaitable[VendorEvent | None]]
ListJobs = Callable[[httpx.AsyncClient], Awaitable[list[VendorJob]]]


def one_secret(value: str) -> list[str]:
    """A setting holding one secret."""
    return [value]


def no_delivery_key(document: Any) -> str | None:
    """A vendor whose signature covers the whole body needs no key of its own per delivery."""
    return None


@dataclass(frozen=True)
class VendorBridge:
    """One vendor ATS: everything the product does differently for it.

    Its webhook arrives at ``path``; ``verify`` checks the signature with the secrets of
    ``secret_of(settings)``, ``parse`` reads the body into events. ``complete`` reads what the
    payload leaves out from the vendor's API (Lever's contact details); ``delivery_key`` is
    what one delivery must carry once only (Lever signs a token, not the body); ``list_jobs``
    reads the vendor's jobs for ``enrolments import-jobs``.
    """

    system: AtsSystem
    verify: Verify
    parse: Parse
    #: The webhook secret's setting (``None`` or empty: the bridge is off: 404).
    secret_of: Callable[[Settings], SecretStr | None]
    #: The API key's setting and the API's base URL (``None``: the vendor has no API we use).
    api_key_of: Callable[[Settings], SecretStr | None] = lambda settings: None
    api_url_of: Callable[[Settings], str] = lambda settings: ""
    #: How the secret setting's text holds one or more secrets.
    secrets_in: Callable[[str], list[str]] = one_secret
    delivery_key: Callable[[Any], str | None] = no_delivery_key
    complete: Complete | None = None
    list_jobs: ListJobs | None = None

    @property
    def path(self) -> str:
        """Where the vendor's webhooks arrive."""
        return f"/ats/{self.system.value}"

    @property
    def name(self) -> str:
        """The vendor's name as people write it."""
        return self.system.value.capitalize()

    def secrets(self, settings: Settings) -> list[str]:
        """The configured webhook secrets (empty: the bridge is off)."""
        secret = self.secret_of(settings)
        if secret is None or not secret.get_secret_value():
            return []
        return self.secrets_in(secret.get_secret_value())

    def api(self, settings: Settings) -> httpx.AsyncClient | None:
        """A client for the vendor's API (``None``: no API key is configured)."""
        key = self.api_key_of(settings)
        if key is None or not key.get_secret_value():
            return None
        return vendor_client(
            self.api_url_of(settings), key.get_secret_value(), settings.vendor_timeout
        )
