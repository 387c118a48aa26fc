"""All settings in one pydantic-settings class, read once at start and validated.

Environment variables use the ``ENROLMENTS_`` prefix, except Temporal's own, which follow
``temporalio.envconfig`` (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``,
``TEMPORAL_TLS*``) and are read by ``config.temporal``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, StringConstraints, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.encryption import parse_keys
from domain.addresses import Region
from domain.campaigns import ContentSid
from domain.candidates import TimeZoneName
from domain.timing import QuietHours

Port = Annotated[int, Field(ge=0, le=65535)]
#: Messages per second a delivery task queue hands out.
Rate = Annotated[float, Field(gt=0)]


class Settings(BaseSettings):
    """What every process (worker, API, dev stack) is configured with."""

    model_config = SettingsConfigDict(
        env_prefix="ENROLMENTS_", extra="ignore", env_ignore_empty=True
    )

    data_dir: Path = Path("data")
    database_url: str = Field(
        default="",
        description="Any SQLAlchemy async URL; default: a SQLite file in the data folder.",
    )

    task_queue: str = "enrolments"
    #: Deliveries run on ``<this>-sms``, ``-whatsapp`` and ``-email``, each rate limited on
    #: its own, so a slow channel never holds back another (and on ``<this>`` itself for
    #: workflows started before per-channel queues).
    delivery_task_queue: str = "enrolments-delivery"
    delivery_rate: Rate = 50.0
    sms_rate: Rate | None = None
    whatsapp_rate: Rate | None = None
    email_rate: Rate | None = None
    #: Candidate workflows kept in the worker's memory between tasks (~0.22 MiB each, measured
    #: by bench/scale.py); an evicted one is rebuilt by replaying its history when it wakes.
    max_cached_workflows: Annotated[int, Field(ge=1)] = 750
    #: Workflow tasks, activities and local activities one worker process runs at once
    #: (unset: the SDK's 100 each); README "Sizing workers" says how to choose them.
    max_concurrent_workflow_tasks: Annotated[int, Field(ge=2, le=10_000)] | None = None
    max_concurrent_activities: Annotated[int, Field(ge=1, le=10_000)] | None = None
    max_concurrent_local_activities: Annotated[int, Field(ge=1, le=10_000)] | None = None
    #: Let the SDK scale its task pollers with the backlog (instead of a fixed few).
    poller_autoscaling: bool = False

    #: Log level and format of every process (``--log-level`` wins over the level).
    log_level: Literal["debug", "info", "warning", "error"] | None = None
    log_format: Literal["text", "json"] = "text"
    #: The worker's ops port: ``/metrics`` (the SDK's and the product's), ``/livez``,
    #: ``/readyz``. Unset: none (the API's ``/metrics`` serves the embedded stack's).
    metrics_port: Port | None = None
    #: Every process's asyncio event loop: ``auto`` is uvloop where it is installed (Linux,
    #: macOS; about a tenth less CPU per enrolment, bench/README.md), else asyncio's own.
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"
    #: Seconds a stopping worker lets running deliveries finish before it cancels them.
    graceful_shutdown_timeout: Annotated[float, Field(ge=0, le=3600)] = 30.0
    #: Seconds a campaign that a withdrawal frees the candidate's thread for waits before it
    #: goes out, so that an ATS rejecting several applications at once is seen whole first.
    withdrawal_settle: Annotated[float, Field(ge=0, le=60)] = 3.0

    api_host: str = "127.0.0.1"
    api_port: Port = 8000
    temporal_port: Port = 7233
    temporal_ui_port: Port = 8233
    temporal_ui_url: str = Field(
        default="",
        description="Base URL of the Temporal Web UI for links; default: the dev server's.",
    )

    webhook_secret: SecretStr | None = None
    #: ``off`` opens every route to anyone who reaches the API: for local use only, and said
    #: loudly at start. ``on`` (default): requests carry ``Authorization: Bearer <key>``.
    auth: Literal["on", "off"] = "on"
    #: Accepted as an admin key (automation: a first deployment, tests); 32 characters or more.
    bootstrap_admin_key: SecretStr | None = None
    #: Signs the recruiter UI's session cookies; default: a key kept in the data folder (every
    #: API process of a multi-host deployment must share one: set it there).
    session_secret: SecretStr | None = None
    #: ``id:base64key,...``: Temporal payloads are encrypted with the first, decrypted with any
    #: (``config.encryption``). ``enrolments dev`` makes one in the data folder when unset.
    encryption_keys: SecretStr | None = None
    #: The key ``enrolments import`` and ``import-jobs`` call the API with (default: the
    #: bootstrap admin key, else the one ``enrolments dev`` keeps in the data folder).
    api_key: SecretStr | None = None
    #: Local hours in which nothing is sent (``HH:MM-HH:MM``, or ``off``), in the candidate's
    #: time zone; ``default_timezone`` for a candidate whose zone is not known.
    quiet_hours: str = "21:00-08:00"
    default_timezone: TimeZoneName = "UTC"
    #: Where national phone numbers (``0412 345 678``: no ``+`` and country code) are read, as
    #: an ISO 3166 code (``AU``); a job may say otherwise. Unset: only international numbers.
    default_region: Region | None = None
    #: The employer's name, at the top of every candidate's page (unset: the job's name only).
    company_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None
    ) = None
    public_url: str | None = Field(
        default=None,
        description="The URL outside callers use to reach the API (Twilio signatures and "
        "status callbacks, unsubscribe links).",
    )

    # -- delivery providers (API.md, "Delivery providers"); unset: the outbox -----------------
    twilio_account_sid: str | None = Field(default=None, validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(default=None, validation_alias="TWILIO_AUTH_TOKEN")
    twilio_api_url: str = "https://api.twilio.com"
    #: Seconds one call to Twilio may take before its outcome counts as unknown (well under
    #: the delivery activity's 30 s, so an attempt always ends before Temporal retries it).
    twilio_timeout: Annotated[float, Field(gt=0, le=20)] = 10.0
    sms_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    whatsapp_from: str | None = None
    #: The approved WhatsApp template (Twilio Content SID, ``HX…``) that carries interview
    #: messages: ``{{1}}`` the job, ``{{2}}`` what changed. Unset: they go as free text, which
    #: WhatsApp refuses outside the 24 hours after the candidate's last reply.
    whatsapp_interview_template: ContentSid | None = None
    smtp_url: SecretStr | None = None
    email_from: str | None = None
    #: Signs e-mail unsubscribe links; default: a key kept in the data folder (every process
    #: of a multi-host deployment must share one: set it there).
    unsubscribe_secret: SecretStr | None = None
    #: Makes interviewers' own availability links (``/i/<token>``); default: a key kept in the
    #: data folder (every process of a multi-host deployment must share one: set it there).
    interviewer_link_secret: SecretStr | None = None

    # -- vendor ATS bridges (README "ATS bridges"); a bridge whose secret is unset answers 404 --
    greenhouse_secret: SecretStr | None = None
    #: Lever signs each webhook with that webhook's own token: one, or several comma-separated.
    lever_signature_token: SecretStr | None = None
    #: Lever's webhooks carry ids only: contact details come from its API.
    lever_api_key: SecretStr | None = None
    lever_api_url: str = "https://api.lever.co/v1"
    ashby_secret: SecretStr | None = None
    #: Workable signs with the API access token that created the subscription.
    workable_secret: SecretStr | None = None
    #: ``enrolments import-jobs`` reads jobs and stages with these.
    greenhouse_api_key: SecretStr | None = None
    greenhouse_api_url: str = "https://harvest.greenhouse.io/v1"
    ashby_api_key: SecretStr | None = None
    ashby_api_url: str = "https://api.ashbyhq.com"

    # -- write-back to the ATS (README "Write-back to the ATS"); unset: nothing is written --
    #: ``False`` writes nothing back, whatever vendor credentials are set (Lever's API key is
    #: also the bridge's).
    ats_writeback: bool = True
    #: Write-backs a second per vendor (default: under each vendor's documented limit).
    ats_writeback_rate: Annotated[float, Field(gt=0, le=100)] | None = None
    #: Greenhouse Harvest v3 OAuth credentials, and the Greenhouse user the notes are made as.
    greenhouse_client_id: str | None = None
    greenhouse_client_secret: SecretStr | None = None
    greenhouse_user_id: str | None = None
    greenhouse_harvest_url: str = "https://harvest.greenhouse.io"
    greenhouse_auth_url: str = "https://auth.greenhouse.io"
    #: The Lever user notes and archives are made as (``perform_as``; unset: the key's own).
    lever_user_id: str | None = None
    workable_api_token: SecretStr | None = None
    workable_api_url: str = "https://example.workable.com/spi/v3"
    #: The Workable member comments and disqualifications are made as.
    workable_member_id: str | None = None
    #: Seconds a call to a vendor's API may take.
    vendor_timeout: Annotated[float, Field(gt=0, le=60)] = 10.0

    @property
    def auth_on(self) -> bool:
        """Whether requests must carry a key (everywhere but an explicit local opt-out)."""
        return self.auth == "on"

    @property
    def public_base(self) -> str:
        """Where people outside reach the API: ``public_url``, else this machine's address
        (links in messages: the candidate's page, unsubscribing)."""
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def twilio_configured(self) -> bool:
        """SMS and WhatsApp go through Twilio (its account and token are set)."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    def rate_for(self, channel: str) -> float:
        """Messages per second the ``channel``'s delivery queue hands out."""
        rate: float | None = getattr(self, f"{channel}_rate", None)
        return rate if rate is not None else self.delivery_rate

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_shape(cls, value: str) -> str:
        QuietHours.parse(value)
        return value

    @property
    def quiet_hours_window(self) -> QuietHours | None:
        """The quiet hours as configured (``None``: ``off``)."""
        return QuietHours.parse(self.quiet_hours, self.default_timezone)

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _bootstrap_key_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be 32 characters or more (it opens everything)")
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _encryption_keys_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_keys(value.get_secret_value())
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parts = urlsplit(value.get_secret_value())
            if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                raise ValueError(
                    "must look like smtp://user:password@host:587?starttls=true or "
                    "smtps://user:password@host:465"
                )
        return value

    @model_validator(mode="after")
    def _lever_needs_its_api(self) -> Settings:
        if self.lever_signature_token is not None and self.lever_api_key is None:
            raise ValueError(
                "ENROLMENTS_LEVER_SIGNATURE_TOKEN is set without ENROLMENTS_LEVER_API_KEY: "
                "Lever's webhooks carry ids only, the bridge reads contact details from its API"
            )
        return self

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'enrolments.db').resolve()}"
        if not self.temporal_ui_url:
            self.temporal_ui_url = f"http://127.0.0.1:{self.temporal_ui_port}"
        return self
