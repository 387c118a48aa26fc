"""Time is the candidate's: quiet hours in their time zone, and when reminders are due.

Everything here is pure: instants in, instants out (aware UTC ``datetime``), computed with
``zoneinfo`` so a day that changes to or from daylight saving time has the length it really has.
The workflow stores what comes out as absolute instants, so a wait survives continue-as-new.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_zones
from pydantic import BaseModel, ConfigDict

from domain.candidates import CandidateContact

_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class QuietHours(BaseModel):
    """Local hours in which nothing is sent (``start`` up to, not including, ``end``; a window
    may run past midnight, like the default ``21:00-08:00``), and the zone of a candidate whose
    own zone is not known."""

    model_config = ConfigDict(frozen=True)

    start: time
    end: time
    default_zone: str = "UTC"

    @classmethod
    def parse(cls, text: str, default_zone: str = "UTC") -> QuietHours | None:
        """``"21:00-08:00"`` as quiet hours; ``"off"`` as ``None``. Raises ``ValueError``."""
        if text.strip().lower() == "off":
            return None
        found = _WINDOW.match(text.strip())
        if found is None:
            raise ValueError(f"{text!r} is not a window like '21:00-08:00' (or 'off')")
        start = time(int(found[1]), int(found[2]))
        end = time(int(found[3]), int(found[4]))
        if start == end:
            raise ValueError(f"{text!r} is an empty window: use 'off' to send at any hour")
        return cls(start=start, end=end, default_zone=default_zone)

    def describe(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def _quiet(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_send_time(self, now: datetime, zone: str) -> datetime | None:
        """When a message due at ``now`` may go out: ``None`` if now, else the end of the quiet
        hours it falls in (as an instant)."""
        tz = _zone(zone)
        local = now.astimezone(tz)
        if not self._quiet(local.time()):
            return None
        day = local.date()
        if self.start >= self.end and local.time() >= self.start:
            day += timedelta(days=1)  # quiet since this evening: the window ends tomorrow
        return _instant(day, self.end, tz)


def _instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``at`` on ``day`` in ``tz``, as an instant. A wall-clock time that a change to daylight
    saving time skips is read as the moment the clocks jumped to (the first that exists)."""
    local = datetime.combine(day, at, tzinfo=tz)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        # A skipped time (02:30 on a spring-forward night): the gap starts at 02:00 local,
        # which is the instant the offset before the change gives for it, rounded to the jump.
        before = local.replace(fold=0).astimezone(UTC)
        after = local.replace(fold=1).astimezone(UTC)
        instant = min(before, after)
        while instant.astimezone(tz).replace(tzinfo=None) < local.replace(tzinfo=None):
            instant += timedelta(minutes=1)
    return instant


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def candidate_zone(candidate: CandidateContact, default_zone: str) -> str:
    """The candidate's time zone: their own, else their phone number's region's when it has
    exactly one, else ``default_zone``."""
    if candidate.timezone:
        return candidate.timezone
    if candidate.phone:
        try:
            number = phonenumbers.parse(candidate.phone.removeprefix("whatsapp:"), None)
        except phonenumbers.NumberParseException:
            return default_zone
        zones = [z for z in phone_zones.time_zones_for_number(number) if z != "Etc/Unknown"]
        if len(zones) == 1:
            return zones[0]
    return default_zone


def local_time(at: datetime, zone: str) -> str:
    """``at`` as the candidate reads it: ``08:00 Australia/Sydney``."""
    return f"{at.astimezone(_zone(zone)):%H:%M} {zone}"
