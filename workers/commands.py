"""The production processes of the ``enrolments`` command, one piece each, against the Temporal
named by ``TEMPORAL_ADDRESS`` (``temporalio.envconfig``) and the read model named by
``ENROLMENTS_DATABASE_URL``: ``worker``, ``api``, ``migrate``, ``setup-namespace``, ``reconcile``.
"""

from __future__ import annotations

import argparse
import asyncio

from sqlalchemy.engine import make_url

from config.settings import Settings
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
    warn_if_auth_is_off,
    warn_if_payloads_are_plain,
)


async def run_worker_process(settings: Settings) -> int:
    """Run the worker against the configured Temporal until SIGINT/SIGTERM."""
    from workers.worker import run_worker

    warn_if_payloads_are_plain(settings)
    # Running deliveries get their grace period before a second signal or the watchdog forces.
    shutdown = Shutdown(force_after=settings.graceful_shutdown_timeout + 30.0)
    with shutdown.installed():
        try:
            client = await shutdown.run_unless_stopped(connect(settings, dev_server=False))
        except StopRequested:
            return EXIT_OK
        await run_worker(settings, client, shutdown.requested)
    return EXIT_OK


async def run_api_process(settings: Settings) -> int:
    """Serve the HTTP API against the configured Temporal until SIGINT/SIGTERM."""
    shutdown = Shutdown()
    sock = bind_http_socket(settings)
    warn_if_auth_is_off(settings)
    warn_if_payloads_are_plain(settings)
    with shutdown.installed():
        try:
            client = await shutdown.run_unless_stopped(connect(settings, dev_server=False))
            http = http_server(create_api_app(settings, client), access_log=True)
            serving = asyncio.create_task(serve_http(http, sock), name="HTTP API")
            try:
                return await run_until_stopped(shutdown, serving)
            finally:
                await stop_http(http, serving, grace=10.0)
        except StopRequested:
            return EXIT_OK
        finally:
            sock.close()


async def run_setup_namespace(settings: Settings) -> int:
    """Create the configured namespace if missing and register our search attributes."""
    from config.temporal import NamespaceSetupError, prepare_namespace
    from workflows.search_attributes import REGISTRATION

    client = await connect(settings, dev_server=False)
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

    from services.reconcile import ReconcileError
    from workers.reconcile import run_reconcile

    client = await connect(settings, dev_server=False)
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
    await migrate(settings)
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"The read model at {database} is at the latest schema.")
    return EXIT_OK
