"""The sandbox our workflows run in, without a trip into it for every payload's context.

temporalio (1.35) asks the sandboxed workflow instance, for every payload of every activation
and completion, which serialization context and which external-storage context apply: three asks
on the way in, four on the way out, each an ``exec`` of a code string inside the sandbox.
Measured with ``bench.profile``, that was about 15 % of the worker's Python CPU per blast (more
than the workflow code itself). The answer is only used by a payload codec or an external
storage that reads it (the payload *converter* runs inside the sandbox and gets its context
there). Ours reads none: the encryption codec is the same for every workflow and command, and
no external storage is configured. So when the data converter is like that, the instance answers
"no context" itself, which gives the very codec the sandbox's answer would have given. A
context-aware codec or any external storage gets the SDK's own path, unchanged.

The sandbox itself is untouched: the workflow still runs, and is replayed, inside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import (
    DataConverter,
    SerializationContext,
    StorageDriverStoreContext,
    WithSerializationContext,
)
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.workflow import Info, _Definition

#: Our own packages and pydantic are deterministic and side-effect free at import: pass them
#: through the sandbox instead of re-importing them for every workflow run.
PASSTHROUGH_MODULES = (
    "pydantic",
    "pydantic_core",
    "annotated_types",
    # The time zones of phone numbers' regions (quiet hours): data, loaded lazily on first use.
    "phonenumbers",
    "domain",
    "channels",
    "activities",
    "workflows.inputs",
    "workflows.search_attributes",
    "workflows.projecting",
    # The tracing interceptor's workflow side (when traces are on).
    "opentelemetry",
)

#: What an instance answers for external storage when none is configured.
_NO_STORE = StorageDriverStoreContext(target=None)


def payload_contexts_matter(converter: DataConverter) -> bool:
    """Whether the worker's codec pass depends on each payload's context."""
    return (
        isinstance(converter.payload_codec, WithSerializationContext)
        or converter.external_storage is not None
    )


def workflow_runner(converter: DataConverter) -> WorkflowRunner:
    """The runner for workers and replayers whose client converts with ``converter``."""
    sandbox = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
    return sandbox if payload_contexts_matter(converter) else ContextFreeSandbox(sandbox)


class ContextFreeSandbox(WorkflowRunner):
    """A sandboxed runner whose instances answer payload contexts without entering the sandbox.

    Only for a converter where ``payload_contexts_matter`` is false (see the module docstring).
    """

    def __init__(self, sandbox: SandboxedWorkflowRunner) -> None:
        self._sandbox = sandbox

    def prepare_workflow(self, defn: _Definition) -> None:
        self._sandbox.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _ContextFreeInstance(self._sandbox.create_instance(det))

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self._sandbox.set_worker_level_failure_exception_types(types)


class _ContextFreeInstance(WorkflowInstance):
    """A sandboxed instance, except that it answers payload contexts itself: none."""

    def __init__(self, sandboxed: WorkflowInstance) -> None:
        self._sandboxed = sandboxed

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        return self._sandboxed.activate(act)

    def get_serialization_context(self, command_info: object) -> SerializationContext | None:
        return None

    def get_external_store_context(self, command_info: object) -> StorageDriverStoreContext:
        return _NO_STORE

    def get_info(self) -> Info:
        return self._sandboxed.get_info()

    def get_thread_id(self) -> int | None:
        return self._sandboxed.get_thread_id()
