"""A vendor ATS's webhook delivery, mapped onto the one ATS-event use case.

The path goes down once: the vendor's bridge (``bridges.BRIDGES``) verifies the signature
with its own secret (a bridge without one is not there: 404) and reads the body into
``VendorEvent``s; each event is routed through the jobs' ``ats`` mapping in one catalog read
(an unmapped job or stage is acknowledged and ignored: vendors retry anything but a 2xx) and
applied as an ATS event whose id, application and candidate are the vendor's, prefixed with
the vendor (``greenhouse:265277``). The candidate's workflow orders the application's events
by the vendor's own time, so a late retry never moves it back. Nothing here names a vendor:
what differs is a field of its ``VendorBridge``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from bridges.base import (
    BadSignature,
    Change,
    UnreadablePayload,
    VendorBridge,
    VendorEvent,
    VendorUnavailable,
)
from domain.ats import AtsSystem
from domain.events import ApplicationRef, ApplicationWithdrawn, EnrolmentSummary
from services.ats_events import AtsCandidate, AtsEvent, AtsEvents, AtsEventType
from services.context import Context
from services.errors import Refused
from services.inbound import accept_event
from store.placements import Placements, VendorRoute


class VendorEventsAccepted(BaseModel):
    """What a webhook delivery did: how many of its events reached a candidate's workflow,
    why the others changed nothing, and the enrolments concerned, in their current status."""

    accepted: int
    ignored: list[str]
    enrolments: list[EnrolmentSummary]


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery as the HTTP edge received it: the raw body (signatures cover it),
    the body read as JSON once, or why it could not be (said only once the signature holds:
    an unsigned body gets 401 whatever it holds)."""

    raw: bytes
    headers: Mapping[str, str]
    document: Any
    unreadable: Refused | None = None


async def receive_delivery(
    context: Context, bridge: VendorBridge, delivery: Delivery
) -> VendorEventsAccepted:
    """Verify, read and apply one delivery. Raises ``Refused``: 404 when the bridge has no
    secret, 401 for a bad signature, 400 for a body that is not JSON, 422 for a signed
    payload it cannot read, 503 when a candidate's workflow (or the vendor's API) did not
    answer in time."""
    secrets = bridge.secrets(context.settings)
    if not secrets:
        raise Refused(
            404, "bridge_not_configured", f"the {bridge.system} bridge has no secret configured"
        )
    try:
        bridge.verify(delivery.raw, delivery.document, delivery.headers, secrets)
        if delivery.unreadable is not None:
            raise delivery.unreadable
        parsed = bridge.parse(delivery.document, datetime.now(UTC))
    except BadSignature as err:
        raise Refused(401, "bad_signature", f"{bridge.system}: {err}") from err
    except UnreadablePayload as err:
        raise Refused(422, "unreadable_payload", f"{bridge.system}: {err}") from err
    key = bridge.delivery_key(delivery.document)
    if key is not None:
        await _first_use_of_key(context, bridge, key, delivery.raw)
    answer = VendorEventsAccepted(
        accepted=0, ignored=[parsed.ignored] if parsed.ignored else [], enrolments=[]
    )
    use_case = AtsEvents(context)
    for event in parsed.events:
        outcome = await _apply(context, bridge, use_case, event)
        if isinstance(outcome, str):
            answer.ignored.append(outcome)
        else:
            answer.accepted += 1
            answer.enrolments.extend(outcome)
    return answer


async def _first_use_of_key(context: Context, bridge: VendorBridge, key: str, raw: bytes) -> None:
    """A vendor whose signature does not cover the body (Lever signs a random token and a
    time): a key seen before with another body is a captured signature carrying another
    event."""
    body = {"sha256": hashlib.sha256(raw).hexdigest()}
    try:
        await accept_event(context, f"{bridge.system}-delivery", key, body)
    except Refused as err:
        if err.code != "event_id_reused":
            raise
        raise Refused(
            401,
            "bad_signature",
            f"{bridge.system}: this delivery's token came before with another body",
        ) from err


async def _apply(
    context: Context, bridge: VendorBridge, use_case: AtsEvents, event: VendorEvent
) -> list[EnrolmentSummary] | str:
    """The enrolments the event concerns, or why it changed nothing."""
    system = bridge.system
    if bridge.complete is not None:
        completed = await _completed(context, bridge, event)
        if completed is None:
            return f"application {event.application_id} is no longer at {bridge.name}"
        event = completed
    ours = _Ours(system, _without_nul(event))
    route: VendorRoute | None = None
    if ours.event.job_id is not None:
        async with context.sessions() as session:
            route = await Placements(session).vendor_route(
                system, ours.event.job_id, ours.event.stage_id
            )
        if route is None:
            return f"{system} job {ours.event.job_id} is mapped by no job"
    try:
        if ours.event.change is Change.WITHDRAWN:
            withdrawn = await use_case.withdraw(
                system.value,
                ours.said,
                ours.candidate().contact(),
                ours.withdrawal(route),
                start=route is not None,
            )
            return withdrawn.enrolments
        if route is None or route.stage_id is None:
            where = f"stage {ours.event.stage_id} of {system} job {ours.event.job_id}"
            return f"{where} is mapped by no stage"
        applied = await use_case.apply(ours.entry(route), system.value, ours.said, route.placement)
        return applied.enrolments
    except ValidationError as err:
        raise Refused(
            422, "unreadable_payload", f"{system}: the event does not fit: {_first(err)}"
        ) from err
    except Refused as err:
        if err.code == "event_id_reused":
            # A vendor resending an event as the application is now (Workable does): the
            # newer state comes as its own event.
            return f"{ours.event_id} was received before with other content"
        raise


@dataclass(frozen=True)
class _Ours:
    """A vendor's event in our ids: the vendor's, prefixed with it (``greenhouse:265277``)."""

    system: AtsSystem
    event: VendorEvent

    @property
    def event_id(self) -> str:
        return f"{self.system}:{self.event.event_id}"

    @property
    def application_id(self) -> str:
        return f"{self.system}:{self.event.application_id}"

    @property
    def said(self) -> dict[str, Any]:
        """What every delivery of the event says alike: not its time where the vendor gives
        none (a deletion's is when it arrived), nor contact details read from an API."""
        return {
            "change": self.event.change.value,
            "application": self.application_id,
            "job": self.event.job_id,
            "stage": self.event.stage_id,
            "candidate": self.event.candidate.id,
        }

    def candidate(self) -> AtsCandidate:
        person = self.event.candidate
        return AtsCandidate(
            id=f"{self.system}:{person.id}",
            name=person.name[:300],
            phone=person.phone,
            email=person.email,
        )

    def placed(self, route: VendorRoute | None) -> ApplicationRef | None:
        if route is None or route.stage_id is None:
            return None
        return ApplicationRef(id=self.application_id, job_id=route.job_id, stage_id=route.stage_id)

    def withdrawal(self, route: VendorRoute | None) -> ApplicationWithdrawn:
        return ApplicationWithdrawn(
            event_id=self.event_id,
            application_id=self.application_id,
            occurred_at=self.event.occurred_at,
            application=self.placed(route),
        )

    def entry(self, route: VendorRoute) -> AtsEvent:
        """The event as the ATS event that places the application in ``route``'s stage."""
        placed = self.placed(route)
        assert placed is not None
        return AtsEvent(
            id=self.event_id,
            type=AtsEventType.APPLICATION_CREATED
            if self.event.change is Change.CREATED
            else AtsEventType.APPLICATION_STAGE_CHANGED,
            occurred_at=self.event.occurred_at,
            application=placed,
            candidate=self.candidate(),
        )


async def _completed(
    context: Context, bridge: VendorBridge, event: VendorEvent
) -> VendorEvent | None:
    """The event completed from the vendor's API; ``None`` when the application is gone."""
    assert bridge.complete is not None
    http = bridge.api(context.settings)
    if http is None:  # pragma: no cover - the settings refuse a secret without the API key
        raise Refused(503, f"{bridge.system}_unavailable", f"no {bridge.name} API key is set")
    async with http:
        try:
            return await bridge.complete(event, http)
        except VendorUnavailable as err:
            raise Refused(
                503,
                f"{bridge.system}_unavailable",
                f"cannot read the application's details from {bridge.name}: {err}",
                headers={"Retry-After": "30"},
            ) from err


def _without_nul(event: VendorEvent) -> VendorEvent:
    """``event`` without NUL characters in its text (no database stores them; a vendor
    retries a refusal forever, so they are dropped, not refused)."""

    def clean(text: str | None) -> str | None:
        return None if text is None else text.replace("\x00", "")

    person = event.candidate
    return replace(
        event,
        event_id=event.event_id.replace("\x00", ""),
        application_id=event.application_id.replace("\x00", ""),
        job_id=clean(event.job_id),
        stage_id=clean(event.stage_id),
        candidate=replace(
            person,
            id=person.id.replace("\x00", ""),
            name=person.name.replace("\x00", ""),
            phone=clean(person.phone),
            email=clean(person.email),
        ),
    )


def _first(err: ValidationError) -> str:
    problem = err.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']}" if where else str(problem["msg"])
