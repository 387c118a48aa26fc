"""Deleting a campaign: one no stage links goes (the API's ``DELETE /campaigns/{id}`` and the
editor's button, audited); one a stage links stays, with the stages named; and however a job
save linking it races the delete, no stage is ever left linking a campaign that is gone (the
database's foreign key decides). On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.conftest import Stack, blast_campaign

pytestmark = pytest.mark.devserver


@pytest.fixture
def api_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


async def test_a_campaign_no_stage_links_can_be_deleted(stack: Stack) -> None:
    used = await stack.put_campaign("used", blast_campaign())
    unused = await stack.put_campaign("unused", blast_campaign())
    job_id = await stack.put_job("uses", [{"id": "s1", "name": "Applied", "campaign_id": used}])

    listing = (await stack.http.get("/ui/campaigns")).text
    row = listing[listing.index(f'data-campaign-id="{used}"') :]
    assert f"/ui/jobs/{job_id}" in row[: row.index("</tr>")]

    refused = await stack.http.delete(f"/campaigns/{used}")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "campaign_in_use"
    assert refused.json()["error"]["details"] == [{"job_id": job_id, "stage_id": "s1"}]
    page = await stack.http.post(f"/ui/campaigns/{used}/delete")
    assert page.status_code == 409 and "unlink it from every stage first" in page.text

    deleted = await stack.http.post(f"/ui/campaigns/{unused}/delete")
    assert deleted.status_code == 303
    assert (await stack.http.get(f"/campaigns/{unused}")).status_code == 404
    assert (await stack.http.delete(f"/campaigns/{unused}")).status_code == 404
    audit = (await stack.http.get("/audit?limit=5")).json()["entries"]
    assert (audit[0]["action"], audit[0]["target"]) == ("campaign.deleted", unused)


async def test_a_delete_racing_a_job_save_never_leaves_a_stage_without_its_campaign(
    stack: Stack,
) -> None:
    for trial in range(6):
        campaign_id = await stack.put_campaign(f"race-{trial}", blast_campaign())
        job_id = stack.id(f"race-{trial}")
        stages = [{"id": "s1", "name": "Applied", "campaign_id": campaign_id}]
        saved, deleted = await asyncio.gather(
            stack.http.put(f"/jobs/{job_id}", json={"name": "Race", "stages": stages}),
            stack.http.delete(f"/campaigns/{campaign_id}"),
        )
        assert sorted([saved.status_code, deleted.status_code]) in ([200, 409], [204, 422])
        campaign = await stack.http.get(f"/campaigns/{campaign_id}")
        job = await stack.http.get(f"/jobs/{job_id}")
        if job.status_code == 200:
            assert campaign.status_code == 200, "a stage links a campaign that is gone"
