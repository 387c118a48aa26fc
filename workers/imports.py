"""``enrolments import-jobs`` and ``enrolments import``: bring jobs and candidates in in bulk.

Both talk to the product's own HTTP API (``--api-url``, default this machine's), so what they
write is validated exactly as a recruiter's request is:

- ``import-jobs --from greenhouse|lever|ashby`` reads the vendor's jobs and stages from its API
  (``bridges/``) and saves each as a job (``PUT /jobs/{vendor}-{vendor job id}``) mapping the
  vendor job and its stages (``ats``, ``ats_stage_id``), so nobody types ids. Importing again
  keeps what recruiters set: a stage that already maps a vendor stage keeps its id, campaign
  and interview settings (only its name follows the vendor), and stages of ours that map no
  vendor stage stay, after the vendor's.
- ``import applications.csv --job J --stage S`` reads candidates (``name``, ``phone`` with its
  country code, ``email``; optional ``timezone``) and sends them as ``application.created``
  events through ``POST /ats/events/batch``. Rows that do not validate are reported with their
  line and skipped; ids are derived from the job, the stage and the candidate's number or
  e-mail, so importing the same file twice enrols nobody twice.
"""

from __future__ import annotations

import re
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from api.signatures import sign_webhook
from bridges import BRIDGES
from bridges.base import ListJobs
from bridges.importing import VendorJob
from config.settings import Settings
from domain.ats import AtsSystem
from services.candidate_imports import ImportOutcome, UnreadableCsv, read_rows
from services.errors import ErrorBody
from workers.keys import DEV_KEY_FILE

#: Vendors ``import-jobs`` reads: those whose bridge lists jobs.
IMPORTABLE = [system for system, bridge in BRIDGES.items() if bridge.list_jobs is not None]
#: Events per ``POST /ats/events/batch`` (the endpoint takes up to 1,000).
BATCH_SIZE = 500
COLUMNS = ("name", "phone", "email", "timezone")


class ImportFailed(Exception):
    """The import cannot start or go on; the message says why, for the operator."""


# -- import-jobs ---------------------------------------------------------------------------------


def vendor_api(settings: Settings, system: AtsSystem) -> httpx.AsyncClient:
    """A client for ``system``'s API: its base URL, Basic auth with the API key as user name."""
    http = BRIDGES[system].api(settings)
    if http is None:
        variable = f"ENROLMENTS_{system.value.upper()}_API_KEY"
        raise ImportFailed(f"{variable} is not set: it is the key import-jobs reads {system} with")
    return http


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "stage"


def job_definition(
    system: AtsSystem, vendor: VendorJob, existing: dict[str, Any] | None
) -> dict[str, Any]:
    """The ``PUT /jobs`` body mapping ``vendor``, keeping what recruiters set on ``existing``."""
    current: list[dict[str, Any]] = (existing or {}).get("stages", [])
    ours = {s["ats_stage_id"]: s for s in current if s.get("ats_stage_id")}
    taken: set[str] = set()
    stages: list[dict[str, Any]] = []
    for vendor_stage in vendor.stages:
        kept = ours.pop(vendor_stage.id, None)
        if kept is not None:
            stage = {**kept, "name": vendor_stage.name}
        else:
            stage_id, n = _slug(vendor_stage.name), 1
            while stage_id in taken or any(s["id"] == stage_id for s in current):
                n += 1
                stage_id = f"{_slug(vendor_stage.name)}-{n}"
            stage = {"id": stage_id, "name": vendor_stage.name, "ats_stage_id": vendor_stage.id}
        taken.add(stage["id"])
        stages.append(stage)
    # Our own stages, and those whose vendor stage is gone (their mapping is dropped, not
    # their campaign link), stay after the vendor's.
    for stage in current:
        if stage["id"] not in taken:
            stages.append({**stage, "ats_stage_id": None} if stage.get("ats_stage_id") else stage)
    return {
        "name": vendor.name if existing is None else existing["name"],
        "ats": {"system": system.value, "job_id": vendor.id},
        "stages": stages,
    }


async def import_jobs(
    system: AtsSystem,
    vendor_http: httpx.AsyncClient,
    api: httpx.AsyncClient,
    out: TextIO,
    list_jobs: ListJobs | None = None,
) -> tuple[int, int]:
    """Read ``system``'s jobs (with its bridge's ``list_jobs`` unless another is given) and
    save each through ``api``; returns how many were saved, and how many were read."""
    list_jobs = list_jobs or BRIDGES[system].list_jobs
    if list_jobs is None:
        raise ImportFailed(f"import-jobs cannot read {system}'s jobs")
    try:
        jobs = await list_jobs(vendor_http)
    except httpx.HTTPError as err:
        raise ImportFailed(f"cannot read {system}'s jobs: {err}") from err
    saved = 0
    for vendor in jobs:
        job_id = f"{system.value}-{_slug(vendor.id)}"
        current = await api.get(f"/jobs/{job_id}")
        existing = current.json() if current.status_code == 200 else None
        response = await api.put(f"/jobs/{job_id}", json=job_definition(system, vendor, existing))
        if response.status_code != 200:
            print(f"  {job_id}: not saved: {_error(response)}", file=out)
            continue
        saved += 1
        verb = "updated" if existing else "created"
        print(
            f"  {job_id}: {verb} ({len(vendor.stages)} stages of {system} job {vendor.id})",
            file=out,
        )
    return saved, len(jobs)


# -- import applications.csv ----------------------------------------------------------------------


async def import_applications(
    events: Sequence[tuple[int, dict[str, Any]]],
    api: httpx.AsyncClient,
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
    batch_size: int = BATCH_SIZE,
) -> ImportOutcome:
    """Send ``events`` through ``POST /ats/events/batch``; each refused event becomes its
    row's problem."""
    result = ImportOutcome()
    for start in range(0, len(events), batch_size):
        chunk = events[start : start + batch_size]
        response = await api.post("/ats/events/batch", json={"events": [e for _, e in chunk]})
        if response.status_code != 202:
            raise ImportFailed(f"the API refused a batch: {_error(response)}")
        for (line, _), outcome in zip(chunk, response.json()["results"], strict=True):
            error = outcome.get("error")
            result.count(line, None if error is None else ErrorBody.model_validate(error))
        progress(min(start + batch_size, len(events)), len(events))
    return result


def progress_bar(out: TextIO) -> Callable[[int, int], None]:
    """A one-line progress bar on ``out`` (a terminal: redrawn in place)."""

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total or not out.isatty() else "\r"
        print(
            f"  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
            end=end,
            file=out,
            flush=True,
        )

    return show


async def _job_region(api: httpx.AsyncClient, job_id: str) -> str | None:
    """Where the job reads national phone numbers, as the API says (``None``: the default;
    also when the key may not read jobs, or the API is not there: the import says so)."""
    try:
        response = await api.get(f"/jobs/{job_id}")
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    region = response.json().get("default_region")
    return region if isinstance(region, str) else None


def _error(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{response.status_code} {error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code} {response.text[:200]}"


# -- the commands -------------------------------------------------------------------------------


def calling_key(settings: Settings) -> str | None:
    """The API key the imports call with: ``ENROLMENTS_API_KEY``, else the bootstrap admin
    key, else the admin key ``enrolments dev`` keeps in the data folder."""
    for secret in (settings.api_key, settings.bootstrap_admin_key):
        if secret is not None:
            return secret.get_secret_value()
    kept = settings.data_dir / DEV_KEY_FILE
    return kept.read_text().strip() if kept.is_file() else None


def api_client(
    api_url: str, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """A client for the product's API; with ``ENROLMENTS_WEBHOOK_SECRET`` set it signs what it
    sends to ``/ats/...`` with Standard Webhooks headers, as the API then requires."""
    hooks = []
    key = calling_key(settings)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if settings.webhook_secret is not None:
        secret = settings.webhook_secret.get_secret_value()

        async def sign(request: httpx.Request) -> None:
            if request.url.path.startswith("/ats/"):
                webhook_id, at = f"msg_{uuid.uuid4().hex}", int(time.time())
                request.headers["webhook-id"] = webhook_id
                request.headers["webhook-timestamp"] = str(at)
                request.headers["webhook-signature"] = sign_webhook(
                    secret, webhook_id, at, request.content
                )

        hooks.append(sign)
    return httpx.AsyncClient(
        base_url=api_url.rstrip("/"),
        timeout=120,
        headers=headers,
        event_hooks={"request": hooks},
        transport=transport,
    )


async def run_import_jobs(settings: Settings, system: AtsSystem, api_url: str) -> int:
    """``enrolments import-jobs``: 0 when every job was saved, 1 otherwise."""
    async with vendor_api(settings, system) as vendor_http, api_client(api_url, settings) as api:
        print(f"Importing {system} jobs into {api_url}...")
        try:
            saved, read = await import_jobs(system, vendor_http, api, sys.stdout)
        except httpx.HTTPError as err:
            raise ImportFailed(f"cannot reach the API at {api_url}: {err}") from err
    print(
        f"{saved} of {read} job(s) saved. "
        "Link their stages to campaigns (recruiter UI or PUT /jobs)."
    )
    return 0 if saved == read else 1


def modified_at(path: Path) -> datetime:
    """When ``path`` was last written (the time its events say)."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError as err:
        raise ImportFailed(f"cannot read {path}: {err}") from err


def read_csv(path: Path) -> bytes:
    """The CSV file's bytes (``services.candidate_imports`` reads them as text)."""
    try:
        return path.read_bytes()
    except OSError as err:
        raise ImportFailed(f"cannot read {path}: {err}") from err


async def run_import_applications(
    settings: Settings, path: Path, data: bytes, job_id: str, stage_id: str, api_url: str
) -> int:
    """``enrolments import``: 0 when every row was applied, 1 when some were not."""
    async with api_client(api_url, settings) as api:
        region = await _job_region(api, job_id) or settings.default_region
        try:
            events, problems = read_rows(data, job_id, stage_id, modified_at(path), region)
        except UnreadableCsv as err:
            raise ImportFailed(str(err)) from err
        print(f"{path.name}: {len(events)} candidate(s) to import into {job_id} / {stage_id}")
        try:
            outcome = await import_applications(events, api, progress=progress_bar(sys.stderr))
        except httpx.HTTPError as err:
            raise ImportFailed(f"cannot reach the API at {api_url}: {err}") from err
    problems = sorted(problems + outcome.problems, key=lambda p: p.line)
    for problem in problems:
        print(f"  line {problem.line}: {problem.message}")
    already = (
        f", {outcome.already} imported before with other details (left as they were)"
        if outcome.already
        else ""
    )
    print(f"{outcome.applied} imported{already}, {len(problems)} row(s) not imported.")
    return 0 if not problems else 1
