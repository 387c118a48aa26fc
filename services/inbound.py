"""Accepting an outside event id at the edge: the same id with another payload is a 409; an
``Idempotency-Key`` sent again with another request is a 422."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from services.context import Context
from services.errors import Refused
from store.inbound import AcceptedEvent, EventIdReused, InboundEvents


def fingerprint(said: dict[str, Any]) -> str:
    """A digest of what an event says (its JSON form): the same for a repeat, whatever its
    key order or whitespace."""
    canonical = json.dumps(said, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def accept_event(
    context: Context, source: str, event_id: str, payload: BaseModel | dict[str, Any]
) -> AcceptedEvent:
    """Record ``event_id`` of ``source`` in the ledger; raises a 409 ``event_id_reused``
    ``Refused`` when it was accepted before with a different payload."""
    said = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    try:
        return await InboundEvents(context.sessions).accept(
            source, event_id, fingerprint(said), datetime.now(UTC)
        )
    except EventIdReused as err:
        raise Refused(
            409,
            "event_id_reused",
            f"event {event_id!r} was already received with a different payload; an event id "
            "names one event: send a new id for a new event",
            {"id": event_id, "first_received_at": err.received_at.isoformat()},
        ) from err


#: The ledger's source for recruiters' ``Idempotency-Key``s: one key names one request,
#: whichever action or enrolment it was first sent for.
IDEMPOTENCY_SOURCE = "idempotency-key"


async def claim_idempotency_key(context: Context, key: str, request: dict[str, Any]) -> None:
    """Bind ``key`` to ``request`` (the action and what it acts on), or raise 422
    ``idempotency_key_reused`` when the key came before with another request: its sender
    would otherwise be told the first request's outcome as if it were this one's."""
    try:
        await InboundEvents(context.sessions).accept(
            IDEMPOTENCY_SOURCE, key, fingerprint(request), datetime.now(UTC)
        )
    except EventIdReused as err:
        raise Refused(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was sent before with another request; a key names one "
            "request: send a new key for a new request",
            {"first_received_at": err.received_at.isoformat()},
        ) from err
