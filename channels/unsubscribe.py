"""Signed one-click unsubscribe links for e-mail (RFC 8058).

A link carries the address and an HMAC-SHA256 of it under the deployment's secret, so only a
link we sent can opt an address out, and nothing needs storing per message. The API's
``/unsubscribe/email`` takes the one-click POST (``List-Unsubscribe=One-Click``) and shows a
page with a button for a plain GET (link scanners follow GETs; they must not unsubscribe).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from urllib.parse import urlencode

UNSUBSCRIBE_PATH = "/unsubscribe/email"


class InvalidUnsubscribeToken(ValueError):
    """A token that no link of ours carried."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class UnsubscribeLinks:
    """Makes and checks the unsubscribe links of one deployment."""

    def __init__(self, secret: bytes, public_url: str) -> None:
        self._secret = secret
        self._base = public_url.rstrip("/")

    def token_for(self, address: str) -> str:
        """The token that opts ``address`` out."""
        return f"{_b64(address.encode())}.{_b64(self._mac(address))}"

    def url_for(self, address: str) -> str:
        """The one-click link for ``address``."""
        return f"{self._base}{UNSUBSCRIBE_PATH}?{urlencode({'token': self.token_for(address)})}"

    def address_of(self, token: str) -> str:
        """The address ``token`` opts out; raises ``InvalidUnsubscribeToken`` otherwise."""
        encoded, _, mac = token.partition(".")
        try:
            address = _unb64(encoded).decode()
            given = _unb64(mac)
        except (binascii.Error, UnicodeDecodeError, ValueError) as err:
            raise InvalidUnsubscribeToken("not an unsubscribe token of ours") from err
        if not address or not hmac.compare_digest(given, self._mac(address)):
            raise InvalidUnsubscribeToken("not an unsubscribe token of ours")
        return address

    def _mac(self, address: str) -> bytes:
        return hmac.new(self._secret, b"unsubscribe:" + address.encode(), hashlib.sha256).digest()
