"""Quiet hours over HTTP: a message due in the candidate's night waits, and says until when."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.api.conftest import StackFactory, blast_campaign

pytestmark = pytest.mark.devserver

ZONES = [
    "Pacific/Kiritimati",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Europe/London",
    "America/Chicago",
    "Pacific/Honolulu",
]


def a_zone_where_it_is_night() -> str:
    """One of ``ZONES`` where it is now well inside 21:00-08:00 (not near either end)."""
    for zone in ZONES:
        hour = datetime.now(UTC).astimezone(ZoneInfo(zone)).hour
        if hour >= 22 or hour < 7:
            return zone
    raise AssertionError("the zones cover every hour of the day")


async def test_a_message_due_in_the_candidates_night_waits_with_its_reason(
    open_stack: StackFactory,
) -> None:
    zone = a_zone_where_it_is_night()
    async with open_stack(quiet_hours="21:00-08:00") as stack:
        polite = await stack.put_campaign("polite", blast_campaign())
        anytime = await stack.put_campaign("anytime", blast_campaign() | {"quiet_hours": False})
        job = await stack.put_job(
            "job",
            [
                {"id": "p", "name": "Polite", "campaign_id": polite},
                {"id": "a", "name": "Any time", "campaign_id": anytime},
            ],
        )

        def event(stage: str, application: str) -> dict[str, object]:
            body = stack.ats_event(
                job_id=job, stage_id=stage, application=application, candidate=application
            )
            body["candidate"]["timezone"] = zone  # type: ignore[index]
            return body

        [waiting] = await stack.send_event(event("p", "night-owl"))
        [urgent] = await stack.send_event(event("a", "early-bird"))

        await stack.wait_for(urgent["id"], "delivered")
        detail = await stack.enrolment(waiting["id"])
        assert detail["status"] == "sending"
        assert detail["next_send"] == "the message"
        morning = datetime.fromisoformat(detail["next_send_at"]).astimezone(ZoneInfo(zone))
        assert (morning.hour, morning.minute) == (8, 0)
        assert f"the message waits for the send window until 08:00 {zone}" in [
            entry["detail"] for entry in detail["timeline"]
        ]
        assert detail["messages"] == []
