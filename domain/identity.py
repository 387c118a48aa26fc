"""The identifiers every part of the system derives the same way, defined once."""

from __future__ import annotations

import hashlib

WORKFLOW_ID_PREFIX = "candidate-"
INTERVIEWER_WORKFLOW_PREFIX = "interviewer-"


def candidate_workflow_id(candidate_id: str) -> str:
    """The id of the one workflow that owns ``candidate_id``'s thread (stable, documented)."""
    return f"{WORKFLOW_ID_PREFIX}{candidate_id}"


def writeback_workflow_id(enrolment_id: str) -> str:
    """The id of the one workflow that writes ``enrolment_id`` back to its vendor ATS: one a
    lifetime (started with reuse refused), so repeats of its start write nothing twice."""
    return f"writeback-{enrolment_id}"


def interviewer_workflow_id(interviewer_id: str) -> str:
    """The id of the one workflow that holds ``interviewer_id``'s time (stable, documented)."""
    return f"{INTERVIEWER_WORKFLOW_PREFIX}{interviewer_id}"


def enrolment_id(ats_event_id: str, application_id: str) -> str:
    """The enrolment an ATS event creates for an application.

    Derived, not random, so a repeated event maps to the same enrolment even if the workflow
    no longer remembers the event.
    """
    digest = hashlib.sha256(f"{ats_event_id}\x1f{application_id}".encode()).hexdigest()
    return f"enr_{digest[:24]}"


def idempotency_key(enrolment: str, message_number: int) -> str:
    """The key that makes the ``message_number``-th message of an enrolment go out once.

    Built from the enrolment id, never the run id: that changes on continue-as-new.
    """
    return f"{enrolment}:{message_number}"
