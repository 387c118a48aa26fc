"""Candidate addresses: the one place that decides what a valid phone number or e-mail is, and
whether a candidate can be reached on a channel at all.

A bad or missing address is a reason an enrolment fails (``AddressProblem.reason``), known
before anything is sent: the thread fails such an enrolment at once, before quiet hours could
hold it. Pure (``phonenumbers`` parses): the workflow asks it too.
"""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator

from domain.candidates import CandidateContact
from domain.channels import CHANNELS, AddressKind, ChannelKind
from domain.enrolments import StatusReason

#: Twilio names WhatsApp senders ``whatsapp:+E164``; the number is the same person's.
WHATSAPP_PREFIX = "whatsapp:"


def region_code(value: str) -> str:
    """``value`` as an ISO 3166 region code phone numbers can be read in (``AU``, ``GB``)."""
    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not an ISO 3166 country code (AU, GB, US...)")
    return code


#: Where national phone numbers (no ``+`` and country code) are read, as ISO 3166 codes.
Region = Annotated[str, AfterValidator(region_code)]


class AddressProblem(ValueError):
    """A candidate cannot be reached at an address: ``reason`` (a ``StatusReason``) and a
    detail for the timeline, which never quotes the address."""

    def __init__(self, reason: StatusReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def normalise_phone(raw: str | None, *, default_region: str | None = None) -> str:
    """``raw`` as an E.164 number (``+447911123456``), if it is a valid phone number.

    A number in national form (no ``+`` and country code) is read in ``default_region`` (ISO
    3166, e.g. ``"AU"``) when one is given, and refused otherwise: guessing a country would
    text the wrong person. Raises ``AddressProblem`` (``missing_phone_number`` or
    ``invalid_phone_number``).
    """
    text = (raw or "").strip()
    if text.lower().startswith(WHATSAPP_PREFIX):
        text = text[len(WHATSAPP_PREFIX) :].strip()
    if not text:
        raise AddressProblem(StatusReason.MISSING_PHONE_NUMBER, "the candidate has no phone number")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as err:
        raise AddressProblem(
            StatusReason.INVALID_PHONE_NUMBER,
            "the candidate's phone number is not in international format (+ and country code)",
        ) from err
    if not phonenumbers.is_valid_number(number):
        raise AddressProblem(
            StatusReason.INVALID_PHONE_NUMBER, "the candidate's phone number is not a valid one"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str | None) -> str:
    """``raw`` as an e-mail address (trimmed, domain in lower case), if it looks like one.

    A sanity check, not RFC 5322: one ``@``, something before it, a dotted domain after it,
    no spaces. Raises ``AddressProblem`` (``missing_email`` or ``invalid_email``).
    """
    text = (raw or "").strip()
    if not text:
        raise AddressProblem(StatusReason.MISSING_EMAIL, "the candidate has no e-mail")
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
        raise AddressProblem(
            StatusReason.INVALID_EMAIL, "the candidate's e-mail address is not a valid one"
        )
    return f"{local}@{domain.lower()}"


def address_for(channel: ChannelKind, candidate: CandidateContact) -> str:
    """Where a message on ``channel`` goes for ``candidate``, normalised and validated (raises
    ``AddressProblem``)."""
    if CHANNELS[channel].address is AddressKind.EMAIL:
        return normalise_email(candidate.email)
    return normalise_phone(candidate.phone)


def reachable_problem(channel: ChannelKind, candidate: CandidateContact) -> AddressProblem | None:
    """Why ``candidate`` cannot be reached on ``channel`` (``None``: they can be)."""
    try:
        address_for(channel, candidate)
    except AddressProblem as problem:
        return problem
    return None
