"""The custom search attributes that make a candidate findable in the Temporal UI.

``REGISTRATION`` is what the dev server is started with (``--search-attribute Name=Type``) and
what a production namespace needs (``temporal operator search-attribute create``).
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

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
