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

import json
from collections import Counter

from temporalio.api.common.v1 import SearchAttributes
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


def actions(history: WorkflowHistory, *, after_event: int = 0) -> Counter[str]:
    """The Actions one run's history cost, by kind (those of its events past ``after_event``)."""
    counted: Counter[str] = Counter()
    local_in_task = False
    signal_with_start = False
    for event in history.events:
        if event.event_id <= after_event:
            continue
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


# -- what the proposals to lower the minimum would save (README, "What an enrolment costs") ----

#: The statuses an operator looks for in the Temporal UI: a candidate waiting, or gone wrong.
#: Under the second proposal the ``EnrolmentStatuses`` search attribute holds only these.
ATTENTION = frozenset({"queued", "auto_match", "failed", "expired"})

#: What a workflow task sends back: its commands (and the updates it accepts or answers).
COMMANDS = frozenset(
    {
        E.EVENT_TYPE_MARKER_RECORDED,
        E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
        E.EVENT_TYPE_TIMER_STARTED,
        E.EVENT_TYPE_TIMER_CANCELED,
        E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
        E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)
_TASK = {E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, E.EVENT_TYPE_WORKFLOW_TASK_STARTED}


def savings(
    history: WorkflowHistory, *, after_event: int = 0, delivery: str = "deliver_message"
) -> Counter[str]:
    """The Actions of ``history`` (past ``after_event``) that the two proposals would save:

    - ``delivered by the activity``: a workflow task woken by delivery results alone that
      projected (and sent no new message) what the delivery changed (not an update
      taken before and projected with it, as a conversation's answer is with the next
      question's send): the delivery activity would have written the outcome itself;
    - ``routine status upsert``: an upsert that changed only statuses outside ``ATTENTION``
      (jobs and applications as before).
    """
    saved = Counter({"routine status upsert": _routine_upserts(history, after_event)})
    scheduled: dict[int, str] = {}
    # What woke the next task; the task being read (its completion's event id, what woke it,
    # its commands).
    waking: list[str] = []
    task: tuple[int, list[str], list[EventType.ValueType]] | None = None

    # An update was taken and not yet projected: the next projection carries it too.
    carried = False

    def settle() -> None:
        nonlocal carried
        if task is None:
            return
        if task[0] > after_event and not carried and _only_projected(*task[1:]):
            saved["delivered by the activity"] += 1
        commands = set(task[2])
        if E.EVENT_TYPE_MARKER_RECORDED in commands:
            carried = False
        if E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED in commands:
            carried = E.EVENT_TYPE_MARKER_RECORDED not in commands

    for event in history.events:
        kind = event.event_type
        if kind == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = attributes.activity_type.name
        if kind == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            settle()
            task, waking = (event.event_id, waking, []), []
        elif kind in COMMANDS:
            if task is not None:
                task[2].append(kind)
        elif kind not in _TASK:
            settle()
            task = None
            if kind == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                done = event.activity_task_completed_event_attributes.scheduled_event_id
                waking.append("delivery" if scheduled.get(done) == delivery else "activity")
            elif kind != E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                waking.append("other")
    settle()
    return +saved


def _routine_upserts(history: WorkflowHistory, after_event: int) -> int:
    """Upserts (past ``after_event``) that changed only statuses outside ``ATTENTION``."""
    published: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    routine = 0
    for event in history.events:
        if event.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            started = event.workflow_execution_started_event_attributes.search_attributes
            published = _keywords(started, published)
        elif event.event_type == E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            upserted = event.upsert_workflow_search_attributes_event_attributes.search_attributes
            now = _keywords(upserted, published)
            same_ids = now[:2] == published[:2]
            if same_ids and now[2] & ATTENTION == published[2] & ATTENTION:
                routine += event.event_id > after_event
            published = now
    return routine


def _only_projected(woken_by: list[str], commands: list[EventType.ValueType]) -> bool:
    """A task woken by delivery results alone whose only work was a projection."""
    return (
        bool(woken_by)
        and set(woken_by) == {"delivery"}
        and E.EVENT_TYPE_MARKER_RECORDED in commands
        # A new message may carry a new status (a queued campaign starting): not the
        # delivery's alone. A timer (the expiry, armed by the delivery) is.
        and E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in commands
    )


def _keywords(
    attributes: SearchAttributes, before: tuple[set[str], set[str], set[str]]
) -> tuple[set[str], set[str], set[str]]:
    """Job ids, application ids and statuses after ``attributes`` were set over ``before``."""
    fields = attributes.indexed_fields
    values = []
    names = ("JobIds", "ApplicationIds", "EnrolmentStatuses")
    for name, previous in zip(names, before, strict=True):
        values.append(set(json.loads(fields[name].data)) if name in fields else previous)
    return values[0], values[1], values[2]
