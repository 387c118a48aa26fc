"""Writing an ended enrolment back to its vendor ATS, and each later change of its interview:
the activities of ``WritebackWorkflow``, on a task queue per vendor, rate limited there.

Exactly once (DESIGN.md, decision 17): each step (the note, the rejection) is recorded
``calling`` in the ``writebacks`` ledger before the vendor is asked and ``done`` after. A step
found ``calling`` had its answer lost (a crash, a timeout): the note is looked for at the
vendor, by what it names (``enrolment_marker``, ``interview_marker``), before it is written
again. A 429 is retried after the
vendor's ``Retry-After``; a refusal that will not heal (401, 404, 422) is recorded ``failed``
with the vendor's answer, for the recruiter to retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import (
    RECORD_WRITEBACK_FAILURE,
    WRITE_BACK,
    WriteBack,
    WritebackFailure,
)
from bridges.writeback.base import VendorBusy, VendorRefused, VendorWriter
from domain.ats import AtsSystem
from domain.writeback import (
    OnKnockout,
    Outcome,
    VendorTarget,
    WritebackState,
    enrolment_marker,
    interview_key,
    interview_marker,
    interview_note_text,
    interview_prefix,
    note_text,
    vendor_target,
)
from store.writebacks import (
    CALLING,
    DONE,
    TODO,
    ChangedInterview,
    EndedEnrolment,
    WritebackLedger,
    changed_interview,
    ended_enrolment,
)

#: ``ApplicationError.type`` of a vendor's 429.
VENDOR_BUSY = "VendorBusy"
#: Seconds between heartbeats (the workflow's heartbeat timeout is several of them).
HEARTBEAT = 2.0


async def _beat() -> None:
    while True:
        activity.heartbeat()
        await asyncio.sleep(HEARTBEAT)


class WritebackActivities:
    """Writes notes and rejections through ``writers`` (one per configured vendor)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writers: Mapping[AtsSystem, VendorWriter],
        *,
        enrolment_url: str,
        zone: str,
    ) -> None:
        self._sessions = sessions
        self._ledger = WritebackLedger(sessions)
        self._writers = writers
        #: The recruiter's page of an enrolment: ``enrolment_url + id``.
        self._enrolment_url = enrolment_url
        self._zone = zone

    @activity.defn(name=WRITE_BACK)
    async def write_back(self, input: WriteBack) -> WritebackState:
        """Write the enrolment's outcome (or its interview's latest change) back; ``failed``
        when the vendor refused for good. Heartbeats while it works (``HEARTBEAT``)."""
        beating = asyncio.create_task(_beat())
        try:
            job = await self._job(input)
            if job is None:
                return WritebackState.DONE  # nothing to write, or nowhere to write it
            return await self._run(job)
        finally:
            beating.cancel()

    @activity.defn(name=RECORD_WRITEBACK_FAILURE)
    async def record_writeback_failure(self, input: WritebackFailure) -> None:
        job = await self._job(
            WriteBack(enrolment_id=input.enrolment_id, interview_id=input.interview_id)
        )
        if job is not None:
            await self._ledger.fail(job.key, input.error)

    async def _job(self, input: WriteBack) -> _Job | None:
        """What to write for ``input``, read from the read model."""
        async with self._sessions() as session:
            if input.interview_id is not None:
                changed = await changed_interview(session, input.interview_id)
                return None if changed is None else self._interview_job(input.interview_id, changed)
            ended = await ended_enrolment(session, input.enrolment_id)
        return None if ended is None else self._outcome_job(ended)

    def _outcome_job(self, ended: EndedEnrolment) -> _Job | None:
        target = vendor_target(ended.application_id, ended.candidate_id)
        if target is None or target.system not in self._writers:
            return None
        outcome = Outcome(
            enrolment_id=ended.id,
            campaign=ended.campaign,
            job=ended.job,
            status=ended.status,
            reason=ended.reason,
            answers=ended.answers,
            interviews=ended.interviews,
            link=f"{self._enrolment_url}{ended.id}",
            zone=self._zone,
        )
        return _Job(
            key=ended.id,
            enrolment_id=ended.id,
            target=target,
            text=note_text(outcome),
            marker=enrolment_marker(ended.id),
            reject=ended.on_knockout if outcome.knocked_out else None,
        )

    def _interview_job(self, interview_id: str, changed: ChangedInterview) -> _Job | None:
        target = vendor_target(changed.application_id, changed.candidate_id)
        status = changed.interview.status
        if target is None or target.system not in self._writers:
            return None
        outcome = changed.outcome
        told = (
            outcome is None
            or outcome.state is not WritebackState.DONE
            or outcome.updated_at >= changed.booked_at
        )
        link = f"{self._enrolment_url}{changed.enrolment_id}"
        return _Job(
            key=interview_key(interview_id, changed.booked_at, changed.sequence, status),
            # A booking the outcome's note tells (it was there, or will be, when that note is
            # written) needs no note of its own; one booked after that note (again, after a
            # cancellation) does.
            nothing=changed.sequence == 0 and status == "booked" and told,
            superseding=interview_prefix(interview_id, changed.booked_at),
            enrolment_id=changed.enrolment_id,
            target=target,
            text=interview_note_text(
                changed.interview, interview_id, changed.sequence, changed.job, link, self._zone
            ),
            marker=interview_marker(interview_id, changed.sequence, status),
        )

    async def _run(self, job: _Job) -> WritebackState:
        """Each step not done yet, recorded before and after its call."""
        writer = self._writers[job.target.system]
        system = job.target.system.value
        record = await self._ledger.begin(
            job.key, system, reject=job.reject is not None, enrolment_id=job.enrolment_id
        )
        if record.state is WritebackState.DONE:
            return WritebackState.DONE
        try:
            if record.note != DONE and not job.nothing:
                await self._note(writer, job, lost=record.note == CALLING)
            if job.reject is not None and record.reject in (TODO, CALLING):
                await self._reject(writer, job, job.reject, lost=record.reject == CALLING)
        except VendorRefused as refused:
            await self._ledger.fail(job.key, refused.answer)
            # The vendor's answer is kept for the recruiter, not logged (it may name people).
            activity.logger.warning("write-back %s refused (%s)", job.key, refused.answer[:3])
            return WritebackState.FAILED
        except VendorBusy as busy:
            raise ApplicationError(
                f"{system} is rate limiting", type=VENDOR_BUSY, next_retry_delay=busy.retry_after
            ) from busy
        await self._ledger.finish(job.key, superseding=job.superseding)
        return WritebackState.DONE

    async def _reject(
        self, writer: VendorWriter, job: _Job, reject: OnKnockout, *, lost: bool
    ) -> None:
        """Reject the application, unless an attempt whose answer was ``lost`` did (vendors
        refuse to reject twice)."""
        if not (lost and await writer.rejected(job.target)):
            await self._ledger.calling(job.key, "reject")
            await writer.reject(job.target, reject.reason, f"Knocked out: {job.marker}")
        await self._ledger.step_done(job.key, "reject")

    async def _note(self, writer: VendorWriter, job: _Job, *, lost: bool) -> None:
        """Write the note, unless an attempt whose answer was ``lost`` did write it."""
        if lost:
            found = await writer.find_note(job.target, job.marker)
            if found is not None:
                await self._ledger.step_done(job.key, "note", note_id=found or None)
                return
        await self._ledger.calling(job.key, "note")
        note_id = await writer.add_note(job.target, job.text)
        await self._ledger.step_done(job.key, "note", note_id=note_id)


@dataclass(frozen=True)
class _Job:
    """One write-back: its ledger key, where it goes, the note (found again by ``marker``)
    and, on a knockout the stage rejects, the rejection."""

    key: str
    enrolment_id: str
    target: VendorTarget
    text: str
    marker: str
    reject: OnKnockout | None = None
    #: Nothing to write: the ledger records it done.
    nothing: bool = False
    #: Finishing it finishes the keys starting with this (an interview's older changes).
    superseding: str | None = None
