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
from collections.abc import Coroutine, Sequence
from typing import Any

from config.logs import configure_logging
from config.settings import Settings
from config.telemetry import install_telemetry
from config.tracing import install_tracing
from domain.ats import AtsSystem
from workers.arguments import build_parser
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
