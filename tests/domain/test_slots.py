"""Free interview slots: windows minus busy times and bookings (with their buffer), after the
minimum notice, within the horizon, every 15 minutes, across a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.slots import STEP, Interval, SlotRules, free_slots, merged

NEW_YORK = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """A moment of 2026 in New York."""
    return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK)


def window(start: datetime, end: datetime) -> Interval:
    return Interval(start=start, end=end)


def local_starts(slots: list[Interval]) -> list[str]:
    return [s.start.astimezone(NEW_YORK).strftime("%H:%M") for s in slots]


#: Rules with nothing in the way: no notice, no buffer, two weeks ahead.
OPEN = SlotRules(duration=timedelta(minutes=30), min_notice=timedelta(0))
EARLY = at(7, 6)


def test_a_window_holds_a_slot_every_quarter_hour_that_fits() -> None:
    slots = free_slots([window(at(8, 9), at(8, 12))], [], OPEN, EARLY)
    assert local_starts(slots) == [
        "09:00", "09:15", "09:30", "09:45", "10:00", "10:15",
        "10:30", "10:45", "11:00", "11:15", "11:30",
    ]  # fmt: skip
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_a_window_that_starts_off_the_quarter_starts_at_the_next_one() -> None:
    slots = free_slots([window(at(8, 9, 7), at(8, 10))], [], OPEN, EARLY)
    assert local_starts(slots) == ["09:15", "09:30"]


def test_busy_times_and_bookings_are_kept_clear_with_their_buffer() -> None:
    rules = OPEN.model_copy(update={"buffer": timedelta(minutes=15)})
    busy = [window(at(8, 10), at(8, 10, 30)), window(at(8, 11, 40), at(8, 12, 30))]
    slots = free_slots([window(at(8, 9), at(8, 12))], busy, rules, EARLY)
    # 10:00-10:30 keeps 09:45-10:45 clear; 11:40 keeps everything after 11:25 clear.
    assert local_starts(slots) == ["09:00", "09:15", "10:45"]


def test_the_minimum_notice_and_the_horizon_bound_the_offer() -> None:
    rules = OPEN.model_copy(update={"min_notice": timedelta(hours=1), "horizon": timedelta(days=1)})
    now = at(8, 8, 50)
    slots = free_slots([window(at(8, 9), at(8, 11)), window(at(9, 8), at(9, 12))], [], rules, now)
    assert slots[0].start == at(8, 10)  # 09:50 is the earliest, so 10:00
    assert slots[-1].end <= now + timedelta(days=1)
    assert local_starts(slots)[-1] == "08:15"  # the next day, ending at 08:45 < 08:50


def test_overlapping_windows_offer_each_slot_once() -> None:
    windows = [
        window(at(8, 9), at(8, 10)),
        window(at(8, 9, 30), at(8, 11)),
        window(at(8, 11), at(8, 11, 30)),
    ]
    slots = free_slots(windows, [], OPEN, EARLY)
    assert len(slots) == len({s.start for s in slots})
    assert local_starts(slots)[0] == "09:00" and local_starts(slots)[-1] == "11:00"


def test_a_window_across_the_spring_change_holds_its_real_hours() -> None:
    # 2027-03-14 in New York: 02:00 does not exist, the clocks go from 01:59 EST to 03:00 EDT.
    start = datetime(2027, 3, 14, 1, 0, tzinfo=NEW_YORK)
    end = datetime(2027, 3, 14, 4, 0, tzinfo=NEW_YORK)
    rules = OPEN.model_copy(update={"duration": timedelta(hours=1)})
    slots = free_slots([window(start, end)], [], rules, datetime(2027, 3, 13, tzinfo=UTC))
    assert end - start == timedelta(hours=3)  # wall clock; the real length is two hours
    assert local_starts(slots) == ["01:00", "01:15", "01:30", "01:45", "03:00"]
    assert all(s.end.timestamp() - s.start.timestamp() == 3600 for s in slots)


def test_nothing_is_offered_without_windows_or_when_all_is_busy() -> None:
    assert free_slots([], [], OPEN, EARLY) == []
    day = window(at(8, 9), at(8, 17))
    assert free_slots([day], [window(at(8, 8), at(8, 18))], OPEN, EARLY) == []


def test_bad_intervals_and_rules_are_refused() -> None:
    with pytest.raises(ValidationError, match="end must be after start"):
        window(at(8, 10), at(8, 9))
    with pytest.raises(ValidationError):
        SlotRules(duration=timedelta(minutes=5))
    with pytest.raises(ValidationError):
        Interval(start=datetime(2026, 12, 8, 9), end=datetime(2026, 12, 8, 10))  # no zone


minutes = st.integers(min_value=0, max_value=3 * 24 * 60)


@st.composite
def intervals(draw: st.DrawFn) -> Interval:
    start = EARLY + draw(minutes) * MINUTE
    return Interval(start=start, end=start + draw(st.integers(1, 8 * 60)) * MINUTE)


@settings(max_examples=200, deadline=None)
@given(
    windows=st.lists(intervals(), max_size=5),
    busy=st.lists(intervals(), max_size=8),
    duration=st.sampled_from([15, 30, 45, 60, 90]),
    buffer=st.sampled_from([0, 5, 15, 30]),
    notice=st.integers(0, 24 * 60),
)
def test_every_slot_fits_a_window_and_clears_every_busy_time(
    windows: list[Interval], busy: list[Interval], duration: int, buffer: int, notice: int
) -> None:
    rules = SlotRules(
        duration=duration * MINUTE, buffer=buffer * MINUTE, min_notice=notice * MINUTE
    )
    slots = free_slots(windows, busy, rules, EARLY)
    assert [s.start for s in slots] == sorted({s.start for s in slots})
    for slot in slots:
        assert slot.start.timestamp() % STEP.total_seconds() == 0
        assert slot.start >= EARLY + rules.min_notice
        assert slot.end <= EARLY + rules.horizon
        assert any(w.start <= slot.start and slot.end <= w.end for w in merged(windows))
        assert not any(
            slot.overlaps(Interval(start=b.start - rules.buffer, end=b.end + rules.buffer))
            for b in busy
        )
    # And none is missed: every quarter hour that fits and clears is offered.
    offered = {s.start for s in slots}
    for w in windows:
        start = w.start
        while start + rules.duration <= w.end:
            candidate = Interval(start=start, end=start + rules.duration)
            fits = (
                start.timestamp() % STEP.total_seconds() == 0
                and start >= EARLY + rules.min_notice
                and not any(
                    candidate.overlaps(
                        Interval(start=b.start - rules.buffer, end=b.end + rules.buffer)
                    )
                    for b in busy
                )
            )
            assert not fits or start in offered
            start += MINUTE
