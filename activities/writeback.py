"""Writing an ended enrolment back to its vendor ATS: the activities of ``WritebackWorkflow``,
on a task queue per vendor, rate limited there.

Exactly once (DESIGN.md, decision 17): each step (the note, the rejection) is recorded
``calling`` in the ``writebacks`` ledger before the vendor is asked and ``done`` after. A step
found ``calling`` had its answer lost (a crash, a timeout): the note is looked for at the
vendor, by the enrolment it names, before it is written again. A 429 is retried after the
vendor's ``Retry-After``; a refusal that will not heal (401, 404, 422) is recorded ``failed``
with the vendor's answer, for the recruiter to retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

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
from domain.writeback import Outcome, VendorTarget, WritebackState, note_text, vendor_target
from store.writebacks import CALLING, DONE, TODO, WritebackLedger, ended_enrolment

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
        """Write the enrolment's outcome back; ``failed`` when the vendor refused for good.
        Heartbeats while it works (``HEARTBEAT``)."""
        beating = asyncio.create_task(_beat())
        try:
            return await self._write_back(input.enrolment_id)
        finally:
            beating.cancel()

    async def _write_back(self, enrolment_id: str) -> WritebackState:
        async with self._sessions() as session:
            ended = await ended_enrolment(session, enrolment_id)
        target = None if ended is None else vendor_target(ended.application_id, ended.candidate_id)
        writer = None if target is None else self._writers.get(target.system)
        if ended is None or target is None or writer is None:
            return WritebackState.DONE  # nothing to write, or nowhere configured to write it
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
        reject = ended.on_knockout if outcome.knocked_out else None
        record = await self._ledger.begin(ended.id, target.system.value, reject=reject is not None)
        if record.state is WritebackState.DONE:
            return WritebackState.DONE
        text = note_text(outcome)
        try:
            if record.note != DONE:
                await self._note(writer, target, ended.id, text, lost=record.note == CALLING)
            if reject is not None and record.reject in (TODO, CALLING):
                await self._ledger.calling(ended.id, "reject")
                await writer.reject(target, reject.reason, text)
                await self._ledger.step_done(ended.id, "reject")
        except VendorRefused as refused:
            await self._ledger.fail(ended.id, refused.answer)
            activity.logger.warning("write-back of %s refused: %s", ended.id, refused.answer)
            return WritebackState.FAILED
        except VendorBusy as busy:
            raise ApplicationError(
                f"{target.system} is rate limiting",
                type=VENDOR_BUSY,
                next_retry_delay=busy.retry_after,
            ) from busy
        await self._ledger.finish(ended.id)
        return WritebackState.DONE

    async def _note(
        self,
        writer: VendorWriter,
        target: VendorTarget,
        enrolment_id: str,
        text: str,
        *,
        lost: bool,
    ) -> None:
        """Write the note, unless an attempt whose answer was ``lost`` did write it."""
        if lost:
            found = await writer.find_note(target, enrolment_id)
            if found is not None:
                await self._ledger.step_done(enrolment_id, "note", note_id=found or None)
                return
        await self._ledger.calling(enrolment_id, "note")
        note_id = await writer.add_note(target, text)
        await self._ledger.step_done(enrolment_id, "note", note_id=note_id)

    @activity.defn(name=RECORD_WRITEBACK_FAILURE)
    async def record_writeback_failure(self, input: WritebackFailure) -> None:
        await self._ledger.fail(input.enrolment_id, input.error)
