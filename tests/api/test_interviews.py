"""Interviews over HTTP: interviewers and their availability (the API, the webhook, their own
page, their calendar feed), a candidate booking, moving, confirming and cancelling from their
page, the e-mails and messages that follow, and the recruiter's list, agenda and views. The
race for slots, on SQLite and PostgreSQL, is ``test_booking_race.py``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from config.interviewer_links import interviewer_link
from tests.api.conftest import Stack, StackFactory
from tests.fakes.calendar_feed import FakeCalendars
from tests.fakes.http import serving
from tests.fakes.smtp import fake_mail_server

pytestmark = pytest.mark.devserver


def schedule_campaign() -> dict[str, Any]:
    return {
        "name": "Book your interview",
        "kind": "multi_module",
        "channel": "sms",
        "messages": ["Hi {first_name}, pick a time: {link}"],
        "modules": [{"id": "book", "name": "Pick a time", "type": "schedule"}],
    }


def tomorrow(hour: int, minute: int = 0) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


async def interviewer(stack: Stack, name: str, **fields: Any) -> str:
    interviewer_id = stack.id(name)
    body = {"name": name.title(), "email": f"{name}@example.com", "timezone": "Europe/Madrid"}
    response = await stack.http.put(f"/interviewers/{interviewer_id}", json=body | fields)
    assert response.status_code == 200, response.text
    return interviewer_id


async def free(stack: Stack, interviewer_id: str, *windows: tuple[datetime, datetime]) -> None:
    response = await stack.http.put(
        f"/interviewers/{interviewer_id}/availability",
        json={"windows": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in windows]},
    )
    assert response.status_code == 200, response.text


async def scheduling_job(
    stack: Stack,
    interviewer_ids: list[str],
    *,
    campaign: dict[str, Any] | None = None,
    **settings: Any,
) -> str:
    campaign_id = await stack.put_campaign("schedule", campaign or schedule_campaign())
    return await stack.put_job(
        "interviews",
        [
            {
                "id": "interview",
                "name": "Interview",
                "campaign_id": campaign_id,
                "interview_settings": {
                    "interviewer_ids": interviewer_ids,
                    "min_notice": "PT0M",
                    "location": "https://meet.example.com/abc",
                    **settings,
                },
            }
        ],
    )


async def enrol(stack: Stack, job_id: str, name: str) -> tuple[str, str]:
    """A candidate enrolled in the job's scheduling stage: (enrolment id, their page's path)."""
    [enrolment] = await stack.send_event(
        stack.ats_event(
            job_id=job_id, stage_id="interview", application=f"a-{name}", candidate=name
        )
    )
    assert enrolment["link"] is not None, enrolment
    link: str = enrolment["link"]
    return enrolment["id"], link[link.index("/c/") :]


async def test_interviewers_are_configured_and_stages_name_them(stack: Stack) -> None:
    ana = await interviewer(stack, "ana", calendar_ics_url="webcal://calendar.example.com/a.ics")
    got = (await stack.http.get(f"/interviewers/{ana}")).json()
    assert (got["name"], got["timezone"]) == ("Ana", "Europe/Madrid")
    assert ana in [i["id"] for i in (await stack.http.get("/interviewers")).json()["interviewers"]]
    for bad in (
        {"timezone": "Mars/Olympus"},
        {"email": "not an address"},
        {"calendar_ics_url": "file:///etc/passwd"},
    ):
        body = {"name": "Bo", "email": "bo@example.com", "timezone": "UTC"} | bad
        refused = await stack.http.put(f"/interviewers/{stack.id('bo')}", json=body)
        assert refused.status_code == 422, refused.text
    assert (await stack.http.get(f"/interviewers/{stack.id('bo')}")).status_code == 404

    unknown = await stack.http.put(
        f"/jobs/{stack.id('j')}",
        json={
            "name": "J",
            "stages": [
                {"id": "s", "name": "S", "interview_settings": {"interviewer_ids": ["ghost"]}}
            ],
        },
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_interviewer"
    job_id = await scheduling_job(stack, [ana], duration="PT45M")
    [stage] = (await stack.http.get(f"/jobs/{job_id}")).json()["stages"]
    assert stage["interview_settings"] == {
        "auto_match": False,
        "interviewer_ids": [ana],
        "duration": "PT45M",
        "buffer": "PT0M",
        "min_notice": "PT0M",
        "horizon": "P14D",
        "location": "https://meet.example.com/abc",
    }
    too_short = await stack.http.put(
        f"/jobs/{job_id}",
        json={
            "name": "J",
            "stages": [{"id": "s", "name": "S", "interview_settings": {"duration": "PT5M"}}],
        },
    )
    assert too_short.status_code == 422 and "PT15M" in too_short.text


async def test_a_candidate_books_a_slot_which_completes_the_module(stack: Stack) -> None:
    ana = await interviewer(stack, "ana")
    await free(stack, ana, (tomorrow(9), tomorrow(10)))
    job_id = await scheduling_job(stack, [ana])
    enrolment_id, page = await enrol(stack, job_id, "cara")
    await stack.wait_for(enrolment_id, "delivered")

    offered = (await stack.http.get(f"{page}/slots")).json()
    assert offered["timezone"] == "Europe/London"
    starts = [datetime.fromisoformat(s["start"]) for s in offered["slots"]]
    assert starts == [tomorrow(9), tomorrow(9, 15), tomorrow(9, 30)]

    booked = await stack.http.post(
        f"{page}/modules/book/book", json={"start": tomorrow(9, 15).isoformat()}
    )
    assert booked.status_code == 200, booked.text
    interview = booked.json()["interview"]
    assert datetime.fromisoformat(interview["end"]) == tomorrow(9, 45)
    assert (interview["interviewer_id"], interview["status"]) == (ana, "booked")
    detail = await stack.wait_for(enrolment_id, "completed")
    assert [i["id"] for i in detail["interviews"]] == [interview["id"]]
    for _ in range(100):  # the confirmation goes out on the campaign's channel
        detail = await stack.enrolment(enrolment_id)
        told = [m for m in detail["messages"] if m["name"] == "interview confirmation"]
        if told:
            break
        await asyncio.sleep(0.05)
    [confirmation] = told
    local = tomorrow(9, 15).astimezone(ZoneInfo("Europe/London"))
    assert f"at {local:%H:%M} (Europe/London)" in confirmation["body"]
    assert "/c/…" in confirmation["body"] and page.split("/")[-1] not in confirmation["body"]
    recruiter_page = (await stack.http.get(f"/ui/enrolments/{enrolment_id}")).text
    assert 'data-testid="interviews"' in recruiter_page and "with Ana" in recruiter_page
    [row] = (await stack.http.get(f"/jobs/{job_id}/applications")).json()["items"]
    assert datetime.fromisoformat(row["interview_at"]) == tomorrow(9, 15)
    [column] = (await stack.http.get(f"/jobs/{job_id}/board")).json()["columns"]
    assert datetime.fromisoformat(column["cards"][0]["interview_at"]) == tomorrow(9, 15)
    day = tomorrow(0).date().isoformat()
    agenda = await stack.http.get(
        f"/ui/jobs/{job_id}/interviews", params={"view": "day", "date": day, "tz": "Europe/Madrid"}
    )
    assert agenda.status_code == 200
    # The times are the recruiter's: 09:15 UTC shows as 10:15 (or 11:15 in summer) in Madrid.
    local = tomorrow(9, 15).astimezone(ZoneInfo("Europe/Madrid"))
    assert f"{local:%H:%M}\u2013" in agenda.text and "Candidate cara" in agenda.text
    assert "times in Europe/Madrid" in agenda.text
    again = await stack.http.post(
        f"{page}/modules/book/book", json={"start": tomorrow(9, 15).isoformat()}
    )
    assert again.status_code == 200 and again.json()["interview"]["id"] == interview["id"]

    listed = await stack.http.get(
        "/interviews",
        params={
            "job_id": job_id,
            "from": tomorrow(0).isoformat(),
            "to": tomorrow(23).isoformat(),
        },
    )
    assert [i["id"] for i in listed.json()["interviews"]] == [interview["id"]]
    shown = (await stack.http.get(f"/interviews/{interview['id']}")).json()
    assert (shown["enrolment_id"], shown["location"]) == (
        enrolment_id,
        "https://meet.example.com/abc",
    )

    early = await stack.http.post(f"/interviews/{interview['id']}/no_show")
    assert early.status_code == 409
    cancelled = await stack.http.post(f"/interviews/{interview['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["sequence"] == 1
    assert (await stack.http.get(f"{page}/slots")).json()["slots"] != []


async def test_bad_booking_requests_get_clear_errors(stack: Stack) -> None:
    ana = await interviewer(stack, "ana")
    await free(stack, ana, (tomorrow(9), tomorrow(10)))
    job_id = await scheduling_job(stack, [ana])
    enrolment_id, page = await enrol(stack, job_id, "dan")
    await stack.wait_for(enrolment_id, "delivered")
    for body in ({"start": "tomorrow"}, {"start": "2027-03-14T09:00:00"}, {}):
        refused = await stack.http.post(f"{page}/modules/book/book", json=body)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_start"
    outside = await stack.http.post(
        f"{page}/modules/book/book", json={"start": tomorrow(15).isoformat()}
    )
    assert outside.status_code == 409 and outside.json()["error"]["code"] == "slot_taken"
    assert len(outside.json()["error"]["details"]["slots"]) == 3
    unknown = await stack.http.post(
        f"{page}/modules/nope/book", json={"start": tomorrow(9).isoformat()}
    )
    assert unknown.status_code == 404


async def test_the_page_lists_the_slots_by_day_and_books_one_without_javascript(
    stack: Stack,
) -> None:
    ana = await interviewer(stack, "ana")
    await free(stack, ana, (tomorrow(9), tomorrow(9, 30)))
    job_id = await scheduling_job(stack, [ana])
    enrolment_id, page = await enrol(stack, job_id, "eva")
    await stack.wait_for(enrolment_id, "delivered")
    started = await stack.http.post(f"{page}/modules/book/start", data={})
    assert started.status_code == 303
    screen = (await stack.http.get(page)).text
    local = tomorrow(9).astimezone(ZoneInfo("Europe/London"))
    assert f'value="{local.isoformat()}"' in screen and "Times are in Europe/London" in screen
    assert local.strftime("%H:%M") in screen
    booked = await stack.http.post(f"{page}/modules/book/book", data={"start": local.isoformat()})
    assert booked.status_code == 303
    await stack.wait_for(enrolment_id, "completed")
    assert "Thank you" in (await stack.http.get(page)).text


async def test_auto_match_waits_only_without_a_free_slot_and_availability_releases_it(
    stack: Stack,
) -> None:
    ana = await interviewer(stack, "ana")
    job_id = await scheduling_job(stack, [ana], auto_match=True)
    [waiting] = await stack.send_event(
        stack.ats_event(job_id=job_id, stage_id="interview", application="a-w", candidate="w")
    )
    assert waiting["status"] == "auto_match"

    released = await stack.http.put(
        f"/interviewers/{ana}/availability",
        json={"windows": [{"start": tomorrow(9).isoformat(), "end": tomorrow(10).isoformat()}]},
    )
    assert released.json() == {"windows": 1, "released_candidates": 1}
    await stack.wait_for(waiting["id"], "delivered")
    [at_once] = await stack.send_event(
        stack.ats_event(job_id=job_id, stage_id="interview", application="a-n", candidate="n")
    )
    assert at_once["status"] == "sending"  # a slot is free: the request goes out at once


async def test_the_availability_webhook_adds_windows_to_the_calendar(stack: Stack) -> None:
    ana = await interviewer(stack, "ana")
    await free(stack, ana, (tomorrow(9), tomorrow(9, 30)))
    job_id = await scheduling_job(stack, [ana])
    enrolment_id, page = await enrol(stack, job_id, "fay")
    await stack.wait_for(enrolment_id, "delivered")
    webhook = {
        "id": f"avl-{stack.run_id}",
        "job_id": job_id,
        "stage_id": "interview",
        "interviewer_id": ana,
        "slots": [{"start": tomorrow(13).isoformat(), "end": tomorrow(13, 30).isoformat()}],
    }
    for _ in range(2):  # a repeat changes nothing
        response = await stack.http.post("/webhooks/interviewer-availability", json=webhook)
        assert response.status_code == 202, response.text
    slots = (await stack.http.get(f"{page}/slots")).json()["slots"]
    assert [datetime.fromisoformat(s["start"]) for s in slots] == [tomorrow(9), tomorrow(13)]
    backwards = webhook | {
        "id": "avl-bad",
        "slots": [{"start": tomorrow(14).isoformat(), "end": tomorrow(13).isoformat()}],
    }
    refused = await stack.http.post("/webhooks/interviewer-availability", json=backwards)
    assert refused.status_code == 422


def calendar_of(mail: EmailMessage) -> Calendar:
    """The invitation an e-mail carries, parsed back with ``icalendar``."""
    [part] = [p for p in mail.walk() if p.get_filename() == "invite.ics"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


async def test_invitations_go_to_the_interviewer_and_the_candidate_once_per_change(
    open_stack: StackFactory,
) -> None:
    with fake_mail_server() as mail:
        async with open_stack(
            smtp_url=mail.url, email_from="Acme Interviews <interviews@acme.example>"
        ) as stack:
            ana = await interviewer(stack, "ana")
            await free(stack, ana, (tomorrow(9), tomorrow(10)))
            job_id = await scheduling_job(stack, [ana])
            event = stack.ats_event(
                job_id=job_id, stage_id="interview", application="a-g", candidate="gus"
            )
            event["candidate"]["email"] = "gus@example.com"
            [enrolment] = await stack.send_event(event)
            await stack.wait_for(enrolment["id"], "delivered")
            page = enrolment["link"][enrolment["link"].index("/c/") :]
            booked = await stack.http.post(
                f"{page}/modules/book/book", json={"start": tomorrow(9).isoformat()}
            )
            interview_id = booked.json()["interview"]["id"]
            await until(lambda: len(mail.received) >= 2)
            cancelled = await stack.http.post(f"/interviews/{interview_id}/cancel")
            assert cancelled.status_code == 200
            await until(lambda: len(mail.received) >= 4)
            await asyncio.sleep(0.5)  # nothing more comes

    assert sorted(m["To"] for m in mail.received) == sorted(
        ["ana@example.com", "gus@example.com"] * 2
    )
    by_method: dict[str, list[Any]] = {"REQUEST": [], "CANCEL": []}
    for message in mail.received:
        calendar = calendar_of(message)
        [vevent] = calendar.walk("VEVENT")
        by_method[str(calendar["METHOD"])].append(vevent)
        assert str(vevent["UID"]) == f"{interview_id}@enrolments.invalid"
        assert vevent.decoded("DTSTART") == tomorrow(9)
        assert str(vevent["LOCATION"]) == "https://meet.example.com/abc"
        attendees = sorted(str(a) for a in vevent.get("ATTENDEE"))
        assert attendees == ["mailto:ana@example.com", "mailto:gus@example.com"]
    assert [int(v["SEQUENCE"]) for v in by_method["REQUEST"]] == [0, 0]
    assert [int(v["SEQUENCE"]) for v in by_method["CANCEL"]] == [1, 1]
    assert all(str(v["STATUS"]) == "CANCELLED" for v in by_method["CANCEL"])


async def until(check: Callable[[], bool], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.05)


def feed(*events: str) -> str:
    return "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Feed//EN", *events, "END:VCALENDAR"]
    )


def event(uid: str, *lines: str) -> str:
    return "\r\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT"]
    )


async def test_busy_times_of_the_calendar_feed_are_not_offered_and_an_unreachable_one_offers_none(
    stack: Stack,
) -> None:
    day = tomorrow(0)
    stamp = f"{day:%Y%m%d}"
    calendars = FakeCalendars()
    calendars.feeds["ana.ics"] = feed(
        # A weekly stand-up that started last week, recurring into tomorrow (09:00-09:30 UTC).
        event(
            "standup",
            f"DTSTART:{day - timedelta(days=7):%Y%m%d}T090000Z",
            f"DTEND:{day - timedelta(days=7):%Y%m%d}T093000Z",
            "RRULE:FREQ=WEEKLY",
        ),
        # "Show as free": it takes no time.
        event("lunch", f"DTSTART:{stamp}T100000Z", f"DTEND:{stamp}T110000Z", "TRANSP:TRANSPARENT"),
        # An all-day event the day after: busy all day in Ana's zone.
        event(
            "offsite",
            f"DTSTART;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=2):%Y%m%d}",
        ),
    )
    async with serving(calendars.app()) as base:
        ana = await interviewer(stack, "ana", calendar_ics_url=f"{base}/ana.ics")
        bo = await interviewer(stack, "bo", calendar_ics_url=f"{base}/broken")
        await free(
            stack,
            ana,
            (tomorrow(9), tomorrow(11)),
            (day + timedelta(days=1, hours=9), day + timedelta(days=1, hours=10)),
        )
        await free(stack, bo, (tomorrow(12), tomorrow(13)))
        job_id = await scheduling_job(stack, [ana, bo])
        enrolment_id, page = await enrol(stack, job_id, "hal")
        await stack.wait_for(enrolment_id, "delivered")
        slots = (await stack.http.get(f"{page}/slots")).json()["slots"]
        starts = [datetime.fromisoformat(s["start"]) for s in slots]
        assert starts[0] == tomorrow(9, 30) and tomorrow(9) not in starts
        assert tomorrow(10) in starts  # the transparent lunch leaves the time free
        assert all(s < tomorrow(12) for s in starts)  # Bo's calendar cannot be read
        assert not any(s.date() == (day + timedelta(days=1)).date() for s in starts)  # the offsite

        shown = (await stack.http.get(f"/interviewers/{bo}")).json()["calendar"]
        assert shown["feed"] == "unreachable" and "500" in shown["feed_error"]
        assert (await stack.http.get(f"/interviewers/{ana}")).json()["calendar"]["feed"] == "ok"
        agenda = (await stack.http.get(f"/ui/jobs/{job_id}/interviews")).text
        assert 'data-feed="unreachable"><strong>Bo</strong>' in agenda
        assert "calendar unreachable" in agenda and 'data-feed="ok"><strong>Ana' in agenda
        busy = await stack.http.post(
            f"{page}/modules/book/book", json={"start": tomorrow(9).isoformat()}
        )
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "slot_taken"


async def test_the_candidate_moves_their_interview_twice_then_cancels_it_from_their_page(
    stack: Stack,
) -> None:
    ana = await interviewer(stack, "ana")
    await free(stack, ana, (tomorrow(9), tomorrow(11)))
    job_id = await scheduling_job(stack, [ana])
    enrolment_id, page = await enrol(stack, job_id, "ivy")
    await stack.wait_for(enrolment_id, "delivered")
    booked = await stack.http.post(
        f"{page}/modules/book/book", data={"start": tomorrow(9).isoformat()}
    )
    assert booked.status_code == 303
    await stack.wait_for(enrolment_id, "completed")
    interview_id = (await stack.enrolment(enrolment_id))["interviews"][0]["id"]

    thanks = (await stack.http.get(page)).text
    assert "Your interview" in thanks and "09:00" in thanks and 'id="change"' in thanks
    confirmed = await stack.http.post(f"{page}/interviews/{interview_id}/confirm", data={})
    assert confirmed.status_code == 303
    assert 'id="confirmed"' in (await stack.http.get(page)).text
    assert (await stack.http.get(f"/interviews/{interview_id}")).json()["status"] == "confirmed"
    choosing = (await stack.http.get(page, params={"change": "1"})).text
    ten = tomorrow(10).astimezone(ZoneInfo("Europe/London")).isoformat()
    assert f'value="{ten}"' in choosing and f"/interviews/{interview_id}/reschedule" in choosing

    moved = await stack.http.post(
        f"{page}/interviews/{interview_id}/reschedule", data={"start": ten}
    )
    assert moved.status_code == 303
    again = await stack.http.post(
        f"{page}/interviews/{interview_id}/reschedule", json={"start": tomorrow(10, 30).isoformat()}
    )
    assert again.status_code == 200 and again.json()["interview"]["id"] == interview_id
    third = await stack.http.post(
        f"{page}/interviews/{interview_id}/reschedule", json={"start": tomorrow(9).isoformat()}
    )
    assert third.status_code == 409 and third.json()["error"]["code"] == "too_many_changes"
    assert "contact the recruiter" in (await stack.http.get(page)).text
    shown = (await stack.http.get(f"/interviews/{interview_id}")).json()
    assert datetime.fromisoformat(shown["start"]) == tomorrow(10, 30)
    assert (shown["sequence"], shown["changes"]) == (2, 2)

    someone_elses = await stack.http.post(f"{page}/interviews/itv_nobody/cancel", json={})
    assert someone_elses.status_code == 404
    cancelled = await stack.http.post(f"{page}/interviews/{interview_id}/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.json()["interview"]["status"] == "cancelled"
    offered = (await stack.http.get(page)).text
    assert (
        "Pick a new time" in offered
        and 'id="rebook"' in offered
        and 'id="interview"' not in offered
    )
    # After a cancellation, by the candidate or the recruiter, the page books a new one.
    rebooked = await stack.http.post(
        f"{page}/modules/book/book", json={"start": tomorrow(9, 45).isoformat()}
    )
    assert rebooked.status_code == 200, rebooked.text
    assert rebooked.json()["interview"]["id"] != interview_id  # a new interview, a new UID
    assert (await stack.enrolment(enrolment_id))["status"] == "completed"
    assert 'id="interview"' in (await stack.http.get(page)).text


async def test_the_interviewer_ticks_their_hours_on_their_own_page_and_waiting_candidates_go(
    stack: Stack,
) -> None:
    ana = await interviewer(stack, "ana")
    job_id = await scheduling_job(stack, [ana], auto_match=True)
    [waiting] = await stack.send_event(
        stack.ats_event(job_id=job_id, stage_id="interview", application="a-j", candidate="jo")
    )
    assert waiting["status"] == "auto_match"
    link = interviewer_link(stack.settings, ana)
    page = link[link.index("/i/") :]
    shown = await stack.http.get(page)
    assert shown.status_code == 200 and "Times are in Europe/Madrid" in shown.text
    assert shown.text.count('type="checkbox"') == 14 * 14 and "checked" not in shown.text

    madrid = ZoneInfo("Europe/Madrid")
    day = datetime.now(madrid).date() + timedelta(days=2)
    nine, ten = (datetime(day.year, day.month, day.day, h, tzinfo=madrid) for h in (9, 10))
    saved = await stack.http.post(
        page,
        data={
            "free": [nine.isoformat(), ten.isoformat(), "not a time", "2001-01-01T09:00:00+00:00"]
        },
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    again = (await stack.http.get(page, params={"saved": "1"})).text
    assert again.count("checked") == 2 and 'id="saved"' in again
    calendar = (await stack.http.get(f"/interviewers/{ana}")).json()["calendar"]
    assert calendar["windows"] == 1  # 09:00 and 10:00 are one window
    await stack.wait_for(waiting["id"], "delivered")

    assert (await stack.http.get(f"/i/{'x' * 22}")).status_code == 404


async def test_waiting_candidates_get_their_interviewer_one_email_with_their_own_link(
    open_stack: StackFactory,
) -> None:
    with fake_mail_server() as mail:
        async with open_stack(smtp_url=mail.url, email_from="interviews@acme.example") as stack:
            ana = await interviewer(stack, "ana")
            job_id = await scheduling_job(stack, [ana], auto_match=True)
            for name in ("kim", "lee"):
                [waiting] = await stack.send_event(
                    stack.ats_event(
                        job_id=job_id, stage_id="interview", application=f"a-{name}", candidate=name
                    )
                )
                assert waiting["status"] == "auto_match"
            await until(lambda: len(mail.received) >= 1)
            await asyncio.sleep(0.5)  # and no second one
            asked = (await stack.http.get(f"/interviewers/{ana}")).json()["calendar"]
            assert asked["availability_requested_at"] is not None
            agenda = (await stack.http.get(f"/ui/jobs/{job_id}/interviews")).text
            assert "2 candidates wait on <strong>Ana</strong>" in agenda and "asked" in agenda
            await free(stack, ana, (tomorrow(9), tomorrow(10)))
            answered = (await stack.http.get(f"/interviewers/{ana}")).json()["calendar"]
            assert answered["availability_requested_at"] is None
            link = interviewer_link(stack.settings, ana)

    [request] = mail.received
    assert request["To"] == "ana@example.com"
    assert request["Subject"] == "When are you free to interview?"
    body = request.get_body(("plain",))
    assert body is not None and link in body.get_content()


async def test_an_enrolment_holds_one_interview_whoever_else_is_free(stack: Stack) -> None:
    ana = await interviewer(stack, "ana")
    bo = await interviewer(stack, "bo")
    await free(stack, ana, (tomorrow(9), tomorrow(9, 30)))
    await free(stack, bo, (tomorrow(10), tomorrow(10, 30)))
    job_id = await scheduling_job(stack, [ana, bo])
    enrolment_id, page = await enrol(stack, job_id, "max")
    await stack.wait_for(enrolment_id, "delivered")
    first = await stack.http.post(
        f"{page}/modules/book/book", json={"start": tomorrow(9).isoformat()}
    )
    assert first.status_code == 200 and first.json()["interview"]["interviewer_id"] == ana
    again = await stack.http.post(
        f"{page}/modules/book/book", json={"start": tomorrow(9).isoformat()}
    )
    assert again.json()["interview"]["id"] == first.json()["interview"]["id"]  # a repeat
    other = await stack.http.post(
        f"{page}/modules/book/book", json={"start": tomorrow(10).isoformat()}
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "already_booked"
    assert len((await stack.enrolment(enrolment_id))["interviews"]) == 1
