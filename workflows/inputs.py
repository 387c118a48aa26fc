"""What ``CandidateWorkflow`` is started (and continued-as-new) with.

Kept apart from the workflow so the sandbox can pass it through: the model class is built once
per process instead of once per workflow run, and callers (the ATS bridge, tests) import it
without importing the workflow.
"""

from __future__ import annotations

from pydantic import BaseModel

from domain.channels import ChannelKind
from domain.interviewer_calendar import InterviewerCalendar
from domain.thread import CandidateThread

#: Continue-as-new past this many history events even if the server has not suggested it.
DEFAULT_EVENT_BUDGET = 2_000


class CandidateWorkflowInput(BaseModel):
    """Start (and continue-as-new) input: the whole state, plus where deliveries run."""

    thread: CandidateThread
    delivery_task_queue: str = "enrolments-delivery"
    event_budget: int = DEFAULT_EVENT_BUDGET
    #: This run's search attributes were set when it started (by the ATS bridge, or carried
    #: over by continue-as-new): the workflow publishes only changes to them. ``False`` in
    #: runs started before the bridge set any, whose histories replay with their upserts.
    #: Retire: once no run from before abe7f5f remains (README, "Retiring compatibility code").
    search_attributes_set: bool = False
    #: Deliveries go to one task queue per channel (``delivery_queue``). ``False`` in runs
    #: started before, which keep sending on ``delivery_task_queue`` itself.
    #: Retire: once no run from before 906120a remains.
    per_channel_queues: bool = False
    #: A new job or application is published with the statuses published before (those of
    #: sends in flight wait for the sends): one upsert fewer per campaign of a running
    #: candidate. A flag of the input rather than a patch: ``workflow.patched`` itself upserts
    #: ``TemporalChangeVersion``, an Action of its own in every run. ``False`` in runs started
    #: before. Retire: once no run from before this change remains.
    settled_statuses: bool = False


class InterviewerWorkflowInput(BaseModel):
    """Start (and continue-as-new) input of ``InterviewerWorkflow``: the whole calendar."""

    calendar: InterviewerCalendar
    event_budget: int = DEFAULT_EVENT_BUDGET
    #: An update answers once its change is in the read model, however long that takes (the
    #: caller's own deadline bounds its wait; a repeat gets the same answer). ``False`` in runs
    #: started before, which bound the wait with a timer: an Action per booking, the calendar
    #: being projected by an activity, across workflow tasks. Retire: once no such run remains.
    answer_when_projected: bool = False


class WritebackWorkflowInput(BaseModel):
    """Input of ``WritebackWorkflow`` (started when the read model first holds an enrolment's
    end, or a change of its interview): the enrolment, the interview if it is about one, and
    the task queue of its vendor's calls (``writeback_queue``)."""

    enrolment_id: str
    task_queue: str
    interview_id: str | None = None


def writeback_queue(base: str, system: str) -> str:
    """The task queue a vendor's write-back calls run on, rate limited on its own."""
    return f"{base}-ats-{system}"


def delivery_queue(base: str, channel: ChannelKind) -> str:
    """The task queue ``channel``'s deliveries run on, rate limited on its own."""
    return f"{base}-{channel.value}"
