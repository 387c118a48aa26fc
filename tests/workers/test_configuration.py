"""Settings are validated before anything starts; every process reaches Temporal the same way."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from config.settings import Settings
from config.temporal import client_connect_config, dev_connect_config, temporal_cli_path
from tests.workers.conftest import run_enrolments
from workers.cli import ConfigurationError, load_settings
from workers.dev_server import DevServer
from workflows.search_attributes import REGISTRATION


def assert_refused_in_one_line(result: subprocess.CompletedProcess[str], *mentions: str) -> None:
    assert result.returncode == 2
    stderr = result.stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("enrolments: invalid configuration")
    for mention in mentions:
        assert mention in lines[0]


def test_negative_delivery_rate_from_the_environment_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = run_enrolments(
        ["dev", "--data-dir", str(data_dir)], env={"ENROLMENTS_DELIVERY_RATE": "-1"}
    )
    assert_refused_in_one_line(result, "ENROLMENTS_DELIVERY_RATE=-1", "greater than 0")
    assert not data_dir.exists()


def test_port_out_of_range_from_a_flag_is_refused(tmp_path: Path) -> None:
    result = run_enrolments(["dev", "--data-dir", str(tmp_path), "--api-port", "70000"])
    assert_refused_in_one_line(result, "--api-port=70000")


def test_two_services_on_one_port_are_refused(tmp_path: Path) -> None:
    result = run_enrolments(
        ["dev", "--data-dir", str(tmp_path), "--api-port", "9100", "--temporal-port", "9100"]
    )
    assert_refused_in_one_line(result, "--api-port", "--temporal-port", "9100")


def test_worker_refuses_a_database_url_that_is_not_one() -> None:
    result = run_enrolments(["worker"], env={"ENROLMENTS_DATABASE_URL": "not a url"})
    assert_refused_in_one_line(result, "ENROLMENTS_DATABASE_URL")


def test_a_flag_overrides_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENROLMENTS_DELIVERY_RATE", "1")
    monkeypatch.setenv("ENROLMENTS_API_PORT", "8100")
    settings = load_settings({"delivery_rate": 5.0})
    assert settings.delivery_rate == 5.0
    assert settings.api_port == 8100


def test_invalid_setting_names_the_variable_and_hides_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENROLMENTS_TEMPORAL_UI_PORT", "-5")
    with pytest.raises(ConfigurationError, match="ENROLMENTS_TEMPORAL_UI_PORT=-5"):
        load_settings({})


def test_migrate_creates_the_sqlite_read_model_in_the_data_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    result = run_enrolments(["migrate", "--data-dir", str(data_dir)])
    assert result.returncode == 0, result.stderr
    assert (data_dir / "enrolments.db").is_file()
    again = run_enrolments(["migrate", "--data-dir", str(data_dir)])
    assert again.returncode == 0, again.stderr


def test_client_defaults_to_the_local_frontend_port() -> None:
    config = client_connect_config(Settings(temporal_port=7999), environ={})
    assert config["target_host"] == "localhost:7999"
    assert config["namespace"] == "default"
    assert "tls" not in config


def test_client_follows_temporal_envconfig_variables() -> None:
    config = client_connect_config(
        Settings(),
        environ={
            "TEMPORAL_ADDRESS": "acme.tmprl.cloud:7233",
            "TEMPORAL_NAMESPACE": "acme.recruiting",
            "TEMPORAL_API_KEY": "secret-key",
        },
    )
    assert config["target_host"] == "acme.tmprl.cloud:7233"
    assert config["namespace"] == "acme.recruiting"
    assert config["api_key"] == "secret-key"
    assert config["tls"] is True


def test_dev_stack_ignores_a_remote_temporal_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "acme.tmprl.cloud:7233")
    monkeypatch.setenv("TEMPORAL_API_KEY", "secret-key")
    config = dev_connect_config(Settings(temporal_port=7999))
    assert config == {"target_host": "127.0.0.1:7999", "namespace": "default"}


def test_dev_server_persists_in_the_data_folder_with_every_search_attribute(
    tmp_path: Path,
) -> None:
    server = DevServer.from_settings(
        Settings(data_dir=tmp_path, temporal_port=7301, temporal_ui_port=8301)
    )
    command = server.command()
    assert command[0] == str(temporal_cli_path())
    assert command[1:3] == ["server", "start-dev"]
    flags = dict(zip(command[3::2], command[4::2], strict=False))
    assert flags["--db-filename"] == str(tmp_path.resolve() / "temporal.db")
    assert flags["--port"] == "7301"
    assert flags["--ui-port"] == "8301"
    assert flags["--ip"] == "127.0.0.1"
    registered = [command[i + 1] for i, arg in enumerate(command) if arg == "--search-attribute"]
    assert registered == [f"{name}={kind}" for name, kind in REGISTRATION.items()]


def test_enrolments_alone_prints_its_help_and_version_says_which() -> None:
    bare = run_enrolments([])
    version = run_enrolments(["--version"])

    assert bare.returncode == 0, bare.stderr
    assert "usage: enrolments" in bare.stdout and "COMMAND" in bare.stdout
    assert (version.returncode, version.stdout.strip()) == (0, "enrolments 0.1.0")


def test_a_bad_quiet_hours_window_is_refused_naming_the_variable(tmp_path: Path) -> None:
    result = run_enrolments(
        ["migrate", "--data-dir", str(tmp_path)], env={"ENROLMENTS_QUIET_HOURS": "25:00-08:00"}
    )

    assert_refused_in_one_line(result, "ENROLMENTS_QUIET_HOURS")


@pytest.mark.parametrize("command", ["worker", "api", "reconcile"])
def test_a_command_never_creates_an_empty_read_model(tmp_path: Path, command: str) -> None:
    result = run_enrolments([command], env={"ENROLMENTS_DATA_DIR": str(tmp_path / "elsewhere")})

    assert_refused_in_one_line(result, "no read model", "enrolments migrate")
    assert not (tmp_path / "elsewhere").exists()


def test_every_busy_port_is_named_at_once(tmp_path: Path) -> None:
    """Two ports taken: the operator learns of both from one start, not one start each."""
    taken = []
    for _ in range(2):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken.append(sock)
    api, temporal = (s.getsockname()[1] for s in taken)
    try:
        result = run_enrolments(
            [
                "dev",
                "--data-dir",
                str(tmp_path),
                "--api-port",
                str(api),
                "--temporal-port",
                str(temporal),
            ]
        )
    finally:
        for sock in taken:
            sock.close()
    assert result.returncode == 1, result.stderr
    assert f":{api}" in result.stderr and f"port {temporal}" in result.stderr, result.stderr
    assert "--api-port" in result.stderr and "--temporal-port" in result.stderr
