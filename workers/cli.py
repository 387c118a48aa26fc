"""The ``enrolments`` command: the embedded dev stack, and each production process on its own.

- ``enrolments dev``: the whole product in one process (``workers/dev.py``).
- ``enrolments worker`` / ``api`` / ``migrate`` / ``setup-namespace`` / ``reconcile``: one piece
  each (``workers/commands.py``).

Settings come from ``ENROLMENTS_*`` environment variables; a flag overrides its variable. They are
validated before anything starts (``workers/configuration.py``): an invalid value is reported on
one line and the exit code is 2. Anything that prevents starting (a port in use, Temporal
unreachable) exits 1 with a message (``workers/supervision.py``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Coroutine, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from config.logs import configure_logging
from config.settings import Settings
from config.telemetry import install_telemetry
from config.tracing import install_tracing
from domain.access import Role
from domain.ats import AtsSystem
from workers.commands import (
    run_api_process,
    run_migrate,
    run_reconcile_process,
    run_setup_namespace,
    run_worker_process,
)
from workers.configuration import (
    PROGRAM,
    SETTING_FLAGS,
    ConfigurationError,
    load_settings,
    prepare_data_folders,
    require_read_model,
    setting_env_name,
    warn_about_unknown_variables,
)
from workers.dev import dev_settings, run_dev
from workers.imports import (
    IMPORTABLE,
    ImportFailed,
    read_csv,
    run_import_applications,
    run_import_jobs,
)
from workers.keys import run_keys
from workers.supervision import (
    EXIT_BAD_CONFIGURATION,
    EXIT_FAILED,
    EXIT_OK,
    StartupError,
    run_until_complete,
)

#: Commands that never open the read model (the imports go through the HTTP API).
WITHOUT_DATABASE = frozenset({"setup-namespace", "import-jobs", "import"})

__all__ = ["ConfigurationError", "build_parser", "load_settings", "main", "setting_env_name"]


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
            SETTING_FLAGS[name],
            dest=name,
            type=kind,
            default=argparse.SUPPRESS,
            help=f"{help_text} (env {setting_env_name(name)})",
        )

    def api_flag(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--api-url",
            metavar="URL",
            help="the product's HTTP API (default: this machine's, on ENROLMENTS_API_PORT)",
        )

    def log_flag(command: argparse.ArgumentParser, default: str) -> None:
        command.add_argument(
            "--log-level",
            choices=["debug", "info", "warning", "error"],
            help=f"log level of this process (default: ENROLMENTS_LOG_LEVEL, else {default})",
        )
        command.set_defaults(default_log_level=default)

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

    keys = commands.add_parser(
        "keys",
        help="create, list and revoke API keys",
        description="API keys for the HTTP API and the recruiter UI (Authorization: Bearer "
        "<key>). Roles: admin (everything), recruiter (views, UI, enrolment actions), ats "
        "(/ats/* and unsigned webhooks). Written to the read model directly.",
    )
    keys_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create_key = keys_commands.add_parser("create", help="create a key (shown once)")
    create_key.add_argument("--role", required=True, choices=[r.value for r in Role])
    create_key.add_argument("--name", required=True, help="who or what holds it")
    list_keys = keys_commands.add_parser("list", help="list the keys (never the keys themselves)")
    revoke_key = keys_commands.add_parser("revoke", help="revoke a key at once")
    revoke_key.add_argument("key_id", help="the key's id (enrolments keys list)")
    for action in (create_key, list_keys, revoke_key):
        setting_flag(action, "data_dir", Path, "folder for the default SQLite read model")
        setting_flag(action, "database_url", str, "SQLAlchemy async URL of the read model")
        log_flag(action, "warning")

    import_jobs = commands.add_parser(
        "import-jobs",
        help="create jobs mapping a vendor ATS's jobs and stages (Greenhouse, Lever, Ashby)",
        description="Read the vendor's jobs and stages from its API (ENROLMENTS_<VENDOR>_API_KEY, "
        "ENROLMENTS_<VENDOR>_API_URL) and save each as a job mapping them, through the HTTP API. "
        "Importing again keeps the campaigns and settings recruiters gave the stages.",
    )
    import_jobs.add_argument(
        "--from",
        dest="vendor",
        required=True,
        choices=[system.value for system in IMPORTABLE],
        help="the vendor ATS to read",
    )
    api_flag(import_jobs)
    log_flag(import_jobs, "warning")

    import_csv = commands.add_parser(
        "import",
        help="enrol the candidates of a CSV into a job stage (bulk upload)",
        description="Read a CSV with a header (name, phone with its country code, email; "
        "optional timezone) and send each row as an application.created event into the job "
        "stage, through POST /ats/events/batch. Rows that do not validate are listed with their "
        "line; importing the same file again enrols nobody twice. Exits 1 when a row was not "
        "imported.",
    )
    import_csv.add_argument("csv", type=Path, help="the CSV file")
    import_csv.add_argument("--job", required=True, help="the job's id")
    import_csv.add_argument("--stage", required=True, help="the stage's id")
    api_flag(import_csv)
    log_flag(import_csv, "warning")
    return parser


def _command(args: argparse.Namespace, settings: Settings) -> Coroutine[Any, Any, int]:
    if args.command in ("dev", "worker", "api"):
        # Before the first Temporal client: it and its workers take the process's runtime
        # and, when traces are configured, the tracing interceptor.
        install_telemetry()
        install_tracing()
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
    if args.command == "keys":
        return run_keys(settings, args)
    api_url = getattr(args, "api_url", None) or f"http://127.0.0.1:{settings.api_port}"
    if args.command == "import-jobs":
        return run_import_jobs(settings, AtsSystem(args.vendor), api_url)
    if args.command == "import":
        data = read_csv(args.csv)
        return run_import_applications(settings, args.csv, data, args.job, args.stage, api_url)
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
    overrides = {name: getattr(args, name) for name in SETTING_FLAGS if hasattr(args, name)}
    log_format = os.environ.get("ENROLMENTS_LOG_FORMAT", "text").strip().lower()
    configure_logging(
        str(
            getattr(args, "log_level", None)
            or os.environ.get("ENROLMENTS_LOG_LEVEL")
            or getattr(args, "default_log_level", "warning")
        ),
        "json" if log_format == "json" else "text",
    )
    warn_about_unknown_variables(os.environ)
    try:
        settings = load_settings(overrides)
        if args.command == "dev":
            settings = dev_settings(settings, overrides)
            if os.environ.get("TEMPORAL_ADDRESS"):
                print(
                    f"{PROGRAM}: note: TEMPORAL_ADDRESS is ignored by 'dev', which runs its own "
                    "Temporal dev server",
                    file=sys.stderr,
                )
        if args.command in ("worker", "api", "reconcile", "keys"):
            require_read_model(settings)
        if args.command not in WITHOUT_DATABASE:
            prepare_data_folders(settings, dev=args.command == "dev")
    except ConfigurationError as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_CONFIGURATION)
    try:
        code = run_until_complete(_command(args, settings), settings.event_loop)
    except (StartupError, ImportFailed) as error:
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
