"""All settings in one pydantic-settings class, read once at start and validated.

Environment variables use the ``ENROLMENTS_`` prefix, except Temporal's own, which follow
``temporalio.envconfig`` (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``,
``TEMPORAL_TLS*``) and are read by ``config.temporal``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Port = Annotated[int, Field(ge=0, le=65535)]


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
    delivery_task_queue: str = "enrolments-delivery"
    delivery_rate: Annotated[float, Field(gt=0)] = 50.0
    channel: Literal["outbox"] = "outbox"
    #: Candidate workflows kept in the worker's memory between tasks (~0.22 MiB each, measured
    #: by bench/scale.py); an evicted one is rebuilt by replaying its history when it wakes.
    max_cached_workflows: Annotated[int, Field(ge=1)] = 750

    api_host: str = "127.0.0.1"
    api_port: Port = 8000
    temporal_port: Port = 7233
    temporal_ui_port: Port = 8233
    temporal_ui_url: str = Field(
        default="",
        description="Base URL of the Temporal Web UI for links; default: the dev server's.",
    )

    webhook_secret: SecretStr | None = None
    twilio_auth_token: SecretStr | None = Field(default=None, validation_alias="TWILIO_AUTH_TOKEN")
    public_url: str | None = Field(
        default=None,
        description="The URL outside callers use to reach the API (for Twilio signatures).",
    )

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'enrolments.db').resolve()}"
        if not self.temporal_ui_url:
            self.temporal_ui_url = f"http://127.0.0.1:{self.temporal_ui_port}"
        return self
