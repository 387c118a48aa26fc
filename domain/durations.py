"""Durations as the API takes them: ISO 8601 strings (``P7D``, ``PT30M``), bounded.

JSON has no duration type, and pydantic would read a bare number as seconds: ``"expiry": 3``
would quietly become three seconds. So a duration is a positive ISO 8601 string (Python callers
may pass a ``timedelta``). A new definition may hold at most ``MAX_DURATION`` (``too_long``,
checked where definitions come in); what was stored before that limit still loads, and every
deadline is computed with ``capped``, far inside ``datetime``'s range.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, TypeAdapter

#: The longest duration accepted anywhere (an expiry, a nudge offset): one year.
MAX_DURATION = timedelta(days=366)
MAX_DURATION_ISO = "P366D"

_PARSE = TypeAdapter(timedelta)


class WrittenDuration(timedelta):
    """A duration that remembers how it was written (``PT24H`` stays ``PT24H``, where a plain
    ``timedelta`` would come back as ``P1D``): recruiters get back what they typed."""

    text: str

    def __new__(cls, duration: timedelta, text: str) -> WrittenDuration:
        made = super().__new__(cls, duration.days, duration.seconds, duration.microseconds)
        made.text = text
        return made

    def __reduce__(self) -> tuple[type[WrittenDuration], tuple[timedelta, str]]:
        return (WrittenDuration, (timedelta(self.days, self.seconds, self.microseconds), self.text))


def parse_duration(value: Any, *, zero_allowed: bool = False) -> timedelta:
    """``value`` (an ISO 8601 duration string, or a ``timedelta``) as a bounded ``timedelta``
    (a ``WrittenDuration`` when it came as text, so it is written back as it came); zero only
    when ``zero_allowed``.

    Raises ``ValueError`` with a sentence naming what is wrong.
    """
    if isinstance(value, timedelta):
        duration = value
    elif isinstance(value, str) and value.startswith("P"):
        try:
            duration = WrittenDuration(_PARSE.validate_python(value), value)
        except ValueError as err:
            raise ValueError(f"{value!r} is not an ISO 8601 duration such as 'P7D'") from err
    else:
        raise ValueError("a duration is an ISO 8601 string such as 'P7D' or 'PT30M'")
    if duration < timedelta(0) or (duration == timedelta(0) and not zero_allowed):
        raise ValueError("a duration must be positive" + (" or zero" if zero_allowed else ""))
    return duration


def parse_length(value: Any) -> timedelta:
    """``parse_duration`` where nothing (``PT0M``) is a length too: a buffer of none."""
    return parse_duration(value, zero_allowed=True)


def between(low: timedelta, high: timedelta) -> AfterValidator:
    """A check that a duration lies within ``low`` and ``high``, refused in ISO 8601 words."""

    def check(duration: timedelta) -> timedelta:
        if not low <= duration <= high:
            raise ValueError(f"must be between {format_duration(low)} and {format_duration(high)}")
        return duration

    return AfterValidator(check)


def too_long(duration: timedelta) -> str | None:
    """Why ``duration`` may not be part of a new definition, or ``None``."""
    return f"a duration may be at most {MAX_DURATION_ISO}" if duration > MAX_DURATION else None


def capped(duration: timedelta) -> timedelta:
    """``duration``, at most ``MAX_DURATION``: safe to add to any instant we will see."""
    return min(duration, MAX_DURATION)


def format_duration(duration: timedelta | str) -> str:
    """``duration`` in ISO 8601 as it was written, else with days at most (``P7D``,
    ``PT1H30M``, ``P1DT12H``): years and months have no fixed length, so they are never
    written. A default written as text (the API's schema shows it) stays as written."""
    if isinstance(duration, str):
        return duration
    if isinstance(duration, WrittenDuration):
        return duration.text
    days, rest = duration.days, duration.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = f".{duration.microseconds:06d}".rstrip("0") if duration.microseconds else ""
    time = "".join(f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M")) if value)
    if seconds or fraction:
        time += f"{seconds}{fraction}S"
    text = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return text if text != "P" else "PT0S"


#: A positive ISO 8601 duration.
Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]

#: A positive or zero ISO 8601 duration (``PT0M``: none).
Length = Annotated[
    timedelta,
    BeforeValidator(parse_length),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
