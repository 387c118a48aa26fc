"""Every status, driven only over HTTP: configure, send ATS events and webhooks, read views.

(``expired`` needs seven days to pass: it is covered on the time-skipping server in
``tests/workflows``.)
"""

from __future__ import annotations

import pytest

from tests.api.conftest import (
    INVALID_PHONE,
    Stack,
    blast_campaign,
    multi_module_campaign,
    schedule_campaign,
)

pytestmark = pytest.mark.devserver


def statuses_of(enrolment: dict[str, object]) -> list[str]:
    """The distinct statuses of an enrolment's timeline, in order."""
    timeline = enrolment["timeline"]
    assert isinstance(timeline, list)
    seen: list[str] = []
    for entry in timeline:
        if not seen or seen[-1] != entry["status"]:
            seen.append(entry["status"])
    return seen


async def test_blast_is_sent_then_delivered(stack: Stack) -> None:
    rejection = await stack.put_campaign("rejection", blast_campaign())
    job = await stack.put_job(
        "engineer",
        [
            {"id": "applied", "name": "Applied", "campaign_id": None},
            {"id": "rejected", "name": "Rejected", "campaign_id": rejection},
        ],
    )

    [enrolment] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="rejected", application="app", candidate="ana")
    )

    assert enrolment["status"] == "sending"
    assert enrolment["campaign_id"] == rejection
    assert enrolment["application_id"] == stack.id("app")
    delivered = await stack.wait_for(enrolment["id"], "delivered")
    assert statuses_of(delivered) == ["sending", "delivered"]
    assert [m["message_number"] for m in delivered["messages"]] == [1]
    table = (await stack.http.get(f"/jobs/{job}/applications")).json()
    assert [(i["application_id"], i["status"]) for i in table["items"]] == [
        (stack.id("app"), "delivered")
    ]
    assert table["items"][0]["candidate_name"] == "Candidate ana"


async def test_multi_module_goes_in_progress_then_completed(stack: Stack) -> None:
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=2))
    job = await stack.put_job(
        "designer", [{"id": "screen", "name": "Screen", "campaign_id": screening}]
    )
    [enrolment] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="screen", application="app", candidate="bo")
    )
    enrolment_id = enrolment["id"]
    await stack.wait_for(enrolment_id, "delivered")

    assert (await stack.progress(enrolment_id, "m1", "started")).status_code == 202
    await stack.wait_for(enrolment_id, "in_progress")
    assert (await stack.progress(enrolment_id, "m1", "completed")).status_code == 202
    assert (await stack.progress(enrolment_id, "m2", "completed")).status_code == 202
    completed = await stack.wait_for(enrolment_id, "completed")

    assert statuses_of(completed) == ["sending", "delivered", "in_progress", "completed"]
    assert completed["timeline"] == sorted(completed["timeline"], key=lambda t: t["seq"])
    board = (await stack.http.get(f"/jobs/{job}/board")).json()
    [column] = board["columns"]
    assert [c["status"] for c in column["cards"]] == ["completed"]
    assert column["counts"] == {"completed": 1}


async def test_second_campaign_waits_queued_until_first_completes(stack: Stack) -> None:
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=1))
    rejection = await stack.put_campaign("rejection", blast_campaign())
    first_job = await stack.put_job(
        "first", [{"id": "screen", "name": "Screen", "campaign_id": screening}]
    )
    second_job = await stack.put_job(
        "second", [{"id": "rejected", "name": "Rejected", "campaign_id": rejection}]
    )
    [running] = await stack.send_event(
        stack.ats_event(job_id=first_job, stage_id="screen", application="a1", candidate="cy")
    )
    await stack.wait_for(running["id"], "delivered")

    [waiting] = await stack.send_event(
        stack.ats_event(job_id=second_job, stage_id="rejected", application="a2", candidate="cy")
    )
    assert waiting["status"] == "queued"

    await stack.progress(running["id"], "m1", "completed")
    await stack.wait_for(running["id"], "completed")
    sent = await stack.wait_for(waiting["id"], "delivered")
    assert statuses_of(sent) == ["queued", "sending", "delivered"]


async def test_auto_match_waits_for_interviewer_availability(stack: Stack) -> None:
    booking = await stack.put_campaign("booking", schedule_campaign())
    job = await stack.put_job(
        "nurse",
        [
            {
                "id": "interview",
                "name": "Interview",
                "campaign_id": booking,
                "interview_settings": {"auto_match": True},
            }
        ],
    )
    enrolled = [
        (
            await stack.send_event(
                stack.ats_event(
                    job_id=job, stage_id="interview", application=f"a{i}", candidate=f"c{i}"
                )
            )
        )[0]
        for i in range(2)
    ]
    assert [e["status"] for e in enrolled] == ["auto_match", "auto_match"]

    response = await stack.http.post(
        "/webhooks/interviewer-availability",
        json={
            "id": "avail-1",
            "job_id": job,
            "stage_id": "interview",
            "interviewer_id": "int-7",
            "slots": [{"start": "2030-01-06T09:00:00Z", "end": "2030-01-06T10:00:00Z"}],
        },
    )

    assert response.status_code == 202, response.text
    assert response.json()["candidates"] == 2
    for enrolment in enrolled:
        delivered = await stack.wait_for(enrolment["id"], "delivered")
        assert statuses_of(delivered) == ["auto_match", "sending", "delivered"]


async def test_withdrawal_cancels_what_was_not_sent(stack: Stack) -> None:
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=1))
    rejection = await stack.put_campaign("rejection", blast_campaign())
    first = await stack.put_job("first", [{"id": "s", "name": "Screen", "campaign_id": screening}])
    second = await stack.put_job(
        "second", [{"id": "r", "name": "Reject", "campaign_id": rejection}]
    )
    [running] = await stack.send_event(
        stack.ats_event(job_id=first, stage_id="s", application="a1", candidate="dee")
    )
    await stack.wait_for(running["id"], "delivered")
    [queued] = await stack.send_event(
        stack.ats_event(job_id=second, stage_id="r", application="a2", candidate="dee")
    )
    assert queued["status"] == "queued"

    answer = await stack.send_event(
        stack.ats_event(
            job_id=second,
            stage_id="r",
            application="a2",
            candidate="dee",
            type="application.withdrawn",
        )
    )

    assert [(e["id"], e["status"]) for e in answer] == [(queued["id"], "cancelled")]
    cancelled = await stack.wait_for(queued["id"], "cancelled")
    assert cancelled["status_reason"] == "application_withdrawn"
    assert (await stack.enrolment(running["id"]))["status"] == "delivered"
    table = (await stack.http.get(f"/jobs/{second}/applications")).json()
    assert [(i["status"], i["withdrawn"]) for i in table["items"]] == [("cancelled", True)]


async def test_withdrawal_releases_the_running_campaign(stack: Stack) -> None:
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=1))
    job = await stack.put_job("job", [{"id": "s", "name": "Screen", "campaign_id": screening}])
    [running] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="s", application="a1", candidate="eve")
    )
    await stack.wait_for(running["id"], "delivered")

    await stack.send_event(
        stack.ats_event(
            job_id=job,
            stage_id="s",
            application="a1",
            candidate="eve",
            type="application.withdrawn",
        )
    )

    await stack.wait_for(running["id"], "cancelled")


async def test_withdrawal_of_a_candidate_never_enrolled_changes_nothing(stack: Stack) -> None:
    job = await stack.put_job("job", [{"id": "applied", "name": "Applied"}])

    answer = await stack.send_event(
        stack.ats_event(
            job_id=job,
            stage_id="applied",
            application="a1",
            candidate="nobody",
            type="application.withdrawn",
        )
    )

    assert answer == []


async def test_invalid_phone_fails_with_a_reason(stack: Stack) -> None:
    rejection = await stack.put_campaign("rejection", blast_campaign())
    job = await stack.put_job("job", [{"id": "r", "name": "Rejected", "campaign_id": rejection}])

    [enrolment] = await stack.send_event(
        stack.ats_event(
            job_id=job, stage_id="r", application="a1", candidate="fay", phone=INVALID_PHONE
        )
    )

    failed = await stack.wait_for(enrolment["id"], "failed")
    assert failed["status_reason"] == "invalid_phone_number"
    table = (await stack.http.get(f"/jobs/{job}/applications?status=failed")).json()
    assert [i["status_reason"] for i in table["items"]] == ["invalid_phone_number"]


async def test_stage_without_campaign_enrols_nothing(stack: Stack) -> None:
    job = await stack.put_job("job", [{"id": "applied", "name": "Applied", "campaign_id": None}])

    answer = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="applied", application="a1", candidate="gus")
    )

    assert answer == []
    [item] = (await stack.http.get(f"/jobs/{job}/applications")).json()["items"]
    assert item["stage_id"] == "applied"
    assert item["status"] is None
    assert item["enrolment_id"] is None


async def test_moving_on_cancels_the_previous_stages_unsent_enrolment(stack: Stack) -> None:
    booking = await stack.put_campaign("booking", schedule_campaign())
    job = await stack.put_job(
        "job",
        [
            {
                "id": "interview",
                "name": "Interview",
                "campaign_id": booking,
                "interview_settings": {"auto_match": True},
            },
            {"id": "offer", "name": "Offer", "campaign_id": None},
        ],
    )
    [waiting] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="interview", application="a1", candidate="hal")
    )

    await stack.send_event(
        stack.ats_event(
            job_id=job,
            stage_id="offer",
            application="a1",
            candidate="hal",
            type="application.stage_changed",
        )
    )

    cancelled = await stack.wait_for(waiting["id"], "cancelled")
    assert cancelled["status_reason"] == "left_stage"
    [item] = (await stack.http.get(f"/jobs/{job}/applications")).json()["items"]
    assert (item["stage_id"], item["enrolment_id"]) == ("offer", None)


async def test_twilio_reports_an_undelivered_message(stack: Stack) -> None:
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=1))
    job = await stack.put_job("job", [{"id": "s", "name": "Screen", "campaign_id": screening}])
    [enrolment] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="s", application="a1", candidate="ida")
    )
    delivered = await stack.wait_for(enrolment["id"], "delivered")
    sid = delivered["messages"][0]["provider_message_id"]

    sent = await stack.http.post(
        "/webhooks/twilio/status", data={"MessageSid": sid, "MessageStatus": "sent"}
    )
    undelivered = await stack.http.post(
        "/webhooks/twilio/status",
        data={"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30005"},
    )

    assert sent.status_code == 200, sent.text
    assert undelivered.status_code == 200, undelivered.text
    failed = await stack.wait_for(enrolment["id"], "failed")
    assert failed["status_reason"] == "unreachable"
    assert "30005" in failed["timeline"][-1]["detail"]
    [message] = failed["messages"]
    assert (message["status"], message["error_code"]) == ("undelivered", "30005")


async def test_stop_reply_opts_out_and_start_opts_back_in(stack: Stack) -> None:
    rejection = await stack.put_campaign("rejection", blast_campaign())
    job = await stack.put_job("job", [{"id": "r", "name": "Rejected", "campaign_id": rejection}])

    stop = await stack.http.post(
        "/webhooks/twilio/inbound",
        data={"From": "+14155550123", "Body": " stop ", "MessageSid": "SM1"},
    )
    assert stop.status_code == 200
    assert stop.headers["content-type"].startswith("application/xml")
    assert "<Response>" in stop.text
    [refused] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="r", application="a1", candidate="jo")
    )
    assert (await stack.wait_for(refused["id"], "failed"))["status_reason"] == "opted_out"

    await stack.http.post(
        "/webhooks/twilio/inbound", data={"From": "+14155550123", "Body": "START"}
    )
    [sent] = await stack.send_event(
        stack.ats_event(job_id=job, stage_id="r", application="a2", candidate="kim")
    )
    await stack.wait_for(sent["id"], "delivered")
