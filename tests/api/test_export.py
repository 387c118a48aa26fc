"""The Table's search and its CSV export (streamed, formula-safe, audited)."""

from __future__ import annotations

import csv
import io

import pytest

from api.routes.views import spreadsheet_safe
from tests.api.conftest import Stack, blast_campaign


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(1,1)", "\t=1+1", "\r=1+1", "\t@A1"])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(cell: str) -> None:
    assert spreadsheet_safe(cell) == "'" + cell
    assert spreadsheet_safe("Ada " + cell) == "Ada " + cell


async def test_search_finds_by_name_or_phone_and_the_export_follows_the_filter(
    stack: Stack,
) -> None:
    campaign_id = await stack.put_campaign("c", blast_campaign())
    job_id = await stack.put_job("search", [{"id": "s1", "name": "S", "campaign_id": campaign_id}])
    people = [
        ("Ada Lovelace", "+1 (415) 555-0101"),
        ("=HYPERLINK(x)", "+14155550102"),
        ("\t@SUM(1,1)", "+14155550103"),
    ]
    for n, (name, phone) in enumerate(people):
        body = stack.ats_event(job_id=job_id, stage_id="s1", application=f"a{n}", candidate=f"c{n}")
        body["candidate"] |= {"name": name, "phone": phone}
        await stack.send_event(body)

    async def found(q: str) -> list[str]:
        page = await stack.http.get(f"/jobs/{job_id}/applications", params={"q": q})
        assert page.status_code == 200, page.text
        return [item["candidate_name"] for item in page.json()["items"]]

    assert await found("LOVE") == ["Ada Lovelace"]
    assert await found("4155550101") == ["Ada Lovelace"]
    assert await found("555-0102") == ["=HYPERLINK(x)"]
    assert await found("nobody") == []
    assert len(await found("")) == 3
    too_long = await stack.http.get(f"/jobs/{job_id}/applications", params={"q": "x" * 101})
    assert too_long.status_code == 422

    exported = await stack.http.get(f"/jobs/{job_id}/applications.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    names = sorted(row["candidate_name"] for row in rows)
    assert names == ["'\t@SUM(1,1)", "'=HYPERLINK(x)", "Ada Lovelace"], "formulas are text"
    # The export carries how to reach each candidate; a leading + stays text, not a formula.
    ada = next(row for row in rows if row["candidate_name"] == "Ada Lovelace")
    assert (ada["candidate_phone"], ada["candidate_email"]) == ("'+1 (415) 555-0101", "")
    table = (await stack.http.get(f"/jobs/{job_id}/applications")).json()["items"][0]
    assert "candidate_phone" not in table, "the polled Table view leaves contacts out"
    filtered = await stack.http.get(f"/jobs/{job_id}/applications.csv", params={"q": "ada"})
    assert len(list(csv.DictReader(io.StringIO(filtered.text)))) == 1
    assert (await stack.http.get("/jobs/nope/applications.csv")).status_code == 404
    audit = (await stack.http.get("/audit")).json()["entries"]
    assert [e["action"] for e in audit].count("applications.exported") == 2


async def test_polled_views_answer_304_when_nothing_changed(stack: Stack) -> None:
    campaign_id = await stack.put_campaign("c", blast_campaign())
    job_id = await stack.put_job("etag", [{"id": "s1", "name": "S", "campaign_id": campaign_id}])
    [enrolment] = await stack.send_event(
        stack.ats_event(job_id=job_id, stage_id="s1", application="a", candidate="c")
    )
    await stack.wait_for(enrolment["id"], "delivered")
    for path in (
        f"/jobs/{job_id}/applications",
        f"/jobs/{job_id}/board",
        f"/enrolments/{enrolment['id']}",
    ):
        first = await stack.http.get(path)
        etag = first.headers["etag"]
        again = await stack.http.get(path, headers={"If-None-Match": etag})
        assert (again.status_code, again.content) == (304, b""), path
        stale = await stack.http.get(path, headers={"If-None-Match": '"old"'})
        assert stale.status_code == 200 and stale.json() == first.json(), path
