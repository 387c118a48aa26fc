"""The codec server the Temporal Web UI decodes payloads with (Temporal's remote codec protocol)."""

from __future__ import annotations

import base64
import json

import pytest

from config.encryption import new_key_setting
from tests.api.conftest import StackFactory

pytestmark = pytest.mark.devserver

UI = "http://temporal-ui.test:8233"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_the_ui_decodes_what_the_workers_encrypt(open_stack: StackFactory) -> None:
    async with open_stack(encryption_keys=new_key_setting("ui"), temporal_ui_url=UI) as stack:
        plain = {
            "payloads": [
                {"metadata": {"encoding": _b64(b"json/plain")}, "data": _b64(b'{"name":"Ada"}')}
            ]
        }
        encoded = await stack.http.post("/codec/encode", json=plain, headers={"origin": UI})
        assert encoded.status_code == 200, encoded.text
        assert encoded.headers["access-control-allow-origin"] == UI
        assert encoded.headers["access-control-allow-credentials"] == "true"
        [sealed] = encoded.json()["payloads"]
        assert base64.b64decode(sealed["metadata"]["encoding"]) == b"binary/encrypted"
        assert b"Ada" not in base64.b64decode(sealed["data"])

        decoded = await stack.http.post("/codec/decode", json=encoded.json())
        assert decoded.status_code == 200, decoded.text
        assert decoded.json() == plain

        garbage = await stack.http.post(
            "/codec/decode", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "malformed_json"
        not_payloads = await stack.http.post("/codec/decode", json=[1, 2])
        assert not_payloads.status_code == 422, not_payloads.text


async def test_only_the_temporal_ui_origin_passes_cors(open_stack: StackFactory) -> None:
    async with open_stack(encryption_keys=new_key_setting("ui"), temporal_ui_url=UI) as stack:
        ask = {"access-control-request-method": "POST"}
        # A preflight carries no credentials: it is answered without a key.
        transport_http = stack.http
        ours = await transport_http.options(
            "/codec/decode", headers={"origin": UI, **ask, "authorization": ""}
        )
        assert ours.status_code == 204
        assert ours.headers["access-control-allow-origin"] == UI
        assert "POST" in ours.headers["access-control-allow-methods"]
        theirs = await transport_http.options(
            "/codec/decode", headers={"origin": "http://evil.test", **ask}
        )
        assert "access-control-allow-origin" not in theirs.headers
        body = json.dumps({"payloads": []})
        answer = await transport_http.post(
            "/codec/decode",
            content=body,
            headers={"origin": "http://evil.test", "content-type": "application/json"},
        )
        assert "access-control-allow-origin" not in answer.headers


async def test_a_refusal_to_the_temporal_ui_carries_cors_so_the_ui_can_say_why(
    open_stack: StackFactory,
) -> None:
    """Without a session the Temporal UI's decode call is refused (401); the browser hides an
    answer without CORS headers, so the UI would only show ciphertext, not "sign in"."""
    async with open_stack(encryption_keys=new_key_setting("ui"), temporal_ui_url=UI) as stack:
        unsigned = await stack.http.post(
            "/codec/decode",
            content=json.dumps({"payloads": []}),
            headers={"origin": UI, "content-type": "application/json", "authorization": ""},
        )
        assert unsigned.status_code == 401
        assert unsigned.headers["access-control-allow-origin"] == UI
        assert unsigned.headers["access-control-allow-credentials"] == "true"
        malformed = await stack.http.post(
            "/codec/decode", content=b"{", headers={"origin": UI, "content-type": "a/json"}
        )
        assert malformed.status_code in (400, 415)
        assert malformed.headers["access-control-allow-origin"] == UI
