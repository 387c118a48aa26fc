"""A vendor ATS's webhook, mapped onto the one ATS-event use case (``api.ats_events``).

For each vendor (``bridges/``): check its signature with its own secret (a bridge without one
is not there: 404), read the payload into ``VendorEvent``s, route each through the jobs' ``ats``
mapping (an unmapped job or stage is acknowledged and ignored: vendors retry anything but a
2xx), and apply it as an ATS event whose id, application and candidate are the vendor's,
prefixed with the vendor (``greenhouse:265277``). The candidate's workflow orders the
application's events by the vendor's own time, so a late retry never moves it back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from api.ats_events import AtsCandidate, AtsEvent, AtsEvents, AtsEventType
from api.bodies import read_json
from api.dependencies import ApiContext
from api.errors import ApiError
from api.inbound import accept_event
from bridges import ashby, greenhouse, lever, workable
from bridges.base import (
    BadSignature,
    Change,
    Parsed,
    UnreadablePayload,
    VendorEvent,
    vendor_client,
)
from config.settings import Settings
from domain.ats import AtsSystem
from domain.events import ApplicationRef, ApplicationWithdrawn, EnrolmentSummary
from store.catalog import Catalog


class VendorEventsAccepted(BaseModel):
    """What a webhook delivery did: how many of its events reached a candidate's workflow,
    why the others changed nothing, and the enrolments concerned, in their current status."""

    accepted: int
    ignored: list[str]
    enrolments: list[EnrolmentSummary]


@dataclass(frozen=True)
class Vendor:
    """One vendor's bridge: its secrets and how it reads a webhook."""

    system: AtsSystem
    setting: str
    verify: Callable[[bytes, Any, Mapping[str, str], list[str]], None]
    parse: Callable[[Any, datetime], Parsed]

    def secrets(self, settings: Settings) -> list[str]:
        secret = getattr(settings, self.setting)
        if secret is None or not secret.get_secret_value():
            return []
        if self.system is not AtsSystem.LEVER:
            return [secret.get_secret_value()]
        # Lever: one token per webhook, comma-separated.
        return [s.strip() for s in secret.get_secret_value().split(",") if s.strip()]


VENDORS = {
    v.system: v
    for v in (
        Vendor(AtsSystem.GREENHOUSE, "greenhouse_secret", greenhouse.verify, greenhouse.parse),
        Vendor(AtsSystem.LEVER, "lever_signature_token", lever.verify, lever.parse),
        Vendor(AtsSystem.ASHBY, "ashby_secret", ashby.verify, ashby.parse),
        Vendor(AtsSystem.WORKABLE, "workable_secret", workable.verify, workable.parse),
    )
}


def lever_api(settings: Settings) -> httpx.AsyncClient:
    """A client for Lever's API (Basic auth: the API key as user name)."""
    key = settings.lever_api_key.get_secret_value() if settings.lever_api_key else ""
    return vendor_client(settings.lever_api_url, key, settings.vendor_timeout)


class VendorEvents:
    """Receives one vendor's webhooks."""

    def __init__(self, context: ApiContext, vendor: Vendor) -> None:
        self._context = context
        self._vendor = vendor
        self._events = AtsEvents(context)

    async def receive(self, raw: bytes, headers: Mapping[str, str]) -> VendorEventsAccepted:
        """Verify, read and apply one delivery. Raises ``ApiError``: 404 when the bridge has
        no secret, 401 for a bad signature, 422 for a signed payload it cannot read, 503 when
        a candidate's workflow (or Lever's API) did not answer in time."""
        secrets = self._vendor.secrets(self._context.settings)
        system = self._vendor.system
        if not secrets:
            raise ApiError(
                404, "bridge_not_configured", f"the {system} bridge has no secret configured"
            )
        # Read once, by the bounded reader; reported only once the signature holds (Lever's
        # signature is inside the body: an unreadable body carries none).
        try:
            document, unreadable = read_json(raw), None
        except ApiError as err:
            document, unreadable = None, err
        try:
            self._vendor.verify(raw, document, headers, secrets)
            if unreadable is not None:
                raise unreadable
            parsed = self._vendor.parse(document, datetime.now(UTC))
        except BadSignature as err:
            raise ApiError(401, "bad_signature", f"{system}: {err}") from err
        except UnreadablePayload as err:
            raise ApiError(422, "unreadable_payload", f"{system}: {err}") from err
        if system is AtsSystem.LEVER:
            await self._first_use_of_token(raw, document["token"])
        answer = VendorEventsAccepted(
            accepted=0, ignored=[parsed.ignored] if parsed.ignored else [], enrolments=[]
        )
        for event in parsed.events:
            outcome = await self._apply(event)
            if isinstance(outcome, str):
                answer.ignored.append(outcome)
            else:
                answer.accepted += 1
                answer.enrolments.extend(outcome)
        return answer

    async def _first_use_of_token(self, raw: bytes, token: str) -> None:
        """Lever signs ``token`` + ``triggeredAt``, not the body: a token seen before with
        another body is a captured signature carrying another event."""
        body = {"sha256": hashlib.sha256(raw).hexdigest()}
        try:
            await accept_event(self._context, "lever-delivery", token, body)
        except ApiError as err:
            if err.code != "event_id_reused":
                raise
            raise ApiError(
                401, "bad_signature", "lever: this delivery's token came before with another body"
            ) from err

    async def _apply(self, event: VendorEvent) -> list[EnrolmentSummary] | str:
        """The enrolments the event concerns, or why it changed nothing."""
        system = event.system
        if system is AtsSystem.LEVER:
            completed = await self._from_lever(event)
            if completed is None:
                return f"opportunity {event.application_id} is no longer at Lever"
            event = completed
        event = _without_nul(event)
        prefixed = f"{system}:{event.event_id}"
        application_id = f"{system}:{event.application_id}"
        route = None
        if event.job_id is not None:
            async with self._context.sessions() as session:
                route = await Catalog(session).vendor_route(system, event.job_id, event.stage_id)
            if route is None:
                return f"{system} job {event.job_id} is mapped by no job"
        # What every delivery of the event says alike: not its time where the vendor gives
        # none (a deletion's is when it arrived), nor contact details read from an API.
        said = {
            "change": event.change.value,
            "application": application_id,
            "job": event.job_id,
            "stage": event.stage_id,
            "candidate": event.candidate.id,
        }
        try:
            candidate = AtsCandidate(
                id=f"{system}:{event.candidate.id}",
                name=event.candidate.name[:300],
                phone=event.candidate.phone,
                email=event.candidate.email,
            )
            if event.change is Change.WITHDRAWN:
                withdrawal = ApplicationWithdrawn(
                    event_id=prefixed,
                    application_id=application_id,
                    occurred_at=event.occurred_at,
                    application=None
                    if route is None or route.stage_id is None
                    else ApplicationRef(
                        id=application_id, job_id=route.job_id, stage_id=route.stage_id
                    ),
                )
                accepted = await self._events.withdraw(
                    system.value, said, candidate.contact(), withdrawal, start=route is not None
                )
                return accepted.enrolments
            if route is None or route.stage_id is None:
                return (
                    f"stage {event.stage_id} of {system} job {event.job_id} is mapped by no stage"
                )
            internal = AtsEvent(
                id=prefixed,
                type=AtsEventType.APPLICATION_CREATED
                if event.change is Change.CREATED
                else AtsEventType.APPLICATION_STAGE_CHANGED,
                occurred_at=event.occurred_at,
                application=ApplicationRef(
                    id=application_id, job_id=route.job_id, stage_id=route.stage_id
                ),
                candidate=candidate,
            )
            return (await self._events.apply(internal, system.value, said)).enrolments
        except ValidationError as err:
            raise ApiError(
                422, "unreadable_payload", f"{system}: the event does not fit: {_first(err)}"
            ) from err
        except ApiError as err:
            if err.code == "event_id_reused":
                # A vendor resending an event as the application is now (Workable does): the
                # newer state comes as its own event.
                return f"{prefixed} was received before with other content"
            raise

    async def _from_lever(self, event: VendorEvent) -> VendorEvent | None:
        """The Lever event completed from Lever's API; ``None`` when the opportunity is gone."""
        async with lever_api(self._context.settings) as http:
            try:
                return await lever.complete(event, http)
            except lever.LeverUnavailable as err:
                raise ApiError(
                    503,
                    "lever_unavailable",
                    f"cannot read the opportunity's contact details from Lever: {err}",
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
