"""The worker's knobs: unset, a worker keeps the SDK's defaults; set, every worker the process
runs takes them, and the SDK accepts them (a worker is built with each)."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import PollerBehaviorAutoscaling, Worker

from config.settings import Settings
from workers.sandbox import workflow_runner
from workers.worker import worker_tuning
from workflows.candidate import CandidateWorkflow


def test_unset_knobs_keep_the_sdk_defaults() -> None:
    assert worker_tuning(Settings()) == {}
    assert worker_tuning(Settings(), workflows=False) == {}


async def test_set_knobs_reach_the_workflow_and_activity_workers(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    settings = Settings(
        max_concurrent_workflow_tasks=40,
        max_concurrent_activities=200,
        max_concurrent_local_activities=80,
        poller_autoscaling=True,
    )
    tuning = worker_tuning(settings)
    assert tuning["max_concurrent_workflow_tasks"] == 40
    assert tuning["max_concurrent_local_activities"] == 80
    assert isinstance(tuning["workflow_task_poller_behavior"], PollerBehaviorAutoscaling)
    activities_only = worker_tuning(settings, workflows=False)
    assert activities_only.keys() == {"max_concurrent_activities", "activity_task_poller_behavior"}
    client = time_skipping_env.client
    Worker(
        client,
        task_queue="tuning",
        workflows=[CandidateWorkflow],
        workflow_runner=workflow_runner(client.data_converter),
        **tuning,
    )
