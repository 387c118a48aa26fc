"""An interviewer's busy times, read from their calendar's iCalendar feed (the "secret address"
Google Calendar and Outlook publish). Reading the feed over HTTP is an activity's work; this
module only reads its text.

Every event between two instants counts as busy, recurring ones expanded (``RRULE``, ``RDATE``,
``EXDATE`` and moved occurrences, by ``recurring-ical-events``), except what the calendar itself
says leaves the time free: ``TRANSP:TRANSPARENT`` ("show as free", Google's default for all-day
events) and ``STATUS:CANCELLED``. An all-day event without either fills its days in the
interviewer's time zone, as does a time without a zone ("floating" in RFC 5545). A feed that
cannot be read raises ``UnreadableFeed``: its caller counts that interviewer as busy, never as
free.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Component, Event

from domain.slots import Interval, merged

#: A feed larger than this is refused rather than read (a calendar of years is a few MiB).
MAX_FEED_BYTES = 10 * 1024 * 1024


class UnreadableFeed(ValueError):
    """The feed is not iCalendar this module can read (the reason in words)."""


def busy_times(feed: bytes, start: datetime, end: datetime, zone: ZoneInfo) -> list[Interval]:
    """The busy stretches of ``feed`` between ``start`` and ``end`` (aware), merged and sorted;
    ``zone`` is the interviewer's, for all-day and floating times. Raises ``UnreadableFeed``."""
    if len(feed) > MAX_FEED_BYTES:
        raise UnreadableFeed(f"the feed is over {MAX_FEED_BYTES // (1024 * 1024)} MiB")
    try:
        calendar = Calendar.from_ical(feed)
        events: list[Event] = recurring_ical_events.of(calendar).between(start, end)
        stretches = [_stretch(e, zone) for e in events if not _leaves_time_free(e)]
    except Exception as error:  # a feed is anyone's text: every way it breaks means unreadable
        raise UnreadableFeed(f"not a readable iCalendar feed ({type(error).__name__})") from error
    busy: list[Interval] = []
    for stretch in stretches:
        if stretch is not None and stretch.start < end and start < stretch.end:
            busy.append(stretch)
    return merged(busy)


def _leaves_time_free(event: Component) -> bool:
    transparency = str(event.get("TRANSP", "OPAQUE")).upper()
    status = str(event.get("STATUS", "")).upper()
    return transparency == "TRANSPARENT" or status == "CANCELLED"


def _stretch(event: Event, zone: ZoneInfo) -> Interval | None:
    """When ``event`` happens, as an interval (``None`` for an event of no length: RFC 5545
    gives a date-time start alone none; a date alone is its whole day)."""
    first, last = _instant(event.start, zone), _instant(event.end, zone)
    return Interval(start=first, end=last) if last > first else None


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    """An aware instant: a date is its midnight, a floating time is read, in ``zone``."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)
