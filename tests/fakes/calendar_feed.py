"""A calendar's published iCalendar feed (Google Calendar's and Outlook's "secret address"),
served over real HTTP: one feed per path, set by the test; an unknown path answers 404 and
``/broken`` 500, as an unreachable calendar does."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


@dataclass
class FakeCalendars:
    """Feeds by path; ``fetched`` counts each path's fetches."""

    feeds: dict[str, str] = field(default_factory=dict)
    fetched: dict[str, int] = field(default_factory=dict)

    def app(self) -> Starlette:
        async def feed(request: Request) -> Response:
            path = request.path_params["path"]
            self.fetched[path] = self.fetched.get(path, 0) + 1
            if path == "broken":
                return PlainTextResponse("calendar service unavailable", status_code=500)
            text = self.feeds.get(path)
            if text is None:
                return PlainTextResponse("no such calendar", status_code=404)
            return Response(text, media_type="text/calendar")

        return Starlette(routes=[Route("/{path:path}", feed)])
