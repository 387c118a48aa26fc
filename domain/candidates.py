"""Candidates and how to reach them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CandidateContact(BaseModel):
    """Who a candidate is and the addresses a channel may use.

    The phone number is kept as the ATS sent it; the channel validates it (E.164) at send time,
    so a bad number becomes a ``failed`` enrolment with a reason rather than a rejected event.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    name: Annotated[str, StringConstraints(max_length=300)]
    phone: Annotated[str, StringConstraints(max_length=64)] | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None
