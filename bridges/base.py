"""What every vendor bridge reads a webhook into: ``VendorEvent``, in the vendor's own ids.

A bridge checks the vendor's signature over the raw body, then reads the payload into zero or
more ``VendorEvent`` (an application entered a stage, or left the process), each with an id
that is the same for every delivery of that event and the vendor's own time of it. The HTTP
edge (``api/vendor_events.py``) maps the vendor's job and stage through the jobs' ``ats``
mapping and hands each event to the one ATS-event use case.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.ats import AtsSystem

#: The vendor stage id a job maps to act on hires where the vendor reports a hire as a status,
#: not as a stage (Greenhouse, Lever): ``{"id": "hired", ..., "ats_stage_id": "hired"}``.
HIRED_STAGE = "hired"


class BadSignature(Exception):
    """The request is not signed with the configured secret (or not signed at all)."""


class UnreadablePayload(Exception):
    """A signed payload the bridge cannot read; the message says what is wrong."""


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


@dataclass
class Parsed:
    """What one webhook delivery says: its events, or why it says nothing we act on."""

    events: list[VendorEvent] = field(default_factory=list)
    ignored: str | None = None


def signature(secret: str, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under ``secret``, as lowercase hex (what every vendor sends)."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_by_one_of(secrets: Iterable[str], message: bytes, given: str) -> bool:
    """Whether ``given`` is the signature of ``message`` under one of ``secrets`` (constant
    time for each)."""
    given = given.strip().lower()
    return any(hmac.compare_digest(signature(s, message), given) for s in secrets if s)


def derived_id(*parts: object) -> str:
    """A stable event id from the parts that identify an event (vendors without event ids)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def first_of(*values: str | None) -> str | None:
    """The first of ``values`` that is not empty, stripped."""
    for value in values:
        if value is not None and value.strip():
            return value.strip()
    return None
