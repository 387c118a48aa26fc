"""The payload codec: round trip, rotation, old plain payloads, tampering, bad settings."""

from __future__ import annotations

import pytest
from temporalio.api.common.v1 import Payload

from config.encryption import (
    ENCODING,
    KEY_ID,
    EncryptionCodec,
    EncryptionKeyError,
    new_key_setting,
    parse_keys,
)

PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"name": "Ada Lovelace"}')


async def test_a_payload_round_trips_and_its_ciphertext_hides_it() -> None:
    codec = EncryptionCodec(parse_keys(new_key_setting("k1")))
    [sealed] = await codec.encode([PLAIN])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"k1"
    assert b"Ada" not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [PLAIN]
    [again] = await codec.encode([PLAIN])
    assert again.data != sealed.data, "a fresh nonce each time"


async def test_keys_rotate_the_first_encrypts_every_one_decrypts() -> None:
    old, new = new_key_setting("2025"), new_key_setting("2026")
    [under_old] = await EncryptionCodec(parse_keys(old)).encode([PLAIN])
    rotated = EncryptionCodec(parse_keys(f"{new},{old}"))
    assert await rotated.decode([under_old]) == [PLAIN]
    [under_new] = await rotated.encode([PLAIN])
    assert under_new.metadata[KEY_ID] == b"2026"
    with pytest.raises(EncryptionKeyError, match="'2026'"):
        await EncryptionCodec(parse_keys(old)).decode([under_new])


async def test_payloads_from_before_encryption_decode_as_they_are() -> None:
    codec = EncryptionCodec(parse_keys(new_key_setting()))
    assert await codec.decode([PLAIN]) == [PLAIN]


async def test_an_altered_payload_or_a_relabelled_key_does_not_decrypt() -> None:
    one, other = new_key_setting("a"), new_key_setting("b")
    codec = EncryptionCodec(parse_keys(f"{one},{other}"))
    [sealed] = await codec.encode([PLAIN])
    flipped = Payload(
        metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    )
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"b"}, data=sealed.data)
    for bad in (flipped, relabelled):
        with pytest.raises(EncryptionKeyError, match="does not decrypt"):
            await codec.decode([bad])


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("", "no key"),
        ("k1", "id:base64key"),
        ("k1:not base64!", "not base64"),
        ("k1:AAAA", "3 bytes"),
        (f"{new_key_setting('k1')},{new_key_setting('k1')}", "twice"),
        ("bad id:" + new_key_setting().split(":")[1], "id:base64key"),
    ],
)
def test_a_bad_keys_setting_says_what_is_wrong(setting: str, problem: str) -> None:
    with pytest.raises(EncryptionKeyError, match=problem):
        parse_keys(setting)
