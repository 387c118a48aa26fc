"""Actions counted from recorded histories by Temporal Cloud's billing rules (``bench.actions``),
checked against what was measured from outside (issue 25: a blast to a new candidate, started
findable as the ATS bridge starts it, costs 6)."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowHistory

from bench.actions import actions

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
