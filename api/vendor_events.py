"""A vendor ATS's webhook, mapped onto the one ATS-event use case (``api.ats_events``).

For each vendor (``bridges/``): check its signature with its own secret (a bridge without one
is not there: 404), read the payload into ``VendorEvent``s, route each through the jobs' ``ats``
mapping (an unmapped job or stage is acknowledged and ignored: vendors retry anything but a
2xx), and apply it as an ATS event whose id, application and candidate are the vendor's,
prefixed with the vendor (``greenhouse:265277``). The candidate's workflow orders the
application's events by the vendor's own time, so a late retry never moves it back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel, ValidationError

from api.ats_events import AtsCandidate, AtsEvent, AtsEvents, AtsEventType
from api.dependencies import ApiContext
from api.errors import ApiError
from bridges import ashby, greenhouse, lever, workable
from bridges.base import BadSignature, Change, Parsed, UnreadablePayload, VendorEvent
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
    verify: Callable[[bytes, Mapping[str, str], list[str]], None]
    parse: Callable[[bytes, datetime], Parsed]

    def secrets(self, settings: Settings) -> list[str]:
        secret = getattr(settings, self.setting)
        if secret is None:
            return []
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
    return httpx.AsyncClient(
        base_url=settings.lever_api_url.rstrip("/") + "/",
        auth=(key, ""),
        timeout=settings.vendor_timeout,
    )


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
        try:
            self._vendor.verify(raw, headers, secrets)
            parsed = self._vendor.parse(raw, datetime.now(UTC))
        except BadSignature as err:
            raise ApiError(401, "bad_signature", f"{system}: {err}") from err
        except UnreadablePayload as err:
            raise ApiError(422, "unreadable_payload", f"{system}: {err}") from err
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

    async def _apply(self, event: VendorEvent) -> list[EnrolmentSummary] | str:
        """The enrolments the event concerns, or why it changed nothing."""
        system = event.system
        if system is AtsSystem.LEVER:
            completed = await self._from_lever(event)
            if completed is None:
                return f"opportunity {event.application_id} is no longer at Lever"
            event = completed
        prefixed = f"{system}:{event.event_id}"
        application_id = f"{system}:{event.application_id}"
        try:
            candidate = AtsCandidate(
                id=f"{system}:{event.candidate.id}",
                name=event.candidate.name[:300],
                phone=event.candidate.phone,
                email=event.candidate.email,
            )
        except ValidationError as err:
            raise ApiError(
                422, "unreadable_payload", f"{system}: the candidate does not fit: {err}"
            ) from err
        route = None
        if event.job_id is not None:
            async with self._context.sessions() as session:
                route = await Catalog(session).vendor_route(system, event.job_id, event.stage_id)
            if route is None:
                return f"{system} job {event.job_id} is mapped by no job"
        try:
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
                said = {
                    "change": event.change.value,
                    "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
                    "application": application_id,
                    "job": event.job_id,
                    "candidate": candidate.id,
                }
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
            return (await self._events.apply(internal, source=system.value)).enrolments
        except ApiError as err:
            if err.code == "event_id_reused":
                # A vendor resending an event as the application is now (Workable does): the
                # newer state comes as its own event.
                return f"{prefixed} was received before with other content"
            raise

    async def _from_lever(self, event: VendorEvent) -> VendorEvent | None:
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
