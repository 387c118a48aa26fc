"""Free interview slots (API.md, "Interviews"): inside an interviewer's availability windows,
outside their busy times and booked interviews (each widened by the buffer on both sides), at
least the minimum notice ahead and within the horizon, ``duration`` long, starting every 15
minutes.

Pure and exact: every instant is aware and compared as an absolute time, so a window across a
daylight-saving change holds exactly the slots its real hours hold (a window from 01:00 to
04:00 in New York on 2027-03-14 is two hours long). Starts fall on the quarter hours, which are
the same instants in every time zone there is (all offsets are whole quarters of an hour).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from domain.durations import Duration, Length, between

#: Slots start on these boundaries.
STEP = timedelta(minutes=15)


class Interval(BaseModel):
    """A stretch of time: an availability window, a busy time, a booking, a slot."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


def _written(duration: str) -> Any:
    """A default duration, written as the API writes it."""
    return Field(default=duration, validate_default=True)


class SlotRules(BaseModel):
    """How a scheduling stage offers interviews (part of its ``interview_settings``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Defaults as written (validated like any value), so the API's schema shows them so.
    duration: Annotated[Duration, between(STEP, timedelta(hours=8))] = _written("PT30M")
    #: Kept free before and after every busy time and interview.
    buffer: Annotated[Length, between(timedelta(0), timedelta(hours=4))] = _written("PT0M")
    #: How soon a slot may start, from now (also the last moment to reschedule or cancel).
    min_notice: Annotated[Length, between(timedelta(0), timedelta(days=30))] = _written("PT12H")
    #: How far ahead slots are offered.
    horizon: Annotated[Duration, between(timedelta(days=1), timedelta(days=90))] = _written("P14D")

    def rules(self) -> SlotRules:
        """Just the slot rules (``InterviewSettings`` hold more)."""
        return SlotRules(
            duration=self.duration,
            buffer=self.buffer,
            min_notice=self.min_notice,
            horizon=self.horizon,
        )


def free_slots(
    windows: Iterable[Interval],
    busy: Iterable[Interval],
    rules: SlotRules,
    now: datetime,
) -> list[Interval]:
    """The free slots, earliest first (in UTC): ``busy`` holds the interviewer's busy times
    and booked interviews alike."""
    earliest, latest = now + rules.min_notice, now + rules.horizon
    blocked = merged(Interval(start=b.start - rules.buffer, end=b.end + rules.buffer) for b in busy)
    ends = [b.end for b in blocked]
    slots: list[Interval] = []
    for window in merged(windows):
        start = _on_a_step(max(window.start, earliest))
        last_end = min(window.end, latest)
        while start + rules.duration <= last_end:
            slot = Interval(start=start, end=start + rules.duration)
            # The first blocked stretch that ends after the slot starts is the only one that
            # can overlap it first (the stretches are merged, so sorted and apart).
            index = bisect_right(ends, slot.start)
            if index < len(blocked) and blocked[index].overlaps(slot):
                start = _on_a_step(blocked[index].end)
                continue
            slots.append(slot)
            start += STEP
    return slots


def merged(intervals: Iterable[Interval]) -> list[Interval]:
    """``intervals`` sorted, with those that overlap or touch made one."""
    out: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if out and interval.start <= out[-1].end:
            if interval.end > out[-1].end:
                out[-1] = Interval(start=out[-1].start, end=interval.end)
        else:
            out.append(interval)
    return out


def _on_a_step(moment: datetime) -> datetime:
    """``moment``, or the next quarter hour after it, in UTC."""
    seconds = STEP.total_seconds()
    stamp = moment.timestamp()
    steps = -(-stamp // seconds)  # ceiling
    return datetime.fromtimestamp(steps * seconds, UTC)
