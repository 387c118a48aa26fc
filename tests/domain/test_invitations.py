"""Interview invitations as iCalendar: parsed back with ``icalendar``, one UID per interview, a
rising SEQUENCE, METHOD:CANCEL on cancellation, hostile names kept inside their own values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from pydantic import ValidationError

from domain.invitations import Attendee, Invitation, calendar_file

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
# 10:00 in New York on the first day of daylight time.
START = datetime(2027, 3, 14, 10, 0, tzinfo=ZoneInfo("America/New_York"))


def invitation(**changes: Any) -> Invitation:
    values: dict[str, Any] = {
        "interview_id": "int_42",
        "sequence": 0,
        "start": START,
        "end": START + timedelta(minutes=30),
        "summary": "Interview: Barista, with Grace Hopper",
        "description": "Bring your ID.\nAsk for Ada at the counter.",
        "location": "https://meet.example.com/abc-defg",
        "organizer": Attendee(name="Ada Lovelace", email="ada@example.com"),
        "attendees": [
            Attendee(name="Ada Lovelace", email="ada@example.com"),
            Attendee(name="Grace Hopper", email="grace@example.com"),
        ],
    }
    return Invitation(**(values | changes))


def parsed(file: bytes) -> tuple[Calendar, Any]:
    calendar = Calendar.from_ical(file)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_an_invitation_reads_back_as_a_request_in_utc() -> None:
    calendar, event = parsed(calendar_file(invitation(), NOW))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "int_42@enrolments.invalid"
    assert event["SEQUENCE"] == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert event.start == datetime(2027, 3, 14, 14, 0, tzinfo=UTC)  # 10:00 EDT
    assert event.end - event.start == timedelta(minutes=30)
    assert str(event["LOCATION"]) == "https://meet.example.com/abc-defg"
    assert str(event["DESCRIPTION"]) == "Bring your ID.\nAsk for Ada at the counter."
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:ada@example.com", "mailto:grace@example.com"]
    assert [a.params["CN"] for a in attendees] == ["Ada Lovelace", "Grace Hopper"]
    assert all(a.params["RSVP"] == "TRUE" for a in attendees)
    assert str(event["ORGANIZER"]) == "mailto:ada@example.com"


def test_a_change_keeps_the_uid_and_raises_the_sequence_and_a_cancel_says_so() -> None:
    moved = invitation(
        sequence=1, start=START + timedelta(days=1), end=START + timedelta(days=1, minutes=30)
    )
    cancelled = invitation(sequence=2, cancelled=True)
    files = [calendar_file(i, NOW) for i in (invitation(), moved, cancelled)]
    events = [parsed(f)[1] for f in files]
    assert len({str(e["UID"]) for e in events}) == 1
    assert [e["SEQUENCE"] for e in events] == [0, 1, 2]
    calendar, event = parsed(files[2])
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"


def test_hostile_names_and_texts_stay_inside_their_own_values() -> None:
    evil = 'Eve"\r\nATTENDEE:mailto:mallory@example.com\r\nX-EVIL:1'
    file = calendar_file(
        invitation(
            summary=f"Interview\r\nMETHOD:CANCEL {evil}",
            location="Room 1;\r\nSTATUS:CANCELLED",
            attendees=[Attendee(name=evil, email="grace@example.com")],
        ),
        NOW,
    )
    calendar, event = parsed(file)
    assert str(calendar["METHOD"]) == "REQUEST" and str(event["STATUS"]) == "CONFIRMED"
    assert [str(a) for a in [event["ATTENDEE"]]] == ["mailto:grace@example.com"]
    assert "X-EVIL" not in event and "mallory" not in str(event["ATTENDEE"])
    lines = file.replace(b"\r\n ", b"").split(b"\r\n")  # unfolded
    hostile = (b"X-EVIL", b"STATUS:CANCELLED", b"METHOD:CANCEL", b"ATTENDEE:mailto:mallory")
    assert not [line for line in lines if line.startswith(hostile)]


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "grace@example.com\r\nX: 1", ""])
def test_an_attendee_needs_a_real_address(email: str) -> None:
    with pytest.raises(ValidationError):
        Attendee(name="Grace", email=email)
