"""Vendor ATS webhooks over HTTP: signed as each vendor signs, mapped through the jobs' ``ats``
mapping, retried and reordered as vendors do, ending in the state the newest event says."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.identity import candidate_workflow_id
from tests.api.conftest import Stack, StackFactory, blast_campaign, multi_module_campaign
from tests.api.test_races import LIVE, application_row, enrolments_of, settle
from tests.fakes.vendor_payloads import (
    ashby_event,
    ashby_signed,
    body,
    greenhouse_application,
    greenhouse_deleted_application,
    greenhouse_signed,
    lever_event,
    workable_event,
    workable_signed,
)
from tests.fakes.vendors import API_KEY, FakeLever, running

pytestmark = pytest.mark.devserver

SECRET = "vendor-webhook-secret"
VENDORS = ("greenhouse", "lever", "ashby", "workable")
#: Our stages, and the vendor stage id each maps (Greenhouse's ids are numbers).
STAGES = {"applied": "101", "screen": "102", "interview": "103", "rejected": "104"}


@dataclass
class Vendor:
    """Builds one vendor's deliveries for a test's job (vendor job id ``job``)."""

    name: str
    job: str
    lever: FakeLever
    serial: int = field(default_factory=lambda: random.randrange(10**6, 10**7))

    def person(self, n: int) -> tuple[str, str]:
        """The vendor's application and candidate ids of trial ``n``."""
        return f"{self.serial}{n:03d}", f"{self.serial}{n:03d}9"

    def delivery(
        self, n: int, change: str, stage: str | None, at: datetime
    ) -> tuple[str, bytes, dict[str, str]]:
        """``(path, body, headers)`` of a delivery saying application ``n`` was created in
        (``created``), moved to (``moved``) or withdrawn from (``withdrawn``) a stage."""
        app, person = self.person(n)
        vendor_stage = STAGES[stage] if stage else None
        if self.name == "greenhouse":
            action, status = {
                "created": ("new_candidate_application", "active"),
                "moved": ("candidate_stage_change", "active"),
                "withdrawn": ("reject_candidate", "rejected"),
            }[change]
            payload = greenhouse_application(
                action, application_id=int(app), candidate_id=int(person), job_id=int(self.job),
                stage_id=int(vendor_stage or STAGES["applied"]), at=at, status=status,
            )  # fmt: skip
            raw = body(payload)
            return "/ats/greenhouse", raw, greenhouse_signed(SECRET, raw)
        if self.name == "lever":
            if app not in self.lever.opportunities:
                self.lever.add_opportunity(
                    app, contact=person, name="Ada Lovelace", posting=self.job,
                    stage=STAGES["applied"],
                    phones=[{"type": "mobile", "value": "+14155550123"}],
                )  # fmt: skip
            if change in ("created", "moved"):
                self.lever.move(app, vendor_stage or STAGES["applied"], int(at.timestamp() * 1000))
            event = {"created": "applicationCreated", "moved": "candidateStageChange"}.get(
                change, "candidateArchiveChange"
            )
            payload = lever_event(
                event, SECRET, opportunity=app, contact=person, at=at,
                to_stage=vendor_stage if change == "moved" else None,
                archived=True if change == "withdrawn" else None,
            )  # fmt: skip
            raw = body(payload)
            return "/ats/lever", raw, {"content-type": "application/json"}
        if self.name == "ashby":
            action = {
                "created": "applicationSubmit",
                "moved": "candidateStageChange",
                "withdrawn": "applicationUpdate",
            }[change]
            payload = ashby_event(
                action, application=app, candidate=person, job=self.job,
                stage=vendor_stage or STAGES["applied"], at=at,
                status="Archived" if change == "withdrawn" else "Active",
                action_id=f"{app}-{change}-{stage}",
            )  # fmt: skip
            raw = body(payload)
            return "/ats/ashby", raw, ashby_signed(SECRET, raw)
        event_type = "candidate_created" if change == "created" else "candidate_moved"
        payload = workable_event(
            event_type, candidate=app, job=self.job, stage=vendor_stage or STAGES["applied"],
            at=at, disqualified=change == "withdrawn",
        )  # fmt: skip
        raw = body(payload)
        return "/ats/workable", raw, workable_signed(SECRET, raw)

    def application_id(self, n: int) -> str:
        return f"{self.name}:{self.person(n)[0]}"


@pytest.fixture
async def lever_api() -> AsyncIterator[FakeLever]:
    fake = FakeLever()
    async with running(fake):
        yield fake


@pytest.fixture
async def bridged(open_stack: StackFactory, lever_api: FakeLever) -> AsyncIterator[Stack]:
    """A stack with every vendor bridge configured (Lever's API is the fake)."""
    async with open_stack(
        greenhouse_secret=SECRET,
        lever_signature_token=f"another-webhooks-token,{SECRET}",
        lever_api_key=API_KEY,
        lever_api_url=lever_api.url,
        ashby_secret=SECRET,
        workable_secret=SECRET,
    ) as opened:
        yield opened


async def mapped_job(stack: Stack, vendor: str, vendor_job: str) -> str:
    """Applied (no campaign), Screen and Interview (multi-module), Rejected (blast), each
    mapping the vendor's stage of ``STAGES``."""
    screening = await stack.put_campaign("screening", multi_module_campaign(modules=1))
    interview = await stack.put_campaign("interview", multi_module_campaign(modules=2))
    rejection = await stack.put_campaign("rejection", blast_campaign())
    campaigns = {"screen": screening, "interview": interview, "rejected": rejection}
    job_id = stack.id(f"{vendor}-job")
    response = await stack.http.put(
        f"/jobs/{job_id}",
        json={
            "name": f"Nurse ({vendor})",
            "ats": {"system": vendor, "job_id": vendor_job},
            "stages": [
                {
                    "id": stage,
                    "name": stage.capitalize(),
                    "campaign_id": campaigns.get(stage),
                    "ats_stage_id": ats_stage,
                }
                for stage, ats_stage in STAGES.items()
            ],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["ats"] == {"system": vendor, "job_id": vendor_job}
    return job_id


async def deliver(stack: Stack, path: str, raw: bytes, headers: dict[str, str]) -> httpx.Response:
    return await stack.http.post(path, content=raw, headers=headers)


async def accepted(stack: Stack, path: str, raw: bytes, headers: dict[str, str]) -> dict[str, Any]:
    response = await deliver(stack, path, raw, headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize("vendor_name", VENDORS)
async def test_each_webhook_three_times_in_any_order_ends_in_the_newest_stage(
    bridged: Stack, lever_api: FakeLever, vendor_name: str
) -> None:
    vendor = Vendor(vendor_name, str(random.randrange(10**5, 10**6)), lever_api)
    job = await mapped_job(bridged, vendor_name, vendor.job)
    now = datetime.now(UTC)
    trials = 3

    async def trial(n: int) -> None:
        deliveries = [
            vendor.delivery(n, "created", "applied", now - timedelta(minutes=10)),
            vendor.delivery(n, "moved", "screen", now - timedelta(minutes=5)),
            vendor.delivery(n, "moved", "interview", now - timedelta(minutes=1)),
        ] * 3
        random.Random(n).shuffle(deliveries)
        responses = await asyncio.gather(*(deliver(bridged, *d) for d in deliveries))
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]

        row = await application_row(bridged, vendor.application_id(n))
        assert row is not None and row.stage_id == "interview", f"trial {n}: {row}"
        enrolments = await settle(bridged, vendor.application_id(n))
        live = {stage for stage, status in enrolments.values() if status in LIVE}
        assert live == {"interview"}, f"trial {n}: {enrolments}"
        assert len([s for s, _ in enrolments.values() if s == "interview"]) == 1

    await asyncio.gather(*(trial(n) for n in range(trials)))
    board = (await bridged.http.get(f"/jobs/{job}/board")).json()
    totals = {c["stage_id"]: c["total"] for c in board["columns"]}
    assert totals["interview"] == trials and totals["applied"] == totals["screen"] == 0


@pytest.mark.parametrize("vendor_name", VENDORS)
async def test_a_withdrawal_cancels_the_running_campaign(
    bridged: Stack, lever_api: FakeLever, vendor_name: str
) -> None:
    vendor = Vendor(vendor_name, str(random.randrange(10**5, 10**6)), lever_api)
    await mapped_job(bridged, vendor_name, vendor.job)
    now = datetime.now(UTC)
    answer = await accepted(
        bridged, *vendor.delivery(0, "moved", "screen", now - timedelta(minutes=2))
    )
    [enrolment] = answer["enrolments"]
    await bridged.wait_for(enrolment["id"], "delivered")

    answer = await accepted(
        bridged, *vendor.delivery(0, "withdrawn", None, now - timedelta(minutes=1))
    )
    assert answer["accepted"] == 1, answer
    done = await bridged.wait_for(enrolment["id"], "cancelled")
    assert done["status_reason"] == "application_withdrawn"
    row = await application_row(bridged, vendor.application_id(0))
    assert row is not None and row.withdrawn


@pytest.mark.parametrize("vendor_name", VENDORS)
async def test_events_of_unmapped_jobs_and_stages_are_acknowledged_and_ignored(
    bridged: Stack, lever_api: FakeLever, vendor_name: str
) -> None:
    vendor = Vendor(vendor_name, str(random.randrange(10**5, 10**6)), lever_api)
    now = datetime.now(UTC)
    answer = await accepted(bridged, *vendor.delivery(0, "created", "screen", now))
    assert answer == {"accepted": 0, "ignored": [answer["ignored"][0]], "enrolments": []}
    assert "mapped by no job" in answer["ignored"][0]

    await bridged.put_job("other", [{"id": "applied", "name": "Applied"}])
    job_id = bridged.id(f"{vendor_name}-partial")
    response = await bridged.http.put(
        f"/jobs/{job_id}",
        json={
            "name": "Partly mapped",
            "ats": {"system": vendor_name, "job_id": vendor.job},
            "stages": [{"id": "applied", "name": "Applied", "ats_stage_id": STAGES["applied"]}],
        },
    )
    assert response.status_code == 200, response.text
    answer = await accepted(bridged, *vendor.delivery(1, "moved", "screen", now))
    assert answer["accepted"] == 0 and "mapped by no stage" in answer["ignored"][0], answer
    assert await application_row(bridged, vendor.application_id(1)) is None


@pytest.mark.parametrize("vendor_name", VENDORS)
async def test_a_bridge_without_its_secret_is_not_there(stack: Stack, vendor_name: str) -> None:
    response = await stack.http.post(f"/ats/{vendor_name}", content=b"{}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "bridge_not_configured"


@pytest.mark.parametrize("vendor_name", VENDORS)
async def test_a_bad_signature_is_401_and_changes_nothing(
    bridged: Stack, lever_api: FakeLever, vendor_name: str
) -> None:
    vendor = Vendor(vendor_name, str(random.randrange(10**5, 10**6)), lever_api)
    await mapped_job(bridged, vendor_name, vendor.job)
    path, raw, headers = vendor.delivery(0, "created", "screen", datetime.now(UTC))
    # One byte more (still the same JSON), or, for Lever, which signs token + time, another
    # signature in the body.
    forged = raw + b" "
    if vendor_name == "lever":
        forged = raw.replace(b'"signature": "', b'"signature": "00')
    response = await deliver(bridged, path, forged, headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "bad_signature"
    assert await application_row(bridged, vendor.application_id(0)) is None


async def test_a_stale_greenhouse_retry_after_a_newer_event_moves_nothing(
    bridged: Stack, lever_api: FakeLever
) -> None:
    """Greenhouse retries for ~15 hours: the first delivery of an old stage change, arriving
    after a newer one, is acknowledged and changes nothing."""
    vendor = Vendor("greenhouse", str(random.randrange(10**5, 10**6)), lever_api)
    await mapped_job(bridged, "greenhouse", vendor.job)
    now = datetime.now(UTC)
    await accepted(bridged, *vendor.delivery(0, "moved", "interview", now - timedelta(hours=1)))
    stale = await accepted(
        bridged, *vendor.delivery(0, "moved", "screen", now - timedelta(hours=14))
    )
    assert stale["accepted"] == 1 and stale["enrolments"] == []
    row = await application_row(bridged, vendor.application_id(0))
    assert row is not None and row.stage_id == "interview"


async def test_lever_contact_lookup_failing_is_503_and_the_retry_lands(
    bridged: Stack, lever_api: FakeLever
) -> None:
    vendor = Vendor("lever", str(random.randrange(10**5, 10**6)), lever_api)
    await mapped_job(bridged, "lever", vendor.job)
    delivery = vendor.delivery(0, "moved", "screen", datetime.now(UTC))
    lever_api.down = 503
    response = await deliver(bridged, *delivery)
    assert response.status_code == 503 and response.headers["retry-after"]
    assert response.json()["error"]["code"] == "lever_unavailable"
    assert await application_row(bridged, vendor.application_id(0)) is None

    lever_api.down = None
    answer = await accepted(bridged, *delivery)  # Lever retries the same delivery
    [enrolment] = answer["enrolments"]
    assert enrolment["status"] == "sending"
    candidate = (await bridged.enrolment(enrolment["id"]))["candidate_id"]
    assert candidate == f"lever:{vendor.person(0)[1]}", "the person is the opportunity's contact"


async def test_a_greenhouse_hire_enters_the_stage_mapped_hired(
    bridged: Stack, lever_api: FakeLever
) -> None:
    from tests.fakes.vendor_payloads import greenhouse_hire

    vendor_job = str(random.randrange(10**5, 10**6))
    welcome = await bridged.put_campaign("welcome", blast_campaign())
    job_id = bridged.id("hiring")
    response = await bridged.http.put(
        f"/jobs/{job_id}",
        json={
            "name": "Hiring",
            "ats": {"system": "greenhouse", "job_id": vendor_job},
            "stages": [
                {"id": "offer", "name": "Offer", "ats_stage_id": "105"},
                {"id": "hired", "name": "Hired", "campaign_id": welcome, "ats_stage_id": "hired"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    payload = greenhouse_hire(
        application_id=77, candidate_id=78, job_id=int(vendor_job), resolved_at=datetime.now(UTC)
    )
    raw = body(payload)
    answer = await accepted(bridged, "/ats/greenhouse", raw, greenhouse_signed(SECRET, raw))
    [enrolment] = answer["enrolments"]
    assert (await bridged.wait_for(enrolment["id"], "delivered"))["stage_id"] == "hired"


async def test_a_deleted_candidate_we_never_saw_starts_no_workflow(
    bridged: Stack, lever_api: FakeLever
) -> None:
    person = random.randrange(10**8, 10**9)
    payload = {
        "action": "delete_candidate",
        "payload": {"person": {"id": person, "first_name": "J", "deleted_application_ids": [5]}},
    }
    raw = body(payload)
    answer = await accepted(bridged, "/ats/greenhouse", raw, greenhouse_signed(SECRET, raw))
    assert answer == {"accepted": 1, "ignored": [], "enrolments": []}
    handle = bridged.env.client.get_workflow_handle(candidate_workflow_id(f"greenhouse:{person}"))
    with pytest.raises(Exception, match="not found"):
        await handle.describe()


async def test_a_vendor_job_maps_one_job(bridged: Stack) -> None:
    vendor_job = uuid.uuid4().hex
    mapping = {"system": "ashby", "job_id": vendor_job}
    first = await bridged.http.put(
        f"/jobs/{bridged.id('one')}", json={"name": "One", "ats": mapping, "stages": []}
    )
    assert first.status_code == 200, first.text
    second = await bridged.http.put(
        f"/jobs/{bridged.id('two')}", json={"name": "Two", "ats": mapping, "stages": []}
    )
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "ats_job_taken"
    again = await bridged.http.put(
        f"/jobs/{bridged.id('one')}", json={"name": "One again", "ats": mapping, "stages": []}
    )
    assert again.status_code == 200, "the job that maps it may be saved again"


async def test_stage_mappings_may_swap_between_stages_in_one_request(bridged: Stack) -> None:
    job_id = bridged.id("swap")
    stages = [
        {"id": "a", "name": "A", "ats_stage_id": "x"},
        {"id": "b", "name": "B", "ats_stage_id": "y"},
    ]
    ats = {"system": "workable", "job_id": uuid.uuid4().hex}
    for mapping in (("x", "y"), ("y", "x")):
        for stage, ats_stage in zip(stages, mapping, strict=True):
            stage["ats_stage_id"] = ats_stage
        response = await bridged.http.put(
            f"/jobs/{job_id}", json={"name": "Swap", "ats": ats, "stages": stages}
        )
        assert response.status_code == 200, response.text
        assert [s["ats_stage_id"] for s in response.json()["stages"]] == list(mapping)
    duplicate = await bridged.http.put(
        f"/jobs/{job_id}",
        json={
            "name": "Swap",
            "ats": ats,
            "stages": [{**stages[0], "ats_stage_id": "x"}, {**stages[1], "ats_stage_id": "x"}],
        },
    )
    assert duplicate.status_code == 422


async def hiring_job(stack: Stack, vendor: str, vendor_job: str) -> tuple[str, str]:
    """Applied (no campaign) and Hired (a welcome blast, mapped ``hired``); returns the job
    and the welcome campaign."""
    welcome = await stack.put_campaign("welcome", blast_campaign())
    job_id = stack.id("hiring")
    response = await stack.http.put(
        f"/jobs/{job_id}",
        json={
            "name": "Hiring",
            "ats": {"system": vendor, "job_id": vendor_job},
            "stages": [
                {"id": "applied", "name": "Applied", "ats_stage_id": STAGES["applied"]},
                {"id": "hired", "name": "Hired", "campaign_id": welcome, "ats_stage_id": "hired"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    return job_id, welcome


@pytest.mark.parametrize("archive_first", [True, False])
async def test_a_lever_hire_is_a_hire_whichever_of_its_two_webhooks_comes_last(
    bridged: Stack, lever_api: FakeLever, archive_first: bool
) -> None:
    """Lever archives a hire with a reason of type ``hired``: that archive is the hire, not a
    withdrawal, in whatever order it and ``candidateHired`` arrive."""
    vendor = Vendor("lever", str(random.randrange(10**5, 10**6)), lever_api)
    await hiring_job(bridged, "lever", vendor.job)
    now = datetime.now(UTC)
    await accepted(bridged, *vendor.delivery(0, "created", "applied", now - timedelta(minutes=5)))
    app, person = vendor.person(0)
    hired = lever_event("candidateHired", SECRET, opportunity=app, contact=person, at=now)
    archived = lever_event(
        "candidateArchiveChange", SECRET, opportunity=app, contact=person,
        at=now + timedelta(milliseconds=1), archived=True, reason="reason-hired",
    )  # fmt: skip
    headers = {"content-type": "application/json"}
    for payload in (archived, hired) if archive_first else (hired, archived):
        await accepted(bridged, "/ats/lever", body(payload), headers)
    row = await application_row(bridged, vendor.application_id(0))
    assert row is not None and row.stage_id == "hired" and not row.withdrawn
    [enrolment] = await enrolments_of(bridged, vendor.application_id(0))
    assert (await bridged.wait_for(enrolment, "delivered"))["stage_id"] == "hired"


async def test_a_lever_deletion_withdraws_though_the_opportunity_is_gone(
    bridged: Stack, lever_api: FakeLever
) -> None:
    vendor = Vendor("lever", str(random.randrange(10**5, 10**6)), lever_api)
    await mapped_job(bridged, "lever", vendor.job)
    now = datetime.now(UTC)
    answer = await accepted(
        bridged, *vendor.delivery(0, "moved", "screen", now - timedelta(minutes=1))
    )
    [enrolment] = answer["enrolments"]
    await bridged.wait_for(enrolment["id"], "delivered")
    app, person = vendor.person(0)
    del lever_api.opportunities[app]
    deleted = lever_event("candidateDeleted", SECRET, opportunity=app, contact=person, at=now)
    answer = await accepted(bridged, "/ats/lever", body(deleted), {})
    assert answer["accepted"] == 1, answer
    done = await bridged.wait_for(enrolment["id"], "cancelled")
    assert done["status_reason"] == "application_withdrawn"


async def test_a_lever_token_is_good_for_its_own_body_only(
    bridged: Stack, lever_api: FakeLever
) -> None:
    """Lever signs ``token`` + ``triggeredAt``, not the body: a captured signature replayed
    with another event is refused; the delivery itself, retried, is not."""
    vendor = Vendor("lever", str(random.randrange(10**5, 10**6)), lever_api)
    await mapped_job(bridged, "lever", vendor.job)
    path, raw, headers = vendor.delivery(0, "moved", "screen", datetime.now(UTC))
    await accepted(bridged, path, raw, headers)
    await accepted(bridged, path, raw, headers)  # Lever's retry of the same delivery
    forged = json.loads(raw)
    forged["data"]["toStageId"] = STAGES["rejected"]
    response = await deliver(bridged, path, body(forged), headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "bad_signature"
    row = await application_row(bridged, vendor.application_id(0))
    assert row is not None and row.stage_id == "screen"


async def test_a_redelivered_greenhouse_deletion_is_the_same_event(
    bridged: Stack, lever_api: FakeLever
) -> None:
    """A deletion carries no time of its own: each delivery is read at its arrival, and still
    counts as the one event (a retry after a 503 must not be taken for another event)."""
    vendor = Vendor("greenhouse", str(random.randrange(10**5, 10**6)), lever_api)
    await mapped_job(bridged, "greenhouse", vendor.job)
    await accepted(bridged, *vendor.delivery(0, "moved", "screen", datetime.now(UTC)))
    app, person = vendor.person(0)
    raw = body(
        greenhouse_deleted_application(
            application_id=int(app), candidate_id=int(person), job_id=int(vendor.job)
        )
    )
    first = await accepted(bridged, "/ats/greenhouse", raw, greenhouse_signed(SECRET, raw))
    await asyncio.sleep(0.01)
    again = await accepted(bridged, "/ats/greenhouse", raw, greenhouse_signed(SECRET, raw))
    assert first["accepted"] == again["accepted"] == 1 and again["ignored"] == [], again
    row = await application_row(bridged, vendor.application_id(0))
    assert row is not None and row.withdrawn


async def test_nul_characters_are_dropped_and_an_id_too_long_is_422(
    bridged: Stack, lever_api: FakeLever
) -> None:
    vendor = Vendor("greenhouse", str(random.randrange(10**5, 10**6)), lever_api)
    await mapped_job(bridged, "greenhouse", vendor.job)
    app, person = vendor.person(0)
    payload = greenhouse_application(
        "candidate_stage_change", application_id=int(app), candidate_id=int(person),
        job_id=int(vendor.job), stage_id=int(STAGES["screen"]), at=datetime.now(UTC),
    )  # fmt: skip
    payload["payload"]["application"]["candidate"]["first_name"] = "Ada\u0000"
    raw = body(payload)
    [enrolment] = (await accepted(bridged, "/ats/greenhouse", raw, greenhouse_signed(SECRET, raw)))[
        "enrolments"
    ]
    assert (await bridged.enrolment(enrolment["id"]))["candidate_name"] == "Ada Hurley"

    payload["payload"]["application"]["id"] = "9" * 250
    raw = body(payload)
    response = await deliver(bridged, "/ats/greenhouse", raw, greenhouse_signed(SECRET, raw))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "unreadable_payload"
