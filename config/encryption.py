"""Temporal payloads encrypted with AES-256-GCM: what the server stores is ciphertext.

``ENROLMENTS_ENCRYPTION_KEYS`` is ``id:base64key,id:base64key,...`` (each key 32 random bytes):
the first key encrypts, every key decrypts, so keys rotate by putting a new one first and
dropping the old one once no history still needs it. Each encrypted payload names its key in
its metadata (``encryption-key-id``) and carries a fresh 12-byte nonce; the key id is bound as
associated data, so a payload cannot be passed off under another key. A payload that is not
encrypted (histories from before, or written by a client without keys) decodes as it is.

Every client and worker of a deployment must hold the same keys (``config.temporal`` puts the
codec on each); the API's codec server (``/codec/encode``, ``/codec/decode``) lets the Temporal
Web UI show what is inside.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32
_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")


class EncryptionKeyError(ValueError):
    """The keys setting does not read as ``id:base64key,...`` of 32-byte keys."""


def parse_keys(text: str) -> list[tuple[str, bytes]]:
    """``id:base64key,...`` as ``(id, key)`` pairs, the encrypting key first."""
    keys: list[tuple[str, bytes]] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, separator, encoded = item.partition(":")
        if not separator or not _ID.fullmatch(key_id):
            raise EncryptionKeyError(
                "write each key as id:base64key (an id of letters, digits, '.', '_' or '-')"
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise EncryptionKeyError(f"key {key_id!r} is not base64") from None
        if len(key) != KEY_BYTES:
            raise EncryptionKeyError(
                f"key {key_id!r} is {len(key)} bytes; AES-256 wants {KEY_BYTES} "
                "(python -c 'import os, base64; print(base64.b64encode(os.urandom(32)).decode())')"
            )
        if any(key_id == known for known, _ in keys):
            raise EncryptionKeyError(f"key id {key_id!r} is given twice")
        keys.append((key_id, key))
    if not keys:
        raise EncryptionKeyError("no key given")
    return keys


def new_key_setting(key_id: str = "k1") -> str:
    """A fresh ``id:base64key`` (32 random bytes)."""
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole payload (its metadata and data)."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise EncryptionKeyError("no key given")
        self._current = keys[0][0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    @property
    def key_id(self) -> str:
        """The id of the key that encrypts."""
        return self._current

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        key_id = self._current.encode()
        sealed = self._ciphers[self._current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            # Written before encryption, or by a client without keys. Retire the pass-through
            # once the namespace's retention has run since keys were set everywhere.
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise EncryptionKeyError(
                f"a payload is encrypted with key {key_id!r}, which ENROLMENTS_ENCRYPTION_KEYS "
                "does not hold"
            )
        data = payload.data
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], key_id.encode())
        except (InvalidTag, ValueError):
            raise EncryptionKeyError(
                f"a payload under key {key_id!r} does not decrypt: altered, or another key "
                "with that id"
            ) from None
        return Payload.FromString(plain)


def data_converter(keys: str | None) -> DataConverter:
    """The pydantic data converter, encrypting with ``keys`` (``id:base64key,...``) when set.

    Failures' messages and stack traces go into an encoded payload too (they may quote a
    number or an address), so the codec encrypts them with everything else.
    """
    if not keys:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(parse_keys(keys)),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
