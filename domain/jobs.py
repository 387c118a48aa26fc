"""Jobs and their ordered stages, as recruiters configure them: which campaign each stage
links, how a scheduling stage books interviews, and which vendor ATS job and stages they stand
for."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.addresses import Region
from domain.ats import AtsJobMapping
from domain.candidates import Identifier
from domain.slots import SlotRules
from domain.writeback import OnKnockout

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class InterviewSettings(SlotRules):
    """How a scheduling stage books interviews: with whom, how long, how far ahead, and
    where; Auto-Match makes its enrolments wait for interviewer availability when no slot is
    free."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auto_match: bool = False
    #: Who interviews, in the order slots are given to them.
    interviewer_ids: list[Identifier] = Field(default_factory=list, max_length=20)
    #: Where the interview happens: an address, or a video link.
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None

    @model_validator(mode="after")
    def _interviewers_listed_once(self) -> Self:
        if len(set(self.interviewer_ids)) != len(self.interviewer_ids):
            raise ValueError("interviewer_ids must not repeat an interviewer")
        return self


class StageDefinition(BaseModel):
    """One stage of a job, optionally linked to the campaign its entrants are enrolled in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    name: Name
    campaign_id: Identifier | None = None
    interview_settings: InterviewSettings | None = None
    #: The vendor ATS stage this stage stands for (with the job's ``ats`` mapping).
    ats_stage_id: Identifier | None = None
    #: What a knockout in this stage does at the vendor the application came from.
    on_knockout: OnKnockout | None = None

    @property
    def auto_match(self) -> bool:
        return self.interview_settings is not None and self.interview_settings.auto_match


class JobDefinition(BaseModel):
    """A job and its ordered stages, as a recruiter configures it (stage order = list order)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    stages: Annotated[list[StageDefinition], Field(max_length=100)] = []
    #: The vendor ATS job this job stands for: its bridge routes that job's events here.
    ats: AtsJobMapping | None = None
    #: Where its candidates' national phone numbers are read (``ENROLMENTS_DEFAULT_REGION``
    #: when unset).
    default_region: Region | None = None

    @model_validator(mode="after")
    def _stage_ids_unique(self) -> Self:
        ids = [stage.id for stage in self.stages]
        if len(set(ids)) != len(ids):
            raise ValueError("stage ids must be unique within a job")
        ats_ids = [stage.ats_stage_id for stage in self.stages if stage.ats_stage_id is not None]
        if len(set(ats_ids)) != len(ats_ids):
            raise ValueError("ats_stage_id must be unique within a job (a vendor stage maps one)")
        return self

    def campaign_ids(self) -> set[str]:
        return {s.campaign_id for s in self.stages if s.campaign_id is not None}

    def interviewer_ids(self) -> set[str]:
        """Every interviewer a stage of the job names."""
        return {
            i
            for s in self.stages
            if s.interview_settings
            for i in s.interview_settings.interviewer_ids
        }
