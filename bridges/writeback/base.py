"""Writing to a vendor ATS (the write-back, API.md "Write-back to the ATS"): what every
vendor's writer does, and how its answers are read.

A writer (one per vendor, in the vendor's module, made by its bridge's ``writer_of``) adds the
outcome note, finds a note it wrote before (by the enrolment it names: after a crash mid-call
the note may be there already), and rejects an application. Each call's answer is read by
``answer``: 2xx is done; 429 is ``VendorBusy`` (retry after what the vendor said); 5xx and
timeouts are ``VendorUnavailable`` (retry with backoff); any other refusal will not heal by
retrying and is ``VendorRefused``, with what the vendor said.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from bridges.base import VendorUnavailable
from domain.writeback import VendorTarget


class VendorRefused(Exception):
    """The vendor refused in a way retrying will not heal (401, 403, 404, 422...)."""

    def __init__(self, answer: str) -> None:
        super().__init__(answer)
        self.answer = answer


class VendorBusy(Exception):
    """The vendor's rate limit (429): try again after ``retry_after`` (``None``: not said)."""

    def __init__(self, retry_after: timedelta | None) -> None:
        super().__init__(f"rate limited; retry after {retry_after}")
        self.retry_after = retry_after


class VendorWriter(Protocol):
    """One vendor's write calls."""

    async def add_note(self, target: VendorTarget, text: str) -> str | None:
        """Add ``text`` as a note; the vendor's id of it, when it gives one."""
        ...

    async def find_note(self, target: VendorTarget, marker: str) -> str | None:
        """The note written before whose text holds ``marker`` (its id, or ``""`` when the
        vendor gives none), or ``None``."""
        ...

    async def reject(self, target: VendorTarget, reason: str, text: str) -> None:
        """Reject (archive, disqualify) the application with the vendor's ``reason`` id;
        ``text`` says why, in a line."""
        ...

    async def rejected(self, target: VendorTarget) -> bool:
        """Whether the application is rejected (archived, disqualified) at the vendor: asked
        after a rejection whose answer was lost, since vendors refuse a second one."""
        ...

    async def aclose(self) -> None: ...


async def request(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Call the vendor and read its answer (see the module's docstring)."""
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.TimeoutException as err:
        raise VendorUnavailable(f"{method} {url}: no answer in time") from err
    except httpx.TransportError as err:
        raise VendorUnavailable(f"{method} {url}: {err.__class__.__name__}") from err
    return answer(response)


def answer(response: httpx.Response) -> httpx.Response:
    status = response.status_code
    if status < 300:
        return response
    if status == 429:
        raise VendorBusy(retry_after(response.headers))
    said = f"{status} {response.text[:500]}".strip()
    if status >= 500 or status == 408:
        raise VendorUnavailable(f"{response.request.method} {response.request.url.path}: {said}")
    raise VendorRefused(said)


def retry_after(headers: httpx.Headers, now: datetime | None = None) -> timedelta | None:
    """How long the vendor asks to wait: ``Retry-After`` (seconds or an HTTP date), else a
    rate-limit reset time (``X-RateLimit-Reset``, ``X-Rate-Limit-Reset``: epoch seconds)."""
    now = now or datetime.now(UTC)
    given = headers.get("retry-after")
    if given is not None:
        if given.strip().isdigit():
            return timedelta(seconds=int(given))
        try:
            return max(parsedate_to_datetime(given) - now, timedelta(0))
        except (TypeError, ValueError):
            return None
    for name in ("x-ratelimit-reset", "x-rate-limit-reset"):
        reset = headers.get(name)
        if reset is not None:
            try:
                moment = datetime.fromtimestamp(float(reset), UTC)
            except (ValueError, OverflowError):
                continue
            return max(moment - now, timedelta(0))
    return None
