"""The OpenAPI schema (``/openapi.json``) and its docs page (``/docs``), behind a viewer token like every
route but the health probes (the page's login cookie is enough in a browser)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from interfaces.api.auth import Viewer

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
def openapi(request: Request, principal: Viewer) -> JSONResponse:
    """The OpenAPI schema: every route, and each job type's parameter model."""
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def docs(principal: Viewer) -> HTMLResponse:
    """Swagger UI over the schema, its assets served from the package (no CDN)."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="marketjobs API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/swagger/favicon-32x32.png",
    )
