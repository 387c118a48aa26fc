"""Temporal Cloud Actions in a finished workflow history, counted by Temporal Cloud's billing
rules (https://docs.temporal.io/cloud/actions), itemised.

- a workflow start, and each continue-as-new's new run: 1 (``start``);
- each signal: 1 (a signal-with-start: the start only), each update: 1 (``signal``, ``update``);
- each timer, the hidden one of a wait with a timeout included: 1 (``timer``);
- each activity attempt: 1 (``activity``: scheduled, plus one per retry);
- all local activities of one workflow task: 1 (``local activities``);
- each search-attribute upsert command: 1 (``upsert``);
- each child workflow start and external signal: 1 (``child``, ``external signal``).

Queries are Actions too but leave no event: a caller counts its own. Workflow-task heartbeats
of long local activities leave none either (none of ours runs that long).

    from bench.actions import actions
    actions(history)  # Counter({"start": 1, "update": 1, "activity": 1, ...})
"""

from __future__ import annotations

from collections import Counter

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

E = EventType
#: Events that are one Action each, and what they are.
ONE_EACH = {
    E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: "start",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signal",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "update",
    E.EVENT_TYPE_TIMER_STARTED: "timer",
    E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activity",
    E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "upsert",
    E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: "child",
    E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: "external signal",
}


def actions(history: WorkflowHistory) -> Counter[str]:
    """The Actions one run's history cost, by kind."""
    counted: Counter[str] = Counter()
    local_in_task = False
    signal_with_start = False
    for event in history.events:
        kind = event.event_type
        if kind == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            local_in_task = False
        elif kind == E.EVENT_TYPE_MARKER_RECORDED:
            if event.marker_recorded_event_attributes.marker_name == "core_local_activity":
                if not local_in_task:
                    counted["local activities"] += 1
                local_in_task = True
            continue
        if kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            # A signal-with-start's signal comes in the same batch: it is not billed apart.
            signal_with_start = True
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED and signal_with_start:
            signal_with_start = False
            continue
        elif kind != E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            signal_with_start = False
        if kind == E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            counted["activity"] += max(event.activity_task_started_event_attributes.attempt - 1, 0)
        if kind in ONE_EACH:
            counted[ONE_EACH[kind]] += 1
    return counted
