"""Every process runs on the event loop ``ENROLMENTS_EVENT_LOOP`` names (uvloop by default)."""

from __future__ import annotations

import asyncio
import sys

import pytest

from workers.supervision import StartupError, run_until_complete


async def loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def test_auto_runs_on_uvloop_where_it_is_installed() -> None:
    assert run_until_complete(loop_module(), "auto") == "uvloop"
    assert run_until_complete(loop_module(), "uvloop") == "uvloop"


def test_asyncio_runs_on_the_standard_loop() -> None:
    assert run_until_complete(loop_module(), "asyncio") == "asyncio"


def test_without_uvloop_auto_falls_back_and_uvloop_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    assert run_until_complete(loop_module(), "auto") == "asyncio"
    main = loop_module()
    with pytest.raises(StartupError, match="uvloop is not installed"):
        run_until_complete(main, "uvloop")
    main.close()
