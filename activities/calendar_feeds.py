"""Reading what an interviewer's workflow decides with (its activities): their calendar feed's
busy times, and who waits on them in ``auto_match`` when their availability arrives.

The feed's address is read here, from the read model (it is a secret: it never travels
through Temporal), fetched over HTTP(S) with a time and size limit, and read by
``domain.busy_times``. A feed that cannot be fetched or read is no error to retry: the answer
says ``unreachable``, so the interviewer counts as busy until it can be read again, and the
recruiter sees why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.contracts import FIND_WAITING, READ_BUSY_TIMES, ReadBusyTimes
from domain.busy_times import MAX_FEED_BYTES, UnreadableFeed, busy_times
from domain.interviewers import feed_address
from domain.interviews import BusyTimes, FeedStatus, Waiting
from domain.slots import Interval, merged
from store.calendars import waiting_on
from store.interviewers import Interviewers

#: Seconds one fetch of a feed may take.
FEED_TIMEOUT = 10.0


class FeedUnreachable(Exception):
    """The feed could not be fetched (the reason in words)."""


class CalendarFeedActivities:
    """Reads calendar feeds with one HTTP client for the worker's life."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], http: httpx.AsyncClient) -> None:
        self._sessions = sessions
        self._http = http

    @activity.defn(name=READ_BUSY_TIMES)
    async def read_busy_times(self, input: ReadBusyTimes) -> BusyTimes:
        """The busy times of the interviewer's feed that fall in their windows."""
        now = datetime.now(UTC)
        async with self._sessions() as session:
            interviewer = await Interviewers(session).get(input.interviewer_id)
        if interviewer is None or interviewer.calendar_ics_url is None:
            return BusyTimes(status=FeedStatus.NONE, checked_at=now)
        if not input.windows:
            return BusyTimes(status=FeedStatus.OK, checked_at=now)
        start = min(w.start for w in input.windows)
        end = max(w.end for w in input.windows)
        try:
            feed = await self._fetch(feed_address(interviewer.calendar_ics_url))
            busy = busy_times(feed, start, end, ZoneInfo(interviewer.timezone))
        except (FeedUnreachable, UnreadableFeed) as problem:
            activity.logger.warning("calendar feed of %s: %s", input.interviewer_id, problem)
            return BusyTimes(status=FeedStatus.UNREACHABLE, checked_at=now, error=str(problem))
        return BusyTimes(status=FeedStatus.OK, busy=within(busy, input.windows), checked_at=now)

    @activity.defn(name=FIND_WAITING)
    async def find_waiting(self, interviewer_id: str) -> list[Waiting]:
        """Who waits in ``auto_match`` in each stage the interviewer is named in."""
        async with self._sessions() as session:
            return await waiting_on(session, interviewer_id)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _fetch(self, url: str) -> bytes:
        """The feed's bytes; raises ``FeedUnreachable`` (never the secret address itself)."""
        try:
            async with self._http.stream("GET", url, timeout=FEED_TIMEOUT) as response:
                if response.status_code != 200:
                    raise FeedUnreachable(f"the calendar answered HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_FEED_BYTES:
                        raise FeedUnreachable("the calendar feed is too large")
                return bytes(body)
        except httpx.HTTPError as error:
            raise FeedUnreachable(
                f"the calendar could not be reached ({type(error).__name__})"
            ) from error


def within(busy: list[Interval], windows: list[Interval]) -> list[Interval]:
    """The parts of ``busy`` inside ``windows`` (only those can take a slot away)."""
    parts = [
        Interval(start=max(b.start, w.start), end=min(b.end, w.end))
        for b in busy
        for w in windows
        if b.overlaps(w)
    ]
    return merged(parts)
