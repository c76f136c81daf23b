"""Domain errors → HTTP responses. The only place where that mapping happens."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from core.errors import (
    ApiKeyRequired,
    DocumentExists,
    DocumentNotFound,
    DocumentTooLarge,
    FeedbackStoreFailed,
    FeedbackStoreFull,
    IndexBusy,
    IndexCorrupt,
    IndexUnavailable,
    IndexWriteFailed,
    IngestCancelled,
    InvalidDocument,
    InvalidDocumentId,
    InvalidQuery,
    InvalidVersion,
    MarjaError,
    ModelMismatch,
    ModelUnavailable,
    UnsupportedDocument,
    VersionGone,
    VersionNotFound,
    WidgetKeyInvalid,
    WidgetOriginNotAllowed,
    WritesDisabled,
)
from service.schemas import PATTERN_HINTS
from service.throttled_log import ThrottledWarnings

logger = logging.getLogger(__name__)
client_errors = ThrottledWarnings(logger)
"""Refusals a client causes (4xx) are logged through it, so a flood of them cannot flood the log."""

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
    (IngestCancelled, 499),  # nginx's "client closed request": nobody reads it, the log does
    (IndexBusy, 503),
    (ModelMismatch, 503),
    (ModelUnavailable, 503),
    (IndexCorrupt, 503),
    (ApiKeyRequired, 401),
    (WritesDisabled, 403),
    (IndexUnavailable, 503),
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


def public_message(error: MarjaError, *, data_dir: Path | None) -> str:
    """The error's message as a client may see it: without the server's data directory.

    Domain messages name index versions, not paths; an OS error quoted in one may still carry
    a path, so the data directory is replaced by a placeholder here (the log keeps it).
    """
    message = str(error)
    if data_dir is not None:
        for form in {str(data_dir), str(data_dir.resolve())}:
            message = message.replace(form, "<data dir>")
    return message


async def _marja_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MarjaError)
    status = status_of(exc)
    log = logger.warning if status >= 500 else client_errors.warning
    log("%s %s → %d: %s", request.method, request.url.path, status, exc)
    headers = {"Retry-After": "5"} if status == 503 else None
    if isinstance(exc, ApiKeyRequired):
        headers = {"WWW-Authenticate": "Bearer"}
    settings = getattr(request.app.state, "settings", None)
    detail = public_message(exc, data_dir=getattr(settings, "data_dir", None))
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


_NOT_AN_OBJECT = ("model_attributes_type", "dict_type", "model_type")


def _describe(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":  # its location is the character where decoding failed
        at = [p for p in error.get("loc", ()) if isinstance(p, int)]
        where = f" (at character {at[0]:,})" if at else ""
        return f"body: not valid JSON{where}: {ctx.get('error', error.get('msg', ''))}"
    loc = [p for p in error.get("loc", ()) if p not in ("body", "path", "query")]
    where = ".".join(str(p) for p in loc) or "body"
    field = str(loc[-1]) if loc else ""
    if not loc and kind in _NOT_AN_OBJECT:
        return "body: must be a JSON object, sent with the header Content-Type: application/json"
    if kind == "string_too_long" and "max_length" in ctx:
        return f"{where}: over the limit of {ctx['max_length']:,} characters"
    if kind == "string_pattern_mismatch":
        return f"{where}: {PATTERN_HINTS.get(field, 'does not have the expected form')}"
    if kind == "value_error":  # raised by a validator with a message meant for people
        return f"{where}: {ctx.get('error', error.get('msg', 'invalid'))}"
    return f"{where}: {error.get('msg', 'invalid')}"


def describe_validation_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    """One sentence per problem, each naming the field and what is wrong with it."""
    return "; ".join(_describe(e) for e in errors) or "invalid request"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    message = describe_validation_errors(errors)
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
