"""The embeddable chat widget (``GET /widget.js``) and a demo page that embeds it (``GET /``)."""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, Request, Response

from service.security import html_headers

router = APIRouter(tags=["widget"])

_STATIC = resources.files("service") / "static"
_CACHE = "public, max-age=300"


@lru_cache(maxsize=8)
def _compressed(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=9, mtime=0)


def _static(name: str, media_type: str, request: Request, **extra: str) -> Response:
    """A file from ``service/static``, revalidated by ETag once the short cache expires, gzipped
    for clients that accept it (the widget is ~3× smaller so); an HTML page gets the security
    headers (CSP, frame-ancestors)."""
    body = (_STATIC / name).read_bytes()
    etag = f'"{hashlib.sha256(body).hexdigest()[:24]}"'
    headers = {
        "Cache-Control": _CACHE,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
        **extra,
    }
    if media_type.startswith("text/html"):
        headers.update(html_headers(body.decode("utf-8")))
    if etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    accepted = {part.split(";")[0].strip() for part in request.headers.get("accept-encoding", "").split(",")}
    if "gzip" in accepted:
        return Response(
            _compressed(body), media_type=media_type, headers={**headers, "Content-Encoding": "gzip"}
        )
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
