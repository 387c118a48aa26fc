"""Names and input/output models of the activities: all a workflow needs to call them.

Kept apart from the implementations so workflow code imports no I/O library.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from channels.base import SendResult
from domain.applications import ApplicationState
from domain.candidates import CandidateContact
from domain.enrolments import Enrolment
from domain.interview_messages import InterviewMessage
from domain.interviews import BusyTimes, Interview
from domain.messages import OutboundMessage
from domain.slots import Interval

DELIVER_MESSAGE = "deliver_message"
PROJECT_ENROLMENTS = "project_enrolments"
PROJECT_CALENDAR = "project_calendar"
SEND_INVITATIONS = "send_invitations"
READ_BUSY_TIMES = "read_busy_times"
SEND_AVAILABILITY_REQUEST = "send_availability_request"
SEND_INTERVIEW_MESSAGE = "send_interview_message"
FIND_WAITING = "find_waiting"
WRITE_BACK = "write_back"
RECORD_WRITEBACK_FAILURE = "record_writeback_failure"

#: ``ApplicationError.type`` of a delivery that can never succeed; its details are
#: ``[reason, detail]`` with ``reason`` a ``StatusReason`` value.
PERMANENT_DELIVERY_FAILURE = "PermanentDeliveryFailure"


class DeliverMessage(BaseModel):
    """Input of ``deliver_message``."""

    message: OutboundMessage


class ProjectEnrolments(BaseModel):
    """Input of ``project_enrolments``: a candidate with their changed enrolments and
    applications."""

    candidate: CandidateContact
    enrolments: list[Enrolment]
    applications: list[ApplicationState] = []
    #: When ``candidate``'s details were erased (``None``: they are not).
    candidate_erased_at: datetime | None = None
    #: Erase the candidate's personal data from the whole read model (timeline details, sent
    #: messages) in the same transaction.
    erase: bool = False


class ProjectionResult(BaseModel):
    """The highest ``seq`` now in the read model, per enrolment and per application."""

    projected: dict[str, int]
    applications: dict[str, int] = {}


class ProjectCalendar(BaseModel):
    """Input of ``project_calendar``: an interviewer's windows and changed interviews as of
    ``version`` of their calendar."""

    interviewer_id: str
    version: int
    windows: list[Interval]
    interviews: list[Interview]
    feed: BusyTimes | None = None
    #: When the interviewer was asked for availability, while that request is open.
    asked_at: datetime | None = None


class AvailabilityRequest(BaseModel):
    """Input of ``send_availability_request``: the ``number``-th e-mail (0: the request, then
    its reminders) of the request opened at ``asked_at``."""

    interviewer_id: str
    asked_at: datetime
    number: int


class SendInterviewMessage(BaseModel):
    """Input of ``send_interview_message``: tell the candidate ``kind`` about ``interview``."""

    interview: Interview
    kind: InterviewMessage


class ReadBusyTimes(BaseModel):
    """Input of ``read_busy_times``: whose feed, and the windows whose busy times matter."""

    interviewer_id: str
    windows: list[Interval]


class SendInvitations(BaseModel):
    """Input of ``send_invitations``: the interview as it stands at its ``sequence``."""

    interview: Interview


__all__ = [
    "DELIVER_MESSAGE",
    "FIND_WAITING",
    "PERMANENT_DELIVERY_FAILURE",
    "PROJECT_CALENDAR",
    "PROJECT_ENROLMENTS",
    "READ_BUSY_TIMES",
    "SEND_AVAILABILITY_REQUEST",
    "SEND_INTERVIEW_MESSAGE",
    "SEND_INVITATIONS",
    "AvailabilityRequest",
    "DeliverMessage",
    "ProjectCalendar",
    "ProjectEnrolments",
    "ProjectionResult",
    "ReadBusyTimes",
    "SendInterviewMessage",
    "SendInvitations",
    "SendResult",
]


class WriteBack(BaseModel):
    """Input of ``write_back``: the ended enrolment, or the interview whose latest change is
    written (everything else is read from the read model: no personal data passes through
    Temporal)."""

    enrolment_id: str
    interview_id: str | None = None


class WritebackFailure(BaseModel):
    """Input of ``record_writeback_failure``: the vendor did not answer for too long."""

    enrolment_id: str
    interview_id: str | None = None
    error: str
