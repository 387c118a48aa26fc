"""The ``enrolments`` command line: one parser, a sub-command each, flags named once.

A flag left out does not override its ``ENROLMENTS_*`` variable (``argparse.SUPPRESS``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from domain.access import Role
from workers.configuration import PROGRAM, SETTING_FLAGS, setting_env_name
from workers.imports import IMPORTABLE

Commands = Any  # argparse's _SubParsersAction is private: the subparsers object


def build_parser() -> argparse.ArgumentParser:
    """The ``enrolments`` argument parser; flags left out do not override their variable."""
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Campaign enrolments on Temporal. Settings come from ENROLMENTS_* "
        "environment variables (and TEMPORAL_* for the Temporal connection); flags override them.",
    )
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (
        _dev,
        _worker,
        _api,
        _migrate,
        _setup_namespace,
        _reconcile,
        _keys,
        _import_jobs,
        _import_csv,
    ):
        add(commands)
    return parser


def _setting_flag(
    command: argparse.ArgumentParser, name: str, kind: Callable[[str], Any], help_text: str
) -> None:
    command.add_argument(
        SETTING_FLAGS[name],
        dest=name,
        type=kind,
        default=argparse.SUPPRESS,
        help=f"{help_text} (env {setting_env_name(name)})",
    )


def _read_model_flags(command: argparse.ArgumentParser) -> None:
    _setting_flag(command, "data_dir", Path, "folder for the default SQLite read model")
    _setting_flag(command, "database_url", str, "SQLAlchemy async URL of the read model")


def _api_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--api-url",
        metavar="URL",
        help="the product's HTTP API (default: this machine's, on ENROLMENTS_API_PORT)",
    )


def _log_flag(command: argparse.ArgumentParser, default: str) -> None:
    command.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help=f"log level of this process (default: ENROLMENTS_LOG_LEVEL, else {default})",
    )
    command.set_defaults(default_log_level=default)


def _dev(commands: Commands) -> None:
    dev = commands.add_parser(
        "dev",
        help="run the whole product on this machine (Temporal dev server, worker, HTTP API)",
        description="Start the Temporal dev server, migrate the read model, run the worker and "
        "serve the HTTP API and recruiter UI, in one process. Ctrl-C stops everything.",
    )
    _setting_flag(dev, "data_dir", Path, "folder for temporal.db, enrolments.db and temporal.log")
    _setting_flag(dev, "database_url", str, "SQLAlchemy async URL of the read model")
    _setting_flag(dev, "api_host", str, "address the HTTP API listens on")
    _setting_flag(dev, "api_port", int, "port of the HTTP API and recruiter UI (0: any free port)")
    _setting_flag(dev, "temporal_port", int, "port of the Temporal frontend (0: any free port)")
    _setting_flag(dev, "temporal_ui_port", int, "port of the Temporal Web UI (0: any free port)")
    _setting_flag(dev, "delivery_rate", float, "messages delivered per second, at most")
    dev.add_argument("--demo", action="store_true", help="load a demo company once it is up")
    _log_flag(dev, "warning")


def _worker(commands: Commands) -> None:
    worker = commands.add_parser(
        "worker",
        help="run a worker against TEMPORAL_ADDRESS",
        description="Run the workflows and activities against the Temporal named by "
        "TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY (temporalio.envconfig).",
    )
    _read_model_flags(worker)
    _setting_flag(worker, "temporal_port", int, "port of localhost's Temporal if no address")
    _setting_flag(worker, "delivery_rate", float, "messages delivered per second, at most")
    _log_flag(worker, "info")


def _api(commands: Commands) -> None:
    api = commands.add_parser(
        "api",
        help="serve the HTTP API against TEMPORAL_ADDRESS",
        description="Serve the HTTP API and recruiter UI against the Temporal named by "
        "TEMPORAL_ADDRESS and the read model named by ENROLMENTS_DATABASE_URL.",
    )
    _read_model_flags(api)
    _setting_flag(api, "api_host", str, "address to listen on")
    _setting_flag(api, "api_port", int, "port to listen on")
    _setting_flag(api, "temporal_port", int, "port of localhost's Temporal if no address")
    _log_flag(api, "info")


def _migrate(commands: Commands) -> None:
    migrate = commands.add_parser(
        "migrate",
        help="apply the read model's database migrations",
        description="Upgrade the database named by ENROLMENTS_DATABASE_URL to the latest schema.",
    )
    _read_model_flags(migrate)
    _log_flag(migrate, "warning")


def _setup_namespace(commands: Commands) -> None:
    setup_namespace = commands.add_parser(
        "setup-namespace",
        help="register our search attributes (and the namespace) on TEMPORAL_ADDRESS",
        description="Create TEMPORAL_NAMESPACE if it does not exist and register the custom "
        "search attributes the workflows use. Idempotent; needs operator rights on a "
        "self-hosted cluster (on Temporal Cloud, add them with tcld or the Cloud UI).",
    )
    _setting_flag(
        setup_namespace, "temporal_port", int, "port of localhost's Temporal if no address"
    )
    _log_flag(setup_namespace, "warning")


def _reconcile(commands: Commands) -> None:
    reconcile = commands.add_parser(
        "reconcile",
        help="compare every candidate workflow with the read model; --fix repairs drift",
        description="List the running candidate workflows of the task queue, compare each "
        "enrolment's status, reason and seq with the read model and print the differences. "
        "With --fix, ask the drifting workflows to project every enrolment again and check "
        "until they agree. Exits 0 when everything agrees, 1 when drift remains.",
    )
    _read_model_flags(reconcile)
    _setting_flag(reconcile, "temporal_port", int, "port of localhost's Temporal if no address")
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
    _log_flag(reconcile, "warning")


def _keys(commands: Commands) -> None:
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
        _read_model_flags(action)
        _log_flag(action, "warning")


def _import_jobs(commands: Commands) -> None:
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
    _api_flag(import_jobs)
    _log_flag(import_jobs, "warning")


def _import_csv(commands: Commands) -> None:
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
    _api_flag(import_csv)
    _log_flag(import_csv, "warning")


def _version() -> str:
    try:
        return metadata.version("campaign-enrolments")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"
