"""An interviewer's busy times from their calendar feed: recurring events expanded across a
daylight-saving change, all-day and floating events in their zone, free and cancelled events
left out, a feed that cannot be read refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.busy_times import MAX_FEED_BYTES, UnreadableFeed, busy_times
from domain.slots import Interval

NEW_YORK = ZoneInfo("America/New_York")


def feed(*events: str) -> bytes:
    body = "\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//tests//busy//EN",
            *events,
            "END:VCALENDAR",
        ]
    )
    return body.replace("\n", "\r\n").encode()


def event(uid: str, *lines: str) -> str:
    return "\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270101T000000Z", *lines, "END:VEVENT"]
    )


def ny(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=NEW_YORK)


def local(stretches: list[Interval]) -> list[tuple[str, str]]:
    fmt = "%m-%d %H:%M"
    return [
        (s.start.astimezone(NEW_YORK).strftime(fmt), s.end.astimezone(NEW_YORK).strftime(fmt))
        for s in stretches
    ]


STANDUP = event(
    "standup",
    "SUMMARY:Stand-up",
    "DTSTART;TZID=America/New_York:20270308T093000",
    "DTEND;TZID=America/New_York:20270308T100000",
    "RRULE:FREQ=DAILY;COUNT=10",
    "EXDATE;TZID=America/New_York:20270310T093000",
)
MOVED = event(
    "standup",
    "SUMMARY:Stand-up, later",
    "RECURRENCE-ID;TZID=America/New_York:20270311T093000",
    "DTSTART;TZID=America/New_York:20270311T140000",
    "DTEND;TZID=America/New_York:20270311T143000",
)


def test_a_recurring_event_keeps_its_local_hour_across_the_spring_change() -> None:
    busy = busy_times(feed(STANDUP, MOVED), ny(3, 8, 0), ny(3, 16, 0), NEW_YORK)
    assert local(busy) == [
        ("03-08 09:30", "03-08 10:00"),
        ("03-09 09:30", "03-09 10:00"),
        # 03-10 is an exception (EXDATE); 03-11's occurrence was moved to the afternoon.
        ("03-11 14:00", "03-11 14:30"),
        ("03-12 09:30", "03-12 10:00"),
        ("03-13 09:30", "03-13 10:00"),
        ("03-14 09:30", "03-14 10:00"),  # the first day of daylight time: still 09:30
        ("03-15 09:30", "03-15 10:00"),
    ]
    # 09:30 was 14:30 UTC before the change and is 13:30 UTC after it.
    assert busy[0].start.utcoffset() is not None
    assert [b.start.astimezone(ZoneInfo("UTC")).hour for b in busy[-2:]] == [13, 13]


def test_all_day_and_floating_events_fill_the_interviewers_own_day() -> None:
    busy = busy_times(
        feed(
            event(
                "off", "SUMMARY:Day off", "DTSTART;VALUE=DATE:20270401", "DTEND;VALUE=DATE:20270402"
            ),
            event("lunch", "SUMMARY:Lunch", "DTSTART:20270405T120000", "DURATION:PT1H"),
        ),
        ny(4, 1, 0),
        ny(4, 8, 0),
        NEW_YORK,
    )
    assert local(busy) == [("04-01 00:00", "04-02 00:00"), ("04-05 12:00", "04-05 13:00")]


def test_free_and_cancelled_events_leave_the_time_free() -> None:
    busy = busy_times(
        feed(
            event(
                "holiday",
                "DTSTART;VALUE=DATE:20270405",
                "DTEND;VALUE=DATE:20270406",
                "TRANSP:TRANSPARENT",
            ),
            event(
                "called-off",
                "DTSTART:20270405T150000Z",
                "DTEND:20270405T160000Z",
                "STATUS:CANCELLED",
            ),
            event("kept", "DTSTART:20270405T170000Z", "DTEND:20270405T173000Z"),
        ),
        ny(4, 5, 0),
        ny(4, 6, 0),
        NEW_YORK,
    )
    assert local(busy) == [("04-05 13:00", "04-05 13:30")]


def test_overlapping_events_are_one_busy_stretch_and_the_range_bounds_the_feed() -> None:
    busy = busy_times(
        feed(
            event("a", "DTSTART:20270405T140000Z", "DTEND:20270405T150000Z"),
            event("b", "DTSTART:20270405T143000Z", "DTEND:20270405T160000Z"),
            event("later", "DTSTART:20270501T140000Z", "DTEND:20270501T150000Z"),
        ),
        ny(4, 5, 0),
        ny(4, 12, 0),
        NEW_YORK,
    )
    assert local(busy) == [("04-05 10:00", "04-05 12:00")]


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"<html>Sign in to Google</html>",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:not-a-date\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        bytes(range(256)),
    ],
)
def test_a_feed_that_cannot_be_read_is_refused(text: bytes) -> None:
    with pytest.raises(UnreadableFeed):
        busy_times(text, ny(4, 5, 0), ny(4, 6, 0), NEW_YORK)


def test_a_feed_too_large_is_refused_before_it_is_read() -> None:
    with pytest.raises(UnreadableFeed, match="MiB"):
        busy_times(
            b" " * (MAX_FEED_BYTES + 1), ny(4, 5, 0), ny(4, 5, 0) + timedelta(days=1), NEW_YORK
        )
