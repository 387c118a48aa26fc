"""Recorded histories still replay: a change that would break running workflows fails CI."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from config.encryption import data_converter, new_key_setting
from tests.replay.reordered_workflow import ReorderedCandidateWorkflow
from workers.sandbox import workflow_runner
from workflows.candidate import CandidateWorkflow
from workflows.interviewer import InterviewerWorkflow
from workflows.writeback import WritebackWorkflow

#: Recorded ``CandidateWorkflow`` histories (``record_histories.py``), and the recorded
#: ``InterviewerWorkflow`` ones (``record_interviewer_history.py``, named ``interviewer_*``).
RECORDED = sorted((Path(__file__).parent / "histories").glob("*.json"))
OTHERS = ("interviewer_", "writeback_")
HISTORIES = {p.stem: p.read_text() for p in RECORDED if not p.stem.startswith(OTHERS)}
INTERVIEWER_HISTORIES = {
    p.stem: p.read_text() for p in RECORDED if p.stem.startswith("interviewer_")
}
#: Recorded ``WritebackWorkflow`` histories (``record_writeback_history.py``).
WRITEBACK_HISTORIES = {p.stem: p.read_text() for p in RECORDED if p.stem.startswith("writeback_")}


def test_histories_are_recorded() -> None:
    assert len(HISTORIES) >= 5


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "with-keys"])
@pytest.mark.parametrize("name", HISTORIES)
async def test_recorded_history_replays_without_nondeterminism(name: str, encrypted: bool) -> None:
    """Also on a worker with encryption keys: the recorded histories are from before
    encryption, and their plain payloads decode as they are."""
    history = WorkflowHistory.from_json(f"candidate-{name}", HISTORIES[name])
    converter = data_converter(new_key_setting("replay") if encrypted else None)
    replayer = Replayer(
        workflows=[CandidateWorkflow],
        data_converter=converter,
        workflow_runner=workflow_runner(converter),
    )
    await replayer.replay_workflow(history)


OTHER_WORKFLOWS = [
    *((InterviewerWorkflow, name, text) for name, text in INTERVIEWER_HISTORIES.items()),
    *((WritebackWorkflow, name, text) for name, text in WRITEBACK_HISTORIES.items()),
]


@pytest.mark.parametrize(
    ("workflow", "name", "recorded"), OTHER_WORKFLOWS, ids=[n for _, n, _ in OTHER_WORKFLOWS]
)
async def test_recorded_histories_of_the_other_workflows_replay(
    workflow: type, name: str, recorded: str
) -> None:
    history = WorkflowHistory.from_json(name, recorded)
    converter = data_converter(None)
    replayer = Replayer(
        workflows=[workflow], data_converter=converter, workflow_runner=workflow_runner(converter)
    )
    await replayer.replay_workflow(history)


async def test_the_gate_fails_a_change_that_is_not_deterministic() -> None:
    """The gate above catches what would break running candidates (``reordered_workflow``)."""
    name = next(iter(HISTORIES))
    history = WorkflowHistory.from_json(f"candidate-{name}", HISTORIES[name])
    converter = data_converter(None)
    replayer = Replayer(
        workflows=[ReorderedCandidateWorkflow],
        data_converter=converter,
        workflow_runner=workflow_runner(converter),
    )
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(history)
