"""The channels a campaign goes out on, and what each one is: the registry every part of the
product reads instead of naming channels.

Adding a channel is a member of ``ChannelKind`` and its ``ChannelTraits`` here, and, when no
provider carries it yet, a provider in ``channels/`` (``channels.providers`` picks providers
by the channel's address kind). ``tests/domain/test_channels.py`` fails for a member without
traits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChannelKind(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"


class AddressKind(StrEnum):
    """What a candidate is reached at."""

    PHONE = "phone"
    EMAIL = "email"


@dataclass(frozen=True)
class ChannelTraits:
    """What a channel is, as recruiters and the product see it."""

    #: How recruiters read its name.
    label: str
    #: What a candidate must have to be reached on it.
    address: AddressKind
    #: Whether a message has a subject line (the campaign's ``subject``).
    subject: bool = False
    #: Whether the first message and nudges open the conversation with an approved template
    #: (WhatsApp refuses free text outside its 24-hour window).
    opening_template: bool = False


#: Every channel's traits, keyed by its ``ChannelKind`` member.
CHANNELS: dict[ChannelKind, ChannelTraits] = {
    ChannelKind.SMS: ChannelTraits(label="SMS", address=AddressKind.PHONE),
    ChannelKind.WHATSAPP: ChannelTraits(
        label="WhatsApp", address=AddressKind.PHONE, opening_template=True
    ),
    ChannelKind.EMAIL: ChannelTraits(label="Email", address=AddressKind.EMAIL, subject=True),
}
