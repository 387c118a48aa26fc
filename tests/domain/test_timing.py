"""Quiet hours in the candidate's zone, computed with zoneinfo (pure: instants in and out)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.candidates import CandidateContact
from domain.timing import QuietHours, candidate_zone, local_time

NIGHTS = QuietHours.parse("21:00-08:00")
assert NIGHTS is not None


@pytest.mark.parametrize(
    ("local", "waits_until"),
    [
        ("2027-06-01T20:59", None),
        ("2027-06-01T21:00", "2027-06-02T08:00"),
        ("2027-06-01T23:30", "2027-06-02T08:00"),
        ("2027-06-02T00:00", "2027-06-02T08:00"),
        ("2027-06-02T07:59", "2027-06-02T08:00"),
        ("2027-06-02T08:00", None),
        ("2027-06-02T12:00", None),
    ],
)
def test_a_window_over_midnight_holds_until_its_end(local: str, waits_until: str | None) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    now = datetime.fromisoformat(local).replace(tzinfo=tokyo)

    held = NIGHTS.next_send_time(now.astimezone(UTC), "Asia/Tokyo")

    expected = None if waits_until is None else datetime.fromisoformat(waits_until)
    assert (held.astimezone(tokyo).replace(tzinfo=None) if held else None) == expected


def test_a_window_within_one_day() -> None:
    lunch = QuietHours.parse("12:00-13:30")
    assert lunch is not None

    held = lunch.next_send_time(datetime(2027, 6, 1, 12, 15, tzinfo=UTC), "UTC")

    assert held == datetime(2027, 6, 1, 13, 30, tzinfo=UTC)


def test_the_morning_after_the_clocks_spring_forward_is_an_hour_sooner() -> None:
    # New York, 2027-03-14: 02:00 EST becomes 03:00 EDT. 00:30 EST is 05:30 UTC; 08:00 EDT
    # is 12:00 UTC: six and a half hours later, not seven and a half.
    held = NIGHTS.next_send_time(datetime(2027, 3, 14, 5, 30, tzinfo=UTC), "America/New_York")

    assert held == datetime(2027, 3, 14, 12, 0, tzinfo=UTC)


def test_the_morning_after_the_clocks_fall_back_is_an_hour_later() -> None:
    # New York, 2027-11-07: 02:00 EDT becomes 01:00 EST; 08:00 EST is 13:00 UTC.
    held = NIGHTS.next_send_time(datetime(2027, 11, 7, 4, 0, tzinfo=UTC), "America/New_York")

    assert held == datetime(2027, 11, 7, 13, 0, tzinfo=UTC)


def test_a_window_ending_in_the_skipped_hour_ends_when_the_clocks_jump() -> None:
    early = QuietHours.parse("00:00-02:30")
    assert early is not None

    held = early.next_send_time(datetime(2027, 3, 14, 6, 0, tzinfo=UTC), "America/New_York")

    assert held is not None
    assert held.astimezone(ZoneInfo("America/New_York")).time() == time(3, 0)


@pytest.mark.parametrize("text", ["21:00", "25:00-08:00", "21:00-8:00", "08:00-08:00", "night"])
def test_a_malformed_window_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        QuietHours.parse(text)


def test_off_means_any_hour() -> None:
    assert QuietHours.parse("off") is None and QuietHours.parse(" OFF ") is None


def test_the_candidates_zone_then_the_phone_numbers_then_the_default() -> None:
    def zone(timezone: str | None, phone: str | None) -> str:
        candidate = CandidateContact(id="c", name="n", phone=phone, timezone=timezone)
        return candidate_zone(candidate, "Europe/Paris")

    assert zone("Asia/Tokyo", "+14155550123") == "Asia/Tokyo"
    assert zone(None, "+14155550123") == "America/Los_Angeles"
    assert zone(None, "whatsapp:+14155550123") == "America/Los_Angeles"
    assert zone(None, "+61412345678") == "Europe/Paris", "Australian mobiles span zones"
    assert zone(None, "not a number") == "Europe/Paris"
    assert zone(None, None) == "Europe/Paris"


def test_times_are_told_in_the_candidates_zone() -> None:
    at = datetime(2027, 6, 1, 22, 0, tzinfo=UTC)

    assert local_time(at, "Australia/Sydney") == "08:00 Australia/Sydney"
