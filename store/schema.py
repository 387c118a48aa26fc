"""The read model's tables (typed SQLAlchemy 2.0). Alembic migrations create them.

One writer per table: each table's docstring names the one module that writes it
(``tests/store/test_one_writer.py`` holds the code to that). Erasing a candidate (their
workflow's projection, once no message of theirs is in flight) also empties the bodies and
recipients of their ``messages`` and redacts their timeline's details.

Every timestamp is stored in UTC and read back as an aware UTC ``datetime`` on every database
(see ``UtcDateTime``). ``store/migrations/versions`` must create exactly these tables, columns,
constraints and indexes; ``tests/store/test_migrations.py`` compares the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.database import Base as Base


class CampaignRow(Base):
    """A campaign's definition. Written by configuration only (``store.catalog``)."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    definition: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class JobRow(Base):
    """A job and its vendor mapping. Written by configuration only (``store.catalog``)."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime]
    #: The vendor ATS job this job maps (its bridge routes that job's events here).
    ats_system: Mapped[str | None] = mapped_column(String(20))
    ats_job_id: Mapped[str | None] = mapped_column(String(200))
    #: Where its candidates' national phone numbers are read (ISO 3166), if not the default.
    default_region: Mapped[str | None] = mapped_column(String(2))

    __table_args__ = (Index("uq_jobs_ats", "ats_system", "ats_job_id", unique=True),)


class StageRow(Base):
    """A job's stage, in order. Written by configuration only (``store.catalog``)."""

    __tablename__ = "stages"

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    campaign_id: Mapped[str | None] = mapped_column(String(200))
    auto_match: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The stage's ``interview_settings`` whole (``auto_match`` above is one of them).
    interview_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The vendor ATS stage this stage maps, within the job's vendor job.
    ats_stage_id: Mapped[str | None] = mapped_column(String(200))
    on_knockout: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # ``OnKnockout``

    __table_args__ = (
        ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        # A campaign a stage links cannot be deleted (the database says so, whatever races).
        ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_stages_campaign", ondelete="RESTRICT"
        ),
        Index("uq_stages_ats_stage", "job_id", "ats_stage_id", unique=True),
        Index("ix_stages_campaign", "campaign_id"),
    )


class CandidateRow(Base):
    """A candidate's contact details as their workflow last saw them (raw, as the ATS sent).

    Written by the candidate's projection only (``store.candidates``, which erasure empties).
    """

    __tablename__ = "candidates"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    #: When the candidate's personal data was erased (then name, phone and e-mail are empty).
    erased_at: Mapped[datetime | None]
    #: ``phone`` as E.164 (``NULL``: none, or unreadable): a reply by SMS or WhatsApp finds the
    #: candidates who have that number by it.
    phone_e164: Mapped[str | None] = mapped_column(String(32), index=True)


class ApplicationRow(Base):
    """Where an application is now, and its current enrolment (the one its stage created).

    Written by the candidate's projection only, from the workflow's ``ApplicationState``;
    ``seq`` guards against older writes, like an enrolment's.
    """

    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(200))
    stage_id: Mapped[str] = mapped_column(String(200))
    candidate_id: Mapped[str] = mapped_column(String(200))
    current_enrolment_id: Mapped[str | None] = mapped_column(String(40))
    #: The current enrolment's status (``None``: no enrolment), copied here so the Table's
    #: status filter and the board's counts read this table's indexes alone. Written in the
    #: same transaction as the enrolment's row, from the same workflow state.
    status: Mapped[str | None] = mapped_column(String(20))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ``occurred_at`` of the last ATS event applied to the application.
    event_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    seq: Mapped[int] = mapped_column(Integer, default=0)

    # One index per shape of view query, each ending in ``id`` so a page is a range read in
    # keyset order: the Table (all, by stage, by status, by stage and status), the board's
    # cards per column, and the board's counts (an index-only GROUP BY stage, status).
    __table_args__ = (
        Index("ix_applications_job_stage", "job_id", "stage_id", "id"),
        Index("ix_applications_job_id", "job_id", "id"),
        Index("ix_applications_job_status", "job_id", "status", "id"),
        Index("ix_applications_job_stage_status", "job_id", "stage_id", "status", "id"),
    )


class EnrolmentRow(Base):
    """An enrolment as recruiters see it; ``seq`` guards against older writes.

    Written by the candidate's projection only (``store.projection``, whose erasure closes
    every link: ``store.erasure``); ``reconcile`` may mark a drifted row stale (``store.drift``:
    its ``seq`` only, for the workflow to rewrite).
    """

    __tablename__ = "enrolments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    ats_event_id: Mapped[str] = mapped_column(String(200))
    application_id: Mapped[str] = mapped_column(String(200))
    candidate_id: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[str] = mapped_column(String(200))
    stage_id: Mapped[str] = mapped_column(String(200))
    campaign_id: Mapped[str] = mapped_column(String(200))
    #: The campaign as it was when the enrolment was created (DESIGN.md, decision 8).
    campaign: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    #: When each status was first reached: ``{"sending": "...", "delivered": "..."}``.
    status_times: Mapped[dict[str, Any]]
    delivered_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    #: The next message going out for it and when: a message quiet hours hold, a nudge.
    next_send_at: Mapped[datetime | None]
    next_send: Mapped[str | None] = mapped_column(String(80))
    #: The failed or expired enrolment a recruiter re-enrolled as this one.
    reenrolment_of: Mapped[str | None] = mapped_column(String(40))
    #: The funnel's moments, as plain columns the analytics' indexes cover: when it reached
    #: ``in_progress`` and ``completed``, and how long delivery and completion took.
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    seconds_to_deliver: Mapped[float | None] = mapped_column(Float)
    seconds_to_complete: Mapped[float | None] = mapped_column(Float)
    #: Its campaign has modules (the completion rate counts these only).
    multi_module: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: The SHA-256 of the candidate's link token (``domain.links``): the candidate's page
    #: finds the enrolment by it; ``NULL`` when it has no page or the link was revoked.
    link_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_enrolments_job_stage_status", "job_id", "stage_id", "status"),
        Index("uq_enrolments_link_hash", "link_hash", unique=True),
        Index("ix_enrolments_application", "application_id"),
        Index("ix_enrolments_candidate", "candidate_id"),
        # The analytics read indexes only: a campaign's or a job's enrolments by creation
        # time with what the funnel counts, and each duration in order (for the median).
        *(
            index
            for scope in ("campaign_id", "job_id")
            for index in (
                Index(
                    f"ix_enrolments_{scope[:-3]}_funnel",
                    scope,
                    "status",
                    "created_at",
                    "status_reason",
                    "delivered_at",
                    "started_at",
                ),
                Index(
                    f"ix_enrolments_{scope[:-3]}_deliver", scope, "seconds_to_deliver", "created_at"
                ),
                Index(
                    f"ix_enrolments_{scope[:-3]}_complete",
                    scope,
                    "seconds_to_complete",
                    "created_at",
                ),
                Index(f"ix_enrolments_{scope[:-3]}_kind", scope, "multi_module", "created_at"),
            )
        ),
    )


class EnrolmentModuleRow(Base):
    """How far an enrolment got in one module (the analytics' per-module drop-off).

    Written by the candidate's projection only (``store.projection``).
    """

    __tablename__ = "enrolment_modules"

    enrolment_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[str] = mapped_column(String(200))
    #: The enrolment's creation time (the analytics' date range).
    created_at: Mapped[datetime]
    completed: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index(
            "ix_enrolment_modules_campaign", "campaign_id", "module_id", "completed", "created_at"
        ),
        Index("ix_enrolment_modules_job", "job_id", "module_id", "completed", "created_at"),
    )


class EnrolmentAnswerRow(Base):
    """An answer a candidate gave to a question of a module (on their page or in the chat).

    Written by the candidate's projection only (``store.projection``), with the timeline entry
    of the module's completion; erased with the candidate.
    """

    __tablename__ = "enrolment_answers"

    enrolment_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(200))
    campaign_id: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[str] = mapped_column(String(200))
    #: The question as it was asked (the campaign may change later).
    prompt: Mapped[str] = mapped_column(String(500))
    #: Text, a number, an ISO date, ``yes``/``no``, or the options picked.
    value: Mapped[Any] = mapped_column(JSON)
    answered_at: Mapped[datetime]
    #: The enrolment's creation time (the analytics' date range).
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_enrolment_answers_candidate", "candidate_id"),
        Index(
            "ix_enrolment_answers_campaign", "campaign_id", "module_id", "question_id", "created_at"
        ),
        Index("ix_enrolment_answers_job", "job_id", "module_id", "question_id", "created_at"),
    )


class EnrolmentEventRow(Base):
    """The append-only timeline: one row per change, numbered by the enrolment's ``seq``.

    Written by the candidate's projection only (``store.projection``; erasure redacts).
    """

    __tablename__ = "enrolment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enrolment_id: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)

    # The unique constraint is also the index the timeline is read through (enrolment, seq).
    __table_args__ = (UniqueConstraint("enrolment_id", "seq", name="uq_enrolment_events_seq"),)


class MessageRow(Base):
    """Every outbound message, once per idempotency key, whichever provider carried it.

    Written by the delivery activity only (``store.messages``: the attempt, the provider's id
    or refusal); what the provider reports later is in ``delivery_reports``. Erasure blanks the
    recipient and body (``store.erasure``), once no message of the candidate is in flight.
    """

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    enrolment_id: Mapped[str] = mapped_column(String(40))
    #: Whose workflow a provider's report about the message goes to.
    candidate_id: Mapped[str] = mapped_column(String(200))
    message_number: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    #: Who carried it: ``outbox``, ``twilio``, ``smtp``.
    provider: Mapped[str] = mapped_column(String(20))
    #: The normalised address it went to (E.164 phone number or e-mail address).
    recipient: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    #: The provider's id for the message; its status callbacks name the message by it.
    provider_message_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    #: ``store.messages.MessageStatus``; ``status_rank`` orders them (a status only rises).
    status: Mapped[str] = mapped_column(String(20))
    status_rank: Mapped[int] = mapped_column(Integer)
    #: The provider's error code (Twilio's, or an SMTP reply code) and the failure reason.
    error_code: Mapped[str | None] = mapped_column(String(20))
    failure_reason: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer)
    #: When the last attempt was handed to the provider (a lookup searches from there).
    attempted_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_messages_enrolment", "enrolment_id", "message_number"),
        Index("ix_messages_recipient", "recipient"),
    )


class DeliveryReportRow(Base):
    """How far a provider says a message got (Twilio's status callbacks), by the provider's id.

    Written by the status callback only (``store.delivery_reports``), forward only
    (``status_rank``); a report may arrive before its message's id is recorded (the callback
    can overtake the create call's answer). A message's status is the further of its own
    (``messages``) and its report's.
    """

    __tablename__ = "delivery_reports"

    provider_message_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    status_rank: Mapped[int] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(20))
    received_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# The tables the edge keeps for itself live in ``store.schema_edge`` (this module stays under
# 400 lines); imported here, every table is in ``Base.metadata`` and importable from here.
from store.schema_edge import ApiKeyRow, AuditRow, InboundEventRow, OptOutRow, ProviderHealthRow  # noqa: E402
from store.schema_interviews import (  # noqa: E402
    InterviewerCalendarRow,
    InterviewerRow,
    InterviewRow,
    InvitationSendRow,
)
from store.schema_writeback import WritebackRow  # noqa: E402

__all__ = [
    "ApiKeyRow",
    "ApplicationRow",
    "AuditRow",
    "Base",
    "CampaignRow",
    "CandidateRow",
    "DeliveryReportRow",
    "EnrolmentAnswerRow",
    "EnrolmentEventRow",
    "EnrolmentModuleRow",
    "EnrolmentRow",
    "InboundEventRow",
    "InterviewRow",
    "InterviewerCalendarRow",
    "InterviewerRow",
    "InvitationSendRow",
    "JobRow",
    "MessageRow",
    "OptOutRow",
    "ProviderHealthRow",
    "StageRow",
    "WritebackRow",
]
