"""How ``enrolments reconcile`` tells drift from a projection still on its way (pure, no I/O).

The workflow's state is the truth; a row is drift when the workflow has projected a change the
row does not show. A change not yet projected (the projection is still retrying) is in flight,
and a row newer than the state only means the workflow moved on after it was queried.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.candidates import CandidateContact
from domain.enrolments import Enrolment
from domain.statuses import EnrolmentStatus as S
from domain.thread import CandidateThread
from services.drift import DriftKind, DriftReport, ReconcileResult, compare_thread
from store.drift import ReadModelEnrolment
from tests.faults.conftest import REJECTION
from workers.reconcile import render

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WORKFLOW = "candidate-c1"


def delivered_blast(*, projected: bool = True) -> Enrolment:
    enrolment = Enrolment.create(
        id="enr_1",
        ats_event_id="evt_1",
        application_id="app_1",
        job_id="job_1",
        stage_id="rejected",
        candidate_id="c1",
        campaign_id="reject",
        campaign=REJECTION,
        status=S.SENDING,
        at=NOW,
        detail="enrolled",
    )
    enrolment.transition(S.DELIVERED, NOW, "sms message delivered")
    if projected:
        enrolment.unprojected = []
    return enrolment


def thread_of(enrolment: Enrolment, *, resync_pending: bool = False) -> CandidateThread:
    return CandidateThread(
        candidate=CandidateContact(id="c1", name="Ada"),
        enrolments={enrolment.id: enrolment},
        resync_pending=resync_pending,
    )


def row(
    status: S, seq: int, *, reason: str | None = None, application: S | None = None
) -> ReadModelEnrolment:
    return ReadModelEnrolment(
        status=status.value,
        status_reason=reason,
        seq=seq,
        is_current=application is not None,
        application_status=application.value if application is not None else None,
    )


@pytest.mark.parametrize(
    ("stored", "kind"),
    [
        (None, DriftKind.MISSING_ROW),
        (row(S.SENDING, 1, application=S.SENDING), DriftKind.OLDER_SEQ),
        (row(S.FAILED, 2, reason="opted_out", application=S.FAILED), DriftKind.DIFFERENT_STATUS),
        (row(S.DELIVERED, 2, application=S.SENDING), DriftKind.APPLICATION_STATUS),
    ],
    ids=["row-lost", "older-row", "row-edited", "application-edited"],
)
def test_a_row_that_does_not_show_what_the_workflow_projected_is_drift(
    stored: ReadModelEnrolment | None, kind: DriftKind
) -> None:
    rows = {} if stored is None else {"enr_1": stored}

    report = compare_thread(WORKFLOW, thread_of(delivered_blast()), rows)

    [drift] = report.drifts
    assert (drift.kind, drift.enrolment_id, drift.workflow_id) == (kind, "enr_1", WORKFLOW)
    assert (drift.workflow_status, drift.workflow_seq) == ("delivered", 2)
    assert report.drifting_workflows == [WORKFLOW]
    assert not report.in_sync


@pytest.mark.parametrize(
    "stored",
    [
        row(S.DELIVERED, 2, application=S.DELIVERED),
        row(S.DELIVERED, 2),  # the application has moved on to another enrolment
        row(S.FAILED, 3, reason="undelivered", application=S.FAILED),  # moved on since the query
    ],
    ids=["same", "not-current", "newer-row"],
)
def test_a_row_that_agrees_or_is_newer_than_the_queried_state_is_not_drift(
    stored: ReadModelEnrolment,
) -> None:
    report = compare_thread(WORKFLOW, thread_of(delivered_blast()), {"enr_1": stored})

    assert report.in_sync and report.enrolments == 1 and report.in_flight == 0


def test_a_change_the_workflow_has_not_projected_yet_is_in_flight_not_drift() -> None:
    unprojected = compare_thread(WORKFLOW, thread_of(delivered_blast(projected=False)), {})
    resyncing = compare_thread(WORKFLOW, thread_of(delivered_blast(), resync_pending=True), {})

    for report in (unprojected, resyncing):
        assert report.in_sync
        assert (report.in_flight, report.in_flight_workflows) == (1, [WORKFLOW])


def test_the_report_counts_each_kind_and_lists_the_first_differences() -> None:
    found = DriftReport()
    for _ in range(3):
        found.absorb(compare_thread(WORKFLOW, thread_of(delivered_blast()), {}))
    result = ReconcileResult(task_queue="enrolments", found=found, fix=False)

    printed = render(result, shown=2)

    assert printed.splitlines()[0] == (
        "Checked 3 candidate workflow(s) on task queue enrolments: 3 enrolment(s), "
        "3 drifting, 0 in flight, 0 workflow(s) unanswered."
    )
    assert "  missing_row         3" in printed
    assert "First 2 of 3 difference(s):" in printed
    assert "enr_1 (candidate c1): missing_row: workflow delivered at seq 2, read model no row" in (
        printed
    )
    assert printed.endswith("Run with --fix to ask the drifting workflows to project again.")
    assert result.exit_code == 1
