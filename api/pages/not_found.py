"""A path under ``/ui/`` that names no page answers with the recruiter's 404 page, not JSON."""

from __future__ import annotations

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from api.dependencies import api_context
from api.errors import http_error
from api.templating import not_found_page


async def page_or_error(request: Request, exc: Exception) -> Response:
    """The 404 page for an unknown page (``/ui/...``); the error shape for everything else."""
    if (
        isinstance(exc, StarletteHTTPException)
        and exc.status_code == 404
        and request.url.path.startswith("/ui/")
    ):
        return not_found_page(request, api_context(request), "page", request.url.path)
    return await http_error(request, exc)
