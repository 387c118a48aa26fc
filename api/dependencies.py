"""What route handlers receive through ``Depends``: the context, a database session.

``create_app`` puts one ``ApiContext`` on ``app.state.context``; these providers hand out its
parts, so handlers never reach for globals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.requests import HTTPConnection
from temporalio.client import Client

from channels.unsubscribe import UnsubscribeLinks
from config.encryption import EncryptionCodec
from config.settings import Settings
from services.context import Context


@dataclass(frozen=True)
class ApiContext(Context):
    """What the use cases work with, plus what only the HTTP edge needs; built once by
    ``create_app``."""

    client: Client
    engine: AsyncEngine
    #: Signs and checks e-mail unsubscribe links (``None``: e-mail is not sent over SMTP).
    unsubscribe_links: UnsubscribeLinks | None = None
    #: Encrypts and decrypts Temporal payloads for the codec server (``None``: no keys).
    codec: EncryptionCodec | None = None


def api_context(connection: HTTPConnection) -> ApiContext:
    """The app's shared context (settings, engine, sessions, the workflows' client)."""
    return cast(ApiContext, connection.app.state.context)


def get_settings(connection: HTTPConnection) -> Settings:
    """The settings the app was created with."""
    return api_context(connection).settings


async def get_session(connection: HTTPConnection) -> AsyncIterator[AsyncSession]:
    """One database session per request, closed (rolled back if uncommitted) at the end."""
    async with api_context(connection).sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
ContextDep = Annotated[ApiContext, Depends(api_context)]
