"""Writing an enrolment's outcome back to the vendor ATS its application came from (API.md,
"Write-back to the ATS"): which enrolments are written back, what the note says, and what a
stage may ask for on a knockout.

An enrolment is written back once it ends (``completed``, knocked out, ``failed``, ``expired``,
``cancelled``) when its application came through a vendor's bridge (its id is the vendor's,
prefixed: ``greenhouse:265277``) and that vendor's API key is configured. The note names the
enrolment (``MARKER``): after a crash mid-call the vendor's notes are read for it, so a note
whose answer was lost is not written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, StringConstraints

from domain.ats import AtsSystem
from domain.enrolments import StatusReason
from domain.statuses import EnrolmentStatus

#: Statuses whose arrival writes an enrolment back (a knockout is ``completed``).
ENDED: frozenset[EnrolmentStatus] = frozenset(
    {
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.FAILED,
        EnrolmentStatus.EXPIRED,
        EnrolmentStatus.CANCELLED,
    }
)
#: How a note names what it is about, so that it can be found again at the vendor: an
#: enrolment's outcome, or one change of an interview.
MARKER = "Enrolment {enrolment_id}"
INTERVIEW_MARKER = "Interview {interview_id} #{sequence} {status}"


class WritebackState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class OnKnockout(BaseModel):
    """What a stage does at the vendor when a candidate is knocked out: reject the application
    with ``reason`` (the vendor's own rejection or archive reason id)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ats_action: Literal["reject"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


@dataclass(frozen=True)
class VendorTarget:
    """Where an enrolment is written back: the vendor, and its ids of the application and the
    candidate (ours without the vendor's prefix)."""

    system: AtsSystem
    application_id: str
    candidate_id: str


def vendor_target(application_id: str, candidate_id: str) -> VendorTarget | None:
    """The vendor an application came from (``None``: it came through our own event API)."""
    system = vendor_of(application_id)
    if system is None:
        return None
    vendor_application = application_id.partition(":")[2]
    prefix = f"{system.value}:"
    vendor_candidate = candidate_id.removeprefix(prefix) if candidate_id.startswith(prefix) else ""
    return VendorTarget(system, vendor_application, vendor_candidate)


def vendor_of(some_id: str) -> AtsSystem | None:
    """The vendor an id of ours came from (``greenhouse:265277``), if any."""
    system, sep, _ = some_id.partition(":")
    return AtsSystem(system) if sep and system in set(AtsSystem) else None


def writes_back(status: EnrolmentStatus) -> bool:
    return status in ENDED


class NoteAnswer(BaseModel):
    prompt: str
    value: str


class NoteInterview(BaseModel):
    start: datetime
    end: datetime
    interviewer: str
    status: str
    location: str | None = None


class Outcome(BaseModel):
    """Everything the note says, as the read model holds it when the enrolment has ended."""

    enrolment_id: str
    campaign: str
    job: str
    status: EnrolmentStatus
    reason: str | None = None
    answers: list[NoteAnswer] = []
    interviews: list[NoteInterview] = []
    #: The recruiter's page of the enrolment.
    link: str
    #: The zone the interview times are written in.
    zone: str = "UTC"

    @property
    def knocked_out(self) -> bool:
        return self.status is EnrolmentStatus.COMPLETED and self.reason == StatusReason.KNOCKED_OUT


def note_text(outcome: Outcome) -> str:
    """The note, in plain text (every vendor takes that): campaign, status and reason, the
    answers, any interview, and the link to the enrolment's page."""
    status = "knocked out" if outcome.knocked_out else outcome.status.value.replace("_", " ")
    reason = (
        f" ({outcome.reason.replace('_', ' ')})"
        if outcome.reason and not outcome.knocked_out
        else ""
    )
    lines = [f'Campaign "{outcome.campaign}" for {outcome.job}: {status}{reason}.']
    if outcome.answers:
        lines.append("Answers:")
        lines.extend(f"- {a.prompt}: {a.value}" for a in outcome.answers)
    zone = ZoneInfo(outcome.zone)
    for interview in outcome.interviews:
        start, end = interview.start.astimezone(zone), interview.end.astimezone(zone)
        where = f", {interview.location}" if interview.location else ""
        lines.append(
            f"Interview: {start:%Y-%m-%d %H:%M}-{end:%H:%M} ({outcome.zone}) with "
            f"{interview.interviewer}{where} ({interview.status.replace('_', ' ')})."
        )
    lines.append(f"{enrolment_marker(outcome.enrolment_id)} {outcome.link}")
    return "\n".join(lines)


def enrolment_marker(enrolment_id: str) -> str:
    return f"{MARKER.format(enrolment_id=enrolment_id)}:"


def interview_key(interview_id: str, booked_at: datetime, sequence: int, status: str) -> str:
    """The ledger's key of one change of an interview (its booking's time tells a booking of
    the same time again, after a cancellation, from the first)."""
    return f"{interview_prefix(interview_id, booked_at)}{sequence}:{status}"


def interview_prefix(interview_id: str, booked_at: datetime) -> str:
    """What the keys of every change of one booking start with."""
    return f"{interview_id}:{booked_at.timestamp():.0f}:"


def interview_marker(interview_id: str, sequence: int, status: str) -> str:
    said = INTERVIEW_MARKER.format(interview_id=interview_id, sequence=sequence, status=status)
    return f"{said}:"


def interview_note_text(
    interview: NoteInterview, interview_id: str, sequence: int, job: str, link: str, zone: str
) -> str:
    """The note of one change of an interview (moved, confirmed, cancelled, a no-show), or of a
    booking the outcome's note could not tell (booked again after a cancellation)."""
    local = ZoneInfo(zone)
    start, end = interview.start.astimezone(local), interview.end.astimezone(local)
    when = f"{start:%Y-%m-%d %H:%M}-{end:%H:%M} ({zone}) with {interview.interviewer}"
    what = {
        "booked": f"Interview for {job} {'booked' if sequence == 0 else 'moved to'}: {when}.",
        "confirmed": f"The candidate confirmed the interview for {job}, {when}.",
        "cancelled": f"Interview for {job} on {when} cancelled.",
        "no_show": f"The candidate did not come to the interview for {job}, {when}.",
    }.get(interview.status, f"Interview for {job}, {when}: {interview.status}.")
    return f"{what}\n{interview_marker(interview_id, sequence, interview.status)} {link}"
