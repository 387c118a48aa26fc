"""Candidate addresses as the channels need them: the domain's rules (``domain.addresses``),
with a bad address raised as a permanent delivery failure (the enrolment becomes ``failed``
with the reason), never a crash and never a retry.
"""

from __future__ import annotations

from channels.base import PermanentDeliveryError
from domain import addresses
from domain.addresses import WHATSAPP_PREFIX, AddressProblem
from domain.candidates import CandidateContact
from domain.channels import ChannelKind

__all__ = ["WHATSAPP_PREFIX", "address_for", "normalise_email", "normalise_phone"]


def normalise_phone(raw: str | None, *, default_region: str | None = None) -> str:
    """``domain.addresses.normalise_phone``; raises ``PermanentDeliveryError``."""
    try:
        return addresses.normalise_phone(raw, default_region=default_region)
    except AddressProblem as problem:
        raise PermanentDeliveryError(problem.reason, problem.detail) from problem


def normalise_email(raw: str | None) -> str:
    """``domain.addresses.normalise_email``; raises ``PermanentDeliveryError``."""
    try:
        return addresses.normalise_email(raw)
    except AddressProblem as problem:
        raise PermanentDeliveryError(problem.reason, problem.detail) from problem


def address_for(channel: ChannelKind, candidate: CandidateContact) -> str:
    """``domain.addresses.address_for``; raises ``PermanentDeliveryError``."""
    try:
        return addresses.address_for(channel, candidate)
    except AddressProblem as problem:
        raise PermanentDeliveryError(problem.reason, problem.detail) from problem
