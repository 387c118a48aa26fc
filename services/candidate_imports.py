"""Importing candidates from a CSV: ``enrolments import`` and the recruiter UI's upload page.

Each row (``name``, ``phone`` with its country code and/or ``email``, optional ``timezone``)
becomes an ``application.created`` event into one job stage, with ids derived from the person
(their E.164 number, else their e-mail), so importing the same file again repeats the same
events and creates nothing twice. Rows that cannot be one are reported with their line. Every
event then takes the one way in all ATS events take (``services.ats_events``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

from pydantic import BaseModel

from domain.addresses import AddressProblem, normalise_phone
from domain.enrolments import StatusReason
from services.ats_events import AtsEvents, BatchResult
from services.context import Context
from services.errors import ErrorBody
from store.catalog import Catalog

#: Characters no name, number or address holds (C0 and C1 controls but tab).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


#: The longest cell a row may hold, in characters (a name, a number, an address, a zone).
MAX_CELL_CHARS = 1_000
#: The most columns a row may have (a spreadsheet's stray columns included).
MAX_COLUMNS = 100

#: How files that are not CSV text begin: compressed, or text in another encoding.
_NOT_TEXT = (
    (b"\x1f\x8b", "a gzip archive"),
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook?)"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)
_SAVE_AS = 'save it as "CSV UTF-8" and upload that'


class UnreadableCsv(ValueError):
    """The file is not a CSV of candidates: not UTF-8 text, or no header with the columns."""


class RowProblem(BaseModel):
    """A row of the file that was not imported, and why."""

    line: int
    message: str


class ImportOutcome(BaseModel):
    """What importing rows did: rows enrolled, rows imported before, rows refused (with why)."""

    applied: int = 0
    already: int = 0
    problems: list[RowProblem] = []

    def count(self, line: int, error: ErrorBody | None) -> None:
        """Count a row's event as its result says: applied, imported before (its id came
        with other details: left as it was), or refused with why."""
        if error is None:
            self.applied += 1
        elif error.code == "event_id_reused":
            self.already += 1
        else:
            self.problems.append(RowProblem(line=line, message=error.message))


#: Refusals that say "try again" (503 answers), and how many more tries a row gets.
PASSING = frozenset({"enrolment_timeout", "temporal_unavailable", "database_unavailable"})
RETRIES = 2


Numbered = list[tuple[int, dict[str, Any]]]


def decoded(data: bytes) -> str:
    """``data`` as text: UTF-8 (a spreadsheet's byte-order mark dropped). Raises
    ``UnreadableCsv`` saying what the file is instead (compressed, UTF-16, binary)."""
    for magic, what in _NOT_TEXT:
        if data.startswith(magic):
            raise UnreadableCsv(f"the file is {what}, not CSV text: {_SAVE_AS}")
    if b"\x00" in data:
        raise UnreadableCsv(f"the file holds NUL bytes: it is binary or UTF-16, {_SAVE_AS}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UnreadableCsv(f"line {line} is not UTF-8 text: {_SAVE_AS}") from None


def read_rows(
    data: bytes, job_id: str, stage_id: str, at: datetime, region: str | None = None
) -> tuple[Numbered, list[RowProblem]]:
    """The ATS events of a CSV of candidates (with the line each came from), and the rows that
    do not make one. ``at`` is the time the events say: the file's modification time, so that
    importing the same file again (after an outage, say) repeats its events exactly. National
    phone numbers are read in ``region`` (ISO 3166), if one is given.

    Lines may end in CRLF, LF or CR. A row that the CSV syntax cannot read, or with a cell over
    ``MAX_CELL_CHARS``, is a problem of its own; a file that is not UTF-8 text, or whose header
    lacks the columns, raises ``UnreadableCsv``.
    """
    # newline="": the csv module reads every kind of line end itself, and keeps quoted ones.
    reader = csv.reader(io.StringIO(decoded(data), newline=""))
    header = _header(reader)
    zones = available_timezones()
    events: Numbered = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for line, row in _rows(reader, problems):
        values = {k: v.strip() for k, v in zip(header, row, strict=False)}
        name, phone, email = (values.get(c, "") for c in ("name", "phone", "email"))
        zone = values.get("timezone") or None
        problem = _row_problem(name, phone, email, zone, zones, region)
        if problem:
            problems.append(RowProblem(line=line, message=problem))
            continue
        who = phone and normalise_phone(phone, default_region=region)
        person = hashlib.sha256((who or email.lower()).encode()).hexdigest()[:20]
        if person in seen:
            message = f"the same candidate as line {seen[person]}"
            problems.append(RowProblem(line=line, message=message))
            continue
        seen[person] = line
        candidate = {"name": name, "phone": who or None, "email": email or None, "timezone": zone}
        events.append((line, _event(job_id, stage_id, person, at, candidate)))
    return events, problems


def _header(reader: Iterator[list[str]]) -> list[str]:
    """The header's column names, which must include name and phone or email."""
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as err:
        raise UnreadableCsv(f"the header cannot be read as CSV: {err}") from None
    if "name" not in header or not ({"phone", "email"} & set(header)):
        raise UnreadableCsv(
            "the CSV needs a header with name and phone and/or email "
            f"(it has: {', '.join(h[:40] for h in header[:MAX_COLUMNS]) or 'nothing'})"
        )
    return header


def _rows(reader: Any, problems: list[RowProblem]) -> Iterator[tuple[int, list[str]]]:
    """Each row that is not blank, with its line; one that cannot be read becomes a problem."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # Past the csv module's own limit (far past ours), or broken quoting.
            problems.append(RowProblem(line=reader.line_num, message=_unreadable_row()))
            continue
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) > MAX_COLUMNS or any(len(cell) > MAX_CELL_CHARS for cell in row):
            problems.append(RowProblem(line=reader.line_num, message=_unreadable_row()))
            continue
        yield reader.line_num, row


def _event(
    job_id: str, stage_id: str, person: str, at: datetime, candidate: dict[str, Any]
) -> dict[str, Any]:
    """The ``application.created`` event of one row, its ids derived from the person."""
    return {
        "id": f"import:{job_id}:{stage_id}:{person}",
        "type": "application.created",
        "occurred_at": at.isoformat(),
        "application": {"id": f"import:{job_id}:{person}", "job_id": job_id, "stage_id": stage_id},
        "candidate": {"id": f"import:{person}", **candidate},
    }


async def import_rows(
    context: Context, data: bytes, job_id: str, stage_id: str, at: datetime, first_line: int = 1
) -> ImportOutcome:
    """Enrol each row of ``data`` (a CSV, or a chunk of one with its header, whose header is
    the file's line ``first_line``) into the job stage, as ATS events of time ``at``. Raises
    ``UnreadableCsv`` for a file that is no CSV of candidates."""
    async with context.sessions() as session:
        job = await Catalog(session).job(job_id)
    region = (job.default_region if job else None) or context.settings.default_region
    events, problems = read_rows(data, job_id, stage_id, at, region)
    offset = first_line - 1
    outcome = ImportOutcome(
        problems=[RowProblem(line=p.line + offset, message=p.message) for p in problems]
    )
    results = await _applied(AtsEvents(context), events)
    for (line, _), result in zip(events, results, strict=True):
        outcome.count(line + offset, result.error)
    outcome.problems.sort(key=lambda p: p.line)
    return outcome


async def _applied(use_case: AtsEvents, events: Numbered) -> list[BatchResult]:
    """Each event applied; one refused for a passing reason (no answer in time, an outage) is
    sent again, as a caller of the API would: its id makes a repeat harmless."""
    results = (await use_case.apply_batch([event for _, event in events])).results
    for _ in range(RETRIES):
        again = [n for n, r in enumerate(results) if r.error and r.error.code in PASSING]
        if not again:
            break
        retried = await use_case.apply_batch([events[n][1] for n in again])
        for n, result in zip(again, retried.results, strict=True):
            results[n] = result
    return results


def _unreadable_row() -> str:
    return (
        f"the row cannot be read: broken quoting, over {MAX_COLUMNS} columns, or a cell over "
        f"{MAX_CELL_CHARS:,} characters"
    )


def _row_problem(
    name: str, phone: str, email: str, zone: str | None, zones: set[str], region: str | None
) -> str | None:
    if not name:
        return "no name"
    if any(_CONTROL.search(value) for value in (name, phone, email, zone or "")):
        return "a cell holds control characters"
    if not phone and not email:
        return "neither a phone number nor an e-mail"
    if phone:
        try:
            normalise_phone(phone, default_region=region)
        except AddressProblem as problem:
            if problem.reason is StatusReason.INVALID_PHONE_NUMBER and "format" in problem.detail:
                return f"phone {phone!r} is not a number with its country code (+44 20 7946 0018)"
            return f"phone {phone!r} is not a valid number"
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        return f"e-mail {email!r} is not an address"
    if zone is not None and zone not in zones:
        return f"time zone {zone!r} is not an IANA zone (Europe/London)"
    return None
