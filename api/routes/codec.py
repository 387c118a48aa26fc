"""``POST /codec/decode`` and ``/codec/encode``: Temporal's remote codec protocol, so the Temporal
Web UI shows encrypted payloads in clear to those allowed to read them.

The body is ``temporal.api.common.v1.Payloads`` in proto3 JSON (``{"payloads": [{"metadata":
{"encoding": "<base64>"}, "data": "<base64>"}]}``), and so is the answer. Decoding needs a key
of role recruiter or admin (the Temporal UI passes the browser's session cookie when its codec
setting includes credentials), encoding an admin's. CORS admits the Temporal UI's origin
(``ENROLMENTS_TEMPORAL_UI_URL``) only. Without encryption keys both pass payloads through.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payloads

from api.bodies import CheckedRoute, read_json
from api.dependencies import ApiContext, ContextDep, api_context
from api.errors import ApiError, error_json, error_responses
from api.permissions import CODEC_READERS, CODEC_WRITERS, PUBLIC_ROUTE
from config.encryption import EncryptionKeyError
from services.errors import Refused


class CodecRoute(CheckedRoute):
    """A codec route: every answer to the Temporal UI's origin carries CORS headers, refusals
    (401, 403, 422) included, or the browser hides why the UI shows ciphertext."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handler(request)
            except Refused as refused:
                response = error_json(
                    refused.status, refused.code, refused.message, refused.details
                )
            return _cors(response, _allowed_origin(request, api_context(request)))

        return with_cors


router = APIRouter(prefix="/codec", tags=["operations"], route_class=CodecRoute)

#: Kept small: a Temporal UI page asks for a page of payloads at a time.
MAX_PAYLOADS = 1000


def _allowed_origin(request: Request, context: ApiContext) -> str | None:
    parts = urlsplit(context.settings.temporal_ui_url)
    ui_origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
    origin = request.headers.get("origin")
    return origin if origin is not None and origin == ui_origin else None


def _cors(response: Response, origin: str | None) -> Response:
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
    return response


# A preflight carries no credentials.
@router.options("/{operation}", include_in_schema=False, dependencies=[PUBLIC_ROUTE])
async def preflight(operation: str, request: Request, context: ContextDep) -> Response:
    """CORS preflight for the Temporal UI's origin."""
    response = Response(status_code=204)
    if _allowed_origin(request, context) is not None:
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            "content-type, authorization, x-namespace"
        )
        response.headers["Access-Control-Max-Age"] = "600"
    return response


async def _convert(
    request: Request, context: ContextDep, direction: Literal["encode", "decode"]
) -> Response:
    document = read_json(await request.body())
    try:
        if not isinstance(document, dict):
            raise json_format.ParseError("the body is not a JSON object")
        payloads = json_format.ParseDict(document, Payloads())
    except (json_format.ParseError, DecodeError) as err:
        raise ApiError(422, "validation_failed", f"not Payloads in proto3 JSON: {err}") from err
    if len(payloads.payloads) > MAX_PAYLOADS:
        raise ApiError(422, "validation_failed", f"at most {MAX_PAYLOADS} payloads at a time")
    codec = context.codec
    if codec is not None:
        convert = codec.encode if direction == "encode" else codec.decode
        try:
            converted = await convert(list(payloads.payloads))
        except EncryptionKeyError as err:
            raise ApiError(422, "undecryptable", str(err)) from err
        payloads = Payloads(payloads=converted)
    return Response(json_format.MessageToJson(payloads), media_type="application/json")


# Decoding reads what the views show anyway.
@router.post(
    "/decode", responses=error_responses(401, 403, 422), dependencies=[Depends(CODEC_READERS)]
)
async def decode(request: Request, context: ContextDep) -> Response:
    """Decrypt payloads (recruiter or admin)."""
    return await _convert(request, context, "decode")


@router.post(
    "/encode", responses=error_responses(401, 403, 422), dependencies=[Depends(CODEC_WRITERS)]
)
async def encode(request: Request, context: ContextDep) -> Response:
    """Encrypt payloads with the current key (admin)."""
    return await _convert(request, context, "encode")
