"""The custom search attributes that make a candidate findable in the Temporal UI.

``REGISTRATION`` is what the dev server is started with (``--search-attribute Name=Type``) and
what a production namespace needs (``temporal operator search-attribute create``).
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from domain.events import ApplicationRef

CANDIDATE_ID = SearchAttributeKey.for_keyword("CandidateId")
JOB_IDS = SearchAttributeKey.for_keyword_list("JobIds")
APPLICATION_IDS = SearchAttributeKey.for_keyword_list("ApplicationIds")
ENROLMENT_STATUSES = SearchAttributeKey.for_keyword_list("EnrolmentStatuses")

REGISTRATION: dict[str, str] = {
    CANDIDATE_ID.name: "Keyword",
    JOB_IDS.name: "KeywordList",
    APPLICATION_IDS.name: "KeywordList",
    ENROLMENT_STATUSES.name: "KeywordList",
}


def at_start(candidate_id: str, application: ApplicationRef) -> TypedSearchAttributes:
    """What a candidate's workflow is started with when enrolling ``application`` starts it.

    Findable by candidate, job and application from the moment it exists (before any worker
    has run it), and one upsert fewer in its history: the workflow publishes only what
    differs from these (its statuses, once its sends settle).
    """
    return TypedSearchAttributes(
        [
            SearchAttributePair(CANDIDATE_ID, candidate_id),
            SearchAttributePair(JOB_IDS, [application.job_id]),
            SearchAttributePair(APPLICATION_IDS, [application.id]),
        ]
    )
