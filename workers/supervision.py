"""Running a process until it is told to stop: signals, the tasks it runs, the HTTP server.

SIGINT/SIGTERM/SIGHUP start an orderly stop (``Shutdown``); a second signal, or a stop that
hangs, forces it. Anything outside the settings that prevents starting (a port in use, Temporal
unreachable) is a ``StartupError`` with a one-line message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from config.settings import Settings
from workers.configuration import PROGRAM

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import ASGIApp
    from temporalio.client import Client

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_CONFIGURATION = 2
#: A forced stop (second Ctrl-C, or an orderly stop that hung), as a shell reports SIGINT.
EXIT_INTERRUPTED = 130
_T = TypeVar("_T")


class StartupError(Exception):
    """Something outside the settings prevents starting; the message says what."""


class StopRequested(Exception):
    """A stop was requested while the process was still starting."""


@dataclass
class Shutdown:
    """Turns SIGINT/SIGTERM/SIGHUP into an orderly stop.

    A second signal, or an orderly stop that takes longer than ``force_after`` seconds, forces
    it: the ``on_force`` callbacks run (they kill child processes) and the process exits at once,
    because a worker whose server is gone may wait forever to drain.
    """

    force_after: float = 60.0
    requested: asyncio.Event = field(default_factory=asyncio.Event)
    on_force: list[Callable[[], None]] = field(default_factory=list)

    def force(self) -> None:
        """Kill what must not outlive us and exit now (from any thread)."""
        print(f"{PROGRAM}: forcing shutdown", file=sys.stderr)
        for kill in self.on_force:
            with contextlib.suppress(Exception):
                kill()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

        def handle() -> None:
            if self.requested.is_set():
                self.force()
            print(f"\n{PROGRAM}: stopping (press Ctrl-C again to force)...", file=sys.stderr)
            self.requested.set()
            watchdog = threading.Timer(self.force_after, self.force)
            watchdog.daemon = True
            watchdog.start()

        for signum in signals:
            loop.add_signal_handler(signum, handle)
        try:
            yield
        finally:
            for signum in signals:
                loop.remove_signal_handler(signum)

    async def run_unless_stopped(self, step: Awaitable[_T]) -> _T:
        """Await ``step``, but cancel it and raise ``StopRequested`` once a stop is requested."""
        task = asyncio.ensure_future(step)
        stop = asyncio.ensure_future(self.requested.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise StopRequested
        return task.result()


# --- the pieces every process uses ---------------------------------------------------------


async def migrate(settings: Settings) -> None:
    from store.migrate import upgrade

    await upgrade(settings.database_url)


async def connect(settings: Settings, *, dev_server: bool) -> Client:
    from config.temporal import client_connect_config, connect_client

    try:
        return await connect_client(settings, dev_server=dev_server)
    except Exception as error:
        where = f"127.0.0.1:{settings.temporal_port}"
        if not dev_server:
            try:
                where = str(client_connect_config(settings).get("target_host"))
            except Exception:
                where = "the configured address (TEMPORAL_* settings)"
        raise StartupError(f"cannot reach Temporal at {where}: {error}") from None


def create_api_app(
    settings: Settings, client: Client, *, engine: AsyncEngine | None = None
) -> FastAPI:
    try:
        from api.app import create_app
    except ModuleNotFoundError as error:
        if error.name in {"api", "api.app"}:
            raise StartupError("the HTTP API (api/app.py) is not part of this build") from None
        raise
    return create_app(settings, client, engine=engine)


def bind_http_socket(
    settings: Settings,
    port: int | None = None,
    *,
    serving: str = "the HTTP API",
    choose: str = "choose another port with --api-port",
) -> socket.socket:
    """A listening socket on ``settings.api_host`` and ``port`` (default: the API's port);
    ``StartupError`` naming what it is ``serving`` and how to ``choose`` when it is taken."""
    port = settings.api_port if port is None else port
    family = socket.AF_INET6 if ":" in settings.api_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.api_host, port))
    except OSError as error:
        sock.close()
        raise StartupError(
            f"cannot listen on {settings.api_host}:{port} for {serving} "
            f"({error.strerror}); {choose}"
        ) from None
    sock.set_inheritable(False)
    return sock


def run_until_complete(main: Coroutine[Any, Any, _T], event_loop: str) -> _T:
    """Run ``main`` on a new event loop of the kind ``event_loop`` names (``Settings``), as
    ``asyncio.run`` does."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if event_loop != "asyncio":
        try:
            import uvloop
        except ImportError:
            if event_loop == "uvloop":
                raise StartupError(
                    "ENROLMENTS_EVENT_LOOP=uvloop, but uvloop is not installed here"
                ) from None
        else:
            factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def http_server(app: ASGIApp, *, access_log: bool) -> uvicorn.Server:
    import uvicorn

    class EmbeddedServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # This CLI owns the signals: it stops HTTP, then the worker, then the dev server.
            yield

    config = uvicorn.Config(app, log_config=None, access_log=access_log, lifespan="on")
    return EmbeddedServer(config)


async def serve_http(server: uvicorn.Server, sock: socket.socket) -> None:
    try:
        await server.serve(sockets=[sock])
    except SystemExit as error:
        # uvicorn exits the interpreter when the app's startup fails; we only stop the stack.
        raise StartupError(f"the HTTP API failed to start (exit {error.code})") from None


async def wait_until_serving(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    while not server.started:
        if task.done():
            task.result()
            raise StartupError("the HTTP API stopped before it started serving")
        await asyncio.sleep(0.05)


async def finish(task: asyncio.Task[None], within: float) -> None:
    """Give ``task`` ``within`` seconds to end, then cancel it; report an error it ends with."""
    if task.done():
        return  # it ended before the stop, and run_until_stopped said how
    done, _ = await asyncio.wait({task}, timeout=within)
    if not done:
        task.cancel()
        # A task that ignores cancellation is abandoned here; the shutdown watchdog ends it.
        done, _ = await asyncio.wait({task}, timeout=5.0)
    if done and not task.cancelled() and (error := task.exception()) is not None:
        print(f"{PROGRAM}: the {task.get_name()} failed while stopping: {error!r}", file=sys.stderr)


async def stop_http(server: uvicorn.Server, task: asyncio.Task[None], grace: float) -> None:
    """Stop accepting connections, let requests in flight finish for ``grace`` seconds."""
    server.should_exit = True
    await asyncio.wait({task}, timeout=grace)
    # Connections still open after the grace period are dropped.
    server.force_exit = True
    await finish(task, within=2.0)


async def stop_worker(stop: asyncio.Event, task: asyncio.Task[None], grace: float) -> None:
    """Ask the worker to drain and stop; cancel it after ``grace`` seconds."""
    stop.set()
    await finish(task, within=grace)


async def run_until_stopped(shutdown: Shutdown, *tasks: asyncio.Task[None]) -> int:
    stop = asyncio.ensure_future(shutdown.requested.wait())
    try:
        done, _ = await asyncio.wait({stop, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    for task in tasks:
        if task in done:
            error = None if task.cancelled() else task.exception()
            what = task.get_name()
            if error is None:
                print(f"{PROGRAM}: the {what} stopped unexpectedly", file=sys.stderr)
            else:
                if isinstance(error, StartupError):
                    reason = str(error)
                else:
                    logging.getLogger(__name__).error("the %s failed", what, exc_info=error)
                    reason = f"{type(error).__name__}: {error}"
                print(f"{PROGRAM}: the {what} failed: {reason}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


AUTH_OFF_WARNING = """
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! AUTHENTICATION IS OFF (ENROLMENTS_AUTH=off): anyone who reaches this API reads every  !!
!! candidate's name and number and can reconfigure campaigns. For local use only.        !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
"""


def warn_if_auth_is_off(settings: Settings) -> None:
    """Say it loudly, on stderr and in the log, when requests need no key."""
    if not settings.auth_on:
        print(AUTH_OFF_WARNING, file=sys.stderr, flush=True)
        logging.getLogger(__name__).warning("authentication is off (ENROLMENTS_AUTH=off)")


def warn_if_payloads_are_plain(settings: Settings) -> None:
    """Say so when Temporal would store candidates' data unencrypted (no keys set)."""
    if settings.encryption_keys is None:
        message = (
            "ENROLMENTS_ENCRYPTION_KEYS is not set: Temporal stores candidates' names, numbers "
            "and e-mails in clear (set id:base64key,... on every worker and API process)"
        )
        print(f"{PROGRAM}: warning: {message}", file=sys.stderr, flush=True)
        logging.getLogger(__name__).warning(message)
