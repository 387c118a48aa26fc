"""Conditional answers for the views the pages poll: an ``ETag`` on each JSON view, and ``304
Not Modified`` (no body) when the caller already holds that version.

The recruiter pages poll every second or two; most polls find nothing new. With
``If-None-Match`` the browser (``fetch(..., {cache: "no-cache"})``) revalidates instead of
downloading the same rows again, and the page re-renders nothing.
"""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel


def etag_of(model: BaseModel) -> str:
    """The ``ETag`` of ``model``'s JSON: a page rendered from ``model`` embeds it, and knows it
    is out of date when its view answers another."""
    return f'"{hashlib.sha256(model.model_dump_json().encode()).hexdigest()[:32]}"'


def conditional_json(request: Request, model: BaseModel) -> Response:
    """``model`` as JSON with its ETag, or 304 when ``If-None-Match`` names that ETag."""
    body = model.model_dump_json().encode()
    etag = etag_of(model)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    wanted = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
