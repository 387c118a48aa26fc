"""The Table's pagination cursor: an opaque token that resumes after an application id."""

from __future__ import annotations

import base64
import binascii
import json


class InvalidCursor(ValueError):
    """A cursor that this service did not hand out."""


def encode_cursor(application_id: str) -> str:
    """An opaque cursor that resumes after ``application_id``."""
    raw = json.dumps({"after": application_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The application id a cursor resumes after; raises ``InvalidCursor`` otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as err:
        raise InvalidCursor("the cursor is not one this service handed out") from err
    after = data.get("after") if isinstance(data, dict) else None
    if not isinstance(after, str):
        raise InvalidCursor("the cursor is not one this service handed out")
    return after
