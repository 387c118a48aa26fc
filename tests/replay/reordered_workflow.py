"""A deliberately non-deterministic change: the workflow sleeps before its first step.

Deployed without a patch it would break every running candidate (their histories have no such
timer); the replay gate must refuse it. Kept in a module of its own: the workflow sandbox
imports it afresh.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.candidate import CandidateWorkflow
    from workflows.inputs import CandidateWorkflowInput


@workflow.defn(name="CandidateWorkflow")
class ReorderedCandidateWorkflow(CandidateWorkflow):
    @workflow.run
    async def run(self, input: CandidateWorkflowInput) -> None:
        await workflow.sleep(timedelta(seconds=1))
        await super().run(input)
