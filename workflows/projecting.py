"""How a workflow writes its state into the read model: the local activity's retry policy and
how long an update waits for its change to land there. Shared by every workflow that projects
(passed through the sandbox: constants only)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

#: How long an update waits for its change to reach the read model before answering anyway.
PROJECTION_WAIT = timedelta(seconds=10)

PROJECTION_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=0,
)
