"""Running the ``enrolments`` command as a user does: a separate process, a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.keys import TEST_ADMIN_KEY


def enrolments_command() -> list[str]:
    """The installed ``enrolments`` entry point (or the module, if it is not installed)."""
    script = Path(sys.executable).parent / "enrolments"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "workers.cli"]


def clean_environment(extra: Mapping[str, str] = {}) -> dict[str, str]:
    """This process's environment without our settings or Temporal's, plus ``extra``."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ENROLMENTS_", "TEMPORAL_", "TWILIO_"))
    }
    environ["ENROLMENTS_QUIET_HOURS"] = "off"  # as in every test (tests/conftest.py)
    environ["ENROLMENTS_BOOTSTRAP_ADMIN_KEY"] = TEST_ADMIN_KEY
    environ.update(extra)
    return environ


def run_enrolments(
    args: Sequence[str], env: Mapping[str, str] = {}, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``enrolments <args>`` to completion (bounded), capturing its output."""
    return subprocess.run(
        [*enrolments_command(), *args],
        env=clean_environment(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def processes_mentioning(text: str) -> list[int]:
    """Live (non-zombie) processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found
