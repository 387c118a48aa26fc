"""An interviewer's own link, ``<public URL>/i/<token>``: the key to their availability page,
no sign-in. The token is derived, not stored: HMAC-SHA256 of the interviewer's id under the
deployment's secret, 128 bits of it, so the availability request e-mails can carry it again
while the read model keeps only its SHA-256 (``domain.links.token_hash``), the page's lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

#: The path the interviewers' pages live under.
PATH = "/i/"


def interviewer_token(secret: bytes, interviewer_id: str) -> str:
    """The token of ``interviewer_id``'s link: 22 URL-safe characters (128 bits)."""
    digest = hmac.new(secret, f"interviewer-link\x1f{interviewer_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:16]).decode().rstrip("=")
