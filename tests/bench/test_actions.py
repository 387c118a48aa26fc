"""Actions counted from recorded histories by Temporal Cloud's billing rules (``bench.actions``),
checked against what was measured from outside (issue 25: a blast to a new candidate, started
findable as the ATS bridge starts it, costs 6)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from bench.actions import actions, savings

HISTORIES = Path(__file__).parent.parent / "replay" / "histories"


def recorded(name: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())


def test_a_blast_to_a_new_candidate_costs_six_actions_itemised() -> None:
    assert actions(recorded("blast_delivered_started_findable")) == {
        "start": 1,
        "update": 1,
        "activity": 1,
        "local activities": 2,  # two workflow tasks that projected
        "upsert": 1,
    }


def test_retries_and_the_hidden_timer_of_a_wait_are_actions() -> None:
    # A 429 retried (2 attempts), refused, the recruiter's retry (a signal), written (1).
    assert actions(recorded("writeback_busy_refused_retried_done")) == {
        "start": 1,
        "activity": 3,
        "timer": 1,  # waiting for the retry, with a timeout
        "signal": 1,
    }


def test_what_the_proposals_would_save_is_read_from_the_history() -> None:
    # The projection after the send (the activity would write ``delivered`` itself) and the
    # upsert of ``delivered`` (a routine status: the search attribute would not hold it).
    assert savings(recorded("blast_delivered_started_findable")) == {
        "delivered by the activity": 1,
        "routine status upsert": 1,
    }
    # A failure is what operators look for: its upsert stays; nothing was delivered.
    assert savings(recorded("invalid_phone_failed")) == {}


def test_only_actions_past_a_point_are_counted() -> None:
    history = recorded("blast_delivered_started_findable")
    accepted = next(
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    )
    assert actions(history, after_event=accepted) == {
        "activity": 1,
        "local activities": 2,
        "upsert": 1,
    }


def test_a_second_campaign_of_a_running_candidate_costs_five() -> None:
    # Two blasts: 6 for the first (above), 5 for the second: its update, its delivery, two
    # projections, and one upsert making it findable by the new job and application.
    assert actions(recorded("second_blast_started_findable")) == {
        "start": 1,
        "update": 2,
        "activity": 2,
        "local activities": 4,
        "upsert": 2,
    }


def test_an_interviewer_answering_once_projected_spends_no_timer_on_it() -> None:
    # The same story (availability, two bookings, a move, a confirmation, a cancellation):
    # each of its six updates waited for the calendar's projection with a timeout, a timer.
    bounded = actions(recorded("interviewer_books_moves_cancels_and_asks"))
    unbounded = actions(recorded("interviewer_answers_when_projected"))
    assert bounded["update"] == unbounded["update"] == 6
    assert bounded["timer"] - unbounded["timer"] == 6
    assert bounded - Counter({"timer": 6}) == unbounded
