"""Phone numbers as most ATSs and spreadsheets of one country hold them: national format, read
in the deployment's region (``ENROLMENTS_DEFAULT_REGION``) or the job's own."""

from __future__ import annotations

import pytest

from tests.api.conftest import StackFactory, blast_campaign

pytestmark = pytest.mark.devserver


async def test_a_national_number_reads_in_the_jobs_region_else_the_deployments(
    open_stack: StackFactory,
) -> None:
    async with open_stack(default_region="AU") as stack:
        campaign = await stack.put_campaign("c", blast_campaign())
        stage = [{"id": "s1", "name": "S", "campaign_id": campaign}]
        sydney = await stack.put_job("sydney", stage)
        london = stack.id("london")
        saved = await stack.http.put(
            f"/jobs/{london}", json={"name": "London", "stages": stage, "default_region": "gb"}
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["default_region"] == "GB"
        refused = await stack.http.put(
            f"/jobs/{london}", json={"name": "London", "stages": stage, "default_region": "XX"}
        )
        assert refused.status_code == 422

        au = stack.ats_event(job_id=sydney, stage_id="s1", application="a1", candidate="c1")
        au["candidate"]["phone"] = "0412 345 678"
        gb = stack.ats_event(job_id=london, stage_id="s1", application="a2", candidate="c2")
        gb["candidate"]["phone"] = "07911 123456"
        [in_sydney] = await stack.send_event(au)
        [in_london] = await stack.send_event(gb)

        sent_au = await stack.wait_for(in_sydney["id"], "delivered")
        sent_gb = await stack.wait_for(in_london["id"], "delivered")
        assert sent_au["messages"][0]["recipient"] == "+61412345678"
        assert sent_gb["messages"][0]["recipient"] == "+447911123456"


async def test_without_a_region_a_national_number_fails_at_once(open_stack: StackFactory) -> None:
    async with open_stack() as stack:
        campaign = await stack.put_campaign("c", blast_campaign())
        job = await stack.put_job("nowhere", [{"id": "s1", "name": "S", "campaign_id": campaign}])
        event = stack.ats_event(job_id=job, stage_id="s1", application="a1", candidate="c1")
        event["candidate"]["phone"] = "0412 345 678"
        [enrolment] = await stack.send_event(event)
        assert enrolment["status"] == "failed", "known at once, not when the send is tried"
        shown = await stack.enrolment(enrolment["id"])
        assert shown["status_reason"] == "invalid_phone_number"
        assert shown["messages"] == []
