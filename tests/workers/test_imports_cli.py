"""``enrolments import-jobs`` and ``enrolments import`` say what stops them, in one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

from config.ports import free_ports
from tests.workers.conftest import run_enrolments


def assert_failed_in_one_line(result: subprocess.CompletedProcess[str], *mentions: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for mention in mentions:
        assert mention in lines[0], lines[0]


def test_import_jobs_needs_the_vendors_api_key() -> None:
    result = run_enrolments(["import-jobs", "--from", "greenhouse"])
    assert_failed_in_one_line(result, "ENROLMENTS_GREENHOUSE_API_KEY")


def test_import_jobs_only_from_vendors_it_reads() -> None:
    result = run_enrolments(["import-jobs", "--from", "workable"])
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_import_of_a_missing_file(tmp_path: Path) -> None:
    result = run_enrolments(["import", str(tmp_path / "nope.csv"), "--job", "j", "--stage", "s"])
    assert_failed_in_one_line(result, "cannot read", "nope.csv")


def test_import_of_a_csv_without_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("first,last\nAda,Lovelace\n")
    result = run_enrolments(["import", str(path), "--job", "j", "--stage", "s"])
    assert_failed_in_one_line(result, "name and phone and/or email")


def test_import_when_the_api_is_not_there(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name,phone\nAda Lovelace,+442079460018\n")
    [port] = free_ports(1)
    result = run_enrolments(
        ["import", str(path), "--job", "j", "--stage", "s", "--api-url", f"http://127.0.0.1:{port}"]
    )
    assert result.returncode == 1
    assert "cannot reach the API" in result.stderr
