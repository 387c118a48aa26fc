"""Which phone numbers and e-mail addresses a channel accepts (E.164 via ``phonenumbers``)."""

from __future__ import annotations

import pytest

from channels.addresses import address_for, normalise_email, normalise_phone
from channels.base import PermanentDeliveryError
from domain.candidates import CandidateContact
from domain.channels import ChannelKind
from domain.enrolments import StatusReason


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+14155550123", "+14155550123"),
        ("+1 (415) 555-0123", "+14155550123"),
        (" +44 20 7946 0000 ", "+442079460000"),
        ("whatsapp:+4915112345678", "+4915112345678"),
        ("tel:+33-6-12-34-56-78", "+33612345678"),
    ],
)
def test_valid_numbers_come_out_in_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "4155550123",  # national form: no country to read it in
        "+1 555 0000 not a number",
        "+15555550100",  # the shape of a US number, but no such number exists
        "+999123456789",
        "call me maybe",
    ],
)
def test_invalid_numbers_fail_with_a_reason(raw: str) -> None:
    with pytest.raises(PermanentDeliveryError) as refused:
        normalise_phone(raw)
    assert refused.value.reason == StatusReason.INVALID_PHONE_NUMBER
    # The detail reaches the timeline and the workflow's history: it never quotes the number.
    assert raw.strip() not in refused.value.detail


@pytest.mark.parametrize("raw", [None, "", "   ", "whatsapp:"])
def test_a_missing_number_fails_with_its_own_reason(raw: str | None) -> None:
    with pytest.raises(PermanentDeliveryError) as refused:
        normalise_phone(raw)
    assert refused.value.reason == StatusReason.MISSING_PHONE_NUMBER


def test_a_national_number_is_read_in_a_region_the_caller_names() -> None:
    assert normalise_phone("020 7946 0000", default_region="GB") == "+442079460000"


@pytest.mark.parametrize(
    ("raw", "address"),
    [("ada@example.com", "ada@example.com"), (" Ada.L@Example.CO.UK ", "Ada.L@example.co.uk")],
)
def test_valid_email_addresses_are_trimmed_with_their_domain_lowercased(
    raw: str, address: str
) -> None:
    assert normalise_email(raw) == address


@pytest.mark.parametrize(
    "raw", ["ada", "ada@", "@example.com", "ada@localhost", "ada lovelace@example.com", "a@b..c"]
)
def test_malformed_email_addresses_are_rejected(raw: str) -> None:
    with pytest.raises(PermanentDeliveryError) as refused:
        normalise_email(raw)
    assert refused.value.reason == StatusReason.INVALID_EMAIL


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_a_missing_email_fails_with_its_own_reason(raw: str | None) -> None:
    with pytest.raises(PermanentDeliveryError) as refused:
        normalise_email(raw)
    assert refused.value.reason == StatusReason.MISSING_EMAIL


def test_each_channel_reads_its_own_address() -> None:
    contact = CandidateContact(id="c", name="Ada", phone="+14155550123", email="ada@example.com")
    assert address_for(ChannelKind.SMS, contact) == "+14155550123"
    assert address_for(ChannelKind.WHATSAPP, contact) == "+14155550123"
    assert address_for(ChannelKind.EMAIL, contact) == "ada@example.com"
