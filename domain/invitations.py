"""Calendar invitations for an interview (API.md, "Interviews"): an iCalendar ``VEVENT`` that
mail clients show as an invitation, for the interviewer and a candidate with an e-mail address.

One ``UID`` per interview, whatever changes; its ``SEQUENCE`` rises with each change, so a
calendar replaces what it holds rather than adding a second event; a cancellation is the same
event with ``METHOD:CANCEL`` and ``STATUS:CANCELLED``. Times are written in UTC, which every
calendar shows in its reader's own zone. Names and texts are anyone's: control characters are
dropped and the library escapes the rest, so no value can add a line of its own.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from icalendar import Calendar, Event, vCalAddress, vText
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from domain.addresses import AddressProblem, normalise_email

#: The domain part of every interview's ``UID``.
UID_DOMAIN = "enrolments.invalid"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _email(value: str) -> str:
    try:
        return normalise_email(value)
    except AddressProblem as problem:
        raise ValueError("not an e-mail address") from problem


Email = Annotated[str, AfterValidator(_email)]


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(max_length=300)]
    email: Email


class Invitation(BaseModel):
    """What an interview's invitation says, at one ``sequence`` of its changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interview_id: Annotated[str, Field(min_length=1, max_length=200)]
    sequence: Annotated[int, Field(ge=0)]
    start: AwareDatetime
    end: AwareDatetime
    summary: Annotated[str, Field(max_length=300)]
    description: Annotated[str, Field(max_length=5000)] = ""
    #: A room, an address or a video link.
    location: Annotated[str, Field(max_length=1000)] | None = None
    organizer: Attendee
    attendees: list[Attendee]
    cancelled: bool = False


def calendar_file(invitation: Invitation, now: datetime) -> bytes:
    """The ``.ics`` of ``invitation`` (``METHOD:REQUEST``, or ``METHOD:CANCEL`` once it is
    cancelled), stamped ``now``."""
    calendar = Calendar()
    calendar.add("prodid", "-//Campaign enrolments//Interviews//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if invitation.cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{invitation.interview_id}@{UID_DOMAIN}")
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", invitation.start.astimezone(UTC))
    event.add("dtend", invitation.end.astimezone(UTC))
    event.add("summary", _plain(invitation.summary))
    if invitation.description:
        event.add("description", invitation.description.replace("\r", ""))
    if invitation.location:
        event.add("location", _plain(invitation.location))
    event.add("status", "CANCELLED" if invitation.cancelled else "CONFIRMED")
    event.add("organizer", _address(invitation.organizer, role=None))
    for attendee in invitation.attendees:
        event.add("attendee", _address(attendee, role="REQ-PARTICIPANT"), encode=False)
    calendar.add_component(event)
    file: bytes = calendar.to_ical()
    return file


def _plain(text: str) -> vText:
    return vText(_CONTROL.sub(" ", text).strip())


def _address(person: Attendee, role: str | None) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["cn"] = _CONTROL.sub(" ", person.name).replace('"', "'").strip()
    if role is not None:
        address.params["role"] = role
        address.params["partstat"] = "NEEDS-ACTION"
        address.params["rsvp"] = "TRUE"
    return address
