"""``POST /ats/greenhouse``, ``/ats/lever``, ``/ats/ashby``, ``/ats/workable``: vendor webhooks,
one route per bridge of the registry (``bridges.BRIDGES``).

Each is verified with its vendor's own signature and secret (not the Standard Webhooks
signature of ``/ats/events``) and applied through the jobs' ``ats`` mapping
(``services.vendor_events``). The answer is 200 for every delivery the vendor should not
retry, including events about jobs or stages nobody mapped.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.bodies import CheckedRoute, read_json
from api.dependencies import ContextDep
from api.errors import ApiError, error_responses
from api.permissions import PUBLIC_ROUTE
from bridges import BRIDGES
from bridges.base import VendorBridge
from services.vendor_events import Delivery, VendorEventsAccepted, receive_delivery

# Public at the door: each bridge checks its vendor's own signature.
router = APIRouter(tags=["ATS"], route_class=CheckedRoute, dependencies=[PUBLIC_ROUTE])


def _route(bridge: VendorBridge) -> None:
    async def receive(request: Request, context: ContextDep) -> VendorEventsAccepted:
        raw = await request.body()
        try:
            delivery = Delivery(raw, request.headers, read_json(raw))
        except ApiError as unreadable:
            delivery = Delivery(raw, request.headers, None, unreadable)
        return await receive_delivery(context, bridge, delivery)

    receive.__name__ = f"receive_{bridge.system.value}_webhook"
    receive.__doc__ = (
        f"A {bridge.name} webhook: verified with its signature, each event mapped through the "
        "jobs' `ats` mapping. 404 when the bridge has no secret configured."
    )
    router.add_api_route(
        bridge.path,
        receive,
        methods=["POST"],
        status_code=200,
        response_model=VendorEventsAccepted,
        responses=error_responses(400, 401, 404, 413, 422, 503),
        summary=f"Receive a {bridge.name} webhook",
    )


for _bridge in BRIDGES.values():
    _route(_bridge)
