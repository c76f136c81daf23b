"""The embeddable chat widget (``GET /widget.js``) and a demo page that embeds it (``GET /``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from service.security import html_headers
from service.static_files import static_file, static_response

router = APIRouter(tags=["widget"])

_CACHE = "public, max-age=300"


def _static(name: str, media_type: str, request: Request, **extra: str) -> Response:
    """A file from ``service/static``, revalidated by ETag once the short cache expires, gzipped
    for clients that accept it (the widget is ~3× smaller so); an HTML page gets the security
    headers (CSP, frame-ancestors)."""
    file = static_file("service", "static", name)
    headers = {"Cache-Control": _CACHE, **extra}
    if media_type.startswith("text/html"):
        headers.update(html_headers(file.body.decode("utf-8")))
    return static_response(file, request, media_type=media_type, headers=headers)


@router.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
def widget_js(request: Request) -> Response:
    # Loaded by pages on other origins, including ones that require CORP (COEP: require-corp).
    return _static(
        "widget.js",
        "application/javascript; charset=utf-8",
        request,
        **{"Cross-Origin-Resource-Policy": "cross-origin"},
    )


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
def demo_page(request: Request) -> Response:
    return _static("index.html", "text/html; charset=utf-8", request)
