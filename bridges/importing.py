"""What ``enrolments import-jobs`` reads from a vendor's API: jobs and their stages, in order."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VendorStage:
    id: str
    name: str


@dataclass(frozen=True)
class VendorJob:
    """A vendor's job with its stages in pipeline order (the board's column order)."""

    id: str
    name: str
    stages: list[VendorStage] = field(default_factory=list)
