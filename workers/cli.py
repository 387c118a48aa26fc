"""The ``enrolments`` command: the embedded dev stack, and each production process on its own.

- ``enrolments dev``: the Temporal dev server (child process), the database migrations, the worker
  and the HTTP API in one process; Ctrl-C stops them in order and leaves no process behind.
- ``enrolments worker`` / ``enrolments api`` / ``enrolments migrate``: one piece each, against the
  Temporal named by ``TEMPORAL_ADDRESS`` (``temporalio.envconfig``) and the database named by
  ``ENROLMENTS_DATABASE_URL``; ``enrolments setup-namespace`` readies a self-hosted namespace
  (creates it if missing, registers the search attributes).

Settings come from ``ENROLMENTS_*`` environment variables; a flag overrides its variable. They are
validated before anything starts: an invalid value is reported on one line and the exit code is 2.
Anything that prevents starting (a port in use, Temporal unreachable) exits 1 with a message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from channels.providers import describe_providers
from config.settings import Settings

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine
    from temporalio.client import Client

    from workers.dev_server import DevServer

PROGRAM = "enrolments"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_CONFIGURATION = 2
#: A forced stop (second Ctrl-C, or an orderly stop that hung), as a shell reports SIGINT.
EXIT_INTERRUPTED = 130
_T = TypeVar("_T")

#: Flags that override a setting: the flag's ``dest`` is the setting's name.
_SETTING_FLAGS: dict[str, str] = {
    "data_dir": "--data-dir",
    "database_url": "--database-url",
    "api_host": "--api-host",
    "api_port": "--api-port",
    "temporal_port": "--temporal-port",
    "temporal_ui_port": "--temporal-ui-port",
    "delivery_rate": "--delivery-rate",
}
_SECRET_SETTINGS = frozenset({"webhook_secret", "twilio_auth_token"})


class ConfigurationError(Exception):
    """Settings that cannot work; the message is one line for the operator."""


class StartupError(Exception):
    """Something outside the settings prevents starting; the message says what."""


class _StopRequested(Exception):
    """A stop was requested while the stack was still starting."""


# --- settings -------------------------------------------------------------------------------


def setting_env_name(name: str) -> str:
    """The environment variable that sets the setting ``name``."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, str):
        return alias
    return f"{Settings.model_config.get('env_prefix', '')}{name}".upper()


def load_settings(overrides: Mapping[str, Any]) -> Settings:
    """Settings from the environment, with flag values (``overrides``) taking precedence.

    Raises ``ConfigurationError`` naming the variable or flag at fault and why.
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        raise ConfigurationError(_describe(error, overrides)) from None
    _check_webhook_secret(settings, overrides)
    try:
        make_url(settings.database_url)
    except ArgumentError:
        source = _source("database_url", overrides)
        raise ConfigurationError(
            f"invalid configuration: {source} is not a database URL "
            "(expected e.g. postgresql+asyncpg://user:password@host/db)"
        ) from None
    return settings


def _check_webhook_secret(settings: Settings, overrides: Mapping[str, Any]) -> None:
    if settings.webhook_secret is None:
        return
    try:
        from api.signatures import webhook_key
    except ModuleNotFoundError:
        return  # no HTTP edge in this build, so nothing reads the secret
    try:
        webhook_key(settings.webhook_secret.get_secret_value())
    except ValueError as error:
        source = _source("webhook_secret", overrides)
        raise ConfigurationError(f"invalid configuration: {source}: {error}") from None


def _source(name: str, overrides: Mapping[str, Any]) -> str:
    return _SETTING_FLAGS[name] if name in overrides else setting_env_name(name)


def _describe(error: ValidationError, overrides: Mapping[str, Any]) -> str:
    by_env_name = {setting_env_name(name).lower(): name for name in Settings.model_fields}
    problems = []
    for detail in error.errors():
        name = str(detail["loc"][0]) if detail["loc"] else ""
        # A setting read through an alias (TWILIO_AUTH_TOKEN) is reported under the alias.
        name = by_env_name.get(name.lower(), name)
        if name not in Settings.model_fields:
            problems.append(detail["msg"])
            continue
        source = _source(name, overrides)
        shown = "" if name in _SECRET_SETTINGS else f"={detail.get('input')}"
        problems.append(f"{source}{shown}: {detail['msg']}")
    return "invalid configuration: " + "; ".join(problems)


def _warn_about_unknown_variables(environ: Mapping[str, str]) -> None:
    # A misspelt variable is otherwise silently ignored, which is worse than a warning.
    known = {setting_env_name(name) for name in Settings.model_fields}
    prefix = str(Settings.model_config.get("env_prefix", "")).upper()
    for name in sorted(environ):
        if name.upper().startswith(prefix) and name.upper() not in known:
            print(f"{PROGRAM}: warning: unknown setting {name} is ignored", file=sys.stderr)


def _sqlite_folder(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).parent


def _require_read_model(settings: Settings) -> None:
    """A command that uses the read model must find it: a SQLite file that does not exist is
    another data folder than the one ``dev`` or ``migrate`` made, never one to create empty."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    if not Path(url.database).is_file():
        raise ConfigurationError(
            f"invalid configuration: no read model at {url.database}: "
            "run 'enrolments migrate' (or 'enrolments dev') "
            "first, or point --data-dir / ENROLMENTS_DATA_DIR (or ENROLMENTS_DATABASE_URL) at "
            "the one you have"
        )


def _prepare_data_folders(settings: Settings, *, dev: bool) -> None:
    folders = [settings.data_dir] if dev else []
    sqlite_folder = _sqlite_folder(settings.database_url)
    if sqlite_folder is not None:
        folders.append(sqlite_folder)
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigurationError(f"cannot create the data folder {folder}: {error}") from None


# --- signals and tasks ----------------------------------------------------------------------


@dataclass
class _Shutdown:
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
        """Await ``step``, but cancel it and raise ``_StopRequested`` once a stop is requested."""
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
            raise _StopRequested
        return task.result()


# --- the pieces -----------------------------------------------------------------------------


async def _migrate(settings: Settings) -> None:
    from store.migrate import upgrade

    await upgrade(settings.database_url)


async def _connect(settings: Settings, *, dev_server: bool) -> Client:
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


def _create_app(
    settings: Settings, client: Client, *, engine: AsyncEngine | None = None
) -> FastAPI:
    try:
        from api.app import create_app
    except ModuleNotFoundError as error:
        if error.name in {"api", "api.app"}:
            raise StartupError("the HTTP API (api/app.py) is not part of this build") from None
        raise
    return create_app(settings, client, engine=engine)


def _bind_http_socket(settings: Settings) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.api_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.api_host, settings.api_port))
    except OSError as error:
        sock.close()
        raise StartupError(
            f"cannot listen on {settings.api_host}:{settings.api_port} for the HTTP API "
            f"({error.strerror}); choose another port with --api-port"
        ) from None
    sock.set_inheritable(False)
    return sock


def _http_server(app: FastAPI, *, access_log: bool) -> uvicorn.Server:
    import uvicorn

    class EmbeddedServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # This CLI owns the signals: it stops HTTP, then the worker, then the dev server.
            yield

    config = uvicorn.Config(app, log_config=None, access_log=access_log, lifespan="on")
    return EmbeddedServer(config)


async def _serve_http(server: uvicorn.Server, sock: socket.socket) -> None:
    try:
        await server.serve(sockets=[sock])
    except SystemExit as error:
        # uvicorn exits the interpreter when the app's startup fails; we only stop the stack.
        raise StartupError(f"the HTTP API failed to start (exit {error.code})") from None


async def _wait_until_serving(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    while not server.started:
        if task.done():
            task.result()
            raise StartupError("the HTTP API stopped before it started serving")
        await asyncio.sleep(0.05)


def _check_port_free(port: int, flag: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise StartupError(
                f"port {port} on 127.0.0.1 is not available ({error.strerror}); "
                f"choose another with {flag}"
            ) from None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _dev_settings(settings: Settings, overrides: dict[str, Any]) -> Settings:
    """The dev stack's settings: port 0 means "any free port"; the three ports must differ."""
    ports = {"api_port": settings.api_port, "temporal_port": settings.temporal_port}
    ports["temporal_ui_port"] = settings.temporal_ui_port
    chosen = {name: _free_port() for name, port in ports.items() if port == 0}
    if chosen:
        settings = load_settings({**overrides, **chosen})
        ports.update(chosen)
    by_port: dict[int, list[str]] = {}
    for name, port in ports.items():
        by_port.setdefault(port, []).append(_source(name, overrides))
    for port, sources in by_port.items():
        if len(sources) > 1:
            raise ConfigurationError(
                f"invalid configuration: {' and '.join(sources)} are both {port}; "
                "each port must be different"
            )
    return settings


async def _finish(task: asyncio.Task[None], within: float) -> None:
    """Give ``task`` ``within`` seconds to end, then cancel it; report an error it ends with."""
    if task.done():
        return  # it ended before the stop, and _run_until_stopped said how
    done, _ = await asyncio.wait({task}, timeout=within)
    if not done:
        task.cancel()
        # A task that ignores cancellation is abandoned here; the shutdown watchdog ends it.
        done, _ = await asyncio.wait({task}, timeout=5.0)
    if done and not task.cancelled() and (error := task.exception()) is not None:
        print(f"{PROGRAM}: the {task.get_name()} failed while stopping: {error!r}", file=sys.stderr)


async def _stop_http(server: uvicorn.Server, task: asyncio.Task[None], grace: float) -> None:
    """Stop accepting connections, let requests in flight finish for ``grace`` seconds."""
    server.should_exit = True
    await asyncio.wait({task}, timeout=grace)
    # Connections still open after the grace period are dropped.
    server.force_exit = True
    await _finish(task, within=2.0)


async def _stop_worker(stop: asyncio.Event, task: asyncio.Task[None], grace: float) -> None:
    """Ask the worker to drain and stop; cancel it after ``grace`` seconds."""
    stop.set()
    await _finish(task, within=grace)


def _local_api_url(settings: Settings) -> str:
    # A wildcard listen address is reached through loopback from this machine.
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(settings.api_host)
    if host is None:
        host = f"[{settings.api_host}]" if ":" in settings.api_host else settings.api_host
    return f"http://{host}:{settings.api_port}"


def _banner(settings: Settings, server: DevServer, *, demo: bool) -> str:
    api = _local_api_url(settings)
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    lines = [
        "",
        "Enrolments is running" + (" with the demo company." if demo else "."),
        f"  Recruiter UI     {api}/ui/",
        f"  HTTP API docs    {api}/docs",
        f"  Temporal Web UI  {settings.temporal_ui_url}",
        f"  Temporal gRPC    {server.address} (namespace {server.namespace})",
        f"  Read model       {database}",
        f"  Data folder      {server.data_dir} (Temporal log: {server.log_path.name})",
        "Messages go to:",
        *(f"  {line}" for line in describe_providers(settings)),
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


# --- commands -------------------------------------------------------------------------------


async def run_dev(settings: Settings, *, demo: bool) -> int:
    """Run the whole product on this machine until SIGINT/SIGTERM, then stop it in order."""
    from config.temporal import TemporalCliMissingError
    from store.database import create_engine
    from workers.dev_server import DevServer, DevServerError
    from workers.worker import run_worker

    shutdown = _Shutdown()
    server = DevServer.from_settings(settings)
    _check_port_free(settings.temporal_port, "--temporal-port")
    _check_port_free(settings.temporal_ui_port, "--temporal-ui-port")
    sock = _bind_http_socket(settings)
    started = False
    with shutdown.installed():
        try:
            print(f"Starting the Temporal dev server on {server.address}...", flush=True)
            server.spawn()
            shutdown.on_force.append(server.kill)
            await shutdown.run_unless_stopped(server.wait_ready())
            print("Migrating the read model...", flush=True)
            await shutdown.run_unless_stopped(_migrate(settings))
            client = await shutdown.run_unless_stopped(_connect(settings, dev_server=True))
            # One engine for the API and the worker: on SQLite its one connection queues every
            # transaction of the process, so they never race for the file lock.
            engine = create_engine(settings.database_url)
            app = _create_app(settings, client, engine=engine)
            http = _http_server(app, access_log=False)
            worker_stop = asyncio.Event()
            worker = asyncio.create_task(
                run_worker(settings, client, worker_stop, engine=engine), name="worker"
            )
            serving = asyncio.create_task(_serve_http(http, sock), name="HTTP API")
            watching = asyncio.create_task(_watch(server), name="Temporal dev server")
            try:
                await shutdown.run_unless_stopped(_wait_until_serving(http, serving))
                if demo:
                    print("Loading the demo company...", flush=True)
                    await shutdown.run_unless_stopped(_load_demo(settings))
                print(_banner(settings, server, demo=demo), flush=True)
                started = True
                return await _run_until_stopped(shutdown, worker, serving, watching)
            finally:
                await _stop_http(http, serving, grace=5.0)
                await _stop_worker(worker_stop, worker, grace=20.0)
                await engine.dispose()
                watching.cancel()
        except _StopRequested:
            return EXIT_OK
        except (DevServerError, TemporalCliMissingError) as error:
            raise StartupError(str(error)) from None
        finally:
            sock.close()
            await server.stop()
            if started:
                print(f"{PROGRAM}: stopped", file=sys.stderr, flush=True)


async def _watch(server: DevServer) -> None:
    code = await server.wait_exited()
    raise StartupError(f"it exited with code {code}; see {server.log_path}")


async def _load_demo(settings: Settings) -> None:
    """Create the demo company through our own HTTP API, as an ATS would."""
    secret = settings.webhook_secret
    try:
        from api.demo import load_demo

        await load_demo(
            _local_api_url(settings),
            webhook_secret=secret.get_secret_value() if secret is not None else None,
        )
    except Exception as error:
        # The stack is fine without the demo: say why it is missing and keep running.
        logging.getLogger(__name__).exception("loading the demo company failed")
        print(f"{PROGRAM}: warning: the demo company was not loaded: {error}", file=sys.stderr)


async def _run_until_stopped(shutdown: _Shutdown, *tasks: asyncio.Task[None]) -> int:
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


async def run_worker_process(settings: Settings) -> int:
    """Run the worker against the configured Temporal until SIGINT/SIGTERM."""
    from workers.worker import run_worker

    shutdown = _Shutdown()
    with shutdown.installed():
        try:
            client = await shutdown.run_unless_stopped(_connect(settings, dev_server=False))
        except _StopRequested:
            return EXIT_OK
        await run_worker(settings, client, shutdown.requested)
    return EXIT_OK


async def run_api_process(settings: Settings) -> int:
    """Serve the HTTP API against the configured Temporal until SIGINT/SIGTERM."""
    shutdown = _Shutdown()
    sock = _bind_http_socket(settings)
    with shutdown.installed():
        try:
            client = await shutdown.run_unless_stopped(_connect(settings, dev_server=False))
            http = _http_server(_create_app(settings, client), access_log=True)
            serving = asyncio.create_task(_serve_http(http, sock), name="HTTP API")
            try:
                return await _run_until_stopped(shutdown, serving)
            finally:
                await _stop_http(http, serving, grace=10.0)
        except _StopRequested:
            return EXIT_OK
        finally:
            sock.close()


async def run_setup_namespace(settings: Settings) -> int:
    """Create the configured namespace if missing and register our search attributes."""
    from config.temporal import NamespaceSetupError, prepare_namespace
    from workflows.search_attributes import REGISTRATION

    client = await _connect(settings, dev_server=False)
    try:
        setup = await prepare_namespace(client, REGISTRATION)
    except NamespaceSetupError as error:
        raise StartupError(str(error)) from None
    if setup.registered_namespace:
        print(f"Registered namespace {client.namespace}.")
    if setup.added_search_attributes:
        print(f"Added search attributes: {', '.join(setup.added_search_attributes)}.")
    print(f"Namespace {client.namespace} is ready for enrolments.")
    return EXIT_OK


async def run_reconcile_process(settings: Settings, args: argparse.Namespace) -> int:
    """Compare the candidate workflows with the read model; with ``--fix`` repair the drift."""
    from datetime import timedelta

    from workers.reconcile import ReconcileError, run_reconcile

    client = await _connect(settings, dev_server=False)
    try:
        return await run_reconcile(
            settings,
            client,
            fix=args.fix,
            wait=timedelta(seconds=args.wait),
            shown=args.show,
            concurrency=args.concurrency,
        )
    except ReconcileError as error:
        raise StartupError(str(error)) from None


async def run_migrate(settings: Settings) -> int:
    """Bring the read model's schema to the latest migration."""
    await _migrate(settings)
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"The read model at {database} is at the latest schema.")
    return EXIT_OK


# --- argument parsing -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The ``enrolments`` argument parser; flags left out do not override their variable."""
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Campaign enrolments on Temporal. Settings come from ENROLMENTS_* "
        "environment variables (and TEMPORAL_* for the Temporal connection); flags override them.",
    )
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def setting_flag(
        command: argparse.ArgumentParser, name: str, kind: Callable[[str], Any], help_text: str
    ) -> None:
        command.add_argument(
            _SETTING_FLAGS[name],
            dest=name,
            type=kind,
            default=argparse.SUPPRESS,
            help=f"{help_text} (env {setting_env_name(name)})",
        )

    def log_flag(command: argparse.ArgumentParser, default: str) -> None:
        command.add_argument(
            "--log-level",
            default=default,
            choices=["debug", "info", "warning", "error"],
            help=f"log level of this process (default {default})",
        )

    dev = commands.add_parser(
        "dev",
        help="run the whole product on this machine (Temporal dev server, worker, HTTP API)",
        description="Start the Temporal dev server, migrate the read model, run the worker and "
        "serve the HTTP API and recruiter UI, in one process. Ctrl-C stops everything.",
    )
    setting_flag(dev, "data_dir", Path, "folder for temporal.db, enrolments.db and temporal.log")
    setting_flag(dev, "database_url", str, "SQLAlchemy async URL of the read model")
    setting_flag(dev, "api_host", str, "address the HTTP API listens on")
    setting_flag(dev, "api_port", int, "port of the HTTP API and recruiter UI (0: any free port)")
    setting_flag(dev, "temporal_port", int, "port of the Temporal frontend (0: any free port)")
    setting_flag(dev, "temporal_ui_port", int, "port of the Temporal Web UI (0: any free port)")
    setting_flag(dev, "delivery_rate", float, "messages delivered per second, at most")
    dev.add_argument("--demo", action="store_true", help="load a demo company once it is up")
    log_flag(dev, "warning")

    worker = commands.add_parser(
        "worker",
        help="run a worker against TEMPORAL_ADDRESS",
        description="Run the workflows and activities against the Temporal named by "
        "TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY (temporalio.envconfig).",
    )
    setting_flag(worker, "data_dir", Path, "folder for the default SQLite read model")
    setting_flag(worker, "database_url", str, "SQLAlchemy async URL of the read model")
    setting_flag(worker, "temporal_port", int, "port of localhost's Temporal if no address")
    setting_flag(worker, "delivery_rate", float, "messages delivered per second, at most")
    log_flag(worker, "info")

    api = commands.add_parser(
        "api",
        help="serve the HTTP API against TEMPORAL_ADDRESS",
        description="Serve the HTTP API and recruiter UI against the Temporal named by "
        "TEMPORAL_ADDRESS and the read model named by ENROLMENTS_DATABASE_URL.",
    )
    setting_flag(api, "data_dir", Path, "folder for the default SQLite read model")
    setting_flag(api, "database_url", str, "SQLAlchemy async URL of the read model")
    setting_flag(api, "api_host", str, "address to listen on")
    setting_flag(api, "api_port", int, "port to listen on")
    setting_flag(api, "temporal_port", int, "port of localhost's Temporal if no address")
    log_flag(api, "info")

    migrate = commands.add_parser(
        "migrate",
        help="apply the read model's database migrations",
        description="Upgrade the database named by ENROLMENTS_DATABASE_URL to the latest schema.",
    )
    setting_flag(migrate, "data_dir", Path, "folder for the default SQLite read model")
    setting_flag(migrate, "database_url", str, "SQLAlchemy async URL of the read model")
    log_flag(migrate, "warning")

    setup_namespace = commands.add_parser(
        "setup-namespace",
        help="register our search attributes (and the namespace) on TEMPORAL_ADDRESS",
        description="Create TEMPORAL_NAMESPACE if it does not exist and register the custom "
        "search attributes the workflows use. Idempotent; needs operator rights on a "
        "self-hosted cluster (on Temporal Cloud, add them with tcld or the Cloud UI).",
    )
    setting_flag(
        setup_namespace, "temporal_port", int, "port of localhost's Temporal if no address"
    )
    log_flag(setup_namespace, "warning")

    reconcile = commands.add_parser(
        "reconcile",
        help="compare every candidate workflow with the read model; --fix repairs drift",
        description="List the running candidate workflows of the task queue, compare each "
        "enrolment's status, reason and seq with the read model and print the differences. "
        "With --fix, ask the drifting workflows to project every enrolment again and check "
        "until they agree. Exits 0 when everything agrees, 1 when drift remains.",
    )
    setting_flag(reconcile, "data_dir", Path, "folder for the default SQLite read model")
    setting_flag(reconcile, "database_url", str, "SQLAlchemy async URL of the read model")
    setting_flag(reconcile, "temporal_port", int, "port of localhost's Temporal if no address")
    reconcile.add_argument(
        "--fix", action="store_true", help="ask drifting workflows to project again, then re-check"
    )
    reconcile.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long --fix waits for the repaired workflows to agree (default 60)",
    )
    reconcile.add_argument(
        "--show", type=int, default=20, metavar="N", help="print the first N differences"
    )
    reconcile.add_argument(
        "--concurrency",
        type=int,
        default=20,
        metavar="N",
        help="workflows queried at once (default 20)",
    )
    log_flag(reconcile, "warning")
    return parser


def _command(args: argparse.Namespace, settings: Settings) -> Coroutine[Any, Any, int]:
    if args.command == "dev":
        return run_dev(settings, demo=args.demo)
    if args.command == "worker":
        return run_worker_process(settings)
    if args.command == "api":
        return run_api_process(settings)
    if args.command == "setup-namespace":
        return run_setup_namespace(settings)
    if args.command == "reconcile":
        return run_reconcile_process(settings, args)
    return run_migrate(settings)


def _version() -> str:
    try:
        return metadata.version("campaign-enrolments")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``enrolments`` command; exits 0, 1 (could not run) or 2 (bad config).

    It ends the process itself (``os._exit``), so call it only as the program's entry point.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        sys.exit(EXIT_OK)
    overrides = {name: getattr(args, name) for name in _SETTING_FLAGS if hasattr(args, name)}
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _warn_about_unknown_variables(os.environ)
    try:
        settings = load_settings(overrides)
        if args.command == "dev":
            settings = _dev_settings(settings, overrides)
            if os.environ.get("TEMPORAL_ADDRESS"):
                print(
                    f"{PROGRAM}: note: TEMPORAL_ADDRESS is ignored by 'dev', which runs its own "
                    "Temporal dev server",
                    file=sys.stderr,
                )
        if args.command in ("worker", "api", "reconcile"):
            _require_read_model(settings)
        if args.command != "setup-namespace":  # the only command without a database
            _prepare_data_folders(settings, dev=args.command == "dev")
    except ConfigurationError as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_CONFIGURATION)
    try:
        code = asyncio.run(_command(args, settings))
    except StartupError as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        code = EXIT_FAILED
    except KeyboardInterrupt:
        # Ctrl-C before the signal handlers were in place: nothing had started yet.
        code = EXIT_OK
    except Exception:
        # A bug, not an operator's mistake: the traceback is what a report needs.
        traceback.print_exc()
        code = EXIT_FAILED
    _exit_now(code)


def _exit_now(code: int) -> None:
    # Everything we started is stopped by now. The Temporal client's native threads can abort
    # the interpreter's own teardown ("PyGILState_Release", temporalio/sdk-python#300), which
    # would turn a clean exit into SIGABRT: flush what is buffered and skip that teardown.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
