"""Domain errors → HTTP responses. The only place where that mapping happens."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from core.errors import (
    DocumentExists,
    DocumentNotFound,
    DocumentTooLarge,
    FeedbackStoreFailed,
    FeedbackStoreFull,
    IndexBusy,
    IndexCorrupt,
    IndexWriteFailed,
    InvalidDocument,
    InvalidDocumentId,
    InvalidQuery,
    InvalidVersion,
    MarjaError,
    ModelMismatch,
    UnsupportedDocument,
    VersionGone,
    VersionNotFound,
    WidgetKeyInvalid,
    WidgetOriginNotAllowed,
)

logger = logging.getLogger(__name__)

_STATUS: list[tuple[type[MarjaError], int]] = [
    (DocumentNotFound, 404),
    (VersionNotFound, 404),
    (VersionGone, 410),
    (InvalidVersion, 422),
    (DocumentExists, 409),
    (DocumentTooLarge, 413),
    (UnsupportedDocument, 415),
    (InvalidDocument, 422),
    (InvalidDocumentId, 422),
    (InvalidQuery, 422),
    (IndexBusy, 503),
    (ModelMismatch, 503),
    (IndexCorrupt, 503),
    (WidgetKeyInvalid, 401),
    (WidgetOriginNotAllowed, 403),
    (FeedbackStoreFull, 507),
    (FeedbackStoreFailed, 503),
]


def status_of(error: MarjaError) -> int:
    if isinstance(error, IndexWriteFailed):
        return 507 if error.disk_full else 503
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 400


async def _marja_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MarjaError)
    status = status_of(exc)
    logger.warning("%s %s → %d: %s", request.method, request.url.path, status, exc)
    headers = {"Retry-After": "5"} if status == 503 else None
    return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)


_FRIENDLY = {
    "string_pattern_mismatch": "is empty (only spaces or control characters)",
    "json_invalid": "the body is not valid JSON",
}


def _describe(error: dict) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
    ctx = error.get("ctx") or {}
    if error.get("type") == "string_too_long" and "max_length" in ctx:
        return f"{where}: over the limit of {ctx['max_length']:,} characters"
    return f"{where}: {_FRIENDLY.get(error.get('type', ''), error.get('msg', 'invalid'))}"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    message = "; ".join(_describe(e) for e in errors) or "invalid request"
    logger.info("%s %s → 422: %s", request.method, request.url.path, message)
    detail = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors
    ]
    return JSONResponse({"detail": message, "errors": detail}, status_code=422)


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method any route accepts on ``path`` (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in app.routes:
        if isinstance(route, APIRoute | Route) and route.path_regex.match(path) and route.methods:
            methods |= set(route.methods)
    return sorted(methods)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request.app, request.url.path))
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("%s %s failed", request.method, request.url.path)
    return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MarjaError, _marja_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
