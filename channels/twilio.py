"""SMS and WhatsApp through Twilio's Programmable Messaging REST API.

A plain async HTTP client (``httpx``), not the ``twilio`` SDK: the SDK is synchronous unless
paired with ``aiohttp``, brings a dependency tree of its own, and hides timeouts and connection
pooling that a rate-limited delivery worker needs to control. Two calls are all we use:

- create: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded, HTTP basic
  auth (account SID, auth token) -
  https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
- list: ``GET .../Messages.json?To=...``, newest first, paged by ``next_page_uri`` - to look up a
  message whose create answer was lost, before sending it again
  https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources

Errors: https://www.twilio.com/docs/api/errors. A 429 (20429) is never processed and always safe
to retry; 5xx, timeouts and dropped connections leave the outcome unknown.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from channels.addresses import WHATSAPP_PREFIX
from channels.base import (
    Accepted,
    OutcomeUnknown,
    PermanentDeliveryError,
    ProviderMisconfigured,
    TransientDeliveryError,
)
from domain.channels import ChannelKind
from domain.enrolments import StatusReason
from domain.messages import OutboundMessage

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
#: How long one call to Twilio may take before its outcome counts as unknown.
REQUEST_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
#: How far back a lookup reaches before the attempt (clocks differ a little).
LOOKUP_SKEW = timedelta(minutes=5)
#: How many pages of a recipient's messages a lookup reads at most.
LOOKUP_PAGES = 5

#: Error codes (at create, or in a status callback's ``ErrorCode``) that say the candidate
#: cannot be reached this way, and the reason an enrolment then fails with.
FAILURE_REASONS: dict[int, StatusReason] = {
    21211: StatusReason.INVALID_PHONE_NUMBER,  # invalid 'To' phone number
    21610: StatusReason.OPTED_OUT,  # the recipient replied STOP
    21614: StatusReason.LANDLINE,  # 'To' is not a mobile number
    30006: StatusReason.LANDLINE,  # landline or unreachable carrier
    30003: StatusReason.UNREACHABLE,  # unreachable destination handset
    30005: StatusReason.UNREACHABLE,  # unknown destination handset
    30007: StatusReason.CARRIER_FILTERED,  # filtered by the carrier
    63016: StatusReason.OUTSIDE_WHATSAPP_WINDOW,  # free text outside the 24-hour window
}

#: Codes that mean our own configuration is wrong (credentials, account, sender): the
#: candidate must not fail for it; the delivery waits and retries until an admin fixes it.
MISCONFIGURATION: dict[int, str] = {
    20003: "authentication failed: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
    20005: "the Twilio account is not active",
    20404: "the Twilio account or resource was not found: check TWILIO_ACCOUNT_SID",
    21212: "the sender is not a valid phone number: check ENROLMENTS_SMS_FROM",
    21606: "the sender cannot send SMS: check ENROLMENTS_SMS_FROM",
    21659: "the sender is not a Twilio number of this account",
    21660: "the sender does not belong to this account",
    21701: "the messaging service was not found: check ENROLMENTS_TWILIO_MESSAGING_SERVICE_SID",
    21703: "the messaging service has no sender for this number",
    21704: "the messaging service has no phone numbers",
    63007: "no WhatsApp sender for this number: check ENROLMENTS_WHATSAPP_FROM",
}
#: Codes that are worth trying again later (Twilio did not take the message).
TRANSIENT_CODES = frozenset({20429, 21611, 63017, 63038})


def failure_reason(error_code: str | None) -> StatusReason:
    """The reason a carrier's failure report with ``error_code`` fails an enrolment with."""
    if not error_code or not error_code.strip().isdigit():
        return StatusReason.UNDELIVERED
    return FAILURE_REASONS.get(int(error_code), StatusReason.UNDELIVERED)


class TwilioProvider:
    """Sends SMS and WhatsApp messages through one Twilio account."""

    name = "twilio"
    local = False

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        api_url: str = "https://api.twilio.com",
        sms_from: str | None = None,
        messaging_service_sid: str | None = None,
        whatsapp_from: str | None = None,
        status_callback: str | None = None,
        timeout: httpx.Timeout = REQUEST_TIMEOUT,
    ) -> None:
        self._account_sid = account_sid
        self._messages_path = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
        self._sms_from = sms_from
        self._messaging_service_sid = messaging_service_sid
        self._whatsapp_from = whatsapp_from
        self._status_callback = status_callback
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/"),
            auth=(account_sid, auth_token),
            timeout=timeout,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def failure_reason(self, error_code: str | None) -> str:
        return failure_reason(error_code)

    # -- sending --------------------------------------------------------------------------------

    async def send(self, message: OutboundMessage, recipient: str) -> Accepted:
        """Create the message at Twilio.

        Raises ``PermanentDeliveryError`` for a refusal about the candidate (reason mapped from
        Twilio's code), ``ProviderMisconfigured`` for our own configuration,
        ``TransientDeliveryError`` when Twilio did not take it (429, queue full) and
        ``OutcomeUnknown`` when it may have (5xx, timeout, dropped connection).
        """
        form = self._form(message, recipient)
        try:
            response = await self._http.post(self._messages_path, data=form)
        except (httpx.ConnectError, httpx.ConnectTimeout) as err:
            raise TransientDeliveryError(f"cannot connect to Twilio: {err!r}") from err
        except httpx.HTTPError as err:
            raise OutcomeUnknown(f"no answer from Twilio: {err!r}") from err
        if response.status_code in (200, 201):
            created = response.json()
            return Accepted(
                provider_message_id=str(created["sid"]), status=str(created.get("status", ""))
            )
        raise _refusal(response)

    def _form(self, message: OutboundMessage, recipient: str) -> dict[str, str]:
        form: dict[str, str] = {}
        if message.channel is ChannelKind.WHATSAPP:
            if not self._whatsapp_from:
                raise ProviderMisconfigured("no WhatsApp sender: set ENROLMENTS_WHATSAPP_FROM")
            form["To"] = f"{WHATSAPP_PREFIX}{recipient}"
            form["From"] = f"{WHATSAPP_PREFIX}{self._whatsapp_from}"
        else:
            form["To"] = recipient
            if self._messaging_service_sid:
                form["MessagingServiceSid"] = self._messaging_service_sid
            elif self._sms_from:
                form["From"] = self._sms_from
            else:
                raise ProviderMisconfigured(
                    "no SMS sender: set ENROLMENTS_SMS_FROM or "
                    "ENROLMENTS_TWILIO_MESSAGING_SERVICE_SID"
                )
        if message.template is not None:
            form["ContentSid"] = message.template.content_sid
            form["ContentVariables"] = json.dumps(message.template.variables)
        else:
            form["Body"] = message.body
        if self._status_callback:
            form["StatusCallback"] = self._status_callback
        return form

    # -- looking an earlier attempt up ----------------------------------------------------------

    async def find(
        self, message: OutboundMessage, recipient: str, since: datetime, taken: set[str]
    ) -> Accepted | None:
        """The message an earlier attempt created, if Twilio has it: one to the same recipient,
        from the same sender, with the same body (or template), created after ``since``, and
        not already known as another message of ours (``taken``).

        Raises ``TransientDeliveryError`` when Twilio cannot be asked now.
        """
        to = self._form(message, recipient)["To"]
        cutoff = since - LOOKUP_SKEW
        url: str | None = self._messages_path
        params: dict[str, str] | None = {"To": to, "PageSize": "50"}
        candidates: list[dict[str, Any]] = []
        for _ in range(LOOKUP_PAGES):
            if url is None:
                break
            try:
                response = await self._http.get(url, params=params)
            except httpx.HTTPError as err:
                raise TransientDeliveryError(f"cannot look the message up: {err!r}") from err
            if response.status_code != 200:
                refusal = _refusal(response)
                if isinstance(refusal, TransientDeliveryError):
                    raise refusal
                # Not a verdict on the message, only on asking: try again later.
                raise TransientDeliveryError(f"cannot look the message up: {refusal}")
            page = response.json()
            older = False
            for sent in page.get("messages", []):
                created = _twilio_time(sent.get("date_created"))
                if created is not None and created < cutoff:
                    older = True
                    continue
                if sent.get("sid") not in taken and self._same(message, sent):
                    candidates.append(sent)
            if older:
                break
            url, params = page.get("next_page_uri"), None
        if not candidates:
            return None
        # Newest first from Twilio: the earliest match is the attempt's message.
        found = candidates[-1]
        return Accepted(provider_message_id=str(found["sid"]), status=str(found.get("status", "")))

    def _same(self, message: OutboundMessage, sent: dict[str, Any]) -> bool:
        if str(sent.get("direction", "outbound-api")).startswith("inbound"):
            return False
        if message.template is None and sent.get("body") != message.body:
            return False
        sender = sent.get("from") or ""
        if message.channel is ChannelKind.WHATSAPP:
            return sender == f"{WHATSAPP_PREFIX}{self._whatsapp_from}"
        if self._messaging_service_sid:
            return sent.get("messaging_service_sid") == self._messaging_service_sid
        return sender == self._sms_from

    async def check(self) -> str | None:
        """What is wrong with the account's configuration (``None``: nothing found)."""
        try:
            response = await self._http.get(f"/{API_VERSION}/Accounts/{self._account_sid}.json")
        except httpx.HTTPError as err:
            return f"Twilio cannot be reached: {err!r}"
        if response.status_code == 200:
            return None
        code = _code(response)
        return MISCONFIGURATION.get(code or 0, f"Twilio answered {response.status_code}")


def _code(response: httpx.Response) -> int | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return int(code) if isinstance(code, int | str) and str(code).isdigit() else None


def _refusal(response: httpx.Response) -> Exception:
    """The error a non-2xx answer from Twilio stands for."""
    code = _code(response)
    status = response.status_code
    detail = f"Twilio refused the message: HTTP {status}" + (f", error {code}" if code else "")
    try:
        text = response.json().get("message")
    except (ValueError, AttributeError):
        text = None
    if text:
        detail += f": {text}"
    if status == 429 or code in TRANSIENT_CODES:
        return TransientDeliveryError(detail)
    if status >= 500:
        return OutcomeUnknown(detail)
    if status in (401, 403) or code in MISCONFIGURATION:
        return ProviderMisconfigured(MISCONFIGURATION.get(code or 20003, detail) + f" ({detail})")
    if code in FAILURE_REASONS:
        return PermanentDeliveryError(FAILURE_REASONS[code], detail, code=str(code))
    return PermanentDeliveryError(StatusReason.PROVIDER_REJECTED, detail, code=str(code or status))


def _twilio_time(value: Any) -> datetime | None:
    """A Twilio timestamp (RFC 2822, ``Tue, 01 Dec 2026 15:00:00 +0000``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
