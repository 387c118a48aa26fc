"""The vendor ATSs whose webhooks the product understands, and how a job maps one of their jobs."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.candidates import Identifier


class AtsSystem(StrEnum):
    GREENHOUSE = "greenhouse"
    LEVER = "lever"
    ASHBY = "ashby"
    WORKABLE = "workable"


class AtsJobMapping(BaseModel):
    """The vendor job a job stands for: that vendor's events about it come to this job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: AtsSystem
    job_id: Identifier
