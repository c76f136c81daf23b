"""The embeddable chat widget (``GET /widget.js``) and a demo page that embeds it (``GET /``)."""

from __future__ import annotations

import hashlib
from importlib import resources

from fastapi import APIRouter, Request, Response

router = APIRouter(tags=["widget"])

_STATIC = resources.files("service") / "static"
_CACHE = "public, max-age=300"


def _static(name: str, media_type: str, request: Request, **extra: str) -> Response:
    """A file from ``service/static``, revalidated by ETag once the short cache expires."""
    body = (_STATIC / name).read_bytes()
    etag = f'"{hashlib.sha256(body).hexdigest()[:24]}"'
    headers = {"Cache-Control": _CACHE, "ETag": etag, "X-Content-Type-Options": "nosniff", **extra}
    if etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


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
