"""The tables of interviews: interviewers as an admin configures them (written by
configuration, ``store.interviewers``), each interviewer's calendar and interviews as their
workflow decided them (written by that workflow's projection only, ``store.calendars``), and
the invitation e-mails sent for them (the invitation activity's ledger, ``store.invitations``).
``store.schema`` re-exports them, so every table is found there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.database import Base


class InterviewerRow(Base):
    """An interviewer: who, where their day is, where their calendar's busy times are read."""

    __tablename__ = "interviewers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64))
    calendar_ics_url: Mapped[str | None] = mapped_column(String(2000))
    #: The SHA-256 of their own page's token (``/i/<token>``): the page's lookup.
    link_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]

    __table_args__ = (Index("uq_interviewers_link_hash", "link_hash", unique=True),)


class InterviewerCalendarRow(Base):
    """An interviewer's future availability windows, as their workflow holds them."""

    __tablename__ = "interviewer_calendars"

    interviewer_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: The workflow's calendar version: an older projection never overwrites a newer one.
    version: Mapped[int] = mapped_column(Integer)
    #: ``[{"start", "end"}]`` in UTC, sorted and apart.
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: The calendar feed's busy times within the windows, alike.
    busy: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: ``none`` (no feed), ``ok`` or ``unreachable`` (busy throughout), and when it was read.
    feed_status: Mapped[str] = mapped_column(String(20), default="none")
    feed_error: Mapped[str | None] = mapped_column(String(300))
    feed_checked_at: Mapped[datetime | None]
    #: When the interviewer was asked for availability, while candidates wait on them.
    asked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class InterviewRow(Base):
    """One interview as the interviewer's workflow decided it."""

    __tablename__ = "interviews"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    interviewer_id: Mapped[str] = mapped_column(String(200))
    enrolment_id: Mapped[str] = mapped_column(String(40))
    candidate_id: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[str] = mapped_column(String(200))
    stage_id: Mapped[str] = mapped_column(String(200))
    module_id: Mapped[str] = mapped_column(String(200))
    start: Mapped[datetime]
    end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    location: Mapped[str | None] = mapped_column(String(500))
    sequence: Mapped[int] = mapped_column(Integer)
    #: How many times the candidate moved it.
    changes: Mapped[int] = mapped_column(Integer, default=0)
    #: The calendar version of this row's last change (the projection's guard).
    version: Mapped[int] = mapped_column(Integer)
    booked_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_interviews_interviewer_start", "interviewer_id", "start"),
        Index("ix_interviews_job_start", "job_id", "start"),
        Index("ix_interviews_enrolment", "enrolment_id"),
    )


class InvitationSendRow(Base):
    """One invitation e-mail (an interview at one ``sequence``, to one invitee): recorded before
    it is sent and marked after, so a retried activity never sends it twice. No address is
    kept: the invitee is named by their role."""

    __tablename__ = "invitation_sends"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    interview_id: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column(Integer)
    #: ``interviewer`` or ``candidate``.
    invitee: Mapped[str] = mapped_column(String(20))
    #: ``REQUEST`` or ``CANCEL``.
    method: Mapped[str] = mapped_column(String(10))
    #: ``sending`` (recorded, outcome not known yet), ``sent`` or ``failed``.
    status: Mapped[str] = mapped_column(String(10))
    provider_message_id: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_invitation_sends_interview", "interview_id"),)
