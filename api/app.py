"""The ASGI app: configuration, the ATS bridge, webhooks, recruiter views and pages.

``create_app`` wires everything once: settings, the Temporal client, the database engine, the
client of the candidates' workflows. Routers are per resource; errors all leave in one JSON
shape (``api.errors``); the OpenAPI description is served at ``/docs``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import Client

from api.access import Access, AccessControl
from api.bodies import MAX_BODY_BYTES, CheckedRoute, RequestLimits
from api.candidate import interviews as candidate_interviews
from api.candidate import pages as candidate_pages
from api.dependencies import ApiContext
from api.docs import ASSETS, install_docs
from api.errors import install_error_handlers
from api.interviewer import pages as interviewer_pages
from api.pages import agenda as agenda_page
from api.pages import (
    analytics as analytics_page,
)
from api.pages import (
    campaign_admin,
    enrolment,
    job_admin,
    job_views,
    not_found,
    sign_in,
    upload,
)
from api.permissions import PUBLIC_ROUTE
from api.routes import (
    actions,
    analytics,
    ats,
    ats_vendors,
    audit,
    campaigns,
    candidates,
    codec,
    health,
    interviewers,
    interviews,
    jobs,
    twilio,
    unsubscribe,
    views,
    webhooks,
)
from api.signatures import webhook_key
from api.telemetry import RequestTelemetry
from api.templating import HERE, STATIC_PATH
from channels.providers import unsubscribe_links
from config.encryption import EncryptionCodec, parse_keys
from config.private_files import kept_secret
from config.settings import Settings
from services.candidate_workflows import CandidateWorkflows
from store.access import ApiKeys
from store.database import create_engine, create_read_engine, session_factory

DESCRIPTION = """\
The HTTP edge of the campaign-enrolment engine: configure campaigns and jobs, feed ATS events
(each enrols the application in its stage's campaign through the candidate's workflow), report
module progress, interviewer availability and deliveries, and read the recruiter views.

Every error is `{"error": {"code", "message", "details"}}` with a 4xx status (503 when Temporal
or the database cannot be reached). When `ENROLMENTS_WEBHOOK_SECRET` is set, `POST /ats/events`
and the JSON webhooks require Standard Webhooks signatures.
"""


#: Every router, routes before pages; in an order where a more specific path comes first.
ROUTERS = (
    campaigns.router,
    jobs.router,
    interviewers.router,
    interviews.router,
    ats.router,
    ats_vendors.router,
    webhooks.router,
    twilio.router,
    views.router,
    analytics.router,
    actions.router,
    health.router,
    audit.router,
    candidates.router,
    codec.router,
    unsubscribe.router,
    job_admin.router,
    job_views.router,
    agenda_page.router,
    enrolment.router,
    analytics_page.router,
    campaign_admin.router,
    upload.router,
    sign_in.router,
    candidate_pages.router,
    candidate_interviews.router,
    interviewer_pages.router,
)

#: Where the API keeps the secret its UI sessions are signed with when none is configured.
SESSION_KEY_FILE = "session.key"


def session_secret(settings: Settings) -> bytes:
    """``ENROLMENTS_SESSION_SECRET``, else a random key kept in the data folder."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().encode()
    return kept_secret(settings.data_dir / SESSION_KEY_FILE).encode()


def create_app(settings: Settings, client: Client, *, engine: AsyncEngine | None = None) -> FastAPI:
    """The app, talking to Temporal through ``client`` and to the read model.

    Without ``engine`` the app creates one on ``settings.database_url`` and disposes of it at
    shutdown; a given engine belongs to the caller. The database must already be migrated.
    Raises ``ValueError`` for a malformed ``whsec_`` webhook secret.
    """
    if settings.webhook_secret is not None:
        webhook_key(settings.webhook_secret.get_secret_value())
    owns_engine = engine is None
    database = engine if engine is not None else create_engine(settings.database_url)
    reader = create_read_engine(database.url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if reader is not None:
                await reader.dispose()
            if owns_engine:
                await database.dispose()

    app = FastAPI(
        title="Campaign enrolments",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by api.docs, without a CDN
        redoc_url=None,
    )
    app.state.context = _context(settings, client, database, reader)
    install_error_handlers(app)
    app.add_exception_handler(StarletteHTTPException, not_found.page_or_error)
    app.add_middleware(RequestLimits, max_bytes=MAX_BODY_BYTES)
    access = Access(settings, ApiKeys(app.state.context.sessions), session_secret(settings))
    app.state.access = access
    # Who is calling is known before any route looks (each route then says who may call it).
    app.add_middleware(AccessControl, settings=settings, access=access)
    # Outside access control: refused requests are counted too.
    app.add_middleware(RequestTelemetry)
    install_docs(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="ui-static")
    app.include_router(home)
    check_every_route_names_its_callers(app)
    return app


def _context(
    settings: Settings, client: Client, database: AsyncEngine, reader: AsyncEngine | None
) -> ApiContext:
    """What every request shares, built once."""
    return ApiContext(
        settings=settings,
        client=client,
        engine=database,
        sessions=session_factory(database),
        reads=session_factory(reader or database),
        workflows=CandidateWorkflows(
            client,
            task_queue=settings.task_queue,
            delivery_task_queue=settings.delivery_task_queue,
        ),
        unsubscribe_links=unsubscribe_links(settings),
        codec=None
        if settings.encryption_keys is None
        else EncryptionCodec(parse_keys(settings.encryption_keys.get_secret_value())),
    )


home = APIRouter(include_in_schema=False, route_class=CheckedRoute, dependencies=[PUBLIC_ROUTE])


@home.get("/")
async def to_the_jobs() -> RedirectResponse:
    """The recruiter's list of jobs is the product's home."""
    return RedirectResponse("/ui/")


#: What the app serves outside its routes: files, and FastAPI's own OpenAPI document.
PUBLIC_FILES = frozenset({STATIC_PATH, ASSETS, "/openapi.json"})


def check_every_route_names_its_callers(app: FastAPI) -> None:
    """Refuse to build an app with a route that names no callers (``api.permissions``):
    default deny, found at start instead of at the first request."""
    silent = [
        f"{', '.join(sorted(route.methods or []))} {route.path}"
        for route in iter_route_contexts(app.routes)
        if (
            not isinstance(route.original_route, CheckedRoute) or route.original_route.allow is None
        )
        and route.path not in PUBLIC_FILES
    ]
    if silent:
        raise RuntimeError(f"routes that name no callers (api.permissions): {silent}")
