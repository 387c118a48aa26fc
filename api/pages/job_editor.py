"""The job editor's form: a job's name, its stages as rows (each with a campaign picked from the
stored ones, its interview settings, the vendor ATS stage it maps and the vendor's reason a
knockout rejects with), the vendor ATS job and
the region its candidates' national numbers are read in; turned into the API's job and back,
with every problem at once on its field, in a recruiter's words.

Interview settings are typed in the units people think in (minutes, hours, days) and become
the API's ISO 8601 durations; a field left empty keeps the default.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import zip_longest
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import FormData

from api.pages.forms import FieldErrors, Posted, new_id_problem, row_id, validated
from domain.durations import format_duration
from domain.jobs import InterviewSettings, JobDefinition
from store.catalog import Job


class StageFields(BaseModel):
    """One stage as its row shows it. ``key`` ties the row's Auto-Match box to it (a box
    that is not ticked is not posted at all)."""

    key: str
    id: str = ""
    name: str = ""
    campaign_id: str = ""
    auto_match: bool = False
    ats_stage_id: str = ""
    #: Interview settings: interviewer ids (comma-separated), the numbers in ``UNITS``' units.
    interviewers: str = ""
    duration: str = ""
    buffer: str = ""
    min_notice: str = ""
    horizon: str = ""
    location: str = ""
    #: The vendor's reason id a knockout rejects the application with (empty: none).
    reject_reason: str = ""

    def interview_settings(self) -> dict[str, Any] | None:
        """The stage's ``interview_settings`` as the API takes them (``None``: none typed)."""
        numbers = {name: getattr(self, name).strip() for name in UNITS}
        ids = [i.strip() for i in self.interviewers.split(",") if i.strip()]
        if not (self.auto_match or ids or any(numbers.values()) or self.location.strip()):
            return None
        settings: dict[str, Any] = {"auto_match": self.auto_match, "interviewer_ids": ids}
        for name, typed in numbers.items():
            if typed:
                settings[name] = _iso(typed, UNITS[name][1])
        if self.location.strip():
            settings["location"] = self.location.strip()
        return settings


#: Each interview setting's label, unit word and unit.
UNITS: dict[str, tuple[str, timedelta]] = {
    "duration": ("minutes", timedelta(minutes=1)),
    "buffer": ("minutes", timedelta(minutes=1)),
    "min_notice": ("hours", timedelta(hours=1)),
    "horizon": ("days", timedelta(days=1)),
}


def _iso(typed: str, unit: timedelta) -> str:
    """A whole number of ``unit`` as an ISO 8601 duration; what is not one is passed on as
    typed, for the API's validation to name."""
    if not typed.isdigit():
        return typed
    return format_duration(unit * int(typed)) if int(typed) else "PT0M"


def _typed(settings: InterviewSettings | None, name: str) -> str:
    """A setting in its field's unit, empty when it is the default."""
    if settings is None:
        return ""
    value: timedelta = getattr(settings, name)
    if value == InterviewSettings.model_fields[name].get_default(call_default_factory=True):
        return ""
    unit = UNITS[name][1]
    return str(int(value / unit)) if value % unit == timedelta(0) else format_duration(value)


class JobForm(BaseModel):
    """The job editor's fields, as typed."""

    job_id: str = ""
    name: str = ""
    stages: list[StageFields] = []
    ats_system: str = ""
    ats_job_id: str = ""
    default_region: str = ""

    @classmethod
    def of(cls, job: Job) -> JobForm:
        """The form showing a stored job."""
        return cls(
            job_id=job.id,
            name=job.name,
            stages=[
                StageFields(
                    key=str(n),
                    id=s.id,
                    name=s.name,
                    campaign_id=s.campaign_id or "",
                    auto_match=s.auto_match,
                    ats_stage_id=s.ats_stage_id or "",
                    interviewers=", ".join(s.interview_settings.interviewer_ids)
                    if s.interview_settings
                    else "",
                    location=(s.interview_settings.location or "") if s.interview_settings else "",
                    reject_reason=s.on_knockout.reason if s.on_knockout else "",
                    **{name: _typed(s.interview_settings, name) for name in UNITS},
                )
                for n, s in enumerate(job.stages)
            ],
            ats_system=job.ats.system.value if job.ats else "",
            ats_job_id=job.ats.job_id if job.ats else "",
            default_region=job.default_region or "",
        )

    @classmethod
    def posted(cls, form: FormData) -> JobForm:
        """The form as the browser posted it (rows as parallel lists of fields)."""
        posted = Posted(form)
        one, many = posted.one, posted.many
        ticked = set(many("stage_auto_match"))
        rows = zip_longest(
            many("stage_key"),
            many("stage_id"),
            many("stage_name"),
            many("stage_campaign"),
            many("stage_ats_stage"),
            many("stage_interviewers"),
            many("stage_duration"),
            many("stage_buffer"),
            many("stage_min_notice"),
            many("stage_horizon"),
            many("stage_location"),
            many("stage_reject_reason"),
            fillvalue="",
        )
        return cls(
            job_id=one("job_id").strip(),
            name=one("name"),
            stages=[
                StageFields(
                    key=key,
                    id=stage_id,
                    name=name,
                    campaign_id=campaign,
                    auto_match=bool(key) and key in ticked,
                    ats_stage_id=ats,
                    interviewers=interviewers,
                    duration=duration,
                    buffer=buffer,
                    min_notice=min_notice,
                    horizon=horizon,
                    location=location,
                    reject_reason=reject_reason,
                )
                for (
                    key,
                    stage_id,
                    name,
                    campaign,
                    ats,
                    interviewers,
                    duration,
                    buffer,
                    min_notice,
                    horizon,
                    location,
                    reject_reason,
                ) in rows
            ],
            ats_system=one("ats_system"),
            ats_job_id=one("ats_job_id"),
            default_region=one("default_region"),
        )

    def labels(self) -> dict[str, str]:
        """What the page calls each field, in the page's order."""
        labels = {"job_id": "Id", "name": "Name", "stages": "Stages"}
        labels |= {f"stage-{n}": f"Stage {n + 1}" for n in range(len(self.stages))}
        labels |= {
            "ats_system": "Vendor ATS",
            "ats_job_id": "The vendor's job id",
            "default_region": "Country of national phone numbers",
            "definition": "Job",
        }
        return labels

    def checked(self, new: bool) -> tuple[JobDefinition | None, FieldErrors]:
        """The job this form describes, or every problem with it."""
        errors = FieldErrors(labels=self.labels())
        new_id_problem(errors, "job_id", self.job_id, new)
        body, rows = self._definition(errors)
        job = validated(JobDefinition, body, errors, lambda loc: _field_of(loc, rows))
        return job, errors

    def _definition(self, errors: FieldErrors) -> tuple[dict[str, Any], list[str]]:
        """The API body, and the field of each stage it lists."""
        stages: list[dict[str, Any]] = []
        rows: list[str] = []
        ids: set[str] = set()
        vendor_stages: set[str] = set()
        for n, row in enumerate(self.stages):
            if not (row.id.strip() or row.name.strip() or row.campaign_id or row.ats_stage_id):
                continue  # an empty row the page added and nobody filled in
            stage_id = row_id(row.id, row.name, ids, "stage")
            if stage_id in ids:
                errors.add(f"stage-{n}", f"Another stage has the id '{stage_id}': ids differ.")
            ids.add(stage_id)
            stage: dict[str, Any] = {"id": stage_id, "name": row.name}
            if row.campaign_id:
                stage["campaign_id"] = row.campaign_id
            settings = row.interview_settings()
            if settings is not None:
                stage["interview_settings"] = settings
            if row.reject_reason.strip():
                stage["on_knockout"] = {"ats_action": "reject", "reason": row.reject_reason}
            if row.ats_stage_id.strip():
                stage["ats_stage_id"] = row.ats_stage_id.strip()
                if stage["ats_stage_id"] in vendor_stages:
                    errors.add(
                        f"stage-{n}",
                        "Another stage maps this vendor stage: a vendor stage maps one stage.",
                    )
                vendor_stages.add(stage["ats_stage_id"])
            stages.append(stage)
            rows.append(f"stage-{n}")
        body: dict[str, Any] = {"name": self.name, "stages": stages}
        if self.ats_system:
            body["ats"] = {"system": self.ats_system, "job_id": self.ats_job_id}
        elif self.ats_job_id.strip():
            errors.add("ats_system", "Choose the vendor ATS the job id belongs to.")
        if self.default_region.strip():
            body["default_region"] = self.default_region
        return body, rows


def _field_of(loc: tuple[int | str, ...], rows: list[str]) -> str:
    head = loc[0] if loc else ""
    if head == "stages" and len(loc) > 1 and isinstance(loc[1], int):
        return rows[loc[1]] if loc[1] < len(rows) else "stages"
    if head == "ats":
        return "ats_system" if "system" in loc else "ats_job_id"
    if head in ("name", "stages", "default_region"):
        return str(head)
    return "definition"
