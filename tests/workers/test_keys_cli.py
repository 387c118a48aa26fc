"""``enrolments keys``: a key is shown once, listed without it, and revoked at once."""

from __future__ import annotations

import re
from pathlib import Path

from tests.workers.conftest import run_enrolments


def test_create_list_and_revoke_a_key(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    nowhere = run_enrolments(["keys", "list", *data])
    assert nowhere.returncode == 2 and "no read model" in nowhere.stderr, "never a new database"
    assert run_enrolments(["migrate", *data]).returncode == 0
    created = run_enrolments(["keys", "create", "--role", "recruiter", "--name", "Ana", *data])
    assert created.returncode == 0, created.stderr
    [key] = re.findall(r"enr_[a-z0-9]{12}_\S+", created.stdout)
    key_id = key.split("_")[1]

    listed = run_enrolments(["keys", "list", *data])
    assert listed.returncode == 0, listed.stderr
    assert key_id in listed.stdout and "recruiter" in listed.stdout and "active" in listed.stdout
    assert key not in listed.stdout, "a key is shown once, when it is created"

    revoked = run_enrolments(["keys", "revoke", key_id, *data])
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert "revoked" in run_enrolments(["keys", "list", *data]).stdout

    unknown = run_enrolments(["keys", "revoke", "nosuchkey123", *data])
    assert unknown.returncode == 1 and "No key" in unknown.stdout


def test_a_role_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    result = run_enrolments(
        ["keys", "create", "--role", "root", "--name", "X", "--data-dir", str(tmp_path)]
    )
    assert result.returncode == 2 and "invalid choice" in result.stderr
