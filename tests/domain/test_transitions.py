"""The transition table: the one place that says which enrolment status may follow which."""

from __future__ import annotations

from graphlib import TopologicalSorter

import pytest

from domain.campaigns import Campaign
from domain.enrolments import Enrolment
from domain.statuses import (
    INITIAL,
    MULTI_MODULE_ONLY,
    TERMINAL,
    TRANSITIONS,
    UNSENT,
    EnrolmentStatus,
    IllegalTransition,
    can_move,
)
from tests.domain.factories import REJECTION, SCREENING, START

S = EnrolmentStatus
ALL = list(EnrolmentStatus)
PAIRS = [(current, target) for current in ALL for target in ALL]


def enrolment_in(status: EnrolmentStatus, campaign: Campaign = SCREENING) -> Enrolment:
    """An enrolment that has reached ``status`` (built directly, whatever its history)."""
    return Enrolment(
        id="enr_test",
        ats_event_id="evt-1",
        application_id="app-1",
        job_id="job-1",
        stage_id="screen",
        candidate_id="cand-1",
        campaign_id="screening",
        campaign=campaign,
        status=status,
        created_at=START,
        updated_at=START,
    )


def reachable_from(starts: frozenset[EnrolmentStatus], *, blast: bool) -> set[EnrolmentStatus]:
    seen = set(starts)
    frontier = list(starts)
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if blast and target in MULTI_MODULE_ONLY:
                continue
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


def test_the_table_has_a_row_for_every_status() -> None:
    assert set(TRANSITIONS) == set(EnrolmentStatus)
    assert len(EnrolmentStatus) == 9


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_a_move_is_allowed_exactly_when_the_table_lists_it(
    current: EnrolmentStatus, target: EnrolmentStatus
) -> None:
    enrolment = enrolment_in(current)
    later = START.replace(hour=10)
    if target in TRANSITIONS[current]:
        enrolment.transition(target, later, "moved", reason="why")
        assert enrolment.status is target
        assert enrolment.status_reason == "why"
        assert enrolment.seq == 1
        assert enrolment.updated_at == later
        assert [(t.seq, t.status, t.detail) for t in enrolment.unprojected] == [
            (1, target, "moved")
        ]
    else:
        before = enrolment.model_copy(deep=True)
        with pytest.raises(IllegalTransition) as raised:
            enrolment.transition(target, later, "moved")
        assert (raised.value.current, raised.value.target) == (current, target)
        assert raised.value.enrolment_id == "enr_test"
        assert enrolment == before, "a refused move leaves the enrolment untouched"


def test_terminal_statuses_have_no_exits() -> None:
    assert {S.COMPLETED, S.FAILED, S.EXPIRED, S.CANCELLED} == TERMINAL
    for status in TERMINAL:
        assert TRANSITIONS[status] == frozenset()
        assert enrolment_in(status).is_terminal


def test_no_status_ever_goes_backwards() -> None:
    # A topological order exists only if the table has no cycle: static_order raises otherwise.
    predecessors = {
        target: {current for current, targets in TRANSITIONS.items() if target in targets}
        for target in EnrolmentStatus
    }
    order = list(TopologicalSorter(predecessors).static_order())
    position = {status: i for i, status in enumerate(order)}
    for current, targets in TRANSITIONS.items():
        assert current not in targets
        for target in targets:
            assert position[current] < position[target]


def test_every_status_is_reachable_and_every_path_ends_in_a_terminal_status() -> None:
    assert reachable_from(INITIAL, blast=False) == set(EnrolmentStatus)
    for status in EnrolmentStatus:
        assert reachable_from(frozenset({status}), blast=False) & TERMINAL


def test_new_enrolments_start_sending_queued_or_in_auto_match() -> None:
    assert {S.SENDING, S.QUEUED, S.AUTO_MATCH} == INITIAL
    for status in EnrolmentStatus:
        assert can_move(None, status) is (status in INITIAL)


@pytest.mark.parametrize("status", sorted(INITIAL))
def test_an_enrolment_is_created_in_an_initial_status_with_its_first_timeline_entry(
    status: EnrolmentStatus,
) -> None:
    enrolment = Enrolment.create(
        id="enr_1",
        ats_event_id="evt-1",
        application_id="app-1",
        job_id="job-1",
        stage_id="screen",
        candidate_id="cand-1",
        campaign_id="screening",
        campaign=SCREENING,
        status=status,
        at=START,
        detail="enrolled",
    )
    assert enrolment.status is status
    assert enrolment.seq == 1
    assert enrolment.status_times == {status: START}
    assert [(t.seq, t.status) for t in enrolment.unprojected] == [(1, status)]


@pytest.mark.parametrize("status", sorted(set(EnrolmentStatus) - INITIAL))
def test_an_enrolment_cannot_be_created_in_a_later_status(status: EnrolmentStatus) -> None:
    with pytest.raises(IllegalTransition):
        Enrolment.create(
            id="enr_1",
            ats_event_id="evt-1",
            application_id="app-1",
            job_id="job-1",
            stage_id="screen",
            candidate_id="cand-1",
            campaign_id="rejection",
            campaign=REJECTION,
            status=status,
            at=START,
            detail="enrolled",
        )


def test_only_multi_module_campaigns_reach_in_progress_completed_and_expired() -> None:
    assert {S.IN_PROGRESS, S.COMPLETED, S.EXPIRED} == MULTI_MODULE_ONLY
    assert reachable_from(INITIAL, blast=True) == set(EnrolmentStatus) - MULTI_MODULE_ONLY


BLAST_REFUSED = [
    (current, target)
    for current in EnrolmentStatus
    for target in TRANSITIONS[current]
    if target in MULTI_MODULE_ONLY
]


@pytest.mark.parametrize(
    ("current", "target"), BLAST_REFUSED, ids=[f"{a}->{b}" for a, b in BLAST_REFUSED]
)
def test_a_blast_never_reaches_in_progress_completed_or_expired(
    current: EnrolmentStatus, target: EnrolmentStatus
) -> None:
    blast = enrolment_in(current, REJECTION)
    with pytest.raises(IllegalTransition):
        blast.transition(target, START, "moved")
    assert blast.status is current


BLAST_ALLOWED = [
    (current, target)
    for current in EnrolmentStatus
    for target in TRANSITIONS[current]
    if target not in MULTI_MODULE_ONLY
]


@pytest.mark.parametrize(
    ("current", "target"), BLAST_ALLOWED, ids=[f"{a}->{b}" for a, b in BLAST_ALLOWED]
)
def test_a_blast_makes_every_other_move_of_the_table(
    current: EnrolmentStatus, target: EnrolmentStatus
) -> None:
    blast = enrolment_in(current, REJECTION)
    blast.transition(target, START, "moved")
    assert blast.status is target


def test_unsent_enrolments_can_always_be_cancelled() -> None:
    assert {S.QUEUED, S.AUTO_MATCH} == UNSENT
    for status in UNSENT:
        assert S.CANCELLED in TRANSITIONS[status]


def test_a_delivered_message_can_still_be_reported_failed_by_the_carrier() -> None:
    assert S.FAILED in TRANSITIONS[S.DELIVERED]
    assert S.FAILED not in TRANSITIONS[S.IN_PROGRESS]
