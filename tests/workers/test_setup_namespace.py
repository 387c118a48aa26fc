"""``enrolments setup-namespace``: a fresh self-hosted Temporal made ready for our workflows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client

from config.ports import free_ports
from tests.workers.conftest import run_enrolments
from workers.dev_server import DevServer
from workflows.search_attributes import REGISTRATION

pytestmark = pytest.mark.devserver


async def test_setup_namespace_registers_namespace_and_search_attributes_once(
    tmp_path: Path,
) -> None:
    port, ui_port = free_ports(2)
    # A server that knows nothing of us, like a fresh cluster.
    server = DevServer(data_dir=tmp_path, port=port, ui_port=ui_port, search_attributes={})
    async with server:
        environment = {"TEMPORAL_ADDRESS": server.address, "TEMPORAL_NAMESPACE": "recruiting"}
        first = await asyncio.to_thread(run_enrolments, ["setup-namespace"], environment)
        assert first.returncode == 0, first.stderr
        assert "Registered namespace recruiting" in first.stdout

        second = await asyncio.to_thread(run_enrolments, ["setup-namespace"], environment)
        assert second.returncode == 0, second.stderr
        assert "Registered" not in second.stdout
        assert "Added" not in second.stdout

        client = await Client.connect(server.address, namespace="recruiting")
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="recruiting")
        )
        registered = {
            name: IndexedValueType.Name(kind) for name, kind in listed.custom_attributes.items()
        }
        for name, cli_type in REGISTRATION.items():
            expected = "KEYWORD_LIST" if cli_type == "KeywordList" else cli_type.upper()
            assert registered[name] == f"INDEXED_VALUE_TYPE_{expected}"
    assert server.pid is None


def test_setup_namespace_without_a_reachable_temporal_says_so() -> None:
    (port,) = free_ports(1)
    result = run_enrolments(["setup-namespace"], {"TEMPORAL_ADDRESS": f"127.0.0.1:{port}"})
    assert result.returncode == 1
    assert f"cannot reach Temporal at 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
