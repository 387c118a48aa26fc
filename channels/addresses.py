"""Candidate addresses: the one place that decides what a valid phone number or e-mail is.

A bad address is a permanent delivery failure (the enrolment becomes ``failed`` with the
reason), never a crash and never a retry.
"""

from __future__ import annotations

import phonenumbers

from channels.base import PermanentDeliveryError
from domain.candidates import CandidateContact
from domain.channels import CHANNELS, AddressKind, ChannelKind
from domain.enrolments import StatusReason

#: Twilio names WhatsApp senders ``whatsapp:+E164``; the number is the same person's.
WHATSAPP_PREFIX = "whatsapp:"


def normalise_phone(raw: str | None, *, default_region: str | None = None) -> str:
    """``raw`` as an E.164 number (``+447911123456``), if it is a valid phone number.

    Numbers must be in international form (a leading ``+`` and country code): the ATS sends
    no country, and guessing one would text the wrong person. A caller that does know the
    country may pass ``default_region`` (ISO 3166 code, e.g. ``"GB"``) for national numbers.
    Raises ``PermanentDeliveryError`` with reason ``missing_phone_number`` or
    ``invalid_phone_number``; its detail, which reaches the timeline, never quotes the number.
    """
    text = (raw or "").strip()
    if text.lower().startswith(WHATSAPP_PREFIX):
        text = text[len(WHATSAPP_PREFIX) :].strip()
    if not text:
        raise PermanentDeliveryError(
            StatusReason.MISSING_PHONE_NUMBER, "the candidate has no phone number"
        )
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as err:
        raise PermanentDeliveryError(
            StatusReason.INVALID_PHONE_NUMBER,
            "the candidate's phone number is not in international format (+ and country code)",
        ) from err
    if not phonenumbers.is_valid_number(number):
        raise PermanentDeliveryError(
            StatusReason.INVALID_PHONE_NUMBER, "the candidate's phone number is not a valid one"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str | None) -> str:
    """``raw`` as an e-mail address (trimmed, domain in lower case), if it looks like one.

    A sanity check, not RFC 5322: one ``@``, something before it, a dotted domain after it,
    no spaces. Raises ``PermanentDeliveryError`` with reason ``missing_email`` or
    ``channel_rejected``.
    """
    text = (raw or "").strip()
    if not text:
        raise PermanentDeliveryError(StatusReason.MISSING_EMAIL, "the candidate has no e-mail")
    local, at, domain = text.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or not local
        or "@" in local
        or len(text) > 320
        or any(c.isspace() for c in text)
        or len(labels) < 2
        or not all(labels)
    ):
        raise PermanentDeliveryError(
            StatusReason.INVALID_EMAIL, "the candidate's e-mail address is not a valid one"
        )
    return f"{local}@{domain.lower()}"


def address_for(channel: ChannelKind, candidate: CandidateContact) -> str:
    """Where a message on ``channel`` goes for ``candidate``, normalised and validated."""
    if CHANNELS[channel].address is AddressKind.EMAIL:
        return normalise_email(candidate.email)
    return normalise_phone(candidate.phone)
