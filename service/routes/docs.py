"""``GET /docs``: Swagger UI served from this server, for intranets without a CDN.

The Swagger UI files come from the ``fastapi-offline`` package (kept up to date with Swagger
UI's releases); nothing is fetched from another origin, and the page carries the same
Content-Security-Policy as the demo page (its one inline script allowed by hash).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html

from service.security import html_headers
from service.static_files import static_file, static_response

router = APIRouter(include_in_schema=False)

ASSETS_PATH = "/docs/assets"
_ASSETS = {
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}


@router.get("/docs")
def swagger_ui(request: Request) -> Response:
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} — API",
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        oauth2_redirect_url=None,
    )
    html = bytes(page.body).decode("utf-8")
    return Response(html, media_type="text/html; charset=utf-8", headers=html_headers(html))


@router.get(ASSETS_PATH + "/{name}")
def swagger_asset(name: str, request: Request) -> Response:
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404, "no such file")
    file = static_file("fastapi_offline", "static", name)
    return static_response(
        file, request, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )
