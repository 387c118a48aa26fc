"""Drift between a candidate's workflow and the read model: what kinds there are, how one
workflow's state compares with its rows, and what a whole comparison found.

Pure: the state and the rows come in; ``services.reconcile`` reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.enrolments import Enrolment
from domain.thread import CandidateThread
from store.drift import ReadModelEnrolment

EXIT_IN_SYNC = 0
EXIT_DRIFT = 1


class DriftKind(StrEnum):
    """How a read-model row disagrees with its workflow."""

    #: The workflow projected the enrolment, but the read model has no row for it.
    MISSING_ROW = "missing_row"
    #: The row holds an older change (lower ``seq``) than the workflow projected.
    OLDER_SEQ = "older_seq"
    #: Same ``seq``, another status or reason: the row was altered after it was written.
    DIFFERENT_STATUS = "different_status"
    #: The enrolment row agrees, but its application (the Table and the board read
    #: ``applications.status``) shows another status.
    APPLICATION_STATUS = "application_status"


class EnrolmentDrift(BaseModel):
    """One enrolment whose row disagrees with its workflow's state."""

    model_config = ConfigDict(frozen=True)

    kind: DriftKind
    candidate_id: str
    workflow_id: str
    enrolment_id: str
    workflow_status: str
    workflow_reason: str | None
    workflow_seq: int
    #: The status the read model shows (for ``application_status``: the application's copy).
    read_model_status: str | None = None
    read_model_reason: str | None = None
    read_model_seq: int | None = None

    def describe(self) -> str:
        """One line for the operator: which enrolment, and both sides of the difference."""
        ours = _status_text(self.workflow_status, self.workflow_reason, self.workflow_seq)
        if self.read_model_status is None or self.read_model_seq is None:
            theirs = "no row"
        elif self.kind is DriftKind.APPLICATION_STATUS:
            theirs = f"shows its application as {self.read_model_status}"
        else:
            theirs = _status_text(
                self.read_model_status, self.read_model_reason, self.read_model_seq
            )
        return (
            f"{self.enrolment_id} (candidate {self.candidate_id}): {self.kind.value}: "
            f"workflow {ours}, read model {theirs}"
        )


class DriftReport(BaseModel):
    """One comparison of workflows with the read model."""

    workflows: int = 0
    enrolments: int = 0
    #: Enrolments with changes their workflow has not projected yet (its projection retries).
    in_flight: int = 0
    drifts: list[EnrolmentDrift] = Field(default_factory=list)
    #: Workflows whose ``state`` query failed or timed out: they could not be compared.
    unanswered: list[str] = Field(default_factory=list)
    #: Workflow ids with enrolments in flight.
    in_flight_workflows: list[str] = Field(default_factory=list)

    @property
    def counts(self) -> dict[DriftKind, int]:
        """How many drifting enrolments of each kind (every kind present, zero or not)."""
        counts = dict.fromkeys(DriftKind, 0)
        for drift in self.drifts:
            counts[drift.kind] += 1
        return counts

    @property
    def drifting_workflows(self) -> list[str]:
        """The workflow ids with at least one drifting enrolment, sorted."""
        return sorted({drift.workflow_id for drift in self.drifts})

    @property
    def in_sync(self) -> bool:
        """Every compared enrolment agrees and every workflow answered."""
        return not self.drifts and not self.unanswered

    def absorb(self, other: DriftReport) -> None:
        """Add ``other``'s findings to this report."""
        self.workflows += other.workflows
        self.enrolments += other.enrolments
        self.in_flight += other.in_flight
        self.drifts.extend(other.drifts)
        self.unanswered.extend(other.unanswered)
        self.in_flight_workflows.extend(other.in_flight_workflows)


class ReconcileResult(BaseModel):
    """What ``reconcile`` found, what it asked the workflows to do, and where that left things."""

    task_queue: str | None
    found: DriftReport
    fix: bool
    resync_event_id: str | None = None
    #: Rows altered at their own ``seq`` whose ``seq`` was reset so the resync rewrites them.
    marked_stale: int = 0
    #: Workflow ids sent the ``resync_read_model`` signal.
    resynced: list[str] = Field(default_factory=list)
    #: The resynced workflows checked again after the fix (``None`` without ``--fix``).
    after_fix: DriftReport | None = None
    waited_seconds: float = 0.0

    @property
    def converged(self) -> bool:
        """No drift is left (after the fix, if one was asked for) and every workflow answered."""
        if self.after_fix is None:
            return self.found.in_sync
        return self.after_fix.in_sync and self.after_fix.in_flight == 0

    @property
    def exit_code(self) -> int:
        """0 when converged, 1 when drift (or an unanswered workflow) remains."""
        return EXIT_IN_SYNC if self.converged else EXIT_DRIFT


def compare_thread(
    workflow_id: str,
    thread: CandidateThread,
    rows: Mapping[str, ReadModelEnrolment],
) -> DriftReport:
    """Compare one workflow's enrolments with their rows (``enrolment id -> row``).

    The workflow's state must have been read *before* the rows: the workflow being the only
    writer, a row with a higher ``seq`` than the state then only means the workflow moved on in
    between, which is not drift.
    """
    report = DriftReport(workflows=1)
    for enrolment in thread.enrolments.values():
        report.enrolments += 1
        if thread.resync_pending or enrolment.unprojected:
            report.in_flight += 1
            continue
        drift = _drift_of(workflow_id, enrolment, rows.get(enrolment.id))
        if drift is not None:
            report.drifts.append(drift)
    if report.in_flight:
        report.in_flight_workflows.append(workflow_id)
    return report


def _drift_of(
    workflow_id: str, enrolment: Enrolment, row: ReadModelEnrolment | None
) -> EnrolmentDrift | None:
    if row is None:
        kind = DriftKind.MISSING_ROW
    elif row.seq < enrolment.seq:
        kind = DriftKind.OLDER_SEQ
    elif row.seq == enrolment.seq and (row.status, row.status_reason) != (
        enrolment.status.value,
        enrolment.status_reason,
    ):
        kind = DriftKind.DIFFERENT_STATUS
    elif (
        row.seq == enrolment.seq
        and row.is_current
        and row.application_status != enrolment.status.value
    ):
        kind = DriftKind.APPLICATION_STATUS
    else:
        return None
    return EnrolmentDrift(
        kind=kind,
        candidate_id=enrolment.candidate_id,
        workflow_id=workflow_id,
        enrolment_id=enrolment.id,
        workflow_status=enrolment.status.value,
        workflow_reason=enrolment.status_reason,
        workflow_seq=enrolment.seq,
        read_model_status=_shown_status(kind, row),
        read_model_reason=row.status_reason if row is not None else None,
        read_model_seq=row.seq if row is not None else None,
    )


def _shown_status(kind: DriftKind, row: ReadModelEnrolment | None) -> str | None:
    if row is None:
        return None
    return row.application_status if kind is DriftKind.APPLICATION_STATUS else row.status


def _status_text(status: str, reason: str | None, seq: int) -> str:
    return f"{status}{f' ({reason})' if reason else ''} at seq {seq}"
