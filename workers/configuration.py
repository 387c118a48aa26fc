"""Settings for a process of the ``enrolments`` command: loaded from ``ENROLMENTS_*`` variables with
flags taking precedence, checked before anything starts, and the data folder resolved the same way
by every command (``dev`` creates it; the others need the read model ``migrate`` or ``dev`` made).

Every problem is a ``ConfigurationError`` whose message is one line naming the variable or flag.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.settings import Settings

PROGRAM = "enrolments"

#: Flags that override a setting: the flag's ``dest`` is the setting's name.
SETTING_FLAGS: dict[str, str] = {
    "data_dir": "--data-dir",
    "database_url": "--database-url",
    "api_host": "--api-host",
    "api_port": "--api-port",
    "temporal_port": "--temporal-port",
    "temporal_ui_port": "--temporal-ui-port",
    "delivery_rate": "--delivery-rate",
}


def _holds_secret(annotation: object) -> bool:
    return annotation is SecretStr or any(_holds_secret(a) for a in get_args(annotation))


#: Settings whose values are secrets: never echoed in an error.
SECRET_SETTINGS = frozenset(
    name for name, field in Settings.model_fields.items() if _holds_secret(field.annotation)
)


class ConfigurationError(Exception):
    """Settings that cannot work; the message is one line for the operator."""


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
        source = setting_source("database_url", overrides)
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
        source = setting_source("webhook_secret", overrides)
        raise ConfigurationError(f"invalid configuration: {source}: {error}") from None


def setting_source(name: str, overrides: Mapping[str, Any]) -> str:
    return SETTING_FLAGS[name] if name in overrides else setting_env_name(name)


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
        source = setting_source(name, overrides)
        shown = "" if name in SECRET_SETTINGS else f"={detail.get('input')}"
        problems.append(f"{source}{shown}: {detail['msg']}")
    return "invalid configuration: " + "; ".join(problems)


def warn_about_unknown_variables(environ: Mapping[str, str]) -> None:
    # A misspelt variable is otherwise silently ignored, which is worse than a warning.
    known = {setting_env_name(name) for name in Settings.model_fields}
    prefix = str(Settings.model_config.get("env_prefix", "")).upper()
    for name in sorted(environ):
        if name.upper().startswith(prefix) and name.upper() not in known:
            print(f"{PROGRAM}: warning: unknown setting {name} is ignored", file=sys.stderr)


def sqlite_folder(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).parent


def require_read_model(settings: Settings) -> None:
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


def prepare_data_folders(settings: Settings, *, dev: bool) -> None:
    folders = [settings.data_dir] if dev else []
    database_folder = sqlite_folder(settings.database_url)
    if database_folder is not None:
        folders.append(database_folder)
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigurationError(f"cannot create the data folder {folder}: {error}") from None
