"""``/unsubscribe/email``: the signed one-click unsubscribe link every e-mail carries (RFC 8058).

The mail client's one-click POST (``List-Unsubscribe=One-Click``) opts the address out at once.
A GET (a person clicking the link, or a scanner following it) shows a page with a button that
POSTs the same form: nothing changes on a GET.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import HTMLResponse

from api.bodies import CheckedRoute
from api.dependencies import ContextDep
from api.errors import ApiError, error_responses
from api.permissions import PUBLIC_ROUTE
from channels.unsubscribe import UNSUBSCRIBE_PATH, InvalidUnsubscribeToken, UnsubscribeLinks
from services.replies import unsubscribe as unsubscribe_address

# Public: each link carries a signed token of its own.
router = APIRouter(tags=["webhooks"], route_class=CheckedRoute, dependencies=[PUBLIC_ROUTE])

Token = Annotated[str, Query(min_length=3, max_length=1000)]

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto">
<h1>{title}</h1>{body}</body></html>"""


def _links(context: ContextDep) -> UnsubscribeLinks:
    links = context.unsubscribe_links
    if links is None:
        raise ApiError(404, "not_found", "e-mail is not configured here")
    return links


def _address(context: ContextDep, token: str) -> str:
    try:
        return _links(context).address_of(token)
    except InvalidUnsubscribeToken as err:
        raise ApiError(400, "invalid_token", "this unsubscribe link is not valid") from err


@router.get(UNSUBSCRIBE_PATH, response_class=HTMLResponse, responses=error_responses(400, 404))
async def unsubscribe_page(token: Token, context: ContextDep) -> HTMLResponse:
    """A page asking to confirm: one button, which POSTs the one-click form."""
    address = _address(context, token)
    body = (
        f"<p>Stop recruiting e-mails to <strong>{html.escape(address)}</strong>?</p>"
        f'<form method="post" action="{UNSUBSCRIBE_PATH}?token={html.escape(token)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return HTMLResponse(PAGE.format(title="Unsubscribe", body=body))


@router.post(UNSUBSCRIBE_PATH, response_class=HTMLResponse, responses=error_responses(400, 404))
async def unsubscribe(token: Token, context: ContextDep) -> HTMLResponse:
    """Opt the link's address out of every e-mail (RFC 8058 one-click)."""
    address = _address(context, token)
    await unsubscribe_address(context, address)
    body = f"<p>{html.escape(address)} will get no more recruiting e-mails from us.</p>"
    return HTMLResponse(PAGE.format(title="Unsubscribed", body=body))
