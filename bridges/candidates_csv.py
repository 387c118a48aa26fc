"""A CSV of candidates as ATS events: ``enrolments import`` and the recruiter UI's upload page.

Each row (``name``, ``phone`` with its country code and/or ``email``, optional ``timezone``)
becomes an ``application.created`` event into one job stage, with ids derived from the person
(their E.164 number, else their e-mail), so importing the same file again repeats the same
events and creates nothing twice. Rows that cannot be one are reported with their line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

import phonenumbers


class UnreadableCsv(ValueError):
    """The file is not a CSV of candidates (its header lacks the columns)."""


@dataclass
class RowProblem:
    line: int
    message: str


Numbered = list[tuple[int, dict[str, Any]]]


def read_rows(
    text: str, job_id: str, stage_id: str, at: datetime
) -> tuple[Numbered, list[RowProblem]]:
    """The ATS events of a CSV of candidates (with the line each came from), and the rows that
    do not make one. ``at`` is the time the events say: the file's modification time, so that
    importing the same file again (after an outage, say) repeats its events exactly."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "name" not in header or not ({"phone", "email"} & set(header)):
        raise UnreadableCsv(
            "the CSV needs a header with name and phone and/or email "
            f"(it has: {', '.join(header) or 'nothing'})"
        )
    zones = available_timezones()
    events: Numbered = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        name, phone, email = (
            values.get("name", ""),
            values.get("phone", ""),
            values.get("email", ""),
        )
        zone = values.get("timezone") or None
        problem = _row_problem(name, phone, email, zone, zones)
        if problem:
            problems.append(RowProblem(line, problem))
            continue
        who = phone and phonenumbers.format_number(
            phonenumbers.parse(phone), phonenumbers.PhoneNumberFormat.E164
        )
        person = hashlib.sha256((who or email.lower()).encode()).hexdigest()[:20]
        if person in seen:
            problems.append(RowProblem(line, f"the same candidate as line {seen[person]}"))
            continue
        seen[person] = line
        events.append(
            (
                line,
                {
                    "id": f"import:{job_id}:{stage_id}:{person}",
                    "type": "application.created",
                    "occurred_at": at.isoformat(),
                    "application": {
                        "id": f"import:{job_id}:{person}",
                        "job_id": job_id,
                        "stage_id": stage_id,
                    },
                    "candidate": {
                        "id": f"import:{person}",
                        "name": name,
                        "phone": who or None,
                        "email": email or None,
                        "timezone": zone,
                    },
                },
            )
        )
    return events, problems


def _row_problem(
    name: str, phone: str, email: str, zone: str | None, zones: set[str]
) -> str | None:
    if not name:
        return "no name"
    if not phone and not email:
        return "neither a phone number nor an e-mail"
    if phone:
        try:
            number = phonenumbers.parse(phone)
        except phonenumbers.NumberParseException:
            return f"phone {phone!r} is not a number with its country code (+44 20 7946 0018)"
        if not phonenumbers.is_valid_number(number):
            return f"phone {phone!r} is not a valid number"
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        return f"e-mail {email!r} is not an address"
    if zone is not None and zone not in zones:
        return f"time zone {zone!r} is not an IANA zone (Europe/London)"
    return None
