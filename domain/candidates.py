"""Candidates and how to reach them."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

#: Names in the time zone database that are not a place's time zone.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_PLACES


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone ``zoneinfo`` knows (``Europe/London``)."""
    return name in _time_zones()


def _iana_time_zone(name: str) -> str:
    if name not in _time_zones():
        raise ValueError(f"{name!r} is not an IANA time zone such as 'Europe/London'")
    return name


#: An IANA time zone name (``Europe/London``, ``America/New_York``), as ``zoneinfo`` knows it.
TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_iana_time_zone)]


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
    #: An IANA zone name; checked where events come in (``TimeZoneName``), not when a state
    #: carried over from before the check is read back.
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None

    @field_validator("timezone", mode="before")
    @classmethod
    def _blank_is_unknown(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value
