"""Each bridge reads its vendor's documented payloads into the events they mean."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bridges import ashby, greenhouse, lever, workable
from bridges.base import HIRED_STAGE, Change, UnreadablePayload, VendorEvent
from tests.fakes.vendor_payloads import (
    VALID_PHONE,
    ashby_event,
    body,
    greenhouse_application,
    greenhouse_deleted_application,
    greenhouse_hire,
    lever_event,
    workable_event,
)
from tests.fakes.vendors import API_KEY, FakeLever, running

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NOW = AT + timedelta(hours=1)


def document(payload: dict[str, Any]) -> Any:
    """The payload as the HTTP edge hands it to a bridge: its JSON body, read."""
    return json.loads(body(payload))


def _one(events: list[VendorEvent]) -> VendorEvent:
    assert len(events) == 1, events
    return events[0]


@pytest.mark.parametrize(
    ("action", "status", "change", "stage"),
    [
        ("new_candidate_application", "active", Change.CREATED, "44"),
        ("candidate_stage_change", "active", Change.MOVED, "44"),
        ("application_updated", "active", Change.MOVED, "44"),
        ("unreject_candidate", "active", Change.MOVED, "44"),
        ("reject_candidate", "rejected", Change.WITHDRAWN, None),
        ("application_updated", "rejected", Change.WITHDRAWN, None),
        ("application_updated", "hired", Change.MOVED, HIRED_STAGE),
    ],
)
def test_greenhouse_application_events(
    action: str, status: str, change: Change, stage: str | None
) -> None:
    payload = greenhouse_application(
        action, application_id=1, candidate_id=2, job_id=3, stage_id=44, at=AT, status=status
    )
    event = _one(greenhouse.parse(document(payload), NOW).events)
    assert (event.change, event.stage_id, event.job_id) == (change, stage, "3")
    assert (event.application_id, event.occurred_at) == ("1", AT)
    assert event.candidate.phone == VALID_PHONE, "the mobile number comes first"
    assert event.candidate.name == "Giuseppe Hurley"
    assert event.candidate.email == "giuseppe.hurley@example.com"


def test_greenhouse_event_id_is_the_same_for_every_delivery_of_one_event() -> None:
    def parsed(at: datetime, stage: int) -> str:
        payload = greenhouse_application(
            "candidate_stage_change",
            application_id=1,
            candidate_id=2,
            job_id=3,
            stage_id=stage,
            at=at,
        )
        return _one(greenhouse.parse(document(payload), NOW).events).event_id

    assert parsed(AT, 4) == parsed(AT, 4)
    assert parsed(AT, 4) != parsed(AT, 5)
    assert parsed(AT, 4) != parsed(AT + timedelta(seconds=1), 4)


def test_greenhouse_hire_goes_to_the_hired_stage_at_the_offer_time() -> None:
    payload = greenhouse_hire(application_id=1, candidate_id=2, job_id=3, resolved_at=AT)
    event = _one(greenhouse.parse(document(payload), NOW).events)
    assert (event.change, event.stage_id, event.occurred_at) == (Change.MOVED, HIRED_STAGE, AT)


def test_greenhouse_deleted_application_is_withdrawn() -> None:
    payload = greenhouse_deleted_application(application_id=1, candidate_id=2, job_id=3)
    event = _one(greenhouse.parse(document(payload), NOW).events)
    assert (event.change, event.job_id, event.stage_id) == (Change.WITHDRAWN, "3", None)


def test_greenhouse_deleted_candidate_withdraws_each_application() -> None:
    payload = {
        "action": "delete_candidate",
        "payload": {"person": {"id": 9, "first_name": "J", "deleted_application_ids": [1, 2]}},
    }
    events = greenhouse.parse(document(payload), NOW).events
    assert [(e.application_id, e.change, e.job_id) for e in events] == [
        ("1", Change.WITHDRAWN, None),
        ("2", Change.WITHDRAWN, None),
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "job_created", "payload": {"job": {"id": 1}}},
        {"action": "ping"},
        {"action": "update_candidate", "payload": {"candidate": {"id": 1}}},
    ],
)
def test_greenhouse_other_actions_are_ignored(payload: dict[str, object]) -> None:
    parsed = greenhouse.parse(document(payload), NOW)
    assert parsed.events == [] and parsed.ignored


@pytest.mark.parametrize("unreadable", ["not an object", [], {"payload": {}}, None])
def test_greenhouse_unreadable(unreadable: Any) -> None:
    with pytest.raises(UnreadablePayload):
        greenhouse.parse(unreadable, NOW)


def test_lever_stage_change_reads_ids_and_time() -> None:
    payload = lever_event(
        "candidateStageChange", "t", opportunity="opp-1", contact="c-1", at=AT, to_stage="s-2"
    )
    event = _one(lever.parse(document(payload), NOW).events)
    assert (event.change, event.application_id, event.stage_id) == (Change.MOVED, "opp-1", "s-2")
    assert event.occurred_at == AT and event.job_id is None  # the posting comes from the API


@pytest.mark.parametrize(
    ("event_name", "archived", "change", "stage"),
    [
        ("applicationCreated", None, Change.CREATED, None),
        ("candidateHired", None, Change.MOVED, HIRED_STAGE),
        ("candidateArchiveChange", True, Change.WITHDRAWN, None),
        ("candidateArchiveChange", False, Change.MOVED, None),
        ("candidateDeleted", None, Change.WITHDRAWN, None),
    ],
)
def test_lever_events(
    event_name: str, archived: bool | None, change: Change, stage: str | None
) -> None:
    payload = lever_event(event_name, "t", opportunity="o", contact="c", at=AT, archived=archived)
    event = _one(lever.parse(document(payload), NOW).events)
    assert (event.change, event.stage_id) == (change, stage)


def test_lever_test_request_is_ignored() -> None:
    payload = {
        "triggeredAt": 1,
        "event": "candidateHired",
        "data": {},
        "signature": "x",
        "token": "y",
    }
    parsed = lever.parse(document(payload), NOW)
    assert parsed.events == [] and parsed.ignored


async def test_lever_completes_an_event_from_the_opportunity() -> None:
    fake = FakeLever()
    fake.add_opportunity(
        "opp-1",
        contact="person-1",
        name="Ada Lovelace",
        posting="posting-9",
        stage="s-current",
        phones=[
            {"type": "work", "value": "+442071234567"},
            {"type": "mobile", "value": VALID_PHONE},
        ],
        emails=["ada@example.com"],
    )
    payload = lever_event("applicationCreated", "t", opportunity="opp-1", contact="c", at=AT)
    event = _one(lever.parse(document(payload), NOW).events)
    async with (
        running(fake) as url,
        httpx.AsyncClient(base_url=url + "/", auth=(API_KEY, "")) as http,
    ):
        done = await lever.complete(event, http)
        assert done is not None
        assert (done.job_id, done.stage_id) == ("posting-9", "s-current")
        assert (done.candidate.id, done.candidate.name) == ("person-1", "Ada Lovelace")
        assert (done.candidate.phone, done.candidate.email) == (VALID_PHONE, "ada@example.com")
        missing = lever.parse(
            document(
                lever_event("applicationCreated", "t", opportunity="gone", contact="c", at=AT)
            ),
            NOW,
        )
        assert await lever.complete(_one(missing.events), http) is None
        fake.down = 503
        with pytest.raises(lever.LeverUnavailable):
            await lever.complete(event, http)


@pytest.mark.parametrize(
    ("action", "status", "change"),
    [
        ("applicationSubmit", "Active", Change.CREATED),
        ("candidateStageChange", "Active", Change.MOVED),
        ("applicationUpdate", "Active", Change.MOVED),
        ("candidateHire", "Hired", Change.MOVED),
        ("applicationUpdate", "Archived", Change.WITHDRAWN),
    ],
)
def test_ashby_events(action: str, status: str, change: Change) -> None:
    payload = ashby_event(
        action, application="a", candidate="c", job="j", stage="s", at=AT, status=status,
        action_id="act-1",
    )  # fmt: skip
    event = _one(ashby.parse(document(payload), NOW).events)
    assert (event.change, event.job_id, event.event_id) == (change, "j", "act-1")
    assert event.stage_id == (None if change is Change.WITHDRAWN else "s")
    assert (event.candidate.phone, event.candidate.email) == (VALID_PHONE, "adam@example.com")


def test_ashby_ping_is_ignored() -> None:
    parsed = ashby.parse(document({"action": "ping", "data": {"webhookActionType": "ping"}}), NOW)
    assert parsed.events == [] and parsed.ignored


@pytest.mark.parametrize(
    ("event_type", "disqualified", "change"),
    [
        ("candidate_created", False, Change.CREATED),
        ("candidate_moved", False, Change.MOVED),
        ("candidate_moved", True, Change.WITHDRAWN),
        ("candidate_deleted", False, Change.WITHDRAWN),
    ],
)
def test_workable_events(event_type: str, disqualified: bool, change: Change) -> None:
    payload = workable_event(
        event_type, candidate="c1", job="GROOV003", stage="interview", at=AT,
        disqualified=disqualified,
    )  # fmt: skip
    event = _one(workable.parse(document(payload), NOW).events)
    assert (event.change, event.job_id, event.occurred_at) == (change, "GROOV003", AT)
    assert event.stage_id == (None if change is Change.WITHDRAWN else "interview")


def test_workable_moves_at_one_instant_are_two_events() -> None:
    """Two moves Workable fires within one ``fired_at`` are two events, not a repeat."""
    ids = {
        _one(
            workable.parse(
                document(
                    workable_event("candidate_moved", candidate="c1", job="J", stage=s, at=AT)
                ),
                NOW,
            ).events
        ).event_id
        for s in ("phone-screen", "interview")
    }
    assert len(ids) == 2


def test_lever_time_past_any_calendar_is_unreadable() -> None:
    payload = lever_event("candidateHired", "t", opportunity="o", contact="c", at=AT)
    payload["triggeredAt"] = 10**20
    with pytest.raises(UnreadablePayload, match="triggeredAt"):
        lever.parse(document(payload), NOW)


def test_lever_archive_carries_its_reason_to_be_read_from_the_api() -> None:
    payload = lever_event(
        "candidateArchiveChange", "t", opportunity="o", contact="c", at=AT, archived=True,
        reason="reason-hired",
    )  # fmt: skip
    assert _one(lever.parse(document(payload), NOW).events).reason == "reason-hired"
