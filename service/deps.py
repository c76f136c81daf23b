"""Shared FastAPI dependencies, as ``Annotated`` aliases.

They are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, and
for a few attribute reads and string comparisons the thread hops cost more than the work
(measured with bench/query_path.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from core.errors import ApiKeyRequired, WritesDisabled
from index.collection import Collection
from service.credentials import matches, presented_key
from service.feedback_store import FeedbackStore
from service.settings import Settings
from service.widget_keys import HEADER as WIDGET_KEY_HEADER
from service.widget_keys import check_widget_key


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_collection(request: Request) -> Collection:
    return request.app.state.collection  # type: ignore[no-any-return]


async def get_feedback_store(request: Request) -> FeedbackStore:
    return request.app.state.feedback  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CollectionDep = Annotated[Collection, Depends(get_collection)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback_store)]


# Declared for the OpenAPI description of the writes (/docs' "Authorize" button); the keys are
# read from the headers below, so a request is judged the same whichever way it presents its key.
# Reads need no key unless MARJA_READ_API_KEYS is set, which OpenAPI's security cannot say.
_BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", description="Authorization: Bearer KEY")
_API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="apiKey")
BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)]
ApiKeyDoc = Annotated[str | None, Security(_API_KEY)]


async def require_write_key(
    request: Request, settings: SettingsDep, _bearer: BearerDoc, _api_key: ApiKeyDoc
) -> None:
    if not settings.api_keys:
        raise WritesDisabled("writes are disabled: no API key is configured (set MARJA_API_KEYS)")
    if not matches(presented_key(request.headers), settings.api_keys):
        raise ApiKeyRequired("a valid API key is required (Authorization: Bearer KEY or X-API-Key: KEY)")


async def require_read_key(request: Request, settings: SettingsDep) -> None:
    widget_key = request.headers.get(WIDGET_KEY_HEADER)
    if widget_key is not None:
        # A publishable key opens the reads, only from the pages it is bound to (never writes).
        check_widget_key(widget_key, request.headers.get("origin"), settings.widget_keys)
        return
    if not settings.read_api_keys:
        return
    if not matches(presented_key(request.headers), settings.read_api_keys + settings.api_keys):
        raise ApiKeyRequired(
            "this deployment needs an API key to read (Authorization: Bearer KEY or X-API-Key: KEY)"
        )


WriteAccess = Depends(require_write_key)
ReadAccess = Depends(require_read_key)
