"""A recruiter fixes a candidate's number and re-enrols the failed campaign; cancels another."""

from __future__ import annotations

import asyncio

from tests.api.conftest import (
    INVALID_PHONE,
    VALID_PHONE,
    Stack,
    blast_campaign,
    multi_module_campaign,
)


async def test_fix_the_number_and_resend_a_failed_campaign(stack: Stack) -> None:
    campaign_id = await stack.put_campaign("thanks", blast_campaign())
    job_id = await stack.put_job("fix", [{"id": "s1", "name": "S", "campaign_id": campaign_id}])
    event = stack.ats_event(
        job_id=job_id, stage_id="s1", application="a", candidate="c", phone=INVALID_PHONE
    )
    [failed] = await stack.send_event(event)
    await stack.wait_for(failed["id"], "failed")
    url = f"/enrolments/{failed['id']}/reenrol"

    bad = await stack.http.post(url, json={"phone": "12345"})
    assert bad.status_code == 422, bad.text
    fixed = await stack.http.post(
        url, json={"phone": VALID_PHONE}, headers={"Idempotency-Key": "fix-1"}
    )
    assert fixed.status_code == 201, fixed.text
    new = fixed.json()["enrolment"]
    assert fixed.json()["reenrolment_of"] == failed["id"]
    retried = await stack.http.post(
        url, json={"phone": VALID_PHONE}, headers={"Idempotency-Key": "fix-1"}
    )
    assert retried.json()["enrolment"]["id"] == new["id"], "a retry acts once"
    again = await stack.http.post(url, json={})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_reenrollable"

    delivered = await stack.wait_for(new["id"], "delivered")
    assert delivered["reenrolment_of"] == failed["id"]
    assert delivered["messages"][0]["recipient"] == VALID_PHONE
    assert (await stack.enrolment(failed["id"]))["reenrolled_as"] == new["id"]
    table = (await stack.http.get(f"/jobs/{job_id}/applications")).json()["items"]
    assert [(i["enrolment_id"], i["status"]) for i in table] == [(new["id"], "delivered")]

    audit = (await stack.http.get("/audit")).json()["entries"]
    assert "enrolment.reenrolled" in [e["action"] for e in audit]


async def test_cancel_an_enrolment_that_waits(stack: Stack) -> None:
    screening = await stack.put_campaign(
        "screening",
        {
            "name": "Screening",
            "kind": "multi_module",
            "channel": "sms",
            "messages": ["Hi"],
            "modules": [{"id": "m1", "name": "Q", "type": "question"}],
        },
    )
    job_id = await stack.put_job("cancel", [{"id": "s1", "name": "S", "campaign_id": screening}])
    [running] = await stack.send_event(
        stack.ats_event(job_id=job_id, stage_id="s1", application="a1", candidate="c")
    )
    [waiting] = await stack.send_event(
        stack.ats_event(job_id=job_id, stage_id="s1", application="a2", candidate="c")
    )
    assert waiting["status"] == "queued"

    cancelled = await stack.http.post(f"/enrolments/{waiting['id']}/cancel")

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["enrolment"]["status"] == "cancelled"
    shown = await stack.enrolment(waiting["id"])
    assert shown["status_reason"] == "cancelled_by_recruiter"
    # The enrolment's page says who cancelled it: a recruiter, and which key.
    page = (await stack.http.get(f"/ui/enrolments/{waiting['id']}")).text
    assert "Cancelled by a recruiter" in page
    ended_by = page.split('data-testid="ended-by">', 1)[1].split("</span>", 1)[0]
    assert "admin" in ended_by, ended_by
    twice = await stack.http.post(f"/enrolments/{waiting['id']}/cancel")
    assert twice.status_code == 409
    assert (await stack.http.post("/enrolments/enr_nope/cancel")).status_code == 404
    assert (await stack.enrolment(running["id"]))["status"] in ("sending", "delivered")


async def test_an_idempotency_key_names_one_request_even_when_two_race_with_it(
    stack: Stack,
) -> None:
    screening = await stack.put_campaign("screening", multi_module_campaign())
    job_id = await stack.put_job("keys", [{"id": "s1", "name": "S", "campaign_id": screening}])
    enrolments = []
    for n in range(4):
        [enrolment] = await stack.send_event(
            stack.ats_event(job_id=job_id, stage_id="s1", application=f"a{n}", candidate="c")
        )
        enrolments.append(enrolment["id"])
    first, second, third, fourth = enrolments

    done = await stack.http.post(f"/enrolments/{first}/cancel", headers={"Idempotency-Key": "K"})
    assert done.status_code == 200, done.text
    retried = await stack.http.post(f"/enrolments/{first}/cancel", headers={"Idempotency-Key": "K"})
    assert retried.status_code == 200 and retried.json()["enrolment"]["id"] == first
    reused = await stack.http.post(f"/enrolments/{second}/cancel", headers={"Idempotency-Key": "K"})
    assert reused.status_code == 422, reused.text
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert (await stack.enrolment(second))["status"] != "cancelled", "the reused key did nothing"
    as_reenrol = await stack.http.post(
        f"/enrolments/{first}/reenrol", json={}, headers={"Idempotency-Key": "K"}
    )
    assert as_reenrol.status_code == 422, "a key of a cancel names no re-enrolment"

    # Two requests racing with one new key: one acts, the other is told its key is taken.
    raced = await asyncio.gather(
        *(
            stack.http.post(f"/enrolments/{e}/cancel", headers={"Idempotency-Key": "L"})
            for e in (third, fourth)
        )
    )
    assert sorted(r.status_code for r in raced) == [200, 422], [r.text for r in raced]
    statuses = [(await stack.enrolment(e))["status"] for e in (third, fourth)]
    assert statuses.count("cancelled") == 1, statuses

    audit = (await stack.http.get("/audit")).json()["entries"]
    cancelled = [e["detail"]["enrolment_id"] for e in audit if e["action"] == "enrolment.cancelled"]
    assert sorted(cancelled) == sorted([first, third if statuses[0] == "cancelled" else fourth])
