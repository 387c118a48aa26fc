"""The custom search attributes that make a candidate findable in the Temporal UI.

``REGISTRATION`` is what the dev server is started with (``--search-attribute Name=Type``) and
what a production namespace needs (``temporal operator search-attribute create``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from domain.events import ApplicationRef
from domain.statuses import TERMINAL
from domain.thread import CandidateThread
from workflows.inputs import CandidateWorkflowInput

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


#: The most one KeywordList value may hold, as JSON. The server refuses a larger one (2,048
#: bytes by default, ``limit.searchAttributesSizeOfValue``) and a refused upsert fails every
#: workflow task after it; the margin is for encodings that count a little more.
VALUE_BUDGET = 1_900

#: Job ids, application ids and statuses, as the search attributes show them.
SearchView = tuple[list[str], list[str], list[str]]


def within_budget(values_first_kept_first: Iterable[str], budget: int = VALUE_BUDGET) -> list[str]:
    """As many of the values as fit in ``budget`` bytes of JSON, taken in the order given (the
    ones most worth finding first), distinct and sorted."""
    chosen: set[str] = set()
    size = len("[]")
    for value in values_first_kept_first:
        if value in chosen:
            continue
        cost = len(json.dumps(value)) + len(", ")
        if size + cost > budget:
            break
        chosen.add(value)
        size += cost
    return sorted(chosen)


def search_view(thread: CandidateThread) -> SearchView:
    """What a candidate is found by: their jobs and applications, live ones first, then the
    most recently changed, as many as the server takes (the read model has every one), and
    the statuses of the enrolments the thread holds.

    A thread on rules 1 (carried over from before applications were tracked) is found by its
    enrolments' jobs and applications, as its recorded history was.
    """
    statuses = sorted({e.status.value for e in thread.enrolments.values()})
    if thread.rules < 2:
        enrolments = sorted(thread.enrolments.values(), key=lambda e: e.updated_at, reverse=True)
        return (
            within_budget(e.job_id for e in enrolments),
            within_budget(e.application_id for e in enrolments),
            statuses,
        )
    applications = sorted(
        (a for a in thread.applications.values() if a.placed),
        key=lambda a: (a.withdrawn or a.status in TERMINAL, -a.updated_at.timestamp()),
    )
    return (
        within_budget(a.job_id for a in applications),
        within_budget(a.id for a in applications),
        statuses,
    )


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


def published_at_start(input: CandidateWorkflowInput) -> SearchView:
    """The search attributes a run started with (nothing, for runs that set none). Workflow
    code."""
    if not input.search_attributes_set:
        return ([], [], [])
    attributes = workflow.info().typed_search_attributes
    return (
        sorted(attributes.get(JOB_IDS) or []),
        sorted(attributes.get(APPLICATION_IDS) or []),
        sorted(attributes.get(ENROLMENT_STATUSES) or []),
    )


def publish(
    thread: CandidateThread,
    published: SearchView,
    sends_in_flight: bool,
    *,
    settled_statuses: bool,
) -> SearchView:
    """Upsert the thread's search attributes if they changed since ``published``; returns what
    is published now. Workflow code.

    Each upsert is a history event, so status-only changes wait for sends in flight to settle:
    one upsert per burst of changes instead of one per status. Every value stays within the
    server's size limit, however many applications the candidate collects.
    """
    if not thread.enrolments:
        return published  # Nothing to publish yet (or only what the run started with).
    view = search_view(thread)
    if view == published:
        return published
    # A new job or application is published at once, so a candidate whose message waits on
    # the rate limit can already be found; a status-only change waits for the sends.
    findable = view[:2] == published[:2]
    if sends_in_flight and findable:
        return published
    jobs, applications, statuses = view
    if sends_in_flight and settled_statuses:
        # Findable by the new job or application now, with the statuses as they were: the
        # ones of the sends in flight (``sending``) change again at once, so they wait for
        # the sends to settle, and are published then only if they differ.
        statuses = published[2]
        view = (jobs, applications, statuses)
    workflow.upsert_search_attributes(
        [
            CANDIDATE_ID.value_set(thread.candidate.id),
            JOB_IDS.value_set(jobs),
            APPLICATION_IDS.value_set(applications),
            ENROLMENT_STATUSES.value_set(statuses),
        ]
    )
    return view
