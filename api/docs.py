"""``/docs``: the OpenAPI reference, served with no internet.

FastAPI's default page loads Swagger UI from a CDN; here its files (Swagger UI 5, which reads
the OpenAPI 3.1 FastAPI writes) come from the ``fastapi-swagger`` package and are served under
``/docs/assets``, so an air-gapped deployment (or this machine) still shows the reference.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from api.bodies import CheckedRoute
from api.permissions import PUBLIC_ROUTE

ASSETS = "/docs/assets"
#: Swagger UI's files, as the ``fastapi-swagger`` package ships them.
SWAGGER_UI_FILES = Path(str(resources.files("fastapi_swagger") / "resources"))
FAVICON = "/ui/static/favicon.svg"


def install_docs(app: FastAPI) -> None:
    """Serve the Swagger UI page and its assets from this process (``docs_url`` must be off)."""
    router = APIRouter(include_in_schema=False, route_class=CheckedRoute)

    @router.get("/docs", dependencies=[PUBLIC_ROUTE])
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API reference",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
        )

    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI_FILES), name="docs-assets")
