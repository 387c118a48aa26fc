"""``POST /ats/greenhouse``, ``/ats/lever``, ``/ats/ashby``, ``/ats/workable``: vendor webhooks.

Each is verified with its vendor's own signature and secret (not the Standard Webhooks
signature of ``/ats/events``), read by its bridge (``bridges/``) and applied through the jobs'
``ats`` mapping (``api.vendor_events``). The answer is 200 for every delivery the vendor should
not retry, including events about jobs or stages nobody mapped.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.dependencies import ContextDep
from api.errors import error_responses
from api.vendor_events import VENDORS, VendorEvents, VendorEventsAccepted
from domain.ats import AtsSystem

router = APIRouter(tags=["ATS"])


def _route(system: AtsSystem) -> None:
    async def receive(request: Request, context: ContextDep) -> VendorEventsAccepted:
        raw = await request.body()
        return await VendorEvents(context, VENDORS[system]).receive(raw, request.headers)

    receive.__name__ = f"receive_{system.value}_webhook"
    receive.__doc__ = (
        f"A {system.value.capitalize()} webhook: verified with its signature, each event mapped "
        "through the jobs' `ats` mapping. 404 when the bridge has no secret configured."
    )
    router.add_api_route(
        f"/ats/{system.value}",
        receive,
        methods=["POST"],
        status_code=200,
        response_model=VendorEventsAccepted,
        responses=error_responses(401, 404, 413, 422, 503),
        summary=f"Receive a {system.value.capitalize()} webhook",
    )


for _system in AtsSystem:
    _route(_system)
